// Server-side printing: kubectl asks for `as=Table` and prints the columns the server chose, so
// `kubectl get` shows what it shows against a real cluster (STATUS, READY, RESTARTS, …).
import type { KubeObject } from './objects.js'

type Cell = string | number
interface Column {
  name: string
  type: 'string' | 'integer' | 'date'
  format?: string
}

const NAME: Column = { name: 'Name', type: 'string', format: 'name' }
const AGE: Column = { name: 'Age', type: 'string' }

export function wantsTable(accept: string | undefined): boolean {
  return /;\s*as=Table/.test(accept ?? '')
}

export function toTable(
  resource: string,
  items: KubeObject[],
  resourceVersion: string,
  now: number
): Record<string, unknown> {
  const columns = COLUMNS[resource]
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: '',
      priority: 0
    })),
    rows: items.map((item) => ({
      cells: CELLS[resource](item, now),
      object: {
        kind: 'PartialObjectMetadata',
        apiVersion: 'meta.k8s.io/v1',
        metadata: item.metadata
      }
    }))
  }
}

export function tableResources(): string[] {
  return Object.keys(COLUMNS)
}

const COLUMNS: Record<string, Column[]> = {
  namespaces: [NAME, { name: 'Status', type: 'string' }, AGE],
  secrets: [NAME, { name: 'Type', type: 'string' }, { name: 'Data', type: 'integer' }, AGE],
  pods: [
    NAME,
    { name: 'Ready', type: 'string' },
    { name: 'Status', type: 'string' },
    { name: 'Restarts', type: 'string' },
    AGE
  ],
  persistentvolumeclaims: [
    NAME,
    { name: 'Status', type: 'string' },
    { name: 'Volume', type: 'string' },
    { name: 'Capacity', type: 'string' },
    { name: 'Access Modes', type: 'string' },
    { name: 'StorageClass', type: 'string' },
    AGE
  ],
  events: [
    { name: 'Last Seen', type: 'string' },
    { name: 'Type', type: 'string' },
    { name: 'Reason', type: 'string' },
    { name: 'Object', type: 'string' },
    { name: 'Message', type: 'string' }
  ],
  storageclasses: [
    NAME,
    { name: 'Provisioner', type: 'string' },
    { name: 'ReclaimPolicy', type: 'string' },
    { name: 'VolumeBindingMode', type: 'string' },
    AGE
  ]
}

type Any = Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any

const CELLS: Record<string, (o: KubeObject, now: number) => Cell[]> = {
  namespaces: (o, now) => [
    o.metadata.name,
    (o.status as Any | undefined)?.phase ?? 'Active',
    age(o.metadata.creationTimestamp, now)
  ],
  secrets: (o, now) => [
    o.metadata.name,
    String(o.type ?? 'Opaque'),
    Object.keys((o.data as Any | undefined) ?? {}).length,
    age(o.metadata.creationTimestamp, now)
  ],
  pods: (o, now) => {
    const status = (o.status ?? {}) as Any
    const statuses: Any[] = status.containerStatuses ?? []
    const containers: Any[] = (o.spec as Any | undefined)?.containers ?? []
    const waiting = statuses.find((s) => s.state?.waiting)?.state.waiting.reason as
      string | undefined
    const restarts = statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0)
    return [
      o.metadata.name,
      `${statuses.filter((s) => s.ready).length}/${containers.length}`,
      waiting ?? status.phase ?? 'Pending',
      String(restarts),
      age(o.metadata.creationTimestamp, now)
    ]
  },
  persistentvolumeclaims: (o, now) => {
    const spec = (o.spec ?? {}) as Any
    const status = (o.status ?? {}) as Any
    return [
      o.metadata.name,
      status.phase ?? 'Pending',
      spec.volumeName ?? '',
      status.capacity?.storage ?? '',
      (status.accessModes ?? []).map((m: string) => (m === 'ReadWriteOnce' ? 'RWO' : m)).join(','),
      spec.storageClassName ?? '<unset>',
      age(o.metadata.creationTimestamp, now)
    ]
  },
  events: (o, now) => {
    const involved = (o.involvedObject ?? {}) as Any
    return [
      age(String(o.lastTimestamp ?? o.metadata.creationTimestamp), now),
      String(o.type),
      String(o.reason),
      `${String(involved.kind).toLowerCase()}/${involved.name}`,
      String(o.message)
    ]
  },
  storageclasses: (o, now) => [
    o.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true'
      ? `${o.metadata.name} (default)`
      : o.metadata.name,
    String(o.provisioner),
    String(o.reclaimPolicy),
    String(o.volumeBindingMode),
    age(o.metadata.creationTimestamp, now)
  ]
}

/** kubectl's short durations: 45s, 3m12s, 47m, 5h3m, 2d. */
function age(timestamp: string, now: number): string {
  const s = Math.max(0, Math.floor((now - Date.parse(timestamp)) / 1000))
  const m = Math.floor(s / 60)
  const h = Math.floor(m / 60)
  if (s < 120) return `${s}s`
  if (m < 10) return `${m}m${s % 60}s`
  if (m < 180) return `${m}m`
  if (h < 8) return `${h}h${m % 60}m`
  if (h < 48) return `${h}h`
  return `${Math.floor(h / 24)}d`
}

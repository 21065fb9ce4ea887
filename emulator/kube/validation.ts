// What the API server checks and normalises in the objects kubectl sends: secrets (base64 data,
// stringData folded in, a dockerconfigjson that parses) and pods (containers with names and images).
import { invalid, isRecord, type KubeObject, type StatusCause } from './objects.js'

export function podContainers(pod: KubeObject): { name: string; image: string }[] {
  const containers =
    (pod.spec as { containers?: { name?: string; image?: string }[] } | undefined)?.containers ?? []
  return containers.map((c) => ({ name: c.name ?? '', image: c.image ?? '' }))
}

export function containerNames(pod: KubeObject): string[] {
  return podContainers(pod).map((c) => c.name)
}

export function firstWaiting(pod: KubeObject): unknown {
  const statuses =
    (pod.status as { containerStatuses?: { state?: { waiting?: unknown } }[] } | undefined)
      ?.containerStatuses ?? []
  return statuses.find((s) => s.state?.waiting)?.state?.waiting
}

export function pickImages(existing: KubeObject, updated: KubeObject): { containers?: unknown } {
  const before = (existing.spec as { containers?: Record<string, unknown>[] }).containers ?? []
  const after = podContainers(updated)
  return {
    containers: before.map((c) => ({
      ...c,
      image: after.find((a) => a.name === c.name)?.image ?? c.image
    }))
  }
}

export function normalizeSecret(secret: KubeObject): void {
  const data: Record<string, string> = isRecord(secret.data)
    ? { ...(secret.data as Record<string, string>) }
    : {}
  const causes: StatusCause[] = []
  for (const [k, v] of Object.entries(data)) {
    if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v))
      causes.push({
        reason: 'FieldValueInvalid',
        message: 'illegal base64 data',
        field: `data[${k}]`
      })
  }
  if (isRecord(secret.stringData)) {
    for (const [k, v] of Object.entries(secret.stringData))
      data[k] = Buffer.from(String(v), 'utf8').toString('base64')
  }
  delete secret.stringData
  secret.type ??= 'Opaque'
  if (secret.type === 'kubernetes.io/dockerconfigjson') {
    const doc = data['.dockerconfigjson']
    if (doc === undefined)
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: 'data[.dockerconfigjson]'
      })
    else {
      try {
        JSON.parse(Buffer.from(doc, 'base64').toString('utf8'))
      } catch (e) {
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: "<secret contents redacted>": ${(e as Error).message}`,
          field: 'data[.dockerconfigjson]'
        })
      }
    }
  }
  if (causes.length > 0) throw invalid('Secret', secret.metadata.name, causes)
  secret.data = data
}

export function checkPod(pod: KubeObject): void {
  const containers = podContainers(pod)
  const causes: StatusCause[] = []
  if (containers.length === 0)
    causes.push({
      reason: 'FieldValueRequired',
      message: 'Required value',
      field: 'spec.containers'
    })
  containers.forEach((c, i) => {
    if (!c.name)
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: `spec.containers[${i}].name`
      })
    if (!c.image)
      causes.push({
        reason: 'FieldValueRequired',
        message: 'Required value',
        field: `spec.containers[${i}].image`
      })
  })
  if (causes.length > 0) throw invalid('Pod', pod.metadata.name, causes)
}

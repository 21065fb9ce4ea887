// KubernetesCluster over kubectl, run through @actions/exec. Secret values only ever travel on
// kubectl's standard input or come back on its standard output (never argv, never a file), and
// kubectl's output is never echoed: it is parsed here and every error text is redacted.
import { getExecOutput } from '@actions/exec'
import { redact } from '../secrets.js'
import {
  KubernetesError,
  type ContainerState,
  type KubernetesCluster,
  type NamespaceState,
  type PodState,
  type PvcState,
  type SecretObject,
  type StorageClassState,
  type WarningEvent
} from './port.js'

/** The field manager the action's server-side applies are recorded under. */
export const FIELD_MANAGER = 'connected-registry-action'

export interface KubectlOptions {
  /** Explicit kubeconfig path; default: kubectl's own resolution (the `KUBECONFIG` variable). */
  kubeconfig?: string
  context?: string
  /** kubectl binary (default `kubectl` on PATH). */
  binary?: string
  /** Discovery cache directory (default kubectl's, under HOME); the runner's temp dir keeps jobs apart. */
  cacheDir?: string
  /** Per-request timeout kubectl enforces (default 30s). */
  requestTimeout?: string
}

export type Runner = (
  binary: string,
  args: string[],
  input?: string
) => Promise<{ exitCode: number; stdout: string; stderr: string }>

const execRunner: Runner = async (binary, args, input) =>
  getExecOutput(binary, args, {
    silent: true,
    ignoreReturnCode: true,
    ...(input !== undefined ? { input: Buffer.from(input, 'utf8') } : {})
  })

type Json = Record<string, unknown>

export class KubectlCluster implements KubernetesCluster {
  constructor(
    private readonly options: KubectlOptions = {},
    private readonly runner: Runner = execRunner
  ) {}

  async namespace(name: string): Promise<NamespaceState | undefined> {
    const ns = await this.getJson(['get', 'namespace', name])
    if (!ns) return undefined
    return { name, phase: str(field(ns, 'status', 'phase')) || 'Active' }
  }

  async secret(namespace: string, name: string): Promise<SecretObject | undefined> {
    const s = await this.getJson(['-n', namespace, 'get', 'secret', name])
    if (!s) return undefined
    const data: Record<string, string> = {}
    for (const [k, v] of Object.entries(obj(s.data)))
      data[k] = Buffer.from(str(v), 'base64').toString('utf8')
    return {
      namespace,
      name,
      type: str(s.type),
      labels: strings(field(s, 'metadata', 'labels')),
      data
    }
  }

  async applySecret(secret: SecretObject): Promise<void> {
    const manifest = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secret.name, namespace: secret.namespace, labels: secret.labels },
      type: secret.type,
      data: Object.fromEntries(
        Object.entries(secret.data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])
      )
    }
    await this.run(
      [
        'apply',
        '--server-side',
        `--field-manager=${FIELD_MANAGER}`,
        '--force-conflicts',
        '-o',
        'name',
        '-f',
        '-'
      ],
      JSON.stringify(manifest)
    )
  }

  async deleteSecret(namespace: string, name: string): Promise<boolean> {
    const out = await this.run([
      '-n',
      namespace,
      'delete',
      'secret',
      name,
      '--ignore-not-found',
      '-o',
      'name'
    ])
    return out.trim() !== ''
  }

  async pods(namespace: string): Promise<PodState[]> {
    return items(await this.listJson(['-n', namespace, 'get', 'pods'])).map(podState)
  }

  async persistentVolumeClaims(namespace: string): Promise<PvcState[]> {
    return items(await this.listJson(['-n', namespace, 'get', 'persistentvolumeclaims'])).map(
      (p) => ({
        name: str(field(p, 'metadata', 'name')),
        phase: str(field(p, 'status', 'phase')),
        storageClass: str(field(p, 'spec', 'storageClassName')) || undefined,
        requestedStorage: str(field(p, 'spec', 'resources', 'requests', 'storage')) || undefined
      })
    )
  }

  async storageClasses(): Promise<StorageClassState[]> {
    return items(await this.listJson(['get', 'storageclasses'])).map((c) => ({
      name: str(field(c, 'metadata', 'name')),
      isDefault:
        str(field(c, 'metadata', 'annotations', 'storageclass.kubernetes.io/is-default-class')) ===
        'true'
    }))
  }

  async warningEvents(namespace: string): Promise<WarningEvent[]> {
    const events = items(
      await this.listJson(['-n', namespace, 'get', 'events', '--field-selector', 'type=Warning'])
    ).map((e) => ({
      object: `${str(field(e, 'involvedObject', 'kind'))}/${str(field(e, 'involvedObject', 'name'))}`,
      reason: str(e.reason),
      message: str(e.message),
      count: typeof e.count === 'number' ? e.count : 1,
      lastSeen:
        str(e.lastTimestamp) || str(e.eventTime) || str(field(e, 'metadata', 'creationTimestamp'))
    }))
    return events.sort((a, b) => a.lastSeen.localeCompare(b.lastSeen))
  }

  async podLog(namespace: string, pod: string, tailLines: number): Promise<string[]> {
    const out = await this.run(['-n', namespace, 'logs', pod, `--tail=${tailLines}`])
    return out.split('\n').filter((l) => l !== '')
  }

  // ---- running kubectl ---------------------------------------------------------------------

  private baseArgs(): string[] {
    return [
      ...(this.options.kubeconfig ? ['--kubeconfig', this.options.kubeconfig] : []),
      ...(this.options.context ? ['--context', this.options.context] : []),
      ...(this.options.cacheDir ? ['--cache-dir', this.options.cacheDir] : []),
      `--request-timeout=${this.options.requestTimeout ?? '30s'}`
    ]
  }

  private async run(args: string[], input?: string): Promise<string> {
    const command = args.filter((a) => a !== '-f' && a !== '-').join(' ')
    let result: Awaited<ReturnType<Runner>>
    try {
      result = await this.runner(
        this.options.binary ?? 'kubectl',
        [...this.baseArgs(), ...args],
        input
      )
    } catch (e) {
      throw new KubernetesError(command, redact((e as Error).message))
    }
    if (result.exitCode !== 0) {
      const detail = redact(result.stderr.trim() || `exit code ${result.exitCode}`)
      throw new KubernetesError(command, detail, /\(NotFound\)/.test(result.stderr))
    }
    return result.stdout
  }

  private async getJson(args: string[]): Promise<Json | undefined> {
    try {
      return JSON.parse(await this.run([...args, '-o', 'json'])) as Json
    } catch (e) {
      if (e instanceof KubernetesError && e.notFound) return undefined
      throw e
    }
  }

  private async listJson(args: string[]): Promise<Json> {
    return JSON.parse(await this.run([...args, '-o', 'json'])) as Json
  }
}

function podState(p: Json): PodState {
  const statuses = Array.isArray(field(p, 'status', 'containerStatuses'))
    ? (field(p, 'status', 'containerStatuses') as Json[])
    : []
  const specContainers = Array.isArray(field(p, 'spec', 'containers'))
    ? (field(p, 'spec', 'containers') as Json[])
    : []
  const containers: ContainerState[] = specContainers.map((c) => {
    const s = statuses.find((x) => x.name === c.name) ?? {}
    return {
      name: str(c.name),
      image: str(c.image),
      ready: s.ready === true,
      restartCount: typeof s.restartCount === 'number' ? s.restartCount : 0,
      waitingReason: str(field(s, 'state', 'waiting', 'reason')),
      waitingMessage: str(field(s, 'state', 'waiting', 'message')) || undefined,
      lastTerminationReason: str(field(s, 'lastState', 'terminated', 'reason')) || undefined
    }
  })
  const conditions = Array.isArray(field(p, 'status', 'conditions'))
    ? (field(p, 'status', 'conditions') as Json[])
    : []
  const unmet = conditions.find((c) => c.status === 'False' && str(c.reason))
  return {
    name: str(field(p, 'metadata', 'name')),
    phase: str(field(p, 'status', 'phase')),
    containers,
    conditionReason: unmet ? str(unmet.reason) : undefined,
    conditionMessage: unmet ? str(unmet.message) || undefined : undefined
  }
}

function items(list: Json): Json[] {
  return Array.isArray(list.items) ? (list.items as Json[]) : []
}

function field(o: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>(
    (v, k) => (typeof v === 'object' && v !== null ? (v as Json)[k] : undefined),
    o
  )
}

function obj(v: unknown): Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {}
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : ''
}

function strings(v: unknown): Record<string, string> {
  return Object.fromEntries(
    Object.entries(obj(v)).filter(([, x]) => typeof x === 'string')
  ) as Record<string, string>
}

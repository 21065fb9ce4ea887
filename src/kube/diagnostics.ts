// The cluster's own view of a failed or timed-out deploy: the release namespace's pods, PVCs and
// recent warning events, and the connected registry pod's last log lines, every line redacted;
// with the documented causes recognised and named, each with its fix.
import { redact } from '../secrets.js'
import { FIX, TEXT, type Cause, type CauseId } from './messages.js'
import type {
  KubernetesCluster,
  PodState,
  PvcState,
  StorageClassState,
  WarningEvent
} from './port.js'

export interface DiagnosticsOptions {
  namespace: string
  /** How many of the connected registry pod's last log lines to show (default 50). */
  logLines?: number
  /** How many of the most recent warning events to show (default 20). */
  events?: number
  /** The extension's release name: its pod is the one whose log is shown when several
   * connected registries share the namespace. */
  release?: string
}

export interface ClusterDiagnostics {
  /** Sections of already redacted lines: Pods, PVCs, Warning events, Log of <pod>. */
  sections: { title: string; lines: string[] }[]
  causes: Cause[]
}

/** The connected registry's own image, whatever the tag or registry mirror. */
const REGISTRY_IMAGE = /(^|\/)acr\/connected-registry(:|@|$)/
const CERTIFICATE =
  /x509:|certificate (has expired|is not valid|signed by unknown authority)|tls: (failed|bad certificate|handshake)|certificate verify failed/i
const LOG_CODES: { code: string; cause: CauseId }[] = [
  { code: 'ALREADY_ACTIVATED', cause: 'already-activated' },
  { code: 'UNAUTHORIZED', cause: 'unauthorized' }
]
const IMAGE_PULL = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull'
])

export async function collectDiagnostics(
  cluster: KubernetesCluster,
  options: DiagnosticsOptions
): Promise<ClusterDiagnostics> {
  const { namespace } = options
  const causes: Cause[] = []
  const cause = (id: CauseId, finding: string): void => {
    const redacted = redact(finding)
    if (!causes.some((c) => c.id === id && c.finding === redacted))
      causes.push({ id, finding: redacted, fix: FIX[id] })
  }
  const sections: ClusterDiagnostics['sections'] = []
  const section = (title: string, lines: string[]): void => {
    sections.push({ title, lines: lines.map(redact) })
  }
  // Each part is collected on its own: a refusal of one (RBAC, say) still leaves the others.
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn()
    } catch (e) {
      section(what, [`(could not read: ${(e as Error).message})`])
      return undefined
    }
  }

  const ns = await attempt('Namespace', () => cluster.namespace(namespace))
  if (ns?.phase === 'Terminating')
    cause('namespace-terminating', TEXT.namespaceIsTerminating(namespace))
  if (ns === undefined && !sections.some((s) => s.title === 'Namespace'))
    section('Namespace', [`namespace ${namespace} does not exist`])

  const pods = (await attempt('Pods', () => cluster.pods(namespace))) ?? []
  section('Pods', pods.length > 0 ? pods.map(podLine) : ['(none)'])
  for (const pod of pods)
    for (const c of pod.containers) {
      if (c.waitingReason && IMAGE_PULL.has(c.waitingReason))
        cause(
          'image-pull',
          TEXT.imagePull(pod.name, c.name, c.waitingReason, c.waitingMessage ?? '')
        )
      if (c.waitingMessage && CERTIFICATE.test(c.waitingMessage))
        cause('certificate', TEXT.certificate(`pod ${pod.name}`, c.waitingMessage))
    }

  const pvcs = (await attempt('PVCs', () => cluster.persistentVolumeClaims(namespace))) ?? []
  const classes = pvcs.some((p) => p.phase === 'Pending')
    ? await attempt('Storage classes', () => cluster.storageClasses())
    : undefined
  section('PVCs', pvcs.length > 0 ? pvcs.map(pvcLine) : ['(none)'])
  for (const pvc of pvcs.filter((p) => p.phase === 'Pending')) pvcCause(pvc, classes, cause)

  const events = (await attempt('Warning events', () => cluster.warningEvents(namespace))) ?? []
  const recent = events.slice(-(options.events ?? 20))
  section('Warning events', recent.length > 0 ? recent.map(eventLine) : ['(none)'])
  for (const e of recent) {
    if (CERTIFICATE.test(e.message)) cause('certificate', TEXT.certificate(e.object, e.message))
    if (
      /^Failed$/.test(e.reason) &&
      /pull/i.test(e.message) &&
      !causes.some((c) => c.id === 'image-pull')
    )
      cause('image-pull', `${e.object}: ${e.message}`)
  }

  const registryPods = pods.filter((p) => p.containers.some((c) => REGISTRY_IMAGE.test(c.image)))
  const release = options.release?.toLowerCase()
  const registryPod =
    (release && registryPods.find((p) => p.name.toLowerCase().startsWith(`${release}-`))) ||
    registryPods.find((p) => p.containers.some((c) => !c.ready)) ||
    registryPods[0]
  if (registryPod) {
    const title = `Log of ${registryPod.name}`
    let lines: string[]
    try {
      lines = await cluster.podLog(namespace, registryPod.name, options.logLines ?? 50)
    } catch (e) {
      lines = [TEXT.logUnavailable(registryPod.name, (e as Error).message)]
    }
    section(title, lines.length > 0 ? lines : ['(empty)'])
    for (const line of lines) {
      // A crash loop repeats the same error: the first line that shows a code names the cause.
      for (const { code, cause: id } of LOG_CODES)
        if (line.includes(code) && !causes.some((c) => c.id === id))
          cause(id, TEXT.logCode(registryPod.name, code, line.trim()))
      if (CERTIFICATE.test(line))
        cause('certificate', TEXT.certificate(`pod ${registryPod.name} log`, line.trim()))
    }
  }
  return { sections, causes }
}

function pvcCause(
  pvc: PvcState,
  classes: StorageClassState[] | undefined,
  cause: (id: CauseId, finding: string) => void
): void {
  if (classes) {
    const names = classes.map((c) => c.name)
    const missing = pvc.storageClass
      ? !names.includes(pvc.storageClass)
      : !classes.some((c) => c.isDefault)
    if (missing) {
      cause('storage-class-missing', TEXT.storageClassMissing(pvc.name, pvc.storageClass, names))
      return
    }
  }
  cause('pvc-pending', TEXT.pvcPending(pvc.name, pvc.storageClass))
}

function podLine(pod: PodState): string {
  const restarts = pod.containers.reduce((n, c) => n + c.restartCount, 0)
  const ready = `${pod.containers.filter((c) => c.ready).length}/${pod.containers.length}`
  const waiting = pod.containers
    .filter((c) => c.waitingReason)
    .map((c) => `${c.name}: ${c.waitingReason}${c.waitingMessage ? ` (${c.waitingMessage})` : ''}`)
  const condition = pod.conditionReason
    ? [`${pod.conditionReason}${pod.conditionMessage ? ` (${pod.conditionMessage})` : ''}`]
    : []
  return [
    `${pod.name}  ${pod.phase}  ready ${ready}  restarts ${restarts}`,
    ...waiting,
    ...condition
  ].join('  ')
}

function pvcLine(pvc: PvcState): string {
  return `${pvc.name}  ${pvc.phase}  storage class ${pvc.storageClass ?? '(none)'}${pvc.requestedStorage ? `  ${pvc.requestedStorage}` : ''}`
}

function eventLine(e: WarningEvent): string {
  return `${e.lastSeen}  ${e.object}  ${e.reason}${e.count > 1 ? ` (x${e.count})` : ''}: ${e.message}`
}

/** The diagnostics as log lines (one block per section, then the causes with their fixes). */
export function formatDiagnostics(d: ClusterDiagnostics): string[] {
  const lines: string[] = []
  for (const s of d.sections) lines.push(`${s.title}:`, ...s.lines.map((l) => `  ${l}`))
  if (d.causes.length > 0) {
    lines.push('Recognised causes:')
    for (const c of d.causes) lines.push(`  ${c.id}: ${c.finding}`, `    fix: ${c.fix}`)
  }
  return lines
}

// Polls until the extension is provisioned and the connected registry is Active and Online,
// and explains clearly why when it is not.

import type { ConnectedRegistry } from '@azure/arm-containerregistry'
import type { Extension } from '@azure/arm-kubernetesconfiguration'
import { ActionError } from './azure/errors.js'
import { extensionStuckOffline, noReportFromUpdatedInstance, STATUS_FIXES } from './messages.js'
import { nameFromId, readConnectedRegistry, readExtension, readToken } from './observe.js'
import type { Clock } from './ports.js'
import type { RunContext } from './run-context.js'
import type { Settings } from './settings.js'

const KUBECTL_HINT =
  'On the cluster: kubectl get pods -n connected-registry; kubectl logs -n connected-registry -l app.kubernetes.io/name=connected-registry; kubectl get events -n connected-registry --sort-by=.lastTimestamp.'

/** Extension failures by what their message mentions (connected-registry.md §6). */
function extensionFix(message: string): string {
  const text = message.toLowerCase()
  if (text.includes('clusterip') || text.includes('service ip') || text.includes('cidr')) {
    return "Set 'service-cluster-ip' to a free address inside the cluster's service CIDR (kubectl get services -A shows the ones in use)."
  }
  if (text.includes('cert-manager')) {
    return "Check the 'tls' input: 'existing-cert-manager' needs cert-manager already on the cluster; 'cert-manager' installs its own and conflicts with another one."
  }
  if (text.includes('tls') || text.includes('certificate') || text.includes('key')) {
    return "Check 'tls-cert', 'tls-key' and 'tls-ca-cert' (PEM or base64 of PEM; the key must match the certificate), or 'tls-secret'."
  }
  if (text.includes('connectionstring') || text.includes('connection string')) {
    return 'Re-run the step: the action sends a fresh connection string.'
  }
  if (text.includes("can't reuse a name") || text.includes('being terminated')) {
    return 'A previous installation is still being removed. Wait a few minutes and re-run, or use another extension-name.'
  }
  if (text.includes('chart') && text.includes('not found')) {
    return "The 'extension-version' does not exist: use a valid version or leave it empty."
  }
  return KUBECTL_HINT
}

export function describeExtensionFailure(extension: Extension, settings: Settings): ActionError {
  const error = extension.errorInfo
  const statuses = (extension.statuses ?? [])
    .filter((s) => s.message)
    .map((s) => `${s.level ?? 'Info'} ${s.code ?? ''}: ${s.message}`.trim())
  const message = error?.message ?? statuses[0] ?? 'no error details were reported'
  return new ActionError(
    `Extension '${settings.target.extensionName}' on cluster '${settings.target.cluster}' ended in state ${extension.provisioningState}: ${message}` +
      `${error?.code ? ` (error code ${error.code})` : ''}.` +
      `${statuses.length > 1 ? ` Statuses: ${statuses.join(' | ')}.` : ''} ${extensionFix(message)}`
  )
}

export function describeRegistryState(cr: ConnectedRegistry | undefined): string {
  if (!cr) return 'the connected registry was not found'
  const details = (cr.statusDetails ?? [])
    .map((d) => `${d.code}${d.description ? ` (${d.description})` : ''}`)
    .join(', ')
  return (
    `connectionState ${cr.connectionState ?? 'unknown'}, activation ${cr.activation?.status ?? 'unknown'}` +
    (details ? `, statusDetails ${details}` : '') +
    (cr.lastActivityTime ? `, last activity ${cr.lastActivityTime.toISOString()}` : '')
  )
}

/** What the action waits for: the registry activated by its instance and reporting Online. */
export const isActiveAndOnline = (cr: ConnectedRegistry | undefined): cr is ConnectedRegistry =>
  cr?.activation?.status === 'Active' && (cr.connectionState ?? '').toLowerCase() === 'online'

/** The registry did not come Online; `codes` are its status details (UNAUTHORIZED, ...). */
export class RegistryStateError extends ActionError {
  constructor(
    message: string,
    readonly codes: string[],
    /** It stayed Unhealthy with the extension settled: one repair cycle may fix it. */
    readonly settledUnhealthy: boolean
  ) {
    super(message)
    this.name = 'RegistryStateError'
  }
}

function registryFailure(
  cr: ConnectedRegistry,
  settings: Settings,
  prefix: string,
  settledUnhealthy = false
): RegistryStateError {
  const codes = (cr.statusDetails ?? []).map((d) => (d.code ?? '').toUpperCase())
  const fixes = codes.map((code) => STATUS_FIXES[code]).filter(Boolean)
  return new RegistryStateError(
    `${prefix} Connected registry '${settings.target.connectedRegistry}': ${describeRegistryState(cr)}. ${fixes.length ? fixes.join(' ') : KUBECTL_HINT}`,
    codes,
    settledUnhealthy
  )
}

const TERMINAL = new Set(['succeeded', 'failed', 'canceled'])

/**
 * Waits out an operation another run started on the extension (Creating/Updating/Deleting).
 * On a cluster that is not Connected the operation cannot finish: a teardown with force-delete
 * goes on (the forced delete cancels it), anything else fails at once naming the cluster.
 */
export async function settleExtension(
  run: RunContext,
  current: Extension | undefined,
  cluster?: { connectivityStatus: string }
): Promise<Extension | undefined> {
  const { settings, log, deadline } = run
  let extension = current
  let announced = false
  const pending = (ext: Extension | undefined): ext is Extension =>
    ext !== undefined && !TERMINAL.has((ext.provisioningState ?? 'succeeded').toLowerCase())
  if (pending(extension) && cluster && cluster.connectivityStatus.toLowerCase() !== 'connected') {
    const { operation, forceDelete } = settings.behaviour
    if (operation === 'teardown' && forceDelete) {
      log.info(
        `Extension '${settings.target.extensionName}' is ${extension.provisioningState} on a cluster that is ${cluster.connectivityStatus}: force-delete removes it from Azure without waiting.`
      )
      return extension
    }
    // A plan only reads: it shows the state as it is.
    if (operation !== 'plan') {
      throw new ActionError(
        extensionStuckOffline(
          settings.target.extensionName,
          extension.provisioningState ?? 'pending',
          settings.target.cluster,
          cluster.connectivityStatus
        )
      )
    }
    return extension
  }
  while (pending(extension)) {
    if (!announced) {
      log.info(
        `Extension '${settings.target.extensionName}' is ${extension.provisioningState} (another operation is running on it); waiting for it to finish before planning.`
      )
      announced = true
    }
    if (!(await deadline.pause(settings.behaviour.pollIntervalMs))) {
      throw deadline.exceeded(
        `Extension '${settings.target.extensionName}' stayed ${extension.provisioningState}: another operation is still running on it; re-run later.`
      )
    }
    extension = await readExtension(run)
  }
  return extension
}

export interface WaitResult {
  extension: Extension
  connectedRegistry: ConnectedRegistry
  /** When Online was first seen. */
  onlineAt: Date
}

/** How many fresh Unhealthy reports with status details the run accepts before it gives up. */
const UNHEALTHY_POLLS = 3
/** The pause between reads while a transition is due (a write just accepted, a report expected). */
const QUICK_POLL_MS = 1_000
/** How much slower each read gets while Azure stays busy with the extension. */
const BACKOFF_FACTOR = 2

/**
 * Reads per site within a budget: a bucket of one minute's reads at the `poll-interval` pace,
 * refilled at that pace. Quick reads while a transition is due spend the bucket; once it is
 * empty the reads come at `poll-interval` again, so that over time a site never reads more
 * often than the configured poll, however long it waits.
 */
export class ReadBudget {
  private tokens: number
  private refilledAt: number
  readonly capacity: number

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number
  ) {
    this.capacity = Math.max(1, Math.ceil(60_000 / intervalMs))
    this.tokens = this.capacity
    this.refilledAt = clock.now()
  }

  private refill(): void {
    const now = this.clock.now()
    const earned = (now - this.refilledAt) / this.intervalMs
    this.tokens = Math.min(this.capacity, this.tokens + earned)
    this.refilledAt = now
  }

  /** Records one read. */
  spend(): void {
    this.refill()
    this.tokens -= 1
  }

  /** How long to pause before the next read, when `desiredMs` would be best. */
  pauseBefore(desiredMs: number): number {
    this.refill()
    const untilToken = this.tokens >= 1 ? 0 : (1 - this.tokens) * this.intervalMs
    return Math.max(desiredMs, untilToken)
  }
}

export interface WaitOptions {
  /**
   * When this run sent its extension write (runner clock, ms); absent when it wrote none. The
   * write replaces the running instance (a restarted pod); until the new one reports, the
   * registry still shows what the previous instance last said (Online, or a stale
   * UNAUTHORIZED). So only a report made after the release landed is believed: its last
   * activity must be later than the last read that still saw the extension pending (or the
   * write, when the first read already saw it done) and than the activity before the run.
   */
  extensionWrittenAt?: number
  /** The registry's last activity as read before the run's writes. */
  activityBefore?: Date
  /**
   * The password slot the run delivered. An Online reported before that slot's password was
   * last generated (another run, a person) proves nothing about the password now in it.
   */
  passwordSlot?: string
}

export async function waitUntilOnline(
  run: RunContext,
  options: WaitOptions = {}
): Promise<WaitResult> {
  const { settings, log, deadline } = run
  const { clock } = deadline
  const { pollIntervalMs } = settings.behaviour
  const budget = new ReadBudget(clock, pollIntervalMs)
  const quick = Math.min(QUICK_POLL_MS, pollIntervalMs)
  // What the deadline reports when it ends a read in flight: the last state seen, not "aborted".
  let onDeadline: (() => Error) | undefined
  const read = async <T>(reader: () => Promise<T>): Promise<T> => {
    budget.spend()
    try {
      return await reader()
    } catch (error) {
      if (deadline.expired() && onDeadline) throw onDeadline()
      throw error
    }
  }

  let extension: Extension | undefined
  let lastExtensionState = ''
  let pendingSeenAt = options.extensionWrittenAt
  let delay = quick
  // Azure never installs a release at once: the first read comes a quick pause after the write.
  if (options.extensionWrittenAt !== undefined) await deadline.pause(quick)
  for (;;) {
    const readAt = clock.now()
    extension = await read(() => readExtension(run))
    if (!extension) {
      throw new ActionError(
        `Extension '${settings.target.extensionName}' disappeared while waiting for it (deleted by another run?). Re-run the step.`
      )
    }
    const state = extension.provisioningState ?? 'Unknown'
    if (state !== lastExtensionState) {
      log.info(`Extension: ${state}`)
      lastExtensionState = state
    }
    if (state === 'Succeeded') break
    if (state === 'Failed' || state === 'Canceled')
      throw describeExtensionFailure(extension, settings)
    if (options.extensionWrittenAt !== undefined) pendingSeenAt = readAt
    const pending = (extension.statuses ?? []).map((s) => s.message).filter(Boolean)
    onDeadline = () =>
      deadline.exceeded(
        `Extension '${settings.target.extensionName}' was still ${state}` +
          `${pending.length ? `: ${pending.join(' | ')}` : ''}. If the cluster is offline, the extension stays pending until it reconnects (protected settings are kept for 48 hours). ${KUBECTL_HINT}`
      )
    if (!(await deadline.pause(budget.pauseBefore(delay)))) throw onDeadline()
    // Azure busy for minutes: read less and less often, up to the poll interval.
    delay = Math.min(pollIntervalMs, delay * BACKOFF_FACTOR)
  }

  // Reports older than this may come from the instance the run replaced.
  const newerThan = Math.max(
    pendingSeenAt ?? Number.NEGATIVE_INFINITY,
    options.activityBefore?.getTime() ?? Number.NEGATIVE_INFINITY
  )
  const isFresh = (cr: ConnectedRegistry): boolean =>
    options.extensionWrittenAt === undefined ||
    (cr.lastActivityTime !== undefined && cr.lastActivityTime.getTime() > newerThan)

  let regeneratedSaid = false
  /**
   * The Online was reported after the delivered slot's password was last generated. Checked
   * after a short hold (a quick read's pause): a password regenerated right after the instance
   * reported (an overlapping run) shows there before the instance next reports.
   */
  async function reportedAfterPassword(cr: ConnectedRegistry): Promise<boolean> {
    const tokenName = nameFromId(cr.parent?.syncProperties?.tokenId, 'tokens')
    if (options.extensionWrittenAt === undefined || !options.passwordSlot || !tokenName) return true
    await deadline.pause(budget.pauseBefore(quick))
    const token = await read(() => readToken(run, tokenName))
    const created = token?.credentials?.passwords?.find(
      (password) => password.name === options.passwordSlot
    )?.creationTime
    if (!created || !cr.lastActivityTime || cr.lastActivityTime > created) return true
    if (!regeneratedSaid) {
      log.info(
        `The ${options.passwordSlot} password was generated again after the instance last reported (another run or a person): waiting for its next report.`
      )
      regeneratedSaid = true
    }
    return false
  }

  let unhealthyPolls = 0
  let lastRegistryState = ''
  let waitingForOthers = false
  let staleSaid = false
  delay = quick
  for (;;) {
    const cr = await read(() => readConnectedRegistry(run))
    const state = describeRegistryState(cr)
    if (state !== lastRegistryState) {
      log.info(`Connected registry: ${state}`)
      lastRegistryState = state
    }
    const fresh = cr !== undefined && isFresh(cr)
    if (isActiveAndOnline(cr) && fresh && (await reportedAfterPassword(cr))) {
      return { extension, connectedRegistry: cr, onlineAt: new Date(clock.now()) }
    }
    if (cr && !fresh && cr.lastActivityTime !== undefined && !staleSaid) {
      log.info(
        'Waiting for the updated instance to report: the state above is what the instance before the update last reported.'
      )
      staleSaid = true
    }
    if (
      cr &&
      fresh &&
      (cr.connectionState ?? '').toLowerCase() === 'unhealthy' &&
      cr.statusDetails?.length
    ) {
      // Another operation on the extension (a run that overlaps this one) leaves the registry
      // unhealthy until it lands: wait for it rather than blame a state it passes through.
      const current = await read(() => readExtension(run))
      const state = current?.provisioningState ?? 'Succeeded'
      if (state === 'Failed') throw describeExtensionFailure(current as Extension, settings)
      if (!TERMINAL.has(state.toLowerCase())) {
        if (!waitingForOthers) {
          log.info(
            `Extension '${settings.target.extensionName}' is ${state} again (another operation started on it); waiting for it to finish.`
          )
          waitingForOthers = true
        }
        unhealthyPolls = 0
      } else if (++unhealthyPolls >= UNHEALTHY_POLLS) {
        throw registryFailure(cr, settings, 'The connected registry reports Unhealthy.', true)
      }
    } else {
      unhealthyPolls = 0
    }
    onDeadline = () => {
      if (!cr) {
        return new ActionError(
          `Connected registry '${settings.target.connectedRegistry}' disappeared while waiting for it.`
        )
      }
      const stale = !fresh && cr.lastActivityTime !== undefined
      return deadline.exceeded(
        !stale
          ? registryFailure(cr, settings, 'The connected registry did not come Online.').message
          : noReportFromUpdatedInstance(describeRegistryState(cr), KUBECTL_HINT)
      )
    }
    if (!(await deadline.pause(budget.pauseBefore(delay)))) throw onDeadline()
  }
}

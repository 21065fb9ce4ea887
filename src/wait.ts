// Polls until the extension is provisioned and the connected registry is Active and Online,
// and explains clearly why when it is not.

import type { ConnectedRegistry } from '@azure/arm-containerregistry'
import type { Extension } from '@azure/arm-kubernetesconfiguration'
import { ActionError } from './azure/errors.js'
import { readConnectedRegistry, readExtension } from './observe.js'
import type { RunContext } from './run-context.js'
import type { Settings } from './settings.js'

/** What the connected registry's status codes mean, and the documented fix. */
export const STATUS_FIXES: Record<string, string> = {
  UNAUTHORIZED:
    'The instance presents a sync-token password that is wrong or was regenerated. Re-run the step: the action generates a fresh password into the unused slot and updates the extension. Do not regenerate the slot in use by hand.',
  ALREADY_ACTIVATED:
    'Another instance activated this connected registry (typically a deleted and recreated extension, or the same connected registry on another cluster). Re-run the step: the action deactivates a registry whose instance no longer runs. Give each cluster its own connected-registry name.',
  DISKERROR:
    'The instance cannot write to its volume (permissions, or the disk is full). Check the PVC (kubectl get pvc -n connected-registry) and the storage-class/storage-size inputs; lower log-level to reduce logs.'
}

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

/** Waits out an operation another run started on the extension (Creating/Updating/Deleting). */
export async function settleExtension(
  run: RunContext,
  current: Extension | undefined
): Promise<Extension | undefined> {
  const { settings, log, deadline } = run
  let extension = current
  let announced = false
  while (extension && !TERMINAL.has((extension.provisioningState ?? 'succeeded').toLowerCase())) {
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

/** How many polls an Unhealthy state with status details may last before the run gives up. */
const UNHEALTHY_POLLS = 3
/** How many polls an Online that may predate the new release must hold before it is believed. */
const STALE_ONLINE_POLLS = 3

export interface WaitOptions {
  /**
   * This run wrote the extension. The new release replaces the running instance when it lands;
   * until the new instance reports, the registry still shows the Online of the old one (which
   * keeps reporting while the update is on its way). So an Online is believed at once only when
   * its last activity is after the extension was seen settled, else once it has held for a few
   * polls: a password that no longer works turns it UNAUTHORIZED within that time.
   */
  wroteExtension?: boolean
}

export async function waitUntilOnline(
  run: RunContext,
  options: WaitOptions = {}
): Promise<WaitResult> {
  const { settings, log, deadline } = run
  const { pollIntervalMs } = settings.behaviour

  let extension: Extension | undefined
  let lastExtensionState = ''
  for (;;) {
    extension = await readExtension(run)
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
    if (!(await deadline.pause(pollIntervalMs))) {
      const pending = (extension.statuses ?? []).map((s) => s.message).filter(Boolean)
      throw deadline.exceeded(
        `Extension '${settings.target.extensionName}' was still ${state}` +
          `${pending.length ? `: ${pending.join(' | ')}` : ''}. If the cluster is offline, the extension stays pending until it reconnects (protected settings are kept for 48 hours). ${KUBECTL_HINT}`
      )
    }
  }
  // The new release has landed by now (runner clock: a skew only costs the few extra polls).
  const settledAt = new Date(deadline.clock.now())

  let unhealthyPolls = 0
  let onlinePolls = 0
  let lastRegistryState = ''
  let waitingForOthers = false
  for (;;) {
    const cr = await readConnectedRegistry(run)
    const state = describeRegistryState(cr)
    if (state !== lastRegistryState) {
      log.info(`Connected registry: ${state}`)
      lastRegistryState = state
    }
    if (isActiveAndOnline(cr)) {
      const fresh =
        !options.wroteExtension ||
        (cr.lastActivityTime !== undefined && cr.lastActivityTime > settledAt) ||
        ++onlinePolls >= STALE_ONLINE_POLLS
      if (fresh)
        return { extension, connectedRegistry: cr, onlineAt: new Date(deadline.clock.now()) }
    } else {
      onlinePolls = 0
    }
    if (
      cr &&
      (cr.connectionState ?? '').toLowerCase() === 'unhealthy' &&
      cr.statusDetails?.length
    ) {
      // Another operation on the extension (a run that overlaps this one) leaves the registry
      // unhealthy until it lands: wait for it rather than blame a state it passes through.
      const current = await readExtension(run)
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
    if (!(await deadline.pause(pollIntervalMs))) {
      throw cr
        ? deadline.exceeded(
            registryFailure(cr, settings, 'The connected registry did not come Online.').message
          )
        : new ActionError(
            `Connected registry '${settings.target.connectedRegistry}' disappeared while waiting for it.`
          )
    }
  }
}

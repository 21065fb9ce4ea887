// One run of an operation against one site, through Azure's port: read what exists, plan the
// difference, check permissions, apply, wait until Online (repairing once), revoke. No runner
// I/O here: main.ts turns the result into outputs, the summary and the exit status.

import { applyPlan, revokePassword, type ExecutionResult } from './execute.js'
import { ActionError, messageOf } from './azure/errors.js'
import { pullFailureWarning } from './kube/cluster-state.js'
import {
  collectDiagnostics,
  formatDiagnostics,
  type ClusterDiagnostics
} from './kube/diagnostics.js'
import { TEXT } from './kube/messages.js'
import { NO_CONNECTION_STRING_UNCHANGED, teardownIncomplete } from './messages.js'
import { observeState, readConnectedRegistry, type ObservedState } from './observe.js'
import { planDeploy, restartNotReported } from './plan/deploy.js'
import { otherSlot, PASSWORD_SLOT_SETTING, type Plan, type PlanStep } from './plan/model.js'
import { planRotation } from './plan/rotation.js'
import { planTeardown } from './plan/teardown.js'
import type { Log } from './ports.js'
import { checkPermissions } from './preflight.js'
import { formatPlan, type FinalState } from './report.js'
import type { RunContext } from './run-context.js'
import type { PasswordSlot, Settings } from './settings.js'
import {
  isActiveAndOnline,
  RegistryStateError,
  settleExtension,
  waitUntilOnline,
  type WaitOptions,
  type WaitResult
} from './wait.js'

const isOnline = (observed: ObservedState): boolean =>
  isActiveAndOnline(observed.connectedRegistry) &&
  observed.extension?.provisioningState === 'Succeeded'

/** How long a run waits for a restarted pod's first report before planning without it. */
const RESTART_REPORT_WAIT_MS = 120_000

/**
 * The pod the extension's last write restarted (an earlier run that died or overlaps this one)
 * has not reported yet, so its predecessor may still serve with the other password slot: wait
 * for its report (bounded), so that the plan knows which password is in use. Without it the
 * plan keeps the predecessor's slot (restartNotReported).
 */
async function awaitRestartReport(
  run: RunContext,
  observed: ObservedState
): Promise<ObservedState> {
  const { settings, log, deadline } = run
  const serving = restartNotReported(observed)
  if (!serving || !['deploy', 'rotate-credentials'].includes(settings.behaviour.operation)) {
    return observed
  }
  log.info(
    `The pod that extension '${settings.target.extensionName}' last restarted has not reported yet; the one before it may still serve with ${serving}: waiting for its report before planning.`
  )
  const until = deadline.clock.now() + RESTART_REPORT_WAIT_MS
  let current = observed
  while (restartNotReported(current) && deadline.clock.now() < until) {
    if (!(await deadline.pause(settings.behaviour.pollIntervalMs))) break
    current = { ...current, connectedRegistry: await readConnectedRegistry(run) }
  }
  if (restartNotReported(current)) {
    log.info(`No report came: the plan leaves ${serving} alone.`)
    return current
  }
  return observeState(run)
}

export async function readState(run: RunContext): Promise<ObservedState> {
  const { log } = run
  let observed = await observeState(run)
  const settled = await settleExtension(run, observed.extension, observed.cluster)
  if (settled !== observed.extension) observed = await observeState(run)
  observed = await awaitRestartReport(run, observed)
  log.info(
    `Registry: ${observed.registry ? `${observed.registry.sku}, data endpoint ${observed.registry.dataEndpointEnabled ? 'enabled' : 'disabled'}` : 'not found'}`
  )
  log.info(`Cluster: ${observed.cluster?.connectivityStatus ?? 'not found'}`)
  log.info(
    `Connected registry: ${observed.connectedRegistry ? `${observed.connectedRegistry.connectionState ?? 'unknown'}, ${observed.connectedRegistry.activation?.status ?? 'unknown'}` : 'absent'}`
  )
  log.info(`Extension: ${observed.extension?.provisioningState ?? 'absent'}`)
  const failures = observed.kube?.pullFailures ?? []
  if (failures.length) log.warning(pullFailureWarning(failures))
  return observed
}

function makePlan(settings: Settings, observed: ObservedState): Plan {
  const { operation, rotate } = settings.behaviour
  if (operation === 'teardown') return planTeardown(settings, observed)
  if (operation === 'rotate-credentials') return planRotation(settings, observed)
  const { rotateOnly } = settings.behaviour
  return planDeploy(settings, observed, {
    rotate: rotate && rotateOnly !== 'client-token',
    rotateClientToken: rotate && rotateOnly !== 'sync-token'
  })
}

function logPlan(plan: Plan, log: Log): void {
  for (const line of formatPlan(plan)) log.info(line)
}

/** What a run has done so far: the summary and the outputs of a failure report it. */
export interface Progress {
  settings?: Settings
  plan?: Plan
  final: FinalState
  /** The plan's steps Azure has done, in order. */
  applied: PlanStep[]
  /** The connection string sent to the extension, when the run is to output it (masked). */
  connectionString?: string
  /** The managed client token's new password, when the run is to output it (masked). */
  clientPassword?: string
  /** The cluster's view of a failed deploy, when the job gave access (already redacted). */
  diagnostics?: ClusterDiagnostics
}

/** What the outputs and the summary report of the connected registry and its extension. */
function show(final: FinalState, state: Pick<FinalState, 'connectedRegistry' | 'extension'>): void {
  final.connectedRegistry = state.connectedRegistry
  final.extension = state.extension
}

/**
 * Deploy and rotate-credentials: applies the plan, waits until Online (repairing once), revokes
 * the old password when asked, and hands out the connection string when asked. `progress`
 * follows along, so that the outputs and summary of a failure show how far the run got.
 */
async function converge(
  run: RunContext,
  observed: ObservedState,
  plan: Plan,
  progress: Progress
): Promise<void> {
  const { settings, log } = run
  const { final } = progress
  const applied: ExecutionResult = plan.changed
    ? await log.group('Apply', () => applyPlan(run, plan, observed, progress.applied))
    : {}
  if (applied.passwordSlot) final.passwordSlot = applied.passwordSlot
  const { waited, repaired } = await withDiagnostics(run, progress, () =>
    waitOrRepairOnce(
      run,
      {
        extensionWrittenAt: applied.extensionWrittenAt,
        activityBefore: observed.connectedRegistry?.lastActivityTime,
        // Only a password this run delivered can be outdated by another run's regeneration: the
        // slot of one it did not send may be revoked by an overlapping rotation that moved on.
        passwordSlot: applied.connectionString ? applied.passwordSlot : undefined
      },
      progress
    )
  )
  const delivered: ExecutionResult = { ...applied, ...repaired }
  if (delivered.passwordSlot) final.passwordSlot = delivered.passwordSlot
  show(final, waited)

  const previousSlot = plan.steps.some((s) => s.detail.kind === 'sync-password')
    ? otherSlot(final.passwordSlot as PasswordSlot)
    : undefined
  if (settings.behaviour.revokeOldPassword && previousSlot && repaired) {
    log.warning(
      `The old password (${previousSlot}) was not revoked: another operation changed the credentials during this run, and it may be the one in use now. Re-run to revoke it.`
    )
  } else if (settings.behaviour.revokeOldPassword && previousSlot) {
    await log.group('Revoke the old password', async () => {
      // A slot that never held a password (a first deploy) has nothing to revoke.
      const held = observed.sync.token?.credentials?.passwords?.some(
        (password) => password.name === previousSlot
      )
      if (!held) {
        log.info(`The other slot (${previousSlot}) holds no password: nothing to revoke.`)
        return
      }
      await revokePassword(run, plan, previousSlot)
      log.info(
        `The old password (${previousSlot}) no longer works; the registry is Online with ${final.passwordSlot}.`
      )
    })
  }
  await revokeClientPassword(run, observed, plan)
  if (settings.behaviour.outputConnectionString) {
    if (delivered.connectionString) progress.connectionString = delivered.connectionString
    else log.info(NO_CONNECTION_STRING_UNCHANGED)
  }
  const client = settings.connectedRegistry.clientToken
  if (client?.outputPassword) {
    if (applied.clientPassword) progress.clientPassword = applied.clientPassword
    else log.info(TEXT.noClientPasswordUnchanged(client.name))
  }
}

/** The managed client token's previous password, once the pull secrets carry the new one. */
async function revokeClientPassword(
  run: RunContext,
  observed: ObservedState,
  plan: Plan
): Promise<void> {
  const generated = plan.steps.find((s) => s.detail.kind === 'client-password')
  const token = plan.clientToken
  if (!run.settings.behaviour.revokeOldPassword || !generated || !token?.slot) return
  const previous = otherSlot(token.slot)
  await run.log.group(`Revoke the client token's old password`, async () => {
    const held = observed.client?.token?.credentials?.passwords?.some((p) => p.name === previous)
    if (!held) {
      run.log.info(`The other slot (${previous}) holds no password: nothing to revoke.`)
      return
    }
    await revokePassword(run, plan, previous, token.id)
    run.log.info(
      `The client token's old password (${previous}) no longer works; the pull secrets carry ${token.slot}.`
    )
  })
}

/**
 * Runs `fn`; when it fails and the job gave cluster access, the cluster's own view of the
 * release namespace is shown in its own log group and kept for the summary, every line redacted.
 */
async function withDiagnostics<T>(
  run: RunContext,
  progress: Progress,
  fn: () => Promise<T>
): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    const { kube, log, settings } = run
    if (kube) {
      await log
        .group("The cluster's view", async () => {
          const diagnostics = await collectDiagnostics(kube, {
            namespace: settings.extension.releaseNamespace,
            release: settings.target.extensionName
          })
          progress.diagnostics = diagnostics
          for (const line of formatDiagnostics(diagnostics)) log.info(line)
        })
        // The failure is what the run reports; a view that could not be had is only noted.
        .catch((reason: unknown) =>
          log.warning(`The cluster's view could not be collected: ${messageOf(reason)}`)
        )
    }
    throw error
  }
}

/**
 * Waits until Online. A registry that stays UNAUTHORIZED once the extension has settled lost a
 * race: its password was regenerated after this run generated it (an overlapping run, or a
 * person). One more cycle (read, plan, new password into the other slot, extension update)
 * repairs it; losing again fails the run with the cause and the fix.
 */
export async function waitOrRepairOnce(
  run: RunContext,
  written: WaitOptions,
  progress: Pick<Progress, 'applied'> = { applied: [] }
): Promise<{ waited: WaitResult; repaired?: ExecutionResult }> {
  const { settings, log } = run
  const waitOnline = (options: WaitOptions) =>
    log.group('Wait until Online', () => waitUntilOnline(run, options))
  try {
    return { waited: await waitOnline(written) }
  } catch (error) {
    const lostRace =
      error instanceof RegistryStateError &&
      error.settledUnhealthy &&
      error.codes.includes('UNAUTHORIZED')
    if (!lostRace) throw error
    log.warning(
      `${error.message} Its password changed during this run (an overlapping run or a manual regeneration): repairing once with a new password.`
    )
    const observed = await log.group('Read current state again', () => readState(run))
    const repairPlan = planDeploy(settings, observed, { rotate: false })
    const repaired = await log.group('Repair', async () => {
      logPlan(repairPlan, log)
      return applyPlan(run, repairPlan, observed, progress.applied)
    })
    return {
      waited: await waitOnline({
        extensionWrittenAt: repaired.extensionWrittenAt,
        activityBefore: observed.connectedRegistry?.lastActivityTime,
        passwordSlot: repaired.connectionString ? repaired.passwordSlot : undefined
      }),
      repaired
    }
  }
}

/**
 * A teardown reports success only when what it deleted is gone: read again, so that a deploy
 * overlapping it (which may have created something again) cannot pass unnoticed.
 */
async function verifyTeardown(run: RunContext, plan: Plan): Promise<void> {
  const after = await observeState(run)
  const present: Record<string, unknown> = {
    extension: after.extension,
    'connected-registry': after.connectedRegistry,
    'sync-token': after.sync.token,
    'scope-map': after.sync.scopeMap,
    'client-token': after.client?.token,
    'client-scope-map': after.client?.scopeMap
  }
  const secretsLeft = new Set(
    (after.kube?.pullSecrets ?? []).filter((s) => s.secret).map((s) => s.namespace)
  )
  const remaining = plan.steps
    .filter(
      (step) =>
        step.action === 'delete' &&
        (present[step.detail.kind] !== undefined ||
          (step.detail.kind === 'pull-secret' && secretsLeft.has(step.detail.namespace)))
    )
    .map((step) => step.resource)
  if (remaining.length) throw new ActionError(teardownIncomplete(remaining))
  run.log.info('Verified: everything the teardown deleted is gone.')
}

/**
 * Runs the settings' operation; `progress` follows along (plan, applied steps, final state), so
 * that a failure can still report how far the run got.
 */
export async function runOperation(run: RunContext, progress: Progress): Promise<Plan> {
  const { settings, log } = run
  const { operation } = settings.behaviour
  const { final } = progress
  const observed = await log.group('Read current state', () => readState(run))
  show(final, observed)
  const plan = await log.group('Plan', async () => {
    const made = makePlan(settings, observed)
    logPlan(made, log)
    for (const warning of made.warnings) log.warning(warning)
    return made
  })
  progress.plan = plan
  // A plan reports the slot in use now; the other operations the one in use after the run.
  final.passwordSlot =
    operation === 'plan'
      ? observed.extension?.configurationSettings?.[PASSWORD_SLOT_SETTING]
      : plan.passwordSlot
  if (operation === 'plan') return plan

  if (plan.changed) {
    await log.group('Check permissions', () => checkPermissions(run, plan, observed))
  }
  if (operation === 'teardown') {
    if (plan.changed) {
      await log.group('Apply', () => applyPlan(run, plan, observed, progress.applied))
      await log.group('Verify', () => verifyTeardown(run, plan))
      show(final, {})
    }
  } else if (plan.changed || !isOnline(observed)) {
    // A deploy with nothing to do is not waited for.
    await converge(run, observed, plan, progress)
  } else if (settings.behaviour.outputConnectionString) {
    log.info(NO_CONNECTION_STRING_UNCHANGED)
  }
  return plan
}

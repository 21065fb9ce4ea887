import * as core from '@actions/core'
import { createAzureClients, type AzureClients } from './azure/clients.js'
import { chooseSignIn } from './azure/credential.js'
import { ActionError, messageOf, withRequestIds } from './azure/errors.js'
import { applyPlan, revokePassword, type ExecutionResult } from './execute.js'
import { fromEnvironment } from './inputs/input-reader.js'
import { parseSettings } from './inputs/parse-settings.js'
import { observeState, type ObservedState } from './observe.js'
import { planDeploy } from './plan/deploy.js'
import {
  isWrite,
  otherSlot,
  PASSWORD_SLOT_SETTING,
  summarizeStep,
  type Plan
} from './plan/model.js'
import { planRotation } from './plan/rotation.js'
import { planTeardown } from './plan/teardown.js'
import type { Log } from './ports.js'
import { collectOutputs, escapeHtml, formatPlan, summaryTables, type FinalState } from './report.js'
import { forLog, maskSecret, maskTlsMaterial, redact, SECRET_INPUTS } from './secrets.js'
import type { Operation, PasswordSlot, Settings } from './settings.js'
import {
  isActiveAndOnline,
  RegistryStateError,
  settleExtension,
  waitUntilOnline,
  type WaitResult
} from './wait.js'

const masked = new Set<string>()
// Every line goes through redact(): a secret quoted back by Azure in an error message, or
// carried by an exception, is replaced before it reaches the log (the runner would only
// catch the forms it was told about).
const actionsLog: Log = {
  info: (message) => core.info(forLog(message)),
  warning: (message) => core.warning(forLog(message)),
  debug: (message) => core.debug(forLog(message)),
  group: (name, fn) => core.group(forLog(name), fn),
  mask: (secret) => {
    if (masked.has(secret)) return
    masked.add(secret)
    core.setSecret(secret)
  }
}

/** TLS inputs are masked as given before parsing (so no parse message can show them), and
 * again as parsed (PEM normalised, decoded from base64). */
function maskRawSecretInputs(env: NodeJS.ProcessEnv, log: Log): void {
  const inputs = fromEnvironment(env)
  for (const name of SECRET_INPUTS) maskSecret(log, inputs.get(name))
}

async function signIn(settings: Settings, env: NodeJS.ProcessEnv, log: Log): Promise<AzureClients> {
  const chosen = chooseSignIn(settings.cloud, {
    env,
    log,
    getIdToken: (audience) => core.getIDToken(audience)
  })
  log.info(`Signing in with ${chosen.method}`)
  log.info(`Azure Resource Manager: ${settings.cloud.armEndpoint}`)
  return createAzureClients(
    chosen.credential,
    settings.target.subscriptionId,
    settings.cloud,
    Math.min(settings.behaviour.pollIntervalMs, 2000),
    { conflictTimeoutMs: settings.behaviour.timeoutMs, log }
  )
}

const isOnline = (observed: ObservedState): boolean =>
  isActiveAndOnline(observed.connectedRegistry) &&
  observed.extension?.provisioningState === 'Succeeded'

async function readState(
  clients: AzureClients,
  settings: Settings,
  log: Log
): Promise<ObservedState> {
  let observed = await observeState(clients, settings)
  const settled = await settleExtension(clients, settings, log, observed.extension)
  if (settled !== observed.extension) observed = await observeState(clients, settings)
  log.info(
    `Registry: ${observed.registry ? `${observed.registry.sku}, data endpoint ${observed.registry.dataEndpointEnabled ? 'enabled' : 'disabled'}` : 'not found'}`
  )
  log.info(`Cluster: ${observed.cluster?.connectivityStatus ?? 'not found'}`)
  log.info(
    `Connected registry: ${observed.connectedRegistry ? `${observed.connectedRegistry.connectionState ?? 'unknown'}, ${observed.connectedRegistry.activation?.status ?? 'unknown'}` : 'absent'}`
  )
  log.info(`Extension: ${observed.extension?.provisioningState ?? 'absent'}`)
  return observed
}

function makePlan(settings: Settings, observed: ObservedState): Plan {
  const { operation, rotate } = settings.behaviour
  if (operation === 'teardown') return planTeardown(settings, observed)
  if (operation === 'rotate-credentials') return planRotation(settings, observed)
  return planDeploy(settings, observed, { rotate })
}

function logPlan(plan: Plan, log: Log): void {
  for (const line of formatPlan(plan)) log.info(line)
}

async function writeSummary(
  title: string,
  plan: Plan | undefined,
  settings: Settings | undefined,
  final: FinalState,
  failure?: string
): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  core.summary.addHeading(title, 2)
  if (failure) core.summary.addRaw(`<p><strong>Failed:</strong> ${escapeHtml(failure)}</p>`, true)
  if (plan && settings) {
    for (const table of summaryTables(plan, settings.behaviour.operation, final)) {
      core.summary.addHeading(table.heading, 3)
      const [header, ...rows] = table.rows
      core.summary.addTable([header.map((data) => ({ data, header: true })), ...rows])
    }
  }
  await core.summary.write()
}

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const log = actionsLog
  let settings: Settings | undefined
  let plan: Plan | undefined
  const final: FinalState = {}
  try {
    maskRawSecretInputs(env, log)
    const parsed = parseSettings(fromEnvironment(env), env)
    const current = parsed.settings
    settings = current
    maskTlsMaterial(log, current.extension.tls)
    for (const warning of parsed.warnings) log.warning(warning)
    const { operation } = current.behaviour

    const clients = await log.group('Sign in', () => signIn(current, env, log))
    const observed = await log.group('Read current state', () => readState(clients, current, log))
    const currentPlan = await log.group('Plan', async () => {
      const made = makePlan(current, observed)
      logPlan(made, log)
      for (const warning of made.warnings) log.warning(warning)
      return made
    })
    plan = currentPlan
    show(final, observed)
    // A plan reports the slot in use now; the other operations the one in use after the run.
    final.passwordSlot =
      operation === 'plan'
        ? observed.extension?.configurationSettings?.[PASSWORD_SLOT_SETTING]
        : currentPlan.passwordSlot

    if (operation === 'teardown') {
      if (currentPlan.changed) {
        await log.group('Apply', () => applyPlan(currentPlan, current, observed, clients, log))
        show(final, {})
      }
    } else if (operation !== 'plan') {
      // A plan is read-only: nothing is applied or waited for; nor is a deploy with nothing to do.
      if (currentPlan.changed || !isOnline(observed)) {
        await converge(clients, current, observed, currentPlan, log, final)
      }
    }

    const outputs = collectOutputs(currentPlan, operation, final)
    for (const [name, value] of Object.entries(outputs)) core.setOutput(name, value)
    log.info(closingLine(operation, currentPlan, outputs['connection-state']))
    // After the outputs, so a drift check still hands the plan to later steps.
    if (operation === 'plan' && current.behaviour.failOnChanges && currentPlan.changed) {
      throw new ActionError(
        `The deployment has drifted from the inputs and fail-on-changes is true: ${currentPlan.steps
          .filter(isWrite)
          .map(summarizeStep)
          .join('; ')}. Run the step with 'operation: deploy' to converge.`
      )
    }
    await writeSummary(titleFor(current), currentPlan, current, final)
  } catch (error) {
    const message = redact(withRequestIds(messageOf(error)))
    if (!(error instanceof ActionError) && error instanceof Error && error.stack) {
      core.debug(redact(error.stack))
    }
    core.setFailed(message)
    try {
      await writeSummary(
        settings ? titleFor(settings) : 'Connected registry',
        plan,
        settings,
        final,
        message
      )
    } catch {
      // The failure itself is already reported.
    }
  }
}

/** What the outputs and the summary report of the connected registry and its extension. */
function show(final: FinalState, state: Pick<FinalState, 'connectedRegistry' | 'extension'>): void {
  final.connectedRegistry = state.connectedRegistry
  final.extension = state.extension
}

/**
 * Deploy and rotate-credentials: applies the plan, waits until Online (repairing once), revokes
 * the old password when asked, and hands out the connection string when asked. `final` follows
 * along, so that the summary of a failure shows how far the run got.
 */
async function converge(
  clients: AzureClients,
  settings: Settings,
  observed: ObservedState,
  plan: Plan,
  log: Log,
  final: FinalState
): Promise<void> {
  const wroteExtension = plan.steps.some(
    (step) => step.detail.kind === 'extension' && isWrite(step)
  )
  const applied: ExecutionResult = plan.changed
    ? await log.group('Apply', () => applyPlan(plan, settings, observed, clients, log))
    : {}
  if (applied.passwordSlot) final.passwordSlot = applied.passwordSlot
  const { waited, repaired } = await waitOrRepairOnce(clients, settings, log, wroteExtension)
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
      await revokePassword(settings, plan, clients, log, previousSlot)
      log.info(
        `The old password (${previousSlot}) no longer works; the registry is Online with ${final.passwordSlot}.`
      )
    })
  }
  if (settings.behaviour.outputConnectionString && delivered.connectionString) {
    core.setOutput('connection-string', delivered.connectionString)
  }
}

/**
 * Waits until Online. A registry that stays UNAUTHORIZED once the extension has settled lost a
 * race: its password was regenerated after this run generated it (an overlapping run, or a
 * person). One more cycle (read, plan, new password into the other slot, extension update)
 * repairs it; losing again fails the run with the cause and the fix.
 */
async function waitOrRepairOnce(
  clients: AzureClients,
  settings: Settings,
  log: Log,
  wroteExtension: boolean
): Promise<{ waited: WaitResult; repaired?: ExecutionResult }> {
  const waitOnline = (afterExtensionWrite: boolean) =>
    log.group('Wait until Online', () =>
      waitUntilOnline(clients, settings, log, { wroteExtension: afterExtensionWrite })
    )
  try {
    return { waited: await waitOnline(wroteExtension) }
  } catch (error) {
    const lostRace =
      error instanceof RegistryStateError &&
      error.settledUnhealthy &&
      error.codes.includes('UNAUTHORIZED')
    if (!lostRace) throw error
    log.warning(
      `${error.message} Its password changed during this run (an overlapping run or a manual regeneration): repairing once with a new password.`
    )
    const observed = await log.group('Read current state again', () =>
      readState(clients, settings, log)
    )
    const repairPlan = planDeploy(settings, observed, { rotate: false })
    const repaired = await log.group('Repair', async () => {
      logPlan(repairPlan, log)
      return applyPlan(repairPlan, settings, observed, clients, log)
    })
    return { waited: await waitOnline(true), repaired }
  }
}

function closingLine(operation: Operation, plan: Plan, connectionState: string): string {
  const writes = plan.steps.filter(isWrite).length
  switch (operation) {
    case 'plan':
      return plan.changed ? `Plan: ${writes} change(s) pending.` : 'Plan: no changes.'
    case 'teardown':
      return plan.changed
        ? `Teardown done: ${writes} change(s) applied.`
        : 'Teardown: nothing to delete, everything the action created is already gone.'
    default:
      return `Done: ${plan.changed ? 'changes applied' : 'nothing changed'}${connectionState ? `, connected registry ${connectionState}` : ''}.`
  }
}

function titleFor(settings: Settings): string {
  const { connectedRegistry, cluster } = settings.target
  const verb: Record<string, string> = {
    deploy: 'Deploy',
    plan: 'Plan',
    'rotate-credentials': 'Credential rotation',
    teardown: 'Teardown'
  }
  return `${verb[settings.behaviour.operation]} of connected registry '${connectedRegistry}' on '${cluster}'`
}

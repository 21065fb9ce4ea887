import * as core from '@actions/core'
import path from 'node:path'
import { createAzureClients } from './azure/clients.js'
import { chooseSignIn } from './azure/credential.js'
import { ActionError, messageOf, withRequestIds } from './azure/errors.js'
import { Deadline, withPhases } from './deadline.js'
import { ArmBudget, armBudgetPolicy } from './fleet/arm-budget.js'
import { checkSingleSiteStep, isFleetStep } from './fleet/load.js'
import { runFleetStep, type FleetSummary } from './fleet/step.js'
import { fromEnvironment, type InputReader } from './inputs/input-reader.js'
import { clusterAccess } from './kube/access.js'
import { KubectlCluster } from './kube/kubectl.js'
import type { KubernetesCluster } from './kube/port.js'
import { parseSettings } from './inputs/parse-settings.js'
import { appliedBeforeFailure, cancelledNotice } from './messages.js'
import { isWrite, resourceIds, summarizeStep, type Plan } from './plan/model.js'
import { runOperation, type Progress } from './pipeline.js'
import { systemClock, type AzurePort, type Log } from './ports.js'
import type { RunContext } from './run-context.js'
import { formatDiagnostics } from './kube/diagnostics.js'
import { collectOutputs, escapeHtml, summaryTables } from './report.js'
import { forLog, maskSecret, maskTlsMaterial, redact, SECRET_INPUTS } from './secrets.js'
import type { Operation, Settings } from './settings.js'

const masked = new Set<string>()
// Every line goes through forLog() (redact(), then no line breaks or workflow commands): a secret quoted back by Azure in an error message, or
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

async function signIn(
  settings: Settings,
  env: NodeJS.ProcessEnv,
  log: Log,
  deadline: Deadline,
  budget?: ArmBudget
): Promise<AzurePort> {
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
    { deadline, log, ...(budget ? { belowRetry: [armBudgetPolicy(budget)] } : {}) }
  )
}

async function writeFleetSummary(summary: FleetSummary): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  core.summary.addHeading(escapeHtml(summary.title), 2)
  if (summary.failure) {
    core.summary.addRaw(`<p><strong>Failed:</strong> ${escapeHtml(summary.failure)}</p>`, true)
  }
  core.summary.addHeading(summary.table.heading, 3)
  const [header, ...rows] = summary.table.rows
  core.summary.addTable([header.map((data) => ({ data, header: true })), ...rows])
  core.summary.addRaw(`<p>${escapeHtml(summary.totals)}</p>`, true)
  await core.summary.write()
}

/** A step with `sites`: every site of the file (fleet/step.ts); fails naming the failed sites. */
async function runFleet(reader: InputReader, env: NodeJS.ProcessEnv): Promise<void> {
  let deadline: Deadline | undefined
  try {
    const failure = await runFleetStep(reader, {
      env,
      workspace: env.GITHUB_WORKSPACE ?? process.cwd(),
      log: actionsLog,
      startDeadline: (timeoutMs) => {
        deadline = new Deadline(timeoutMs, systemClock, performance.now())
        return deadline
      },
      signIn: (settings, log, clock, budget) => signIn(settings, env, log, clock, budget),
      setOutput: (name, value) => core.setOutput(name, value),
      writeSummary: writeFleetSummary
    })
    if (failure) core.setFailed(redact(failure))
  } catch (error) {
    const reported =
      deadline?.expired() && !(error instanceof ActionError) ? deadline.exceeded() : error
    if (!(error instanceof ActionError) && error instanceof Error && error.stack) {
      core.debug(redact(error.stack))
    }
    core.setFailed(redact(withRequestIds(messageOf(reported))))
  }
}

/** The cluster's Kubernetes API when the job gave access (input 'kubeconfig' or KUBECONFIG).
 * kubectl's discovery cache goes under the runner's temp dir, apart from other jobs. */
function connectCluster(settings: Settings, env: NodeJS.ProcessEnv, log: Log) {
  let options
  try {
    options = clusterAccess(
      { kubeconfig: settings.kube?.kubeconfig },
      env,
      env.RUNNER_TEMP ? path.join(env.RUNNER_TEMP, 'connected-registry-kube-cache') : undefined
    )
  } catch (error) {
    throw new ActionError(messageOf(error))
  }
  log.info(
    options
      ? `Cluster access: ${settings.kube?.kubeconfig ? `kubeconfig ${settings.kube.kubeconfig}` : 'KUBECONFIG'}`
      : 'Cluster access: none (no KUBECONFIG and no kubeconfig input)'
  )
  return options ? (new KubectlCluster(options) as KubernetesCluster) : undefined
}

/** Outputs about pulling from the connected registry: the client token's user and the CA. */
function pullOutputs(settings: Settings, plan: Plan): Record<string, string> {
  const { tls } = settings.extension
  return {
    'client-token-username': plan.clientToken?.name ?? '',
    'ca-certificate': tls.strategy === 'byoc' ? tls.caCertificatePem : ''
  }
}

async function writeSummary(title: string, progress: Progress, failure?: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const { plan, settings, final, applied } = progress
  core.summary.addHeading(title, 2)
  if (failure) core.summary.addRaw(`<p><strong>Failed:</strong> ${escapeHtml(failure)}</p>`, true)
  if (failure && plan) {
    // What was applied before the failure, and what was not: a re-run continues from there.
    const writes = plan.steps.filter(isWrite)
    core.summary.addHeading('Applied before the failure', 3)
    core.summary.addTable([
      ['Resource', 'Action', 'Applied'].map((data) => ({ data, header: true })),
      ...writes.map((step) => [
        escapeHtml(step.resource),
        step.action,
        applied.includes(step) ? 'yes' : 'no'
      ])
    ])
  }
  if (plan && settings) {
    for (const table of summaryTables(plan, settings.behaviour.operation, final)) {
      core.summary.addHeading(table.heading, 3)
      const [header, ...rows] = table.rows
      core.summary.addTable([header.map((data) => ({ data, header: true })), ...rows])
    }
  }
  if (progress.diagnostics) {
    core.summary.addHeading("The cluster's view", 3)
    core.summary.addCodeBlock(formatDiagnostics(progress.diagnostics).map(redact).join('\n'))
  }
  await core.summary.write()
}

/** The outputs a failed run knows: ids, state, slot, and whether anything was changed. */
function outputsOnFailure(progress: Progress): Record<string, string> {
  const { plan, settings, final, applied } = progress
  if (plan && settings) {
    const { operation } = settings.behaviour
    const outputs = collectOutputs(plan, operation, final)
    // A plan's `changed` is what a deploy would change; a failed run's, what it did change.
    return operation === 'plan' ? outputs : { ...outputs, changed: String(applied.length > 0) }
  }
  if (!settings) return {}
  const ids = resourceIds(settings)
  return {
    'connected-registry-id': final.connectedRegistry?.id ?? ids.connectedRegistry,
    'extension-id': final.extension?.id ?? ids.extension,
    'connection-state': final.connectedRegistry?.connectionState ?? '',
    'activation-status': final.connectedRegistry?.activation?.status ?? '',
    'sync-token-id': ids.token(settings.target.connectedRegistry),
    'password-slot': final.passwordSlot ?? '',
    changed: 'false'
  }
}

export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const progress: Progress = { final: {}, applied: [] }
  const { final } = progress
  let deadline: Deadline | undefined
  // A cancelled job (the runner sends SIGINT, then SIGTERM) says where it stopped.
  const onSignal = (signal: NodeJS.Signals) => {
    actionsLog.warning(
      cancelledNotice(signal, deadline?.phase ?? 'Start', progress.applied.length > 0)
    )
    for (const [name, value] of Object.entries(outputsOnFailure(progress))) {
      core.setOutput(name, value)
    }
    process.exit(signal === 'SIGINT' ? 130 : 143)
  }
  process.once('SIGTERM', onSignal)
  process.once('SIGINT', onSignal)
  try {
    maskRawSecretInputs(env, actionsLog)
    const reader = fromEnvironment(env)
    if (isFleetStep(reader)) return await runFleet(reader, env)
    checkSingleSiteStep(reader)
    const parsed = parseSettings(reader, env)
    const current = parsed.settings
    progress.settings = current
    maskTlsMaterial(actionsLog, current.extension.tls)
    for (const warning of parsed.warnings) actionsLog.warning(warning)
    const { operation } = current.behaviour
    // Counted from the start of the process: the step's time is what the runner measures.
    const clock = new Deadline(current.behaviour.timeoutMs, systemClock, performance.now())
    deadline = clock
    const log = withPhases(actionsLog, clock)

    const azure = await log.group('Sign in', () => signIn(current, env, log, clock))
    const kube = connectCluster(current, env, log)
    const ctx: RunContext = { azure, settings: current, log, deadline: clock, kube }
    const currentPlan = await runOperation(ctx, progress)
    if (progress.connectionString) core.setOutput('connection-string', progress.connectionString)
    if (progress.clientPassword) core.setOutput('client-token-password', progress.clientPassword)

    const outputs = {
      ...collectOutputs(currentPlan, operation, final),
      ...pullOutputs(current, currentPlan)
    }
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
    await writeSummary(titleFor(current), progress)
  } catch (error) {
    const reported =
      deadline?.expired() && !(error instanceof ActionError && /'timeout'/.test(error.message))
        ? deadline.exceeded(error instanceof ActionError ? error.message : undefined)
        : error
    const message = redact(withRequestIds(messageOf(reported)))
    if (!(error instanceof ActionError) && error instanceof Error && error.stack) {
      core.debug(redact(error.stack))
    }
    for (const [name, value] of Object.entries(outputsOnFailure(progress))) {
      core.setOutput(name, value)
    }
    if (progress.plan && progress.settings?.behaviour.operation !== 'plan') {
      core.info(forLog(appliedBeforeFailure(progress.applied.filter(isWrite).length)))
    }
    core.setFailed(message)
    try {
      await writeSummary(
        progress.settings ? titleFor(progress.settings) : 'Connected registry',
        progress,
        message
      )
    } catch {
      // The failure itself is already reported.
    }
  } finally {
    process.removeListener('SIGTERM', onSignal)
    process.removeListener('SIGINT', onSignal)
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

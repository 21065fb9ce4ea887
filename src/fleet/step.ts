// A fleet step: the single-site pipeline (runOperation) composed over the sites of a sites file.
// Everything is read and checked before the first request; one sign-in, one token source and one
// set of SDK clients serve every site, under one ARM budget and one deadline; each site runs with
// its own settings and its own grouped log; one site's failure never stops the others (within
// the failure budget). No runner I/O here: main.ts passes it in.

import type { ConnectedRegistry } from '@azure/arm-containerregistry'
import { ActionError, messageOf } from '../azure/errors.js'
import type { Deadline } from '../deadline.js'
import type { InputReader } from '../inputs/input-reader.js'
import { isWrite, type Plan } from '../plan/model.js'
import { runOperation, type Progress } from '../pipeline.js'
import type { AzurePort, Log } from '../ports.js'
import { collectOutputs, type SummaryTable } from '../report.js'
import { maskTlsMaterial, redact } from '../secrets.js'
import type { Operation, Settings } from '../settings.js'
import { ArmBudget } from './arm-budget.js'
import { BatchedStatusReader, type ConnectedRegistryLister } from './batched-status.js'
import { existingConnectedRegistries, loadFleet, type Fleet } from './load.js'
import { runFleet, SiteFailure, type SiteOutcome, type SiteResult } from './rollout.js'
import { createSiteLog } from './site-log.js'
import { checkSitesAgainstAzure, type FleetSite } from './sites-file.js'
import {
  fleetFailure,
  fleetOutputs,
  fleetSummaryTable,
  fleetTotals,
  totalsLine
} from './summary.js'

/** What a fleet step needs of the runner and of the sign-in (main.ts). */
export interface FleetStepIo {
  env: NodeJS.ProcessEnv
  /** GITHUB_WORKSPACE: the sites path is relative to it. */
  workspace: string
  log: Log
  /** The step's deadline, made from the step-wide `timeout` of the sites' settings. */
  startDeadline(timeoutMs: number): Deadline
  /** Signs in once; `budget` goes into both SDK clients' pipelines. */
  signIn(settings: Settings, log: Log, deadline: Deadline, budget: ArmBudget): Promise<AzurePort>
  setOutput(name: string, value: string): void
  writeSummary(summary: FleetSummary): Promise<void>
}

export interface FleetSummary {
  title: string
  failure?: string
  table: SummaryTable
  totals: string
}

/** The pause between two LISTs of one registry while its sites wait: the wait's quick poll. */
const STATUS_CYCLE_MS = 1000

const VERB: Record<Operation, string> = {
  deploy: 'Deploy',
  plan: 'Plan',
  'rotate-credentials': 'Credential rotation',
  teardown: 'Teardown'
}

/** What a site's row says was done. */
function actionOf(operation: Operation, plan: Plan): string {
  const writes = plan.steps.filter(isWrite)
  if (operation === 'plan')
    return writes.length ? `planned: ${writes.length} change(s)` : 'no changes'
  if (!plan.changed) return operation === 'teardown' ? 'already absent' : 'unchanged'
  if (operation === 'teardown') return 'deleted'
  if (operation === 'rotate-credentials') return 'rotated'
  const created = writes.some(
    (step) => step.detail.kind === 'connected-registry' && step.action === 'create'
  )
  return created ? 'created' : 'updated'
}

/** Pages through a registry's connected registries (one LIST). */
const listerOf = (azure: AzurePort): ConnectedRegistryLister => ({
  async listConnectedRegistries(resourceGroup, registry) {
    const all: ConnectedRegistry[] = []
    for await (const cr of azure.listConnectedRegistries(resourceGroup, registry, '')) all.push(cr)
    return all
  }
})

const notFound = (name: string): Error =>
  Object.assign(new Error(`The connected registry '${name}' was not found.`), {
    statusCode: 404,
    code: 'ResourceNotFound'
  })

const WRITES = [
  'enableDataEndpoint',
  'generateCredentials',
  'createScopeMap',
  'updateScopeMap',
  'deleteScopeMap',
  'createToken',
  'updateToken',
  'deleteToken',
  'createConnectedRegistry',
  'updateConnectedRegistry',
  'deactivateConnectedRegistry',
  'deleteConnectedRegistry',
  'startExtensionCreate',
  'startExtensionUpdate',
  'deleteExtension'
] as const satisfies readonly (keyof AzurePort)[]

/** Runs `fn` once per key while it is in flight or done; a failure lets the next caller retry. */
function once<T>(): (key: string, fn: () => Promise<T>) => Promise<T> {
  const calls = new Map<string, Promise<T>>()
  return (key, fn) => {
    const known = calls.get(key.toLowerCase())
    if (known) return known
    const call = fn()
    calls.set(key.toLowerCase(), call)
    call.catch(() => calls.delete(key.toLowerCase()))
    return call
  }
}

/**
 * What the sites of one registry share, done once for all of them: enabling the registry's data
 * endpoint (every new site's plan asks for it; concurrent PATCHes of one registry only draw 409
 * Conflict from Azure), and reading the run's permissions on a scope (one identity, one answer).
 */
export function sharedPort(azure: AzurePort): AzurePort {
  const dataEndpoint = once<Awaited<ReturnType<AzurePort['enableDataEndpoint']>>>()
  const permissions = once<Awaited<ReturnType<AzurePort['readPermissions']>>>()
  return {
    ...azure,
    enableDataEndpoint: (resourceGroup, registry, write) =>
      dataEndpoint(`${resourceGroup}/${registry}`, () =>
        azure.enableDataEndpoint(resourceGroup, registry, write)
      ),
    readPermissions: (scope) => permissions(scope, () => azure.readPermissions(scope))
  }
}

/**
 * One site's view of the shared clients: its connected-registry reads are answered by the
 * registry's batched LIST (one per registry per cycle for every waiting site), never by a LIST
 * that started before the site's own last write returned.
 */
export function sitePort(
  azure: AzurePort,
  status: BatchedStatusReader,
  now: () => number = Date.now
): AzurePort {
  let lastWriteAt = Number.NEGATIVE_INFINITY
  const port: AzurePort = { ...azure }
  for (const name of WRITES) {
    const write = azure[name] as (...args: unknown[]) => Promise<unknown>
    ;(port as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      try {
        return await write(...args)
      } finally {
        // A LIST begun in the same millisecond may have been sent before the answer came.
        lastWriteAt = now() + 1
      }
    }
  }
  port.getConnectedRegistry = async (resourceGroup, registry, name) => {
    const found = await status.read(resourceGroup, registry, name, lastWriteAt)
    if (!found) throw notFound(name)
    return found
  }
  return port
}

/**
 * Runs a fleet step: load and check (no request while anything is wrong), sign in, check the
 * sites against Azure, run every site, then outputs, summary and the failure naming the failed
 * sites (returned; the caller fails the step with it).
 */
export async function runFleetStep(
  reader: InputReader,
  io: FleetStepIo
): Promise<string | undefined> {
  const fleet = loadFleet(reader, { workspace: io.workspace, env: io.env })
  // Key material comes from step inputs; each site's parsed form (PEM normalised) is masked too.
  for (const site of fleet.sitesFile.sites) maskTlsMaterial(io.log, site.settings.extension.tls)
  for (const warning of fleet.sitesFile.warnings) io.log.warning(warning)
  const file = fleet.sitesFile.file
  const first = fleet.sites[0] ?? fleet.sitesFile.sites[0]
  if (!first || fleet.sites.length === 0) {
    io.log.info(
      `No site of ${file} is selected for this step${fleet.shard ? ` (shard ${fleet.shard.index}/${fleet.shard.count})` : ''}: nothing to do.`
    )
    const outputs = fleetOutputs([])
    io.setOutput('results', outputs.results)
    io.setOutput('failed', outputs.failed)
    io.setOutput('changed', 'false')
    return undefined
  }
  const { operation, timeoutMs, pollIntervalMs, failOnChanges, outputConnectionString } =
    first.settings.behaviour
  if (outputConnectionString) {
    io.log.warning(
      "output-connection-string has no effect with 'sites': a fleet's results never carry a connection string (it holds a password). Deploy the one site that needs it in a single-site step."
    )
  }
  const deadline = io.startDeadline(timeoutMs)
  const budget = new ArmBudget({ log: io.log })
  const azure = await io.log.group('Sign in', () =>
    io.signIn(first.settings, io.log, deadline, budget)
  )
  await io.log.group('Check the sites against Azure', async () => {
    const existing = await existingConnectedRegistries(listerOf(azure), fleet.sitesFile.sites)
    checkSitesAgainstAzure(fleet.sitesFile, existing)
    describeFleet(fleet, io.log)
  })

  const shared = sharedPort(azure)
  const status = new BatchedStatusReader(listerOf(azure), {
    maxAgeMs: Math.min(STATUS_CYCLE_MS, pollIntervalMs)
  })
  const results = await runFleet(
    fleet.sites,
    (site) => runSite(site, shared, status, deadline, io.log),
    {
      settings: fleet.rollout,
      signal: deadline.signal,
      describeError: (error) => redact(messageOf(error))
    }
  )

  const totals = fleetTotals(results)
  io.log.info(totalsLine(totals))
  io.log.info(
    `Azure Resource Manager: ${status.stats.lists} LIST(s) of connected registries answered ${status.stats.reads} status read(s); ${budget.stats.waited} request(s) waited for the budget, ${budget.stats.throttled} answered 429.`
  )
  const outputs = fleetOutputs(results)
  io.setOutput('results', outputs.results)
  io.setOutput('failed', outputs.failed)
  io.setOutput('changed', String(totals.changed > 0))
  let failure = fleetFailure(results)
  if (!failure && operation === 'plan' && failOnChanges && totals.changed > 0) {
    failure = `The fleet has drifted from ${file} and fail-on-changes is true: ${results
      .filter((r) => r.changed)
      .map((r) => `${r.site.name} (${r.action})`)
      .join(', ')}. Run the step with 'operation: deploy' to converge.`
  }
  const { table, totals: totalsText } = fleetSummaryTable(results)
  await io.writeSummary({
    title: `${VERB[operation]} of ${results.length} site(s) from ${file}`,
    ...(failure ? { failure } : {}),
    table,
    totals: totalsText
  })
  return failure
}

function describeFleet(fleet: Fleet, log: Log): void {
  const { rollout, maxParallel, failureBudget } = fleet.rollout
  log.info(
    `${fleet.sites.length} of ${fleet.sitesFile.sites.length} site(s) of ${fleet.sitesFile.file}` +
      `${fleet.select.length ? ` selected by ${fleet.select.join(', ')}` : ''}` +
      `${fleet.shard ? ` in shard ${fleet.shard.index}/${fleet.shard.count}` : ''}; ` +
      `rollout ${rollout} in ${fleet.waves.length} wave(s), at most ${maxParallel} at once` +
      `${failureBudget ? `, failure budget ${failureBudget.kind === 'count' ? failureBudget.count : `${failureBudget.percent}%`}` : ''}.`
  )
  for (const [i, wave] of fleet.waves.entries()) {
    log.info(`Wave ${i + 1}: ${wave.map((site) => site.name).join(', ')}`)
  }
}

/** One site: the single-site pipeline with the site's settings and its own grouped log. */
async function runSite(
  site: FleetSite,
  azure: AzurePort,
  status: BatchedStatusReader,
  deadline: Deadline,
  parent: Log
): Promise<SiteOutcome> {
  const siteLog = createSiteLog(parent, site.name)
  // The deadline names the site and the phase that ran out.
  const log: Log = {
    ...siteLog.log,
    group: (name, fn) =>
      siteLog.log.group(name, () => {
        deadline.phase = `${site.name}: ${name}`
        return fn()
      })
  }
  const progress: Progress = { settings: site.settings, final: {}, applied: [] }
  const { operation } = site.settings.behaviour
  try {
    const plan = await runOperation(
      { azure: sitePort(azure, status), settings: site.settings, log, deadline },
      progress
    )
    const outputs = collectOutputs(plan, operation, progress.final)
    const action = actionOf(operation, plan)
    log.info(
      `Done: ${action}${outputs['connection-state'] ? `, ${outputs['connection-state']}` : ''}.`
    )
    await siteLog.flush(action)
    return {
      action,
      connectionState: outputs['connection-state'],
      changed: plan.changed,
      outputs
    }
  } catch (error) {
    const reported =
      deadline.expired() && !(error instanceof ActionError && /'timeout'/.test(error.message))
        ? deadline.exceeded(error instanceof ActionError ? error.message : undefined)
        : error
    log.warning(`Failed: ${redact(messageOf(reported))}`)
    await siteLog.flush('failed')
    const wrote = progress.applied.some(isWrite)
    throw new SiteFailure(reported, {
      action: wrote
        ? `failed after ${progress.applied.filter(isWrite).length} change(s)`
        : 'failed',
      connectionState: progress.final.connectedRegistry?.connectionState ?? '',
      changed: wrote,
      ...(progress.plan
        ? {
            outputs: {
              ...collectOutputs(progress.plan, operation, progress.final),
              changed: String(wrote)
            }
          }
        : {})
    })
  }
}

export type { SiteResult }

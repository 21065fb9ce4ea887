// No fault strands a deployment. Each fault is injected at each phase where it can happen
// (sign-in, reads, writes, long-running-operation polls, the wait for Online) into a run of the
// bundled action. The run either survives it (transient faults retried within bounds, honouring
// Retry-After) or fails with a message that names the cause, the Azure error code, the request
// id and the fix. Then a plain re-run, with the fault gone, converges to Online. A run that
// fails after generating a password never leaves the running instance without a working one.
//
// Each case has an emulator of its own (faults, throttling and timing are emulator-wide), so the
// cases run concurrently (jest's maxConcurrency). The figures record what each case measured
// (its outcome, whether its re-run converged) before the assertions judge it.

import { afterAll, describe, expect, it } from '@jest/globals'
import {
  DEFAULT_SEED_PATH,
  loadSeedFile,
  startEmulator,
  type FaultRule,
  type JournalEntry,
  type RunningEmulator
} from '../../emulator/index.js'
import {
  errorOf,
  expectSuccess,
  runAction,
  type ActionRun
} from '../../__fixtures__/action-runner.js'
import { emulatorClients } from '../../__fixtures__/azure.js'
import { protectedSettingsSent, tokenIdOf } from '../../__fixtures__/scenario.js'
import {
  CLUSTER,
  deployInputs,
  REGISTRY,
  RG,
  sleep,
  uniqueName,
  whenRequestArrives,
  writeFigures
} from './helpers.js'

/** A cluster of its own for the scenario that takes a cluster offline mid-run. */
const SPARE_CLUSTER = 'edge-cluster-02'
/** Short delays: every scenario deploys twice. The docs quote them as the conditions. */
const FAST = {
  lroMs: 20,
  extensionProvisioningMs: 60,
  activationMs: 60,
  syncingMs: 60,
  deletionMs: 50
}

/** Fresh clients each time: a scenario that expires every token must not break the next one. */
const clients = (emu: RunningEmulator) => emulatorClients(emu)

/** The default world, a spare cluster and short delays, for one case. */
async function withEmulator<T>(scenario: (emu: RunningEmulator) => Promise<T>): Promise<T> {
  const seed = loadSeedFile(DEFAULT_SEED_PATH)
  seed.connectedClusters = [
    ...(seed.connectedClusters ?? []),
    {
      name: SPARE_CLUSTER,
      resourceGroup: RG,
      connectivityStatus: 'Connected',
      serviceCidr: '10.0.0.0/16'
    }
  ]
  seed.timing = { ...seed.timing, ...FAST }
  const emu = await startEmulator({ quiet: true, seed })
  try {
    return await scenario(emu)
  } finally {
    await emu.stop()
  }
}

type Phase = 'sign-in' | 'read' | 'write' | 'LRO poll' | 'waiting'
/** What a faulty run did: not what its case expects, which the assertions check. */
type Outcome = 'survived' | 'failed with explanation' | 'failed without explanation'
interface Figure {
  phase: Phase
  fault: string
  outcome: Outcome
  /** The plain re-run with the fault gone ended Online. */
  converged: boolean
}
const figures = new Map<string, Figure>()
const concurrency = new Map<
  string,
  { scenario: string; runs: number; succeeded: number; converged: boolean }
>()
/** Cases outside the FAULTS table, and overlapping-run scenarios, when the file runs in full. */
const MORE_FAULTS = 3
const CONCURRENCY_SCENARIOS = 3

afterAll(() => {
  // In the order of the file, whatever order the concurrent cases finished in.
  const cases = [...figures.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, f]) => f)
  const scenarios = [...concurrency.entries()].sort(([a], [b]) => a.localeCompare(b))
  const byPhase: Record<string, number> = {}
  for (const f of cases) byPhase[f.phase] = (byPhase[f.phase] ?? 0) + 1
  writeFigures('faults.json', {
    // A run filtered with -t records only what it ran.
    complete:
      cases.length === FAULTS.length + MORE_FAULTS && scenarios.length === CONCURRENCY_SCENARIOS,
    conditions: {
      pollInterval: deployInputs('conditions')['poll-interval'],
      timing: FAST,
      overlapTiming: OVERLAP_TIMING
    },
    faults: cases.length,
    survived: cases.filter((f) => f.outcome === 'survived').length,
    failedWithExplanation: cases.filter((f) => f.outcome === 'failed with explanation').length,
    failedWithoutExplanation: cases.filter((f) => f.outcome === 'failed without explanation')
      .length,
    convergedOnRerun: cases.filter((f) => f.converged).length,
    byPhase,
    concurrency: scenarios.map(([, c]) => c),
    cases
  })
})

/** The key that keeps the figures in the order of the file. */
const order = (section: number, index: number): string =>
  `${section}-${String(index).padStart(3, '0')}`

interface Context {
  emu: RunningEmulator
  name: string
  /** Set once the faulty run has finished. */
  finished: () => boolean
}

interface FaultCase {
  phase: Phase
  fault: string
  /** Deploy first, so the faulty run updates a running registry (with a new password). */
  existing?: boolean
  inputs?: Record<string, string>
  signIn?: 'oidc'
  env?: Record<string, string>
  /** Arms the fault before the run. */
  inject?: (ctx: Context) => void | Promise<void>
  /** Acts while the run is in flight. */
  during?: (ctx: Context) => Promise<void>
  /** Makes the fault go away (faults, denied actions and throttling are always cleared). */
  heal?: (ctx: Context) => void | Promise<void>
  /** Inputs of the plain re-run, when the fault was in the inputs. */
  rerunInputs?: Record<string, string>
  /** The fault itself breaks the running registry (its password or activation is taken). */
  breaksRegistry?: boolean
  /**
   * The fault races the run: a rotation right after its write, an extension failure that the
   * run's first poll of the write may or may not see (the message differs), a deletion still
   * running when the run starts. It runs on its own, after the concurrent cases, so that their
   * load does not decide the race.
   */
  racesTheRun?: true
  expect:
    | { survives: true }
    | {
        /** The cause, in the words of the message. */
        cause: RegExp
        /** Azure's error code (or the registry's status code), as the message names it. */
        code: RegExp
        /** The documented fix. */
        fix: RegExp
        /** The id to look the failure up with: a request id, or the run's correlation id. */
        id?: 'request' | 'correlation'
      }
  /** More assertions on the run and the requests it made. */
  check?: (run: ActionRun, journal: JournalEntry[]) => void
}

const fault = (rule: FaultRule) => (ctx: Context) => {
  ctx.emu.admin.addFault(rule)
}
const status = (operation: string, code: number, times: number, extra: Partial<FaultRule> = {}) =>
  fault({ operation, kind: 'status', status: code, times, ...extra })
/** A persistent 503 that the SDK may retry at once (Retry-After: 0), so it fails fast. */
const unavailable = (operation: string) => status(operation, 503, 20, { retryAfterSeconds: 0 })

/** The journal showed the faulty answers and then the one that went through. */
const retried =
  (operation: string, failures: number) =>
  (_run: ActionRun, journal: JournalEntry[]): void => {
    const answers = journal.filter((e) => e.operation === operation).map((e) => e.status)
    const firstSuccess = answers.findIndex((s) => s > 0 && s < 400)
    expect(firstSuccess).toBeGreaterThanOrEqual(failures)
    expect(answers.slice(0, failures).every((s) => s === 0 || s >= 400)).toBe(true)
  }

/** A fault armed mid-run was hit `failures` times, and a later attempt succeeded. */
const recoveredMidRun =
  (operation: string, failures: number) =>
  (_run: ActionRun, journal: JournalEntry[]): void => {
    const calls = journal.filter((e) => e.operation === operation)
    const faulted = calls.flatMap((e, i) => (e.fault ? [i] : []))
    expect(faulted).toHaveLength(failures)
    const after = calls.slice(faulted[faulted.length - 1] + 1)
    expect(after.some((e) => e.status > 0 && e.status < 400)).toBe(true)
  }

/** The retry came no earlier than Retry-After said. */
const honoursRetryAfter =
  (operation: string, seconds: number) =>
  (_run: ActionRun, journal: JournalEntry[]): void => {
    const entries = journal.filter((e) => e.operation === operation)
    const throttled = entries.findIndex((e) => e.status === 429)
    expect(throttled).toBeGreaterThanOrEqual(0)
    const waited = Date.parse(entries[throttled + 1].time) - Date.parse(entries[throttled].time)
    expect(waited).toBeGreaterThanOrEqual(seconds * 1000 - 50)
  }

/** A transient fault that the run retries through, and the check that it did. */
type Survived = Pick<FaultCase, 'inject' | 'expect' | 'check'>

/** `times` answers of `code`, then the request goes through. */
const burst = (operation: string, code: number, times: number): Survived => ({
  inject: status(operation, code, times),
  expect: { survives: true },
  check: retried(operation, times)
})

/** One dropped connection, then the request goes through. */
const dropped = (operation: string): Survived => ({
  inject: fault({ operation, kind: 'drop', times: 1 }),
  expect: { survives: true },
  check: retried(operation, 1)
})

/** One 429 with Retry-After: 1, retried no earlier than that. */
const throttledOnce = (operation: string): Survived => ({
  inject: status(operation, 429, 1, { retryAfterSeconds: 1 }),
  expect: { survives: true },
  check: honoursRetryAfter(operation, 1)
})

/**
 * Every access token expires while the next `operation` request (after `after`, if given) is
 * held: the run gets a fresh token and carries on.
 */
const tokenExpires = (phase: Phase, operation: string, after?: string): FaultCase => ({
  phase,
  fault: 'access token expires (401 ExpiredAuthenticationToken)',
  during: async ({ emu }) => {
    if (after) await whenRequestArrives(emu, after, () => undefined, 150)
    await whenRequestArrives(emu, operation, () => emu.admin.expireAllTokens())
  },
  expect: { survives: true },
  check: (run) => expect(run.stdout).toContain('Azure rejected the access token')
})

/** Arms a fault once the extension write is on its way: what follows is the wait. */
const duringWait =
  (rule: FaultRule) =>
  async ({ emu }: Context): Promise<void> => {
    await whenRequestArrives(
      emu,
      'Extensions_Create',
      () => {
        emu.admin.addFault(rule)
      },
      100
    )
  }

/**
 * Someone regenerating both passwords right after every extension write: the registry stays
 * UNAUTHORIZED whatever the run delivers, through its one repair too.
 */
async function rogueRotator(
  ctx: Context,
  times = Infinity,
  slot?: 'password1' | 'password2'
): Promise<void> {
  let handled = 0
  while (!ctx.finished() && handled < times) {
    const writes = ctx.emu.admin
      .journal()
      .filter(
        (e) =>
          /^Extensions_(Create|Update)$/.test(e.operation) &&
          e.status > 0 &&
          e.status < 300 &&
          e.path.toLowerCase().endsWith(`/extensions/${ctx.name.toLowerCase()}`)
      )
    if (writes.length > handled) {
      handled = writes.length
      await clients(ctx.emu).acr.registries.generateCredentials(
        RG,
        REGISTRY,
        { tokenId: tokenIdOf(ctx.emu, ctx.name), ...(slot ? { name: slot } : {}) },
        { updateIntervalInMs: 10 }
      )
    }
    await sleep(5)
  }
}

const FAULTS: FaultCase[] = [
  // --- sign-in: the token endpoints ---
  {
    phase: 'sign-in',
    fault: 'token endpoint answers 500 twice',
    ...burst('Token_Request', 500, 2)
  },
  {
    phase: 'sign-in',
    fault: 'token endpoint answers 429 with Retry-After: 1',
    ...throttledOnce('Token_Request')
  },
  {
    phase: 'sign-in',
    fault: 'token endpoint drops the connection',
    ...dropped('Token_Request')
  },
  {
    phase: 'sign-in',
    fault: 'token endpoint unavailable (503 on every request)',
    inject: unavailable('Token_Request'),
    expect: {
      cause: /Signing in to Microsoft Entra ID failed/,
      code: /./,
      fix: /if Microsoft Entra ID was unavailable, re-run later/,
      id: 'correlation'
    }
  },
  {
    phase: 'sign-in',
    fault: 'client secret rejected (invalid_client)',
    env: { AZURE_CLIENT_SECRET: 'expired~Secret.Value-0000000000000000000' },
    expect: {
      cause: /Signing in to Microsoft Entra ID failed: invalid_client/,
      code: /AADSTS7000215/,
      fix: /update AZURE_CLIENT_SECRET/,
      id: 'correlation'
    }
  },
  {
    phase: 'sign-in',
    fault: "GitHub's OIDC token endpoint answers 500 once",
    signIn: 'oidc',
    ...burst('Oidc_Token', 500, 1)
  },
  {
    phase: 'sign-in',
    fault: "GitHub's OIDC token endpoint keeps failing",
    signIn: 'oidc',
    inject: status('Oidc_Token', 500, 20),
    expect: {
      cause: /Getting the workflow's OIDC token from GitHub .* failed 3 times/,
      code: /Error Code : 500.*InternalServerError/,
      fix: /re-run the step; otherwise check that the job has `permissions: id-token: write`/,
      id: 'correlation'
    }
  },

  // --- reads ---
  {
    phase: 'read',
    fault: '429 with Retry-After: 1 on the registry',
    ...throttledOnce('Registries_Get')
  },
  {
    phase: 'read',
    fault: 'a burst of two 503 on the cluster',
    ...burst('ConnectedCluster_Get', 503, 2)
  },
  {
    phase: 'read',
    fault: 'dropped connection on the extension',
    ...dropped('Extensions_Get')
  },
  {
    phase: 'read',
    fault: 'subscription throttled (read budget of 6 per second)',
    inject: ({ emu }) => emu.admin.setThrottle({ reads: 6, windowMs: 1000 }),
    expect: { survives: true },
    check: (_run, journal) => expect(journal.some((e) => e.status === 429)).toBe(true)
  },
  {
    phase: 'read',
    fault: 'sync token reads unavailable (503 after every retry)',
    inject: unavailable('Tokens_Get'),
    expect: {
      cause: /Reading sync token '.+' failed: Injected 503/,
      code: /Azure error ServiceUnavailable, HTTP 503/,
      fix: /Azure was unavailable after several retries. Re-run the step/
    }
  },
  {
    phase: 'read',
    fault: 'missing RBAC permission to read extensions (403)',
    inject: ({ emu }) =>
      emu.admin.denyActions(['Microsoft.KubernetesConfiguration/extensions/read']),
    expect: {
      cause:
        /does not have authorization to perform action 'Microsoft.KubernetesConfiguration\/extensions\/read'/,
      code: /Azure error AuthorizationFailed, HTTP 403/,
      fix: /Grant the signed-in identity the missing action on that scope/
    }
  },
  {
    phase: 'read',
    fault: 'cluster Offline',
    inputs: { cluster: 'edge-cluster-offline' },
    heal: ({ emu }) => emu.admin.setClusterConnectivity('edge-cluster-offline', 'Connected'),
    expect: {
      cause: /Arc-enabled cluster 'edge-cluster-offline' is Offline, not Connected/,
      code: /Offline/,
      fix: /kubectl get pods -n azure-arc\) and re-run/
    }
  },

  // --- writes ---
  {
    phase: 'write',
    fault: '429 with Retry-After: 1 on the scope map',
    ...throttledOnce('ScopeMaps_Create')
  },
  {
    phase: 'write',
    fault: 'a burst of two 503 creating the connected registry',
    ...burst('ConnectedRegistries_Create', 503, 2)
  },
  {
    phase: 'write',
    fault: 'dropped connection creating the sync token',
    ...dropped('Tokens_Create')
  },
  {
    phase: 'write',
    fault: 'dropped connection generating the password',
    ...dropped('Registries_GenerateCredentials')
  },
  {
    phase: 'write',
    fault: '500 creating the extension',
    ...burst('Extensions_Create', 500, 1)
  },
  {
    phase: 'write',
    fault: '409 Conflict updating the extension (another operation in progress)',
    existing: true,
    inject: status('Extensions_Update', 409, 2, {
      code: 'Conflict',
      message:
        "Operation 'Update' on extension is not allowed because another operation ('update') is in progress. Please retry after the ongoing operation completes."
    }),
    expect: { survives: true },
    check: (run, journal) => {
      retried('Extensions_Update', 2)(run, journal)
      expect(run.stdout).toContain('Azure answered 409 Conflict')
    }
  },
  {
    phase: 'write',
    fault: '409 Conflict: the extension is still being deleted',
    existing: true,
    racesTheRun: true,
    inject: async (ctx) => {
      // Long enough that the run, started after this, still finds the extension Deleting.
      ctx.emu.admin.setTiming({ deletionMs: 3000 })
      await clients(ctx.emu).k8s.extensions.beginDelete(
        RG,
        'Microsoft.Kubernetes',
        'connectedClusters',
        CLUSTER,
        ctx.name.toLowerCase()
      )
    },
    heal: ({ emu }) => {
      emu.admin.setTiming({ deletionMs: FAST.deletionMs })
    },
    expect: { survives: true },
    check: (run) => expect(run.stdout).toMatch(/is Deleting \(another operation is running on it\)/)
  },
  {
    phase: 'write',
    fault: 'sync token creation unavailable (503 after every retry)',
    inject: unavailable('Tokens_Create'),
    expect: {
      cause: /Creating Sync token '.+' failed/,
      code: /Azure error ServiceUnavailable, HTTP 503/,
      fix: /Re-run the step/
    }
  },
  {
    phase: 'write',
    fault: 'missing RBAC permission to generate passwords (403)',
    existing: true,
    inject: ({ emu }) =>
      emu.admin.denyActions(['Microsoft.ContainerRegistry/registries/generateCredentials/action']),
    // The permission preflight finds it before the first write.
    expect: {
      cause: /lacks a permission this run needs; nothing was changed: /,
      code: /Microsoft\.ContainerRegistry\/registries\/generateCredentials\/action on \/subscriptions\/.+\/resourceGroups\/edge-rg/,
      fix: /Grant them .* and re-run/,
      id: 'correlation'
    }
  },
  {
    phase: 'write',
    fault: 'password generated, then the extension update is forbidden (403)',
    existing: true,
    // Without Microsoft.Authorization/permissions/read the preflight cannot check: the write fails.
    inject: ({ emu }) =>
      emu.admin.denyActions([
        'Microsoft.KubernetesConfiguration/extensions/write',
        'Microsoft.Authorization/permissions/read'
      ]),
    expect: {
      cause: /Updating Extension '.+' failed: .*extensions\/write/,
      code: /Azure error AuthorizationFailed, HTTP 403/,
      fix: /Grant the signed-in identity the missing action/
    }
  },

  // --- long-running operation polls ---
  {
    phase: 'LRO poll',
    fault: 'a burst of two 500 on the operation status',
    ...burst('OperationStatus_Get', 500, 2)
  },
  {
    phase: 'LRO poll',
    fault: 'dropped connection on the operation status',
    ...dropped('OperationStatus_Get')
  },
  {
    phase: 'LRO poll',
    fault: '429 with Retry-After: 1 on the operation status',
    ...throttledOnce('OperationStatus_Get')
  },
  {
    phase: 'LRO poll',
    fault: "missing RBAC permission to follow the extension's operation (403)",
    inject: ({ emu }) =>
      emu.admin.denyActions(['Microsoft.KubernetesConfiguration/extensions/operations/read']),
    expect: {
      cause: /lacks a permission this run needs; nothing was changed: /,
      code: /Microsoft\.KubernetesConfiguration\/extensions\/operations\/read on /,
      fix: /Grant them .* and re-run/,
      id: 'correlation'
    }
  },
  {
    phase: 'LRO poll',
    fault: 'connected registry creation ends Failed',
    inject: fault({
      operation: 'ConnectedRegistries_Create',
      kind: 'lro-failure',
      code: 'ConnectedRegistryCreateFailed',
      message: 'The sync token could not be validated.',
      times: 1
    }),
    expect: {
      cause: /Creating Connected registry '.+' failed: The sync token could not be validated/,
      code: /Azure error ConnectedRegistryCreateFailed/,
      fix: /Correct the cause and re-run: the action continues from what already exists/
    }
  },
  {
    phase: 'LRO poll',
    fault: 'password generation ends Failed',
    existing: true,
    inject: fault({
      operation: 'Registries_GenerateCredentials',
      kind: 'lro-failure',
      status: 400,
      code: 'TokenPasswordGenerationFailed',
      message: 'The password could not be generated.',
      times: 1
    }),
    expect: {
      cause:
        /Generating Sync token password \(password2\) failed: The password could not be generated/,
      code: /Azure error TokenPasswordGenerationFailed, HTTP 400/,
      fix: /Re-run|re-run/
    }
  },
  {
    phase: 'LRO poll',
    fault: 'extension installation ends Failed (errorInfo)',
    racesTheRun: true,
    inject: fault({
      operation: 'Extensions_Create',
      kind: 'lro-failure',
      code: 'ExtensionOperationFailed',
      message: 'helm install failed: timed out waiting for the condition',
      times: 1
    }),
    expect: {
      cause: /ended in state Failed: helm install failed: timed out waiting for the condition/,
      code: /error code ExtensionOperationFailed/,
      fix: /kubectl get pods -n connected-registry/,
      id: 'correlation'
    }
  },
  {
    phase: 'LRO poll',
    fault: 'extension update ends Failed after a new password was generated',
    existing: true,
    racesTheRun: true,
    inject: fault({
      operation: 'Extensions_Update',
      kind: 'lro-failure',
      code: 'ExtensionOperationFailed',
      message: 'helm upgrade failed: another release is pending',
      times: 1
    }),
    expect: {
      cause: /ended in state Failed: helm upgrade failed/,
      code: /error code ExtensionOperationFailed/,
      fix: /kubectl/,
      id: 'correlation'
    }
  },

  // --- the wait for Online ---
  {
    phase: 'waiting',
    fault: 'a burst of two 503 reading the connected registry',
    during: duringWait({
      operation: 'ConnectedRegistries_Get',
      kind: 'status',
      status: 503,
      times: 2
    }),
    expect: { survives: true },
    check: recoveredMidRun('ConnectedRegistries_Get', 2)
  },
  {
    phase: 'waiting',
    fault: 'dropped connection reading the extension',
    during: duringWait({ operation: 'Extensions_Get', kind: 'drop', times: 1 }),
    expect: { survives: true },
    check: recoveredMidRun('Extensions_Get', 1)
  },
  {
    phase: 'waiting',
    fault: 'extension ends Failed: service IP outside the service CIDR',
    inputs: { 'service-cluster-ip': '10.9.0.5' },
    rerunInputs: {},
    racesTheRun: true,
    expect: {
      cause: /ended in state Failed: .*not in the valid range/,
      code: /error code ExtensionOperationFailed/,
      fix: /Set 'service-cluster-ip' to a free address inside the cluster's service CIDR/,
      id: 'correlation'
    }
  },
  {
    phase: 'waiting',
    fault: 'password regenerated right after the update (a lost race)',
    existing: true,
    racesTheRun: true,
    // The restarted instance takes a while to report: until then the old Online shows. Not
    // longer than the run believes a stale Online for (a few polls), or no race is lost.
    inject: ({ emu }) => {
      emu.admin.setTiming({ activationMs: 200 })
    },
    heal: ({ emu }) => {
      emu.admin.setTiming({ activationMs: FAST.activationMs })
    },
    // Only the slot this run just delivered: the old instance keeps working meanwhile.
    during: (ctx) => rogueRotator(ctx, 1, 'password2'),
    expect: { survives: true },
    check: (run) => expect(run.stdout).toContain('repairing once with a new password')
  },
  {
    phase: 'waiting',
    fault: 'registry stays UNAUTHORIZED (passwords regenerated after every update)',
    existing: true,
    breaksRegistry: true,
    racesTheRun: true,
    during: rogueRotator,
    expect: {
      cause: /The connected registry reports Unhealthy/,
      code: /statusDetails UNAUTHORIZED/,
      fix: /Re-run the step: the action generates a fresh password into the unused slot/,
      id: 'correlation'
    },
    check: (run) => expect(run.stdout).toContain('repairing once with a new password')
  },
  {
    phase: 'waiting',
    fault: 'registry ALREADY_ACTIVATED by another instance',
    existing: true,
    breaksRegistry: true,
    // Another instance takes the activation while the update is on its way.
    during: (ctx) =>
      whenRequestArrives(ctx.emu, 'Extensions_Update', () =>
        ctx.emu.admin.setConnectedRegistryActivation(REGISTRY, ctx.name, 'Active')
      ),
    expect: {
      cause: /The connected registry reports Unhealthy/,
      code: /statusDetails ALREADY_ACTIVATED/,
      fix: /Re-run the step: the action deactivates a registry whose instance no longer runs/,
      id: 'correlation'
    }
  },

  // --- an access token that expires mid-run, in each phase ---
  tokenExpires('read', 'Registries_Get'),
  tokenExpires('write', 'ConnectedRegistries_Create'),
  tokenExpires('LRO poll', 'OperationStatus_Get'),
  tokenExpires('waiting', 'Extensions_Get', 'Extensions_Create')
]

async function connectionState(emu: RunningEmulator, name: string): Promise<string> {
  const cr = await clients(emu).acr.connectedRegistries.get(RG, REGISTRY, name)
  const codes = (cr.statusDetails ?? []).map((d) => d.code).join(',')
  return `${cr.connectionState}${codes ? ` ${codes}` : ''}`
}

/** The plain re-run ended Online. */
const convergedOnline = (rerun: ActionRun): boolean =>
  rerun.exitCode === 0 && rerun.outputs['connection-state'] === 'Online'

/** A failed run's message names the cause, the code, the fix and the id to look it up with. */
function explains(run: ActionRun, expected: FaultCase['expect']): boolean {
  if ('survives' in expected) return false
  const message = errorOf(run)
  const id =
    expected.id === 'correlation'
      ? /correlation id [0-9a-f-]{36}/
      : /request id [0-9a-f-]{36}, correlation id [0-9a-f-]{36}/
  return [expected.cause, expected.code, expected.fix, id].every((part) => part.test(message))
}

function outcomeOf(run: ActionRun, expected: FaultCase['expect']): Outcome {
  if (convergedOnline(run)) return 'survived'
  return explains(run, expected) ? 'failed with explanation' : 'failed without explanation'
}

/** Runs one case of the table on an emulator of its own and records what it measured. */
const runCase = (c: FaultCase, index: number) =>
  withEmulator(async (emu) => {
    const name = uniqueName(c.phase.replace(/\W/g, '').slice(0, 6))
    const inputs = deployInputs(name, c.inputs)
    if (c.existing) expectSuccess(await runAction(emu, { inputs: deployInputs(name) }))
    let done = false
    const ctx: Context = { emu, name, finished: () => done }
    emu.admin.clearJournal()
    await c.inject?.(ctx)
    const started = runAction(emu, {
      inputs: c.existing ? { ...inputs, rotate: 'true' } : inputs,
      signIn: c.signIn,
      env: c.env
    }).finally(() => {
      done = true
    })
    await c.during?.(ctx)
    const run = await started
    const journal = emu.admin.journal()
    emu.admin.clearFaults()
    emu.admin.denyActions([])
    emu.admin.setThrottle(null)
    await c.heal?.(ctx)
    // What the run reported is what runs: a running registry is still Online afterwards
    // (unless the fault itself broke it).
    let servedAfterwards = true
    if (c.existing && !c.breaksRegistry) {
      await sleep(300)
      servedAfterwards = (await connectionState(emu, name)) === 'Online'
    }
    const rerun = await runAction(emu, {
      inputs: deployInputs(name, c.rerunInputs ?? c.inputs)
    })
    figures.set(order(0, index), {
      phase: c.phase,
      fault: c.fault,
      outcome: outcomeOf(run, c.expect),
      converged: convergedOnline(rerun)
    })

    if ('survives' in c.expect) {
      expectSuccess(run)
      expect(run.outputs['connection-state']).toBe('Online')
    } else {
      expect(run.exitCode).toBe(1)
      const message = errorOf(run)
      expect(message).toMatch(c.expect.cause)
      expect(message).toMatch(c.expect.code)
      expect(message).toMatch(c.expect.fix)
      expect(message).toMatch(
        c.expect.id === 'correlation'
          ? /correlation id [0-9a-f-]{36}/
          : /request id [0-9a-f-]{36}, correlation id [0-9a-f-]{36}/
      )
    }
    c.check?.(run, journal)
    expect(servedAfterwards).toBe(true)
    expectSuccess(rerun)
    expect(rerun.outputs['connection-state']).toBe('Online')
  })

const caseTable = (cases: FaultCase[]) =>
  cases.map((c) => [`${c.phase}: ${c.fault}`, c, FAULTS.indexOf(c)] as const)

/** Three failing runs in a row, each of which sent a new password, and then a good one. */
const strandCase = () =>
  withEmulator(async (emu) => {
    const name = uniqueName('strand')
    expectSuccess(await runAction(emu, { inputs: deployInputs(name) }))
    const served: string[] = []
    const failures: string[] = []
    for (let attempt = 0; attempt < 3; attempt++) {
      const failed = await runAction(emu, {
        inputs: deployInputs(name, { 'service-cluster-ip': '10.9.0.5' })
      })
      failures.push(errorOf(failed))
      await sleep(300)
      // Each retry of the failed install sends a new password, never into the slot in use.
      served.push(await connectionState(emu, name))
    }
    const fixed = await runAction(emu, { inputs: deployInputs(name) })
    const explained = failures.every((message) => /not in the valid range/.test(message))
    figures.set(order(1, 0), {
      phase: 'waiting',
      fault: 'extension Failed three runs in a row (old release still serving)',
      outcome: explained ? 'failed with explanation' : 'failed without explanation',
      converged: convergedOnline(fixed)
    })
    for (const message of failures) expect(message).toMatch(/not in the valid range/)
    expect(served).toEqual(['Online', 'Online', 'Online'])
    expect(expectSuccess(fixed).outputs['connection-state']).toBe('Online')
  })

/** A deploy whose activation outlasts `timeout`, beside one whose cluster goes Offline. */
const timeoutCase = () =>
  withEmulator(async (emu) => {
    const slow = uniqueName('slowactivation')
    const offline = uniqueName('offlinemidrun')
    emu.admin.setTiming({ activationMs: 12_000 })
    const offlineRun = runAction(emu, {
      inputs: deployInputs(offline, { cluster: SPARE_CLUSTER, timeout: '10s' })
    })
    await whenRequestArrives(emu, 'Extensions_Create', () =>
      emu.admin.setClusterConnectivity(SPARE_CLUSTER, 'Offline')
    )
    const slowRun = runAction(emu, { inputs: deployInputs(slow, { timeout: '10s' }) })
    const [timedOut, pending] = await Promise.all([slowRun, offlineRun])
    emu.admin.setTiming({ activationMs: FAST.activationMs })
    emu.admin.setClusterConnectivity(SPARE_CLUSTER, 'Connected')
    const [slowAgain, offlineAgain] = await Promise.all([
      runAction(emu, { inputs: deployInputs(slow) }),
      runAction(emu, { inputs: deployInputs(offline, { cluster: SPARE_CLUSTER }) })
    ])

    const timedOutMessage =
      /The step's 'timeout' \(10s, from the step's start to its last output\) ran out during 'Wait until Online'\. The connected registry did not come Online\. Connected registry '.+': connectionState Offline.*kubectl get pods.*correlation id/
    const pendingMessage =
      /ran out during 'Wait until Online'\. Extension '.+' was still Creating: The Arc-enabled cluster 'edge-cluster-02' is not connected to Azure.*Re-run the step with a longer 'timeout'.*correlation id/
    const outcome = (run: ActionRun, message: RegExp): Outcome =>
      convergedOnline(run)
        ? 'survived'
        : message.test(errorOf(run))
          ? 'failed with explanation'
          : 'failed without explanation'
    figures.set(order(2, 0), {
      phase: 'waiting',
      fault: 'activation slower than the timeout',
      outcome: outcome(timedOut, timedOutMessage),
      converged: convergedOnline(slowAgain)
    })
    figures.set(order(2, 1), {
      phase: 'waiting',
      fault: 'cluster goes Offline mid-run (extension pending)',
      outcome: outcome(pending, pendingMessage),
      converged: convergedOnline(offlineAgain)
    })
    expect(errorOf(timedOut)).toMatch(timedOutMessage)
    expect(errorOf(pending)).toMatch(pendingMessage)
    expect(expectSuccess(slowAgain).outputs['connection-state']).toBe('Online')
    expect(expectSuccess(offlineAgain).outputs['connection-state']).toBe('Online')
  })

/** The connection string the extension received last, and whether its password works. */
function lastDelivered(
  emu: RunningEmulator,
  name: string
): { connectionString: string; passwordCurrent: boolean } {
  const received = protectedSettingsSent(emu, name)
  const connectionString = received[received.length - 1].settings.connectionString
  const password = /SyncTokenPassword=([^;]+)/.exec(connectionString)?.[1]
  const passwordCurrent = emu.admin
    .secretsForTests()
    .tokenPasswords.some((p) => p.value === password && p.current)
  return { connectionString, passwordCurrent }
}

const OVERLAPS: [string, boolean, Record<string, string>, Record<string, string>][] = [
  [
    'a scheduled redeploy overlapping a manual rotation',
    true,
    { 'storage-size': '20Gi' },
    { operation: 'rotate-credentials' }
  ],
  ['two rotations', true, { rotate: 'true' }, { rotate: 'true', 'log-level': 'Debug' }],
  [
    'two first deploys with different settings',
    false,
    {},
    { 'log-level': 'Warning', 'sync-schedule': '0 * * * *' }
  ]
]

/** Slow enough installs that the two runs' extension writes overlap every time. */
const OVERLAP_TIMING = { extensionProvisioningMs: 500 }

/** Two runs at once on one connected registry (a first deploy of it when not `existing`). */
const overlapCase = (
  scenario: string,
  existing: boolean,
  first: Record<string, string>,
  second: Record<string, string>
) =>
  withEmulator(async (emu) => {
    emu.admin.setTiming(OVERLAP_TIMING)
    const name = uniqueName('race')
    if (existing) expectSuccess(await runAction(emu, { inputs: deployInputs(name) }))
    const withOutput = (inputs: Record<string, string>) => ({
      inputs: { ...inputs, 'output-connection-string': 'true' }
    })
    const runs = await Promise.all([
      runAction(emu, withOutput(deployInputs(name, first))),
      runAction(emu, withOutput(deployInputs(name, second)))
    ])
    await sleep(300)
    const state = await connectionState(emu, name)
    const last = lastDelivered(emu, name)
    // The scheduled deploy's settings, without a rotation: a plain re-run.
    const plain = deployInputs(name, { ...first, rotate: 'false' })
    const rerun = await runAction(emu, { inputs: plain })
    const again = await runAction(emu, { inputs: plain })
    concurrency.set(scenario, {
      scenario,
      runs: runs.length,
      succeeded: runs.filter((run) => run.exitCode === 0).length,
      converged: convergedOnline(rerun) && again.outputs.changed === 'false'
    })

    // The action's answer to an overlap: wait out the other operation (409), then write; a
    // password lost to the other run is repaired once. Both runs succeed.
    for (const run of runs) expectSuccess(run)
    expect(state).toBe('Online')
    expect(last.passwordCurrent).toBe(true)
    const delivered = runs.map((run) => run.outputs['connection-string']).filter(Boolean)
    expect(delivered).toContain(last.connectionString)
    expect(expectSuccess(rerun).outputs['connection-state']).toBe('Online')
    expect(expectSuccess(again).outputs.changed).toBe('false')
  })

describe('no fault strands a deployment', () => {
  it.concurrent.each(caseTable(FAULTS.filter((c) => !c.racesTheRun)))('%s', (_, c, index) =>
    runCase(c, index)
  )
  it.concurrent(
    'failed updates never strand the running registry: three failing runs in a row (bad service IP) leave the old release serving',
    strandCase
  )
  it.concurrent(
    'runs that time out: activation slower than the timeout, and a cluster that goes Offline mid-run',
    timeoutCase
  )
  it.concurrent.each(OVERLAPS)(
    'two runs at once, %s: Online with the last writer’s connection string, and a re-run converges',
    overlapCase
  )
  // After the concurrent cases: nothing else runs in this file while they race the run.
  it.each(caseTable(FAULTS.filter((c) => c.racesTheRun)))('%s', (_, c, index) => runCase(c, index))
})

// A run can die anywhere: a runner lost, a job cancelled hard. Each case kills the bundled action
// (SIGKILL, no last word) right after one of its writes went through, at every write of a first
// deploy and of a rotation with revoke-old-password, then re-runs the same step. The re-run
// must converge (exit 0, the registry Online on a current password, and still Online once every
// pod restart has played out), and no password a serving pod used may be regenerated before a
// new pod took over: the emulator's timeline shows no running pod that lost its password.
//
// Then overlapping runs while the instance restarts slower than the poll interval: every run
// that exits 0 leaves a registry that stays Online, and a run that repairs a lost race is not
// misled by the replaced pod's stale UNAUTHORIZED.
//
// Each case has an emulator of its own (timing and roll-out are emulator-wide), so the cases run
// concurrently. The figures record what each case measured before the assertions judge it.

import { afterAll, describe, expect, it } from '@jest/globals'
import {
  DEFAULT_SEED_PATH,
  loadSeedFile,
  startEmulator,
  type JournalEntry,
  type RunningEmulator,
  type WorldEvent
} from '../../emulator/index.js'
import {
  errorOf,
  expectSuccess,
  runAction,
  type ActionRun
} from '../../__fixtures__/action-runner.js'
import { emulatorClients } from '../../__fixtures__/azure.js'
import { protectedSettingsSent, tokenIdOf } from '../../__fixtures__/scenario.js'
import { deployInputs, REGISTRY, RG, sleep, uniqueName, writeFigures } from './helpers.js'

/**
 * Short delays, except the one under test: a restarted pod contacts its parent a second after
 * its release landed (ten polls of these runs), while the pod it replaces keeps serving
 * (rolling update, the emulator's default roll-out).
 */
const TIMING = {
  lroMs: 20,
  extensionProvisioningMs: 60,
  activationMs: 60,
  syncingMs: 60,
  deletionMs: 50,
  restartGapMs: 1000
}
/** Long enough for every restart a run started to play out. */
const SETTLE_MS = TIMING.restartGapMs + TIMING.activationMs + TIMING.syncingMs + 400

async function withEmulator<T>(scenario: (emu: RunningEmulator) => Promise<T>): Promise<T> {
  const seed = loadSeedFile(DEFAULT_SEED_PATH)
  seed.timing = { ...seed.timing, ...TIMING }
  seed.clusterBehaviour = { rollingUpdate: true }
  const emu = await startEmulator({ quiet: true, seed })
  try {
    return await scenario(emu)
  } finally {
    await emu.stop()
  }
}

/** A write Azure accepted (the journal records it right after the answer went out). */
const accepted = (entry: JournalEntry): boolean =>
  entry.write && entry.status >= 200 && entry.status < 300

/**
 * Runs the action and kills it (SIGKILL) the moment Azure has accepted its `occurrence`-th
 * `operation` write. `killed` says whether it got that far.
 */
async function runKilledAfter(
  emu: RunningEmulator,
  inputs: Record<string, string>,
  operation: string,
  occurrence: number
): Promise<{ run: ActionRun; killed: boolean }> {
  const controller = new AbortController()
  let seen = 0
  const stop = emu.admin.onRequest((entry) => {
    if (accepted(entry) && entry.operation === operation && ++seen === occurrence) {
      controller.abort()
    }
  })
  try {
    const run = await runAction(emu, { inputs, signal: controller.signal })
    return { run, killed: controller.signal.aborted }
  } finally {
    stop()
  }
}

/** What the registry shows now, with its status codes. */
async function connectionState(emu: RunningEmulator, name: string): Promise<string> {
  const cr = await emulatorClients(emu).acr.connectedRegistries.get(RG, REGISTRY, name)
  const codes = (cr.statusDetails ?? []).map((d) => d.code).join(',')
  return `${cr.connectionState}${codes ? ` ${codes}` : ''}`
}

/** The extension holds a password that works now (the last connection string it received). */
function deliveredPasswordCurrent(emu: RunningEmulator, name: string): boolean {
  const received = protectedSettingsSent(emu, name)
  const last = received[received.length - 1]?.settings.connectionString ?? ''
  const password = /SyncTokenPassword=([^;]+)/.exec(last)?.[1]
  return emu.admin
    .secretsForTests()
    .tokenPasswords.some(
      (p) =>
        p.tokenId.toLowerCase() === tokenIdOf(emu, name).toLowerCase() &&
        p.value === password &&
        p.current
    )
}

/** Running pods of the extension that lost their password (it was regenerated under them). */
const podsBroken = (events: WorldEvent[], name: string): string[] =>
  events
    .filter(
      (e) =>
        e.resource.toLowerCase().endsWith(`/extensions/${name.toLowerCase()}`) &&
        e.property === 'instance' &&
        e.from === 'running' &&
        e.to === 'failed' &&
        e.detail.includes('UNAUTHORIZED')
    )
    .map((e) => `${e.time} ${e.detail}`)

/** The connection states the registry went through. */
const statesOf = (events: WorldEvent[], name: string): string[] =>
  events
    .filter(
      (e) =>
        e.property === 'connectionState' &&
        e.resource.toLowerCase().endsWith(`/connectedregistries/${name.toLowerCase()}`)
    )
    .map((e) => String(e.to))

type Flow = 'deploy' | 'rotation'
interface CrashCase {
  flow: Flow
  /** The write after which the run dies, and which one of its kind. */
  operation: string
  occurrence: number
}

/** Every write of a first deploy and of a rotation with revoke-old-password, in order. */
const FLOWS: Record<Flow, string[]> = {
  deploy: [
    'Registries_Update',
    'ScopeMaps_Create',
    'Tokens_Create',
    'ConnectedRegistries_Create',
    'Registries_GenerateCredentials',
    'Extensions_Create'
  ],
  rotation: [
    'Registries_GenerateCredentials',
    'Extensions_Update',
    'Registries_GenerateCredentials'
  ]
}
const CRASHES: CrashCase[] = (Object.entries(FLOWS) as [Flow, string[]][]).flatMap(
  ([flow, writes]) =>
    writes.map((operation, i) => ({
      flow,
      operation,
      occurrence: writes.slice(0, i + 1).filter((w) => w === operation).length
    }))
)

const inputsOf = (flow: Flow, name: string): Record<string, string> =>
  flow === 'deploy'
    ? deployInputs(name)
    : deployInputs(name, { operation: 'rotate-credentials', 'revoke-old-password': 'true' })

interface CrashFigure {
  flow: Flow
  killedAfter: string
  /** The run died right after that write (it got that far). */
  killed: boolean
  /** The re-run exited 0 reporting Online. */
  rerunSucceeded: boolean
  /** Once every restart played out: Online, on a password that works. */
  converged: boolean
  /** No running pod lost its password, from the kill to the end. */
  passwordInUseKept: boolean
}
interface OverlapFigure {
  scenario: string
  runs: number
  succeeded: number
  /** Every run that exited 0 left a registry that stayed Online on a current password. */
  successesHeld: boolean
  /** What each run that failed said. */
  failures: string[]
}
const crashFigures = new Map<number, CrashFigure>()
const overlapFigures = new Map<number, OverlapFigure>()

const crashCase = (c: CrashCase, index: number) =>
  withEmulator(async (emu) => {
    const name = uniqueName(`crash${c.flow.slice(0, 3)}`)
    if (c.flow === 'rotation') expectSuccess(await runAction(emu, { inputs: deployInputs(name) }))
    const eventsBefore = emu.admin.events().length
    const inputs = inputsOf(c.flow, name)
    const { run, killed } = await runKilledAfter(emu, inputs, c.operation, c.occurrence)
    const rerun = await runAction(emu, { inputs })
    await sleep(SETTLE_MS)
    const state = await connectionState(emu, name)
    const passwordCurrent = deliveredPasswordCurrent(emu, name)
    const events = emu.admin.events().slice(eventsBefore)
    const broken = podsBroken(events, name)
    crashFigures.set(index, {
      flow: c.flow,
      killedAfter: `${c.operation}${c.occurrence > 1 ? ` (#${c.occurrence})` : ''}`,
      killed,
      rerunSucceeded: rerun.exitCode === 0 && rerun.outputs['connection-state'] === 'Online',
      converged: state === 'Online' && passwordCurrent,
      passwordInUseKept: broken.length === 0
    })

    expect({ killed, exitCode: run.exitCode }).toEqual({ killed: true, exitCode: -1 })
    expect(expectSuccess(rerun).outputs['connection-state']).toBe('Online')
    expect({ state, passwordCurrent }).toEqual({ state: 'Online', passwordCurrent: true })
    expect({ broken, states: statesOf(events, name) }).toEqual({
      broken: [],
      states: expect.not.arrayContaining(['Unhealthy'])
    })
  })

/** Someone (another run, a person) regenerates `slot` right after the next extension write. */
function regenerateAfterNextExtensionWrite(
  emu: RunningEmulator,
  name: string,
  slot: 'password1' | 'password2'
): () => void {
  let done = false
  return emu.admin.onRequest((entry) => {
    if (done || !accepted(entry) || !/^Extensions_(Create|Update)$/.test(entry.operation)) return
    done = true
    void emulatorClients(emu).acr.registries.generateCredentials(
      RG,
      REGISTRY,
      { tokenId: tokenIdOf(emu, name), name: slot },
      { updateIntervalInMs: 10 }
    )
  })
}

/** Resolves once Azure accepts the next write. */
const nextAcceptedWrite = (emu: RunningEmulator): Promise<void> =>
  new Promise((resolve) => {
    const stop = emu.admin.onRequest((entry) => {
      if (!accepted(entry)) return
      stop()
      resolve()
    })
  })

interface OverlapCase {
  scenario: string
  /** Deploy first: the runs update a running registry. */
  existing: boolean
  runs: Record<string, string>[]
  /**
   * Each run after the first starts once Azure accepted the previous one's first write: it then
   * overlaps that run's writes and wait, whatever the machine's load.
   */
  staggered?: true
  /** Acts on the world while the runs are in flight; returns what stops it. */
  during?: (emu: RunningEmulator, name: string) => () => void
  check?: (runs: ActionRun[]) => void
}

const OVERLAPS: OverlapCase[] = [
  {
    scenario: 'three first deploys at once',
    existing: false,
    runs: [{}, { 'log-level': 'Warning' }, { 'sync-schedule': '0 * * * *' }]
  },
  {
    scenario: 'a redeploy overlapping a rotation with revoke-old-password',
    existing: true,
    // The rotation plans first (a redeploy that lands before it plans is drift it refuses).
    staggered: true,
    runs: [
      { operation: 'rotate-credentials', 'revoke-old-password': 'true' },
      { 'storage-size': '20Gi' }
    ]
  },
  {
    scenario: 'a password regenerated right after the update (a lost race, repaired)',
    existing: true,
    runs: [{ rotate: 'true' }],
    // The slot the run just delivered: the serving pod keeps working meanwhile, the new pod
    // meets UNAUTHORIZED, and that report stays visible through the repair's restart.
    during: (emu, name) => regenerateAfterNextExtensionWrite(emu, name, 'password2'),
    check: (runs) => expect(runs[0].stdout).toContain('repairing once with a new password')
  }
]

const overlapCase = (c: OverlapCase, index: number) =>
  withEmulator(async (emu) => {
    const name = uniqueName('slowrace')
    if (c.existing) expectSuccess(await runAction(emu, { inputs: deployInputs(name) }))
    const stop = c.during?.(emu, name)
    const started: Promise<ActionRun>[] = []
    for (const extra of c.runs) {
      const firstWrite = c.staggered ? nextAcceptedWrite(emu) : undefined
      started.push(runAction(emu, { inputs: deployInputs(name, extra) }))
      await firstWrite
    }
    const runs = await Promise.all(started)
    stop?.()
    // Each success must hold: read at once and once every restart played out.
    const atOnce = await connectionState(emu, name)
    await sleep(SETTLE_MS)
    const settled = await connectionState(emu, name)
    const passwordCurrent = deliveredPasswordCurrent(emu, name)
    const succeeded = runs.filter((run) => run.exitCode === 0).length
    const held = atOnce === 'Online' && settled === 'Online' && passwordCurrent
    overlapFigures.set(index, {
      scenario: c.scenario,
      runs: runs.length,
      succeeded,
      successesHeld: succeeded === 0 || held,
      failures: runs.filter((run) => run.exitCode !== 0).map(errorOf)
    })

    // The action's answer to an overlap: wait out the other run, repair a lost race once; every
    // run succeeds, and what it reported holds.
    for (const run of runs) expect(expectSuccess(run).outputs['connection-state']).toBe('Online')
    expect({ atOnce, settled, passwordCurrent }).toEqual({
      atOnce: 'Online',
      settled: 'Online',
      passwordCurrent: true
    })
    c.check?.(runs)
  })

afterAll(() => {
  const cases = [...crashFigures.entries()].sort(([a], [b]) => a - b).map(([, f]) => f)
  const overlaps = [...overlapFigures.entries()].sort(([a], [b]) => a - b).map(([, f]) => f)
  writeFigures('crash.json', {
    // A run filtered with -t records only what it ran.
    complete: cases.length === CRASHES.length && overlaps.length === OVERLAPS.length,
    conditions: {
      pollInterval: deployInputs('conditions')['poll-interval'],
      timing: TIMING,
      rollingUpdate: true
    },
    crashes: cases.length,
    rerunsSucceeded: cases.filter((f) => f.killed && f.rerunSucceeded).length,
    converged: cases.filter((f) => f.killed && f.converged).length,
    passwordsInUseKept: cases.filter((f) => f.killed && f.passwordInUseKept).length,
    cases,
    overlaps
  })
})

describe('a run killed after any of its writes, then re-run', () => {
  it.concurrent.each(CRASHES.map((c, i) => [c.flow, c.operation, c.occurrence, c, i] as const))(
    '%s killed after %s #%i: the re-run converges, no password in use is regenerated',
    (...args) => crashCase(args[3], args[4])
  )
})

describe('overlapping runs while the instance restarts slower than the poll interval', () => {
  it.concurrent.each(OVERLAPS.map((c, i) => [c.scenario, c, i] as const))(
    '%s: every run that exits 0 leaves a registry that stays Online',
    (_, c, i) => overlapCase(c, i)
  )
})

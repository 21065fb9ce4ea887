// Bad input never reaches Azure: every case of the invalid-input corpus, run through the
// bundled action exactly as a runner runs it, fails with one `::error::` that names the input,
// the problem and what is allowed, before a single request (not even a token request). Then the
// checks that need Azure (tier, existence, connectivity, parent, immutable mode, ownership)
// fail after reading only: no write.

import net from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startEmulator, type JournalEntry, type RunningEmulator } from '../../emulator/index.js'
import {
  errorOf,
  expectSuccess,
  runAction,
  type ActionRun
} from '../../__fixtures__/action-runner.js'
import { emulatorClients } from '../../__fixtures__/azure.js'
import {
  invalidInputCases,
  VALID_BASE_INPUTS,
  type InvalidInputCase
} from '../inputs/invalid-inputs.corpus.js'
import { CLUSTER, deployInputs, REGISTRY, RG, uniqueName, writeFigures } from './helpers.js'

const cases = await invalidInputCases()
/** Runs at once, each in a lane of its own: enough to keep two cores busy. */
const LANES = 4

/**
 * Where a case runs: an emulator whose journal shows exactly that case's requests, and a proxy
 * that accepts connections and answers none, so that every request that is not for the emulator
 * (the default Azure endpoints, GitHub's OIDC endpoint) ends up there and is counted.
 */
interface Lane {
  emu: RunningEmulator
  tripwire: net.Server
  tripwireHits: number
}
let lanes: Lane[] = []
/** The emulator of the checks that need Azure (and of the control run). */
let emu: RunningEmulator
let clients: ReturnType<typeof emulatorClients>

async function openLane(): Promise<Lane> {
  const lane: Lane = {
    emu: await startEmulator({ quiet: true }),
    tripwire: net.createServer((socket) => {
      lane.tripwireHits += 1
      socket.destroy()
    }),
    tripwireHits: 0
  }
  await new Promise<void>((resolve) => lane.tripwire.listen(0, '127.0.0.1', resolve))
  return lane
}
/** Checks that need Azure, when this file runs in full. */
const AZURE_CHECKS = 11
const figures = {
  complete: false,
  corpusCases: cases.length,
  corpusRejected: 0,
  azureChecks: 0,
  azureRejected: 0
}

interface CaseResult {
  run: ActionRun
  /** Every emulator request the case made. */
  journal: JournalEntry[]
  tripwireHits: number
}
const results = new Map<string, CaseResult>()

/** Cases whose expected message holds only for Azure's own endpoints: with a custom endpoint
 * (the emulator) a poll interval down to 100ms is allowed. */
const needsAzureEndpoints = (testCase: InvalidInputCase): boolean =>
  testCase.input === 'poll-interval'

function runCase(lane: Lane, testCase: InvalidInputCase): Promise<ActionRun> {
  const { emu } = lane
  const inputs: Record<string, string> = { ...VALID_BASE_INPUTS }
  if (!needsAzureEndpoints(testCase)) {
    inputs['subscription-id'] = emu.env.AZURE_SUBSCRIPTION_ID
    inputs['arm-endpoint'] = emu.env.ARM_ENDPOINT
    inputs['authority-host'] = emu.env.AUTHORITY_HOST
  } else {
    inputs['arm-endpoint'] = ''
    inputs['authority-host'] = ''
  }
  Object.assign(inputs, testCase.inputs)
  const proxy = `http://127.0.0.1:${(lane.tripwire.address() as net.AddressInfo).port}`
  return runAction(emu, {
    inputs,
    env: {
      HTTPS_PROXY: proxy,
      HTTP_PROXY: proxy,
      https_proxy: proxy,
      NO_PROXY: '127.0.0.1',
      no_proxy: '127.0.0.1',
      ...testCase.env
    }
  })
}

beforeAll(async () => {
  lanes = await Promise.all(Array.from({ length: LANES }, openLane))
  emu = lanes[0].emu
  clients = emulatorClients(emu)

  // Each lane takes the next case as soon as its last one is done.
  const queue = [...cases]
  await Promise.all(
    lanes.map(async (lane) => {
      for (let testCase = queue.shift(); testCase; testCase = queue.shift()) {
        lane.emu.admin.clearJournal()
        const hitsBefore = lane.tripwireHits
        const run = await runCase(lane, testCase)
        results.set(testCase.name, {
          run,
          journal: lane.emu.admin.journal(),
          tripwireHits: lane.tripwireHits - hitsBefore
        })
      }
    })
  )
  // A budget per case, not per file: the corpus grows with every class of invalid input.
}, cases.length * 4_000)

afterAll(async () => {
  // Complete when every case ran; how many were rejected as they must be is what was measured.
  figures.complete = results.size === cases.length && figures.azureChecks === AZURE_CHECKS
  writeFigures('invalid-inputs.json', figures)
  await Promise.all(
    lanes.map(async (lane) => {
      await new Promise((resolve) => lane.tripwire.close(resolve))
      await lane.emu.stop()
    })
  )
})

const errorLines = (run: ActionRun): string[] =>
  run.stdout.split('\n').filter((line) => line.startsWith('::error::'))

describe('the bundled action rejects each invalid input before any request', () => {
  it('runs the whole corpus (at least 40 cases)', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40)
    expect(results.size).toBe(cases.length)
  })

  it('control: the tripwire catches a run that does reach out (valid inputs, Azure endpoints)', async () => {
    const lane = lanes[0]
    const hitsBefore = lane.tripwireHits
    const control = await runCase(lane, {
      name: 'control',
      inputs: { 'poll-interval': '10s' },
      input: 'poll-interval',
      messageIncludes: []
    })
    expect(control.exitCode).toBe(1)
    expect(lane.tripwireHits).toBeGreaterThan(hitsBefore)
  })

  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', (name, testCase) => {
    const { run, journal, tripwireHits: hits } = results.get(name) as CaseResult
    expect(run.exitCode).toBe(1)
    expect(errorLines(run)).toHaveLength(1)
    const message = errorOf(run)
    expect(message).toContain(`Input '${testCase.input}'`)
    for (const fragment of testCase.messageIncludes) expect(message).toContain(fragment)
    // Not a request: no token, no read, nothing through a proxy either.
    expect(journal).toEqual([])
    expect(hits).toBe(0)
    expect(run.stdout).not.toContain('::group::Sign in')
    figures.corpusRejected += 1
  })
})

describe('checks that need Azure fail after reading only: no write', () => {
  const writes = (): JournalEntry[] => emu.admin.journal().filter((entry) => entry.write)

  async function rejected(inputs: Record<string, string>, pattern: RegExp): Promise<string> {
    figures.azureChecks += 1
    emu.admin.clearJournal()
    const run = await runAction(emu, { inputs })
    expect(run.exitCode).toBe(1)
    expect(errorLines(run)).toHaveLength(1)
    const message = errorOf(run)
    expect(message).toMatch(pattern)
    // It did read (the check needed Azure) but wrote nothing.
    expect(emu.admin.journal().length).toBeGreaterThan(0)
    expect(writes()).toEqual([])
    figures.azureRejected += 1
    return message
  }

  it('a registry on the Basic tier', async () => {
    const message = await rejected(
      deployInputs(uniqueName('basic'), { registry: 'contosobasic' }),
      /Registry 'contosobasic' is on the Basic tier; connected registries need the Premium tier/
    )
    expect(message).toContain('--sku Premium')
  })

  it('a registry that does not exist', async () => {
    await rejected(
      deployInputs(uniqueName('noregistry'), { registry: 'nosuchregistry' }),
      /Registry 'nosuchregistry' was not found in resource group 'edge-rg'.*Check the inputs 'registry', 'resource-group' and 'subscription-id'/
    )
  })

  it('a cluster that does not exist', async () => {
    await rejected(
      deployInputs(uniqueName('nocluster'), { cluster: 'no-such-cluster' }),
      /Arc-enabled cluster 'no-such-cluster' was not found.*Check the inputs 'cluster' and 'cluster-resource-group'/
    )
  })

  it('a cluster that is Offline', async () => {
    await rejected(
      deployInputs(uniqueName('offline'), { cluster: 'edge-cluster-offline' }),
      /'edge-cluster-offline' is Offline, not Connected.*kubectl get pods -n azure-arc/
    )
  })

  it('a parent that does not exist', async () => {
    await rejected(
      deployInputs(uniqueName('orphan'), { parent: 'nosuchparent' }),
      /The parent connected registry 'nosuchparent' \(input 'parent'\) was not found.*Deploy the parent first/
    )
  })

  it('a ReadWrite child under a ReadOnly parent', async () => {
    const parent = uniqueName('roparent')
    expectSuccess(await runAction(emu, { inputs: deployInputs(parent, { mode: 'ReadOnly' }) }))
    await rejected(
      deployInputs(uniqueName('rwchild'), { parent, mode: 'ReadWrite' }),
      /Input 'mode' is ReadWrite but the parent connected registry '.+' is ReadOnly.*Set mode: ReadOnly/
    )
  })

  it('a change of the immutable mode', async () => {
    const name = uniqueName('immutable')
    expectSuccess(await runAction(emu, { inputs: deployInputs(name, { mode: 'ReadOnly' }) }))
    await rejected(
      deployInputs(name, { mode: 'ReadWrite' }),
      /exists in mode ReadOnly, but input 'mode' is ReadWrite. The mode cannot be changed after creation/
    )
  })

  it('a new connected registry without repositories', async () => {
    await rejected(
      deployInputs(uniqueName('norepos'), { repositories: '' }),
      /does not exist yet, and input 'repositories' is empty/
    )
  })

  it('a scope map of the same name that belongs to someone else', async () => {
    const name = uniqueName('foreign')
    await clients.acr.scopeMaps.create(
      RG,
      REGISTRY,
      name,
      { actions: ['repositories/hello-world/content/read'], description: 'the team pull map' },
      { updateIntervalInMs: 20 }
    )
    await rejected(
      deployInputs(name),
      /Scope map '.+' already exists in registry 'contosoacr' and was not created by this action/
    )
  })

  it('an extension of the same name but another type', async () => {
    const name = uniqueName('othertype')
    await clients.k8s.extensions.beginCreateAndWait(
      RG,
      'Microsoft.Kubernetes',
      'connectedClusters',
      CLUSTER,
      name.toLowerCase(),
      { extensionType: 'Microsoft.Flux', configurationSettings: {} },
      { updateIntervalInMs: 20 }
    )
    await rejected(
      deployInputs(name),
      /is of type 'microsoft.flux', not Microsoft.ContainerRegistry.ConnectedRegistry. Choose another 'extension-name'/i
    )
  })

  it('an extension in another release namespace', async () => {
    const name = uniqueName('namespace')
    expectSuccess(await runAction(emu, { inputs: deployInputs(name) }))
    await rejected(
      deployInputs(name, { 'release-namespace': 'registry-two' }),
      /is installed in namespace 'connected-registry', but input 'release-namespace' is 'registry-two'/
    )
  })
})

// What the end-to-end tests of the action share: an emulator of the test file's own, inputs for a
// connected registry (each with its own service IP, as on a real cluster), running the bundle and
// reading what it left behind.

import { AsyncLocalStorage } from 'node:async_hooks'
import { afterAll, beforeAll } from '@jest/globals'
import {
  startEmulator,
  type JournalEntry,
  type RunningEmulator,
  type WorldEvent
} from '../emulator/index.js'
import { expectSuccess, runAction, type ActionRun, type RunOptions } from './action-runner.js'
import { emulatorClients } from './azure.js'

export const RESOURCE_GROUP = 'edge-rg'
export const REGISTRY = 'contosoacr'
export const CLUSTER = 'edge-cluster-01'

/** The ARM id of the seeded registry in the emulator's subscription. */
export const registryIdOf = (emu: RunningEmulator): string =>
  `/subscriptions/${emu.env.AZURE_SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.ContainerRegistry/registries/${REGISTRY}`

/** The ARM id of the sync token of the connected registry `name`. */
export const tokenIdOf = (emu: RunningEmulator, name: string): string =>
  `${registryIdOf(emu)}/tokens/${name}`

/** The inputs that name the connected registry `name` and its cluster, with short polls. */
export const targetInputs = (name: string): Record<string, string> => ({
  'resource-group': RESOURCE_GROUP,
  registry: REGISTRY,
  'connected-registry': name,
  cluster: CLUSTER,
  'poll-interval': '100ms',
  timeout: '60s'
})

interface Started {
  emu: RunningEmulator
  clients: ReturnType<typeof emulatorClients>
}

async function start(): Promise<Started> {
  const emu = await startEmulator({ quiet: true })
  return { emu, clients: emulatorClients(emu) }
}

/**
 * Gives the test file an emulator of its own, started before its tests and stopped after them,
 * and what the tests do with it. `subnet` keeps the service IPs of the files apart. Called in a
 * `describe`, the emulator runs only for that block (and not at all when it is skipped).
 * `isolated(test)` gives one test an emulator of its own instead (a fresh world), so that the
 * file's tests can run at once with `it.concurrent`.
 */
export function useScenario(subnet: number) {
  let started: Started | undefined
  const isolatedTest = new AsyncLocalStorage<Started>()
  beforeAll(async () => {
    started = await start()
  })
  afterAll(async () => started?.emu.stop())
  const running = () => {
    const current = isolatedTest.getStore() ?? started
    if (!current) throw new Error('the emulator runs from beforeAll on: use it in tests and hooks')
    return current
  }
  /** `test`, run against an emulator of its own that starts with the seed. */
  const isolated = (test: () => Promise<void>) => async (): Promise<void> => {
    const own = await start()
    try {
      await isolatedTest.run(own, test)
    } finally {
      await own.emu.stop()
    }
  }
  const serviceIps = new Map<string, string>()

  /** A free address in the emulated cluster's service CIDR (10.0.0.0/16), one per registry. */
  const serviceIpOf = (name: string): string => {
    if (!serviceIps.has(name)) serviceIps.set(name, `10.0.${subnet}.${serviceIps.size + 10}`)
    return serviceIps.get(name) as string
  }

  /** Deploy inputs for the connected registry `name`, with `extra` ones. */
  const inputsFor = (name: string, extra: Record<string, string> = {}): Record<string, string> => ({
    ...targetInputs(name),
    'service-cluster-ip': serviceIpOf(name),
    repositories: 'hello-world, app/web',
    ...extra
  })

  const run = (inputs: Record<string, string>, options: Omit<RunOptions, 'inputs'> = {}) =>
    runAction(running().emu, { ...options, inputs })

  /** Runs the action and fails the test with its error and log when the run fails. */
  const runOk = async (
    inputs: Record<string, string>,
    options: Omit<RunOptions, 'inputs'> = {}
  ): Promise<ActionRun> => expectSuccess(await run(inputs, options))

  const deploy = (name: string, extra: Record<string, string> = {}) => runOk(inputsFor(name, extra))

  /** Resolves to undefined when Azure answers 404. */
  async function orMissing<T>(read: () => Promise<T>): Promise<T | undefined> {
    try {
      return await read()
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined
      throw error
    }
  }

  /** What exists in Azure for a connected registry: undefined for what is gone. */
  const world = async (name: string, extensionName = name.toLowerCase()) => {
    const { clients } = running()
    return {
      connectedRegistry: await orMissing(() =>
        clients.acr.connectedRegistries.get(RESOURCE_GROUP, REGISTRY, name)
      ),
      token: await orMissing(() => clients.acr.tokens.get(RESOURCE_GROUP, REGISTRY, name)),
      scopeMap: await orMissing(() => clients.acr.scopeMaps.get(RESOURCE_GROUP, REGISTRY, name)),
      extension: await orMissing(() =>
        clients.k8s.extensions.get(
          RESOURCE_GROUP,
          'Microsoft.Kubernetes',
          'connectedClusters',
          CLUSTER,
          extensionName
        )
      )
    }
  }

  return {
    get emu() {
      return running().emu
    },
    get admin() {
      return running().emu.admin
    },
    get clients() {
      return running().clients
    },
    get registryId() {
      return registryIdOf(running().emu)
    },
    isolated,
    serviceIpOf,
    inputsFor,
    run,
    runOk,
    deploy,
    world,
    connectedRegistryId: (name: string) =>
      `${registryIdOf(running().emu)}/connectedRegistries/${name}`,
    tokenId: (name: string) => tokenIdOf(running().emu, name)
  }
}

/** What `world` shows once everything is gone. */
export const GONE = {
  connectedRegistry: undefined,
  token: undefined,
  scopeMap: undefined,
  extension: undefined
}

/** The protected settings sent to the extension `extensionName`, oldest first. */
export const protectedSettingsSent = (emu: RunningEmulator, extensionName: string) =>
  emu.admin
    .secretsForTests()
    .extensionProtectedSettings.filter((entry) =>
      entry.extensionId.toLowerCase().endsWith(`/extensions/${extensionName.toLowerCase()}`)
    )

/** The writes (PUT, PATCH, POST, DELETE) in the journal, by operationId, in order. */
export const writeOperations = (journal: JournalEntry[]): string[] =>
  journal.filter((entry) => entry.write).map((entry) => entry.operation)

/** The connection states a resource went through, in order (from the emulator's timeline). */
export const connectionStates = (events: WorldEvent[], resourceId: string): string[] =>
  events
    .filter(
      (event) =>
        event.property === 'connectionState' &&
        event.resource.toLowerCase() === resourceId.toLowerCase()
    )
    .map((event) => String(event.to))

/** A JavaScript stack frame anywhere in what the user sees, debug lines (%0A-encoded) included. */
export const hasStackTrace = (result: ActionRun): boolean =>
  /^\s+at .+[(:]\d+/m.test(`${result.stdout}\n${result.stderr}`.replace(/%0A/g, '\n'))

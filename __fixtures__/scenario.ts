// What the end-to-end tests of the operations share: inputs for a connected registry (each with
// its own service IP, as on a real cluster), running the bundle and reading what it left behind.

import type { JournalEntry, RunningEmulator, WorldEvent } from '../emulator/index.js'
import { errorOf, runAction, type ActionRun, type RunOptions } from './action-runner.js'
import { emulatorClients } from './azure.js'

export const RESOURCE_GROUP = 'edge-rg'
export const REGISTRY = 'contosoacr'
export const CLUSTER = 'edge-cluster-01'

export function scenario(emu: RunningEmulator, subnet: number) {
  const clients = emulatorClients(emu)
  const serviceIps = new Map<string, string>()
  const registryId = `/subscriptions/${emu.env.AZURE_SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.ContainerRegistry/registries/${REGISTRY}`

  /** A free address in the emulated cluster's service CIDR (10.0.0.0/16), one per registry. */
  const serviceIpOf = (name: string): string => {
    if (!serviceIps.has(name)) serviceIps.set(name, `10.0.${subnet}.${serviceIps.size + 10}`)
    return serviceIps.get(name) as string
  }

  const inputsFor = (name: string, extra: Record<string, string> = {}): Record<string, string> => ({
    'resource-group': RESOURCE_GROUP,
    registry: REGISTRY,
    'connected-registry': name,
    cluster: CLUSTER,
    'service-cluster-ip': serviceIpOf(name),
    repositories: 'hello-world, app/web',
    'poll-interval': '100ms',
    timeout: '60s',
    ...extra
  })

  const run = (inputs: Record<string, string>, options: Omit<RunOptions, 'inputs'> = {}) =>
    runAction(emu, { ...options, inputs })

  /** Runs the action and fails the test with its error and log when the run fails. */
  async function runOk(
    inputs: Record<string, string>,
    options: Omit<RunOptions, 'inputs'> = {}
  ): Promise<ActionRun> {
    const result = await run(inputs, options)
    if (result.exitCode !== 0) {
      throw new Error(`the action failed: ${errorOf(result)}\n${result.stdout}`)
    }
    return result
  }

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
  const world = async (name: string, extensionName = name.toLowerCase()) => ({
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
  })

  return {
    clients,
    registryId,
    serviceIpOf,
    inputsFor,
    run,
    runOk,
    deploy,
    world,
    connectedRegistryId: (name: string) => `${registryId}/connectedRegistries/${name}`,
    tokenId: (name: string) => `${registryId}/tokens/${name}`
  }
}

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

// Reads what exists in Azure, read-only: the registry, the cluster, the connected registry
// with its sync token and scope map, its ancestors (nested registries) and the extension.

import type { ConnectedRegistry, ScopeMap, Token } from '@azure/arm-containerregistry'
import type { Extension } from '@azure/arm-kubernetesconfiguration'
import type { AzureClients } from './azure/clients.js'
import { ActionError, explainAzureFailure, isNotFound } from './azure/errors.js'
import type { Settings } from './settings.js'

export interface ObservedRegistry {
  id: string
  location: string
  sku: string
  loginServer?: string
  dataEndpointEnabled: boolean
  dataEndpointHostNames: string[]
}

export interface ObservedSyncIdentity {
  token?: Token
  scopeMap?: ScopeMap
}

export interface ObservedAncestor extends ObservedSyncIdentity {
  connectedRegistry: ConnectedRegistry
}

export interface ObservedState {
  registry?: ObservedRegistry
  cluster?: { id: string; connectivityStatus: string }
  /** Nearest first: the parent, its parent, ... up to the top-level connected registry. */
  ancestors: ObservedAncestor[]
  connectedRegistry?: ConnectedRegistry
  /** Connected registries whose parent is this one; read for a teardown only. */
  children?: ConnectedRegistry[]
  /** The sync token and scope map the connected registry uses (or would use, when absent). */
  sync: ObservedSyncIdentity
  extension?: Extension
}

export const registryId = (settings: Settings): string =>
  `/subscriptions/${settings.target.subscriptionId}/resourceGroups/${settings.target.resourceGroup}` +
  `/providers/Microsoft.ContainerRegistry/registries/${settings.target.registry}`

/** Name of the last segment after `/<collection>/` in an ARM id. */
export function nameFromId(id: string | undefined, collection: string): string | undefined {
  if (!id) return undefined
  const match = new RegExp(`/${collection}/([^/]+)$`, 'i').exec(id)
  return match?.[1]
}

async function getOrUndefined<T>(what: string, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read()
  } catch (error) {
    if (isNotFound(error)) return undefined
    throw explainAzureFailure(`Reading ${what}`, error)
  }
}

export async function readSyncIdentity(
  clients: AzureClients,
  settings: Settings,
  tokenName: string | undefined
): Promise<ObservedSyncIdentity> {
  const { resourceGroup, registry } = settings.target
  if (!tokenName) return {}
  const token = await getOrUndefined(`sync token '${tokenName}'`, () =>
    clients.acr.tokens.get(resourceGroup, registry, tokenName)
  )
  const scopeMapName = nameFromId(token?.scopeMapId, 'scopeMaps') ?? tokenName
  const scopeMap = await getOrUndefined(`scope map '${scopeMapName}'`, () =>
    clients.acr.scopeMaps.get(resourceGroup, registry, scopeMapName)
  )
  return { token, scopeMap }
}

async function readRegistry(
  clients: AzureClients,
  settings: Settings
): Promise<ObservedRegistry | undefined> {
  const { resourceGroup, registry } = settings.target
  const found = await getOrUndefined(`registry '${registry}'`, () =>
    clients.acr.registries.get(resourceGroup, registry)
  )
  if (!found) return undefined
  return {
    id: found.id ?? registryId(settings),
    location: found.location,
    sku: found.sku?.name ?? 'unknown',
    loginServer: found.loginServer,
    dataEndpointEnabled: found.dataEndpointEnabled === true,
    dataEndpointHostNames: found.dataEndpointHostNames ?? []
  }
}

async function readAncestors(
  clients: AzureClients,
  settings: Settings,
  firstAncestor: string | undefined
): Promise<ObservedAncestor[]> {
  const { resourceGroup, registry } = settings.target
  const ancestors: ObservedAncestor[] = []
  let next = firstAncestor
  const seen = new Set<string>()
  while (next && !seen.has(next.toLowerCase())) {
    seen.add(next.toLowerCase())
    const name = next
    const connectedRegistry = await getOrUndefined(`connected registry '${name}'`, () =>
      clients.acr.connectedRegistries.get(resourceGroup, registry, name)
    )
    if (!connectedRegistry) {
      // A teardown after its ancestor's: a gone ancestor has no scope map left to clean up.
      if (settings.behaviour.operation === 'teardown') break
      throw new ActionError(
        ancestors.length === 0
          ? `The parent connected registry '${name}' (input 'parent') was not found in registry '${registry}'. Deploy the parent first, or check the name.`
          : `Connected registry '${name}', an ancestor of '${settings.target.connectedRegistry}', was not found in registry '${registry}'.`
      )
    }
    const tokenName = nameFromId(connectedRegistry.parent?.syncProperties?.tokenId, 'tokens')
    ancestors.push({ connectedRegistry, ...(await readSyncIdentity(clients, settings, tokenName)) })
    next = nameFromId(connectedRegistry.parent?.id, 'connectedRegistries')
  }
  return ancestors
}

/** The leading arguments of every extensions call: the Arc cluster that holds the extension. */
export const clusterScope = (settings: Settings) =>
  [
    settings.target.clusterResourceGroup,
    'Microsoft.Kubernetes',
    'connectedClusters',
    settings.target.cluster
  ] as const

export async function readExtension(
  clients: AzureClients,
  settings: Settings
): Promise<Extension | undefined> {
  const { cluster, extensionName } = settings.target
  return getOrUndefined(`extension '${extensionName}' on cluster '${cluster}'`, () =>
    clients.extensions.get(...clusterScope(settings), extensionName)
  )
}

export async function readConnectedRegistry(
  clients: AzureClients,
  settings: Settings
): Promise<ConnectedRegistry | undefined> {
  const { resourceGroup, registry, connectedRegistry } = settings.target
  return getOrUndefined(`connected registry '${connectedRegistry}'`, () =>
    clients.acr.connectedRegistries.get(resourceGroup, registry, connectedRegistry)
  )
}

/** Connected registries whose parent is `parentId` (a teardown must not strand them). */
async function readChildren(
  clients: AzureClients,
  settings: Settings,
  parentId: string
): Promise<ConnectedRegistry[]> {
  const { resourceGroup, registry } = settings.target
  const children: ConnectedRegistry[] = []
  const listed = clients.acr.connectedRegistries.list(resourceGroup, registry, {
    filter: `parent.id eq '${parentId}'`
  })
  try {
    for await (const candidate of listed) {
      // The filter narrows the list; the comparison decides (ids differ only in case at most).
      if (candidate.parent?.id?.toLowerCase() === parentId.toLowerCase()) children.push(candidate)
    }
  } catch (error) {
    throw explainAzureFailure(`Listing the connected registries of registry '${registry}'`, error)
  }
  return children
}

/** Reads everything the plan compares against. Missing resources are `undefined`, not errors. */
export async function observeState(
  clients: AzureClients,
  settings: Settings
): Promise<ObservedState> {
  const { clusterResourceGroup, cluster } = settings.target
  const [registry, clusterResource] = await Promise.all([
    readRegistry(clients, settings),
    getOrUndefined(`connected cluster '${cluster}'`, () =>
      clients.getConnectedCluster(clusterResourceGroup, cluster)
    )
  ])
  if (!registry) return { ancestors: [], sync: {}, cluster: undefined }
  const [connectedRegistry, extension] = await Promise.all([
    readConnectedRegistry(clients, settings),
    clusterResource ? readExtension(clients, settings) : Promise.resolve(undefined)
  ])
  // The input names the parent of a registry to deploy; a teardown finds it on the registry.
  const firstAncestor =
    settings.connectedRegistry.parent ??
    nameFromId(connectedRegistry?.parent?.id, 'connectedRegistries')
  const [ancestors, children] = await Promise.all([
    readAncestors(clients, settings, firstAncestor),
    settings.behaviour.operation === 'teardown' && connectedRegistry?.id
      ? readChildren(clients, settings, connectedRegistry.id)
      : Promise.resolve(undefined)
  ])
  const tokenName =
    nameFromId(connectedRegistry?.parent?.syncProperties?.tokenId, 'tokens') ??
    settings.target.connectedRegistry
  return {
    registry,
    cluster: clusterResource && {
      id: clusterResource.id,
      connectivityStatus: clusterResource.properties?.connectivityStatus ?? 'Unknown'
    },
    ancestors,
    connectedRegistry,
    children,
    sync: await readSyncIdentity(clients, settings, tokenName),
    extension
  }
}

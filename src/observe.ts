// Reads what exists in Azure, read-only: the registry, the cluster, the connected registry
// with its sync token and scope map, its ancestors (nested registries) and the extension.

import type { ConnectedRegistry, ScopeMap, Token } from '@azure/arm-containerregistry'
import type { Extension } from '@azure/arm-kubernetesconfiguration'
import { ActionError, explainAzureFailure, isNotFound } from './azure/errors.js'
import { clientScopeMapName } from './domain/scope-map.js'
import { observeCluster, type ObservedCluster } from './kube/cluster-state.js'
import type { ClusterRef } from './ports.js'
import type { RunContext } from './run-context.js'
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
  /** The managed client token (input 'client-token') and its scope map. */
  client?: ObservedSyncIdentity
  /** Names in input 'client-tokens' that do not exist in the registry. */
  missingClientTokens?: string[]
  /** The cluster's side, when the job gave access. */
  kube?: ObservedCluster
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

/** How a token is named in messages. */
type TokenKind = 'token' | 'sync token' | 'client token'

type Reader = Pick<RunContext, 'azure' | 'settings'> & Partial<Pick<RunContext, 'kube' | 'log'>>

export async function readToken(
  { azure, settings }: Reader,
  tokenName: string,
  kind: TokenKind = 'token'
): Promise<Token | undefined> {
  const { resourceGroup, registry } = settings.target
  return getOrUndefined(`${kind} '${tokenName}'`, () =>
    azure.getToken(resourceGroup, registry, tokenName)
  )
}

/** A token and its scope map; `scopeMapName` is the one to look for when the token is gone. */
export async function readSyncIdentity(
  { azure, settings }: Reader,
  tokenName: string | undefined,
  kind: TokenKind,
  fallbackScopeMapName = tokenName
): Promise<ObservedSyncIdentity> {
  const { resourceGroup, registry } = settings.target
  if (!tokenName) return {}
  const token = await readToken({ azure, settings }, tokenName, kind)
  const scopeMapName =
    nameFromId(token?.scopeMapId, 'scopeMaps') ?? fallbackScopeMapName ?? tokenName
  const scopeMap = await getOrUndefined(`scope map '${scopeMapName}'`, () =>
    azure.getScopeMap(resourceGroup, registry, scopeMapName)
  )
  return { token, scopeMap }
}

async function readRegistry({ azure, settings }: Reader): Promise<ObservedRegistry | undefined> {
  const { resourceGroup, registry } = settings.target
  const found = await getOrUndefined(`registry '${registry}'`, () =>
    azure.getRegistry(resourceGroup, registry)
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
  reader: Reader,
  firstAncestor: string | undefined
): Promise<ObservedAncestor[]> {
  const { azure, settings } = reader
  const { resourceGroup, registry } = settings.target
  const ancestors: ObservedAncestor[] = []
  let next = firstAncestor
  const seen = new Set<string>()
  while (next && !seen.has(next.toLowerCase())) {
    seen.add(next.toLowerCase())
    const name = next
    const connectedRegistry = await getOrUndefined(`connected registry '${name}'`, () =>
      azure.getConnectedRegistry(resourceGroup, registry, name)
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
    ancestors.push({
      connectedRegistry,
      ...(await readSyncIdentity(reader, tokenName, 'sync token'))
    })
    next = nameFromId(connectedRegistry.parent?.id, 'connectedRegistries')
  }
  return ancestors
}

/** The Arc cluster that holds the extension. */
export const clusterOf = (settings: Settings): ClusterRef => ({
  resourceGroup: settings.target.clusterResourceGroup,
  name: settings.target.cluster
})

export async function readExtension({ azure, settings }: Reader): Promise<Extension | undefined> {
  const { cluster, extensionName } = settings.target
  return getOrUndefined(`extension '${extensionName}' on cluster '${cluster}'`, () =>
    azure.getExtension(clusterOf(settings), extensionName)
  )
}

export async function readConnectedRegistry({
  azure,
  settings
}: Reader): Promise<ConnectedRegistry | undefined> {
  const { resourceGroup, registry, connectedRegistry } = settings.target
  return getOrUndefined(`connected registry '${connectedRegistry}'`, () =>
    azure.getConnectedRegistry(resourceGroup, registry, connectedRegistry)
  )
}

/** Connected registries whose parent is `parentId` (a teardown must not strand them). */
async function readChildren(
  { azure, settings }: Reader,
  parentId: string
): Promise<ConnectedRegistry[]> {
  const { resourceGroup, registry } = settings.target
  const children: ConnectedRegistry[] = []
  try {
    const listed = azure.listConnectedRegistries(
      resourceGroup,
      registry,
      `parent.id eq '${parentId}'`
    )
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
export async function observeState(reader: Reader): Promise<ObservedState> {
  const { azure, settings } = reader
  const { clusterResourceGroup, cluster } = settings.target
  const [registry, clusterResource] = await Promise.all([
    readRegistry(reader),
    getOrUndefined(`connected cluster '${cluster}'`, () =>
      azure.getConnectedCluster(clusterResourceGroup, cluster)
    )
  ])
  if (!registry) return { ancestors: [], sync: {}, cluster: undefined }
  const [connectedRegistry, extension] = await Promise.all([
    readConnectedRegistry(reader),
    clusterResource ? readExtension(reader) : Promise.resolve(undefined)
  ])
  // The input names the parent of a registry to deploy; a teardown finds it on the registry.
  const firstAncestor =
    settings.connectedRegistry.parent ??
    nameFromId(connectedRegistry?.parent?.id, 'connectedRegistries')
  const [ancestors, children] = await Promise.all([
    readAncestors(reader, firstAncestor),
    settings.behaviour.operation === 'teardown' && connectedRegistry?.id
      ? readChildren(reader, connectedRegistry.id)
      : Promise.resolve(undefined)
  ])
  const tokenName =
    nameFromId(connectedRegistry?.parent?.syncProperties?.tokenId, 'tokens') ??
    settings.target.connectedRegistry
  const managed = settings.connectedRegistry.clientToken?.name
  const listed = settings.connectedRegistry.clientTokens
  const [client, listedFound, kube] = await Promise.all([
    managed
      ? readSyncIdentity(reader, managed, 'client token', clientScopeMapName(managed))
      : Promise.resolve(undefined),
    // A teardown does not need them: it deletes the connected registry that lists them.
    settings.behaviour.operation === 'teardown'
      ? Promise.resolve([])
      : Promise.all(listed.map((name) => readToken(reader, name))),
    reader.kube && reader.log
      ? observeCluster(reader.kube, settings, reader.log)
      : Promise.resolve(undefined)
  ])
  const missingClientTokens = listed.filter((_, i) => listedFound[i] === undefined)
  return {
    ...(client ? { client } : {}),
    ...(missingClientTokens.length && settings.behaviour.operation !== 'teardown'
      ? { missingClientTokens }
      : {}),
    ...(kube ? { kube } : {}),
    registry,
    cluster: clusterResource && {
      id: clusterResource.id,
      connectivityStatus: clusterResource.properties?.connectivityStatus ?? 'Unknown'
    },
    ancestors,
    connectedRegistry,
    children,
    sync: await readSyncIdentity(reader, tokenName, 'sync token'),
    extension
  }
}

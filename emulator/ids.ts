// Azure resource IDs. Stores are keyed by the lower-cased ID because ARM
// compares names case-insensitively; bodies echo the casing used at creation.

export const ACR = 'Microsoft.ContainerRegistry'
export const REGISTRY_TYPE = `${ACR}/registries`
export const CONNECTED_REGISTRY_TYPE = `${REGISTRY_TYPE}/connectedRegistries`
export const SCOPE_MAP_TYPE = `${REGISTRY_TYPE}/scopeMaps`
export const TOKEN_TYPE = `${REGISTRY_TYPE}/tokens`
export const CLUSTER_TYPE = 'Microsoft.Kubernetes/connectedClusters'
export const EXTENSION_TYPE = 'Microsoft.KubernetesConfiguration/extensions'

export function key(id: string): string {
  return id.toLowerCase()
}

export function resourceGroupId(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`
}

export function registryId(
  subscriptionId: string,
  resourceGroup: string,
  registry: string
): string {
  return `${resourceGroupId(subscriptionId, resourceGroup)}/providers/${REGISTRY_TYPE}/${registry}`
}

export function childId(
  registryResourceId: string,
  collection: 'connectedRegistries' | 'scopeMaps' | 'tokens',
  name: string
): string {
  return `${registryResourceId}/${collection}/${name}`
}

export function clusterId(subscriptionId: string, resourceGroup: string, cluster: string): string {
  return `${resourceGroupId(subscriptionId, resourceGroup)}/providers/${CLUSTER_TYPE}/${cluster}`
}

export function extensionId(clusterResourceId: string, extension: string): string {
  return `${clusterResourceId}/providers/${EXTENSION_TYPE}/${extension}`
}

/** Last segment of an ID: `.../tokens/sync` → `sync`. */
export function nameOf(id: string): string {
  return id.split('/').filter(Boolean).pop() ?? ''
}

export interface ParsedChildId {
  subscriptionId: string
  resourceGroup: string
  registry: string
  collection: string
  name: string
}

/** Parses `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/r/<collection>/<name>`. */
export function parseRegistryChildId(id: string): ParsedChildId | undefined {
  const m =
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerRegistry\/registries\/([^/]+)\/([^/]+)\/([^/]+)\/?$/i.exec(
      id.trim()
    )
  if (!m) return undefined
  return { subscriptionId: m[1], resourceGroup: m[2], registry: m[3], collection: m[4], name: m[5] }
}

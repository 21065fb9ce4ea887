// Microsoft.Kubernetes/connectedClusters (Arc clusters) and resource groups:
// read-only views of what the seed declared.
import { CLUSTER_TYPE, resourceGroupId } from '../ids.js'
import type { Route } from '../http.js'
import type { ConnectedCluster, ResourceGroup } from '../world.js'
import { inResourceGroup, inSubscription, pagedList, type ArmEnv } from './common.js'

export function renderCluster(env: ArmEnv, c: ConnectedCluster): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    type: CLUSTER_TYPE,
    location: c.location,
    tags: c.tags,
    identity: { type: 'SystemAssigned', principalId: c.principalId, tenantId: env.world.tenantId },
    systemData: c.systemData,
    properties: {
      agentPublicKeyCertificate: '',
      kubernetesVersion: c.kubernetesVersion,
      totalNodeCount: c.totalNodeCount,
      totalCoreCount: c.totalNodeCount * 4,
      agentVersion: c.agentVersion,
      provisioningState: 'Succeeded',
      distribution: c.distribution,
      infrastructure: c.infrastructure,
      lastConnectivityTime: c.lastConnectivityTime,
      connectivityStatus: c.connectivityStatus
    }
  }
}

export function renderResourceGroup(rg: ResourceGroup): Record<string, unknown> {
  return {
    id: resourceGroupId(rg.subscriptionId, rg.name),
    name: rg.name,
    type: 'Microsoft.Resources/resourceGroups',
    location: rg.location,
    tags: rg.tags,
    properties: { provisioningState: 'Succeeded' }
  }
}

export function clusterRoutes(env: ArmEnv): Route[] {
  const { world } = env
  const render = (c: ConnectedCluster) => renderCluster(env, c)
  const read = `${CLUSTER_TYPE}/read`
  return [
    {
      method: 'GET',
      pattern: '/subscriptions/{subscriptionId}/resourcegroups',
      operation: 'ResourceGroups_List',
      kind: 'arm',
      action: 'Microsoft.Resources/subscriptions/resourceGroups/read',
      handle: (ctx) => {
        world.requireSubscription(ctx.params.subscriptionId)
        const items = [...world.resourceGroups.values()]
          .filter(
            (rg) => rg.subscriptionId.toLowerCase() === ctx.params.subscriptionId.toLowerCase()
          )
          .map(renderResourceGroup)
        return pagedList(ctx, world, items)
      }
    },
    {
      method: 'GET',
      pattern: '/subscriptions/{subscriptionId}/resourcegroups/{resourceGroupName}',
      operation: 'ResourceGroups_Get',
      kind: 'arm',
      action: 'Microsoft.Resources/subscriptions/resourceGroups/read',
      handle: (ctx) => ({
        status: 200,
        body: renderResourceGroup(
          world.requireResourceGroup(ctx.params.subscriptionId, ctx.params.resourceGroupName)
        )
      })
    },
    {
      method: 'GET',
      pattern: `/subscriptions/{subscriptionId}/providers/${CLUSTER_TYPE}`,
      operation: 'ConnectedCluster_ListBySubscription',
      kind: 'arm',
      action: read,
      handle: (ctx) => pagedList(ctx, world, inSubscription(world, ctx, world.clusters).map(render))
    },
    {
      method: 'GET',
      pattern: `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${CLUSTER_TYPE}`,
      operation: 'ConnectedCluster_ListByResourceGroup',
      kind: 'arm',
      action: read,
      handle: (ctx) =>
        pagedList(ctx, world, inResourceGroup(world, ctx, world.clusters).map(render))
    },
    {
      method: 'GET',
      pattern: `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${CLUSTER_TYPE}/{clusterName}`,
      operation: 'ConnectedCluster_Get',
      kind: 'arm',
      action: read,
      handle: (ctx) => ({
        status: 200,
        body: renderCluster(
          env,
          world.requireCluster(
            ctx.params.subscriptionId,
            ctx.params.resourceGroupName,
            ctx.params.clusterName
          )
        )
      })
    }
  ]
}

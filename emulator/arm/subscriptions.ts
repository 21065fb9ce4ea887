// Microsoft.Resources views that clients read before anything else: the
// subscriptions and tenants of the signed-in principal (az login), the generic
// resource listing (how az finds a registry's resource group) and the cloud
// metadata document (how `az cloud register` learns the sign-in endpoints).
// Each answers in the shape of the api-version asked for.
import { badRequest } from '../errors.js'
import { CLUSTER_TYPE, REGISTRY_TYPE } from '../ids.js'
import type { RequestContext, Route } from '../http.js'
import type { Subscription, SystemData, TrackedResource } from '../world.js'
import { inResourceGroup, inSubscription, pagedList, type ArmEnv } from './common.js'

/** api-versions are dates (plus an optional `-preview`), so they order as strings. */
function atLeast(ctx: RequestContext, version: string): boolean {
  return (ctx.apiVersion ?? '') >= version
}

/** Fields by api-version as in the Microsoft.Resources subscriptions specs (2016-06-01 … 2022-12-01). */
export function renderSubscription(
  ctx: RequestContext,
  sub: Subscription
): Record<string, unknown> {
  return {
    id: `/subscriptions/${sub.id}`,
    subscriptionId: sub.id,
    ...(atLeast(ctx, '2018-06-01') ? { tenantId: sub.tenantId } : {}),
    displayName: sub.displayName,
    state: 'Enabled',
    subscriptionPolicies: {
      locationPlacementId: 'Public_2014-09-01',
      quotaId: 'PayAsYouGo_2014-09-01',
      spendingLimit: 'Off'
    },
    authorizationSource: 'RoleBased',
    ...(atLeast(ctx, '2019-06-01') ? { managedByTenants: [] } : {}),
    ...(atLeast(ctx, '2019-11-01') ? { tags: {} } : {})
  }
}

function renderTenant(ctx: RequestContext, tenantId: string): Record<string, unknown> {
  const domain = 'emulator.onmicrosoft.com'
  return {
    id: `/tenants/${tenantId}`,
    tenantId,
    ...(atLeast(ctx, '2019-06-01') ? { tenantCategory: 'Home' } : {}),
    ...(atLeast(ctx, '2018-06-01')
      ? { country: 'United States', countryCode: 'US', displayName: 'Emulator', domains: [domain] }
      : {}),
    ...(atLeast(ctx, '2020-01-01') ? { defaultDomain: domain, tenantType: 'AAD' } : {})
  }
}

/** GenericResourceExpanded without `$expand`: what `GET …/resources` lists for a tracked resource. */
function renderGeneric(
  resource: TrackedResource & { systemData?: SystemData },
  type: string,
  sku?: string
): Record<string, unknown> {
  return {
    id: resource.id,
    name: resource.name,
    type,
    ...(sku ? { sku: { name: sku, tier: sku } } : {}),
    location: resource.location,
    tags: resource.tags,
    ...(resource.systemData ? { systemData: resource.systemData } : {})
  }
}

/**
 * `$filter` of the generic listing: `resourceType eq '…'`, `name eq '…'` and `resourceGroup eq '…'`
 * joined by `and` (what az sends); anything else is refused rather than ignored.
 */
function genericFilter(filter: string | null): (item: Record<string, unknown>) => boolean {
  if (filter === null || filter.trim() === '') return () => true
  const fields: Record<string, (item: Record<string, unknown>) => string> = {
    resourcetype: (item) => String(item.type),
    name: (item) => String(item.name),
    resourcegroup: (item) => /\/resourceGroups\/([^/]+)/i.exec(String(item.id))?.[1] ?? ''
  }
  const clauses = filter.split(/\s+and\s+/i).map((clause) => {
    const m = /^\s*(\w+)\s+eq\s+'([^']*)'\s*$/i.exec(clause)
    const pick = m && fields[m[1].toLowerCase()]
    if (!m || !pick) {
      throw badRequest(
        'InvalidFilterInQueryString',
        `The $filter clause '${clause.trim()}' is not supported: use "resourceType eq '<type>'", "name eq '<name>'" or "resourceGroup eq '<group>'", joined by 'and'.`
      )
    }
    const value = m[2].toLowerCase()
    return (item: Record<string, unknown>) => pick(item).toLowerCase() === value
  })
  return (item) => clauses.every((c) => c(item))
}

export function subscriptionRoutes(env: ArmEnv): Route[] {
  const { world } = env
  const generic = (
    pick: <T extends { id: string }>(store: Map<string, T>) => T[],
    ctx: RequestContext
  ) => {
    const keep = genericFilter(ctx.query.get('$filter'))
    const items = [
      ...pick(world.registries).map((r) => renderGeneric(r, REGISTRY_TYPE, r.skuName)),
      ...pick(world.clusters).map((c) => renderGeneric(c, CLUSTER_TYPE))
    ].filter(keep)
    return pagedList(ctx, world, items)
  }
  return [
    {
      method: 'GET',
      pattern: '/subscriptions',
      operation: 'Subscriptions_List',
      kind: 'arm',
      handle: (ctx) =>
        pagedList(
          ctx,
          world,
          [...world.subscriptions.values()].map((s) => renderSubscription(ctx, s))
        )
    },
    {
      method: 'GET',
      pattern: '/subscriptions/{subscriptionId}',
      operation: 'Subscriptions_Get',
      kind: 'arm',
      handle: (ctx) => ({
        status: 200,
        body: renderSubscription(ctx, world.requireSubscription(ctx.params.subscriptionId))
      })
    },
    {
      method: 'GET',
      pattern: '/tenants',
      operation: 'Tenants_List',
      kind: 'arm',
      handle: (ctx) => pagedList(ctx, world, [renderTenant(ctx, world.tenantId)])
    },
    {
      method: 'GET',
      pattern: '/subscriptions/{subscriptionId}/resources',
      operation: 'Resources_List',
      kind: 'arm',
      handle: (ctx) => generic((store) => inSubscription(world, ctx, store), ctx)
    },
    {
      method: 'GET',
      pattern: '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/resources',
      operation: 'Resources_ListByResourceGroup',
      kind: 'arm',
      handle: (ctx) => generic((store) => inResourceGroup(world, ctx, store), ctx)
    }
  ]
}

/**
 * `GET /metadata/endpoints`, public as in Azure: `az cloud register --endpoint-resource-manager`
 * reads the sign-in authority and the ARM audience from it (2015-01-01 shape; 2019-05-01 and
 * later answer the list of clouds).
 */
export function cloudMetadataRoutes(): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/metadata/endpoints',
      operation: 'Metadata_Endpoints',
      kind: 'public',
      handle: (ctx) => {
        const base = ctx.baseUrl
        const authentication = { loginEndpoint: `${base}/adfs`, audiences: [`${base}/`] }
        if (!atLeast(ctx, '2019-05-01')) {
          return {
            status: 200,
            body: {
              galleryEndpoint: `${base}/`,
              graphEndpoint: `${base}/`,
              portalEndpoint: `${base}/`,
              authentication
            }
          }
        }
        return {
          status: 200,
          body: [
            {
              name: 'Emulator',
              resourceManager: `${base}/`,
              portal: `${base}/`,
              graph: `${base}/`,
              graphAudience: `${base}/`,
              authentication: { ...authentication, tenant: 'adfs', identityProvider: 'ADFS' },
              suffixes: { acrLoginServer: 'azurecr.io' }
            }
          ]
        }
      }
    }
  ]
}

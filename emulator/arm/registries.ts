// Microsoft.ContainerRegistry/registries: get, list, update (PATCH) and the
// operationStatuses URLs of every ACR asynchronous operation.
import { ArmError, badRequest } from '../errors.js'
import { ACR, REGISTRY_TYPE } from '../ids.js'
import type { RequestContext, Route } from '../http.js'
import { dataEndpointHost, touch, type Registry } from '../world.js'
import {
  actor,
  assertNotBusy,
  booleanField,
  enumValue,
  inResourceGroup,
  inSubscription,
  jsonBody,
  objectField,
  pagedList,
  routeRegistry,
  stringField,
  type ArmEnv
} from './common.js'
import { startAcrWrite } from './acr-lro.js'
import { statusWithRetryAfter } from './retry-after.js'

export const SKUS = ['Classic', 'Basic', 'Standard', 'Premium'] as const

const B = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${REGISTRY_TYPE}/{registryName}`

/** Writable registry properties besides dataEndpointEnabled (kept in wire shape). */
const WRITABLE = [
  'adminUserEnabled',
  'networkRuleSet',
  'policies',
  'encryption',
  'publicNetworkAccess',
  'networkRuleBypassOptions',
  'networkRuleBypassAllowedForTasks',
  'anonymousPullEnabled',
  'roleAssignmentMode'
] as const

export function defaultRegistryProperties(): Record<string, unknown> {
  return {
    adminUserEnabled: false,
    networkRuleSet: { defaultAction: 'Allow', ipRules: [] },
    policies: {
      quarantinePolicy: { status: 'disabled' },
      trustPolicy: { type: 'Notary', status: 'disabled' },
      retentionPolicy: {
        days: 7,
        lastUpdatedTime: '2021-06-15T21:40:12.8506835+00:00',
        status: 'disabled'
      },
      exportPolicy: { status: 'enabled' },
      azureADAuthenticationAsArmPolicy: { status: 'enabled' }
    },
    encryption: { status: 'disabled' },
    publicNetworkAccess: 'Enabled',
    networkRuleBypassOptions: 'AzureServices',
    networkRuleBypassAllowedForTasks: false,
    zoneRedundancy: 'Disabled',
    anonymousPullEnabled: false,
    roleAssignmentMode: 'LegacyRegistryPermissions'
  }
}

export function renderRegistry(reg: Registry): Record<string, unknown> {
  const body: Record<string, unknown> = {
    id: reg.id,
    name: reg.name,
    type: REGISTRY_TYPE,
    location: reg.location,
    tags: reg.tags,
    sku: { name: reg.skuName, tier: reg.skuName },
    systemData: reg.systemData,
    properties: {
      loginServer: `${reg.name.toLowerCase()}.${reg.domain}`,
      creationDate: reg.creationDate,
      provisioningState: reg.provisioningState,
      ...reg.properties,
      status: null,
      dataEndpointEnabled: reg.dataEndpointEnabled,
      dataEndpointHostNames: reg.dataEndpointEnabled ? [dataEndpointHost(reg)] : [],
      privateEndpointConnections: []
    }
  }
  if (reg.identity) body.identity = reg.identity
  return body
}

/**
 * Registry properties newer than an api-version: the 2022-02-01-preview model (what az 2.45
 * reads registries with) has neither; the 2025-11-01 example has both.
 */
const PROPERTIES_AFTER: readonly { version: string; names: string[] }[] = [
  {
    version: '2022-02-01-preview',
    names: ['networkRuleBypassAllowedForTasks', 'roleAssignmentMode']
  }
]

/** The registry as the request's api-version shows it. */
export function renderRegistryFor(ctx: RequestContext, reg: Registry): Record<string, unknown> {
  const body = renderRegistry(reg)
  const properties = body.properties as Record<string, unknown>
  for (const { version, names } of PROPERTIES_AFTER) {
    if ((ctx.apiVersion ?? '') <= version) for (const name of names) delete properties[name]
  }
  return body
}

function updateRegistry(env: ArmEnv, ctx: RequestContext) {
  const { world } = env
  const reg = routeRegistry(world, ctx)
  const body = jsonBody(ctx)
  assertNotBusy('registry', reg, '; another operation is in progress. Retry after it completes.')
  const sku = objectField(body, 'sku', 'sku')
  const skuName = sku && stringField(sku, 'name', 'sku.name')
  const newSku = skuName ? enumValue(skuName, SKUS, 'sku.name') : reg.skuName
  const props = objectField(body, 'properties', 'properties') ?? {}
  const dataEndpoint = booleanField(props, 'dataEndpointEnabled', 'properties.dataEndpointEnabled')
  const newDataEndpoint = dataEndpoint ?? reg.dataEndpointEnabled
  const connectedRegistries = world.childrenOf(world.connectedRegistries, reg)

  if (newDataEndpoint && newSku !== 'Premium') {
    throw badRequest(
      'SkuNotSupported',
      `Dedicated data endpoints are only available in the Premium service tier; registry '${reg.name}' is ${newSku}. Upgrade the registry to Premium before enabling dataEndpointEnabled.`,
      'properties.dataEndpointEnabled'
    )
  }
  if (connectedRegistries.length > 0 && newSku !== 'Premium') {
    throw badRequest(
      'SkuNotSupported',
      `Registry '${reg.name}' has ${connectedRegistries.length} connected registr${connectedRegistries.length === 1 ? 'y' : 'ies'}, which need the Premium service tier; it cannot be changed to ${newSku}.`,
      'sku.name'
    )
  }
  if (connectedRegistries.length > 0 && !newDataEndpoint) {
    throw badRequest(
      'DataEndpointRequired',
      `The dedicated data endpoint of registry '${reg.name}' cannot be disabled while connected registries use it (${connectedRegistries.map((c) => c.name).join(', ')}).`,
      'properties.dataEndpointEnabled'
    )
  }
  const tags = objectField(body, 'tags', 'tags')
  if (tags) reg.tags = Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(v)]))
  const identity = objectField(body, 'identity', 'identity')
  if (identity) reg.identity = identity
  reg.skuName = newSku
  reg.dataEndpointEnabled = newDataEndpoint
  for (const name of WRITABLE) {
    if (props[name] !== undefined) reg.properties[name] = props[name]
  }
  touch(reg.systemData, actor(ctx), ctx.now)
  const headers = startAcrWrite(env, ctx, reg, 'Updating', 'registries')
  return { status: 201, body: renderRegistryFor(ctx, reg), headers }
}

function operationStatus(env: ArmEnv, ctx: RequestContext) {
  const op = env.ops.find(ctx.params.operationId)
  if (!op || ctx.path.replace(/\/+$/, '').toLowerCase() !== op.statusPath.toLowerCase()) {
    throw new ArmError(
      404,
      'OperationNotFound',
      `The operation '${ctx.params.operationId}' was not found.`
    )
  }
  return statusWithRetryAfter(env.world, op, env.ops.render(op, ctx))
}

export function registryRoutes(env: ArmEnv): Route[] {
  const { world } = env
  const read = `${ACR}/registries/read`
  return [
    {
      method: 'GET',
      pattern: `/subscriptions/{subscriptionId}/providers/${REGISTRY_TYPE}`,
      operation: 'Registries_List',
      kind: 'arm',
      action: read,
      handle: (ctx) =>
        pagedList(
          ctx,
          world,
          inSubscription(world, ctx, world.registries).map((r) => renderRegistryFor(ctx, r))
        )
    },
    {
      method: 'GET',
      pattern: `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${REGISTRY_TYPE}`,
      operation: 'Registries_ListByResourceGroup',
      kind: 'arm',
      action: read,
      handle: (ctx) =>
        pagedList(
          ctx,
          world,
          inResourceGroup(world, ctx, world.registries).map((r) => renderRegistryFor(ctx, r))
        )
    },
    {
      method: 'GET',
      pattern: B,
      operation: 'Registries_Get',
      kind: 'arm',
      action: read,
      handle: (ctx) => ({ status: 200, body: renderRegistryFor(ctx, routeRegistry(world, ctx)) })
    },
    {
      method: 'PATCH',
      pattern: B,
      operation: 'Registries_Update',
      kind: 'arm',
      write: true,
      action: `${ACR}/registries/write`,
      handle: (ctx) => updateRegistry(env, ctx)
    },
    {
      method: 'GET',
      pattern: `${B}/operationStatuses/{operationId}`,
      operation: 'OperationStatus_Get',
      kind: 'arm',
      handle: (ctx) => operationStatus(env, ctx)
    },
    {
      method: 'GET',
      pattern: `${B}/{collection}/{childName}/operationStatuses/{operationId}`,
      operation: 'OperationStatus_Get',
      kind: 'arm',
      handle: (ctx) => operationStatus(env, ctx)
    }
  ]
}

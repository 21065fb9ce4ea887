// Microsoft.ContainerRegistry/registries/connectedRegistries: list ($filter),
// get, create (PUT), update (PATCH), delete and deactivate. The runtime fields
// (connectionState, activation, loginServer, statusDetails, ...) are what the
// simulated instance reported (see cluster-sim.ts).
import { ArmError, badRequest, conflict, invalidParameter } from '../errors.js'
import { CONNECTED_REGISTRY_TYPE, REGISTRY_TYPE, childId, key, nameOf } from '../ids.js'
import type { RequestContext, Route } from '../http.js'
import { systemData, touch, type ConnectedRegistry, type Registry } from '../world.js'
import { startAcrAction, startAcrDelete, startAcrWrite } from './acr-lro.js'
import {
  actor,
  assertNotBusy,
  booleanField,
  checkCron,
  checkDuration,
  checkName,
  childById,
  childNamed,
  enumValue,
  jsonBody,
  objectField,
  pagedList,
  requireChild,
  resourceRoutes,
  routeRegistry,
  stringArrayField,
  stringField,
  type ArmEnv
} from './common.js'

const B = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${REGISTRY_TYPE}/{registryName}`
export const CONNECTED_REGISTRY_MODES = ['ReadWrite', 'ReadOnly', 'Registry', 'Mirror'] as const
const LOG_LEVELS = ['Debug', 'Information', 'Warning', 'Error', 'None'] as const
const AUDIT = ['Enabled', 'Disabled'] as const
const MAX_CONNECTED_REGISTRIES = 50
const DAY = 86_400_000

export function renderConnectedRegistry(
  env: ArmEnv,
  cr: ConnectedRegistry
): Record<string, unknown> {
  const rt = cr.runtime
  const syncProperties: Record<string, unknown> = {
    tokenId: cr.syncTokenId,
    messageTtl: cr.messageTtl,
    gatewayEndpoint: env.sim.expectedParent(cr).endpoint
  }
  if (cr.schedule !== undefined) syncProperties.schedule = cr.schedule
  if (cr.syncWindow !== undefined) syncProperties.syncWindow = cr.syncWindow
  if (rt.lastSyncTime) syncProperties.lastSyncTime = rt.lastSyncTime
  const properties: Record<string, unknown> = {
    provisioningState: cr.provisioningState,
    mode: cr.mode,
    connectionState: rt.connectionState,
    activation: { status: rt.activation },
    parent: cr.parentId ? { id: cr.parentId, syncProperties } : { syncProperties },
    clientTokenIds: cr.clientTokenIds,
    logging: cr.logging,
    statusDetails: rt.statusDetails
  }
  if (rt.version) properties.version = rt.version
  if (rt.lastActivityTime) properties.lastActivityTime = rt.lastActivityTime
  if (rt.loginServerHost) {
    properties.loginServer = {
      host: rt.loginServerHost,
      tls: {
        status: rt.tlsEnabled === false ? 'Disabled' : 'Enabled',
        ...(rt.tlsEnabled === false
          ? {}
          : { certificate: { type: 'LocalDirectory', location: '/var/acr/certs' } })
      }
    }
  }
  if (cr.notificationsList !== undefined) properties.notificationsList = cr.notificationsList
  if (cr.garbageCollection !== undefined) properties.garbageCollection = cr.garbageCollection
  return {
    id: cr.id,
    name: cr.name,
    type: CONNECTED_REGISTRY_TYPE,
    systemData: cr.systemData,
    properties
  }
}

/** `$filter` with `eq` on parent.id, mode, connectionState, joined by `and`. */
function filterPredicate(filter: string | null): (cr: ConnectedRegistry) => boolean {
  if (filter === null || filter.trim() === '') return () => true
  const clauses = filter.split(/\s+and\s+/i).map((clause) => {
    const m = /^\s*([\w.]+)\s+eq\s+(?:'([^']*)'|(\S+))\s*$/i.exec(clause)
    if (!m)
      throw badRequest(
        'InvalidFilter',
        `The $filter clause '${clause.trim()}' is not supported: use "<field> eq '<value>'" with parent.id, mode or connectionState.`
      )
    const field = m[1].toLowerCase()
    const value = (m[2] ?? m[3]).toLowerCase()
    const pick: Record<string, (cr: ConnectedRegistry) => string> = {
      'parent.id': (cr) => (cr.parentId ?? '').toLowerCase(),
      mode: (cr) => cr.mode.toLowerCase(),
      connectionstate: (cr) => cr.runtime.connectionState.toLowerCase()
    }
    const get = pick[field]
    if (!get)
      throw badRequest(
        'InvalidFilter',
        `The $filter field '${m[1]}' is not supported: use parent.id, mode or connectionState.`
      )
    return (cr: ConnectedRegistry) =>
      get(cr) === (value === 'null' && field === 'parent.id' ? '' : value)
  })
  return (cr) => clauses.every((c) => c(cr))
}

function tokenIn(env: ArmEnv, reg: Registry, tokenId: string, path: string): string {
  const token = childById(env.world.tokens, reg, 'tokens', tokenId)
  if (!token) {
    throw invalidParameter(`The token '${tokenId}' was not found in registry '${reg.name}'.`, path)
  }
  return token.id
}

interface SyncInput {
  schedule?: string
  syncWindow?: string
  messageTtl?: string
}

function readSync(sync: Record<string, unknown>, prefix: string): SyncInput {
  const schedule = stringField(sync, 'schedule', `${prefix}.schedule`)
  if (schedule !== undefined) checkCron(schedule, `${prefix}.schedule`)
  const syncWindow = stringField(sync, 'syncWindow', `${prefix}.syncWindow`)
  if (syncWindow !== undefined)
    checkDuration(syncWindow, `${prefix}.syncWindow`, 3_600_000, 7 * DAY, 'PT1H and P7D')
  const messageTtl = stringField(sync, 'messageTtl', `${prefix}.messageTtl`)
  if (messageTtl !== undefined)
    checkDuration(messageTtl, `${prefix}.messageTtl`, DAY, 90 * DAY, 'P1D and P90D')
  return { schedule, syncWindow, messageTtl }
}

function readMutable(env: ArmEnv, reg: Registry, props: Record<string, unknown>) {
  const clientTokenIds = stringArrayField(
    props,
    'clientTokenIds',
    'properties.clientTokenIds'
  )?.map((id, i) => tokenIn(env, reg, id, `properties.clientTokenIds[${i}]`))
  const logging = objectField(props, 'logging', 'properties.logging')
  const logLevel = logging && stringField(logging, 'logLevel', 'properties.logging.logLevel')
  const auditLogStatus =
    logging && stringField(logging, 'auditLogStatus', 'properties.logging.auditLogStatus')
  const notificationsList = stringArrayField(
    props,
    'notificationsList',
    'properties.notificationsList'
  )
  const gc = objectField(props, 'garbageCollection', 'properties.garbageCollection')
  let garbageCollection: ConnectedRegistry['garbageCollection']
  if (gc) {
    const enabled = booleanField(gc, 'enabled', 'properties.garbageCollection.enabled')
    const schedule = stringField(gc, 'schedule', 'properties.garbageCollection.schedule')
    if (schedule !== undefined) checkCron(schedule, 'properties.garbageCollection.schedule')
    garbageCollection = {
      ...(enabled !== undefined ? { enabled } : {}),
      ...(schedule !== undefined ? { schedule } : {})
    }
  }
  return {
    clientTokenIds,
    logLevel: logLevel ? enumValue(logLevel, LOG_LEVELS, 'properties.logging.logLevel') : undefined,
    auditLogStatus: auditLogStatus
      ? enumValue(auditLogStatus, AUDIT, 'properties.logging.auditLogStatus')
      : undefined,
    notificationsList: notificationsList ? [...new Set(notificationsList)] : undefined,
    garbageCollection
  }
}

export function connectedRegistryRoutes(env: ArmEnv): Route[] {
  const { world, sim } = env
  const registry = (ctx: RequestContext): Registry => routeRegistry(world, ctx)
  const find = (ctx: RequestContext): ConnectedRegistry =>
    requireChild(
      world.connectedRegistries,
      registry(ctx),
      'connectedRegistries',
      ctx.params.connectedRegistryName
    )
  const render = (cr: ConnectedRegistry) => renderConnectedRegistry(env, cr)

  const create = (ctx: RequestContext) => {
    const reg = registry(ctx)
    const name = ctx.params.connectedRegistryName
    checkName('connected registry', name, /^[a-zA-Z0-9]*$/, 'alphanumeric characters')
    const body = jsonBody(ctx)
    const props = objectField(body, 'properties', 'properties')
    if (!props) throw invalidParameter("The property 'properties' is required.", 'properties')
    const modeText = stringField(props, 'mode', 'properties.mode')
    if (!modeText)
      throw invalidParameter("The property 'properties.mode' is required.", 'properties.mode')
    const mode = enumValue(modeText, CONNECTED_REGISTRY_MODES, 'properties.mode')
    const parent = objectField(props, 'parent', 'properties.parent')
    if (!parent)
      throw invalidParameter("The property 'properties.parent' is required.", 'properties.parent')
    const sync = objectField(parent, 'syncProperties', 'properties.parent.syncProperties')
    if (!sync)
      throw invalidParameter(
        "The property 'properties.parent.syncProperties' is required.",
        'properties.parent.syncProperties'
      )
    const tokenIdText = stringField(sync, 'tokenId', 'properties.parent.syncProperties.tokenId')
    if (!tokenIdText)
      throw invalidParameter(
        "The property 'properties.parent.syncProperties.tokenId' is required.",
        'properties.parent.syncProperties.tokenId'
      )
    const syncInput = readSync(sync, 'properties.parent.syncProperties')
    const parentIdText = stringField(parent, 'id', 'properties.parent.id')
    const id = childId(reg.id, 'connectedRegistries', name)
    const existing = world.connectedRegistries.get(key(id))

    if (existing) {
      // PUT over an existing one: mutable fields only; mode, parent and sync token are fixed.
      assertNotBusy('connected registry', existing)
      const immutable: [string, string, string][] = [
        ['mode', existing.mode, mode],
        ['parent.id', existing.parentId ?? '', parentIdText ?? ''],
        ['parent.syncProperties.tokenId', existing.syncTokenId, tokenIdText]
      ]
      for (const [field, before, after] of immutable) {
        if (before.toLowerCase() !== after.toLowerCase()) {
          throw conflict(
            `The property '${field}' of connected registry '${existing.name}' cannot be changed (from '${before || '(none)'}' to '${after || '(none)'}'). Delete and recreate the connected registry to change it.`,
            'ConnectedRegistryPropertyImmutable'
          )
        }
      }
      applyMutable(existing, readMutable(env, reg, props), syncInput)
      touch(existing.systemData, actor(ctx), ctx.now)
      const headers = startAcrWrite(env, ctx, existing, 'Updating', 'connectedregistries')
      return { status: 200, body: render(existing), headers }
    }

    if (reg.skuName !== 'Premium') {
      throw badRequest(
        'SkuNotSupported',
        `Connected registries are only supported in the Premium service tier; registry '${reg.name}' is ${reg.skuName}.`,
        'sku'
      )
    }
    if (!reg.dataEndpointEnabled) {
      throw badRequest(
        'DataEndpointNotEnabled',
        `The dedicated data endpoint must be enabled on registry '${reg.name}' before creating connected registry '${name}'. Enable it with a registry update setting properties.dataEndpointEnabled=true (az acr update -n ${reg.name} --data-endpoint-enabled true).`,
        'properties.dataEndpointEnabled'
      )
    }
    const siblings = world.childrenOf(world.connectedRegistries, reg)
    if (siblings.length >= MAX_CONNECTED_REGISTRIES) {
      throw badRequest(
        'QuotaExceeded',
        `Registry '${reg.name}' already has the maximum of ${MAX_CONNECTED_REGISTRIES} connected registries.`
      )
    }
    const syncTokenId = tokenIn(env, reg, tokenIdText, 'properties.parent.syncProperties.tokenId')
    const sharing = siblings.find((c) => key(c.syncTokenId) === key(syncTokenId))
    if (sharing) {
      throw invalidParameter(
        `The token '${nameOf(syncTokenId)}' is already the sync token of connected registry '${sharing.name}'; each connected registry needs its own sync token.`,
        'properties.parent.syncProperties.tokenId'
      )
    }
    if (syncInput.messageTtl === undefined) {
      throw invalidParameter(
        "The property 'properties.parent.syncProperties.messageTtl' is required.",
        'properties.parent.syncProperties.messageTtl'
      )
    }
    let parentId: string | undefined
    if (parentIdText) {
      const parentCr = childById(
        world.connectedRegistries,
        reg,
        'connectedRegistries',
        parentIdText
      )
      if (!parentCr) {
        throw invalidParameter(
          `The parent connected registry '${parentIdText}' could not be found in registry '${reg.name}'.`,
          'properties.parent.id'
        )
      }
      if (
        !['readwrite', 'registry'].includes(parentCr.mode.toLowerCase()) &&
        mode.toLowerCase() !== parentCr.mode.toLowerCase()
      ) {
        throw invalidParameter(
          `Can't create the connected registry '${name}' with mode '${mode}' when the connected registry parent '${parentCr.name}' mode is '${parentCr.mode}'. For more information on connected registries please visit https://aka.ms/acr/connected-registry.`,
          'properties.mode'
        )
      }
      parentId = parentCr.id
    }
    const mutable = readMutable(env, reg, props)
    const cr: ConnectedRegistry = {
      id,
      registryKey: key(reg.id),
      name,
      mode,
      parentId,
      syncTokenId,
      messageTtl: syncInput.messageTtl,
      clientTokenIds: [],
      logging: { logLevel: 'Information', auditLogStatus: 'Disabled' },
      provisioningState: 'Succeeded',
      systemData: systemData(actor(ctx), ctx.now),
      runtime: { activation: 'Inactive', connectionState: 'Offline', statusDetails: [] }
    }
    applyMutable(cr, mutable, syncInput)
    world.connectedRegistries.set(key(id), cr)
    const headers = startAcrWrite(env, ctx, cr, 'Creating', 'connectedregistries')
    return { status: 201, body: render(cr), headers }
  }

  const update = (ctx: RequestContext) => {
    const reg = registry(ctx)
    const cr = find(ctx)
    assertNotBusy('connected registry', cr)
    const props = objectField(jsonBody(ctx), 'properties', 'properties') ?? {}
    for (const fixed of ['mode', 'parent']) {
      if (props[fixed] !== undefined) {
        throw conflict(
          `The property '${fixed}' of connected registry '${cr.name}' cannot be changed. Delete and recreate the connected registry to change it.`,
          'ConnectedRegistryPropertyImmutable'
        )
      }
    }
    const sync = objectField(props, 'syncProperties', 'properties.syncProperties')
    if (
      sync &&
      sync.tokenId !== undefined &&
      String(sync.tokenId).toLowerCase() !== cr.syncTokenId.toLowerCase()
    ) {
      throw conflict(
        `The sync token of connected registry '${cr.name}' cannot be changed.`,
        'ConnectedRegistryPropertyImmutable'
      )
    }
    applyMutable(
      cr,
      readMutable(env, reg, props),
      sync ? readSync(sync, 'properties.syncProperties') : {}
    )
    touch(cr.systemData, actor(ctx), ctx.now)
    const headers = startAcrWrite(env, ctx, cr, 'Updating', 'connectedregistries')
    return { status: 201, body: render(cr), headers }
  }

  const remove = (ctx: RequestContext) => {
    const reg = registry(ctx)
    const cr = childNamed(
      world.connectedRegistries,
      reg,
      'connectedRegistries',
      ctx.params.connectedRegistryName
    )
    if (!cr) return { status: 204 }
    assertNotBusy('connected registry', cr)
    return startAcrDelete(env, ctx, world.connectedRegistries, cr, 'connectedregistries')
  }

  const deactivate = (ctx: RequestContext) => {
    const cr = find(ctx)
    if (cr.provisioningState === 'Deleting')
      throw conflict(`The connected registry '${cr.name}' is being deleted.`)
    const headers = startAcrAction(env, ctx, cr.id, 'connectedregistries', (t) => {
      const current = world.connectedRegistries.get(key(cr.id))
      if (!current)
        return {
          status: 404,
          body: new ArmError(
            404,
            'ResourceNotFound',
            `The connected registry '${cr.name}' no longer exists.`
          ).toBody()
        }
      sim.deactivate(current, t)
      return { status: 200 }
    })
    return { status: 202, headers }
  }

  const path = `${B}/connectedRegistries/{connectedRegistryName}`
  return [
    ...resourceRoutes({
      operation: 'ConnectedRegistries',
      collection: `${B}/connectedRegistries`,
      item: path,
      actionType: CONNECTED_REGISTRY_TYPE,
      list: (ctx) => {
        const keep = filterPredicate(ctx.query.get('$filter'))
        return pagedList(
          ctx,
          world,
          world.childrenOf(world.connectedRegistries, registry(ctx)).filter(keep).map(render)
        )
      },
      get: (ctx) => ({ status: 200, body: render(find(ctx)) }),
      create,
      update,
      remove
    }),
    {
      method: 'POST',
      pattern: `${path}/deactivate`,
      operation: 'ConnectedRegistries_Deactivate',
      kind: 'arm',
      write: true,
      action: `${CONNECTED_REGISTRY_TYPE}/deactivate/action`,
      handle: deactivate
    }
  ]
}

function applyMutable(
  cr: ConnectedRegistry,
  m: ReturnType<typeof readMutable>,
  sync: SyncInput
): void {
  if (sync.schedule !== undefined) cr.schedule = sync.schedule
  if (sync.syncWindow !== undefined) cr.syncWindow = sync.syncWindow
  if (sync.messageTtl !== undefined) cr.messageTtl = sync.messageTtl
  if (m.clientTokenIds) cr.clientTokenIds = m.clientTokenIds
  if (m.logLevel) cr.logging.logLevel = m.logLevel
  if (m.auditLogStatus) cr.logging.auditLogStatus = m.auditLogStatus
  if (m.notificationsList) cr.notificationsList = m.notificationsList
  if (m.garbageCollection)
    cr.garbageCollection = { ...cr.garbageCollection, ...m.garbageCollection }
}

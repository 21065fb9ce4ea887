// Microsoft.KubernetesConfiguration/extensions on Arc connected clusters, and
// their OperationStatus_Get URLs. Every write answers with an absolute
// Azure-AsyncOperation pointing at `<extension>/operations/<id>` (never a
// relative Operation-Location). Protected settings are write-only: answers show their keys, never values.
import { randomUUID } from 'node:crypto'
import { ArmError, conflict, invalidParameter, resourceNotFound } from '../errors.js'
import { EXTENSION_TYPE, extensionId, key } from '../ids.js'
import type { Reply, RequestContext, Route } from '../http.js'
import { isConnectedRegistryExtension } from '../chart.js'
import { retryAfter, statusWithRetryAfter } from './retry-after.js'
import { systemData, touch, type ConnectedCluster, type Extension } from '../world.js'
import {
  actor,
  booleanField,
  jsonBody,
  objectField,
  pagedList,
  resourceRoutes,
  stringField,
  type ArmEnv
} from './common.js'

const CLUSTER_BASE =
  '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/{clusterRp}/{clusterResourceName}/{clusterName}'
const E = `${CLUSTER_BASE}/providers/${EXTENSION_TYPE}/{extensionName}`

export function renderExtension(env: ArmEnv, ext: Extension): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    // Azure stores the type lower-case, whatever the case it was sent in (Microsoft's documented
    // output shows "microsoft.containerregistry.connectedregistry").
    extensionType: ext.extensionType.toLowerCase(),
    autoUpgradeMinorVersion: ext.autoUpgradeMinorVersion,
    releaseTrain: ext.releaseTrain,
    version: ext.version,
    scope: { cluster: { releaseNamespace: ext.releaseNamespace } },
    configurationSettings: ext.configurationSettings,
    // Write-only: a GET names the keys with empty values, as Microsoft's documented output shows
    // (`"configurationProtectedSettings": { "connectionString": "" }`).
    configurationProtectedSettings: Object.fromEntries(
      Object.keys(ext.protectedSettings).map((k) => [k, ''])
    ),
    provisioningState: ext.provisioningState,
    currentVersion: ext.currentVersion,
    statuses: ext.statuses,
    isSystemExtension: ext.isSystemExtension
  }
  if (ext.errorInfo) properties.errorInfo = ext.errorInfo
  const body: Record<string, unknown> = {
    id: ext.id,
    name: ext.name,
    type: EXTENSION_TYPE,
    systemData: ext.systemData,
    identity: {
      type: 'SystemAssigned',
      principalId: ext.principalId,
      tenantId: env.world.tenantId
    },
    properties
  }
  if (ext.plan) body.plan = ext.plan
  return body
}

/** A settings map: string values; in a PATCH `null` removes a key. */
function settingsMap(
  value: unknown,
  path: string,
  allowNull: false
): Record<string, string> | undefined
function settingsMap(
  value: unknown,
  path: string,
  allowNull: true
): Record<string, string | null> | undefined
function settingsMap(
  value: unknown,
  path: string,
  allowNull: boolean
): Record<string, string | null> | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value))
    throw invalidParameter(`The property '${path}' must be an object of strings.`, path)
  const out: Record<string, string | null> = {}
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === null && allowNull) out[k] = null
    else if (typeof v === 'string') out[k] = v
    else throw invalidParameter(`The value of '${path}.${k}' must be a string.`, `${path}.${k}`)
  }
  return out
}

function dropNulls(map: Record<string, string | null>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).filter((e): e is [string, string] => e[1] !== null))
}

function busy(ext: Extension, attempted: string): ArmError {
  const running = ext.pending?.kind ?? ext.provisioningState
  return conflict(
    `Operation '${attempted}' on extension '${ext.name}' is not allowed because another operation ('${running}') is in progress (provisioningState ${ext.provisioningState}). Please retry after the ongoing operation completes.`
  )
}

export function extensionRoutes(env: ArmEnv): Route[] {
  const { world, ops, sim } = env

  const cluster = (ctx: RequestContext): ConnectedCluster => {
    const { subscriptionId, resourceGroupName, clusterRp, clusterResourceName, clusterName } =
      ctx.params
    if (
      clusterRp.toLowerCase() !== 'microsoft.kubernetes' ||
      clusterResourceName.toLowerCase() !== 'connectedclusters'
    ) {
      world.requireResourceGroup(subscriptionId, resourceGroupName)
      throw resourceNotFound(`${clusterRp}/${clusterResourceName}`, clusterName, resourceGroupName)
    }
    return world.requireCluster(subscriptionId, resourceGroupName, clusterName)
  }
  const find = (ctx: RequestContext): Extension => {
    const c = cluster(ctx)
    const ext = world.extensions.get(key(extensionId(c.id, ctx.params.extensionName)))
    if (!ext)
      throw resourceNotFound(EXTENSION_TYPE, ctx.params.extensionName, ctx.params.resourceGroupName)
    return ext
  }
  const startOperation = (ctx: RequestContext, ext: Extension) =>
    ops.start(ctx, {
      provider: 'extension',
      style: 'azure-async-operation',
      resourceId: ext.id,
      statusParent: `${ext.id}/operations`
    })
  /** Starts the Helm install/upgrade the cluster side lands later; answers `status` with the extension. */
  const startInstall = (
    ctx: RequestContext,
    ext: Extension,
    kind: 'create' | 'update',
    status: number
  ): Reply => {
    const op = startOperation(ctx, ext)
    sim.requestInstall(ext, op, kind, ctx.now)
    return {
      status,
      body: renderExtension(env, ext),
      headers: {
        ...ops.headers(op, ctx),
        ...retryAfter(world),
        'x-ms-async-operation-timeout': 'PT48H'
      }
    }
  }

  const create = (ctx: RequestContext) => {
    const c = cluster(ctx)
    const name = ctx.params.extensionName
    const body = jsonBody(ctx)
    const props = objectField(body, 'properties', 'properties') ?? {}
    const id = extensionId(c.id, name)
    const existing = world.extensions.get(key(id))
    if (existing?.pending) {
      if (existing.pending.kind === 'delete') {
        throw conflict(
          `Extension '${existing.name}' is still being deleted (provisioningState Deleting); a new extension with the same name can be created once the deletion completes.`
        )
      }
      throw busy(existing, 'Create')
    }
    const extensionType = stringField(props, 'extensionType', 'properties.extensionType')
    if (!extensionType)
      throw invalidParameter(
        "The property 'properties.extensionType' is required.",
        'properties.extensionType'
      )
    if (existing && existing.extensionType.toLowerCase() !== extensionType.toLowerCase()) {
      throw invalidParameter(
        `The extensionType of extension '${existing.name}' cannot be changed from '${existing.extensionType}' to '${extensionType}'.`,
        'properties.extensionType'
      )
    }
    const autoUpgrade =
      booleanField(props, 'autoUpgradeMinorVersion', 'properties.autoUpgradeMinorVersion') ?? true
    const version = stringField(props, 'version', 'properties.version') ?? null
    if (version !== null && autoUpgrade) {
      throw invalidParameter(
        "A version can only be pinned when 'autoUpgradeMinorVersion' is false.",
        'properties.version'
      )
    }
    const scope = objectField(props, 'scope', 'properties.scope')
    const clusterScope = scope && objectField(scope, 'cluster', 'properties.scope.cluster')
    if (scope && objectField(scope, 'namespace', 'properties.scope.namespace') && clusterScope) {
      throw invalidParameter(
        "Only one of 'scope.cluster' and 'scope.namespace' may be given.",
        'properties.scope'
      )
    }
    const releaseNamespace =
      (clusterScope &&
        stringField(
          clusterScope,
          'releaseNamespace',
          'properties.scope.cluster.releaseNamespace'
        )) ??
      (isConnectedRegistryExtension(extensionType) ? 'connected-registry' : name.toLowerCase())
    const settings =
      settingsMap(props.configurationSettings, 'properties.configurationSettings', false) ?? {}
    const protectedSettings =
      settingsMap(
        props.configurationProtectedSettings,
        'properties.configurationProtectedSettings',
        false
      ) ?? {}
    const ext: Extension = existing ?? {
      id,
      clusterKey: key(c.id),
      name,
      extensionType,
      autoUpgradeMinorVersion: autoUpgrade,
      releaseTrain: 'Stable',
      version: null,
      releaseNamespace,
      configurationSettings: {},
      protectedSettings: {},
      currentVersion: null,
      provisioningState: 'Creating',
      statuses: [],
      errorInfo: null,
      principalId: randomUUID(),
      isSystemExtension: false,
      systemData: systemData(actor(ctx), ctx.now),
      generation: 0
    }
    ext.autoUpgradeMinorVersion = autoUpgrade
    ext.releaseTrain = stringField(props, 'releaseTrain', 'properties.releaseTrain') ?? 'Stable'
    ext.version = version
    ext.configurationSettings = settings
    ext.protectedSettings = protectedSettings
    const plan = objectField(body, 'plan', 'plan')
    if (plan) ext.plan = plan
    touch(ext.systemData, actor(ctx), ctx.now)
    world.extensions.set(key(id), ext)
    // A PUT over an existing extension re-installs it in place (same release, same instance).
    return existing ? startInstall(ctx, ext, 'update', 200) : startInstall(ctx, ext, 'create', 201)
  }

  const update = (ctx: RequestContext) => {
    const ext = find(ctx)
    if (ext.pending) throw busy(ext, 'Update')
    const props = objectField(jsonBody(ctx), 'properties', 'properties') ?? {}
    for (const fixed of ['extensionType', 'scope']) {
      if (props[fixed] !== undefined && props[fixed] !== null) {
        throw invalidParameter(
          `The property '${fixed}' of an extension cannot be changed with PATCH.`,
          `properties.${fixed}`
        )
      }
    }
    const autoUpgrade = booleanField(
      props,
      'autoUpgradeMinorVersion',
      'properties.autoUpgradeMinorVersion'
    )
    // `version: null` clears the pin; absent keeps it. Only a pin and auto-upgrade in the same
    // body are refused: Azure's own PatchExtension example turns auto-upgrade on over a pin.
    const version =
      props.version === null ? null : stringField(props, 'version', 'properties.version')
    if (typeof version === 'string' && autoUpgrade === true) {
      throw invalidParameter(
        "A version can only be pinned when 'autoUpgradeMinorVersion' is false.",
        'properties.version'
      )
    }
    const settings = settingsMap(
      props.configurationSettings,
      'properties.configurationSettings',
      true
    )
    const protectedSettings = settingsMap(
      props.configurationProtectedSettings,
      'properties.configurationProtectedSettings',
      true
    )
    if (autoUpgrade !== undefined) ext.autoUpgradeMinorVersion = autoUpgrade
    if (version !== undefined) ext.version = version
    const releaseTrain = stringField(props, 'releaseTrain', 'properties.releaseTrain')
    if (releaseTrain !== undefined) ext.releaseTrain = releaseTrain
    if (settings) {
      // Merge: only the given keys change; null deletes a key.
      const merged = { ...ext.configurationSettings }
      for (const [k, v] of Object.entries(settings)) {
        if (v === null) delete merged[k]
        else merged[k] = v
      }
      ext.configurationSettings = merged
    }
    // Protected settings are all-or-nothing: when present they replace every protected key.
    if (protectedSettings) ext.protectedSettings = dropNulls(protectedSettings)
    touch(ext.systemData, actor(ctx), ctx.now)
    return startInstall(ctx, ext, 'update', 202)
  }

  const remove = (ctx: RequestContext) => {
    const c = cluster(ctx)
    const ext = world.extensions.get(key(extensionId(c.id, ctx.params.extensionName)))
    if (!ext) return { status: 204 }
    if ((ctx.query.get('forceDelete') ?? '').toLowerCase() === 'true') {
      sim.forceDelete(ext, ctx.now)
      return { status: 200 }
    }
    if (ext.pending) throw busy(ext, 'Delete')
    const op = startOperation(ctx, ext)
    sim.requestDelete(ext, op, ctx.now)
    return {
      status: 202,
      headers: {
        ...ops.headers(op, ctx),
        ...retryAfter(world),
        'x-ms-async-operation-timeout': 'PT1H'
      }
    }
  }

  const operationStatus = (ctx: RequestContext) => {
    const c = cluster(ctx)
    const op = ops.find(ctx.params.operationId)
    const statusParent = `${extensionId(c.id, ctx.params.extensionName)}/operations`.toLowerCase()
    if (
      !op ||
      op.provider !== 'extension' ||
      !op.statusPath.toLowerCase().startsWith(statusParent)
    ) {
      throw new ArmError(
        404,
        'OperationNotFound',
        `The operation '${ctx.params.operationId}' of extension '${ctx.params.extensionName}' was not found.`
      )
    }
    return statusWithRetryAfter(world, op, ops.render(op, ctx))
  }

  return [
    ...resourceRoutes({
      operation: 'Extensions',
      collection: `${CLUSTER_BASE}/providers/${EXTENSION_TYPE}`,
      item: E,
      actionType: EXTENSION_TYPE,
      list: (ctx) => {
        const items = world.extensionsOn(cluster(ctx)).map((e) => renderExtension(env, e))
        return pagedList(ctx, world, items, { nullNextLink: true })
      },
      get: (ctx) => ({ status: 200, body: renderExtension(env, find(ctx)) }),
      create,
      update,
      remove
    }),
    {
      method: 'GET',
      pattern: `${E}/operations/{operationId}`,
      operation: 'OperationStatus_Get',
      kind: 'arm',
      action: `${EXTENSION_TYPE}/operations/read`,
      handle: operationStatus
    }
  ]
}

// The plan of a deploy: the difference between the desired state (from settings) and what Azure
// has. Pure: no request is made here. A plan run prints it; a deploy run applies it.

import { createHash } from 'node:crypto'
import type {
  ConnectedRegistry,
  ConnectedRegistryUpdateParameters
} from '@azure/arm-containerregistry'
import type { Extension, PatchExtension } from '@azure/arm-kubernetesconfiguration'
import { ActionError } from '../azure/errors.js'
import { parentEndpointProtocol } from '../domain/connection-string.js'
import {
  buildConfigurationSettings,
  buildProtectedSettings,
  earlierFingerprints,
  protectedSettingsFingerprint
} from '../domain/extension-settings.js'
import { gatewayActions, repositoryActions } from '../domain/scope-map.js'
import { TEXT } from '../kube/messages.js'
import { planClientToken } from './client-token.js'
import {
  nameFromId,
  type ObservedRegistry,
  type ObservedState,
  type ObservedSyncIdentity
} from '../observe.js'
import type { PasswordSlot, Settings } from '../settings.js'
import {
  EXTENSION_TYPE,
  isManagedScopeMap,
  isWrite,
  otherSlot,
  PASSWORD_SLOT_SETTING,
  PROTECTED_HASH_SETTING,
  resourceIds,
  sameText,
  scopeMapDescription,
  SERVING_SLOT_SETTING,
  type FieldChange,
  type Plan,
  type PlanStep
} from './model.js'

const sameSet = (a: string[] | undefined, b: string[] | undefined): boolean => {
  const left = new Set((a ?? []).map((x) => x.toLowerCase()))
  const right = new Set((b ?? []).map((x) => x.toLowerCase()))
  return left.size === right.size && [...left].every((x) => right.has(x))
}

const show = (value: string[] | string | undefined): string =>
  Array.isArray(value) ? (value.length ? value.join(', ') : '(none)') : (value ?? '(none)')

/** A sync scope map the az CLI made for this connected registry may be adopted. */
const isCliSyncScopeMap = (description: string | undefined, connectedRegistry: string): boolean =>
  sameText(description, `Created by connected registry sync token: ${connectedRegistry}`)

/** Legacy modes map onto the two current ones (connected-registry.md §1.2). */
function canonicalMode(mode: string | undefined): string {
  const lower = (mode ?? '').toLowerCase()
  if (lower === 'registry' || lower === 'readwrite') return 'ReadWrite'
  if (lower === 'mirror' || lower === 'readonly') return 'ReadOnly'
  return mode ?? ''
}

/** The endpoint the instance syncs with: the registry's home-region data endpoint, or the parent. */
export function expectedGatewayEndpoint(
  settings: Settings,
  observed: ObservedState
): string | undefined {
  const reported = observed.connectedRegistry?.parent?.syncProperties?.gatewayEndpoint
  if (reported) return reported
  if (settings.connectedRegistry.parent) {
    return (
      observed.ancestors[0]?.connectedRegistry.loginServer?.host ??
      settings.connectedRegistry.parentGatewayEndpoint
    )
  }
  const registry = observed.registry
  if (!registry) return undefined
  const home = `${settings.target.registry}.${registry.location}.data.`.toLowerCase()
  // Before the data endpoint is enabled Azure lists none: the name it will have, in the
  // registry's own cloud (azurecr.us in US Government), is what the connection string will use.
  return (
    registry.dataEndpointHostNames.find((host) => host.toLowerCase().startsWith(home)) ??
    registry.dataEndpointHostNames[0] ??
    `${home}${registryDomain(settings, registry)}`
  )
}

/** The DNS suffix of the registry's cloud: from the login server Azure reports
 * (`name.azurecr.us`), else the one of the cloud named by input 'environment'. */
function registryDomain(settings: Settings, registry: ObservedRegistry): string {
  const loginServer = registry.loginServer?.toLowerCase()
  const prefix = `${settings.target.registry.toLowerCase()}.`
  return loginServer?.startsWith(prefix)
    ? loginServer.slice(prefix.length)
    : settings.cloud.registryDomain
}

/** Identifies the protected settings without any secret: a later run compares it to know
 * whether they must be sent again (Azure never returns them). `fingerprint` is the TLS part. */
export function protectedSettingsHash(
  settings: Settings,
  syncTokenName: string,
  gatewayEndpoint: string | undefined,
  fingerprint = protectedSettingsFingerprint(settings.extension.tls)
): string {
  const parts = [
    settings.target.connectedRegistry,
    syncTokenName,
    gatewayEndpoint ?? '',
    parentEndpointProtocol(settings.connectedRegistry, Boolean(settings.connectedRegistry.parent)),
    fingerprint
  ]
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16)
}

/**
 * The protected settings these settings send (the password aside), as the extension's record
 * names them: `hash` to record, and whether the record already describes them (`recorded`, when
 * there is one). Hashes recorded by earlier versions of the action for the same content count.
 */
export function protectedSettingsRecord(
  settings: Settings,
  observed: ObservedState,
  syncTokenName: string
): { hash: string; recorded?: string; current: boolean } {
  const endpoint = expectedGatewayEndpoint(settings, observed)
  const hash = protectedSettingsHash(settings, syncTokenName, endpoint)
  const equivalent = [
    hash,
    ...earlierFingerprints(settings.extension.tls).map((fingerprint) =>
      protectedSettingsHash(settings, syncTokenName, endpoint, fingerprint)
    )
  ]
  const recorded = observed.extension?.configurationSettings?.[PROTECTED_HASH_SETTING]
  return { hash, recorded, current: recorded !== undefined && equivalent.includes(recorded) }
}

/** The protected settings a deploy sends, each shown as a sensitive change: Azure never
 * returns them, so they cannot be compared, only resent. */
function protectedSettingChanges(settings: Settings): FieldChange[] {
  return Object.keys(buildProtectedSettings(settings.extension.tls, 'placeholder')).map(
    (field) => ({ field, to: '(sensitive)', sensitive: true })
  )
}

export function checkRegistryFound(settings: Settings, observed: ObservedState): ObservedRegistry {
  const { target } = settings
  if (observed.registry) return observed.registry
  throw new ActionError(
    `Registry '${target.registry}' was not found in resource group '${target.resourceGroup}' of subscription '${target.subscriptionId}'. Check the inputs 'registry', 'resource-group' and 'subscription-id'.`
  )
}

export function checkPreflight(settings: Settings, observed: ObservedState): void {
  const { target } = settings
  const registry = checkRegistryFound(settings, observed)
  if (registry.sku.toLowerCase() !== 'premium') {
    throw new ActionError(
      `Registry '${target.registry}' is on the ${registry.sku} tier; connected registries need the Premium tier. Upgrade it (az acr update -n ${target.registry} --sku Premium) and re-run.`
    )
  }
  if (!observed.cluster) {
    throw new ActionError(
      `Arc-enabled cluster '${target.cluster}' was not found in resource group '${target.clusterResourceGroup}'. Check the inputs 'cluster' and 'cluster-resource-group' (it defaults to 'resource-group').`
    )
  }
  if (observed.cluster.connectivityStatus.toLowerCase() !== 'connected') {
    throw new ActionError(
      `Arc-enabled cluster '${target.cluster}' is ${observed.cluster.connectivityStatus}, not Connected: the extension cannot be installed until its Arc agents reach Azure. Check the cluster's azure-arc pods (kubectl get pods -n azure-arc) and re-run. Protected settings of a pending extension are kept for only 48 hours.`
    )
  }
  const parent = observed.ancestors[0]?.connectedRegistry
  if (
    parent &&
    canonicalMode(parent.mode) === 'ReadOnly' &&
    settings.connectedRegistry.mode === 'ReadWrite'
  ) {
    throw new ActionError(
      `Input 'mode' is ReadWrite but the parent connected registry '${settings.connectedRegistry.parent}' is ReadOnly: a child of a ReadOnly parent must be ReadOnly. Set mode: ReadOnly.`
    )
  }
}

function planDataEndpoint(observed: ObservedState): PlanStep {
  const enabled = observed.registry?.dataEndpointEnabled === true
  return {
    resource: 'Dedicated data endpoint',
    action: enabled ? 'unchanged' : 'update',
    changes: enabled ? [] : [{ field: 'dataEndpointEnabled', from: 'false', to: 'true' }],
    reason: enabled
      ? undefined
      : 'connected registries sync through the dedicated data endpoint; enabling it may affect firewall rules',
    detail: { kind: 'data-endpoint' }
  }
}

/** Actions the ancestors' scope maps need so the parent can relay this registry's sync. */
function planAncestorScopeMaps(settings: Settings, observed: ObservedState): PlanStep[] {
  const { connectedRegistry: name } = settings.target
  const needed = [
    ...gatewayActions(name),
    ...repositoryActions(settings.connectedRegistry.mode, settings.connectedRegistry.repositories)
  ]
  return observed.ancestors.map((ancestor): PlanStep => {
    const scopeMapName = ancestor.scopeMap?.name
    const resource = `Scope map '${scopeMapName ?? '?'}' of ancestor '${ancestor.connectedRegistry.name}'`
    if (!scopeMapName) {
      throw new ActionError(
        `The sync scope map of ancestor connected registry '${ancestor.connectedRegistry.name}' could not be read, so '${name}' cannot be granted its gateway actions there. Check that its sync token exists.`
      )
    }
    const current = ancestor.scopeMap?.actions ?? []
    const missing = needed.filter((a) => !current.some((c) => sameText(c, a)))
    return {
      resource,
      action: missing.length ? 'update' : 'unchanged',
      changes: missing.map((a) => ({ field: 'actions', to: `+ ${a}` })),
      detail: {
        kind: 'ancestor-scope-map',
        scopeMapName,
        actions: [...current, ...missing].sort()
      }
    }
  })
}

function planSyncIdentity(
  settings: Settings,
  observed: ObservedState,
  tokenName: string,
  warnings: string[]
): PlanStep[] {
  const { connectedRegistry: name } = settings.target
  const { repositories, mode } = settings.connectedRegistry
  const sync: ObservedSyncIdentity = observed.sync
  const scopeMapName = nameFromId(sync.token?.scopeMapId, 'scopeMaps') ?? name
  const scopeMap = sync.scopeMap
  const own = isManagedScopeMap(scopeMap?.description)
  const adoptable = own || isCliSyncScopeMap(scopeMap?.description, name)

  if (!observed.connectedRegistry && repositories.length === 0) {
    throw new ActionError(
      `Connected registry '${name}' does not exist yet, and input 'repositories' is empty: list the repositories it should sync (comma or newline separated), e.g. 'repositories: hello-world, app/*'.`
    )
  }
  if (!observed.connectedRegistry && scopeMap && !adoptable) {
    throw new ActionError(
      `Scope map '${scopeMapName}' already exists in registry '${settings.target.registry}' and was not created by this action or for this connected registry by the az CLI. The action will not take it over: delete or rename it, or choose another connected-registry name.`
    )
  }

  // Keep actions that belong to others: gateway actions of descendants (nested registries).
  const current = scopeMap?.actions ?? []
  const othersGateway = current.filter(
    (a) =>
      a.toLowerCase().startsWith('gateway/') &&
      !a.toLowerCase().startsWith(`gateway/${name.toLowerCase()}/`)
  )
  const ownRepositories =
    repositories.length > 0
      ? repositoryActions(mode, repositories)
      : current.filter((a) => a.toLowerCase().startsWith('repositories/'))
  const desired = [
    ...new Set([...ownRepositories, ...gatewayActions(name), ...othersGateway])
  ].sort()
  const added = desired.filter((a) => !current.some((c) => sameText(c, a)))
  const removed = current.filter((c) => !desired.some((a) => sameText(c, a)))
  const steps: PlanStep[] = []

  const scopeMapChanges = [
    ...added.map((a) => ({ field: 'actions', to: `+ ${a}` })),
    ...removed.map((a) => ({ field: 'actions', from: `- ${a}` }))
  ]
  if (!scopeMap) {
    steps.push({
      resource: `Scope map '${scopeMapName}'`,
      action: 'create',
      changes: scopeMapChanges,
      detail: {
        kind: 'scope-map',
        scopeMapName,
        actions: desired,
        description: scopeMapDescription(name)
      }
    })
  } else if (scopeMapChanges.length && !adoptable) {
    warnings.push(
      `Scope map '${scopeMapName}' differs from what connected registry '${name}' needs, but it was not created by this action; it is left unchanged.`
    )
    steps.push({
      resource: `Scope map '${scopeMapName}'`,
      action: 'kept',
      changes: [],
      reason: 'not created by this action',
      detail: { kind: 'scope-map', scopeMapName, actions: current }
    })
  } else {
    steps.push({
      resource: `Scope map '${scopeMapName}'`,
      action: scopeMapChanges.length ? 'update' : 'unchanged',
      changes: scopeMapChanges,
      detail: { kind: 'scope-map', scopeMapName, actions: desired }
    })
  }

  const scopeMapId = scopeMap?.id ?? resourceIds(settings).scopeMap(scopeMapName)
  const token = sync.token
  const tokenChanges: FieldChange[] = []
  if (token && token.status?.toLowerCase() === 'disabled') {
    tokenChanges.push({ field: 'status', from: 'disabled', to: 'enabled' })
  }
  if (token && !sameText(nameFromId(token.scopeMapId, 'scopeMaps'), scopeMapName)) {
    tokenChanges.push({ field: 'scopeMapId', from: token.scopeMapId, to: scopeMapId })
  }
  steps.push({
    resource: `Sync token '${tokenName}'`,
    action: !token ? 'create' : tokenChanges.length ? 'update' : 'unchanged',
    changes: token ? tokenChanges : [{ field: 'scopeMapId', to: scopeMapName }],
    detail: { kind: 'sync-token', tokenName, scopeMapId }
  })
  return steps
}

function planConnectedRegistry(
  settings: Settings,
  observed: ObservedState,
  tokenId: string,
  managedClientTokenId: string | undefined
): PlanStep {
  const cr = settings.connectedRegistry
  const { connectedRegistry: name, registry } = settings.target
  const existing = observed.connectedRegistry
  const listed = cr.clientTokens.map((token) => resourceIds(settings).token(token))
  // Input 'client-tokens' lists the tokens managed elsewhere; without it, the ones others
  // added stay. The managed token is added either way.
  const clientTokenIds = [
    ...new Map(
      [
        ...(cr.clientTokens.length ? listed : (existing?.clientTokenIds ?? [])),
        ...(managedClientTokenId ? [managedClientTokenId] : [])
      ].map((id) => [id.toLowerCase(), id])
    ).values()
  ]
  const gc = cr.garbageCollection ?? {}
  const parentId = cr.parent
    ? (observed.ancestors[0]?.connectedRegistry.id ?? resourceIds(settings).parent(cr.parent))
    : undefined
  const resource = `Connected registry '${name}'`
  if (!existing) {
    const create: ConnectedRegistry = {
      mode: cr.mode,
      parent: {
        id: parentId,
        syncProperties: {
          tokenId,
          schedule: cr.syncSchedule,
          syncWindow: cr.syncWindow,
          messageTtl: cr.messageTtl
        }
      },
      clientTokenIds,
      logging: { logLevel: cr.logLevel, auditLogStatus: cr.auditLogStatus ?? 'Disabled' },
      notificationsList: cr.notifications,
      ...(Object.keys(gc).length ? { garbageCollection: gc } : {})
    }
    return {
      resource,
      action: 'create',
      changes: [
        { field: 'mode', to: cr.mode },
        { field: 'parent', to: cr.parent ?? `${registry} (cloud)` },
        { field: 'repositories', to: show(cr.repositories) },
        { field: 'syncSchedule', to: cr.syncSchedule },
        ...(cr.syncWindow ? [{ field: 'syncWindow', to: cr.syncWindow }] : []),
        { field: 'messageTtl', to: cr.messageTtl },
        { field: 'logLevel', to: cr.logLevel },
        ...(cr.auditLogStatus ? [{ field: 'auditLogStatus', to: cr.auditLogStatus }] : []),
        ...(gc.enabled !== undefined
          ? [{ field: 'garbageCollection.enabled', to: String(gc.enabled) }]
          : []),
        ...(gc.schedule ? [{ field: 'garbageCollection.schedule', to: gc.schedule }] : [])
      ],
      detail: { kind: 'connected-registry', create }
    }
  }

  const existingMode = canonicalMode(existing.mode)
  if (existingMode !== cr.mode) {
    throw new ActionError(
      `Connected registry '${name}' exists in mode ${existingMode}, but input 'mode' is ${cr.mode}. The mode cannot be changed after creation: set mode: ${existingMode}, or tear it down (operation: teardown) and deploy again, or use a new connected-registry name.`
    )
  }
  const existingParent = nameFromId(existing.parent?.id, 'connectedRegistries')
  if (!sameText(existingParent, cr.parent)) {
    throw new ActionError(
      `Connected registry '${name}' exists with parent ${existingParent ? `'${existingParent}'` : `'${registry}' (the cloud registry)`}, but input 'parent' is ${cr.parent ? `'${cr.parent}'` : 'empty'}. The parent cannot be changed after creation: match the existing parent, or tear it down (operation: teardown) and deploy again.`
    )
  }

  const sync = existing.parent?.syncProperties
  const changes: FieldChange[] = []
  const update: ConnectedRegistryUpdateParameters = {}
  const syncUpdate: NonNullable<ConnectedRegistryUpdateParameters['syncProperties']> = {}
  if (!sameText(sync?.schedule, cr.syncSchedule)) {
    changes.push({ field: 'syncSchedule', from: sync?.schedule, to: cr.syncSchedule })
    syncUpdate.schedule = cr.syncSchedule
  }
  // An update cannot clear a sync window, so an empty input leaves the existing one alone.
  if (cr.syncWindow && !sameText(sync?.syncWindow, cr.syncWindow)) {
    changes.push({ field: 'syncWindow', from: show(sync?.syncWindow), to: show(cr.syncWindow) })
    syncUpdate.syncWindow = cr.syncWindow
  }
  if (!sameText(sync?.messageTtl, cr.messageTtl)) {
    changes.push({ field: 'messageTtl', from: sync?.messageTtl, to: cr.messageTtl })
    syncUpdate.messageTtl = cr.messageTtl
  }
  if (Object.keys(syncUpdate).length) update.syncProperties = syncUpdate
  const auditLogStatus = cr.auditLogStatus ?? existing.logging?.auditLogStatus ?? 'Disabled'
  if (!sameText(existing.logging?.logLevel, cr.logLevel)) {
    changes.push({ field: 'logLevel', from: existing.logging?.logLevel, to: cr.logLevel })
  }
  if (cr.auditLogStatus && !sameText(existing.logging?.auditLogStatus, cr.auditLogStatus)) {
    changes.push({
      field: 'auditLogStatus',
      from: existing.logging?.auditLogStatus ?? '(unset)',
      to: cr.auditLogStatus
    })
  }
  if (changes.some((c) => c.field === 'logLevel' || c.field === 'auditLogStatus')) {
    update.logging = { logLevel: cr.logLevel, auditLogStatus }
  }
  // Each field given is converged; one left empty stays as Azure has it.
  const gcNow = existing.garbageCollection
  const gcChanges: FieldChange[] = []
  if (gc.enabled !== undefined && gc.enabled !== gcNow?.enabled)
    gcChanges.push({
      field: 'garbageCollection.enabled',
      from: gcNow?.enabled === undefined ? '(unset)' : String(gcNow.enabled),
      to: String(gc.enabled)
    })
  if (gc.schedule !== undefined && gc.schedule !== gcNow?.schedule)
    gcChanges.push({
      field: 'garbageCollection.schedule',
      from: gcNow?.schedule ?? '(unset)',
      to: gc.schedule
    })
  if (gcChanges.length) {
    changes.push(...gcChanges)
    update.garbageCollection = { ...gcNow, ...gc }
  }
  if (!sameSet(existing.clientTokenIds, clientTokenIds)) {
    const names = (list: string[] | undefined) =>
      (list ?? []).map((id) => nameFromId(id, 'tokens') ?? id)
    changes.push({
      field: 'clientTokens',
      from: show(names(existing.clientTokenIds)),
      to: show(names(clientTokenIds))
    })
    update.clientTokenIds = clientTokenIds
  }
  if (!sameSet(existing.notificationsList, cr.notifications)) {
    changes.push({
      field: 'notifications',
      from: show(existing.notificationsList),
      to: show(cr.notifications)
    })
    update.notificationsList = cr.notifications
  }
  return {
    resource,
    action: changes.length ? 'update' : 'unchanged',
    changes,
    detail: { kind: 'connected-registry', update: changes.length ? update : undefined }
  }
}

function statusCodes(cr: ConnectedRegistry | undefined): string[] {
  return (cr?.statusDetails ?? []).map((d) => (d.code ?? '').toUpperCase()).filter(Boolean)
}

export interface DeployPlanOptions {
  /** Generate a new sync-token password even when nothing else needs one. */
  rotate: boolean
  /** Generate a new password for the managed client token even when nothing else needs one. */
  rotateClientToken?: boolean
}

/** The plan of a deploy (also what `operation: plan` prints and `rotate-credentials` applies). */
/**
 * The slot the previous pod served with, while the pod that the extension's last write
 * restarted with another slot has not reported yet (the registry's last activity is not later
 * than that write): until it does, the previous pod may still be the one serving (a rolling
 * update keeps it until its successor is active), so its password must not be regenerated.
 */
export function restartNotReported(observed: ObservedState): PasswordSlot | undefined {
  const settings = observed.extension?.configurationSettings ?? {}
  const serving = settings[SERVING_SLOT_SETTING]
  const written = observed.extension?.systemData?.lastModifiedAt
  const reported = observed.connectedRegistry?.lastActivityTime
  if (observed.extension?.provisioningState !== 'Succeeded') return undefined
  if ((serving !== 'password1' && serving !== 'password2') || !written) return undefined
  if (serving === settings[PASSWORD_SLOT_SETTING]) return undefined
  return reported && reported.getTime() > new Date(written).getTime() ? undefined : serving
}

export function planDeploy(
  settings: Settings,
  observed: ObservedState,
  options: DeployPlanOptions
): Plan {
  checkPreflight(settings, observed)
  const warnings: string[] = []
  const ids = resourceIds(settings)
  const name = settings.target.connectedRegistry
  const tokenName =
    nameFromId(observed.connectedRegistry?.parent?.syncProperties?.tokenId, 'tokens') ?? name
  const tokenId =
    observed.connectedRegistry?.parent?.syncProperties?.tokenId ?? ids.token(tokenName)

  if (observed.missingClientTokens?.length) {
    throw new ActionError(
      TEXT.clientTokensMissing(observed.missingClientTokens, settings.target.registry)
    )
  }
  const client = planClientToken(settings, observed, {
    rotate: options.rotateClientToken === true
  })
  if (client) warnings.push(...client.warnings)
  const steps: PlanStep[] = [
    planDataEndpoint(observed),
    ...planAncestorScopeMaps(settings, observed),
    ...planSyncIdentity(settings, observed, tokenName, warnings),
    // The token exists before the connected registry lists it.
    ...(client?.steps ?? []),
    planConnectedRegistry(settings, observed, tokenId, client?.id)
  ]

  // --- the extension and what it needs ---
  const extension = observed.extension
  const ext = settings.extension
  const cr = observed.connectedRegistry
  const codes = statusCodes(cr)
  const gatewayEndpoint = expectedGatewayEndpoint(settings, observed)
  if (!gatewayEndpoint && settings.connectedRegistry.parent) {
    throw new ActionError(
      `Azure reports no gateway endpoint for the parent connected registry '${settings.connectedRegistry.parent}' (it is not active yet or has no login server). Deploy the parent first, or set input 'parent-gateway-endpoint' to the address the child reaches it at (its service IP).`
    )
  }
  const record = protectedSettingsRecord(settings, observed, tokenName)
  const config = buildConfigurationSettings(ext)
  const recordedSlot = extension?.configurationSettings?.[PASSWORD_SLOT_SETTING] as
    PasswordSlot | undefined
  const isSlot = (value: unknown): value is PasswordSlot =>
    value === 'password1' || value === 'password2'
  // The slot the running instance uses: the recorded one once a write has landed and its pod
  // reported. A Failed write never ran, and the pod of a write that landed but has not reported
  // yet may not have taken over: the instance (if any) still uses the slot that served when the
  // write was made.
  const servingValue = extension?.configurationSettings?.[SERVING_SLOT_SETTING]
  const previousServing = restartNotReported(observed)
  const runningSlot: PasswordSlot | undefined =
    extension?.provisioningState === 'Failed'
      ? isSlot(servingValue)
        ? servingValue
        : undefined
      : (previousServing ?? (isSlot(recordedSlot) ? recordedSlot : undefined))

  if (extension) {
    if (!sameText(extension.extensionType, EXTENSION_TYPE)) {
      throw new ActionError(
        `Extension '${settings.target.extensionName}' on cluster '${settings.target.cluster}' is of type '${extension.extensionType}', not ${EXTENSION_TYPE}. Choose another 'extension-name'.`
      )
    }
    const namespace = extension.scope?.cluster?.releaseNamespace
    if (namespace && !sameText(namespace, ext.releaseNamespace)) {
      throw new ActionError(
        `Extension '${settings.target.extensionName}' is installed in namespace '${namespace}', but input 'release-namespace' is '${ext.releaseNamespace}'. The namespace cannot be changed in place: set release-namespace: ${namespace}, or tear the extension down first.`
      )
    }
  }

  const tokenStep = steps.find((s) => s.detail.kind === 'sync-token')
  const passwordReasons: string[] = []
  if (!extension) passwordReasons.push('the extension is new')
  else if (extension.provisioningState === 'Failed')
    passwordReasons.push('the extension is in state Failed')
  else if (!record.current)
    passwordReasons.push('the protected settings (connection string or TLS) changed')
  if (tokenStep?.action === 'create' && extension) passwordReasons.push('the sync token is new')
  if (codes.includes('UNAUTHORIZED'))
    passwordReasons.push(
      'the registry reports UNAUTHORIZED (its password is wrong or was regenerated)'
    )
  if (options.rotate) passwordReasons.push('rotation was requested')

  const needsPassword = passwordReasons.length > 0
  // Generate into the slot the running instance is not using, so it keeps working until the
  // extension carries the new password. Without a record, assume the documented password1.
  const slot: PasswordSlot | undefined = needsPassword
    ? runningSlot
      ? otherSlot(runningSlot)
      : isSlot(recordedSlot)
        ? otherSlot(recordedSlot)
        : extension
          ? 'password2'
          : 'password1'
    : recordedSlot

  // A registry still Active while no instance of ours exists (a recreated extension, or an old
  // instance) must be released before a new instance can activate.
  const activeElsewhere =
    cr?.activation?.status === 'Active' && (!extension || codes.includes('ALREADY_ACTIVATED'))
  if (activeElsewhere) {
    if (!extension && sameText(cr?.connectionState, 'Online')) {
      warnings.push(
        `Connected registry '${name}' is Active and Online, served by an instance outside extension '${settings.target.extensionName}'. Only one instance can be active: it will be deactivated so the new instance can take over.`
      )
    }
    steps.push({
      resource: `Activation of '${name}'`,
      action: 'deactivate',
      changes: [{ field: 'activation', from: 'Active', to: 'Inactive' }],
      reason: codes.includes('ALREADY_ACTIVATED')
        ? 'the registry reports ALREADY_ACTIVATED: it is still activated by an instance that no longer runs'
        : 'the registry is still Active from an instance that no longer exists (a deleted or recreated extension)',
      detail: { kind: 'activation' }
    })
  }

  if (needsPassword && slot) {
    steps.push({
      resource: `Sync token password (${slot})`,
      action: 'generate',
      changes: [{ field: slot, to: '(sensitive)', sensitive: true }],
      reason: passwordReasons.join('; '),
      detail: { kind: 'sync-password', slot }
    })
  }

  const desiredConfig: Record<string, string> = {
    ...config,
    ...(slot ? { [PASSWORD_SLOT_SETTING]: slot } : {}),
    // A record an earlier version made for the same content stays until they are resent.
    [PROTECTED_HASH_SETTING]:
      !needsPassword && record.current && record.recorded ? record.recorded : record.hash
  }
  // Bookkeeping only: written along with a write made for another reason, never one by itself.
  const servingRecord: Record<string, string> =
    extension && runningSlot ? { [SERVING_SLOT_SETTING]: runningSlot } : {}
  const extensionResource = `Extension '${settings.target.extensionName}' on '${settings.target.cluster}'`
  if (!extension || extension.provisioningState === 'Failed') {
    const create: Extension = {
      extensionType: EXTENSION_TYPE,
      autoUpgradeMinorVersion: ext.autoUpgradeMinorVersion,
      releaseTrain: ext.autoUpgradeMinorVersion ? ext.releaseTrain : undefined,
      version: ext.version,
      scope: { cluster: { releaseNamespace: ext.releaseNamespace } },
      configurationSettings: { ...desiredConfig, ...servingRecord }
    }
    steps.push({
      resource: extensionResource,
      action: extension ? 'update' : 'create',
      changes: [
        ...Object.entries(config).map(([field, to]) => ({ field, to })),
        ...(ext.version ? [{ field: 'version', to: ext.version }] : []),
        { field: 'autoUpgradeMinorVersion', to: String(ext.autoUpgradeMinorVersion) },
        ...(ext.autoUpgradeMinorVersion ? [{ field: 'releaseTrain', to: ext.releaseTrain }] : []),
        { field: 'releaseNamespace', to: ext.releaseNamespace },
        ...protectedSettingChanges(settings)
      ],
      reason: extension
        ? 'the extension is in state Failed; it is installed again with all its settings'
        : undefined,
      detail: { kind: 'extension', create, resendProtectedSettings: true }
    })
  } else {
    const changes: FieldChange[] = []
    const patch: PatchExtension = {}
    const patchConfig: Record<string, string> = {}
    for (const [key, value] of Object.entries(desiredConfig)) {
      const current = extension.configurationSettings?.[key]
      if (current !== value) {
        patchConfig[key] = value
        if (key !== PASSWORD_SLOT_SETTING && key !== PROTECTED_HASH_SETTING) {
          changes.push({ field: key, from: current ?? '(unset)', to: value })
        }
      }
    }
    if (Object.keys(patchConfig).length) patch.configurationSettings = patchConfig
    if (extension.autoUpgradeMinorVersion !== ext.autoUpgradeMinorVersion) {
      changes.push({
        field: 'autoUpgradeMinorVersion',
        from: String(extension.autoUpgradeMinorVersion),
        to: String(ext.autoUpgradeMinorVersion)
      })
      patch.autoUpgradeMinorVersion = ext.autoUpgradeMinorVersion
    }
    if (ext.autoUpgradeMinorVersion && !sameText(extension.releaseTrain, ext.releaseTrain)) {
      changes.push({ field: 'releaseTrain', from: extension.releaseTrain, to: ext.releaseTrain })
      patch.releaseTrain = ext.releaseTrain
    }
    if (ext.version && ext.version !== extension.version) {
      changes.push({
        field: 'version',
        from: extension.version ?? extension.currentVersion,
        to: ext.version
      })
      patch.version = ext.version
    } else if (!ext.version && extension.version && ext.autoUpgradeMinorVersion) {
      // 'extension-version' removed: back to auto-upgrade. Without `version: null` Arc keeps
      // the pin beside autoUpgradeMinorVersion (a PATCH merges).
      changes.push({
        field: 'version',
        from: extension.version,
        to: `(unpinned: auto-upgrade on the ${ext.releaseTrain} release train)`
      })
      // The SDK types `version` as string, but the mapper marks it nullable: null is sent.
      patch.version = null as unknown as string
    }
    if (needsPassword) changes.push(...protectedSettingChanges(settings))
    const writes = needsPassword || Object.keys(patch).length > 0
    for (const [key, value] of Object.entries(servingRecord)) {
      if (writes && extension.configurationSettings?.[key] !== value) {
        patch.configurationSettings = { ...patch.configurationSettings, [key]: value }
      }
    }
    steps.push({
      resource: extensionResource,
      action: writes ? 'update' : 'unchanged',
      changes,
      detail: {
        kind: 'extension',
        patch: writes ? patch : undefined,
        resendProtectedSettings: needsPassword
      }
    })
  }
  steps.push(...(client?.pullSecretSteps ?? []))

  return {
    steps,
    changed: steps.some(isWrite),
    warnings,
    passwordSlot: slot,
    syncTokenId: tokenId,
    connectedRegistryId: cr?.id ?? ids.connectedRegistry,
    extensionId: extension?.id ?? ids.extension,
    ...(client ? { clientToken: { id: client.id, name: client.name, slot: client.slot } } : {})
  }
}

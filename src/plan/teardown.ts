// The plan of a teardown: what a deploy made, to delete; what is gone or not ours, to report.

import { ActionError } from '../azure/errors.js'
import { nameFromId, type ObservedState } from '../observe.js'
import type { Settings } from '../settings.js'
import { isManaged } from '../kube/pull-secret.js'
import { clientScopeMapName } from '../domain/scope-map.js'
import { checkRegistryFound } from './deploy.js'
import {
  EXTENSION_TYPE,
  isManagedScopeMap,
  isWrite,
  resourceIds,
  sameText,
  type Plan,
  type PlanStep,
  type StepDetail
} from './model.js'

/**
 * The plan of a teardown: everything the deploy made, newest first; what is gone is reported.
 * The ancestors' gateway actions go before the connected registry itself, because only the
 * registry names its parent: a re-run after a failure further on can still find them.
 */
export function planTeardown(settings: Settings, observed: ObservedState): Plan {
  const ids = resourceIds(settings)
  const { connectedRegistry: name, extensionName, cluster } = settings.target
  const cr = observed.connectedRegistry
  const steps: PlanStep[] = []
  const warnings: string[] = []
  const gone = (resource: string, detail: StepDetail, reason = 'already gone'): PlanStep => ({
    resource,
    action: 'absent',
    changes: [],
    reason,
    detail
  })

  // Without the registry nothing can be found, and a typo would report everything as gone.
  checkRegistryFound(settings, observed)

  // Deleting a parent leaves its children nothing to sync with, and they cannot be re-parented.
  const children = (observed.children ?? []).map((child) => child.name ?? '?')
  if (children.length) {
    throw new ActionError(
      `Connected registry '${name}' is the parent of ${children.map((c) => `'${c}'`).join(', ')}: deleting it would leave ${children.length === 1 ? 'that registry' : 'those registries'} unable to sync. Nothing was changed. Tear down the children first (operation: teardown with connected-registry: ${children[0]}), then this one.`
    )
  }

  const extensionResource = `Extension '${extensionName}' on '${cluster}'`
  const extensionDetail: StepDetail = { kind: 'extension', resendProtectedSettings: false }
  const extension = observed.extension
  if (!observed.cluster) {
    warnings.push(
      `Arc-enabled cluster '${cluster}' was not found in resource group '${settings.target.clusterResourceGroup}': its extension is treated as gone. If the cluster still exists, check the inputs 'cluster' and 'cluster-resource-group'.`
    )
    steps.push(gone(extensionResource, extensionDetail, 'its cluster was not found'))
  } else if (!extension) {
    steps.push(gone(extensionResource, extensionDetail))
  } else if (!sameText(extension.extensionType, EXTENSION_TYPE)) {
    warnings.push(
      `Extension '${extensionName}' on cluster '${cluster}' is of type '${extension.extensionType}', not ${EXTENSION_TYPE}: it is not deleted. Check 'extension-name'.`
    )
    steps.push({
      resource: extensionResource,
      action: 'kept',
      changes: [],
      reason: `not a connected registry extension (${extension.extensionType})`,
      detail: extensionDetail
    })
  } else {
    if (
      !sameText(observed.cluster.connectivityStatus, 'Connected') &&
      !settings.behaviour.forceDelete
    ) {
      warnings.push(
        `Arc-enabled cluster '${cluster}' is ${observed.cluster.connectivityStatus}: Azure deletes the extension only once the cluster reconnects, so this run waits for it up to 'timeout'. With 'force-delete: true' the extension is removed from Azure at once, and its release stays on the cluster until you remove it there.`
      )
    }
    steps.push({
      resource: extensionResource,
      action: 'delete',
      changes: [],
      reason: settings.behaviour.forceDelete ? 'force-delete' : undefined,
      detail: extensionDetail
    })
  }
  if (cr?.activation?.status === 'Active') {
    steps.push({
      resource: `Activation of '${name}'`,
      action: 'deactivate',
      changes: [{ field: 'activation', from: 'Active', to: 'Inactive' }],
      detail: { kind: 'activation' }
    })
  }
  const prefix = `gateway/${name.toLowerCase()}/`
  for (const ancestor of observed.ancestors) {
    const current = ancestor.scopeMap?.actions ?? []
    const removed = current.filter((a) => a.toLowerCase().startsWith(prefix))
    if (!ancestor.scopeMap?.name) continue
    steps.push({
      resource: `Scope map '${ancestor.scopeMap.name}' of ancestor '${ancestor.connectedRegistry.name}'`,
      action: removed.length ? 'update' : 'unchanged',
      changes: removed.map((a) => ({ field: 'actions', from: `- ${a}` })),
      detail: {
        kind: 'ancestor-scope-map',
        scopeMapName: ancestor.scopeMap.name,
        actions: current.filter((a) => !removed.includes(a))
      }
    })
  }
  steps.push(
    cr
      ? {
          resource: `Connected registry '${name}'`,
          action: 'delete',
          changes: [],
          detail: { kind: 'connected-registry' }
        }
      : gone(`Connected registry '${name}'`, { kind: 'connected-registry' })
  )
  const { token, scopeMap } = observed.sync
  const ours = isManagedScopeMap(scopeMap?.description)
  const tokenName = token?.name ?? name
  const scopeMapName = scopeMap?.name ?? name
  const tokenIsOurs = ours && sameText(nameFromId(token?.scopeMapId, 'scopeMaps'), scopeMapName)
  steps.push(
    !token
      ? gone(`Sync token '${tokenName}'`, { kind: 'sync-token', tokenName, scopeMapId: '' })
      : tokenIsOurs
        ? {
            resource: `Sync token '${tokenName}'`,
            action: 'delete',
            changes: [],
            detail: { kind: 'sync-token', tokenName, scopeMapId: token.scopeMapId ?? '' }
          }
        : {
            resource: `Sync token '${tokenName}'`,
            action: 'kept',
            changes: [],
            reason: 'not created by this action',
            detail: { kind: 'sync-token', tokenName, scopeMapId: token.scopeMapId ?? '' }
          }
  )
  steps.push(
    !scopeMap
      ? gone(`Scope map '${scopeMapName}'`, { kind: 'scope-map', scopeMapName, actions: [] })
      : ours
        ? {
            resource: `Scope map '${scopeMapName}'`,
            action: 'delete',
            changes: [],
            detail: { kind: 'scope-map', scopeMapName, actions: [] }
          }
        : {
            resource: `Scope map '${scopeMapName}'`,
            action: 'kept',
            changes: [],
            reason: 'not created by this action',
            detail: { kind: 'scope-map', scopeMapName, actions: scopeMap.actions ?? [] }
          }
  )
  steps.push(...planClientTeardown(settings, observed))
  return {
    steps,
    changed: steps.some(isWrite),
    warnings,
    syncTokenId: token?.id ?? ids.token(tokenName),
    connectedRegistryId: cr?.id ?? ids.connectedRegistry,
    extensionId: extension?.id ?? ids.extension
  }
}

/**
 * What the action made for the managed client token: its pull secrets (labelled as the
 * action's), the token and its scope map (when the action created the scope map, which its
 * description says). Anything else of the same name is reported and kept.
 */
function planClientTeardown(settings: Settings, observed: ObservedState): PlanStep[] {
  const client = settings.connectedRegistry.clientToken
  if (!client) return []
  const steps: PlanStep[] = []
  const secretName = settings.kube?.pullSecretName ?? ''
  for (const s of observed.kube?.pullSecrets ?? []) {
    const resource = `Pull secret '${secretName}' in namespace '${s.namespace}'`
    const detail: StepDetail = { kind: 'pull-secret', namespace: s.namespace, name: secretName }
    const ours = s.secret !== undefined && isManaged(s.secret)
    steps.push({
      resource,
      action: !s.secret ? 'absent' : ours ? 'delete' : 'kept',
      changes: [],
      reason: !s.secret ? 'already gone' : ours ? undefined : 'not written by this action',
      detail
    })
  }
  const { token, scopeMap } = observed.client ?? {}
  const scopeMapName =
    nameFromId(token?.scopeMapId, 'scopeMaps') ?? scopeMap?.name ?? clientScopeMapName(client.name)
  const ours = isManagedScopeMap(scopeMap?.description)
  const tokenIsOurs = ours && sameText(nameFromId(token?.scopeMapId, 'scopeMaps'), scopeMapName)
  const tokenDetail: StepDetail = {
    kind: 'client-token',
    tokenName: client.name,
    scopeMapId: token?.scopeMapId ?? ''
  }
  steps.push({
    resource: `Client token '${client.name}'`,
    action: !token ? 'absent' : tokenIsOurs ? 'delete' : 'kept',
    changes: [],
    reason: !token ? 'already gone' : tokenIsOurs ? undefined : 'not created by this action',
    detail: tokenDetail
  })
  steps.push({
    resource: `Client scope map '${scopeMapName}'`,
    action: !scopeMap ? 'absent' : ours ? 'delete' : 'kept',
    changes: [],
    reason: !scopeMap ? 'already gone' : ours ? undefined : 'not created by this action',
    detail: { kind: 'client-scope-map', scopeMapName, actions: [] }
  })
  return steps
}

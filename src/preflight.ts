// Before the first write: does the signed-in identity hold every action the plan needs? Read
// from Azure's effective permissions on the resource groups the run writes to, so that a missing
// permission fails the run naming every action and scope, with nothing changed.

import { explainAzureFailure, messageOf } from './azure/errors.js'
import { ActionError } from './azure/errors.js'
import { missingPermissions, notFinished, permissionsUnreadable } from './messages.js'
import type { ObservedState } from './observe.js'
import { PERMISSIONS, type Permission, type PermissionScope } from './permissions.js'
import type { Plan } from './plan/model.js'
import type { PermissionGrant } from './ports.js'
import type { RunContext } from './run-context.js'
import type { Settings } from './settings.js'

/** The table's rows this run needs: conditional rows only when their condition holds. */
export function requiredPermissions(
  settings: Settings,
  plan: Plan,
  observed: ObservedState
): Permission[] {
  const { operation } = settings.behaviour
  const nested = Boolean(settings.connectedRegistry.parent) || observed.ancestors.length > 0
  const deactivates = plan.steps.some((step) => step.action === 'deactivate')
  return PERMISSIONS.filter((permission) => {
    const need = permission.operations[operation]
    if (need === 'nested') return nested
    if (need === 'stale-activation') return deactivates
    // The preflight's own read: checking it would be circular, and a run goes on without it.
    if (need === 'optional') return false
    return need === true
  })
}

const patternOf = (pattern: string): RegExp =>
  new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 'i')
const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')

/** Azure's rule: an action is allowed when one grant lists it in `actions` (wildcards allowed)
 * and that same grant does not exclude it in `notActions`. */
export function isAllowed(action: string, grants: PermissionGrant[]): boolean {
  return grants.some(
    (grant) =>
      (grant.actions ?? []).some((pattern) => patternOf(pattern).test(action)) &&
      !(grant.notActions ?? []).some((pattern) => patternOf(pattern).test(action))
  )
}

export const resourceGroupScope = (subscriptionId: string, resourceGroup: string): string =>
  `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`

/**
 * Fails naming every missing action and its scope. A scope whose permissions cannot be read
 * (the read itself denied) is reported and skipped: the write that needs a missing action then
 * fails as before.
 */
export async function checkPermissions(
  run: RunContext,
  plan: Plan,
  observed: ObservedState
): Promise<void> {
  const { azure, settings, log, deadline } = run
  const { subscriptionId, resourceGroup, clusterResourceGroup } = settings.target
  const scopes: Record<PermissionScope, string> = {
    registry: resourceGroupScope(subscriptionId, resourceGroup),
    cluster: resourceGroupScope(subscriptionId, clusterResourceGroup)
  }
  const scopesOf = (permission: Permission): string[] =>
    permission.scope === 'both' ? Object.values(scopes) : [scopes[permission.scope]]
  const required = requiredPermissions(settings, plan, observed)
  const grants = new Map<string, PermissionGrant[] | undefined>()
  for (const scope of new Set(required.flatMap(scopesOf))) {
    try {
      grants.set(scope, await azure.readPermissions(scope))
    } catch (error) {
      if (deadline.expired()) throw deadline.exceeded(notFinished('Reading the permissions'))
      const reason = explainAzureFailure('Reading the permissions', error).azure
      log.warning(
        permissionsUnreadable(
          scope,
          reason?.code
            ? `Azure error ${reason.code}${reason.statusCode ? `, HTTP ${reason.statusCode}` : ''}`
            : messageOf(error)
        )
      )
      grants.set(scope, undefined)
    }
  }
  const missing = required
    .flatMap((permission) => scopesOf(permission).map((scope) => ({ permission, scope })))
    .filter(({ permission, scope }) => {
      const granted = grants.get(scope)
      return granted !== undefined && !isAllowed(permission.action, granted)
    })
  const checked = [...grants.values()].filter(Boolean).length
  if (missing.length) {
    throw new ActionError(
      missingPermissions(
        missing.map(({ permission, scope }) => ({
          action: permission.action,
          scope,
          why: permission.why
        }))
      )
    )
  }
  if (checked) log.info(`Permissions: the ${required.length} action(s) this run needs are granted.`)
}

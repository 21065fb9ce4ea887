// The plan's vocabulary: steps, the actions they take, and what every planner shares (the names
// of resources and the chart settings the action keeps for itself).

import type {
  ConnectedRegistry,
  ConnectedRegistryUpdateParameters
} from '@azure/arm-containerregistry'
import type { Extension, PatchExtension } from '@azure/arm-kubernetesconfiguration'
import { registryId } from '../observe.js'
import type { PasswordSlot, Settings } from '../settings.js'

export const EXTENSION_TYPE = 'Microsoft.ContainerRegistry.ConnectedRegistry'
const MANAGED_BY = 'managed by connected-registry-arc-action'
/** Chart settings the action keeps for itself: what it cannot read back from Azure later. */
export const PASSWORD_SLOT_SETTING = 'connectedRegistryAction.passwordSlot'
export const PROTECTED_HASH_SETTING = 'connectedRegistryAction.protectedSettingsHash'
/** The slot the running instance used when the extension was last written: after a write that
 * failed, the previous release (and its password) may still serve the registry. */
export const SERVING_SLOT_SETTING = 'connectedRegistryAction.servingPasswordSlot'

export type StepAction =
  'create' | 'update' | 'unchanged' | 'delete' | 'deactivate' | 'generate' | 'absent' | 'kept'

export interface FieldChange {
  field: string
  from?: string
  to?: string
  sensitive?: boolean
}

export type StepDetail =
  | { kind: 'data-endpoint' }
  | { kind: 'ancestor-scope-map'; scopeMapName: string; actions: string[] }
  | { kind: 'scope-map'; scopeMapName: string; actions: string[]; description?: string }
  | { kind: 'sync-token'; tokenName: string; scopeMapId: string }
  | {
      kind: 'connected-registry'
      create?: ConnectedRegistry
      update?: ConnectedRegistryUpdateParameters
    }
  | { kind: 'activation' }
  | { kind: 'sync-password'; slot: PasswordSlot }
  | { kind: 'client-scope-map'; scopeMapName: string; actions: string[]; description?: string }
  | { kind: 'client-token'; tokenName: string; scopeMapId: string }
  | { kind: 'client-password'; slot: PasswordSlot }
  | {
      kind: 'pull-secret'
      namespace: string
      name: string
      /** The password already in a current pull secret; undefined: the one this run generates. */
      knownPassword?: string
    }
  | {
      kind: 'extension'
      /** Everything but the protected settings, which need the password made during the run. */
      create?: Extension
      patch?: PatchExtension
      resendProtectedSettings: boolean
    }

export interface PlanStep {
  resource: string
  action: StepAction
  changes: FieldChange[]
  reason?: string
  detail: StepDetail
}

export interface Plan {
  steps: PlanStep[]
  /** True when applying the plan writes anything. */
  changed: boolean
  warnings: string[]
  /** The slot the instance will use after the run (the new one when a password is generated). */
  passwordSlot?: PasswordSlot
  syncTokenId: string
  connectedRegistryId: string
  extensionId: string
  /** The managed client token (input 'client-token'), when there is one. */
  clientToken?: {
    id: string
    name: string
    /** The slot whose password the pull secrets carry after the run. */
    slot?: PasswordSlot
  }
}

/** The step changes something in Azure (not unchanged, kept or already absent). */
export const isWrite = (step: PlanStep): boolean =>
  step.action !== 'unchanged' && step.action !== 'kept' && step.action !== 'absent'

export const otherSlot = (slot: PasswordSlot): PasswordSlot =>
  slot === 'password1' ? 'password2' : 'password1'

/** A step and its (non-secret) changes in one line, for messages. */
export const summarizeStep = (step: PlanStep): string => {
  const fields = step.changes.filter((change) => !change.sensitive)
  const detail = fields
    .map((change) =>
      change.from !== undefined && change.to !== undefined
        ? `${change.field} ${change.from} → ${change.to}`
        : `${change.field} ${change.to ?? change.from}`
    )
    .join(', ')
  return `${step.resource}: ${step.action}${detail ? ` (${detail})` : ''}`
}

export const sameText = (a: string | undefined, b: string | undefined): boolean =>
  (a ?? '').toLowerCase() === (b ?? '').toLowerCase()

export const scopeMapDescription = (connectedRegistry: string): string =>
  `Sync scope map of connected registry '${connectedRegistry}', ${MANAGED_BY}`

export const clientScopeMapDescription = (token: string, connectedRegistry: string): string =>
  `Scope map of client token '${token}' for connected registry '${connectedRegistry}', ${MANAGED_BY}`

export const isManagedScopeMap = (description: string | undefined): boolean =>
  (description ?? '').includes(MANAGED_BY)

/** ARM ids of the resources the action manages, also for those that do not exist yet. */
export function resourceIds(settings: Settings) {
  const { target } = settings
  const registry = registryId(settings)
  const clusterId =
    `/subscriptions/${target.subscriptionId}/resourceGroups/${target.clusterResourceGroup}` +
    `/providers/Microsoft.Kubernetes/connectedClusters/${target.cluster}`
  return {
    registry,
    connectedRegistry: `${registry}/connectedRegistries/${target.connectedRegistry}`,
    parent: (name: string) => `${registry}/connectedRegistries/${name}`,
    token: (name: string) => `${registry}/tokens/${name}`,
    scopeMap: (name: string) => `${registry}/scopeMaps/${name}`,
    extension: `${clusterId}/providers/Microsoft.KubernetesConfiguration/extensions/${target.extensionName}`
  }
}

// The Azure RBAC actions each operation needs, in one table: docs/reference.md's permission
// table, the custom role files and the permission preflight are all derived from it.

import type { Operation } from './settings.js'

/** Where an action is checked: the registry's resource group or the cluster's. */
export type PermissionScope = 'registry' | 'cluster'

export interface Permission {
  action: string
  /** 'both': on each resource group the run writes to. */
  scope: PermissionScope | 'both'
  /**
   * The operations that need it; a footnote says when an operation needs it only sometimes.
   * 'optional': a run goes on without it (it is in the roles, but the preflight never asks for it).
   */
  operations: Partial<Record<Operation, true | 'nested' | 'stale-activation' | 'optional'>>
  why: string
}

const ALL = { deploy: true, plan: true, 'rotate-credentials': true, teardown: true } as const

export const PERMISSIONS: readonly Permission[] = [
  {
    action: 'Microsoft.ContainerRegistry/registries/read',
    scope: 'registry',
    operations: ALL,
    why: 'the registry, its SKU and data endpoint'
  },
  {
    action: 'Microsoft.ContainerRegistry/registries/write',
    scope: 'registry',
    operations: { deploy: true },
    why: 'enables the dedicated data endpoint (once)'
  },
  {
    action: 'Microsoft.ContainerRegistry/registries/generateCredentials/action',
    scope: 'registry',
    operations: { deploy: true, 'rotate-credentials': true },
    why: "the sync token's and the managed client token's passwords; revoking the old slot"
  },
  {
    action: 'Microsoft.ContainerRegistry/registries/scopeMaps/read',
    scope: 'registry',
    operations: ALL,
    why: "the sync scope maps (own and ancestors')"
  },
  {
    action: 'Microsoft.ContainerRegistry/registries/scopeMaps/write',
    scope: 'registry',
    operations: { deploy: true, teardown: 'nested' },
    why: "creates/updates the sync and client scope maps; ancestors' gateway actions"
  },
  {
    action: 'Microsoft.ContainerRegistry/registries/scopeMaps/delete',
    scope: 'registry',
    operations: { teardown: true },
    why: 'the sync and client scope maps the action created'
  },
  {
    action: 'Microsoft.ContainerRegistry/registries/tokens/read',
    scope: 'registry',
    operations: ALL,
    why: 'the sync and client tokens (their password slots, never their values); that client-tokens exist'
  },
  {
    action: 'Microsoft.ContainerRegistry/registries/tokens/write',
    scope: 'registry',
    operations: { deploy: true },
    why: 'creates/enables the sync token and the managed client token'
  },
  {
    action: 'Microsoft.ContainerRegistry/registries/tokens/delete',
    scope: 'registry',
    operations: { teardown: true },
    why: 'the sync and client tokens the action created'
  },
  {
    action: 'Microsoft.ContainerRegistry/registries/connectedRegistries/read',
    scope: 'registry',
    operations: ALL,
    why: 'the connected registry, its ancestors and (teardown) its children'
  },
  {
    action: 'Microsoft.ContainerRegistry/registries/connectedRegistries/write',
    scope: 'registry',
    operations: { deploy: true },
    why: 'creates/updates the connected registry (client tokens, garbage collection, logging)'
  },
  {
    action: 'Microsoft.ContainerRegistry/registries/connectedRegistries/deactivate/action',
    scope: 'registry',
    operations: { deploy: 'stale-activation', teardown: true },
    why: 'frees an activation held by an instance that no longer runs; teardown'
  },
  {
    action: 'Microsoft.ContainerRegistry/registries/connectedRegistries/delete',
    scope: 'registry',
    operations: { teardown: true },
    why: 'the connected registry'
  },
  {
    action: 'Microsoft.Kubernetes/connectedClusters/read',
    scope: 'cluster',
    operations: ALL,
    why: 'the cluster and its connectivity'
  },
  {
    action: 'Microsoft.KubernetesConfiguration/extensions/read',
    scope: 'cluster',
    operations: ALL,
    why: 'the extension'
  },
  {
    action: 'Microsoft.KubernetesConfiguration/extensions/write',
    scope: 'cluster',
    operations: { deploy: true, 'rotate-credentials': true },
    why: 'installs/updates the extension and its protected settings'
  },
  {
    action: 'Microsoft.KubernetesConfiguration/extensions/delete',
    scope: 'cluster',
    operations: { teardown: true },
    why: 'the extension'
  },
  {
    action: 'Microsoft.KubernetesConfiguration/extensions/operations/read',
    scope: 'cluster',
    operations: { deploy: true, 'rotate-credentials': true, teardown: true },
    why: "follows the extension's long-running operations"
  },
  {
    // Azure answers GET {scope}/providers/Microsoft.Authorization/permissions only with this
    // action (Reader grants it through */read); src/preflight.ts warns and goes on without it.
    action: 'Microsoft.Authorization/permissions/read',
    scope: 'both',
    operations: { deploy: 'optional', 'rotate-credentials': 'optional', teardown: 'optional' },
    why: 'the permission preflight: reads which of these actions are granted, before the first write'
  }
]

/** The actions an operation may need, conditional ones included (what a role must grant). */
export function actionsFor(operation: Operation): Permission[] {
  return PERMISSIONS.filter((permission) => permission.operations[operation])
}

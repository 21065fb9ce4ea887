// The sync scope map's actions, exactly as `az acr connected-registry create` computes them
// (azure-cli acr/connected_registry.py + _utils.py _parse_scope_map_actions):
//   repositories/<repo>/<action>   for each repository, with the actions of the mode
//   gateway/<name in lower case>/{config,message}/{read,write}   always
// Everything is lower-cased, as the CLI does, and returned sorted and de-duplicated so results
// compare with `sorted(existing.actions) == sorted(actions)` like the CLI's idempotency check.

import type { ConnectedRegistryMode } from '../settings.js'

/** Modes the API still returns for old connected registries; the CLI maps them as below. */
export type LegacyConnectedRegistryMode = 'Registry' | 'Mirror'

const READ_ONLY = ['content/read', 'metadata/read'] as const
const READ_WRITE = [
  'content/read',
  'content/write',
  'content/delete',
  'metadata/read',
  'metadata/write'
] as const

/** REPO_SCOPES_BY_MODE of the CLI, keyed by the lower-cased mode. */
const REPOSITORY_ACTIONS_BY_MODE: Record<string, readonly string[]> = {
  readonly: READ_ONLY,
  readwrite: READ_WRITE,
  mirror: READ_ONLY,
  registry: READ_WRITE
}

/** DEFAULT_GATEWAY_SCOPE of the CLI. */
export const GATEWAY_ACTIONS = [
  'config/read',
  'config/write',
  'message/read',
  'message/write'
] as const

const sortedUnique = (actions: Iterable<string>): string[] => [...new Set(actions)].sort()

/** Repository actions a connected registry of this mode needs on each repository. */
export function repositoryActions(
  mode: ConnectedRegistryMode | LegacyConnectedRegistryMode,
  repositories: readonly string[]
): string[] {
  const actions = REPOSITORY_ACTIONS_BY_MODE[mode.toLowerCase()]
  if (!actions) throw new Error(`Unknown connected registry mode '${mode}'.`)
  return sortedUnique(
    repositories.flatMap((repository) =>
      actions.map((action) => `repositories/${repository.toLowerCase()}/${action}`)
    )
  )
}

/** The name az gives the scope map of `az acr token create --repository`. */
export const clientScopeMapName = (token: string): string => `${token}-scope-map`

/** What `az acr scope-map create --repository <repo> content/read metadata/read` grants a
 * client token on each repository; with `push`, content/write and metadata/write as well. */
export function clientTokenActions(repositories: readonly string[], push: boolean): string[] {
  const actions = push
    ? ['content/read', 'content/write', 'metadata/read', 'metadata/write']
    : ['content/read', 'metadata/read']
  return sortedUnique(
    repositories.flatMap((repository) =>
      actions.map((action) => `repositories/${repository.toLowerCase()}/${action}`)
    )
  )
}

/** The gateway actions that let the connected registry exchange sync messages with its parent. */
export function gatewayActions(connectedRegistryName: string): string[] {
  const gateway = connectedRegistryName.toLowerCase()
  return sortedUnique(GATEWAY_ACTIONS.map((action) => `gateway/${gateway}/${action}`))
}

/** The full action set of the connected registry's own sync scope map. */
export function syncScopeMapActions(
  mode: ConnectedRegistryMode | LegacyConnectedRegistryMode,
  repositories: readonly string[],
  connectedRegistryName: string
): string[] {
  return sortedUnique([
    ...repositoryActions(mode, repositories),
    ...gatewayActions(connectedRegistryName)
  ])
}

const REPOSITORY_ACTION = /^repositories\/(.+)\/(?:content|metadata)\/[a-z]+$/i

/** The repositories named by repository actions (gateway and other actions are ignored). */
export function repositoriesFromActions(actions: readonly string[]): string[] {
  return sortedUnique(
    actions.flatMap((action) => {
      const match = REPOSITORY_ACTION.exec(action)
      return match ? [match[1].toLowerCase()] : []
    })
  )
}

export interface ActionDiff {
  /** Desired actions the current set lacks. */
  add: string[]
  /** Current actions the desired set does not have. */
  remove: string[]
  /** Actions in both. */
  unchanged: string[]
}

/** Compares two action sets case-insensitively (Azure may return another casing). */
export function diffActions(current: readonly string[], desired: readonly string[]): ActionDiff {
  const key = (action: string): string => action.toLowerCase()
  const currentKeys = new Set(current.map(key))
  const desiredKeys = new Set(desired.map(key))
  return {
    add: sortedUnique(desired.filter((action) => !currentKeys.has(key(action)))),
    remove: sortedUnique(current.filter((action) => !desiredKeys.has(key(action)))),
    unchanged: sortedUnique(desired.filter((action) => currentKeys.has(key(action))))
  }
}

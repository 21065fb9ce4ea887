// The system-defined scope maps every Azure registry has. They are read-only: ACR
// refuses to change or delete them. Actions as Microsoft's token documentation lists
// them (`_repositories_pull` grants content/read only: Azure/acr#690).
import { conflict } from '../errors.js'
import { childId, key } from '../ids.js'
import type { Registry, ScopeMap, World } from '../world.js'

export const SYSTEM_SCOPE_MAPS: readonly { name: string; description: string; verbs: string[] }[] =
  [
    {
      name: '_repositories_admin',
      description: 'Can perform all read, write and delete operations on the registry',
      verbs: ['metadata/read', 'metadata/write', 'content/read', 'content/write', 'content/delete']
    },
    {
      name: '_repositories_pull',
      description: 'Can pull any repository of the registry',
      verbs: ['content/read']
    },
    {
      name: '_repositories_push',
      description: 'Can push to any repository of the registry',
      verbs: ['content/read', 'content/write']
    }
  ]

/** Adds the system scope maps to a registry that was just created. */
export function addSystemScopeMaps(world: World, reg: Registry): void {
  for (const sm of SYSTEM_SCOPE_MAPS) {
    const id = childId(reg.id, 'scopeMaps', sm.name)
    world.scopeMaps.set(key(id), {
      id,
      registryKey: key(reg.id),
      name: sm.name,
      description: sm.description,
      actions: sm.verbs.map((v) => `repositories/*/${v}`),
      creationDate: reg.creationDate,
      provisioningState: 'Succeeded',
      systemData: { ...reg.systemData },
      systemDefined: true
    })
  }
}

/**
 * 400 for a write to a system scope map. Our assumption: Azure's code and status for it
 * are not documented; what it refuses is.
 */
export function assertUserDefined(sm: ScopeMap, verb: 'changed' | 'deleted'): void {
  if (sm.systemDefined) {
    throw conflict(
      `The scope map '${sm.name}' is system-defined and cannot be ${verb}. Create a scope map of your own (az acr scope-map create) for other permissions.`,
      'SystemScopeMapReadOnly'
    )
  }
}

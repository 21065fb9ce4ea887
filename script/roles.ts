// The custom Azure role definitions of docs/roles/, one per operation family, generated from the
// one permission table (src/permissions.ts) so a role can never lag behind the action
// (__tests__/publish/roles.test.ts fails when the committed files differ from a fresh generation,
// and runs every operation against the emulator with exactly a role's actions allowed).
//
// usage: node --import tsx script/roles.ts [--check]
//   rewrites docs/roles/*.json, or with --check exits 1 when they are out of date.

import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { actionsFor } from '../src/permissions.js'
import type { Operation } from '../src/settings.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const ROLES_DIR = path.join(root, 'docs/roles')

export interface RoleFamily {
  /** The file under docs/roles/. */
  file: string
  name: string
  operations: Operation[]
  purpose: string
}

/** Operations that run from the same workflows share a role; teardown deletes, so it has its own. */
export const ROLE_FAMILIES: readonly RoleFamily[] = [
  {
    file: 'connected-registry-deployer.json',
    name: 'Connected Registry on Arc Deployer',
    operations: ['deploy', 'rotate-credentials', 'plan'],
    purpose:
      'deploy, plan and rotate-credentials: creates and updates a connected registry, its sync token and scope map and its Arc extension; deletes nothing'
  },
  {
    file: 'connected-registry-teardown.json',
    name: 'Connected Registry on Arc Teardown',
    operations: ['teardown'],
    purpose:
      'teardown: deletes the Arc extension, the connected registry and the sync token and scope map the action created'
  }
]

/** Placeholders the user replaces before `az role definition create` (docs/roles/README.md). */
export const ASSIGNABLE_SCOPES = [
  '/subscriptions/{subscription-id}/resourceGroups/{registry-resource-group}',
  '/subscriptions/{subscription-id}/resourceGroups/{cluster-resource-group}'
]

/** The actions a family's role grants: what any of its operations may need, sorted. */
export function roleActions(family: RoleFamily): string[] {
  const actions = family.operations.flatMap((operation) =>
    actionsFor(operation).map((permission) => permission.action)
  )
  return [...new Set(actions)].sort()
}

/** The role definition in the shape `az role definition create --role-definition @file` takes. */
export function roleDefinition(family: RoleFamily): Record<string, unknown> {
  return {
    Name: family.name,
    IsCustom: true,
    Description: `Least privilege for the connected-registry-arc-action GitHub Action's ${family.purpose}. Generated from src/permissions.ts.`,
    Actions: roleActions(family),
    NotActions: [],
    DataActions: [],
    NotDataActions: [],
    AssignableScopes: ASSIGNABLE_SCOPES
  }
}

/** Every role file's expected text, by file name. */
export function roleFiles(): Record<string, string> {
  return Object.fromEntries(
    ROLE_FAMILIES.map((family) => [
      family.file,
      `${JSON.stringify(roleDefinition(family), null, 2)}\n`
    ])
  )
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const stale = Object.entries(roleFiles()).filter(([file, text]) => {
    const target = path.join(ROLES_DIR, file)
    return !fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== text
  })
  if (process.argv.includes('--check')) {
    if (stale.length) {
      console.error(
        `docs/roles/ does not match src/permissions.ts (${stale.map(([file]) => file).join(', ')}): run node --import tsx script/roles.ts`
      )
      process.exit(1)
    }
    console.log('docs/roles/ matches src/permissions.ts')
  } else {
    fs.mkdirSync(ROLES_DIR, { recursive: true })
    for (const [file, text] of stale) fs.writeFileSync(path.join(ROLES_DIR, file), text)
    console.log(`docs/roles/: ${stale.length} file(s) updated from src/permissions.ts`)
  }
}

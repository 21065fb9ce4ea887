// The custom roles of docs/roles/ are what src/permissions.ts says, and they are enough and
// nothing more: every operation runs through the bundle against the emulator with exactly a
// role's actions allowed (every other action the emulator checks is denied, as Azure denies
// what no role grants), and removing any one action makes the run fail naming that action.
// Needs a fresh `npm run bundle` when src/ changed.

import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { authorizationRoutes } from '../../emulator/arm/authorization.js'
import { clusterRoutes } from '../../emulator/arm/clusters.js'
import { connectedRegistryRoutes } from '../../emulator/arm/connectedregistries.js'
import { extensionRoutes } from '../../emulator/arm/extensions.js'
import { registryRoutes } from '../../emulator/arm/registries.js'
import { tokenRoutes } from '../../emulator/arm/tokens.js'
import { ClusterSimulator } from '../../emulator/cluster-sim.js'
import { Operations } from '../../emulator/lro.js'
import { World } from '../../emulator/world.js'
import { errorOf, type ActionRun } from '../../__fixtures__/action-runner.js'
import { CLUSTER, GONE, RESOURCE_GROUP, useScenario } from '../../__fixtures__/scenario.js'
import {
  ROLE_FAMILIES,
  roleActions,
  roleDefinition,
  roleFiles,
  ROLES_DIR,
  type RoleFamily
} from '../../script/roles.js'
import { PERMISSIONS, type Permission } from '../../src/permissions.js'
import type { Operation } from '../../src/settings.js'

/** Every RBAC action the emulator checks on some request: the world a role is granted in. */
function actionsTheEmulatorChecks(): string[] {
  const world = new World()
  const ops = new Operations(world, () => undefined)
  const env = { world, ops, sim: new ClusterSimulator(world, ops) }
  const routes = [
    ...authorizationRoutes(env),
    ...clusterRoutes(env),
    ...registryRoutes(env),
    ...connectedRegistryRoutes(env),
    ...tokenRoutes(env),
    ...extensionRoutes(env)
  ]
  return [...new Set(routes.flatMap((route) => (route.action ? [route.action] : [])))].sort()
}

const CHECKED = actionsTheEmulatorChecks()
const family = (file: string): RoleFamily =>
  ROLE_FAMILIES.find((role) => role.file === file) as RoleFamily
const DEPLOYER = family('connected-registry-deployer.json')
const TEARDOWN = family('connected-registry-teardown.json')

/**
 * Which operation proves that a family's role needs an action, and when: unconditionally, or only
 * in one situation (the table's footnotes). For the deployer that is always a fresh deploy: plan
 * and rotate-credentials need a subset of its actions, and the role's success runs show that set
 * is enough for them too.
 */
function need(role: RoleFamily, permission: Permission): { operation: Operation; when: string } {
  const needs = role.operations.flatMap((operation) => {
    const when = permission.operations[operation]
    return when ? [{ operation, when: when === true ? 'always' : when }] : []
  })
  return needs.find((n) => n.when === 'always') ?? needs[0]
}

/** The role's actions a run cannot go without (an optional one only saves a warning). */
const requiredOf = (role: RoleFamily): Permission[] =>
  PERMISSIONS.filter(
    (permission) =>
      roleActions(role).includes(permission.action) && need(role, permission).when !== 'optional'
  )
const OPTIONAL = PERMISSIONS.filter((permission) =>
  Object.values(permission.operations).includes('optional')
)

describe('docs/roles/', () => {
  it('holds exactly the role files generated from src/permissions.ts (regenerate: node --import tsx script/roles.ts)', () => {
    const committed = Object.fromEntries(
      fs
        .readdirSync(ROLES_DIR)
        .filter((file) => file.endsWith('.json'))
        .map((file) => [file, fs.readFileSync(path.join(ROLES_DIR, file), 'utf8')])
    )
    expect(committed).toEqual(roleFiles())
  })

  it('gives az role definition create what it takes, granting only what the table lists', () => {
    for (const role of ROLE_FAMILIES) {
      const definition = roleDefinition(role)
      expect(Object.keys(definition)).toEqual([
        'Name',
        'IsCustom',
        'Description',
        'Actions',
        'NotActions',
        'DataActions',
        'NotDataActions',
        'AssignableScopes'
      ])
      expect(definition.IsCustom).toBe(true)
      // No wildcard: a wildcard would grant actions Azure adds later.
      expect((definition.Actions as string[]).filter((action) => action.includes('*'))).toEqual([])
      for (const operation of role.operations) {
        const needed = PERMISSIONS.filter((p) => p.operations[operation]).map((p) => p.action)
        expect(definition.Actions).toEqual(expect.arrayContaining(needed))
      }
    }
    // Teardown deletes; the deployer role never does.
    expect(roleActions(DEPLOYER).filter((action) => action.endsWith('/delete'))).toEqual([])
  })

  it('grants only actions the emulator enforces, so the runs below can prove each one', () => {
    for (const role of ROLE_FAMILIES) {
      expect(roleActions(role).filter((action) => !CHECKED.includes(action))).toEqual([])
    }
  })
})

describe('each role, against the emulator', () => {
  const s = useScenario(6)

  /** Allows exactly the role's actions, minus `without`; every other checked action is denied. */
  const grant = (role: RoleFamily, without?: string): void => {
    const allowed = roleActions(role).filter((action) => action !== without)
    s.admin.denyActions(CHECKED.filter((action) => !allowed.includes(action)))
  }
  const allowEverything = (): void => s.admin.denyActions([])

  /** A fresh world (the registry's data endpoint off again), with nothing denied. */
  const fresh = (): void => {
    s.admin.reset()
    allowEverything()
  }

  const expectFailureNaming = (run: ActionRun, action: string): void => {
    expect(run.exitCode).toBe(1)
    expect(errorOf(run)).toContain(action)
  }

  /** Deletes the extension behind the action's back: its instance is gone, the activation stays. */
  const deleteExtension = (name: string) =>
    s.clients.k8s.extensions.beginDeleteAndWait(
      RESOURCE_GROUP,
      'Microsoft.Kubernetes',
      'connectedClusters',
      CLUSTER,
      name,
      { updateIntervalInMs: 50 }
    )

  /**
   * Arranges, with every action allowed, a world where `operation` needs everything it can need
   * unconditionally, and returns the inputs that run it.
   */
  async function arrange(operation: Operation, name: string): Promise<Record<string, string>> {
    fresh()
    if (operation === 'deploy' || operation === 'plan') return s.inputsFor(name, { operation })
    await s.deploy(name)
    const extra: Record<string, string> =
      operation === 'rotate-credentials' ? { 'revoke-old-password': 'true' } : {}
    return s.inputsFor(name, { operation, ...extra })
  }

  /** A nested registry under a parent, both deployed; returns the child's teardown inputs. */
  async function arrangeNested(parent: string, child: string): Promise<Record<string, string>> {
    fresh()
    await s.deploy(parent, { mode: 'ReadWrite' })
    await s.deploy(child, { parent })
    return s.inputsFor(child, { operation: 'teardown' })
  }

  /** A deployed registry whose extension was deleted: its activation is held by a gone instance. */
  async function arrangeStaleActivation(name: string): Promise<Record<string, string>> {
    fresh()
    await s.deploy(name)
    await deleteExtension(name)
    return s.inputsFor(name)
  }

  describe(`${DEPLOYER.name} (${DEPLOYER.file})`, () => {
    it('deploys, re-runs, plans and rotates with exactly its actions', async () => {
      fresh()
      grant(DEPLOYER)
      const first = await s.runOk(s.inputsFor('roledeploy01'))
      expect(first.outputs['connection-state']).toBe('Online')
      const again = await s.runOk(s.inputsFor('roledeploy01'))
      expect(again.outputs.changed).toBe('false')
      const plan = await s.runOk(s.inputsFor('roledeploy01', { operation: 'plan' }))
      expect(plan.outputs.changed).toBe('false')
      const rotation = await s.runOk(
        s.inputsFor('roledeploy01', {
          operation: 'rotate-credentials',
          'revoke-old-password': 'true'
        })
      )
      expect(rotation.outputs['password-slot']).toBe('password2')
      const drift = await s.runOk(s.inputsFor('roleplan01', { operation: 'plan' }))
      expect(drift.outputs.changed).toBe('true')
    })

    it('frees an activation a gone instance still holds (the conditional deactivate action)', async () => {
      const inputs = await arrangeStaleActivation('rolestale01')
      grant(DEPLOYER)
      const run = await s.runOk(inputs)
      expect(run.outputs['activation-status']).toBe('Active')
      expect(s.admin.journal().map((entry) => entry.operation)).toContain(
        'ConnectedRegistries_Deactivate'
      )
    })

    it.each(OPTIONAL.map((permission) => [permission.action] as const))(
      'without %s, warns that it cannot check before writing and deploys all the same',
      async (action) => {
        fresh()
        grant(DEPLOYER, action)
        const run = await s.runOk(s.inputsFor('roleoptional01'))
        expect(run.outputs['connection-state']).toBe('Online')
        expect(run.stdout).toContain(
          `going on without the permission check: a missing permission will stop the run at the write that needs it. Granting ${action}`
        )
      }
    )

    it.each(requiredOf(DEPLOYER).map((permission) => [permission.action, permission] as const))(
      'fails naming %s when the role lacks it',
      async (action, permission) => {
        const { operation, when } = need(DEPLOYER, permission)
        const inputs =
          when === 'stale-activation'
            ? await arrangeStaleActivation('rolemissing01')
            : await arrange(operation, 'rolemissing01')
        grant(DEPLOYER, action)
        expectFailureNaming(await s.run(inputs), action)
      }
    )
  })

  describe(`${TEARDOWN.name} (${TEARDOWN.file})`, () => {
    it('tears down, and re-runs on what is gone, with exactly its actions', async () => {
      const inputs = await arrange('teardown', 'roleteardown01')
      grant(TEARDOWN)
      await s.runOk(inputs)
      expect(await s.world('roleteardown01')).toEqual(GONE)
      await s.runOk(inputs)
    })

    it('tears down a nested registry (the conditional scope-map write on its parent)', async () => {
      const inputs = await arrangeNested('roleparent01', 'rolechild01')
      grant(TEARDOWN)
      await s.runOk(inputs)
      expect(await s.world('rolechild01')).toEqual(GONE)
    })

    it.each(requiredOf(TEARDOWN).map((permission) => [permission.action, permission] as const))(
      'fails naming %s when the role lacks it',
      async (action, permission) => {
        const { when } = need(TEARDOWN, permission)
        const inputs =
          when === 'nested'
            ? await arrangeNested('roleparent02', 'rolechild02')
            : await arrange('teardown', 'rolemissing02')
        grant(TEARDOWN, action)
        expectFailureNaming(await s.run(inputs), action)
      }
    )
  })
})

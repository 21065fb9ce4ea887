// The plan is pure: given settings and what Azure has, it decides every write. These tests pin
// the decisions a user relies on (when a password is generated, which slot, when a registry is
// deactivated, what is refused) without any request.

import { describe, expect, it } from '@jest/globals'
import type { ObservedState } from '../src/observe.js'
import { expectedGatewayEndpoint, planDeploy, protectedSettingsHash } from '../src/plan/deploy.js'
import { PROTECTED_HASH_SETTING, type Plan } from '../src/plan/model.js'
import { planTeardown } from '../src/plan/teardown.js'
import {
  DATA_ENDPOINT,
  deployedWorld,
  emptyWorld,
  settingsFor
} from '../__fixtures__/plan-world.js'

const actions = (plan: Plan) =>
  Object.fromEntries(plan.steps.map((step) => [step.detail.kind, step.action]))
const generated = (plan: Plan) => plan.steps.find((s) => s.detail.kind === 'sync-password')

describe('planDeploy', () => {
  it('creates everything on an empty world and generates password1 for the new extension', () => {
    const plan = planDeploy(settingsFor(), emptyWorld(), { rotate: false })
    expect(actions(plan)).toMatchObject({
      'data-endpoint': 'unchanged',
      'scope-map': 'create',
      'sync-token': 'create',
      'connected-registry': 'create',
      'sync-password': 'generate',
      extension: 'create'
    })
    expect(plan.passwordSlot).toBe('password1')
    expect(plan.changed).toBe(true)
  })

  it('changes nothing and generates no password when everything matches', () => {
    const settings = settingsFor()
    const plan = planDeploy(settings, deployedWorld(settings), { rotate: false })
    expect(plan.changed).toBe(false)
    expect(generated(plan)).toBeUndefined()
    expect(plan.passwordSlot).toBe('password1')
  })

  it.each([
    ['rotation is requested', { rotate: true }, {}, 'password2'],
    [
      'the protected settings changed (TLS to a secret)',
      { rotate: false },
      { tls: 'kubernetes-secret', 'tls-secret': 'my-tls' },
      'password2'
    ]
  ])('generates into the unused slot when %s', (_, options, extra, slot) => {
    const settings = settingsFor(extra)
    const plan = planDeploy(settings, deployedWorld(settingsFor()), options)
    expect(generated(plan)?.action).toBe('generate')
    expect(plan.passwordSlot).toBe(slot)
  })

  it('alternates back to password1 when password2 is in use', () => {
    const settings = settingsFor()
    const plan = planDeploy(settings, deployedWorld(settings, 'password2'), { rotate: true })
    expect(plan.passwordSlot).toBe('password1')
  })

  it('repairs a registry that reports UNAUTHORIZED with a fresh password', () => {
    const settings = settingsFor()
    const world = deployedWorld(settings)
    world.connectedRegistry = {
      ...world.connectedRegistry,
      connectionState: 'Unhealthy',
      statusDetails: [{ code: 'UNAUTHORIZED', description: 'Incorrect Password' }]
    }
    const plan = planDeploy(settings, world, { rotate: false })
    expect(generated(plan)?.reason).toContain('UNAUTHORIZED')
    expect(actions(plan).extension).toBe('update')
  })

  it('deactivates a registry still Active when its extension no longer exists', () => {
    const settings = settingsFor()
    const world = deployedWorld(settings)
    world.extension = undefined
    world.connectedRegistry = { ...world.connectedRegistry, connectionState: 'Offline' }
    const plan = planDeploy(settings, world, { rotate: false })
    const order = plan.steps.map((s) => s.detail.kind)
    expect(order.indexOf('activation')).toBeLessThan(order.indexOf('extension'))
    expect(actions(plan)).toMatchObject({ activation: 'deactivate', extension: 'create' })
  })

  it('patches only the changed chart setting, without a password', () => {
    const settings = settingsFor({ 'storage-size': '20Gi' })
    const plan = planDeploy(settings, deployedWorld(settingsFor()), { rotate: false })
    const extension = plan.steps.find((s) => s.detail.kind === 'extension')
    expect(extension?.changes).toEqual([
      { field: 'pvc.storageRequest', from: '(unset)', to: '20Gi' }
    ])
    expect(generated(plan)).toBeUndefined()
  })

  it.each([
    ['cert-manager', 'none'],
    ['cert-manager', 'existing-cert-manager'],
    ['none', 'existing-cert-manager'],
    ['existing-cert-manager', 'cert-manager']
  ])(
    'switches tls from %s to %s without a password: the protected settings stay the connection string',
    (from, to) => {
      const plan = planDeploy(settingsFor({ tls: to }), deployedWorld(settingsFor({ tls: from })), {
        rotate: false
      })
      const extension = plan.steps.find((s) => s.detail.kind === 'extension')
      expect(generated(plan)).toBeUndefined()
      expect(extension?.action).toBe('update')
      expect(extension?.detail).toMatchObject({ resendProtectedSettings: false })
      expect(extension?.changes.every((c) => !c.sensitive)).toBe(true)
    }
  )

  it('accepts the record an earlier version made (the strategy name) and keeps it', () => {
    const settings = settingsFor({ tls: 'none' })
    const world = deployedWorld(settings)
    const earlier = protectedSettingsHash(settings, 'edge01reg', DATA_ENDPOINT, 'cert-manager')
    world.extension!.configurationSettings![PROTECTED_HASH_SETTING] = earlier
    // The earlier deploy used cert-manager: only its chart switches change.
    world.extension!.configurationSettings = {
      ...world.extension!.configurationSettings,
      'cert-manager.enabled': 'true',
      'cert-manager.install': 'true',
      httpEnabled: 'false',
      'trustDistribution.enabled': 'true'
    }
    const plan = planDeploy(settings, world, { rotate: false })
    expect(generated(plan)).toBeUndefined()
    const extension = plan.steps.find((s) => s.detail.kind === 'extension')
    expect(extension?.detail).toMatchObject({ resendProtectedSettings: false })
    expect(
      (extension?.detail as { patch?: { configurationSettings?: object } }).patch
        ?.configurationSettings
    ).not.toHaveProperty(PROTECTED_HASH_SETTING)
  })

  it('still generates a password when TLS material is added (cert-manager to a secret)', () => {
    const plan = planDeploy(
      settingsFor({ tls: 'kubernetes-secret', 'tls-secret': 'registry-tls' }),
      deployedWorld(settingsFor({ tls: 'none' })),
      { rotate: false }
    )
    expect(generated(plan)?.reason).toContain('protected settings')
  })

  it('unpins a removed extension-version: version null and auto-upgrade on, shown in the plan', () => {
    const pinned = settingsFor({
      'extension-version': '0.11.0',
      'auto-upgrade-minor-version': 'false'
    })
    const world = deployedWorld(pinned)
    world.extension = { ...world.extension, autoUpgradeMinorVersion: false, version: '0.11.0' }
    const plan = planDeploy(settingsFor(), world, { rotate: false })
    const extension = plan.steps.find((s) => s.detail.kind === 'extension')
    expect(extension?.action).toBe('update')
    expect(extension?.detail).toMatchObject({
      patch: { autoUpgradeMinorVersion: true, version: null },
      resendProtectedSettings: false
    })
    expect(extension?.changes).toEqual([
      { field: 'autoUpgradeMinorVersion', from: 'false', to: 'true' },
      {
        field: 'version',
        from: '0.11.0',
        to: '(unpinned: auto-upgrade on the Stable release train)'
      }
    ])
    expect(generated(plan)).toBeUndefined()
    // Pinned and asked to stay so: nothing to do.
    expect(planDeploy(pinned, world, { rotate: false }).changed).toBe(false)
  })

  it.each([
    ['the mode differs', { mode: 'ReadWrite' }, /mode cannot be changed/],
    ['the parent differs', { parent: 'otherparent1' }, /parent cannot be changed/]
  ])('refuses an immutable change when %s', (_, extra, message) => {
    const settings = settingsFor(extra)
    expect(() => planDeploy(settings, deployedWorld(settingsFor()), { rotate: false })).toThrow(
      message
    )
  })

  it.each([
    [
      'the registry is missing',
      (w: ObservedState) => ({ ...w, registry: undefined }),
      /Registry 'contosoacr' was not found/
    ],
    [
      'the registry is not Premium',
      (w: ObservedState) => ({ ...w, registry: { ...w.registry!, sku: 'Basic' } }),
      /Premium tier/
    ],
    [
      'the cluster is missing',
      (w: ObservedState) => ({ ...w, cluster: undefined }),
      /cluster 'edge-cluster-01' was not found/
    ],
    [
      'the cluster is Offline',
      (w: ObservedState) => ({ ...w, cluster: { id: 'c', connectivityStatus: 'Offline' } }),
      /is Offline, not Connected/
    ]
  ])('fails the preflight when %s', (_, change, message) => {
    expect(() => planDeploy(settingsFor(), change(emptyWorld()), { rotate: false })).toThrow(
      message
    )
  })

  it('refuses to take over a scope map it did not create', () => {
    const world = emptyWorld()
    world.sync = {
      scopeMap: {
        name: 'edge01reg',
        description: 'team scope map',
        actions: ['repositories/x/content/read']
      }
    }
    expect(() => planDeploy(settingsFor(), world, { rotate: false })).toThrow(
      /will not take it over/
    )
  })

  it('requires repositories to create a connected registry', () => {
    expect(() =>
      planDeploy(settingsFor({ repositories: '' }), emptyWorld(), { rotate: false })
    ).toThrow(/input 'repositories' is empty/)
  })

  it('leaves an existing sync window alone when the input gives none (an update cannot clear it)', () => {
    const settings = settingsFor()
    const world = deployedWorld(settings)
    const parent = world.connectedRegistry!.parent!
    world.connectedRegistry = {
      ...world.connectedRegistry,
      parent: { ...parent, syncProperties: { ...parent.syncProperties, syncWindow: 'PT3H' } }
    }
    expect(planDeploy(settings, world, { rotate: false }).changed).toBe(false)
    const narrowed = settingsFor({ 'sync-schedule': '0 12 * * *', 'sync-window': 'PT4H' })
    const registryStep = planDeploy(narrowed, world, { rotate: false }).steps.find(
      (s) => s.detail.kind === 'connected-registry'
    )
    expect(registryStep?.changes).toEqual(
      expect.arrayContaining([{ field: 'syncWindow', from: 'PT3H', to: 'PT4H' }])
    )
  })

  it('keeps gateway actions of child registries when it updates its own repositories', () => {
    const settings = settingsFor({ repositories: 'hello-world, app/web' })
    const world = deployedWorld(settingsFor())
    world.sync.scopeMap!.actions = [
      ...world.sync.scopeMap!.actions!,
      'gateway/child01reg/config/read'
    ]
    const plan = planDeploy(settings, world, { rotate: false })
    const scopeMap = plan.steps.find((s) => s.detail.kind === 'scope-map')
    expect(scopeMap?.detail.kind === 'scope-map' && scopeMap.detail.actions).toEqual(
      expect.arrayContaining([
        'gateway/child01reg/config/read',
        'repositories/app/web/content/read'
      ])
    )
  })
})

describe('expectedGatewayEndpoint', () => {
  it('is the home-region data endpoint for a top-level registry', () => {
    expect(expectedGatewayEndpoint(settingsFor(), emptyWorld())).toBe(
      'contosoacr.eastus.data.azurecr.io'
    )
  })
  it.each([
    ['the login server Azure reports', { loginServer: 'contosoacr.azurecr.us' }, {}],
    ['the cloud named by input environment', {}, { environment: 'AzureUSGovernment' }]
  ])(
    'before the data endpoint exists, is in the registry’s own cloud, from %s',
    (_from, registry, inputs) => {
      const world = emptyWorld()
      world.registry = {
        ...world.registry!,
        ...registry,
        location: 'usgovvirginia',
        dataEndpointEnabled: false,
        dataEndpointHostNames: []
      }
      expect(expectedGatewayEndpoint(settingsFor(inputs), world)).toBe(
        'contosoacr.usgovvirginia.data.azurecr.us'
      )
    }
  )

  it('is the same before and after the data endpoint exists in a sovereign cloud: no new password on the re-run', () => {
    const settings = settingsFor({ environment: 'AzureUSGovernment' })
    const before = emptyWorld()
    before.registry = {
      ...before.registry!,
      location: 'usgovvirginia',
      loginServer: 'contosoacr.azurecr.us',
      dataEndpointEnabled: false,
      dataEndpointHostNames: []
    }
    const first = planDeploy(settings, before, { rotate: false })
    const created = first.steps.find((s) => s.detail.kind === 'extension')?.detail as {
      create: { configurationSettings: Record<string, string> }
    }
    const reported = 'contosoacr.usgovvirginia.data.azurecr.us'
    const after = deployedWorld(settings)
    after.registry = {
      ...before.registry!,
      dataEndpointEnabled: true,
      dataEndpointHostNames: [reported]
    }
    const parent = after.connectedRegistry!.parent!
    after.connectedRegistry = {
      ...after.connectedRegistry,
      parent: {
        ...parent,
        syncProperties: { ...parent.syncProperties!, gatewayEndpoint: reported }
      }
    }
    after.extension!.configurationSettings = created.create.configurationSettings
    const second = planDeploy(settings, after, { rotate: false })
    expect(generated(second)).toBeUndefined()
    expect(second.changed).toBe(false)
  })

  it('prefers what Azure reports on the connected registry', () => {
    const settings = settingsFor()
    const world = deployedWorld(settings)
    const parent = world.connectedRegistry!.parent!
    const reported = {
      ...world,
      connectedRegistry: {
        ...world.connectedRegistry,
        parent: {
          ...parent,
          syncProperties: { ...parent.syncProperties, gatewayEndpoint: 'reported.example' }
        }
      }
    }
    expect(expectedGatewayEndpoint(settings, reported)).toBe('reported.example')
  })
})

describe('planTeardown', () => {
  it('deletes what the action created, newest first', () => {
    const settings = settingsFor({ operation: 'teardown' })
    const plan = planTeardown(settings, deployedWorld(settings))
    expect(plan.steps.map((s) => [s.detail.kind, s.action])).toEqual([
      ['extension', 'delete'],
      ['activation', 'deactivate'],
      ['connected-registry', 'delete'],
      ['sync-token', 'delete'],
      ['scope-map', 'delete']
    ])
  })

  it('keeps a token and scope map it did not create, and reports what is already gone', () => {
    const settings = settingsFor({ operation: 'teardown' })
    const world = deployedWorld(settings)
    world.sync.scopeMap!.description = 'made by hand'
    world.extension = undefined
    const plan = planTeardown(settings, world)
    expect(actions(plan)).toMatchObject({
      extension: 'absent',
      'sync-token': 'kept',
      'scope-map': 'kept'
    })
  })
})

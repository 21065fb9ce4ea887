// The decisions of rotate-credentials and teardown, without any request: what a rotation
// refuses, and what a teardown deletes, keeps or only warns about.

import { describe, expect, it } from '@jest/globals'
import { protectedSettingsHash } from '../src/plan/deploy.js'
import { PASSWORD_SLOT_SETTING, PROTECTED_HASH_SETTING, type Plan } from '../src/plan/model.js'
import { planRotation } from '../src/plan/rotation.js'
import { planTeardown } from '../src/plan/teardown.js'
import { buildConfigurationSettings } from '../src/domain/extension-settings.js'
import { gatewayActions, syncScopeMapActions } from '../src/domain/scope-map.js'
import { DATA_ENDPOINT, deployedWorld, settingsFor } from '../__fixtures__/plan-world.js'

const kinds = (plan: Plan) => plan.steps.map((step) => [step.detail.kind, step.action])

describe('planRotation', () => {
  it('generates into the unused slot and resends the protected settings, nothing else', () => {
    const settings = settingsFor({ operation: 'rotate-credentials' })
    const plan = planRotation(settings, deployedWorld(settings))
    expect(plan.steps.filter((step) => step.action !== 'unchanged').map((s) => s.resource)).toEqual(
      ['Sync token password (password2)', "Extension 'edge01reg' on 'edge-cluster-01'"]
    )
    expect(plan.passwordSlot).toBe('password2')
    const extension = plan.steps.find((step) => step.detail.kind === 'extension')
    expect(extension?.detail).toMatchObject({
      resendProtectedSettings: true,
      patch: { configurationSettings: { [PASSWORD_SLOT_SETTING]: 'password2' } }
    })
  })

  it('refuses when the protected settings the inputs would send differ from the recorded ones', () => {
    const deployed = settingsFor()
    const world = deployedWorld(deployed)
    // The inputs now name a TLS secret: the chart settings are the same, the protected ones not.
    const rotation = settingsFor({
      operation: 'rotate-credentials',
      tls: 'kubernetes-secret',
      'tls-secret': 'registry-tls'
    })
    world.extension!.configurationSettings = {
      ...buildConfigurationSettings(rotation.extension),
      [PASSWORD_SLOT_SETTING]: 'password1',
      [PROTECTED_HASH_SETTING]: protectedSettingsHash(deployed, 'edge01reg', DATA_ENDPOINT)
    }
    expect(() => planRotation(rotation, world)).toThrow(
      /the protected settings \(TLS material or parent endpoint\) differ from the ones the last deploy sent/
    )
  })

  it('rotates an extension deployed without the action (no record): password1 assumed in use', () => {
    const settings = settingsFor({ operation: 'rotate-credentials' })
    const world = deployedWorld(settings)
    world.extension!.configurationSettings = buildConfigurationSettings(settings.extension)
    expect(planRotation(settings, world).passwordSlot).toBe('password2')
  })

  it('refuses a registry still held by a gone instance: that is the deploy’s repair', () => {
    const settings = settingsFor({ operation: 'rotate-credentials' })
    const world = deployedWorld(settings)
    world.connectedRegistry = {
      ...world.connectedRegistry,
      statusDetails: [{ code: 'ALREADY_ACTIVATED' }]
    }
    expect(() => planRotation(settings, world)).toThrow(
      /Activation of 'edge01reg': deactivate \(activation Active → Inactive\)/
    )
  })

  it('refuses a failed extension and a missing one', () => {
    const settings = settingsFor({ operation: 'rotate-credentials' })
    const failed = deployedWorld(settings)
    failed.extension = { ...failed.extension, provisioningState: 'Failed' }
    expect(() => planRotation(settings, failed)).toThrow(/is in state Failed\. Run the step/)
    const missing = deployedWorld(settings)
    missing.extension = undefined
    expect(() => planRotation(settings, missing)).toThrow(
      /Extension 'edge01reg' does not exist on cluster 'edge-cluster-01'/
    )
  })
})

describe('planTeardown', () => {
  const teardownSettings = (extra: Record<string, string> = {}) =>
    settingsFor({ operation: 'teardown', repositories: '', 'service-cluster-ip': '', ...extra })

  it('removes the gateway actions from the ancestors before the registry that names them', () => {
    const settings = teardownSettings()
    const world = deployedWorld(settingsFor())
    const parentActions = [
      ...syncScopeMapActions('ReadWrite', ['hello-world'], 'hub01'),
      ...gatewayActions('edge01reg')
    ]
    world.ancestors = [
      {
        connectedRegistry: { name: 'hub01', mode: 'ReadWrite' },
        scopeMap: { name: 'hub01', actions: parentActions }
      }
    ]
    const plan = planTeardown(settings, world)
    expect(kinds(plan)).toEqual([
      ['extension', 'delete'],
      ['activation', 'deactivate'],
      ['ancestor-scope-map', 'update'],
      ['connected-registry', 'delete'],
      ['sync-token', 'delete'],
      ['scope-map', 'delete']
    ])
    const ancestor = plan.steps[2]
    expect(ancestor.detail).toMatchObject({
      scopeMapName: 'hub01',
      actions: syncScopeMapActions('ReadWrite', ['hello-world'], 'hub01')
    })
  })

  it('keeps an extension of another type, with a warning', () => {
    const settings = teardownSettings()
    const world = deployedWorld(settingsFor())
    world.extension!.extensionType = 'microsoft.flux'
    const plan = planTeardown(settings, world)
    expect(plan.steps[0]).toMatchObject({ action: 'kept', reason: expect.stringContaining('flux') })
    expect(plan.warnings.join()).toMatch(/is of type 'microsoft.flux'.*it is not deleted/)
  })

  it('warns that an offline cluster holds up the deletion, unless force-delete is set', () => {
    const world = () => {
      const observed = deployedWorld(settingsFor())
      observed.cluster = { id: 'cluster-id', connectivityStatus: 'Offline' }
      return observed
    }
    const waiting = teardownSettings()
    expect(planTeardown(waiting, world()).warnings.join()).toMatch(
      /is Offline: Azure deletes the extension only once the cluster reconnects/
    )
    const forced = teardownSettings({ 'force-delete': 'true' })
    const plan = planTeardown(forced, world())
    expect(plan.warnings).toEqual([])
    expect(plan.steps[0]).toMatchObject({ action: 'delete', reason: 'force-delete' })
  })

  it('treats the extension of a cluster that is gone as gone, and still removes the rest', () => {
    const settings = teardownSettings()
    const world = deployedWorld(settingsFor())
    world.cluster = undefined
    world.extension = undefined
    const plan = planTeardown(settings, world)
    expect(plan.steps[0]).toMatchObject({ action: 'absent', reason: 'its cluster was not found' })
    expect(plan.changed).toBe(true)
    expect(plan.warnings.join()).toMatch(/was not found .* its extension is treated as gone/)
  })

  it('refuses to delete a parent that still has children, naming them', () => {
    const settings = teardownSettings()
    const world = deployedWorld(settingsFor())
    world.children = [{ name: 'store01' }, { name: 'store02' }]
    expect(() => planTeardown(settings, world)).toThrow(
      "Connected registry 'edge01reg' is the parent of 'store01', 'store02': deleting it would leave those registries unable to sync. Nothing was changed. Tear down the children first (operation: teardown with connected-registry: store01), then this one."
    )
    world.children = []
    expect(planTeardown(settings, world).changed).toBe(true)
  })

  it('fails without the registry rather than report everything as gone', () => {
    const settings = teardownSettings()
    expect(() => planTeardown(settings, { ancestors: [], sync: {} })).toThrow(
      /Registry 'contosoacr' was not found/
    )
  })
})

// Re-runs that must not write what has not changed, end to end: a deploy in a sovereign cloud
// (the registry's domain is azurecr.us) repeated, a TLS switch that keeps the protected settings,
// and a version unpinned. A needless password is the costliest of such writes: it restarts the
// instance and, overlapping another run, can leave the registry UNAUTHORIZED.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startEmulator, type RunningEmulator } from '../../emulator/index.js'
import { resolveSeed } from '../../emulator/seed.js'
import { expectSuccess, runAction } from '../../__fixtures__/action-runner.js'
import {
  CLUSTER,
  protectedSettingsSent,
  RESOURCE_GROUP,
  useScenario,
  writeOperations
} from '../../__fixtures__/scenario.js'

describe('a deploy in the US Government cloud, run twice', () => {
  const GOV_GROUP = 'gov-rg'
  const GOV_REGISTRY = 'contosogov'
  let emu: RunningEmulator
  beforeAll(async () => {
    const seed = resolveSeed(undefined)
    emu = await startEmulator({
      quiet: true,
      seed: {
        ...seed,
        resourceGroups: [
          ...(seed.resourceGroups ?? []),
          { name: GOV_GROUP, location: 'usgovvirginia' }
        ],
        // Premium, data endpoint off: the first run enables it, so the plan cannot read its name.
        registries: [
          ...(seed.registries ?? []),
          { name: GOV_REGISTRY, resourceGroup: GOV_GROUP, sku: 'Premium', domain: 'azurecr.us' }
        ]
      }
    })
  })
  afterAll(async () => emu?.stop())

  const inputs = {
    'resource-group': GOV_GROUP,
    registry: GOV_REGISTRY,
    'connected-registry': 'govedge01',
    cluster: CLUSTER,
    'cluster-resource-group': RESOURCE_GROUP,
    'service-cluster-ip': '10.0.6.200',
    repositories: 'hello-world',
    environment: 'AzureUSGovernment',
    'poll-interval': '100ms',
    timeout: '60s'
  }

  it('the first run syncs with the azurecr.us data endpoint; the second changes nothing', async () => {
    const first = expectSuccess(await runAction(emu, { inputs }))
    expect(first.outputs['connection-state']).toBe('Online')
    const sent = protectedSettingsSent(emu, 'govedge01')
    expect(sent).toHaveLength(1)
    expect(sent[0].settings.connectionString).toContain(
      'ParentGatewayEndpoint=contosogov.usgovvirginia.data.azurecr.us;'
    )

    emu.admin.clearJournal()
    const second = expectSuccess(await runAction(emu, { inputs }))
    expect(second.outputs.changed).toBe('false')
    expect(second.stdout).toContain('No changes: everything is as desired.')
    expect(writeOperations(emu.admin.journal())).toEqual([])
    expect(protectedSettingsSent(emu, 'govedge01')).toHaveLength(1)
  })
})

describe('changes that keep the protected settings', () => {
  const s = useScenario(6)

  const passwordsGenerated = (): number =>
    writeOperations(s.admin.journal()).filter((op) => op === 'Registries_GenerateCredentials')
      .length

  it('switching tls among cert-manager, none and existing-cert-manager generates no password', async () => {
    const name = 'tlsswitch01'
    await s.deploy(name, { tls: 'cert-manager' })
    expect(protectedSettingsSent(s.emu, name)).toHaveLength(1)
    for (const [tls, httpEnabled, install] of [
      ['none', 'true', 'false'],
      ['existing-cert-manager', 'false', 'false'],
      ['cert-manager', 'false', 'true']
    ]) {
      s.admin.clearJournal()
      const run = await s.deploy(name, { tls })
      expect(run.outputs).toMatchObject({
        changed: 'true',
        'connection-state': 'Online',
        'password-slot': 'password1'
      })
      expect(passwordsGenerated()).toBe(0)
      expect(writeOperations(s.admin.journal())).toEqual(['Extensions_Update'])
      const settings = (await s.world(name)).extension?.configurationSettings
      expect(settings).toMatchObject({ httpEnabled, 'cert-manager.install': install })
    }
    // The protected settings were sent once, with the first deploy.
    expect(protectedSettingsSent(s.emu, name)).toHaveLength(1)
    s.admin.clearJournal()
    expect((await s.deploy(name, { tls: 'cert-manager' })).outputs.changed).toBe('false')
    expect(writeOperations(s.admin.journal())).toEqual([])
  })

  it('removing extension-version returns the extension to auto-upgrade, shown in the plan', async () => {
    const name = 'unpin01'
    await s.deploy(name, { 'extension-version': '0.10.0', 'auto-upgrade-minor-version': 'false' })
    expect((await s.world(name)).extension).toMatchObject({
      version: '0.10.0',
      autoUpgradeMinorVersion: false,
      currentVersion: '0.10.0'
    })

    const plan = await s.runOk(s.inputsFor(name, { operation: 'plan' }))
    expect(plan.stdout).toContain('autoUpgradeMinorVersion: false → true')
    expect(plan.stdout).toContain(
      'version: 0.10.0 → (unpinned: auto-upgrade on the Stable release train)'
    )

    s.admin.clearJournal()
    const run = await s.deploy(name)
    expect(run.outputs.changed).toBe('true')
    expect(passwordsGenerated()).toBe(0)
    const extension = (await s.world(name)).extension
    expect(extension?.version ?? null).toBeNull()
    expect(extension).toMatchObject({ autoUpgradeMinorVersion: true, releaseTrain: 'Stable' })
    expect(run.outputs['extension-version']).toBe('0.11.0')

    s.admin.clearJournal()
    expect((await s.deploy(name)).outputs.changed).toBe('false')
    expect(writeOperations(s.admin.journal())).toEqual([])
  })
})

// The deploy, end to end: the bundled action (`node dist/index.js`) against the emulator.

import { describe, expect, it } from '@jest/globals'
import { makeCertificate } from '../../__fixtures__/certificates.js'
import {
  CLUSTER,
  REGISTRY,
  RESOURCE_GROUP,
  useScenario,
  writeOperations
} from '../../__fixtures__/scenario.js'

const s = useScenario(1)

const writes = () => writeOperations(s.admin.journal())

const extensionSettings = async (name: string): Promise<Record<string, string>> =>
  (await s.world(name)).extension?.configurationSettings ?? {}

describe('a fresh deploy', () => {
  it('creates everything and reports the registry Online, with outputs and a summary', async () => {
    s.admin.clearJournal()
    const run = await s.deploy('freshdeploy01')
    expect(run.outputs).toMatchObject({
      'connection-state': 'Online',
      'activation-status': 'Active',
      'login-server': s.serviceIpOf('freshdeploy01'),
      'password-slot': 'password1',
      changed: 'true'
    })
    expect(run.outputs['connected-registry-id']).toMatch(
      /\/registries\/contosoacr\/connectedRegistries\/freshdeploy01$/
    )
    expect(run.outputs['extension-id']).toMatch(
      /\/connectedClusters\/edge-cluster-01\/providers\/Microsoft\.KubernetesConfiguration\/extensions\/freshdeploy01$/
    )
    expect(run.outputs['sync-token-id']).toMatch(/\/tokens\/freshdeploy01$/)
    expect(run.outputs['last-sync-time']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(run.outputs['connection-string']).toBeUndefined()
    expect(
      (JSON.parse(run.outputs.plan) as { steps: { action: string }[] }).steps.map(
        (step) => step.action
      )
    ).toEqual(['update', 'create', 'create', 'create', 'generate', 'create'])
    // One group per phase, and a summary table.
    for (const phase of ['Sign in', 'Read current state', 'Plan', 'Apply', 'Wait until Online']) {
      expect(run.stdout).toContain(`::group::${phase}`)
    }
    expect(run.summary).toContain('<table>')
    expect(run.summary).toContain('Online')
    expect(writes()).toEqual(
      expect.arrayContaining([
        'Registries_Update',
        'ScopeMaps_Create',
        'Tokens_Create',
        'ConnectedRegistries_Create',
        'Registries_GenerateCredentials',
        'Extensions_Create'
      ])
    )
    const scopeMap = await s.clients.acr.scopeMaps.get(RESOURCE_GROUP, REGISTRY, 'freshdeploy01')
    expect(scopeMap.actions?.sort()).toEqual([
      'gateway/freshdeploy01/config/read',
      'gateway/freshdeploy01/config/write',
      'gateway/freshdeploy01/message/read',
      'gateway/freshdeploy01/message/write',
      'repositories/app/web/content/read',
      'repositories/app/web/metadata/read',
      'repositories/hello-world/content/read',
      'repositories/hello-world/metadata/read'
    ])
  })

  it.each([
    ['cert-manager', {}, { 'cert-manager.enabled': 'true', 'cert-manager.install': 'true' }],
    ['existing-cert-manager', {}, { 'cert-manager.install': 'false' }],
    [
      'kubernetes-secret',
      { 'tls-secret': 'registry-tls' },
      { 'cert-manager.enabled': 'false', 'cert-manager.install': 'false' }
    ],
    [
      'none',
      {},
      { httpEnabled: 'true', 'cert-manager.enabled': 'false', 'trustDistribution.enabled': 'false' }
    ]
  ])('deploys with tls: %s', async (tls, extra, expected) => {
    const name = `tls${tls.replace(/-/g, '')}`.slice(0, 20)
    const run = await s.deploy(name, { tls, ...extra })
    expect(run.outputs['connection-state']).toBe('Online')
    expect(await extensionSettings(name)).toMatchObject({
      'service.clusterIP': s.serviceIpOf(name),
      ...expected
    })
    // Only plain HTTP is warned about.
    expect(/::warning::.*plain HTTP/i.test(run.stdout)).toBe(tls === 'none')
  })

  it('deploys with a certificate of its own (byoc), sending the key only as a protected setting', async () => {
    const certificate = await makeCertificate({ ip: s.serviceIpOf('tlsbyoc01') })
    const run = await s.deploy('tlsbyoc01', {
      tls: 'byoc',
      'tls-cert': certificate.certPem,
      'tls-key': Buffer.from(certificate.keyPem).toString('base64')
    })
    expect(run.outputs['connection-state']).toBe('Online')
    expect(await extensionSettings('tlsbyoc01')).toMatchObject({
      'cert-manager.enabled': 'false',
      'cert-manager.install': 'false'
    })
    expect(JSON.stringify(await extensionSettings('tlsbyoc01'))).not.toContain('PRIVATE KEY')
  })

  it('signs in with the workflow OIDC token when client-id and tenant-id are given', async () => {
    const run = await s.runOk(s.inputsFor('oidcsignin01'), { signIn: 'oidc' })
    expect(run.stdout).toContain('federated credential (GitHub OIDC)')
    expect(run.outputs['connection-state']).toBe('Online')
  })

  it('signs in with a client secret from the environment', async () => {
    const run = await s.runOk(s.inputsFor('secretsignin01'), { signIn: 'secret' })
    expect(run.stdout).toContain('client secret (AZURE_CLIENT_ID')
  })

  it('deploys a nested registry under a parent and grants it gateway access on the parent', async () => {
    await s.deploy('parentregistry01', { mode: 'ReadWrite' })
    const run = await s.deploy('childregistry01', {
      parent: 'parentregistry01',
      'extension-name': 'child-registry'
    })
    expect(run.outputs['connection-state']).toBe('Online')
    const parentScopeMap = await s.clients.acr.scopeMaps.get(
      RESOURCE_GROUP,
      REGISTRY,
      'parentregistry01'
    )
    expect(parentScopeMap.actions).toEqual(
      expect.arrayContaining([
        'gateway/childregistry01/config/read',
        'gateway/childregistry01/message/write'
      ])
    )
    const child = await s.clients.acr.connectedRegistries.get(
      RESOURCE_GROUP,
      REGISTRY,
      'childregistry01'
    )
    expect(child.parent?.id).toMatch(/connectedRegistries\/parentregistry01$/i)
  })
})

describe('re-runs', () => {
  it('an identical re-run changes nothing: no write, no password, changed=false', async () => {
    await s.deploy('idempotent01')
    s.admin.clearJournal()
    const run = await s.deploy('idempotent01')
    expect(run.outputs.changed).toBe('false')
    expect(run.outputs['connection-state']).toBe('Online')
    expect(writes()).toEqual([])
    expect(run.stdout).toContain('No changes: everything is as desired.')
    expect(run.stdout).toContain('Done: nothing changed, connected registry Online.')
    expect(s.admin.journal().length).toBeLessThan(12)
  })

  it('a changed setting updates only what changed', async () => {
    await s.deploy('changed01')
    s.admin.clearJournal()
    const run = await s.deploy('changed01', {
      'log-level': 'Debug',
      'sync-schedule': '0 * * * *',
      'sync-window': 'PT2H'
    })
    expect(run.outputs.changed).toBe('true')
    expect(writes()).toEqual(['ConnectedRegistries_Update'])
    const cr = await s.clients.acr.connectedRegistries.get(RESOURCE_GROUP, REGISTRY, 'changed01')
    expect(cr.logging?.logLevel).toBe('Debug')
    expect(cr.parent?.syncProperties.schedule).toBe('0 * * * *')
  })

  it('a changed chart setting patches the extension without a new password', async () => {
    await s.deploy('chartchange01')
    s.admin.clearJournal()
    const run = await s.deploy('chartchange01', {
      'trust-distribution': 'false',
      tls: 'kubernetes-secret',
      'tls-secret': 'my-tls'
    })
    expect(run.outputs['connection-state']).toBe('Online')
    // TLS moved to a secret: protected settings change, so a new password goes to the other slot.
    expect(writes()).toEqual(['Registries_GenerateCredentials', 'Extensions_Update'])
    expect(run.outputs['password-slot']).toBe('password2')
    s.admin.clearJournal()
    const third = await s.deploy('chartchange01', {
      'trust-distribution': 'false',
      tls: 'kubernetes-secret',
      'tls-secret': 'my-tls',
      'storage-size': '20Gi'
    })
    expect(writes()).toEqual(['Extensions_Update'])
    expect(third.outputs['password-slot']).toBe('password2')
  })

  it('a recreated extension with a still-Active registry recovers through deactivation', async () => {
    await s.deploy('recreated01')
    await s.clients.k8s.extensions.beginDeleteAndWait(
      RESOURCE_GROUP,
      'Microsoft.Kubernetes',
      'connectedClusters',
      CLUSTER,
      'recreated01',
      { updateIntervalInMs: 50 }
    )
    s.admin.clearJournal()
    const run = await s.deploy('recreated01')
    expect(run.stdout).toMatch(/Deactivating Activation of 'recreated01'/)
    expect(writes()).toContain('ConnectedRegistries_Deactivate')
    expect(run.outputs).toMatchObject({
      'connection-state': 'Online',
      'activation-status': 'Active'
    })
  })

  it('a wrong password (UNAUTHORIZED) is repaired with a fresh one in the other slot', async () => {
    await s.deploy('unauthorized01')
    // Someone regenerates the slot the running instance uses.
    await s.clients.acr.registries.generateCredentials(
      RESOURCE_GROUP,
      REGISTRY,
      {
        tokenId: s.tokenId('unauthorized01'),
        name: 'password1'
      },
      { updateIntervalInMs: 50 }
    )
    const broken = await s.clients.acr.connectedRegistries.get(
      RESOURCE_GROUP,
      REGISTRY,
      'unauthorized01'
    )
    expect(broken.connectionState).toBe('Unhealthy')
    const run = await s.deploy('unauthorized01')
    expect(run.stdout).toContain('UNAUTHORIZED')
    expect(run.outputs).toMatchObject({
      'connection-state': 'Online',
      'password-slot': 'password2',
      changed: 'true'
    })
  })
})

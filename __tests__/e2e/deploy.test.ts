// The deploy, end to end: the bundled action (`node dist/index.js`) against the emulator.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startEmulator, type RunningEmulator } from '../../emulator/index.js'
import { errorOf, runAction, type ActionRun } from '../../__fixtures__/action-runner.js'
import { emulatorClients } from '../../__fixtures__/azure.js'
import { makeCertificate } from '../../__fixtures__/certificates.js'

let emu: RunningEmulator
let clients: ReturnType<typeof emulatorClients>

beforeAll(async () => {
  emu = await startEmulator({ quiet: true })
  clients = emulatorClients(emu)
})
afterAll(async () => emu?.stop())

// Every connected registry gets its own service IP, as on a real cluster.
const serviceIps = new Map<string, string>()
const serviceIpOf = (name: string): string => {
  if (!serviceIps.has(name)) serviceIps.set(name, `10.0.1.${serviceIps.size + 10}`)
  return serviceIps.get(name) as string
}

const base = (name: string, extra: Record<string, string> = {}): Record<string, string> => ({
  'resource-group': 'edge-rg',
  registry: 'contosoacr',
  'connected-registry': name,
  cluster: 'edge-cluster-01',
  'service-cluster-ip': serviceIpOf(name),
  repositories: 'hello-world, app/web',
  'poll-interval': '100ms',
  timeout: '60s',
  ...extra
})

const writesOf = () => emu.admin.journal().filter((entry) => entry.write)
const operationsOf = (entries: { operation: string }[]) => entries.map((entry) => entry.operation)

async function deploy(
  inputs: Record<string, string>,
  signIn?: 'secret' | 'oidc'
): Promise<ActionRun> {
  const run = await runAction(emu, { inputs, signIn })
  if (run.exitCode !== 0) throw new Error(`deploy failed: ${errorOf(run)}\n${run.stdout}`)
  return run
}

async function extensionSettings(name: string): Promise<Record<string, string>> {
  const extension = await clients.k8s.extensions.get(
    'edge-rg',
    'Microsoft.Kubernetes',
    'connectedClusters',
    'edge-cluster-01',
    name
  )
  return extension.configurationSettings ?? {}
}

describe('a fresh deploy', () => {
  it('creates everything and reports the registry Online, with outputs and a summary', async () => {
    emu.admin.clearJournal()
    const run = await deploy(base('freshdeploy01'))
    expect(run.outputs).toMatchObject({
      'connection-state': 'Online',
      'activation-status': 'Active',
      'login-server': serviceIpOf('freshdeploy01'),
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
    expect(run.outputs['last-sync-time']).not.toBe('')
    expect(run.outputs['connection-string']).toBeUndefined()
    expect(JSON.parse(run.outputs.plan).steps.length).toBeGreaterThan(4)
    // One group per phase, and a summary table.
    for (const phase of ['Sign in', 'Read current state', 'Plan', 'Apply', 'Wait until Online']) {
      expect(run.stdout).toContain(`::group::${phase}`)
    }
    expect(run.summary).toContain('<table>')
    expect(run.summary).toContain('Online')
    const writes = operationsOf(writesOf())
    expect(writes).toEqual(
      expect.arrayContaining([
        'Registries_Update',
        'ScopeMaps_Create',
        'Tokens_Create',
        'ConnectedRegistries_Create',
        'Registries_GenerateCredentials',
        'Extensions_Create'
      ])
    )
    const scopeMap = await clients.acr.scopeMaps.get('edge-rg', 'contosoacr', 'freshdeploy01')
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
    const run = await deploy(base(name, { tls, ...extra }))
    expect(run.outputs['connection-state']).toBe('Online')
    expect(await extensionSettings(name)).toMatchObject({
      'service.clusterIP': serviceIpOf(name),
      ...expected
    })
    if (tls === 'none') expect(run.stdout).toMatch(/::warning::.*plain HTTP/i)
  })

  it('deploys with a certificate of its own (byoc), sending the key only as a protected setting', async () => {
    const certificate = await makeCertificate({ ip: serviceIpOf('tlsbyoc01') })
    const run = await deploy(
      base('tlsbyoc01', {
        tls: 'byoc',
        'tls-cert': certificate.certPem,
        'tls-key': Buffer.from(certificate.keyPem).toString('base64')
      })
    )
    expect(run.outputs['connection-state']).toBe('Online')
    expect(await extensionSettings('tlsbyoc01')).toMatchObject({
      'cert-manager.enabled': 'false',
      'cert-manager.install': 'false'
    })
    expect(JSON.stringify(await extensionSettings('tlsbyoc01'))).not.toContain('PRIVATE KEY')
  })

  it('signs in with the workflow OIDC token when client-id and tenant-id are given', async () => {
    const run = await deploy(base('oidcsignin01'), 'oidc')
    expect(run.stdout).toContain('federated credential (GitHub OIDC)')
    expect(run.outputs['connection-state']).toBe('Online')
  })

  it('signs in with a client secret from the environment', async () => {
    const run = await deploy(base('secretsignin01'), 'secret')
    expect(run.stdout).toContain('client secret (AZURE_CLIENT_ID')
  })

  it('deploys a nested registry under a parent and grants it gateway access on the parent', async () => {
    await deploy(base('parentregistry01', { mode: 'ReadWrite' }))
    const run = await deploy(
      base('childregistry01', {
        parent: 'parentregistry01',
        'extension-name': 'child-registry'
      })
    )
    expect(run.outputs['connection-state']).toBe('Online')
    const parentScopeMap = await clients.acr.scopeMaps.get(
      'edge-rg',
      'contosoacr',
      'parentregistry01'
    )
    expect(parentScopeMap.actions).toEqual(
      expect.arrayContaining([
        'gateway/childregistry01/config/read',
        'gateway/childregistry01/message/write'
      ])
    )
    const child = await clients.acr.connectedRegistries.get(
      'edge-rg',
      'contosoacr',
      'childregistry01'
    )
    expect(child.parent?.id).toMatch(/connectedRegistries\/parentregistry01$/i)
  })
})

describe('re-runs', () => {
  it('an identical re-run changes nothing: no write, no password, changed=false', async () => {
    await deploy(base('idempotent01'))
    emu.admin.clearJournal()
    const run = await deploy(base('idempotent01'))
    expect(run.outputs.changed).toBe('false')
    expect(run.outputs['connection-state']).toBe('Online')
    expect(writesOf()).toEqual([])
    expect(run.stdout).toContain('Nothing to change')
    expect(emu.admin.journal().length).toBeLessThan(12)
  })

  it('a changed setting updates only what changed', async () => {
    await deploy(base('changed01'))
    emu.admin.clearJournal()
    const run = await deploy(
      base('changed01', {
        'log-level': 'Debug',
        'sync-schedule': '0 * * * *',
        'sync-window': 'PT2H'
      })
    )
    expect(run.outputs.changed).toBe('true')
    expect(operationsOf(writesOf())).toEqual(['ConnectedRegistries_Update'])
    const cr = await clients.acr.connectedRegistries.get('edge-rg', 'contosoacr', 'changed01')
    expect(cr.logging?.logLevel).toBe('Debug')
    expect(cr.parent?.syncProperties.schedule).toBe('0 * * * *')
  })

  it('a changed chart setting patches the extension without a new password', async () => {
    await deploy(base('chartchange01'))
    emu.admin.clearJournal()
    const run = await deploy(
      base('chartchange01', {
        'trust-distribution': 'false',
        tls: 'kubernetes-secret',
        'tls-secret': 'my-tls'
      })
    )
    expect(run.outputs['connection-state']).toBe('Online')
    // TLS moved to a secret: protected settings change, so a new password goes to the other slot.
    expect(operationsOf(writesOf())).toEqual([
      'Registries_GenerateCredentials',
      'Extensions_Update'
    ])
    expect(run.outputs['password-slot']).toBe('password2')
    emu.admin.clearJournal()
    const third = await deploy(
      base('chartchange01', {
        'trust-distribution': 'false',
        tls: 'kubernetes-secret',
        'tls-secret': 'my-tls',
        'storage-size': '20Gi'
      })
    )
    expect(operationsOf(writesOf())).toEqual(['Extensions_Update'])
    expect(third.outputs['password-slot']).toBe('password2')
  })

  it('a recreated extension with a still-Active registry recovers through deactivation', async () => {
    await deploy(base('recreated01'))
    await clients.k8s.extensions.beginDeleteAndWait(
      'edge-rg',
      'Microsoft.Kubernetes',
      'connectedClusters',
      'edge-cluster-01',
      'recreated01',
      { updateIntervalInMs: 50 }
    )
    emu.admin.clearJournal()
    const run = await deploy(base('recreated01'))
    expect(run.stdout).toMatch(/Deactivating Activation of 'recreated01'/)
    expect(operationsOf(writesOf())).toContain('ConnectedRegistries_Deactivate')
    expect(run.outputs).toMatchObject({
      'connection-state': 'Online',
      'activation-status': 'Active'
    })
  })

  it('a wrong password (UNAUTHORIZED) is repaired with a fresh one in the other slot', async () => {
    await deploy(base('unauthorized01'))
    // Someone regenerates the slot the running instance uses.
    await clients.acr.registries.generateCredentials(
      'edge-rg',
      'contosoacr',
      {
        tokenId: `/subscriptions/${emu.env.AZURE_SUBSCRIPTION_ID}/resourceGroups/edge-rg/providers/Microsoft.ContainerRegistry/registries/contosoacr/tokens/unauthorized01`,
        name: 'password1'
      },
      { updateIntervalInMs: 50 }
    )
    const broken = await clients.acr.connectedRegistries.get(
      'edge-rg',
      'contosoacr',
      'unauthorized01'
    )
    expect(broken.connectionState).toBe('Unhealthy')
    const run = await deploy(base('unauthorized01'))
    expect(run.stdout).toContain('UNAUTHORIZED')
    expect(run.outputs).toMatchObject({
      'connection-state': 'Online',
      'password-slot': 'password2',
      changed: 'true'
    })
  })
})

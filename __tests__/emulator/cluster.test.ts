// The simulated cluster side, driven only through the real SDK clients: extension
// provisioning (chart checks), the connected-registry instance and its states.
import { beforeAll, describe, expect, it } from '@jest/globals'
import { generate } from 'selfsigned'
import { parseConnectionString } from '../../emulator/connection-string.js'
import { DEFAULT_SEED_PATH, loadSeedFile, type RunningEmulator } from '../../emulator/index.js'
import {
  CLUSTER,
  FAST_TIMING,
  K8S,
  OFFLINE_CLUSTER,
  POLL,
  REGISTRY,
  RG,
  clusterArgs,
  connectionStates,
  connectionString,
  createConnectedRegistry,
  deployOnline,
  extensionBody,
  gatewayActions,
  generateCredentials,
  getConnectedRegistry,
  installExtension,
  registryId,
  useEmulator,
  waitFor,
  waitForConnectionState,
  type Clients
} from './helpers.js'

let emu: RunningEmulator
let c: Clients
useEmulator((suite) => ({ emu, c } = suite))

const SETTINGS = { 'service.clusterIP': '10.0.0.50' }
const ext = (name: string) => c.k8s.extensions.get(...K8S, name)
const patchExtension = (
  name: string,
  body: Parameters<Clients['k8s']['extensions']['beginUpdateAndWait']>[5]
) => c.k8s.extensions.beginUpdateAndWait(...K8S, name, body, POLL)

describe('happy path', () => {
  it('goes Offline → Syncing → Online after activation, reporting the instance details', async () => {
    const d = await createConnectedRegistry(c, 'edgehappy')
    expect(d.gatewayEndpoint).toBe('contosoacr.eastus.data.azurecr.io')
    const before = await getConnectedRegistry(c, 'edgehappy')
    expect(before).toMatchObject({
      connectionState: 'Offline',
      activation: { status: 'Inactive' },
      provisioningState: 'Succeeded'
    })

    const installed = await installExtension(c, 'edgehappy', SETTINGS, {
      connectionString: d.connectionString
    })
    expect(installed).toMatchObject({ provisioningState: 'Succeeded', currentVersion: '0.11.0' })
    expect(installed.configurationProtectedSettings).toEqual({ connectionString: '' })
    expect(installed.extensionType).toBe('microsoft.containerregistry.connectedregistry')

    const online = await waitForConnectionState(c, 'edgehappy', 'Online')
    expect(online).toMatchObject({
      activation: { status: 'Active' },
      version: '0.11.0',
      loginServer: { host: '10.0.0.50', tls: { status: 'Enabled' } },
      statusDetails: []
    })
    expect(online.lastActivityTime).toBeInstanceOf(Date)
    expect(online.parent?.syncProperties.lastSyncTime).toBeInstanceOf(Date)

    expect(connectionStates(emu, 'edgehappy')).toEqual(['Offline->Syncing', 'Syncing->Online'])
    const events = emu.admin.events()
    const at = (property: string, to: string) =>
      Date.parse(
        events.find(
          (e) =>
            e.resource.endsWith('/connectedRegistries/edgehappy') &&
            e.property === property &&
            e.to === to
        )?.time ?? ''
      )
    const installedAt = Date.parse(
      events.find(
        (e) =>
          e.resource.endsWith('/extensions/edgehappy') &&
          e.property === 'provisioningState' &&
          e.to === 'Succeeded'
      )?.time ?? ''
    )
    // Logical times: exactly the configured delays apart.
    expect(at('activation.status', 'Active') - installedAt).toBe(FAST_TIMING.activationMs)
    expect(at('connectionState', 'Syncing')).toBe(at('activation.status', 'Active'))
    expect(at('connectionState', 'Online') - at('connectionState', 'Syncing')).toBe(
      FAST_TIMING.syncingMs
    )
  })

  it('reports TLS Disabled for httpEnabled=true without cert-manager', async () => {
    const { online } = await deployOnline(c, 'edgehttp', {
      settings: {
        ...SETTINGS,
        httpEnabled: 'true',
        'cert-manager.enabled': 'false',
        'cert-manager.install': 'false'
      }
    })
    expect(online.loginServer?.tls?.status).toBe('Disabled')
  })
})

describe('credentials', () => {
  it('a wrong password makes the registry Unhealthy with UNAUTHORIZED / Incorrect Password', async () => {
    const d = await createConnectedRegistry(c, 'edgewrongpw')
    const bad = connectionString(d.name, d.name, `${d.password.slice(0, -3)}AAA`, d.gatewayEndpoint)
    await installExtension(c, 'edgewrongpw', SETTINGS, { connectionString: bad })
    const cr = await waitForConnectionState(c, 'edgewrongpw', 'Unhealthy')
    expect(cr.statusDetails).toHaveLength(1)
    expect(cr.statusDetails?.[0]).toMatchObject({
      type: 'connectivity',
      code: 'UNAUTHORIZED',
      description: 'Incorrect Password'
    })
    expect(cr.statusDetails?.[0].timestamp).toBeInstanceOf(Date)
    expect(typeof cr.statusDetails?.[0].correlationId).toBe('string')
    expect(cr.activation?.status).toBe('Inactive')
  })

  it('regenerating the slot in use breaks the instance; a new connection string repairs it', async () => {
    const d = await deployOnline(c, 'edgerotate')

    const regenerated = await generateCredentials(c, d.tokenId, 'password1')
    const newPassword = regenerated.passwords?.[0].value ?? ''
    expect(newPassword).not.toBe(d.password)
    const broken = await getConnectedRegistry(c, 'edgerotate')
    expect(broken.connectionState).toBe('Unhealthy')
    expect(broken.statusDetails?.[0]).toMatchObject({
      code: 'UNAUTHORIZED',
      description: 'Incorrect Password'
    })

    const repaired = await patchExtension('edgerotate', {
      configurationProtectedSettings: {
        connectionString: connectionString(d.name, d.name, newPassword, d.gatewayEndpoint)
      }
    })
    expect(repaired.provisioningState).toBe('Succeeded')
    await waitForConnectionState(c, 'edgerotate', 'Online')
    expect(connectionStates(emu, 'edgerotate')).toEqual([
      'Offline->Syncing',
      'Syncing->Online',
      'Online->Unhealthy',
      'Unhealthy->Syncing',
      'Syncing->Online'
    ])
  })
})

describe('an extension update restarts the pod', () => {
  /** The pods of the emulated cluster, as state() lists them. */
  const pods = () =>
    emu.admin.state().instances as {
      id: string
      releaseId: string
      phase: string
      passwordSlot: string | null
    }[]
  const rotateTo = async (d: Awaited<ReturnType<typeof deployOnline>>, slot: 'password2') => {
    const generated = await generateCredentials(c, d.tokenId, slot)
    return connectionString(d.name, d.name, generated.passwords?.[0].value ?? '', d.gatewayEndpoint)
  }

  it('rolling update: the old pod serves until the new one has activated with the new password', async () => {
    // A gap long enough that the checks below run inside it, even on a loaded machine.
    emu.admin.setTiming({ restartGapMs: 1000 })
    const d = await deployOnline(c, 'edgeroll')
    const [oldPod] = pods()
    const statesBefore = connectionStates(emu, 'edgeroll').length
    const updated = await rotateTo(d, 'password2')
    await patchExtension('edgeroll', {
      configurationProtectedSettings: { connectionString: updated }
    })

    // Landed: a second pod of the same release starts beside the serving one.
    const during = pods()
    expect(during).toHaveLength(2)
    expect(during.find((p) => p.id === oldPod.id)).toMatchObject({
      phase: 'running',
      passwordSlot: 'password1'
    })
    expect(new Set(during.map((p) => p.releaseId))).toEqual(new Set([oldPod.releaseId]))
    // The registry shows what the old pod said last.
    expect((await getConnectedRegistry(c, 'edgeroll')).connectionState).toBe('Online')

    await waitFor(
      'the new pod to take over',
      async () => pods(),
      (now) => now.length === 1 && now[0].id !== oldPod.id && now[0].phase === 'running'
    )
    // Only now is password1 unused: retiring it breaks nothing.
    await generateCredentials(c, d.tokenId, 'password1')
    await waitForConnectionState(c, 'edgeroll', 'Online')
    expect(pods()).toEqual([expect.objectContaining({ passwordSlot: 'password2' })])
    // A restart, not a reload: the new pod reports Syncing, then Online; never Unhealthy.
    expect(connectionStates(emu, 'edgeroll').slice(statesBefore)).toEqual([
      'Online->Syncing',
      'Syncing->Online'
    ])
  })

  it('rolling update: retiring the old password before the new pod is active breaks the serving pod', async () => {
    emu.admin.setTiming({ restartGapMs: 1000 })
    const d = await deployOnline(c, 'edgeearly')
    const updated = await rotateTo(d, 'password2')
    await patchExtension('edgeearly', {
      configurationProtectedSettings: { connectionString: updated }
    })
    await generateCredentials(c, d.tokenId, 'password1')
    const broken = await getConnectedRegistry(c, 'edgeearly')
    expect(broken.connectionState).toBe('Unhealthy')
    expect(broken.statusDetails?.[0]).toMatchObject({
      code: 'UNAUTHORIZED',
      description: 'Incorrect Password'
    })
    // The new pod then activates with the new password and repairs it.
    await waitForConnectionState(c, 'edgeearly', 'Online')
  })

  it('recreate: the old pod stops when the release lands; its Online stays visible for the restart gap', async () => {
    emu.admin.setClusterBehaviour({ rollingUpdate: false })
    emu.admin.setTiming({ restartGapMs: 1000 })
    const d = await deployOnline(c, 'edgerecreate')
    const lastActivity = d.online.lastActivityTime
    const updated = await rotateTo(d, 'password2')
    await patchExtension('edgerecreate', {
      configurationProtectedSettings: { connectionString: updated }
    })

    // No pod runs, yet the registry still shows the old pod's last report.
    expect(pods()).toEqual([expect.objectContaining({ phase: 'connecting' })])
    const stale = await getConnectedRegistry(c, 'edgerecreate')
    expect(stale.connectionState).toBe('Online')
    expect(stale.lastActivityTime).toEqual(lastActivity)

    await waitForConnectionState(c, 'edgerecreate', 'Syncing')
    await waitForConnectionState(c, 'edgerecreate', 'Online')
    // Logical times: the new pod contacts its parent exactly restartGapMs after the old one stopped.
    const events = emu.admin.events()
    const stoppedAt = Date.parse(
      events.find((e) => e.property === 'instance' && e.to === null)?.time ?? ''
    )
    const syncingAt = Date.parse(
      events.filter(
        (e) =>
          e.resource.endsWith('/connectedRegistries/edgerecreate') &&
          e.property === 'connectionState' &&
          e.to === 'Syncing'
      )[1]?.time ?? ''
    )
    expect(syncingAt - stoppedAt).toBe(1000)
  })

  it('a new pod with a regenerated password is UNAUTHORIZED; under a rolling update the old pod keeps running', async () => {
    const d = await deployOnline(c, 'edgebadnew')
    const [oldPod] = pods()
    const generated = await generateCredentials(c, d.tokenId, 'password2')
    await generateCredentials(c, d.tokenId, 'password2') // regenerated again: the first value is dead
    await patchExtension('edgebadnew', {
      configurationProtectedSettings: {
        connectionString: connectionString(
          d.name,
          d.name,
          generated.passwords?.[0].value ?? '',
          d.gatewayEndpoint
        )
      }
    })
    const cr = await waitForConnectionState(c, 'edgebadnew', 'Unhealthy')
    expect(cr.statusDetails?.[0]).toMatchObject({
      code: 'UNAUTHORIZED',
      description: 'Incorrect Password'
    })
    expect(pods()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: oldPod.id, phase: 'running' }),
        expect.objectContaining({ phase: 'failed' })
      ])
    )
  })

  it('an update that changes nothing the pod reads keeps the pod', async () => {
    const d = await deployOnline(c, 'edgesame')
    const [pod] = pods()
    await patchExtension('edgesame', {
      configurationProtectedSettings: { connectionString: d.connectionString }
    })
    expect(pods()).toEqual([expect.objectContaining({ id: pod.id, phase: 'running' })])
    expect((await getConnectedRegistry(c, 'edgesame')).connectionState).toBe('Online')
  })
})

describe('activation', () => {
  it('ALREADY_ACTIVATED after delete + recreate, recovered by deactivate', async () => {
    const d = await deployOnline(c, 'edgereinstall')

    await c.k8s.extensions.beginDeleteAndWait(...K8S, 'edgereinstall', POLL)
    const orphaned = await getConnectedRegistry(c, 'edgereinstall')
    expect(orphaned).toMatchObject({ connectionState: 'Offline', activation: { status: 'Active' } })

    await installExtension(c, 'edgereinstall', SETTINGS, { connectionString: d.connectionString })
    const refused = await waitForConnectionState(c, 'edgereinstall', 'Unhealthy')
    expect(refused.statusDetails?.[0]).toMatchObject({
      code: 'ALREADY_ACTIVATED',
      description:
        'Failed to activate the connected registry as it is already activated by another instance. Only one instance is supported at any time.'
    })

    await c.acr.connectedRegistries.deactivate(RG, REGISTRY, 'edgereinstall', POLL)
    const online = await waitForConnectionState(c, 'edgereinstall', 'Online')
    expect(online.activation?.status).toBe('Active')
    expect(online.statusDetails).toEqual([])
    expect(connectionStates(emu, 'edgereinstall').slice(-4)).toEqual([
      'Offline->Unhealthy',
      'Unhealthy->Offline',
      'Offline->Syncing',
      'Syncing->Online'
    ])
  })

  it('refuses activation held by an instance outside the emulator', async () => {
    const d = await createConnectedRegistry(c, 'edgeelsewhere')
    emu.admin.setConnectedRegistryActivation(REGISTRY, 'edgeelsewhere', 'Active')
    await installExtension(c, 'edgeelsewhere', SETTINGS, { connectionString: d.connectionString })
    const cr = await waitForConnectionState(c, 'edgeelsewhere', 'Unhealthy')
    expect(cr.statusDetails?.[0].code).toBe('ALREADY_ACTIVATED')
    emu.admin.setConnectedRegistryActivation(REGISTRY, 'edgeelsewhere', 'Inactive')
    await waitForConnectionState(c, 'edgeelsewhere', 'Online')
  })
})

describe('chart checks fail the extension with errorInfo', () => {
  let pems: { goodCrt: string; goodKey: string; otherKey: string }
  beforeAll(async () => {
    const opts = { keyType: 'ec' as const, curve: 'P-256' as const, algorithm: 'sha256' }
    const a = await generate([{ name: 'commonName', value: '10.0.0.50' }], opts)
    const b = await generate([{ name: 'commonName', value: 'other' }], opts)
    const b64 = (s: string) => Buffer.from(s).toString('base64')
    pems = { goodCrt: b64(a.cert), goodKey: b64(a.private), otherKey: b64(b.private) }
  })

  const byoc = { 'cert-manager.enabled': 'false', 'cert-manager.install': 'false' }
  const cases: [string, () => Record<string, string>, () => Record<string, string>, RegExp][] = [
    ['service.clusterIP missing', () => ({}), () => ({}), /service\.clusterIP is required/],
    [
      'service.clusterIP not an IP',
      () => ({ 'service.clusterIP': '10.0.0.500' }),
      () => ({}),
      /must be a valid IP address/
    ],
    [
      'service.clusterIP outside the service CIDR',
      () => ({ 'service.clusterIP': '192.168.1.5' }),
      () => ({}),
      /not in the valid range\. The range of valid IPs is 10\.0\.0\.0\/16/
    ],
    [
      'cert-manager.install=true with cert-manager.enabled=false',
      () => ({ ...SETTINGS, 'cert-manager.enabled': 'false' }),
      () => ({}),
      /cert-manager\.install=true requires cert-manager\.enabled=true/
    ],
    [
      'no TLS material without cert-manager',
      () => ({ ...SETTINGS, ...byoc }),
      () => ({}),
      /provide the protected setting 'tls\.secret'.*or both 'tls\.crt' and 'tls\.key'/
    ],
    [
      'tls.key not matching tls.crt',
      () => ({ ...SETTINGS, ...byoc }),
      () => ({ 'tls.crt': pems.goodCrt, 'tls.key': pems.otherKey }),
      /tls\.key does not match the certificate/
    ],
    [
      'raw PEM instead of base64',
      () => ({ ...SETTINGS, ...byoc }),
      () => ({
        'tls.crt': Buffer.from(pems.goodCrt, 'base64').toString(),
        'tls.key': pems.goodKey
      }),
      /tls\.crt must be the base64 encoding/
    ],
    [
      'connectionString missing',
      () => SETTINGS,
      () => ({}),
      /protected setting 'connectionString' is required/
    ]
  ]

  it.each(cases)('%s', async (_title, settings, protectedSettings, expected) => {
    const name = `edgechart${Math.random().toString(36).slice(2, 8)}`
    const d = await createConnectedRegistry(c, name)
    const prot = {
      ...(expected.source.includes('connectionString')
        ? {}
        : { connectionString: d.connectionString }),
      ...protectedSettings()
    }
    await expect(installExtension(c, name, settings(), prot)).rejects.toThrow(
      /The long-running operation has failed\. ExtensionOperationFailed\./
    )
    const failed = await ext(name)
    expect(failed.provisioningState).toBe('Failed')
    expect(failed.errorInfo?.code).toBe('ExtensionOperationFailed')
    expect(failed.errorInfo?.message).toMatch(expected)
    expect((await getConnectedRegistry(c, name)).connectionState).toBe('Offline')
  })

  it('accepts BYOC with a matching pair, and a kubernetes TLS secret', async () => {
    const d1 = await createConnectedRegistry(c, 'edgebyoc')
    const ok1 = await installExtension(
      c,
      'edgebyoc',
      { ...SETTINGS, ...byoc },
      {
        connectionString: d1.connectionString,
        'tls.crt': pems.goodCrt,
        'tls.key': pems.goodKey,
        'tls.cacrt': pems.goodCrt
      }
    )
    expect(ok1.provisioningState).toBe('Succeeded')
    const d2 = await createConnectedRegistry(c, 'edgesecret')
    const ok2 = await installExtension(
      c,
      'edgesecret',
      { 'service.clusterIP': '10.0.0.51', ...byoc },
      { connectionString: d2.connectionString, 'tls.secret': 'my-tls' }
    )
    expect(ok2.provisioningState).toBe('Succeeded')
  })

  it('rejects a service IP already used by another connected-registry extension (uniqueServiceIPs)', async () => {
    const seed = loadSeedFile(DEFAULT_SEED_PATH)
    seed.connectedClusters = seed.connectedClusters?.map((cl) => ({
      ...cl,
      uniqueServiceIPs: true
    }))
    emu.admin.reset(seed)
    emu.admin.setTiming(FAST_TIMING)
    const d1 = await createConnectedRegistry(c, 'edgeipone')
    await installExtension(c, 'edgeipone', SETTINGS, { connectionString: d1.connectionString })
    const d2 = await createConnectedRegistry(c, 'edgeiptwo')
    await expect(
      installExtension(c, 'edgeiptwo', SETTINGS, { connectionString: d2.connectionString })
    ).rejects.toThrow(/already allocated/)
  })

  it('a failed upgrade keeps the running instance', async () => {
    await deployOnline(c, 'edgeupgrade')
    await expect(
      patchExtension('edgeupgrade', { configurationSettings: { 'service.clusterIP': 'nonsense' } })
    ).rejects.toThrow(/must be a valid IP address/)
    expect((await ext('edgeupgrade')).provisioningState).toBe('Failed')
    expect((await getConnectedRegistry(c, 'edgeupgrade')).connectionState).toBe('Online')
  })
})

describe("the registry pod's volume", () => {
  it('a PVC that stays Pending holds the pod: the extension is installed, the registry never activates', async () => {
    // The cluster offers only k3s' local-path class; the chart asks for another one.
    emu.admin.reset({
      ...loadSeedFile(DEFAULT_SEED_PATH),
      kubernetes: { [CLUSTER]: { storageClasses: ['local-path'] } }
    })
    emu.admin.setTiming(FAST_TIMING)
    const d = await createConnectedRegistry(c, 'edgenovolume')
    const installed = await installExtension(
      c,
      'edgenovolume',
      { ...SETTINGS, 'pvc.storageClassName': 'premium-ssd' },
      { connectionString: d.connectionString }
    )
    expect(installed.provisioningState).toBe('Succeeded')

    // The pod's activation attempt comes and finds it unschedulable.
    const held = await waitFor(
      'the pod held unschedulable',
      async () => emu.admin.events().filter((e) => e.property === 'pod'),
      (events) => events.length > 0
    )
    expect(held[0]).toMatchObject({ to: 'Pending' })
    expect(held[0].detail).toMatch(
      /PersistentVolumeClaim is Pending \(storage class 'premium-ssd' not found\)/
    )

    const cr = await getConnectedRegistry(c, 'edgenovolume')
    expect(cr).toMatchObject({ connectionState: 'Offline', activation: { status: 'Inactive' } })
    expect(connectionStates(emu, 'edgenovolume')).toEqual([])
    const after = await ext('edgenovolume')
    expect(after.provisioningState).toBe('Succeeded')
    expect(after.statuses ?? []).toEqual([])
    expect(emu.admin.state().instances).toEqual([
      expect.objectContaining({ phase: 'connecting', problem: null })
    ])
  })

  it('the same claim binds when the cluster has the class', async () => {
    emu.admin.reset({
      ...loadSeedFile(DEFAULT_SEED_PATH),
      kubernetes: { [CLUSTER]: { storageClasses: ['local-path', 'premium-ssd'] } }
    })
    emu.admin.setTiming(FAST_TIMING)
    const d = await createConnectedRegistry(c, 'edgevolume')
    await installExtension(
      c,
      'edgevolume',
      { ...SETTINGS, 'pvc.storageClassName': 'premium-ssd' },
      { connectionString: d.connectionString }
    )
    await waitForConnectionState(c, 'edgevolume', 'Online')
    expect(emu.admin.events().filter((e) => e.property === 'pod')).toEqual([])
  })
})

describe('cluster connectivity', () => {
  it('an offline cluster keeps the extension Creating until it reconnects', async () => {
    const d = await createConnectedRegistry(c, 'edgeoffline')
    const poller = await c.k8s.extensions.beginCreate(
      ...clusterArgs(OFFLINE_CLUSTER),
      'edgeoffline',
      extensionBody(SETTINGS, { connectionString: d.connectionString }),
      POLL
    )
    await new Promise((resolve) => setTimeout(resolve, 150))
    const pending = await c.k8s.extensions.get(...clusterArgs(OFFLINE_CLUSTER), 'edgeoffline')
    expect(pending.provisioningState).toBe('Creating')
    expect(pending.statuses?.[0]).toMatchObject({ code: 'ClusterNotConnected', level: 'Warning' })
    expect(pending.statuses?.[0].message).toMatch(/is not connected to Azure/)
    expect(poller.isDone()).toBe(false)

    emu.admin.setClusterConnectivity(OFFLINE_CLUSTER, 'Connected')
    const done = await poller.pollUntilDone()
    expect(done.provisioningState).toBe('Succeeded')
    expect(done.statuses).toEqual([])
    await waitForConnectionState(c, 'edgeoffline', 'Online')
  })

  it('a cluster going offline takes the registry Offline; reconnecting brings it back', async () => {
    await deployOnline(c, 'edgeflaky')
    emu.admin.setClusterConnectivity(CLUSTER, 'Offline')
    expect((await c.acr.connectedRegistries.get(RG, REGISTRY, 'edgeflaky')).connectionState).toBe(
      'Offline'
    )
    emu.admin.setClusterConnectivity(CLUSTER, 'Connected')
    await waitForConnectionState(c, 'edgeflaky', 'Online')
  })
})

describe('nested connected registries', () => {
  it('a child syncs through its online parent; the gateway endpoint is the parent login server', async () => {
    await deployOnline(c, 'edgeparent', {
      mode: 'ReadWrite',
      extraActions: gatewayActions('edgechild')
    })

    const child = await createConnectedRegistry(c, 'edgechild', {
      mode: 'ReadOnly',
      parent: 'edgeparent'
    })
    expect(child.gatewayEndpoint).toBe('10.0.0.50')
    await installExtension(
      c,
      'edgechild',
      { 'service.clusterIP': '10.0.0.60' },
      {
        connectionString: connectionString(
          child.name,
          child.name,
          child.password,
          '10.0.0.50',
          'https'
        )
      }
    )
    const online = await waitForConnectionState(c, 'edgechild', 'Online')
    expect(online.parent?.id).toBe(`${registryId(c.subscriptionId)}/connectedRegistries/edgeparent`)
  })

  it('a child whose gateway actions are missing from the parent scope map is DENIED', async () => {
    await deployOnline(c, 'edgeparent2', { mode: 'ReadWrite' })
    const child = await createConnectedRegistry(c, 'edgechild2', { parent: 'edgeparent2' })
    await installExtension(
      c,
      'edgechild2',
      { 'service.clusterIP': '10.0.0.61' },
      { connectionString: connectionString(child.name, child.name, child.password, '10.0.0.50') }
    )
    const cr = await waitFor(
      'child unhealthy',
      () => getConnectedRegistry(c, 'edgechild2'),
      (x) => x.connectionState === 'Unhealthy'
    )
    expect(cr.statusDetails?.[0].code).toBe('DENIED')
    expect(cr.statusDetails?.[0].description).toMatch(
      /ancestor connected registry 'edgeparent2'.*gateway\/edgechild2\/config\/read/
    )
  })
})

describe('repositories the instance syncs', () => {
  const repositoriesOf = (name: string) =>
    (
      emu.admin.state().instances as {
        connectedRegistryId: string | null
        repositories: {
          synced: string[]
          pullOnly: string[]
          notSynced: { repository: string }[]
        } | null
      }[]
    ).find((i) => i.connectedRegistryId?.endsWith(`/connectedRegistries/${name}`))?.repositories

  it('syncs every repository its scope map grants the actions of its mode', async () => {
    await deployOnline(c, 'edgerepos', {
      mode: 'ReadWrite',
      extraActions: [
        'content/read',
        'content/write',
        'content/delete',
        'metadata/read',
        'metadata/write'
      ].map((a) => `repositories/app/web/${a}`)
    })
    expect(repositoriesOf('edgerepos')).toEqual({
      synced: ['app/web', 'hello-world'],
      pullOnly: [],
      notSynced: []
    })
  })

  it('a ReadWrite registry granted only reads (a ReadOnly mapping) syncs those repositories pull-only', async () => {
    const d = await createConnectedRegistry(c, 'edgewrongmode', { mode: 'ReadWrite' })
    const readOnlyMapping = [
      'repositories/hello-world/content/read',
      'repositories/hello-world/metadata/read',
      ...gatewayActions('edgewrongmode')
    ]
    await c.acr.scopeMaps.update(RG, REGISTRY, 'edgewrongmode', { actions: readOnlyMapping }, POLL)
    await installExtension(c, 'edgewrongmode', SETTINGS, { connectionString: d.connectionString })
    await waitForConnectionState(c, 'edgewrongmode', 'Online')
    expect(repositoriesOf('edgewrongmode')).toEqual({
      synced: ['hello-world'],
      pullOnly: ['hello-world'],
      notSynced: []
    })
  })

  it('a repository its scope map names without the read actions is not synced: Unhealthy, one detail per repository', async () => {
    const d = await createConnectedRegistry(c, 'edgenoread', {
      extraActions: ['repositories/app/web/metadata/read']
    })
    await installExtension(c, 'edgenoread', SETTINGS, { connectionString: d.connectionString })
    const cr = await waitForConnectionState(c, 'edgenoread', 'Unhealthy')
    expect(cr.activation?.status).toBe('Active')
    expect(cr.statusDetails).toEqual([
      expect.objectContaining({
        type: 'synchronization',
        code: 'DENIED',
        description:
          "Repository 'app/web' is not synchronized: the scope map 'edgenoread' of its sync token 'edgenoread' lacks repositories/app/web/content/read."
      })
    ])
    expect(repositoriesOf('edgenoread')).toMatchObject({ synced: ['hello-world'], pullOnly: [] })

    // Granted: the next synchronization is clean.
    const scopeMap = await c.acr.scopeMaps.get(RG, REGISTRY, 'edgenoread')
    await c.acr.scopeMaps.update(
      RG,
      REGISTRY,
      'edgenoread',
      { actions: [...(scopeMap.actions ?? []), 'repositories/app/web/content/read'] },
      POLL
    )
    const fixed = await waitForConnectionState(c, 'edgenoread', 'Online')
    expect(fixed.statusDetails).toEqual([])
    expect(repositoriesOf('edgenoread')).toEqual({
      synced: ['app/web', 'hello-world'],
      pullOnly: [],
      notSynced: []
    })
  })

  it("a nested registry cannot sync a repository its parent's scope map does not grant", async () => {
    await deployOnline(c, 'edgeparent3', {
      mode: 'ReadWrite',
      extraActions: gatewayActions('edgechild3')
    })
    const child = await createConnectedRegistry(c, 'edgechild3', {
      mode: 'ReadOnly',
      parent: 'edgeparent3',
      extraActions: ['repositories/app/web/content/read', 'repositories/app/web/metadata/read']
    })
    await installExtension(
      c,
      'edgechild3',
      { 'service.clusterIP': '10.0.0.62' },
      { connectionString: connectionString(child.name, child.name, child.password, '10.0.0.50') }
    )
    const cr = await waitForConnectionState(c, 'edgechild3', 'Unhealthy')
    expect(cr.statusDetails?.map((s) => s.description)).toEqual([
      "Repository 'app/web' is not synchronized: the scope map 'edgeparent3' of the sync token 'edgeparent3' of ancestor connected registry 'edgeparent3' lacks repositories/app/web/content/read, repositories/app/web/metadata/read."
    ])
    expect(repositoriesOf('edgechild3')?.synced).toEqual(['hello-world'])
  })

  it('a wildcard grant covers the repositories under it', async () => {
    await deployOnline(c, 'edgewild', {
      extraActions: ['repositories/app/*/content/read', 'repositories/app/*/metadata/read']
    })
    expect(repositoriesOf('edgewild')).toEqual({
      synced: ['app/*', 'hello-world'],
      pullOnly: [],
      notSynced: []
    })
  })
})

describe('what the instance reads from the connection string', () => {
  it('an http protocol for a cloud parent is refused', async () => {
    const d = await createConnectedRegistry(c, 'edgeproto')
    await installExtension(c, 'edgeproto', SETTINGS, {
      connectionString: connectionString(d.name, d.name, d.password, d.gatewayEndpoint, 'http')
    })
    const cr = await waitForConnectionState(c, 'edgeproto', 'Unhealthy')
    expect(cr.statusDetails?.[0].description).toMatch(
      /must be 'https' when the parent is the cloud registry/
    )
  })

  it('a password with a trailing "=" cut off (split on every "=") is refused', async () => {
    const d = await createConnectedRegistry(c, 'edgesplit')
    expect(d.password).toMatch(/[+/]/)
    expect(d.password.endsWith('=')).toBe(true)
    await installExtension(c, 'edgesplit', SETTINGS, {
      connectionString: connectionString(
        d.name,
        d.name,
        d.password.replace(/=+$/, ''),
        d.gatewayEndpoint
      )
    })
    const cr = await waitForConnectionState(c, 'edgesplit', 'Unhealthy')
    expect(cr.statusDetails?.[0].code).toBe('UNAUTHORIZED')
  })

  it('a disabled sync token is refused, and re-enabling it recovers', async () => {
    const d = await createConnectedRegistry(c, 'edgedisabled')
    await c.acr.tokens.update(RG, REGISTRY, d.name, { status: 'disabled' }, POLL)
    await installExtension(c, 'edgedisabled', SETTINGS, { connectionString: d.connectionString })
    const cr = await waitForConnectionState(c, 'edgedisabled', 'Unhealthy')
    expect(cr.statusDetails?.[0].description).toMatch(/is disabled/)
    await c.acr.tokens.update(RG, REGISTRY, d.name, { status: 'enabled' }, POLL)
    await waitForConnectionState(c, 'edgedisabled', 'Online')
  })
})

describe('the instance reading its connection string', () => {
  it('names a malformed segment by position, never by its text (it may be the password)', () => {
    const result = parseConnectionString(
      'ConnectedRegistryName=edge;SyncTokenName=edge;S3cretPassw0rdValue;ParentGatewayEndpoint=x;ParentEndpointProtocol=https'
    )
    expect(result).toEqual({ error: 'segment 3 is not of the form Key=Value' })
  })
})

// ARM rules the action relies on, through the real SDK clients: validation
// errors, conflicts, PATCH semantics, write-only secrets, paging and filters.
import { describe, expect, it } from '@jest/globals'
import type { RunningEmulator } from '../../emulator/index.js'
import {
  CLUSTER,
  K8S,
  POLL,
  REGISTRY,
  RG,
  armGet,
  clusterArgs,
  collect,
  createConnectedRegistry,
  extensionBody,
  generateCredentials,
  installExtension,
  registryId,
  rejection,
  sdkClients,
  useEmulator,
  wireRecorder,
  type Clients
} from './helpers.js'

let emu: RunningEmulator
let c: Clients
useEmulator((suite) => ({ emu, c } = suite), { clients: { maxRetries: 0 } })

describe('registries', () => {
  it('404s read like ARM', async () => {
    const missing = await rejection(c.acr.registries.get(RG, 'nosuchregistry'))
    expect(missing.statusCode).toBe(404)
    expect(missing.code).toBe('ResourceNotFound')
    expect(missing.message).toMatch(
      /^The Resource 'Microsoft\.ContainerRegistry\/registries\/nosuchregistry' under resource group 'edge-rg' was not found\./
    )
    const noGroup = await rejection(c.acr.registries.get('nosuch-rg', REGISTRY))
    expect(noGroup.code).toBe('ResourceGroupNotFound')
    expect(noGroup.message).toBe("Resource group 'nosuch-rg' could not be found.")
  })

  it('enabling the data endpoint fills dataEndpointHostNames; Basic registries refuse it', async () => {
    const updated = await c.acr.registries.update(RG, REGISTRY, { dataEndpointEnabled: true }, POLL)
    expect(updated.dataEndpointHostNames).toEqual(['contosoacr.eastus.data.azurecr.io'])
    expect(updated.provisioningState).toBe('Succeeded')
    const basic = await rejection(
      c.acr.registries.update(RG, 'contosobasic', { dataEndpointEnabled: true }, POLL)
    )
    expect(basic.statusCode).toBe(400)
    expect(basic.code).toBe('SkuNotSupported')
    expect(basic.message).toMatch(/only available in the Premium service tier/)
  })

  it('lists by subscription and by resource group, with nextLink paging', async () => {
    emu.admin.setPageSize(1)
    const all = await collect(c.acr.registries.list())
    expect(all.map((r) => r.name)).toEqual(['contosoacr', 'contosobasic'])
    const pages = await collect(c.acr.registries.listByResourceGroup(RG).byPage())
    expect(pages).toHaveLength(2)
    const page1 = await armGet(
      emu,
      `/subscriptions/${c.subscriptionId}/providers/Microsoft.ContainerRegistry/registries?api-version=2025-11-01`
    )
    expect((page1.body as { nextLink: string }).nextLink).toMatch(
      /^https:\/\/127\.0\.0\.1:\d+\/subscriptions\/.*%24skipToken=1/
    )
  })

  it('accepts any api-version and records it', async () => {
    await armGet(
      emu,
      `/subscriptions/${c.subscriptionId}/resourcegroups/EDGE-RG?api-version=2099-01-01-preview`
    ).then((r) => expect(r.body).toMatchObject({ name: 'edge-rg', location: 'eastus' }))
    expect(emu.admin.journal().at(-1)).toMatchObject({
      operation: 'ResourceGroups_Get',
      apiVersion: '2099-01-01-preview',
      status: 200
    })
  })
})

describe('connected registries', () => {
  const regId = () => registryId(c.subscriptionId)
  const prepareToken = async (name: string) => {
    await c.acr.scopeMaps.create(
      RG,
      REGISTRY,
      name,
      { actions: [`repositories/hello-world/content/read`] },
      POLL
    )
    await c.acr.tokens.create(
      RG,
      REGISTRY,
      name,
      { scopeMapId: `${regId()}/scopeMaps/${name}` },
      POLL
    )
    return `${regId()}/tokens/${name}`
  }
  const body = (tokenId: string, mode = 'ReadOnly', parent?: string) => ({
    mode,
    parent: {
      ...(parent ? { id: `${regId()}/connectedRegistries/${parent}` } : {}),
      syncProperties: { tokenId, messageTtl: 'P2D' }
    }
  })

  it('needs the dedicated data endpoint and the Premium tier', async () => {
    const tokenId = await prepareToken('edgeprereq')
    const noEndpoint = await rejection(
      c.acr.connectedRegistries.create(RG, REGISTRY, 'edgeprereq', body(tokenId), POLL)
    )
    expect(noEndpoint.statusCode).toBe(400)
    expect(noEndpoint.code).toBe('DataEndpointNotEnabled')
    expect(noEndpoint.message).toMatch(/dedicated data endpoint must be enabled/)
    await c.acr.scopeMaps.create(
      RG,
      'contosobasic',
      'edgebasic',
      { actions: ['repositories/a/content/read'] },
      POLL
    )
    await c.acr.tokens.create(
      RG,
      'contosobasic',
      'edgebasic',
      { scopeMapId: `${registryId(c.subscriptionId, 'contosobasic')}/scopeMaps/edgebasic` },
      POLL
    )
    const basic = await rejection(
      c.acr.connectedRegistries.create(
        RG,
        'contosobasic',
        'edgebasic',
        body(`${registryId(c.subscriptionId, 'contosobasic')}/tokens/edgebasic`),
        POLL
      )
    )
    expect(basic.code).toBe('SkuNotSupported')
  })

  it('validates names, stores the mode in canonical case and keeps mode/parent/token immutable', async () => {
    await c.acr.registries.update(RG, REGISTRY, { dataEndpointEnabled: true }, POLL)
    const tokenId = await prepareToken('edgecase')
    const badName = await rejection(
      c.acr.connectedRegistries.create(RG, REGISTRY, 'edge-case', body(tokenId), POLL)
    )
    expect(badName.statusCode).toBe(400)
    expect(badName.message).toMatch(/5 to 50 characters/)
    const created = await c.acr.connectedRegistries.create(
      RG,
      REGISTRY,
      'edgecase',
      body(tokenId, 'readonly'),
      POLL
    )
    expect(created.mode).toBe('ReadOnly')
    expect(created.logging).toEqual({ logLevel: 'Information', auditLogStatus: 'Disabled' })
    const changed = await rejection(
      c.acr.connectedRegistries.create(RG, REGISTRY, 'edgecase', body(tokenId, 'ReadWrite'), POLL)
    )
    expect(changed.statusCode).toBe(409)
    expect(changed.message).toMatch(/'mode' of connected registry 'edgecase' cannot be changed/)
    const same = await c.acr.connectedRegistries.create(
      RG,
      REGISTRY,
      'edgecase',
      { ...body(tokenId), notificationsList: ['hello-world:*:*'] },
      POLL
    )
    expect(same.notificationsList).toEqual(['hello-world:*:*'])
  })

  it('PATCH updates only the mutable fields', async () => {
    await createConnectedRegistry(c, 'edgepatch')
    const patched = await c.acr.connectedRegistries.update(
      RG,
      REGISTRY,
      'edgepatch',
      {
        syncProperties: { schedule: '0 12 * * *', syncWindow: 'PT4H', messageTtl: 'P7D' },
        logging: { logLevel: 'Debug' },
        garbageCollection: { enabled: true, schedule: '0 5 * * *' }
      },
      POLL
    )
    expect(patched.parent?.syncProperties).toMatchObject({
      schedule: '0 12 * * *',
      syncWindow: 'PT4H',
      messageTtl: 'P7D'
    })
    expect(patched.logging).toEqual({ logLevel: 'Debug', auditLogStatus: 'Disabled' })
    expect(patched.garbageCollection).toEqual({ enabled: true, schedule: '0 5 * * *' })
    const tooShort = await rejection(
      c.acr.connectedRegistries.update(
        RG,
        REGISTRY,
        'edgepatch',
        { syncProperties: { messageTtl: 'PT1H' } },
        POLL
      )
    )
    expect(tooShort.message).toMatch(/between P1D and P90D/)
  })

  it('checks parents: must exist, a ReadOnly parent only takes ReadOnly children', async () => {
    await createConnectedRegistry(c, 'edgeroparent', { mode: 'ReadOnly' })
    const tokenId = await prepareToken('edgechildrw')
    const rw = await rejection(
      c.acr.connectedRegistries.create(
        RG,
        REGISTRY,
        'edgechildrw',
        body(tokenId, 'ReadWrite', 'edgeroparent'),
        POLL
      )
    )
    expect(rw.message).toMatch(
      /Can't create the connected registry 'edgechildrw' with mode 'ReadWrite' when the connected registry parent 'edgeroparent' mode is 'ReadOnly'/
    )
    const orphan = await rejection(
      c.acr.connectedRegistries.create(
        RG,
        REGISTRY,
        'edgechildrw',
        body(tokenId, 'ReadOnly', 'nosuchparent'),
        POLL
      )
    )
    expect(orphan.message).toMatch(/parent connected registry .* could not be found/)
    const child = await c.acr.connectedRegistries.create(
      RG,
      REGISTRY,
      'edgechildrw',
      body(tokenId, 'ReadOnly', 'edgeroparent'),
      POLL
    )
    // The parent is not active yet: no gateway endpoint to report.
    expect(child.parent?.syncProperties.gatewayEndpoint).toBe('')
  })

  it('filters lists with $filter (parent.id, mode, connectionState)', async () => {
    await createConnectedRegistry(c, 'edgefilterone', { mode: 'ReadWrite' })
    await createConnectedRegistry(c, 'edgefiltertwo', { mode: 'ReadOnly', parent: 'edgefilterone' })
    const names = async (filter: string) =>
      (await collect(c.acr.connectedRegistries.list(RG, REGISTRY, { filter }))).map((x) => x.name)
    expect(await names("mode eq 'ReadOnly'")).toEqual(['edgefiltertwo'])
    expect(await names(`parent.id eq '${regId()}/connectedRegistries/edgefilterone'`)).toEqual([
      'edgefiltertwo'
    ])
    expect(await names("connectionState eq 'Offline' and mode eq 'readwrite'")).toEqual([
      'edgefilterone'
    ])
    expect((await rejection(names('name ne x'))).statusCode).toBe(400)
  })

  it('delete and deactivate answer 202 + Location and finish with 204 / 200', async () => {
    await createConnectedRegistry(c, 'edgegone')
    // Long enough for the first poll of each operation to find it still running.
    emu.admin.setTiming({ lroMs: 300 })
    const { policy, records } = wireRecorder()
    const w = sdkClients(emu, { maxRetries: 0, policies: [policy] })
    const crPath = `${regId()}/connectedRegistries/edgegone`
    // The operation's first answer: 202 with an absolute Location on the emulator; then the
    // statuses of the polls of that Location, in order.
    const locationFlow = (method: string) => {
      const initial = records.find((r) => r.method === method && r.url.includes(crPath))
      expect(initial?.status).toBe(202)
      const location = initial?.headers.location ?? ''
      expect(location.startsWith(`${emu.url}${crPath}/operationStatuses/`)).toBe(true)
      return records
        .filter((r) => r.method === 'GET' && r.url.split('?')[0] === location.split('?')[0])
        .map((r) => r.status)
    }

    await w.acr.connectedRegistries.deactivate(RG, REGISTRY, 'edgegone', POLL)
    const deactivatePolls = locationFlow('POST')
    expect(deactivatePolls.length).toBeGreaterThanOrEqual(2)
    expect(deactivatePolls.slice(0, -1).every((s) => s === 202)).toBe(true)
    expect(deactivatePolls.at(-1)).toBe(200)

    await w.acr.connectedRegistries.delete(RG, REGISTRY, 'edgegone', POLL)
    const deletePolls = locationFlow('DELETE')
    expect(deletePolls.length).toBeGreaterThanOrEqual(2)
    expect(deletePolls.slice(0, -1).every((s) => s === 202)).toBe(true)
    expect(deletePolls.at(-1)).toBe(204)
    expect(
      (await rejection(c.acr.connectedRegistries.get(RG, REGISTRY, 'edgegone'))).statusCode
    ).toBe(404)
    const statuses = emu.admin
      .journal()
      .filter((e) => e.operation === 'OperationStatus_Get')
      .map((e) => e.status)
    expect(statuses).toContain(202)
    expect(statuses).toContain(204)
    // Deleting what is not there is a 204, as ARM does.
    await w.acr.connectedRegistries.delete(RG, REGISTRY, 'edgegone', POLL)
    expect(
      emu.admin
        .journal()
        .filter((e) => e.operation === 'ConnectedRegistries_Delete')
        .map((e) => e.status)
    ).toEqual([202, 204])
  })
})

describe('tokens, scope maps and credentials', () => {
  it('generateCredentials regenerates only the named slot; values carry + / = and are never listed', async () => {
    const d = await createConnectedRegistry(c, 'edgecreds')
    expect(d.password.length).toBeGreaterThanOrEqual(44)
    expect(d.password).toMatch(/\+/)
    expect(d.password).toMatch(/\//)
    expect(d.password).toMatch(/=/)
    const both = await generateCredentials(c, d.tokenId)
    expect(both.username).toBe('edgecreds')
    expect(both.passwords?.map((p) => p.name)).toEqual(['password1', 'password2'])
    const only2 = await c.acr.registries.generateCredentials(
      RG,
      REGISTRY,
      { tokenId: d.tokenId, name: 'password2', expiry: new Date('2099-01-01T00:00:00Z') },
      POLL
    )
    expect(only2.passwords).toEqual([
      expect.objectContaining({ name: 'password2', expiry: new Date('2099-01-01T00:00:00Z') })
    ])
    const token = await c.acr.tokens.get(RG, REGISTRY, 'edgecreds')
    expect(token.credentials?.passwords?.map((p) => p.name)).toEqual(['password1', 'password2'])
    expect(token.credentials?.passwords?.every((p) => p.value === undefined)).toBe(true)
    const current = emu.admin
      .secretsForTests()
      .tokenPasswords.filter((p) => p.tokenId === d.tokenId && p.current)
    expect(current.map((p) => p.slot).sort()).toEqual(['password1', 'password2'])
    expect(current.find((p) => p.slot === 'password1')?.value).toBe(both.passwords?.[0].value)
  })

  it('protects tokens and scope maps in use', async () => {
    await createConnectedRegistry(c, 'edgeinuse')
    const syncToken = await rejection(c.acr.tokens.delete(RG, REGISTRY, 'edgeinuse', POLL))
    expect(syncToken.statusCode).toBe(409)
    expect(syncToken.message).toMatch(/sync token of connected registry 'edgeinuse'/)
    const scopeMap = await rejection(c.acr.scopeMaps.delete(RG, REGISTRY, 'edgeinuse', POLL))
    expect(scopeMap.statusCode).toBe(409)
    await c.acr.connectedRegistries.delete(RG, REGISTRY, 'edgeinuse', POLL)
    await c.acr.tokens.delete(RG, REGISTRY, 'edgeinuse', POLL)
    await c.acr.scopeMaps.delete(RG, REGISTRY, 'edgeinuse', POLL)
    expect((await rejection(c.acr.scopeMaps.get(RG, REGISTRY, 'edgeinuse'))).statusCode).toBe(404)
  })

  it('validates scope map actions and names', async () => {
    const bad = await rejection(
      c.acr.scopeMaps.create(RG, REGISTRY, 'edge_map-1', { actions: ['pull everything'] }, POLL)
    )
    expect(bad.message).toMatch(/scope map action 'pull everything' is invalid/)
    const badName = await rejection(
      c.acr.tokens.create(RG, REGISTRY, 'edge_token', { scopeMapId: 'x' }, POLL)
    )
    expect(badName.message).toMatch(/may contain only alphanumeric characters and dashes/)
  })
})

describe('extensions', () => {
  it('GET never returns protected settings; PATCH merges settings and replaces protected ones only when given', async () => {
    const d = await createConnectedRegistry(c, 'edgepatchext')
    await installExtension(
      c,
      'edgepatchext',
      { 'service.clusterIP': '10.0.0.50', 'pvc.storageRequest': '250Gi' },
      { connectionString: d.connectionString }
    )
    const patched = await c.k8s.extensions.beginUpdateAndWait(
      ...K8S,
      'edgepatchext',
      {
        configurationSettings: {
          'pvc.storageRequest': null as unknown as string,
          logLevel: 'debug'
        }
      },
      POLL
    )
    expect(patched.configurationSettings).toEqual({
      'service.clusterIP': '10.0.0.50',
      logLevel: 'debug'
    })
    // Write-only: the keys with empty values, as Microsoft's documented output shows.
    expect(patched.configurationProtectedSettings).toEqual({ connectionString: '' })
    const state = () =>
      (emu.admin.state().extensions as { name: string; protectedSettingKeys: string[] }[]).find(
        (e) => e.name === 'edgepatchext'
      )
    expect(state()?.protectedSettingKeys).toEqual(['connectionString'])
    // Protected settings are all-or-nothing: an update without connectionString drops it (and the chart then fails).
    await expect(
      c.k8s.extensions.beginUpdateAndWait(
        ...K8S,
        'edgepatchext',
        { configurationProtectedSettings: { 'tls.secret': 'x' } },
        POLL
      )
    ).rejects.toThrow(/connectionString' is required/)
    expect(state()?.protectedSettingKeys).toEqual(['tls.secret'])
    const raw = await armGet(emu, `${K8sPath('edgepatchext')}?api-version=2023-05-01`)
    expect(JSON.parse(raw.text).properties.configurationProtectedSettings).toEqual({
      'tls.secret': ''
    })
    expect(raw.text).not.toContain(d.password)
  })

  it('answers 409 while an operation is in progress, also for a PUT during deletion', async () => {
    // Long enough that every request below lands while the operation is still running.
    emu.admin.setTiming({ extensionProvisioningMs: 2000, deletionMs: 2000 })
    const d = await createConnectedRegistry(c, 'edgebusy')
    const body = extensionBody(
      { 'service.clusterIP': '10.0.0.50' },
      { connectionString: d.connectionString }
    )
    const creating = await c.k8s.extensions.beginCreate(...K8S, 'edgebusy', body, POLL)
    const again = await rejection(c.k8s.extensions.beginCreate(...K8S, 'edgebusy', body, POLL))
    expect(again.statusCode).toBe(409)
    expect(again.code).toBe('Conflict')
    expect(again.message).toMatch(
      /Operation 'Create' on extension 'edgebusy' is not allowed because another operation \('create'\) is in progress/
    )
    expect(
      (
        await rejection(
          c.k8s.extensions.beginUpdate(...K8S, 'edgebusy', { releaseTrain: 'stable' }, POLL)
        )
      ).statusCode
    ).toBe(409)
    expect(
      (await rejection(c.k8s.extensions.beginDelete(...K8S, 'edgebusy', POLL))).statusCode
    ).toBe(409)
    await creating.pollUntilDone()
    const deleting = await c.k8s.extensions.beginDelete(...K8S, 'edgebusy', POLL)
    const during = await rejection(c.k8s.extensions.beginCreate(...K8S, 'edgebusy', body, POLL))
    expect(during.statusCode).toBe(409)
    expect(during.message).toMatch(/still being deleted/)
    await deleting.pollUntilDone()
    expect((await rejection(c.k8s.extensions.get(...K8S, 'edgebusy'))).statusCode).toBe(404)
  })

  it('forceDelete is synchronous; a missing cluster is a 404 for the connectedClusters resource', async () => {
    const d = await createConnectedRegistry(c, 'edgeforce')
    await installExtension(
      c,
      'edgeforce',
      { 'service.clusterIP': '10.0.0.50' },
      { connectionString: d.connectionString }
    )
    emu.admin.clearJournal()
    await c.k8s.extensions.beginDeleteAndWait(...K8S, 'edgeforce', { forceDelete: true, ...POLL })
    expect(emu.admin.journal().map((e) => `${e.operation} ${e.status}`)).toEqual([
      'Extensions_Delete 200'
    ])
    const noCluster = await rejection(c.k8s.extensions.get(...clusterArgs('nosuchcluster'), 'x'))
    expect(noCluster.statusCode).toBe(404)
    expect(noCluster.message).toMatch(
      /^The Resource 'Microsoft\.Kubernetes\/connectedClusters\/nosuchcluster' under resource group 'edge-rg' was not found/
    )
  })

  it('serves api-version 2024-11-01 too and refuses a pinned version with auto-upgrade', async () => {
    const k8s2024 = sdkClients(emu, { extensionsApiVersion: '2024-11-01', maxRetries: 0 }).k8s
    const other = await k8s2024.extensions.beginCreateAndWait(
      ...K8S,
      'flux',
      { extensionType: 'microsoft.flux', autoUpgradeMinorVersion: true },
      POLL
    )
    expect(other).toMatchObject({
      provisioningState: 'Succeeded',
      currentVersion: '1.0.0',
      version: null
    })
    expect(other.scope?.cluster?.releaseNamespace).toBe('flux')
    expect(emu.admin.journal().find((e) => e.operation === 'Extensions_Create')?.apiVersion).toBe(
      '2024-11-01'
    )
    const pinned = await rejection(
      k8s2024.extensions.beginCreate(
        ...K8S,
        'pinned',
        { extensionType: 'microsoft.flux', autoUpgradeMinorVersion: true, version: '1.2.3' },
        POLL
      )
    )
    expect(pinned.statusCode).toBe(400)
    const list = await collect(k8s2024.extensions.list(...K8S))
    expect(list.map((e) => e.name)).toEqual(['flux'])
  })
})

describe('clusters and resource groups', () => {
  it('shows connectivity of the seeded clusters', async () => {
    const get = (p: string) => armGet(emu, `${p}?api-version=2024-01-01`)
    const sub = `/subscriptions/${c.subscriptionId}`
    const list = await get(
      `${sub}/resourceGroups/${RG}/providers/Microsoft.Kubernetes/connectedClusters`
    )
    const clusters = (
      list.body as {
        value: { name: string; properties: { connectivityStatus: string; distribution: string } }[]
      }
    ).value
    expect(clusters.map((x) => [x.name, x.properties.connectivityStatus])).toEqual([
      ['edge-cluster-01', 'Connected'],
      ['edge-cluster-offline', 'Offline']
    ])
    const groups = await get(`${sub}/resourcegroups`)
    expect((groups.body as { value: { name: string }[] }).value.map((g) => g.name)).toEqual([
      'edge-rg'
    ])
  })
})

function K8sPath(extension: string): string {
  return `/subscriptions/${c.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Kubernetes/connectedClusters/${CLUSTER}/providers/Microsoft.KubernetesConfiguration/extensions/${extension}`
}

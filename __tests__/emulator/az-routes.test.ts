// What az 2.45 reads from the emulator before and around its acr commands, on the wire and
// without az: the AD FS-style authority, the cloud metadata, subscriptions and tenants in each
// api-version's shape, the generic resource listing, the system scope maps and Retry-After.
// (__tests__/az runs the real az against the same routes.)
import https from 'node:https'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { startEmulator, type RunningEmulator } from '../../emulator/index.js'

let emu: RunningEmulator
let bearer = ''
beforeAll(async () => {
  emu = await startEmulator({ quiet: true })
})
afterAll(async () => emu?.stop())
beforeEach(() => {
  emu.admin.reset()
  bearer = emu.admin.issueAccessToken().token
})

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Record<string, unknown> & { value?: Record<string, unknown>[] }
}

function call(
  method: string,
  path: string,
  options: { body?: unknown; form?: string; auth?: boolean } = {}
): Promise<Answer> {
  const payload =
    options.form ?? (options.body === undefined ? undefined : JSON.stringify(options.body))
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${emu.url}${path}`,
      {
        method,
        ca: emu.caPem,
        headers: {
          ...(options.auth === false ? {} : { authorization: `Bearer ${bearer}` }),
          ...(payload === undefined
            ? {}
            : {
                'content-type': options.form
                  ? 'application/x-www-form-urlencoded'
                  : 'application/json'
              })
        }
      },
      (res) => {
        let text = ''
        res.on('data', (chunk: Buffer) => (text += chunk.toString()))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? (JSON.parse(text) as Answer['body']) : {}
          })
        )
      }
    )
    request.on('error', reject)
    request.end(payload)
  })
}

const SUB = () => emu.env.AZURE_SUBSCRIPTION_ID
const REGISTRY_PATH = () =>
  `/subscriptions/${SUB()}/resourceGroups/edge-rg/providers/Microsoft.ContainerRegistry/registries/contosoacr`

describe('sign-in as az does it', () => {
  it('serves the AD FS-style authority and a token for the scope with a double slash', async () => {
    const config = await call('GET', '/adfs/.well-known/openid-configuration', { auth: false })
    expect(config.status).toBe(200)
    expect(config.body).toMatchObject({
      token_endpoint: `${emu.url}/adfs/oauth2/token`,
      issuer: `${emu.url}/adfs`
    })
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: emu.env.AZURE_CLIENT_ID,
      client_secret: emu.env.AZURE_CLIENT_SECRET,
      scope: `${emu.env.AZ_ENDPOINT_ACTIVE_DIRECTORY_RESOURCE_ID}/.default`
    }).toString()
    expect(form).toContain(encodeURIComponent('//.default'))
    const token = await call('POST', '/adfs/oauth2/token', { form, auth: false })
    expect(token.status).toBe(200)
    bearer = String(token.body.access_token)
    const subscriptions = await call('GET', '/subscriptions?api-version=2019-11-01')
    expect(subscriptions.status).toBe(200)
  })

  it('refuses a wrong secret at the AD FS-style token endpoint', async () => {
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: emu.env.AZURE_CLIENT_ID,
      client_secret: 'wrong',
      scope: `${emu.url}//.default`
    }).toString()
    const token = await call('POST', '/adfs/oauth2/token', { form, auth: false })
    expect(token.status).toBe(401)
    expect(token.body.error).toBe('invalid_client')
  })

  it('publishes the cloud metadata az cloud register reads, without sign-in', async () => {
    const old = await call('GET', '/metadata/endpoints?api-version=2015-01-01', { auth: false })
    expect(old.body.authentication).toEqual({
      loginEndpoint: `${emu.url}/adfs`,
      audiences: [`${emu.url}/`]
    })
    const clouds = await call('GET', '/metadata/endpoints?api-version=2022-09-01', { auth: false })
    expect(clouds.body).toEqual([
      expect.objectContaining({ resourceManager: `${emu.url}/`, name: 'Emulator' })
    ])
  })
})

describe('subscriptions and tenants in the shape of each api-version', () => {
  it('GET /subscriptions', async () => {
    const old = await call('GET', '/subscriptions?api-version=2016-06-01')
    expect(Object.keys(old.body.value?.[0] ?? {}).sort()).toEqual([
      'authorizationSource',
      'displayName',
      'id',
      'state',
      'subscriptionId',
      'subscriptionPolicies'
    ])
    const current = await call('GET', '/subscriptions?api-version=2019-11-01')
    expect(current.body.value).toEqual([
      expect.objectContaining({
        subscriptionId: SUB(),
        tenantId: emu.env.AZURE_TENANT_ID,
        managedByTenants: [],
        tags: {}
      })
    ])
    const one = await call('GET', `/subscriptions/${SUB()}?api-version=2019-11-01`)
    expect(one.body).toEqual(current.body.value?.[0])
  })

  it('GET /tenants', async () => {
    const old = await call('GET', '/tenants?api-version=2016-06-01')
    expect(old.body.value).toEqual([
      { id: `/tenants/${emu.env.AZURE_TENANT_ID}`, tenantId: emu.env.AZURE_TENANT_ID }
    ])
    const current = await call('GET', '/tenants?api-version=2022-12-01')
    expect(current.body.value?.[0]).toMatchObject({
      tenantCategory: 'Home',
      defaultDomain: expect.any(String),
      domains: [expect.any(String)]
    })
  })
})

describe('registries in the shape of each api-version', () => {
  it('2022-02-01-preview (az 2.45) has no properties newer than its model; 2025-11-01 has them', async () => {
    const properties = async (version: string) => {
      const registry = await call('GET', `${REGISTRY_PATH()}?api-version=${version}`)
      return Object.keys(registry.body.properties as Record<string, unknown>)
    }
    const newer = ['networkRuleBypassAllowedForTasks', 'roleAssignmentMode']
    expect(await properties('2022-02-01-preview')).toEqual(
      expect.not.arrayContaining([expect.stringMatching(new RegExp(`^(${newer.join('|')})$`))])
    )
    expect(await properties('2025-11-01')).toEqual(expect.arrayContaining(newer))
  })
})

describe('the generic resource listing', () => {
  const list = (filter: string) =>
    call(
      'GET',
      `/subscriptions/${SUB()}/resources?$filter=${encodeURIComponent(filter)}&api-version=2021-04-01`
    )

  it('finds registries by resourceType, as az does, and narrows by name and resource group', async () => {
    const registries = await list("resourceType eq 'Microsoft.ContainerRegistry/registries'")
    expect(registries.status).toBe(200)
    expect(registries.body.value?.map((r) => r.name).sort()).toEqual(['contosoacr', 'contosobasic'])
    expect(registries.body.value?.find((r) => r.name === 'contosoacr')).toMatchObject({
      id: REGISTRY_PATH(),
      type: 'Microsoft.ContainerRegistry/registries',
      sku: { name: 'Premium', tier: 'Premium' },
      location: 'eastus'
    })
    const one = await list(
      "resourceType eq 'microsoft.containerregistry/registries' and name eq 'CONTOSOACR' and resourceGroup eq 'edge-rg'"
    )
    expect(one.body.value?.map((r) => r.name)).toEqual(['contosoacr'])
    const clusters = await list("resourceType eq 'Microsoft.Kubernetes/connectedClusters'")
    expect(clusters.body.value?.length).toBe(2)
  })

  it('refuses a filter it does not understand instead of ignoring it', async () => {
    const bad = await list("tagName eq 'env'")
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ error: { code: 'InvalidFilterInQueryString' } })
  })
})

describe('system scope maps', () => {
  const scopeMaps = () => `${REGISTRY_PATH()}/scopeMaps`

  it('every registry lists _repositories_pull, _push and _admin as SystemDefined', async () => {
    const listed = await call('GET', `${scopeMaps()}?api-version=2020-11-01-preview`)
    const system = listed.body.value?.filter((m) => String(m.name).startsWith('_'))
    expect(
      system?.map((m) => [m.name, (m.properties as { type: string; actions: string[] }).type])
    ).toEqual([
      ['_repositories_admin', 'SystemDefined'],
      ['_repositories_pull', 'SystemDefined'],
      ['_repositories_push', 'SystemDefined']
    ])
  })

  it('cannot be changed or deleted, but tokens can use them', async () => {
    const path = `${scopeMaps()}/_repositories_pull?api-version=2020-11-01-preview`
    const patch = await call('PATCH', path, {
      body: { properties: { actions: ['repositories/*/content/write'] } }
    })
    expect(patch.status).toBe(409)
    expect(patch.body).toMatchObject({ error: { code: 'SystemScopeMapReadOnly' } })
    const put = await call('PUT', path, {
      body: { properties: { actions: ['repositories/*/content/read'] } }
    })
    expect(put.status).toBe(409)
    const remove = await call('DELETE', path)
    expect(remove.status).toBe(409)
    const after = await call('GET', path)
    expect((after.body.properties as { actions: string[] }).actions).toEqual([
      'repositories/*/content/read'
    ])
    const token = await call(
      'PUT',
      `${REGISTRY_PATH()}/tokens/client01?api-version=2020-11-01-preview`,
      { body: { properties: { scopeMapId: `${REGISTRY_PATH()}/scopeMaps/_repositories_pull` } } }
    )
    expect(token.status).toBe(201)
  })
})

describe('Retry-After on async operations', () => {
  const patchRegistry = () =>
    call('PATCH', `${REGISTRY_PATH()}?api-version=2022-02-01-preview`, {
      body: { properties: { dataEndpointEnabled: true } }
    })

  it('on the 201 and on every poll while the operation runs, not after', async () => {
    emu.admin.setTiming({ lroMs: 300 })
    const started = await patchRegistry()
    expect(started.status).toBe(201)
    expect(started.headers['retry-after']).toBe('1')
    const statusPath = new URL(String(started.headers['azure-asyncoperation'])).pathname
    const running = await call('GET', `${statusPath}?api-version=2022-02-01-preview`)
    expect([running.body.status, running.headers['retry-after']]).toEqual(['InProgress', '1'])
    await new Promise((resolve) => setTimeout(resolve, 350))
    const done = await call('GET', `${statusPath}?api-version=2022-02-01-preview`)
    expect([done.body.status, done.headers['retry-after']]).toEqual(['Succeeded', undefined])
  })

  it('on a Location poll that still answers 202', async () => {
    emu.admin.setTiming({ lroMs: 300 })
    await call('PUT', `${REGISTRY_PATH()}/tokens/client02?api-version=2020-11-01-preview`, {
      body: { properties: { scopeMapId: `${REGISTRY_PATH()}/scopeMaps/_repositories_pull` } }
    })
    await new Promise((resolve) => setTimeout(resolve, 350))
    const started = await call(
      'POST',
      `${REGISTRY_PATH()}/generateCredentials?api-version=2020-11-01-preview`,
      { body: { tokenId: `${REGISTRY_PATH()}/tokens/client02` } }
    )
    expect([started.status, started.headers['retry-after']]).toEqual([202, '1'])
    const poll = await call(
      'GET',
      new URL(String(started.headers.location)).pathname + '?api-version=x'
    )
    expect([poll.status, poll.headers['retry-after']]).toEqual([202, '1'])
  })

  it('follows the lroRetryAfterSeconds knob; 0 leaves the header out', async () => {
    emu.admin.setTiming({ lroRetryAfterSeconds: 5 })
    expect((await patchRegistry()).headers['retry-after']).toBe('5')
    emu.admin.reset()
    emu.admin.setTiming({ lroRetryAfterSeconds: 0 })
    expect((await patchRegistry()).headers['retry-after']).toBeUndefined()
  })
})

describe('deletes in flight (az acr connected-registry delete --cleanup)', () => {
  it('a token being deleted no longer holds its scope map', async () => {
    emu.admin.setTiming({ lroMs: 300 })
    const v = '?api-version=2020-11-01-preview'
    await call('PUT', `${REGISTRY_PATH()}/scopeMaps/client03${v}`, {
      body: { properties: { actions: ['repositories/hello-world/content/read'] } }
    })
    await new Promise((resolve) => setTimeout(resolve, 350))
    await call('PUT', `${REGISTRY_PATH()}/tokens/client03${v}`, {
      body: { properties: { scopeMapId: `${REGISTRY_PATH()}/scopeMaps/client03` } }
    })
    await new Promise((resolve) => setTimeout(resolve, 350))
    const busyScopeMap = await call('DELETE', `${REGISTRY_PATH()}/scopeMaps/client03${v}`)
    expect(busyScopeMap.status).toBe(409)
    expect((await call('DELETE', `${REGISTRY_PATH()}/tokens/client03${v}`)).status).toBe(202)
    expect((await call('DELETE', `${REGISTRY_PATH()}/scopeMaps/client03${v}`)).status).toBe(202)
  })
})

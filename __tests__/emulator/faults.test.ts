// Faults, throttling, RBAC and auth failures as the real SDKs see them; the
// journal; the HTTP admin endpoint; Entra ID / GitHub OIDC sign-in through
// @azure/identity; and the CLI.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import https from 'node:https'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { ClientAssertionCredential, ClientSecretCredential } from '@azure/identity'
import type { RunningEmulator } from '../../emulator/index.js'
import {
  CLUSTER,
  K8S,
  POLL,
  REGISTRY,
  RG,
  armGet,
  createConnectedRegistry,
  fixedCredential,
  generateCredentials,
  installExtension,
  rawRequest,
  registryId,
  rejection,
  sdkClients,
  useEmulator,
  waitFor,
  type Clients
} from './helpers.js'

let emu: RunningEmulator
let c: Clients
// Fresh clients for every test: one that expires tokens must not poison the next one's cache.
useEmulator((suite) => ({ emu, c } = suite))

const journalOf = (operation: string) =>
  emu.admin.journal().filter((e) => e.operation === operation)

describe('fault injection through the SDK', () => {
  it('429 with Retry-After is retried after the announced delay', async () => {
    emu.admin.addFault({
      operation: 'Registries_Get',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 1,
      times: 1
    })
    const started = Date.now()
    const reg = await c.acr.registries.get(RG, REGISTRY)
    expect(reg.name).toBe(REGISTRY)
    expect(Date.now() - started).toBeGreaterThanOrEqual(950)
    expect(journalOf('Registries_Get').map((e) => [e.status, e.fault])).toEqual([
      [429, 'status'],
      [200, undefined]
    ])
    expect(emu.admin.faults()).toEqual([])
  })

  it('a burst of 503 and 500 answers is retried with back-off', async () => {
    emu.admin.addFault({ operation: 'Registries_Get', kind: 'status', status: 503, times: 2 })
    emu.admin.addFault({ operation: 'ConnectedCluster_Get', kind: 'status', status: 500, times: 1 })
    expect((await c.acr.registries.get(RG, REGISTRY)).name).toBe(REGISTRY)
    expect(journalOf('Registries_Get').map((e) => e.status)).toEqual([503, 503, 200])
    // The injected answer is an ARM error body.
    const injected = await armGet(
      emu,
      `/subscriptions/${c.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Kubernetes/connectedClusters/${CLUSTER}?api-version=2024-01-01`
    )
    expect(injected.status).toBe(500)
    expect(injected.body).toEqual({
      error: { code: 'InternalServerError', message: expect.stringContaining('Injected 500') }
    })
    expect(injected.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('a dropped connection is retried', async () => {
    emu.admin.addFault({ operation: 'Registries_Get', kind: 'drop', times: 1 })
    const reg = await c.acr.registries.get(RG, REGISTRY)
    expect(reg.name).toBe(REGISTRY)
    expect(journalOf('Registries_Get').map((e) => [e.status, e.fault])).toEqual([
      [0, 'drop'],
      [200, undefined]
    ])
  })

  it('without retries the dropped connection surfaces as ECONNRESET', async () => {
    emu.admin.addFault({
      pathIncludes: '/registries/contosoacr',
      method: 'GET',
      kind: 'drop',
      times: 1
    })
    const error = await rejection(
      sdkClients(emu, { maxRetries: 0 }).acr.registries.get(RG, REGISTRY)
    )
    expect(error.code).toBe('ECONNRESET')
  })

  it('latency delays the answer', async () => {
    emu.admin.addFault({ operation: 'Registries_Get', kind: 'latency', latencyMs: 300, times: 1 })
    const started = Date.now()
    await c.acr.registries.get(RG, REGISTRY)
    expect(Date.now() - started).toBeGreaterThanOrEqual(290)
    expect(journalOf('Registries_Get')[0].durationMs).toBeGreaterThanOrEqual(290)
  })

  it('lro-failure fails the next async operation: "The long-running operation has failed"', async () => {
    emu.admin.addFault({
      operation: 'ConnectedRegistries_Create',
      kind: 'lro-failure',
      code: 'ConnectedRegistryCreateFailed',
      message: 'parent token invalid',
      times: 1
    })
    const regId = registryId(c.subscriptionId)
    await c.acr.registries.update(RG, REGISTRY, { dataEndpointEnabled: true }, POLL)
    await c.acr.scopeMaps.create(
      RG,
      REGISTRY,
      'edgefail',
      { actions: ['repositories/a/content/read'] },
      POLL
    )
    await c.acr.tokens.create(
      RG,
      REGISTRY,
      'edgefail',
      { scopeMapId: `${regId}/scopeMaps/edgefail` },
      POLL
    )
    const create = () =>
      c.acr.connectedRegistries.create(
        RG,
        REGISTRY,
        'edgefail',
        {
          mode: 'ReadOnly',
          parent: { syncProperties: { tokenId: `${regId}/tokens/edgefail`, messageTtl: 'P2D' } }
        },
        POLL
      )
    const error = await rejection(create())
    expect(error.message).toBe(
      'The long-running operation has failed. ConnectedRegistryCreateFailed. parent token invalid'
    )
    expect((await c.acr.connectedRegistries.get(RG, REGISTRY, 'edgefail')).provisioningState).toBe(
      'Failed'
    )
    // Used up: the retry succeeds.
    expect((await create()).provisioningState).toBe('Succeeded')
  })

  it('lro-failure on an extension create fails the extension', async () => {
    emu.admin.addFault({
      operation: 'Extensions_Create',
      kind: 'lro-failure',
      code: 'ExtensionOperationFailed',
      message: 'helm install failed',
      times: 1
    })
    const d = await createConnectedRegistry(c, 'edgeextfail')
    const error = await rejection(
      installExtension(
        c,
        'edgeextfail',
        { 'service.clusterIP': '10.0.0.50' },
        { connectionString: d.connectionString }
      )
    )
    expect(error.message).toBe(
      'The long-running operation has failed. ExtensionOperationFailed. helm install failed'
    )
  })

  it('lro-failure on a Location-style action answers the poll with the error', async () => {
    const d = await createConnectedRegistry(c, 'edgegenfail')
    emu.admin.addFault({
      operation: 'Registries_GenerateCredentials',
      kind: 'lro-failure',
      status: 400,
      code: 'TokenPasswordGenerationFailed',
      message: 'no luck',
      times: 1
    })
    const error = await rejection(generateCredentials(c, d.tokenId, 'password1'))
    expect(error.statusCode).toBe(400)
    expect(error.code).toBe('TokenPasswordGenerationFailed')
    const slot = emu.admin
      .secretsForTests()
      .tokenPasswords.find((p) => p.tokenId === d.tokenId && p.current)
    expect(slot?.value).toBe(d.password)
  })
})

describe('throttling', () => {
  it('enforces the read budget with 429 TooManyRequests + Retry-After and reports what is left', async () => {
    const ok = await armGet(
      emu,
      `/subscriptions/${c.subscriptionId}/resourcegroups/${RG}?api-version=2021-04-01`
    )
    // The first ARM request since the reset, against the nominal hourly limits (12,000 / 1,200).
    expect(ok.headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('11999')
    expect(ok.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('1200')

    // A window far longer than the test, so the budget cannot roll over between the requests.
    emu.admin.setThrottle({ reads: 2, writes: 5, windowMs: 60_000 })
    const noRetry = sdkClients(emu, { maxRetries: 0 })
    await noRetry.acr.registries.get(RG, REGISTRY)
    await noRetry.acr.registries.get(RG, REGISTRY)
    const error = await rejection(noRetry.acr.registries.get(RG, REGISTRY))
    expect(error.statusCode).toBe(429)
    expect(error.code).toBe('TooManyRequests')
    expect(error.message).toMatch(/Number of 'read' requests for subscription '.*' exceeded/)
    // The rest of the 60 s window (at least 1 s, as before).
    expect(Number(error.response?.headers.get('retry-after'))).toBeGreaterThan(50)
    expect(error.response?.headers.get('x-ms-ratelimit-remaining-subscription-reads')).toBe('0')
    expect(error.response?.headers.get('x-ms-ratelimit-remaining-subscription-writes')).toBe('5')

    // The SDK waits out Retry-After and then succeeds. No read budget in a 1 s window: the first
    // attempt is always refused with Retry-After: 1; once it has been answered the budget is
    // lifted, so the retry succeeds whenever it comes.
    emu.admin.clearJournal()
    emu.admin.setThrottle({ reads: 0, writes: 5, windowMs: 1000 })
    const retried = c.acr.registries.get(RG, REGISTRY)
    await waitFor(
      'the throttled attempt',
      async () => journalOf('Registries_Get'),
      (entries) => entries.length > 0
    )
    emu.admin.setThrottle(null)
    await retried
    const attempts = journalOf('Registries_Get')
    expect(attempts.map((e) => e.status)).toEqual([429, 200])
    expect(Date.parse(attempts[1].time) - Date.parse(attempts[0].time)).toBeGreaterThanOrEqual(900)
  })

  it('enforces the write budget separately', async () => {
    emu.admin.setThrottle({ writes: 0, windowMs: 60_000 })
    await c.acr.registries.get(RG, REGISTRY)
    const error = await rejection(
      sdkClients(emu, { maxRetries: 0 }).acr.registries.update(
        RG,
        REGISTRY,
        { tags: { a: 'b' } },
        POLL
      )
    )
    expect(error.statusCode).toBe(429)
    expect(error.message).toMatch(/Number of 'write' requests/)
    expect(Number(error.response?.headers.get('retry-after'))).toBeGreaterThan(50)
    emu.admin.setThrottle(null)
    await c.acr.registries.update(RG, REGISTRY, { tags: { a: 'b' } }, POLL)
  })
})

describe('authorization and authentication', () => {
  it('a denied action answers 403 AuthorizationFailed in the ARM wording', async () => {
    const d = await createConnectedRegistry(c, 'edgerbac')
    emu.admin.denyActions(['Microsoft.ContainerRegistry/registries/generateCredentials/action'])
    const error = await rejection(generateCredentials(c, d.tokenId, 'password2'))
    expect(error.statusCode).toBe(403)
    expect(error.code).toBe('AuthorizationFailed')
    const sp = emu.admin.state().servicePrincipals[0]
    expect(error.message).toBe(
      `The client '${sp.clientId}' with object id '${sp.objectId}' does not have authorization to perform action 'Microsoft.ContainerRegistry/registries/generateCredentials/action' over scope '${registryId(c.subscriptionId)}' or the scope is invalid. If access was recently granted, please refresh your credentials.`
    )
    expect(journalOf('Registries_GenerateCredentials').map((e) => e.status)).toEqual([202, 403])
  })

  it('wildcards deny a whole provider', async () => {
    emu.admin.denyActions(['Microsoft.KubernetesConfiguration/*'])
    const error = await rejection(c.k8s.extensions.get(...K8S, 'x'))
    expect(error.code).toBe('AuthorizationFailed')
    expect(error.message).toMatch(/'Microsoft\.KubernetesConfiguration\/extensions\/read'/)
  })

  it("following an extension's operation needs extensions/operations/read", async () => {
    const d = await createConnectedRegistry(c, 'edgepollrbac')
    emu.admin.denyActions(['Microsoft.KubernetesConfiguration/extensions/operations/read'])
    const error = await rejection(
      installExtension(
        c,
        'edgepollrbac',
        { 'service.clusterIP': '10.0.0.50' },
        { connectionString: d.connectionString }
      )
    )
    expect(error.code).toBe('AuthorizationFailed')
    expect(error.message).toMatch(
      /'Microsoft\.KubernetesConfiguration\/extensions\/operations\/read'/
    )
    // The create itself was accepted: only following it was refused.
    expect(journalOf('Extensions_Create').map((e) => e.status)).toEqual([201])
  })

  it('expired tokens get 401 ExpiredAuthenticationToken with an invalid_token challenge', async () => {
    const token = emu.admin.issueAccessToken().token
    const fixed = sdkClients(emu, { credential: fixedCredential(token), maxRetries: 0 })
    await fixed.acr.registries.get(RG, REGISTRY)
    emu.admin.expireAllTokens()
    const error = await rejection(fixed.acr.registries.get(RG, REGISTRY))
    expect(error.statusCode).toBe(401)
    expect(error.code).toBe('ExpiredAuthenticationToken')
    expect(error.response?.headers.get('www-authenticate')).toMatch(
      /^Bearer authorization_uri="https:\/\/127\.0\.0\.1:\d+\/[-0-9a-f]+", error="invalid_token"/
    )
    // A client that asks for a new token works again.
    await sdkClients(emu).acr.registries.get(RG, REGISTRY)
  })

  it('missing and foreign bearer tokens are rejected', async () => {
    const armPath = `/subscriptions/${c.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.ContainerRegistry/registries/${REGISTRY}?api-version=2025-11-01`
    const missing = await rawRequest(emu, 'GET', armPath)
    expect(missing.status).toBe(401)
    expect(missing.body).toMatchObject({ error: { code: 'AuthenticationFailed' } })
    const forged = await rawRequest(emu, 'GET', armPath, {
      headers: { authorization: 'Bearer aaa.bbb.ccc' }
    })
    expect(forged.body).toMatchObject({ error: { code: 'InvalidAuthenticationToken' } })
    const noVersion = await armGet(emu, armPath.split('?')[0])
    expect(noVersion.body).toMatchObject({ error: { code: 'MissingApiVersionParameter' } })
  })
})

describe('journal', () => {
  it('records every request without any secret and can be cleared', async () => {
    const credential = new ClientSecretCredential(
      emu.env.AZURE_TENANT_ID,
      emu.env.AZURE_CLIENT_ID,
      emu.env.AZURE_CLIENT_SECRET,
      {
        authorityHost: emu.url,
        disableInstanceDiscovery: true,
        tlsOptions: { ca: emu.caPem }
      }
    )
    const viaSecret = sdkClients(emu, { credential })
    const d = await createConnectedRegistry(viaSecret, 'edgejournal')
    await installExtension(
      viaSecret,
      'edgejournal',
      { 'service.clusterIP': '10.0.0.50' },
      { connectionString: d.connectionString }
    )

    const journal = emu.admin.journal()
    const generate = journal.find((e) => e.operation === 'Registries_GenerateCredentials')
    expect(generate).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      method: 'POST',
      path: `${registryId(c.subscriptionId)}/generateCredentials`,
      apiVersion: '2025-11-01',
      operation: 'Registries_GenerateCredentials',
      status: 202,
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      write: true,
      durationMs: expect.any(Number),
      clientId: emu.env.AZURE_CLIENT_ID
    })
    const ops = new Set(journal.map((e) => e.operation))
    for (const op of [
      'OpenIdConfiguration_Get',
      'Token_Request',
      'Registries_Update',
      'ScopeMaps_Create',
      'Tokens_Create',
      'ConnectedRegistries_Create',
      'Extensions_Create',
      'OperationStatus_Get',
      'Extensions_Get'
    ]) {
      expect(ops).toContain(op)
    }
    expect(journal.find((e) => e.operation === 'Token_Request')).toMatchObject({
      write: false,
      status: 200,
      clientId: emu.env.AZURE_CLIENT_ID
    })
    expect(journal.find((e) => e.operation === 'Extensions_Create')).toMatchObject({
      write: true,
      apiVersion: '2023-05-01',
      status: 201
    })
    expect(
      journal.filter((e) => e.operation === 'OperationStatus_Get').every((e) => !e.write)
    ).toBe(true)
    expect(journal.every((e) => !e.path.includes('?'))).toBe(true)

    const secrets = emu.admin.secretsForTests()
    expect(secrets.all).toContain(emu.env.AZURE_CLIENT_SECRET)
    expect(secrets.all).toContain(d.password)
    expect(secrets.all).toContain(d.connectionString)
    expect(secrets.extensionProtectedSettings).toEqual([
      expect.objectContaining({ settings: { connectionString: d.connectionString } })
    ])
    expect(secrets.accessTokens.length).toBeGreaterThan(0)
    const text =
      JSON.stringify(journal) +
      JSON.stringify(emu.admin.state()) +
      JSON.stringify(emu.admin.events())
    for (const secret of secrets.all) expect(text.includes(secret)).toBe(false)

    emu.admin.clearJournal()
    expect(emu.admin.journal()).toEqual([])
  })
})

describe('HTTP admin endpoint', () => {
  const admin = (method: string, sub: string, body?: unknown) =>
    rawRequest(emu, method, `/_emulator${sub}`, { body })

  it('scripts faults, timing, connectivity, RBAC and the journal over HTTP', async () => {
    expect((await admin('GET', '/health')).body).toEqual({ ok: true })
    const added = await admin('POST', '/faults', {
      operation: 'Registries_Get',
      kind: 'status',
      status: 503,
      times: 1
    })
    expect(added.status).toBe(201)
    expect((added.body as { id: string }).id).toMatch(/^[0-9a-f-]{36}$/)
    expect((await admin('GET', '/faults')).body).toEqual([
      expect.objectContaining({ kind: 'status', status: 503, hits: 0 })
    ])
    const error = await rejection(
      sdkClients(emu, { maxRetries: 0 }).acr.registries.get(RG, REGISTRY)
    )
    expect(error.statusCode).toBe(503)
    const journal = (await admin('GET', '/journal')).body as { operation: string; status: number }[]
    expect(journal.map((e) => [e.operation, e.status])).toEqual([['Registries_Get', 503]])
    expect((await admin('DELETE', '/journal')).status).toBe(200)
    expect((await admin('GET', '/journal')).body).toEqual([])

    expect(((await admin('PATCH', '/timing', { lroMs: 5 })).body as { lroMs: number }).lroMs).toBe(
      5
    )
    expect((await admin('PATCH', '/timing', { lroMs: -1 })).status).toBe(400)
    expect((await admin('GET', '/cluster-behaviour')).body).toEqual({ rollingUpdate: true })
    expect((await admin('PATCH', '/cluster-behaviour', { rollingUpdate: false })).body).toEqual({
      rollingUpdate: false
    })
    expect((await admin('PATCH', '/cluster-behaviour', { rollingUpdate: 'no' })).status).toBe(400)
    expect((await admin('PATCH', '/cluster-behaviour', { surge: true })).status).toBe(400)
    expect((emu.admin.state() as { clusterBehaviour: unknown }).clusterBehaviour).toEqual({
      rollingUpdate: false
    })
    await admin('PUT', '/clusters/edge-cluster-offline/connectivity', { status: 'Connected' })
    const cluster = await c.acr.registries
      .get(RG, REGISTRY)
      .then(() =>
        armGet(
          emu,
          `/subscriptions/${c.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.Kubernetes/connectedClusters/edge-cluster-offline?api-version=2024-01-01`
        )
      )
    expect(
      (cluster.body as { properties: { connectivityStatus: string } }).properties.connectivityStatus
    ).toBe('Connected')

    await admin('PUT', '/denied-actions', {
      actions: ['Microsoft.ContainerRegistry/registries/read']
    })
    expect(
      (await rejection(sdkClients(emu, { maxRetries: 0 }).acr.registries.get(RG, REGISTRY)))
        .statusCode
    ).toBe(403)
    await admin('PUT', '/denied-actions', [])
    await admin('PUT', '/throttle', { reads: 100, windowMs: 60_000 })
    expect(((await admin('GET', '/state')).body as { throttle: unknown }).throttle).toEqual({
      reads: 100,
      windowMs: 60_000
    })
    await admin('DELETE', '/throttle')

    const state = await admin('GET', '/state')
    expect(state.text.includes(emu.env.AZURE_CLIENT_SECRET)).toBe(false)
    expect(
      (state.body as { registries: { name: string }[] }).registries.map((r) => r.name)
    ).toEqual(['contosoacr', 'contosobasic'])
    expect((await admin('POST', '/faults', { kind: 'explode' })).status).toBe(400)
    expect((await admin('GET', '/nope')).status).toBe(404)
    expect((await admin('POST', '/tokens/expire')).status).toBe(200)
    expect(
      (
        await rejection(
          sdkClients(emu, {
            maxRetries: 0,
            credential: fixedCredential(emu.admin.secretsForTests().accessTokens[0])
          }).acr.registries.get(RG, REGISTRY)
        )
      ).code
    ).toBe('ExpiredAuthenticationToken')
    expect((await admin('POST', '/reset')).status).toBe(200)
    expect(emu.admin.timing().lroMs).toBe(50)
  })
})

describe('sign-in through @azure/identity', () => {
  it('ClientSecretCredential gets a JWT that ARM accepts; a wrong secret is AADSTS7000215', async () => {
    const options = {
      authorityHost: emu.url,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: emu.caPem }
    }
    const credential = new ClientSecretCredential(
      emu.env.AZURE_TENANT_ID,
      emu.env.AZURE_CLIENT_ID,
      emu.env.AZURE_CLIENT_SECRET,
      options
    )
    const token = await credential.getToken('https://management.azure.com/.default')
    const [header, payload] = token.token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>)
    expect(header).toMatchObject({ alg: 'ES256', typ: 'JWT' })
    expect(payload).toMatchObject({
      aud: 'https://management.azure.com',
      tid: emu.env.AZURE_TENANT_ID,
      appid: emu.env.AZURE_CLIENT_ID
    })
    expect((payload.exp as number) * 1000).toBeGreaterThan(Date.now() + 3000_000)
    expect((await sdkClients(emu, { credential }).acr.registries.get(RG, REGISTRY)).name).toBe(
      REGISTRY
    )

    const wrong = new ClientSecretCredential(
      emu.env.AZURE_TENANT_ID,
      emu.env.AZURE_CLIENT_ID,
      'not-the-secret',
      options
    )
    await expect(wrong.getToken('https://management.azure.com/.default')).rejects.toThrow(
      /AADSTS7000215: Invalid client secret provided/
    )
    const unknownApp = new ClientSecretCredential(
      emu.env.AZURE_TENANT_ID,
      '11111111-1111-1111-1111-111111111111',
      'x',
      options
    )
    await expect(unknownApp.getToken('https://management.azure.com/.default')).rejects.toThrow(
      /AADSTS700016/
    )
  })

  it('GitHub OIDC (@actions/core getIDToken) + ClientAssertionCredential signs in end to end', async () => {
    const result = await runNode(path.resolve('__tests__/emulator/fixtures/oidc-sign-in.ts'), {
      ...process.env,
      ...emu.env
    })
    const last = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}') as {
      ok: boolean
      registry?: string
      error?: string
    }
    expect(last).toEqual({ ok: true, registry: REGISTRY })
    // getIDToken masks the token it got: the same value the emulator issued.
    const issued = emu.admin.secretsForTests().oidcTokens
    expect(issued.length).toBeGreaterThan(0)
    expect(issued.some((token) => result.stdout.includes(`::add-mask::${token}`))).toBe(true)
    const ops = emu.admin.journal().map((e) => `${e.operation} ${e.status}`)
    expect(ops).toEqual(
      expect.arrayContaining(['Oidc_Token 200', 'Token_Request 200', 'Registries_Get 200'])
    )
  })

  it('an unknown federated subject is AADSTS700213; a wrong request token is 401', async () => {
    emu.admin.setGithubClaims({ subject: 'repo:someone-else/fork:pull_request' })
    const url = `${emu.env.ACTIONS_ID_TOKEN_REQUEST_URL}&audience=${encodeURIComponent('api://AzureADTokenExchange')}`
    const fetchIdToken = async (requestToken: string) =>
      rawRequest(emu, 'GET', url.slice(emu.url.length), {
        headers: { authorization: `Bearer ${requestToken}` }
      })
    expect((await fetchIdToken('wrong')).status).toBe(401)
    const response = await fetchIdToken(emu.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)
    const idToken = (response.body as { value: string }).value
    const claims = JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url').toString()) as Record<
      string,
      unknown
    >
    expect(claims).toMatchObject({
      aud: 'api://AzureADTokenExchange',
      iss: 'https://token.actions.githubusercontent.com',
      sub: 'repo:someone-else/fork:pull_request'
    })
    const credential = new ClientAssertionCredential(
      emu.env.AZURE_TENANT_ID,
      emu.env.AZURE_CLIENT_ID,
      async () => idToken,
      {
        authorityHost: emu.url,
        disableInstanceDiscovery: true,
        tlsOptions: { ca: emu.caPem }
      }
    )
    await expect(credential.getToken('https://management.azure.com/.default')).rejects.toThrow(
      /AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:someone-else\/fork:pull_request'/
    )
  })
})

describe('CLI', () => {
  it('prints KEY=value lines and EMULATOR READY, writes --env-file, stops on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'emu-cli-'))
    const envFile = path.join(dir, 'emulator.env')
    // Node 20 itself consumes `--env-file <path>` after the script name unless the file exists.
    fs.writeFileSync(envFile, '')
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'emulator/cli.ts', '--port', '0', '--env-file', envFile],
      {
        cwd: path.resolve('.'),
        env: { ...process.env, NODE_OPTIONS: '' }
      }
    )
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code))
    )
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`CLI not ready: ${stdout}\n${stderr}`)),
          20_000
        )
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString()
          if (stdout.includes('EMULATOR READY\n')) {
            clearTimeout(timer)
            resolve()
          }
        })
      })
      const lines = stdout.split('\n').filter((l) => l.includes('='))
      const vars = Object.fromEntries(
        lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])
      )
      expect(Object.keys(vars).sort()).toEqual(
        [
          'ACTIONS_ID_TOKEN_REQUEST_TOKEN',
          'ACTIONS_ID_TOKEN_REQUEST_URL',
          'ARM_ENDPOINT',
          'AUTHORITY_HOST',
          'AZURE_CLIENT_ID',
          'AZURE_CLIENT_SECRET',
          'AZURE_SUBSCRIPTION_ID',
          'AZURE_TENANT_ID',
          'AZ_ENDPOINT_ACTIVE_DIRECTORY',
          'AZ_ENDPOINT_ACTIVE_DIRECTORY_RESOURCE_ID',
          'EMULATOR_ADMIN_URL',
          'KUBECONFIG',
          'NODE_EXTRA_CA_CERTS',
          'REQUESTS_CA_BUNDLE'
        ].sort()
      )
      expect(vars.ARM_ENDPOINT).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
      expect(vars.ACTIONS_ID_TOKEN_REQUEST_URL).toContain('?')
      expect(fs.readFileSync(envFile, 'utf8')).toBe(`${lines.join('\n')}\n`)
      const ca = fs.readFileSync(vars.NODE_EXTRA_CA_CERTS, 'utf8')
      expect(ca).toMatch(/^-----BEGIN CERTIFICATE-----/)
      const get = (url: string) =>
        new Promise<string>((resolve, reject) => {
          https
            .get(url, { ca }, (res) => {
              let text = ''
              res.on('data', (chunk: Buffer) => (text += chunk.toString()))
              res.on('end', () => resolve(text))
            })
            .on('error', reject)
        })
      expect(JSON.parse(await get(`${vars.EMULATOR_ADMIN_URL}/health`))).toEqual({ ok: true })
      // Without --quiet every request but the admin ones is logged to stderr.
      const metadataPath = `/${vars.AZURE_TENANT_ID}/v2.0/.well-known/openid-configuration`
      await get(`${vars.AUTHORITY_HOST}${metadataPath}`)
      await waitFor(
        'the request log line',
        async () => stderr,
        (text) => text.includes(`[emulator] 200 GET ${metadataPath}`)
      )
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
      expect(fs.existsSync(vars.NODE_EXTRA_CA_CERTS)).toBe(false)
    } finally {
      // A failed assertion must not leave the emulator running (jest would wait for it).
      if (child.exitCode === null) child.kill('SIGKILL')
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})

// ---- local helpers -------------------------------------------------------------------

function runNode(
  script: string,
  env: NodeJS.ProcessEnv
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: path.resolve('.'),
      env: { ...env, NODE_OPTIONS: '' }
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.on('exit', (code) => resolve({ code, stdout, stderr }))
  })
}

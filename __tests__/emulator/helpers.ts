// Shared helpers for the emulator tests: the per-file emulator set-up, real SDK
// clients that trust the emulator's CA in-process, a wire recorder, polling, and
// a scripted "what the action would do" to get a connected registry deployed.
import https from 'node:https'
import { afterAll, beforeAll, beforeEach } from '@jest/globals'
import type { ConnectedRegistry } from '@azure/arm-containerregistry'
import type { Extension } from '@azure/arm-kubernetesconfiguration'
import type { AccessToken, TokenCredential } from '@azure/identity'
import type { PipelinePolicy, RestError } from '@azure/core-rest-pipeline'
import { startEmulator, type RunningEmulator } from '../../emulator/index.js'
import { sdkClients, type ClientOptions, type Clients } from '../../__fixtures__/azure.js'
import { gatewayActions, repositoryActionsFor } from '../../emulator/cluster-sim.js'

export {
  sdkClients,
  testCredential,
  type ClientOptions,
  type Clients
} from '../../__fixtures__/azure.js'

export const RG = 'edge-rg'
export const REGISTRY = 'contosoacr'
export const CLUSTER = 'edge-cluster-01'
export const OFFLINE_CLUSTER = 'edge-cluster-offline'
export const CR_EXTENSION_TYPE = 'Microsoft.ContainerRegistry.ConnectedRegistry'

/** Short delays so scenario tests stay fast but every phase is still observable. */
export const FAST_TIMING = {
  lroMs: 10,
  extensionProvisioningMs: 40,
  activationMs: 40,
  syncingMs: 40,
  restartGapMs: 40,
  deletionMs: 20,
  // The SDK pollers wait out a Retry-After before the POLL interval: the default 1 s hint would
  // make every operation here (landing in lroMs) take a second of real time, and let the cluster
  // simulation run on meanwhile. Without the hint they poll at the emulator's speed. The hint and
  // its default are tested in az-routes.test.ts.
  lroRetryAfterSeconds: 0
}
/** Poll interval of the SDK pollers, in step with FAST_TIMING. */
export const POLL = { updateIntervalInMs: 10 }
/** Resource group, provider, type and name of a cluster: the leading arguments of every extension call. */
export function clusterArgs(cluster = CLUSTER) {
  return [RG, 'Microsoft.Kubernetes', 'connectedClusters', cluster] as const
}
export const K8S = clusterArgs()

/** A credential that always presents the same token (to see it expire). */
export function fixedCredential(token: string): TokenCredential {
  return {
    getToken: async (): Promise<AccessToken> => ({
      token,
      expiresOnTimestamp: Date.now() + 3600_000
    })
  }
}

export interface RecordedResponse {
  method: string
  url: string
  status: number
  headers: Record<string, string>
  body: unknown
}

/** A per-call pipeline policy that keeps every wire response (status, headers, parsed body). */
export function wireRecorder(): { policy: PipelinePolicy; records: RecordedResponse[] } {
  const records: RecordedResponse[] = []
  const policy: PipelinePolicy = {
    name: 'emulatorTestRecorder',
    async sendRequest(request, next) {
      const response = await next(request)
      let body: unknown
      if (response.bodyAsText) {
        try {
          body = JSON.parse(response.bodyAsText)
        } catch {
          body = response.bodyAsText
        }
      }
      records.push({
        method: request.method,
        url: request.url,
        status: response.status,
        headers: response.headers.toJSON(),
        body
      })
      return response
    }
  }
  return { policy, records }
}

/** What a test file works with: the running emulator and SDK clients for it. */
export interface EmulatorSuite {
  emu: RunningEmulator
  c: Clients
}

/**
 * One emulator for the test file: started before the first test, stopped after the last.
 * `use` gets it, with SDK clients made with `options.clients`, once it has started and, unless
 * `resetEachTest` is false, again before every test after a reset to the starting seed with
 * FAST_TIMING: fresh clients, so a test that expires tokens cannot poison the next one's cache.
 */
export function useEmulator(
  use: (suite: EmulatorSuite) => void,
  options: { clients?: ClientOptions; resetEachTest?: boolean } = {}
): void {
  let emu: RunningEmulator | undefined
  beforeAll(async () => {
    emu = await startEmulator({ quiet: true })
    use({ emu, c: sdkClients(emu, options.clients) })
  })
  afterAll(async () => {
    await emu?.stop()
  })
  if (options.resetEachTest === false) return
  beforeEach(() => {
    if (!emu) throw new Error('the emulator did not start')
    emu.admin.reset()
    emu.admin.setTiming(FAST_TIMING)
    use({ emu, c: sdkClients(emu, options.clients) })
  })
}

/** The error a call fails with (the test fails when it succeeds). */
export async function rejection(promise: Promise<unknown>): Promise<RestError & Error> {
  try {
    await promise
  } catch (e) {
    return e as RestError & Error
  }
  throw new Error('expected the call to fail')
}

/** Every item of a paged list (or every page of `byPage()`). */
export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of iterable) out.push(x)
  return out
}

export async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5000
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: T = await read()
  while (!done(last)) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
    last = await read()
  }
  return last
}

export function registryId(subscriptionId: string, registry = REGISTRY): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${RG}/providers/Microsoft.ContainerRegistry/registries/${registry}`
}

/** The gateway actions a connected registry's sync token needs: the emulator's own list. */
export { gatewayActions }

export interface Deployed {
  name: string
  tokenId: string
  scopeMapId: string
  gatewayEndpoint: string
  password: string
  connectionString: string
}

export function connectionString(
  name: string,
  token: string,
  password: string,
  endpoint: string,
  protocol = 'https'
): string {
  return `ConnectedRegistryName=${name};SyncTokenName=${token};SyncTokenPassword=${password};ParentGatewayEndpoint=${endpoint};ParentEndpointProtocol=${protocol}`
}

/** What the action does in the cloud: data endpoint, scope map, sync token, connected registry, password. */
export async function createConnectedRegistry(
  c: Clients,
  name: string,
  options: { mode?: string; parent?: string; extraActions?: string[]; gateway?: boolean } = {}
): Promise<Deployed> {
  const regId = registryId(c.subscriptionId)
  await c.acr.registries.update(RG, REGISTRY, { dataEndpointEnabled: true }, POLL)
  const scopeMapId = `${regId}/scopeMaps/${name}`
  const tokenId = `${regId}/tokens/${name}`
  await c.acr.scopeMaps.create(
    RG,
    REGISTRY,
    name,
    {
      actions: [
        ...repositoryActionsFor(options.mode ?? 'ReadOnly').map(
          (action) => `repositories/hello-world/${action}`
        ),
        ...(options.gateway === false ? [] : gatewayActions(name)),
        ...(options.extraActions ?? [])
      ]
    },
    POLL
  )
  await c.acr.tokens.create(RG, REGISTRY, name, { scopeMapId, status: 'enabled' }, POLL)
  const cr: ConnectedRegistry = await c.acr.connectedRegistries.create(
    RG,
    REGISTRY,
    name,
    {
      mode: options.mode ?? 'ReadOnly',
      parent: {
        ...(options.parent ? { id: `${regId}/connectedRegistries/${options.parent}` } : {}),
        syncProperties: { tokenId, messageTtl: 'P2D' }
      }
    },
    POLL
  )
  const creds = await generateCredentials(c, tokenId, 'password1')
  const password = creds.passwords?.find((p) => p.name === 'password1')?.value ?? ''
  const gatewayEndpoint = cr.parent?.syncProperties.gatewayEndpoint ?? ''
  return {
    name,
    tokenId,
    scopeMapId,
    gatewayEndpoint,
    password,
    connectionString: connectionString(name, name, password, gatewayEndpoint)
  }
}

/** New password(s) of a token: the named slot, or both without a name. */
export function generateCredentials(
  c: Clients,
  tokenId: string,
  name?: 'password1' | 'password2'
): ReturnType<Clients['acr']['registries']['generateCredentials']> {
  return c.acr.registries.generateCredentials(
    RG,
    REGISTRY,
    name ? { tokenId, name } : { tokenId },
    POLL
  )
}

export function extensionBody(
  settings: Record<string, string>,
  protectedSettings: Record<string, string>
): Extension {
  return {
    extensionType: CR_EXTENSION_TYPE,
    autoUpgradeMinorVersion: false,
    version: '0.11.0',
    releaseTrain: 'preview',
    scope: { cluster: { releaseNamespace: 'connected-registry' } },
    configurationSettings: settings,
    configurationProtectedSettings: protectedSettings
  }
}

export async function installExtension(
  c: Clients,
  name: string,
  settings: Record<string, string>,
  protectedSettings: Record<string, string>,
  cluster = CLUSTER
): Promise<Extension> {
  return c.k8s.extensions.beginCreateAndWait(
    ...clusterArgs(cluster),
    name,
    extensionBody(settings, protectedSettings),
    POLL
  )
}

export async function getConnectedRegistry(c: Clients, name: string): Promise<ConnectedRegistry> {
  return c.acr.connectedRegistries.get(RG, REGISTRY, name)
}

export async function waitForConnectionState(
  c: Clients,
  name: string,
  state: string,
  timeoutMs = 5000
): Promise<ConnectedRegistry> {
  return waitFor(
    `${name} ${state}`,
    () => getConnectedRegistry(c, name),
    (cr) => cr.connectionState === state,
    timeoutMs
  )
}

export interface DeployOnlineOptions {
  /** Extension configuration settings (default: service.clusterIP 10.0.0.50, in the cluster's range). */
  settings?: Record<string, string>
  cluster?: string
  mode?: string
  parent?: string
  extraActions?: string[]
}

/**
 * The whole deployment: the cloud side (createConnectedRegistry), the extension with the
 * connection string, then waits until the registry reports Online.
 */
export async function deployOnline(
  c: Clients,
  name: string,
  options: DeployOnlineOptions = {}
): Promise<Deployed & { online: ConnectedRegistry }> {
  const { settings = { 'service.clusterIP': '10.0.0.50' }, cluster = CLUSTER, ...create } = options
  const deployed = await createConnectedRegistry(c, name, create)
  await installExtension(
    c,
    name,
    settings,
    { connectionString: deployed.connectionString },
    cluster
  )
  const online = await waitForConnectionState(c, name, 'Online')
  return { ...deployed, online }
}

/** Plain HTTPS request to the emulator (for the admin API and raw checks). */
export function rawRequest(
  emu: RunningEmulator,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {}
): Promise<{
  status: number
  headers: Record<string, string | string[] | undefined>
  body: unknown
  text: string
}> {
  return new Promise((resolve, reject) => {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body)
    const req = https.request(
      `${emu.url}${path}`,
      {
        method,
        ca: emu.caPem,
        headers: {
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...(options.headers ?? {})
        }
      },
      (res) => {
        let text = ''
        res.on('data', (chunk: Buffer) => (text += chunk.toString()))
        res.on('end', () => {
          let body: unknown
          try {
            body = text ? JSON.parse(text) : undefined
          } catch {
            body = text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text })
        })
      }
    )
    req.on('error', reject)
    req.end(payload)
  })
}

/** GET with a freshly issued bearer token (raw ARM checks). */
export function armGet(emu: RunningEmulator, pathAndQuery: string) {
  return rawRequest(emu, 'GET', pathAndQuery, {
    headers: { authorization: `Bearer ${emu.admin.issueAccessToken().token}` }
  })
}

/** Connection-state transitions of one connected registry, in order. */
export function connectionStates(emu: RunningEmulator, name: string): string[] {
  return emu.admin
    .events()
    .filter(
      (e) =>
        e.resource.toLowerCase().endsWith(`/connectedregistries/${name.toLowerCase()}`) &&
        e.property === 'connectionState'
    )
    .map((e) => `${e.from}->${e.to}`)
}

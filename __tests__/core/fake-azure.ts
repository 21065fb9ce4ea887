// An in-memory Azure behind the port the core uses, on a virtual clock: the pipeline's logic
// (ordering, password slots, waiting, repair, deadline, preflight) runs in milliseconds.
//
// The modelled instance: an extension write makes a new release that is ready `provisioningMs`
// later; its instance reports `activationMs` after that, Online when the password in its
// connection string is still the one in its slot, Unhealthy/UNAUTHORIZED when it is not. Until
// a new instance reports, the registry shows what the previous one last said.

import type {
  ConnectedRegistry,
  GenerateCredentialsResult,
  Registry,
  ScopeMap,
  Token
} from '@azure/arm-containerregistry'
import type { Extension } from '@azure/arm-kubernetesconfiguration'
import { Deadline, withPhases } from '../../src/deadline.js'
import type {
  AzurePort,
  Clock,
  ConnectedClusterResource,
  Log,
  PermissionGrant
} from '../../src/ports.js'
import type { RunContext } from '../../src/run-context.js'
import type { Settings } from '../../src/settings.js'

/** Virtual time: sleeping advances it at once; aborts fire when time passes them. */
export class FakeClock implements Clock {
  private time = Date.UTC(2026, 10, 30, 1, 0, 0)
  private readonly alarms: { at: number; controller: AbortController }[] = []

  now(): number {
    return this.time
  }

  advance(ms: number): void {
    const target = this.time + ms
    for (const alarm of [...this.alarms].sort((a, b) => a.at - b.at)) {
      if (alarm.at <= target && !alarm.controller.signal.aborted) {
        this.time = Math.max(this.time, alarm.at)
        alarm.controller.abort(new DOMException('The operation was aborted.', 'AbortError'))
      }
    }
    this.time = target
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw signal.reason
    this.advance(ms)
    if (signal?.aborted) throw signal.reason
  }

  abortAfter(ms: number): AbortSignal {
    const controller = new AbortController()
    this.alarms.push({ at: this.time + ms, controller })
    return controller.signal
  }
}

export const SUB = '0b1f6471-1bf0-4dda-aec3-cb9272f09590'
const REGISTRY_ID = `/subscriptions/${SUB}/resourceGroups/edge-rg/providers/Microsoft.ContainerRegistry/registries/contosoacr`
const CLUSTER_ID = `/subscriptions/${SUB}/resourceGroups/edge-rg/providers/Microsoft.Kubernetes/connectedClusters/edge-cluster-01`

const notFound = (what: string) =>
  Object.assign(new Error(`${what} was not found.`), { statusCode: 404, code: 'ResourceNotFound' })

export const azureError = (statusCode: number, code: string, message: string) =>
  Object.assign(new Error(message), { statusCode, code })

interface Release {
  password?: string
  readyAt: number
}

interface Instance {
  password?: string
  /** When it first reports. */
  reportsAt: number
}

export class FakeAzure implements AzurePort {
  readonly correlationId = 'fake-correlation'
  /** Every call, in order: `GET registry`, `PUT token edge01reg`, ... */
  readonly calls: string[] = []
  /** How long a release takes to install, and its instance to report once installed. */
  provisioningMs = 3_000
  activationMs = 2_000
  /** Reads per resource, for the read budget. */
  reads(): number {
    return this.calls.filter((call) => call.startsWith('GET')).length
  }
  /** Errors the next calls of an operation throw, in order (e.g. `PUT extension`). */
  readonly failures = new Map<string, Error[]>()
  /** Called after each write, to let another party act (an overlapping run, a person). */
  afterWrite?: (call: string) => void
  /** Effective permissions per resource group scope; an Error is what the read throws. */
  readonly permissions = new Map<string, PermissionGrant[] | Error>()
  /** A write that never finishes until aborted (a stuck long-running operation). */
  stuck?: string

  registry: Registry = {
    id: REGISTRY_ID,
    name: 'contosoacr',
    location: 'eastus',
    sku: { name: 'Premium' },
    loginServer: 'contosoacr.azurecr.io',
    dataEndpointEnabled: true,
    dataEndpointHostNames: ['contosoacr.eastus.data.azurecr.io']
  } as Registry
  cluster: ConnectedClusterResource = {
    id: CLUSTER_ID,
    name: 'edge-cluster-01',
    properties: { connectivityStatus: 'Connected' }
  }
  readonly scopeMaps = new Map<string, ScopeMap>()
  readonly tokens = new Map<string, Token & { values: Record<string, string> }>()
  readonly connectedRegistries = new Map<string, ConnectedRegistry>()
  extension?: Extension & { protectedSettings?: Record<string, string> }
  /** When the instance of the last extension write first reports (its transition). */
  newInstanceReportsAt?: number
  /** When a read first returned that instance's Online. */
  onlineSeenAt?: number
  private release?: Release
  private instance?: Instance
  private lastReport?: Pick<ConnectedRegistry, 'connectionState' | 'statusDetails' | 'activation'>
  private passwordCount = 0

  constructor(readonly clock: FakeClock) {}

  writes(): string[] {
    return this.calls.filter((call) => !call.startsWith('GET'))
  }

  private async call(name: string, signal?: AbortSignal): Promise<void> {
    this.calls.push(name)
    const queued = this.failures.get(name)
    const failure = queued?.shift()
    if (failure) throw failure
    if (this.stuck === name) {
      // Holds until the deadline aborts it, as a long-running operation Azure never finishes.
      for (;;) await this.clock.sleep(1_000, signal)
    }
  }

  private async write(name: string, options: { abortSignal?: AbortSignal }): Promise<void> {
    await this.call(name, options.abortSignal)
    this.afterWrite?.(name)
  }

  /** Regenerates a slot as another party would (an overlapping run, a person). */
  regenerate(tokenName: string, slot: string): string {
    const token = this.tokens.get(tokenName)
    if (!token) throw new Error(`no token ${tokenName}`)
    const value = `pw-${++this.passwordCount}+/=`
    token.values[slot] = value
    const others = (token.credentials?.passwords ?? []).filter((p) => p.name !== slot)
    token.credentials = {
      passwords: [
        ...others,
        { name: slot as 'password1', creationTime: new Date(this.clock.now()) }
      ]
    }
    return value
  }

  /** Moves the modelled instance forward to now. */
  private simulate(): void {
    const now = this.clock.now()
    if (this.extension && this.release && now >= this.release.readyAt) {
      Object.assign(this.extension, { provisioningState: 'Succeeded' })
      this.instance = { password: this.release.password, reportsAt: now + this.activationMs }
      this.instance.reportsAt = this.release.readyAt + this.activationMs
      this.newInstanceReportsAt = this.instance.reportsAt
      this.onlineSeenAt = undefined
      this.release = undefined
    }
    const cr = [...this.connectedRegistries.values()][0]
    if (!cr) return
    if (this.instance && now >= this.instance.reportsAt) {
      const tokenName = cr.parent?.syncProperties?.tokenId?.split('/tokens/')[1] ?? ''
      const values = Object.values(this.tokens.get(tokenName)?.values ?? {})
      const valid = this.instance.password !== undefined && values.includes(this.instance.password)
      this.lastReport = valid
        ? { connectionState: 'Online', statusDetails: [], activation: { status: 'Active' } }
        : {
            connectionState: 'Unhealthy',
            statusDetails: [{ code: 'UNAUTHORIZED', description: 'Invalid credentials.' }] as never,
            activation: { status: 'Active' }
          }
      Object.assign(cr, { lastActivityTime: new Date(now) })
    }
    Object.assign(
      cr,
      this.lastReport ?? { connectionState: 'Offline', activation: { status: 'Inactive' } }
    )
  }

  private extensionWrite(password: string | undefined): void {
    if (!this.extension) return
    this.release = { password, readyAt: this.clock.now() + this.provisioningMs }
  }

  async getRegistry(): Promise<Registry> {
    await this.call('GET registry')
    return structuredClone(this.registry)
  }
  async enableDataEndpoint(_g: string, _r: string, o: { abortSignal?: AbortSignal }) {
    await this.write('PATCH registry', o)
    this.registry.dataEndpointEnabled = true
    return structuredClone(this.registry)
  }
  async generateCredentials(
    _g: string,
    _r: string,
    parameters: { tokenId?: string; name?: string },
    o: { abortSignal?: AbortSignal }
  ): Promise<GenerateCredentialsResult> {
    await this.call(`POST generateCredentials ${parameters.name}`, o.abortSignal)
    const tokenName = parameters.tokenId?.split('/tokens/')[1] ?? ''
    const value = this.regenerate(tokenName, parameters.name ?? 'password1')
    this.afterWrite?.(`POST generateCredentials ${parameters.name}`)
    return { username: tokenName, passwords: [{ name: parameters.name as 'password1', value }] }
  }

  async getScopeMap(_g: string, _r: string, name: string): Promise<ScopeMap> {
    await this.call(`GET scopeMap ${name}`)
    const found = this.scopeMaps.get(name)
    if (!found) throw notFound(`scope map ${name}`)
    return structuredClone(found)
  }
  async createScopeMap(
    _g: string,
    _r: string,
    name: string,
    scopeMap: { actions: string[]; description?: string },
    o: { abortSignal?: AbortSignal }
  ) {
    await this.write(`PUT scopeMap ${name}`, o)
    this.scopeMaps.set(name, { id: `${REGISTRY_ID}/scopeMaps/${name}`, name, ...scopeMap })
  }
  async updateScopeMap(
    _g: string,
    _r: string,
    name: string,
    scopeMap: { actions: string[] },
    o: { abortSignal?: AbortSignal }
  ) {
    await this.write(`PATCH scopeMap ${name}`, o)
    Object.assign(this.scopeMaps.get(name) ?? {}, scopeMap)
  }
  async deleteScopeMap(_g: string, _r: string, name: string, o: { abortSignal?: AbortSignal }) {
    await this.write(`DELETE scopeMap ${name}`, o)
    if (!this.scopeMaps.delete(name)) throw notFound(`scope map ${name}`)
  }

  async getToken(_g: string, _r: string, name: string): Promise<Token> {
    await this.call(`GET token ${name}`)
    const found = this.tokens.get(name)
    if (!found) throw notFound(`token ${name}`)
    const token: Token & { values?: unknown } = structuredClone(found)
    delete token.values
    return token
  }
  async createToken(
    _g: string,
    _r: string,
    name: string,
    token: { scopeMapId: string; status: 'enabled' },
    o: { abortSignal?: AbortSignal }
  ) {
    await this.write(`PUT token ${name}`, o)
    this.tokens.set(name, { id: `${REGISTRY_ID}/tokens/${name}`, name, ...token, values: {} })
  }
  async updateToken(
    _g: string,
    _r: string,
    name: string,
    token: { scopeMapId: string; status: 'enabled' },
    o: { abortSignal?: AbortSignal }
  ) {
    await this.write(`PATCH token ${name}`, o)
    Object.assign(this.tokens.get(name) ?? {}, token)
  }
  async deleteToken(_g: string, _r: string, name: string, o: { abortSignal?: AbortSignal }) {
    await this.write(`DELETE token ${name}`, o)
    if (!this.tokens.delete(name)) throw notFound(`token ${name}`)
  }

  async getConnectedRegistry(_g: string, _r: string, name: string): Promise<ConnectedRegistry> {
    await this.call(`GET connectedRegistry ${name}`)
    this.simulate()
    const found = this.connectedRegistries.get(name)
    if (!found) throw notFound(`connected registry ${name}`)
    const fromNewInstance =
      this.newInstanceReportsAt !== undefined &&
      (found.lastActivityTime?.getTime() ?? 0) >= this.newInstanceReportsAt
    if (found.connectionState === 'Online' && fromNewInstance)
      this.onlineSeenAt ??= this.clock.now()
    return structuredClone(found)
  }
  async *listConnectedRegistries(): AsyncIterable<ConnectedRegistry> {
    await this.call('GET connectedRegistries')
    yield* []
  }
  async createConnectedRegistry(
    _g: string,
    _r: string,
    name: string,
    connectedRegistry: ConnectedRegistry,
    o: { abortSignal?: AbortSignal }
  ) {
    await this.write(`PUT connectedRegistry ${name}`, o)
    this.connectedRegistries.set(name, {
      ...structuredClone(connectedRegistry),
      id: `${REGISTRY_ID}/connectedRegistries/${name}`,
      name,
      connectionState: 'Offline',
      activation: { status: 'Inactive' },
      parent: {
        ...connectedRegistry.parent,
        syncProperties: {
          ...connectedRegistry.parent?.syncProperties,
          tokenId: connectedRegistry.parent?.syncProperties?.tokenId ?? '',
          messageTtl: connectedRegistry.parent?.syncProperties?.messageTtl ?? 'P1D',
          gatewayEndpoint: this.registry.dataEndpointHostNames?.[0]
        }
      }
    })
  }
  async updateConnectedRegistry(
    _g: string,
    _r: string,
    name: string,
    update: object,
    o: { abortSignal?: AbortSignal }
  ) {
    await this.write(`PATCH connectedRegistry ${name}`, o)
    Object.assign(this.connectedRegistries.get(name) ?? {}, update)
  }
  async deactivateConnectedRegistry(
    _g: string,
    _r: string,
    name: string,
    o: { abortSignal?: AbortSignal }
  ) {
    await this.write(`POST deactivate ${name}`, o)
    this.lastReport = undefined
    this.instance = undefined
  }
  async deleteConnectedRegistry(
    _g: string,
    _r: string,
    name: string,
    o: { abortSignal?: AbortSignal }
  ) {
    await this.write(`DELETE connectedRegistry ${name}`, o)
    if (!this.connectedRegistries.delete(name)) throw notFound(`connected registry ${name}`)
  }

  async getConnectedCluster(): Promise<ConnectedClusterResource> {
    await this.call('GET cluster')
    return structuredClone(this.cluster)
  }

  async getExtension(_c: unknown, name: string): Promise<Extension> {
    await this.call(`GET extension ${name}`)
    this.simulate()
    if (!this.extension) throw notFound(`extension ${name}`)
    const visible: Extension & { protectedSettings?: unknown } = structuredClone(this.extension)
    // Azure never returns protected settings.
    delete visible.protectedSettings
    return visible
  }
  async startExtensionCreate(
    _c: unknown,
    name: string,
    extension: Extension,
    o: { abortSignal?: AbortSignal }
  ) {
    await this.call(`PUT extension ${name}`, o.abortSignal)
    const { configurationProtectedSettings, ...rest } = extension
    this.extension = {
      ...structuredClone(rest),
      id: `${CLUSTER_ID}/providers/Microsoft.KubernetesConfiguration/extensions/${name}`,
      provisioningState: 'Creating',
      protectedSettings: configurationProtectedSettings,
      systemData: { lastModifiedAt: new Date(this.clock.now()) }
    }
    this.extensionWrite(passwordIn(configurationProtectedSettings))
    this.afterWrite?.(`PUT extension ${name}`)
  }
  async startExtensionUpdate(
    _c: unknown,
    name: string,
    patch: {
      configurationSettings?: Record<string, string>
      configurationProtectedSettings?: Record<string, string>
    },
    o: { abortSignal?: AbortSignal }
  ) {
    await this.call(`PATCH extension ${name}`, o.abortSignal)
    if (!this.extension) throw notFound(`extension ${name}`)
    const { configurationProtectedSettings, ...rest } = patch
    Object.assign(this.extension, structuredClone(rest), {
      // A PATCH merges configuration settings, as Azure does.
      configurationSettings: {
        ...this.extension.configurationSettings,
        ...structuredClone(rest.configurationSettings)
      },
      provisioningState: 'Updating',
      systemData: { lastModifiedAt: new Date(this.clock.now()) }
    })
    if (configurationProtectedSettings)
      this.extension.protectedSettings = configurationProtectedSettings
    this.extensionWrite(passwordIn(this.extension.protectedSettings))
    this.afterWrite?.(`PATCH extension ${name}`)
  }
  async deleteExtension(_c: unknown, name: string, o: { abortSignal?: AbortSignal }) {
    await this.call(`DELETE extension ${name}`, o.abortSignal)
    if (!this.extension) throw notFound(`extension ${name}`)
    this.extension = undefined
    this.release = undefined
    this.instance = undefined
    this.afterWrite?.(`DELETE extension ${name}`)
  }

  async readPermissions(scope: string): Promise<PermissionGrant[]> {
    await this.call(`GET permissions ${scope.split('/').pop()}`)
    const granted = this.permissions.get(scope.toLowerCase()) ?? [{ actions: ['*'] }]
    if (granted instanceof Error) throw granted
    return granted
  }
}

const passwordIn = (settings: Record<string, string> | undefined): string | undefined =>
  /SyncTokenPassword=([^;]*)/.exec(settings?.connectionString ?? '')?.[1]

/** A log that keeps every line, for assertions on what a user reads. */
export function recordingLog(): Log & { lines: string[] } {
  const lines: string[] = []
  return {
    lines,
    info: (message) => void lines.push(message),
    warning: (message) => void lines.push(`warning: ${message}`),
    debug: () => undefined,
    group: async (name, fn) => {
      lines.push(`## ${name}`)
      return fn()
    },
    mask: () => undefined
  }
}

/** A run against `azure` with a deadline on its clock; groups set the deadline's phase. */
export function runContext(
  azure: FakeAzure,
  settings: Settings
): RunContext & { log: ReturnType<typeof recordingLog> } {
  const deadline = new Deadline(settings.behaviour.timeoutMs, azure.clock)
  const log = recordingLog()
  return { azure, settings, log: { ...withPhases(log, deadline), lines: log.lines }, deadline }
}

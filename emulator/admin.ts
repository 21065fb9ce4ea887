// Control of the emulator from tests, benchmarks and scripts: in-process
// (EmulatorAdmin) and over HTTP under /_emulator/ (same powers, JSON, no auth,
// loopback only). Secrets are only ever available in-process (secretsForTests).
import { renderConnectedRegistry } from './arm/connectedregistries.js'
import { renderCluster, renderResourceGroup } from './arm/clusters.js'
import { childNamed, type ArmEnv } from './arm/common.js'
import { renderExtension } from './arm/extensions.js'
import { renderRegistry } from './arm/registries.js'
import { renderScopeMap, renderToken } from './arm/tokens.js'
import type { ActiveFault, FaultRule, FaultStore } from './faults.js'
import type { Reply } from './http.js'
import type { TokenService } from './identity.js'
import type { Journal, JournalEntry } from './journal.js'
import type { Seed } from './seed.js'
import type { Throttle, ThrottleConfig } from './throttle.js'
import {
  AdminError,
  type ClusterBehaviour,
  type GithubSettings,
  type Timing,
  type WorldEvent
} from './world.js'

export interface EmulatorSecrets {
  clientSecrets: { clientId: string; clientSecret: string }[]
  githubRequestToken: string
  /** Every password value ever generated or seeded, per token and slot (current and rotated out). */
  tokenPasswords: { tokenId: string; slot: string; value: string; current: boolean }[]
  accessTokens: string[]
  oidcTokens: string[]
  /** Protected settings as each extension received them (every create/update). */
  extensionProtectedSettings: {
    extensionId: string
    time: string
    settings: Record<string, string>
  }[]
  /** All secret strings above, flattened: scan logs and files for any of them. */
  all: string[]
}

export interface EmulatorAdmin {
  journal(): JournalEntry[]
  clearJournal(): void
  /**
   * In-process only: calls `listener` with each journal entry the moment it is recorded, right
   * after its answer went out (to act at an exact point of a run, e.g. end the client there).
   * Returns the function that stops it.
   */
  onRequest(listener: (entry: JournalEntry) => void): () => void
  /** Adds a fault rule; returns its id. */
  addFault(rule: FaultRule): string
  removeFault(id: string): boolean
  clearFaults(): void
  faults(): ActiveFault[]
  /** ARM request budget per window (429 TooManyRequests when exceeded); null = no enforced budget. */
  setThrottle(config: ThrottleConfig | null): void
  /** Replaces the list of denied RBAC actions (`*` wildcards allowed); [] allows everything. */
  denyActions(actions: string[]): void
  deniedActions(): string[]
  /** Changes some delays; returns the full timing now in force. */
  setTiming(partial: Partial<Timing>): Timing
  timing(): Timing
  /** Changes how the simulated chart rolls out a new pod (our assumption); returns it all. */
  setClusterBehaviour(partial: Partial<ClusterBehaviour>): ClusterBehaviour
  clusterBehaviour(): ClusterBehaviour
  /** Page size of list answers (nextLink paging). */
  setPageSize(size: number): void
  /** Access tokens issued so far are rejected from now on (401 ExpiredAuthenticationToken). */
  expireAllTokens(): void
  /** Mints an ARM access token in-process (default: the first seeded service principal). */
  issueAccessToken(options?: { clientId?: string; resource?: string }): {
    token: string
    expiresOnTimestamp: number
  }
  /** JSON snapshot of the world (no secret values). */
  state(): EmulatorState
  /** In-process only: secret values, so tests can scan output for leaks. */
  secretsForTests(): EmulatorSecrets
  /** Timeline of simulated transitions, with the time each logically happened. */
  events(): WorldEvent[]
  /** Cluster name or resource ID. */
  setClusterConnectivity(cluster: string, status: 'Connected' | 'Offline'): void
  /** 'Active' = activated by an instance outside the emulator; 'Inactive' = as after deactivate. */
  setConnectedRegistryActivation(
    registry: string,
    connectedRegistry: string,
    status: 'Active' | 'Inactive'
  ): void
  /** Changes what the GitHub OIDC tokens claim (e.g. another `subject` to test AADSTS700213). */
  setGithubClaims(claims: Partial<Omit<GithubSettings, 'requestToken'>>): void
  /** Rebuilds the world from a seed (default: the one the emulator started with). */
  reset(seed?: Seed | string): void
}

export interface EmulatorState {
  now: string
  tenantId: string
  subscriptions: { id: string; displayName: string }[]
  servicePrincipals: {
    clientId: string
    objectId: string
    displayName: string
    federatedCredentials: unknown[]
  }[]
  github: Omit<GithubSettings, 'requestToken'>
  resourceGroups: unknown[]
  registries: unknown[]
  scopeMaps: unknown[]
  tokens: unknown[]
  connectedRegistries: unknown[]
  connectedClusters: unknown[]
  extensions: unknown[]
  instances: unknown[]
  operations: unknown[]
  timing: Timing
  clusterBehaviour: ClusterBehaviour
  throttle: ThrottleConfig | null
  faults: ActiveFault[]
  deniedActions: string[]
  pageSize: number
  pendingTransitions: { at: string; label: string }[]
}

export interface AdminDeps {
  env: ArmEnv
  tokens: TokenService
  faults: FaultStore
  throttle: Throttle
  journal: Journal
  reset: (seed?: Seed | string) => void
  secrets: () => EmulatorSecrets
}

export function createAdmin(deps: AdminDeps): EmulatorAdmin {
  const { env, tokens, faults, throttle, journal } = deps
  const { world, sim } = env
  const now = () => Date.now()
  const advanced = <T>(f: () => T): T => {
    world.advance(now())
    return f()
  }

  return {
    journal: () => journal.list(),
    clearJournal: () => journal.clear(),
    onRequest: (listener) => journal.subscribe(listener),
    addFault: (rule) => faults.add(rule),
    removeFault: (id) => faults.remove(id),
    clearFaults: () => faults.clear(),
    faults: () => faults.list(),
    setThrottle: (config) => throttle.set(config, now()),
    denyActions: (actions) => {
      if (!Array.isArray(actions) || actions.some((a) => typeof a !== 'string'))
        throw new AdminError('actions must be an array of strings')
      world.deniedActions = [...actions]
    },
    deniedActions: () => [...world.deniedActions],
    setTiming: (partial) => {
      for (const [k, v] of Object.entries(partial)) {
        if (!Object.hasOwn(world.timing, k)) throw new AdminError(`unknown timing '${k}'`)
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
          throw new AdminError(`timing '${k}' must be a number >= 0`)
      }
      world.timing = { ...world.timing, ...partial }
      return { ...world.timing }
    },
    timing: () => ({ ...world.timing }),
    setClusterBehaviour: (partial) => {
      for (const [k, v] of Object.entries(partial)) {
        if (!Object.hasOwn(world.clusterBehaviour, k))
          throw new AdminError(`unknown cluster behaviour '${k}'`)
        if (typeof v !== 'boolean')
          throw new AdminError(`cluster behaviour '${k}' must be a boolean`)
      }
      world.clusterBehaviour = { ...world.clusterBehaviour, ...partial }
      return { ...world.clusterBehaviour }
    },
    clusterBehaviour: () => ({ ...world.clusterBehaviour }),
    setPageSize: (size) => {
      if (!Number.isInteger(size) || size < 1)
        throw new AdminError('page size must be an integer >= 1')
      world.pageSize = size
    },
    expireAllTokens: () => tokens.expireAll(now()),
    issueAccessToken: (options = {}) => {
      const sps = [...world.servicePrincipals.values()]
      const sp = options.clientId
        ? world.servicePrincipals.get(options.clientId.toLowerCase())
        : sps[0]
      if (!sp) throw new AdminError(`no service principal '${options.clientId ?? ''}' in the seed`)
      return tokens.issueAccessToken(sp, options.resource ?? 'https://management.azure.com', now())
    },
    state: () => advanced(() => snapshot(deps)),
    secretsForTests: () => deps.secrets(),
    events: () => advanced(() => world.events()),
    setClusterConnectivity: (clusterName, status) => {
      if (status !== 'Connected' && status !== 'Offline')
        throw new AdminError("status must be 'Connected' or 'Offline'")
      const t = now()
      world.mutate(t, () => {
        const cluster = world.findClusterByName(clusterName)
        if (!cluster) throw new AdminError(`no connected cluster '${clusterName}'`)
        sim.setClusterConnectivity(cluster, status, t)
      })
    },
    setConnectedRegistryActivation: (registryName, crName, status) => {
      if (status !== 'Active' && status !== 'Inactive')
        throw new AdminError("status must be 'Active' or 'Inactive'")
      const t = now()
      world.mutate(t, () => {
        const reg = world.findRegistryByName(registryName)
        const cr = reg && childNamed(world.connectedRegistries, reg, 'connectedRegistries', crName)
        if (!cr)
          throw new AdminError(`no connected registry '${crName}' in registry '${registryName}'`)
        sim.setExternalActivation(cr, status, t)
      })
    },
    setGithubClaims: (claims) => {
      const { requestToken: _ignored, ...rest } = claims as Partial<GithubSettings>
      void _ignored
      world.github = { ...world.github, ...rest }
    },
    reset: (seed) => deps.reset(seed)
  }
}

function snapshot(deps: AdminDeps): EmulatorState {
  const { env, throttle, faults } = deps
  const { world } = env
  const { requestToken: _secret, ...github } = world.github
  void _secret
  return {
    now: new Date().toISOString(),
    tenantId: world.tenantId,
    subscriptions: [...world.subscriptions.values()].map(({ id, displayName }) => ({
      id,
      displayName
    })),
    servicePrincipals: [...world.servicePrincipals.values()].map(
      ({ clientId, objectId, displayName, federatedCredentials }) => ({
        clientId,
        objectId,
        displayName,
        federatedCredentials
      })
    ),
    github,
    resourceGroups: [...world.resourceGroups.values()].map(renderResourceGroup),
    registries: [...world.registries.values()].map(renderRegistry),
    scopeMaps: [...world.scopeMaps.values()].map(renderScopeMap),
    tokens: [...world.tokens.values()].map(renderToken),
    connectedRegistries: [...world.connectedRegistries.values()].map((cr) => ({
      ...renderConnectedRegistry(env, cr),
      runtime: {
        activationOwner: cr.runtime.activationOwner ?? null,
        reportedBy: cr.runtime.reportedBy ?? null
      }
    })),
    connectedClusters: [...world.clusters.values()].map((c) => ({
      ...renderCluster(env, c),
      serviceCidr: c.serviceCidr ?? null
    })),
    extensions: [...world.extensions.values()].map((e) => ({
      ...renderExtension(env, e),
      protectedSettingKeys: Object.keys(e.protectedSettings),
      instanceId: e.instanceId ?? null,
      pending: e.pending ?? null
    })),
    instances: [...world.instances.values()].map((i) => ({
      id: i.id,
      releaseId: i.releaseId,
      extensionId: i.extensionId,
      phase: i.phase,
      waitingFor: i.waitingFor ?? null,
      connectedRegistryId: i.connectedRegistryKey
        ? (world.connectedRegistries.get(i.connectedRegistryKey)?.id ?? null)
        : null,
      passwordSlot: i.passwordSlot ?? null,
      problem: i.problem ?? null,
      clusterIP: i.clusterIP,
      tlsEnabled: i.tlsEnabled,
      version: i.version,
      repositories: i.repositories ?? null,
      startedAt: new Date(i.startedAt).toISOString()
    })),
    operations: [...world.operations.values()].map((o) => ({
      id: o.id,
      operation: o.operation,
      resourceId: o.resourceId,
      status: o.status,
      startTime: new Date(o.startTime).toISOString(),
      endTime: o.endTime === undefined ? null : new Date(o.endTime).toISOString(),
      error: o.error ?? null
    })),
    timing: { ...world.timing },
    clusterBehaviour: { ...world.clusterBehaviour },
    throttle: throttle.current(),
    faults: faults.list(),
    deniedActions: [...world.deniedActions],
    pageSize: world.pageSize,
    pendingTransitions: world.pendingTransitions()
  }
}

/**
 * HTTP admin routes (relative to /_emulator):
 *   GET    /health                  → { ok: true }
 *   GET    /journal | DELETE /journal
 *   GET    /state | GET /events
 *   GET    /faults | POST /faults (rule → { id }) | DELETE /faults | DELETE /faults/{id}
 *   PUT    /throttle ({reads?, writes?, windowMs} or null) | DELETE /throttle
 *   GET    /denied-actions | PUT /denied-actions ({ actions: [...] } or [...])
 *   GET    /timing | PATCH|PUT /timing (partial)
 *   GET    /cluster-behaviour | PATCH|PUT /cluster-behaviour (partial)
 *   PUT    /page-size ({ pageSize })
 *   POST   /tokens/expire
 *   PUT    /clusters/{cluster}/connectivity ({ status: 'Connected'|'Offline' })
 *   PUT    /registries/{registry}/connectedRegistries/{name}/activation ({ status: 'Active'|'Inactive' })
 *   PATCH  /github (claims)
 *   POST   /reset (optional seed object, or { seedPath })
 */
export function handleAdminRequest(
  admin: EmulatorAdmin,
  method: string,
  subPath: string,
  rawBody: string
): Reply {
  const body = (): unknown => {
    if (rawBody.trim() === '') return undefined
    try {
      return JSON.parse(rawBody) as unknown
    } catch {
      throw new AdminError('the request body is not valid JSON')
    }
  }
  const obj = (): Record<string, unknown> => {
    const b = body()
    if (typeof b !== 'object' || b === null || Array.isArray(b))
      throw new AdminError('expected a JSON object body')
    return b as Record<string, unknown>
  }
  const ok = (value: unknown = { ok: true }): Reply => ({ status: 200, body: value })
  const segments = subPath.split('/').filter(Boolean).map(decodeURIComponent)
  const route = `${method} /${segments.map((s, i) => (dynamic(segments, i) ? '*' : s)).join('/')}`
  switch (route) {
    case 'GET /':
    case 'GET /health':
      return ok({ ok: true })
    case 'GET /journal':
      return ok(admin.journal())
    case 'DELETE /journal':
      admin.clearJournal()
      return ok()
    case 'GET /state':
      return ok(admin.state())
    case 'GET /events':
      return ok(admin.events())
    case 'GET /faults':
      return ok(admin.faults())
    case 'POST /faults':
      try {
        return { status: 201, body: { id: admin.addFault(obj() as unknown as FaultRule) } }
      } catch (e) {
        throw e instanceof AdminError ? e : new AdminError((e as Error).message)
      }
    case 'DELETE /faults':
      admin.clearFaults()
      return ok()
    case 'DELETE /faults/*':
      return admin.removeFault(segments[1])
        ? ok()
        : {
            status: 404,
            body: { error: { code: 'NotFound', message: `no fault '${segments[1]}'` } }
          }
    case 'PUT /throttle': {
      const b = body()
      try {
        admin.setThrottle(b === undefined || b === null ? null : (b as ThrottleConfig))
      } catch (e) {
        throw new AdminError((e as Error).message)
      }
      return ok()
    }
    case 'DELETE /throttle':
      admin.setThrottle(null)
      return ok()
    case 'GET /denied-actions':
      return ok(admin.deniedActions())
    case 'PUT /denied-actions': {
      const b = body()
      admin.denyActions(
        (Array.isArray(b)
          ? b
          : ((b as { actions?: unknown } | undefined)?.actions ?? [])) as string[]
      )
      return ok()
    }
    case 'GET /timing':
      return ok(admin.timing())
    case 'PUT /timing':
    case 'PATCH /timing':
      return ok(admin.setTiming(obj() as Partial<Timing>))
    case 'GET /cluster-behaviour':
      return ok(admin.clusterBehaviour())
    case 'PUT /cluster-behaviour':
    case 'PATCH /cluster-behaviour':
      return ok(admin.setClusterBehaviour(obj() as Partial<ClusterBehaviour>))
    case 'PUT /page-size':
      admin.setPageSize(Number(obj().pageSize))
      return ok()
    case 'POST /tokens/expire':
      admin.expireAllTokens()
      return ok()
    case 'PUT /clusters/*/connectivity':
      admin.setClusterConnectivity(segments[1], obj().status as 'Connected' | 'Offline')
      return ok()
    case 'PUT /registries/*/connectedRegistries/*/activation':
      admin.setConnectedRegistryActivation(
        segments[1],
        segments[3],
        obj().status as 'Active' | 'Inactive'
      )
      return ok()
    case 'PATCH /github':
      admin.setGithubClaims(obj() as Partial<GithubSettings>)
      return ok()
    case 'POST /reset': {
      const b = body() as (Seed & { seedPath?: string }) | undefined
      try {
        admin.reset(b === undefined ? undefined : typeof b.seedPath === 'string' ? b.seedPath : b)
      } catch (e) {
        throw new AdminError((e as Error).message)
      }
      return ok()
    }
    default:
      return {
        status: 404,
        body: {
          error: { code: 'NotFound', message: `no admin route ${method} /_emulator${subPath}` }
        }
      }
  }
}

/** Which path segments are names (cluster, registry, fault id) rather than fixed words. */
function dynamic(segments: string[], i: number): boolean {
  const first = segments[0]
  if (first === 'faults') return i === 1
  if (first === 'clusters') return i === 1
  if (first === 'registries') return i === 1 || i === 3
  return false
}

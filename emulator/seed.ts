// The seed: the world the emulator starts with (YAML or JSON file, or an object).
// Children name their parents (registry, scope map, token, cluster) by name.
import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse as parseYaml } from 'yaml'
import { canonical } from './arm/common.js'
import { CONNECTED_REGISTRY_MODES } from './arm/connectedregistries.js'
import { defaultRegistryProperties, SKUS } from './arm/registries.js'
import { addSystemScopeMaps } from './arm/system-scope-maps.js'
import { isConnectedRegistryExtension } from './chart.js'
import type { ClusterSimulator } from './cluster-sim.js'
import type { KubeSeed } from './kube/seed.js'
import { GITHUB_OIDC_ISSUER, TOKEN_EXCHANGE_AUDIENCE } from './identity.js'
import type { FaultRule } from './faults.js'
import { childId, clusterId, extensionId, key, registryId, resourceGroupId } from './ids.js'
import type { Operations } from './lro.js'
import type { ThrottleConfig } from './throttle.js'
import {
  DEFAULT_CLUSTER_BEHAVIOUR,
  DEFAULT_TIMING,
  LOCATION_DEFAULT,
  systemData,
  type ConnectedCluster,
  type ConnectedRegistry,
  type Extension,
  type GithubSettings,
  type PasswordName,
  type Registry,
  type ClusterBehaviour,
  type Timing,
  type Token,
  type World
} from './world.js'

export interface SeedServicePrincipal {
  clientId: string
  clientSecret: string
  objectId?: string
  displayName?: string
  /** Federated credentials trusted for client assertions (GitHub OIDC). */
  federatedCredentials?: { name?: string; issuer?: string; subject: string; audiences?: string[] }[]
}

export interface SeedResourceGroup {
  name: string
  location?: string
  subscriptionId?: string
  tags?: Record<string, string>
}

export interface SeedRegistry {
  name: string
  resourceGroup: string
  subscriptionId?: string
  location?: string
  /** Classic | Basic | Standard | Premium (default Premium). */
  sku?: string
  dataEndpointEnabled?: boolean
  /** DNS suffix of the registry's cloud: azurecr.io (default), azurecr.us (US Government),
   * azurecr.cn (China). Its login server and data endpoint end in it. */
  domain?: string
  tags?: Record<string, string>
  /** Extra writable properties in wire shape (adminUserEnabled, policies, ...). */
  properties?: Record<string, unknown>
}

export interface SeedScopeMap {
  registry: string
  name: string
  actions: string[]
  description?: string
}

export interface SeedToken {
  registry: string
  name: string
  /** Scope map name (in the same registry). */
  scopeMap: string
  status?: 'enabled' | 'disabled'
  /** Known password values, for worlds that start already deployed. */
  passwords?: Partial<Record<PasswordName, string>>
}

export interface SeedConnectedRegistry {
  registry: string
  name: string
  mode?: string
  /** Name of the parent connected registry (same registry). */
  parent?: string
  /** Name of the sync token (same registry). */
  syncToken: string
  clientTokens?: string[]
  schedule?: string
  syncWindow?: string
  messageTtl?: string
  logging?: { logLevel?: string; auditLogStatus?: string }
  notificationsList?: string[]
  garbageCollection?: { enabled?: boolean; schedule?: string }
  /** 'Active' without a seeded extension = activated by an instance outside the emulator. */
  activation?: 'Active' | 'Inactive'
}

export interface SeedCluster {
  name: string
  resourceGroup: string
  subscriptionId?: string
  location?: string
  connectivityStatus?: 'Connected' | 'Offline'
  /** Service CIDR; `service.clusterIP` must be inside it. */
  serviceCidr?: string
  /** Refuse a service IP another connected-registry extension on the cluster holds (default false). */
  uniqueServiceIPs?: boolean
  distribution?: string
  infrastructure?: string
  kubernetesVersion?: string
  agentVersion?: string
  nodeCount?: number
}

export interface SeedExtension {
  /** Cluster name (or full resource ID). */
  cluster: string
  name: string
  extensionType: string
  version?: string
  releaseTrain?: string
  autoUpgradeMinorVersion?: boolean
  releaseNamespace?: string
  configurationSettings?: Record<string, string>
  configurationProtectedSettings?: Record<string, string>
  /** Default Succeeded: the release is installed and its instance starts at once. */
  provisioningState?: 'Succeeded' | 'Failed'
  plan?: Record<string, unknown>
  /** Finished operations to serve on `<extension>/operations/<id>`. */
  operations?: { id: string; status?: 'Succeeded' | 'Failed' }[]
}

export interface Seed {
  tenantId?: string
  /** Subscription IDs (the first is the default for everything else). */
  subscriptions?: (string | { id: string; displayName?: string })[]
  servicePrincipals?: SeedServicePrincipal[]
  github?: Partial<GithubSettings>
  resourceGroups?: SeedResourceGroup[]
  registries?: SeedRegistry[]
  scopeMaps?: SeedScopeMap[]
  tokens?: SeedToken[]
  connectedRegistries?: SeedConnectedRegistry[]
  /** Clusters; an entry with a count stands for many (fleet.ts). */
  connectedClusters?: SeedClusterSet[]
  extensions?: SeedExtension[]
  timing?: Partial<Timing>
  /** How the simulated chart rolls out a new pod (our assumption; default a rolling update). */
  clusterBehaviour?: Partial<ClusterBehaviour>
  faults?: FaultRule[]
  throttle?: ThrottleConfig | null
  deniedActions?: string[]
  /** Page size of list answers (default 100). */
  pageSize?: number
  /** The Kubernetes side of each simulated cluster, by cluster name (emulator/kube/seed.ts). */
  kubernetes?: KubeSeed
}

export const DEFAULT_SEED_PATH = fileURLToPath(new URL('./default-seed.yaml', import.meta.url))

export function loadSeedFile(path: string): Seed {
  const text = fs.readFileSync(path, 'utf8')
  const parsed: unknown = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text)
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error(`seed file ${path} must contain an object`)
  }
  return parsed as Seed
}

export function resolveSeed(seed: Seed | string | undefined): Seed {
  if (seed === undefined) return loadSeedFile(DEFAULT_SEED_PATH)
  if (typeof seed === 'string') return loadSeedFile(seed)
  return seed
}

class SeedError extends Error {
  constructor(message: string) {
    super(`invalid seed: ${message}`)
  }
}

/** Replaces the world's content with the seed (faults and throttle are applied by the caller). */
export function applySeed(
  world: World,
  seed: Seed,
  now: number,
  ops: Operations,
  sim: ClusterSimulator
): void {
  for (const store of [
    world.subscriptions,
    world.resourceGroups,
    world.servicePrincipals,
    world.registries,
    world.scopeMaps,
    world.tokens,
    world.connectedRegistries,
    world.clusters,
    world.extensions,
    world.instances,
    world.operations
  ]) {
    store.clear()
  }
  world.clearSchedule()
  world.clearEvents()
  world.timing = { ...DEFAULT_TIMING, ...(seed.timing ?? {}) }
  world.clusterBehaviour = { ...DEFAULT_CLUSTER_BEHAVIOUR, ...(seed.clusterBehaviour ?? {}) }
  world.pageSize = seed.pageSize ?? 100
  world.kubernetes = seed.kubernetes ?? {}
  world.deniedActions = [...(seed.deniedActions ?? [])]
  world.tenantId = seed.tenantId ?? '00000000-0000-0000-0000-0000000000bb'

  const subs = (seed.subscriptions ?? ['00000000-0000-0000-0000-0000000000aa']).map((s) =>
    typeof s === 'string'
      ? { id: s, displayName: 'Emulated subscription' }
      : { id: s.id, displayName: s.displayName ?? 'Emulated subscription' }
  )
  if (subs.length === 0) throw new SeedError('at least one subscription is needed')
  for (const s of subs) world.subscriptions.set(key(s.id), { ...s, tenantId: world.tenantId })
  const defaultSub = subs[0].id
  const created = systemData('seed', now)

  for (const sp of seed.servicePrincipals ?? []) {
    if (!sp.clientId || !sp.clientSecret)
      throw new SeedError('servicePrincipals need clientId and clientSecret')
    world.servicePrincipals.set(sp.clientId.toLowerCase(), {
      clientId: sp.clientId,
      clientSecret: sp.clientSecret,
      objectId: sp.objectId ?? stableGuid(`object:${sp.clientId}`),
      displayName: sp.displayName ?? 'emulated-deployer',
      federatedCredentials: (sp.federatedCredentials ?? []).map((f, i) => ({
        name: f.name ?? `federated-${i + 1}`,
        issuer: f.issuer ?? GITHUB_OIDC_ISSUER,
        subject: f.subject,
        audiences: f.audiences ?? [TOKEN_EXCHANGE_AUDIENCE]
      }))
    })
  }
  world.github = {
    requestToken: seed.github?.requestToken ?? `ghs_${randomBytes(24).toString('base64url')}`,
    subject: seed.github?.subject ?? 'repo:contoso/edge-deploy:ref:refs/heads/main',
    repository: seed.github?.repository ?? 'contoso/edge-deploy',
    ref: seed.github?.ref ?? 'refs/heads/main',
    sha: seed.github?.sha ?? '0123456789abcdef0123456789abcdef01234567',
    workflow: seed.github?.workflow ?? 'deploy',
    actor: seed.github?.actor ?? 'octocat',
    runId: seed.github?.runId ?? '1',
    eventName: seed.github?.eventName ?? 'push',
    environment: seed.github?.environment
  }

  for (const rg of seed.resourceGroups ?? []) {
    const sub = rg.subscriptionId ?? defaultSub
    if (!world.subscriptions.has(key(sub)))
      throw new SeedError(`resource group '${rg.name}' names unknown subscription '${sub}'`)
    world.resourceGroups.set(key(resourceGroupId(sub, rg.name)), {
      subscriptionId: sub,
      name: rg.name,
      location: rg.location ?? LOCATION_DEFAULT,
      tags: rg.tags ?? {}
    })
  }
  const rgOf = (sub: string, name: string, what: string) => {
    const rg = world.resourceGroups.get(key(resourceGroupId(sub, name)))
    if (!rg) throw new SeedError(`${what} names unknown resource group '${name}'`)
    return rg
  }

  for (const r of seed.registries ?? []) {
    const sub = r.subscriptionId ?? defaultSub
    const rg = rgOf(sub, r.resourceGroup, `registry '${r.name}'`)
    const sku = canonical(r.sku ?? 'Premium', SKUS)
    if (!sku) throw new SeedError(`registry '${r.name}' has unknown sku '${r.sku}'`)
    const id = registryId(sub, rg.name, r.name)
    const reg: Registry = {
      id,
      subscriptionId: sub,
      resourceGroup: rg.name,
      name: r.name,
      location: r.location ?? rg.location,
      tags: r.tags ?? {},
      skuName: sku,
      provisioningState: 'Succeeded',
      creationDate: new Date(now).toISOString(),
      dataEndpointEnabled: r.dataEndpointEnabled ?? false,
      domain: r.domain ?? 'azurecr.io',
      properties: { ...defaultRegistryProperties(), ...(r.properties ?? {}) },
      systemData: { ...created }
    }
    world.registries.set(key(id), reg)
    addSystemScopeMaps(world, reg)
  }
  const registryNamed = (name: string, what: string): Registry => {
    const reg = world.findRegistryByName(name)
    if (!reg) throw new SeedError(`${what} names unknown registry '${name}'`)
    return reg
  }

  for (const sm of seed.scopeMaps ?? []) {
    const reg = registryNamed(sm.registry, `scope map '${sm.name}'`)
    const id = childId(reg.id, 'scopeMaps', sm.name)
    world.scopeMaps.set(key(id), {
      id,
      registryKey: key(reg.id),
      name: sm.name,
      description: sm.description,
      actions: [...sm.actions],
      creationDate: new Date(now).toISOString(),
      provisioningState: 'Succeeded',
      systemData: { ...created }
    })
  }
  for (const t of seed.tokens ?? []) {
    const reg = registryNamed(t.registry, `token '${t.name}'`)
    const scopeMapId = childId(reg.id, 'scopeMaps', t.scopeMap)
    const sm = world.scopeMaps.get(key(scopeMapId))
    if (!sm) throw new SeedError(`token '${t.name}' names unknown scope map '${t.scopeMap}'`)
    const id = childId(reg.id, 'tokens', t.name)
    const token: Token = {
      id,
      registryKey: key(reg.id),
      name: t.name,
      scopeMapId: sm.id,
      status: t.status ?? 'enabled',
      creationDate: new Date(now).toISOString(),
      provisioningState: 'Succeeded',
      passwords: {},
      certificates: [],
      systemData: { ...created }
    }
    for (const [slot, value] of Object.entries(t.passwords ?? {}) as [PasswordName, string][]) {
      token.passwords[slot] = { value, creationTime: new Date(now).toISOString() }
    }
    world.tokens.set(key(id), token)
  }
  for (const c of seed.connectedRegistries ?? []) {
    const reg = registryNamed(c.registry, `connected registry '${c.name}'`)
    const tokenId = childId(reg.id, 'tokens', c.syncToken)
    if (!world.tokens.has(key(tokenId)))
      throw new SeedError(
        `connected registry '${c.name}' names unknown sync token '${c.syncToken}'`
      )
    let parentId: string | undefined
    if (c.parent) {
      parentId = childId(reg.id, 'connectedRegistries', c.parent)
      if (!world.connectedRegistries.has(key(parentId))) {
        throw new SeedError(
          `connected registry '${c.name}' names parent '${c.parent}', which must be listed before it`
        )
      }
    }
    const id = childId(reg.id, 'connectedRegistries', c.name)
    const mode = canonical(c.mode ?? 'ReadWrite', CONNECTED_REGISTRY_MODES)
    if (!mode) throw new SeedError(`connected registry '${c.name}' has unknown mode '${c.mode}'`)
    const cr: ConnectedRegistry = {
      id,
      registryKey: key(reg.id),
      name: c.name,
      mode,
      parentId,
      syncTokenId: tokenId,
      schedule: c.schedule,
      syncWindow: c.syncWindow,
      messageTtl: c.messageTtl ?? 'P2D',
      clientTokenIds: (c.clientTokens ?? []).map((n) => childId(reg.id, 'tokens', n)),
      logging: {
        logLevel: c.logging?.logLevel ?? 'Information',
        auditLogStatus: c.logging?.auditLogStatus ?? 'Disabled'
      },
      notificationsList: c.notificationsList,
      garbageCollection: c.garbageCollection,
      provisioningState: 'Succeeded',
      systemData: { ...created },
      runtime: { activation: 'Inactive', connectionState: 'Offline', statusDetails: [] }
    }
    world.connectedRegistries.set(key(id), cr)
  }

  for (const c of expandClusters(seed.connectedClusters ?? [])) {
    const sub = c.subscriptionId ?? defaultSub
    const rg = rgOf(sub, c.resourceGroup, `cluster '${c.name}'`)
    const id = clusterId(sub, rg.name, c.name)
    const cluster: ConnectedCluster = {
      id,
      subscriptionId: sub,
      resourceGroup: rg.name,
      name: c.name,
      location: c.location ?? rg.location,
      tags: {},
      connectivityStatus: c.connectivityStatus ?? 'Connected',
      serviceCidr: c.serviceCidr,
      uniqueServiceIPs: c.uniqueServiceIPs ?? false,
      distribution: c.distribution ?? 'k3s',
      infrastructure: c.infrastructure ?? 'generic',
      kubernetesVersion: c.kubernetesVersion ?? '1.30.4',
      agentVersion: c.agentVersion ?? '1.21.10',
      totalNodeCount: c.nodeCount ?? 1,
      lastConnectivityTime: new Date(now).toISOString(),
      principalId: stableGuid(`principal:${key(id)}`),
      systemData: { ...created }
    }
    world.clusters.set(key(id), cluster)
  }

  // Activation held by an instance outside the emulator, unless a seeded extension runs it.
  const externallyActive = (seed.connectedRegistries ?? [])
    .filter((c) => c.activation === 'Active')
    .map((c) =>
      key(
        childId(
          registryNamed(c.registry, `connected registry '${c.name}'`).id,
          'connectedRegistries',
          c.name
        )
      )
    )
  const seededExtensions: Extension[] = []
  for (const e of seed.extensions ?? []) {
    const cluster = world.findClusterByName(e.cluster)
    if (!cluster) throw new SeedError(`extension '${e.name}' names unknown cluster '${e.cluster}'`)
    const id = extensionId(cluster.id, e.name)
    const state = e.provisioningState ?? 'Succeeded'
    const ext: Extension = {
      id,
      clusterKey: key(cluster.id),
      name: e.name,
      extensionType: e.extensionType,
      autoUpgradeMinorVersion: e.autoUpgradeMinorVersion ?? e.version === undefined,
      releaseTrain: e.releaseTrain ?? 'Stable',
      version: e.version ?? null,
      releaseNamespace:
        e.releaseNamespace ??
        (isConnectedRegistryExtension(e.extensionType)
          ? 'connected-registry'
          : e.name.toLowerCase()),
      configurationSettings: { ...(e.configurationSettings ?? {}) },
      protectedSettings: { ...(e.configurationProtectedSettings ?? {}) },
      currentVersion: state === 'Succeeded' ? (e.version ?? '0.11.0') : null,
      provisioningState: state,
      statuses: [],
      errorInfo:
        state === 'Failed'
          ? { code: 'ExtensionOperationFailed', message: 'Seeded as failed.' }
          : null,
      principalId: stableGuid(`principal:${key(id)}`),
      plan: e.plan,
      isSystemExtension: false,
      systemData: { ...created },
      generation: 0
    }
    world.extensions.set(key(id), ext)
    for (const op of e.operations ?? []) {
      ops.seedFinished({
        id: op.id,
        statusPath: `${id}/operations/${op.id}`,
        style: 'azure-async-operation',
        provider: 'extension',
        operation: 'Extensions_Create',
        resourceId: id,
        status: op.status ?? 'Succeeded',
        startTime: now,
        endTime: now,
        ...(op.status === 'Failed'
          ? { error: { code: 'ExtensionOperationFailed', message: 'Seeded as failed.' } }
          : {})
      })
    }
    if (state === 'Succeeded') seededExtensions.push(ext)
  }
  for (const ext of seededExtensions) sim.startSeededInstance(ext, now)
  for (const crKey of externallyActive) {
    const cr = world.connectedRegistries.get(crKey)
    if (cr && cr.runtime.activation !== 'Active') sim.setExternalActivation(cr, 'Active', now)
  }
}

/** A GUID derived from a text, so seeded IDs are stable between runs. */
function stableGuid(text: string): string {
  const h = createHash('sha256').update(text).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`
}

// Fleets: one entry declares many clusters (a count and a name pattern; see fleet.ts).

/** A seed cluster entry; with `count`, its name is a pattern and it stands for that many. */
export interface SeedClusterSet extends SeedCluster {
  count?: number
  start?: number
}

const PLACEHOLDER = /\{n(?::(\d+))?\}/g

/** The clusters a seed's entries stand for, each set expanded in order. */
export function expandClusters(entries: readonly SeedClusterSet[]): SeedCluster[] {
  return entries.flatMap((entry) => {
    const { count, start, ...cluster } = entry
    if (count === undefined) {
      if (start !== undefined)
        throw new Error(`invalid seed: cluster '${entry.name}' has start without count`)
      return [cluster]
    }
    if (!Number.isInteger(count) || count < 0) {
      throw new Error(`invalid seed: cluster '${entry.name}' count must be an integer >= 0`)
    }
    if (!entry.name.match(PLACEHOLDER)) {
      throw new Error(
        `invalid seed: cluster '${entry.name}' has a count, so its name must contain {n} or {n:width}`
      )
    }
    const first = start ?? 1
    return Array.from({ length: count }, (_, i) => ({
      ...cluster,
      name: entry.name.replace(PLACEHOLDER, (_match, width?: string) =>
        String(first + i).padStart(Number(width ?? 0), '0')
      )
    }))
  })
}

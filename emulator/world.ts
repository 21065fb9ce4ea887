// The emulated Azure world: resources, the simulated clock-driven transitions
// and the timeline of what happened.
//
// Nothing runs on timers. Time-based transitions are queued with the logical
// time they happen at; `advance(now)` (called on every request and admin read)
// applies the due ones in time order, so results do not depend on scheduling
// jitter and every recorded event carries the time it logically happened.
import {
  ArmError,
  resourceGroupNotFound,
  resourceNotFound,
  subscriptionNotFound
} from './errors.js'
import type { ConnectionString } from './connection-string.js'
import type { KubeSeed } from './kube/seed.js'
import { CLUSTER_TYPE, REGISTRY_TYPE, clusterId, key, registryId, resourceGroupId } from './ids.js'

export interface Timing {
  /** How long ARM async operations (ACR create/update/delete/actions) stay InProgress. */
  lroMs: number
  /** Extension create/update: time until the Helm release is installed (provisioningState settles). */
  extensionProvisioningMs: number
  /** Connected registry: instance start → first contact/activation (Offline → Syncing). */
  activationMs: number
  /** Connected registry: Syncing → Online. */
  syncingMs: number
  /**
   * An extension update that changes the pod's settings restarts the pod: time from the release
   * landing to the new pod contacting its parent. Without a rolling update this is the gap in
   * which no pod serves (the old one stopped when the release landed).
   */
  restartGapMs: number
  /** Lifetime of access tokens issued by the emulated Entra ID. */
  tokenLifetimeSeconds: number
  /** Extension delete: time until it is gone. */
  deletionMs: number
  /** Lifetime of GitHub OIDC tokens (GitHub: about 5–10 minutes). */
  oidcTokenLifetimeSeconds: number
  /** An extension pending on an offline cluster fails after this long (Azure: 48 hours). */
  pendingTimeoutMs: number
  /**
   * `Retry-After` (seconds) on the 201/202 answers of async operations (ACR and extensions);
   * 0 leaves the header out. Our assumption: Azure does not document the values its resource
   * providers send; 1 is the smallest hint ARM allows and every default-timed operation lands
   * within it.
   */
  lroRetryAfterSeconds: number
}

export const DEFAULT_TIMING: Timing = {
  lroMs: 50,
  extensionProvisioningMs: 200,
  activationMs: 200,
  syncingMs: 200,
  restartGapMs: 200,
  tokenLifetimeSeconds: 3600,
  deletionMs: 100,
  oidcTokenLifetimeSeconds: 300,
  pendingTimeoutMs: 48 * 3600 * 1000,
  lroRetryAfterSeconds: 1
}

/**
 * How the connected-registry chart rolls out a new pod. Not documented by Azure: our
 * assumption, a knob so the action can be tested under the unkind setting too.
 */
export interface ClusterBehaviour {
  /**
   * true: the Deployment rolls (Kubernetes' default strategy): the old pod keeps serving until
   * the new one has activated. false: it is recreated: the old pod stops when the release lands,
   * `restartGapMs` before the new one contacts its parent.
   */
  rollingUpdate: boolean
}

export const DEFAULT_CLUSTER_BEHAVIOUR: ClusterBehaviour = { rollingUpdate: true }

export interface SystemData {
  createdBy: string
  createdByType: string
  createdAt: string
  lastModifiedBy: string
  lastModifiedByType: string
  lastModifiedAt: string
}

export interface Subscription {
  id: string
  displayName: string
  tenantId: string
}

export interface ResourceGroup {
  subscriptionId: string
  name: string
  location: string
  tags: Record<string, string>
}

export interface FederatedCredential {
  name: string
  issuer: string
  subject: string
  audiences: string[]
}

export interface ServicePrincipal {
  clientId: string
  clientSecret: string
  objectId: string
  displayName: string
  federatedCredentials: FederatedCredential[]
}

/** What the emulated GitHub OIDC provider puts into the tokens it issues. */
export interface GithubSettings {
  requestToken: string
  subject: string
  repository: string
  ref: string
  sha: string
  workflow: string
  actor: string
  runId: string
  eventName: string
  environment?: string
}

export type ProvisioningState =
  'Creating' | 'Updating' | 'Deleting' | 'Succeeded' | 'Failed' | 'Canceled'

/** What every top-level (tracked) ARM resource has: registries and connected clusters. */
export interface TrackedResource {
  id: string
  subscriptionId: string
  resourceGroup: string
  name: string
  location: string
  tags: Record<string, string>
}

export interface Registry extends TrackedResource {
  skuName: string
  provisioningState: ProvisioningState
  creationDate: string
  dataEndpointEnabled: boolean
  /** DNS suffix of the registry's cloud (azurecr.io, azurecr.us, azurecr.cn). */
  domain: string
  identity?: Record<string, unknown>
  /** Writable properties other than dataEndpointEnabled (policies, networkRuleSet, ...), in wire shape. */
  properties: Record<string, unknown>
  systemData: SystemData
}

export interface ScopeMap {
  id: string
  registryKey: string
  name: string
  description?: string
  actions: string[]
  creationDate: string
  provisioningState: ProvisioningState
  systemData: SystemData
  /** `_repositories_pull`, `_repositories_push`, `_repositories_admin`: in every registry, read-only. */
  systemDefined?: true
}

export type PasswordName = 'password1' | 'password2'

export interface PasswordSlot {
  value: string
  creationTime: string
  expiry?: string
}

export interface TokenCertificate {
  name: string
  thumbprint?: string
  expiry?: string
}

export interface Token {
  id: string
  registryKey: string
  name: string
  scopeMapId?: string
  status: 'enabled' | 'disabled'
  creationDate: string
  provisioningState: ProvisioningState
  passwords: Partial<Record<PasswordName, PasswordSlot>>
  certificates: TokenCertificate[]
  systemData: SystemData
}

export type ConnectionState = 'Online' | 'Offline' | 'Syncing' | 'Unhealthy'

export interface StatusDetail {
  type: string
  code: string
  description: string
  timestamp: string
  correlationId: string
}

/** What the registry instance on the device reports to the cloud. */
export interface ConnectedRegistryRuntime {
  activation: 'Active' | 'Inactive'
  /** Instance that holds the activation; 'external' = one the emulator does not run. */
  activationOwner?: string
  /** Instance whose reports the cloud currently shows (internal, not rendered). */
  reportedBy?: string
  connectionState: ConnectionState
  statusDetails: StatusDetail[]
  lastActivityTime?: string
  lastSyncTime?: string
  version?: string
  loginServerHost?: string
  tlsEnabled?: boolean
}

export interface ConnectedRegistry {
  id: string
  registryKey: string
  name: string
  mode: string
  /** ID of the parent connected registry; undefined = the cloud registry is the parent. */
  parentId?: string
  syncTokenId: string
  schedule?: string
  syncWindow?: string
  messageTtl: string
  clientTokenIds: string[]
  logging: { logLevel: string; auditLogStatus: string }
  notificationsList?: string[]
  garbageCollection?: { enabled?: boolean; schedule?: string }
  provisioningState: ProvisioningState
  systemData: SystemData
  runtime: ConnectedRegistryRuntime
}

export interface ConnectedCluster extends TrackedResource {
  connectivityStatus: 'Connected' | 'Offline' | 'Connecting' | 'Expired'
  /** Kubernetes service CIDR; `service.clusterIP` must fall inside it when set. */
  serviceCidr?: string
  /** Refuse a `service.clusterIP` already held by another connected-registry extension. */
  uniqueServiceIPs: boolean
  distribution: string
  infrastructure: string
  kubernetesVersion: string
  agentVersion: string
  totalNodeCount: number
  lastConnectivityTime: string
  principalId: string
  systemData: SystemData
}

export interface ExtensionStatus {
  code: string
  displayStatus: string
  level: 'Error' | 'Warning' | 'Information'
  message: string
  time: string
}

export interface PendingExtensionChange {
  kind: 'create' | 'update' | 'delete'
  operationId: string
  requestedAt: number
}

export interface Extension {
  id: string
  clusterKey: string
  name: string
  extensionType: string
  autoUpgradeMinorVersion: boolean
  releaseTrain: string
  version: string | null
  releaseNamespace: string
  configurationSettings: Record<string, string>
  protectedSettings: Record<string, string>
  currentVersion: string | null
  provisioningState: ProvisioningState
  statuses: ExtensionStatus[]
  errorInfo: { code: string; message: string } | null
  principalId: string
  plan?: Record<string, unknown>
  isSystemExtension: boolean
  systemData: SystemData
  pending?: PendingExtensionChange
  /** Bumped on every change so stale scheduled work can tell it was superseded. */
  generation: number
  /** The simulated connected-registry instance installed by this extension. */
  instanceId?: string
}

// ---- ARM asynchronous operations (served by lro.ts) ----------------------------------------

export type OperationStyle = 'azure-async-operation' | 'location'
export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled'

export interface OperationError {
  code: string
  message: string
}

export interface AsyncOperation {
  id: string
  /** Path of the status URL (no query). */
  statusPath: string
  style: OperationStyle
  /** 'acr' status bodies carry start/end times; 'extension' ones follow OperationStatusResult. */
  provider: 'acr' | 'extension'
  /** operationId of the request that started it. */
  operation: string
  resourceId: string
  status: OperationStatus
  startTime: number
  endTime?: number
  error?: OperationError
  /** Failure forced by an 'lro-failure' fault, applied when the operation would finish. */
  forcedFailure?: OperationError & { status?: number }
  /** Location style: final HTTP status and body once Succeeded. */
  finalStatus?: number
  finalBody?: unknown
}

// ---- the connected-registry pods (driven by cluster-sim.ts) -------------------------------

export type InstancePhase =
  /** An activation attempt is scheduled. */
  | 'connecting'
  /** Blocked by something outside its control (activation held elsewhere, parent not online). */
  | 'waiting'
  /** Activated; Syncing/Online. */
  | 'running'
  /** Bad configuration or credentials; retried only when the cause goes away. */
  | 'failed'
  /** The cluster is offline. */
  | 'disconnected'

/** One pod of a connected-registry release. */
export interface RegistryInstance {
  /** The pod. */
  id: string
  /**
   * The release's identity towards the cloud (its volume): the pods of one release share it and
   * with it the activation; a new release (extension deleted and created again) gets a new one.
   */
  releaseId: string
  extensionId: string
  clusterKey: string
  startedAt: number
  phase: InstancePhase
  waitingFor?: 'activation' | 'parent'
  connectionString: ConnectionString | { error: string }
  clusterIP: string
  tlsEnabled: boolean
  version: string
  /** What the pod was started with (settings and chart version), to tell whether an update restarts it. */
  fingerprint: string
  /** Rolling update: the serving pod of the same release this one replaces once it has activated. */
  replaces?: string
  /** Key of the connected registry this instance reports to. */
  connectedRegistryKey?: string
  /** Password slot the connection string matched at the last check (not secret: just the slot name). */
  passwordSlot?: PasswordName
  /** Last problem, for state() and extension statuses. */
  problem?: { code: string; description: string }
  /** After its first synchronization: what it syncs, and what its sync scope maps keep it from syncing. */
  repositories?: RepositorySync
  /** Bumped whenever the phase changes, so scheduled work for an old phase is ignored. */
  generation: number
}

export interface RepositorySync {
  synced: string[]
  /** ReadWrite registries: synced repositories whose local changes it cannot push up (no write grant). */
  pullOnly: string[]
  notSynced: { repository: string; reason: string }[]
}

export interface WorldEvent {
  time: string
  resource: string
  /** Which property changed, e.g. 'connectionState', 'activation.status', 'provisioningState'. */
  property: string
  from: string | null
  to: string | null
  detail: string
}

interface Scheduled {
  at: number
  seq: number
  label: string
  run: (t: number) => void
}

export const LOCATION_DEFAULT = 'eastus'

export function systemData(by: string, t: number): SystemData {
  const at = new Date(t).toISOString()
  return {
    createdBy: by,
    createdByType: 'Application',
    createdAt: at,
    lastModifiedBy: by,
    lastModifiedByType: 'Application',
    lastModifiedAt: at
  }
}

export function touch(data: SystemData, by: string, t: number): void {
  data.lastModifiedBy = by
  data.lastModifiedAt = new Date(t).toISOString()
}

export class World {
  tenantId = ''
  readonly subscriptions = new Map<string, Subscription>()
  readonly resourceGroups = new Map<string, ResourceGroup>()
  readonly servicePrincipals = new Map<string, ServicePrincipal>()
  github!: GithubSettings
  readonly registries = new Map<string, Registry>()
  readonly scopeMaps = new Map<string, ScopeMap>()
  readonly tokens = new Map<string, Token>()
  readonly connectedRegistries = new Map<string, ConnectedRegistry>()
  readonly clusters = new Map<string, ConnectedCluster>()
  readonly extensions = new Map<string, Extension>()
  readonly instances = new Map<string, RegistryInstance>()
  readonly operations = new Map<string, AsyncOperation>()
  timing: Timing = { ...DEFAULT_TIMING }
  clusterBehaviour: ClusterBehaviour = { ...DEFAULT_CLUSTER_BEHAVIOUR }
  /** The Kubernetes side of each simulated cluster (storage classes, namespaces), from the seed. */
  kubernetes: KubeSeed = {}
  /** Page size of list answers (`nextLink` paging). */
  pageSize = 100
  deniedActions: string[] = []

  private queue: Scheduled[] = []
  private seq = 0
  private timeline: WorldEvent[] = []
  private readonly reconcilers: ((t: number) => void)[] = []
  private advancing = false

  /** Registers a check that runs after every mutation and every applied transition. */
  onSettle(reconcile: (t: number) => void): void {
    this.reconcilers.push(reconcile)
  }

  schedule(at: number, label: string, run: (t: number) => void): void {
    const item = { at, seq: this.seq++, label, run }
    // Keep the queue sorted by (at, seq); it stays small.
    let i = this.queue.length
    while (
      i > 0 &&
      (this.queue[i - 1].at > at ||
        (this.queue[i - 1].at === at && this.queue[i - 1].seq > item.seq))
    )
      i--
    this.queue.splice(i, 0, item)
  }

  /** Applies every transition due at or before `now`, in logical-time order. */
  advance(now: number): void {
    if (this.advancing) return
    this.advancing = true
    try {
      while (this.queue.length > 0 && this.queue[0].at <= now) {
        const item = this.queue.shift() as Scheduled
        item.run(item.at)
        this.settle(item.at)
      }
    } finally {
      this.advancing = false
    }
  }

  /** Runs the reconcilers (credential checks, waiting instances) at logical time t. */
  settle(t: number): void {
    for (const reconcile of this.reconcilers) reconcile(t)
  }

  /** Mutation wrapper: bring the world up to `now`, change it, then reconcile. */
  mutate<T>(now: number, change: () => T): T {
    this.advance(now)
    const result = change()
    this.settle(now)
    return result
  }

  pendingTransitions(): { at: string; label: string }[] {
    return this.queue.map((q) => ({ at: new Date(q.at).toISOString(), label: q.label }))
  }

  recordEvent(
    t: number,
    resource: string,
    property: string,
    from: string | null,
    to: string | null,
    detail = ''
  ): void {
    this.timeline.push({ time: new Date(t).toISOString(), resource, property, from, to, detail })
  }

  events(): WorldEvent[] {
    return this.timeline.map((e) => ({ ...e }))
  }

  clearEvents(): void {
    this.timeline = []
  }

  clearSchedule(): void {
    this.queue = []
  }

  // ---- lookups that throw ARM errors -------------------------------------------------

  requireSubscription(subscriptionId: string): Subscription {
    const sub = this.subscriptions.get(key(subscriptionId))
    if (!sub) throw subscriptionNotFound(subscriptionId)
    return sub
  }

  requireResourceGroup(subscriptionId: string, resourceGroup: string): ResourceGroup {
    this.requireSubscription(subscriptionId)
    const rg = this.resourceGroups.get(key(resourceGroupId(subscriptionId, resourceGroup)))
    if (!rg) throw resourceGroupNotFound(resourceGroup)
    return rg
  }

  requireRegistry(subscriptionId: string, resourceGroup: string, name: string): Registry {
    this.requireResourceGroup(subscriptionId, resourceGroup)
    const reg = this.registries.get(key(registryId(subscriptionId, resourceGroup, name)))
    if (!reg) throw resourceNotFound(REGISTRY_TYPE, name, resourceGroup)
    return reg
  }

  requireCluster(subscriptionId: string, resourceGroup: string, name: string): ConnectedCluster {
    this.requireResourceGroup(subscriptionId, resourceGroup)
    const cluster = this.clusters.get(key(clusterId(subscriptionId, resourceGroup, name)))
    if (!cluster) throw resourceNotFound(CLUSTER_TYPE, name, resourceGroup)
    return cluster
  }

  /** Resources of a registry's child collection, in creation order. */
  childrenOf<T extends { registryKey: string }>(store: Map<string, T>, registry: Registry): T[] {
    const k = key(registry.id)
    return [...store.values()].filter((c) => c.registryKey === k)
  }

  /** Extensions installed on a connected cluster, in creation order. */
  extensionsOn(cluster: ConnectedCluster): Extension[] {
    const k = key(cluster.id)
    return [...this.extensions.values()].filter((e) => e.clusterKey === k)
  }

  /** Finds a registry by name alone (seed and admin convenience). */
  findRegistryByName(name: string): Registry | undefined {
    return [...this.registries.values()].find((r) => r.name.toLowerCase() === name.toLowerCase())
  }

  findClusterByName(name: string): ConnectedCluster | undefined {
    if (name.startsWith('/')) return this.clusters.get(key(name))
    return [...this.clusters.values()].find((c) => c.name.toLowerCase() === name.toLowerCase())
  }
}

/** Thrown for the admin API when a named object does not exist. */
export class AdminError extends ArmError {
  constructor(message: string) {
    super(400, 'InvalidAdminRequest', message)
  }
}

/** `<registry>.<region>.data.azurecr.io` (the suffix of the registry's cloud), lower-case
 * (dedicated data endpoint host). */
export function dataEndpointHost(registry: Registry): string {
  return `${registry.name}.${registry.location.replace(/\s+/g, '')}.data.${registry.domain}`.toLowerCase()
}

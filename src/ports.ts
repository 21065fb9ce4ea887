// The action's edges, as small interfaces: the core never imports @actions/core or an Azure SDK
// directly, so the plan/execute/wait logic can be driven by tests and by other front ends.

import type {
  ConnectedRegistry,
  ConnectedRegistryUpdateParameters,
  GenerateCredentialsParameters,
  GenerateCredentialsResult,
  Registry,
  ScopeMap,
  Token
} from '@azure/arm-containerregistry'
import type { Extension, PatchExtension } from '@azure/arm-kubernetesconfiguration'

export interface Log {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
  /** Runs fn inside a collapsible log group (one per phase). */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
  /** Registers a value the runner must redact from every later log line. */
  mask(secret: string): void
}

/** Time, so that waits can be tested without waiting. */
export interface Clock {
  now(): number
  /** Resolves after `ms`, or rejects with the signal's reason once it is aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>
  /** A signal aborted `ms` from now. */
  abortAfter(ms: number): AbortSignal
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const onAbort = () => {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      signal?.addEventListener('abort', onAbort, { once: true })
    }),
  // AbortSignal.timeout takes whole milliseconds only.
  abortAfter: (ms) => AbortSignal.timeout(Math.max(0, Math.ceil(ms)))
}

export interface ConnectedClusterResource {
  id: string
  name: string
  location?: string
  properties?: { connectivityStatus?: string; provisioningState?: string; distribution?: string }
}

/** The Arc cluster that holds an extension. */
export interface ClusterRef {
  resourceGroup: string
  name: string
}

/** Azure's effective permissions on a scope (Microsoft.Authorization/permissions). */
export interface PermissionGrant {
  actions?: string[]
  notActions?: string[]
  dataActions?: string[]
  notDataActions?: string[]
}

/** Every write and long-running operation stops when the signal is aborted (the step's deadline). */
export interface WriteOptions {
  abortSignal?: AbortSignal
}

/**
 * The Azure calls the action makes, by resource. A resource that does not exist rejects with an
 * error whose `statusCode` is 404; any other failure rejects with the SDK's error as it is.
 * Writes resolve once Azure reports them done, except the extension's create and update, which
 * resolve once Azure accepted them (the waiter follows their provisioning).
 */
export interface AzurePort {
  /** Sent with every request of the run; Azure support finds them all with it. */
  readonly correlationId: string

  getRegistry(resourceGroup: string, registry: string): Promise<Registry>
  enableDataEndpoint(
    resourceGroup: string,
    registry: string,
    options: WriteOptions
  ): Promise<Registry>
  generateCredentials(
    resourceGroup: string,
    registry: string,
    parameters: GenerateCredentialsParameters,
    options: WriteOptions
  ): Promise<GenerateCredentialsResult>

  getScopeMap(resourceGroup: string, registry: string, name: string): Promise<ScopeMap>
  createScopeMap(
    resourceGroup: string,
    registry: string,
    name: string,
    scopeMap: { actions: string[]; description?: string },
    options: WriteOptions
  ): Promise<void>
  updateScopeMap(
    resourceGroup: string,
    registry: string,
    name: string,
    scopeMap: { actions: string[] },
    options: WriteOptions
  ): Promise<void>
  deleteScopeMap(
    resourceGroup: string,
    registry: string,
    name: string,
    options: WriteOptions
  ): Promise<void>

  getToken(resourceGroup: string, registry: string, name: string): Promise<Token>
  createToken(
    resourceGroup: string,
    registry: string,
    name: string,
    token: { scopeMapId: string; status: 'enabled' },
    options: WriteOptions
  ): Promise<void>
  updateToken(
    resourceGroup: string,
    registry: string,
    name: string,
    token: { scopeMapId: string; status: 'enabled' },
    options: WriteOptions
  ): Promise<void>
  deleteToken(
    resourceGroup: string,
    registry: string,
    name: string,
    options: WriteOptions
  ): Promise<void>

  getConnectedRegistry(
    resourceGroup: string,
    registry: string,
    name: string
  ): Promise<ConnectedRegistry>
  /** Connected registries matching an OData filter (Azure may ignore it: callers compare too). */
  listConnectedRegistries(
    resourceGroup: string,
    registry: string,
    filter: string
  ): AsyncIterable<ConnectedRegistry>
  createConnectedRegistry(
    resourceGroup: string,
    registry: string,
    name: string,
    connectedRegistry: ConnectedRegistry,
    options: WriteOptions
  ): Promise<void>
  updateConnectedRegistry(
    resourceGroup: string,
    registry: string,
    name: string,
    update: ConnectedRegistryUpdateParameters,
    options: WriteOptions
  ): Promise<void>
  deactivateConnectedRegistry(
    resourceGroup: string,
    registry: string,
    name: string,
    options: WriteOptions
  ): Promise<void>
  deleteConnectedRegistry(
    resourceGroup: string,
    registry: string,
    name: string,
    options: WriteOptions
  ): Promise<void>

  getConnectedCluster(resourceGroup: string, name: string): Promise<ConnectedClusterResource>

  getExtension(cluster: ClusterRef, name: string): Promise<Extension>
  /** Sends the create request only. */
  startExtensionCreate(
    cluster: ClusterRef,
    name: string,
    extension: Extension,
    options: WriteOptions
  ): Promise<void>
  /** Sends the update request only. */
  startExtensionUpdate(
    cluster: ClusterRef,
    name: string,
    patch: PatchExtension,
    options: WriteOptions
  ): Promise<void>
  /** Deletes the extension and waits until Azure has removed it. */
  deleteExtension(
    cluster: ClusterRef,
    name: string,
    options: WriteOptions & { forceDelete?: boolean }
  ): Promise<void>

  /** The caller's effective permissions on a scope (an ARM id, e.g. a resource group's). */
  readPermissions(scope: string): Promise<PermissionGrant[]>
}

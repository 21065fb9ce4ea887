import { randomUUID } from 'node:crypto'
import { ContainerRegistryManagementClient } from '@azure/arm-containerregistry'
import { SourceControlConfigurationClient } from '@azure/arm-kubernetesconfiguration'
import {
  bearerTokenAuthenticationPolicyName,
  createPipelineRequest,
  isRestError,
  RestError,
  type Pipeline,
  type PipelinePolicy,
  type PipelineRequest,
  type PipelineResponse
} from '@azure/core-rest-pipeline'
import type { AccessToken, TokenCredential } from '@azure/identity'
import type {
  AzurePort,
  ClusterRef,
  ConnectedClusterResource,
  Log,
  PermissionGrant,
  WriteOptions
} from '../ports.js'
import { systemClock } from '../ports.js'
import { conflictRetryNotice, conflictWaitNotice, retryWaitNotice } from '../messages.js'
import type { CloudSettings } from '../settings.js'
import { ActionError, messageOf, requestTrail } from './errors.js'

const USER_AGENT = 'connected-registry-arc-action/0.1.0'
const CONNECTED_CLUSTERS_API_VERSION = '2024-01-01'

/** Transient faults (429 with Retry-After, 5xx, dropped connections) are retried by the SDK. */
export const RETRY_OPTIONS = { maxRetries: 5, retryDelayInMs: 800, maxRetryDelayInMs: 30_000 }
/** A Retry-After longer than this is not waited for: the run fails with Azure's message. */
export const MAX_RETRY_AFTER_MS = 60_000
/** A token is renewed this long before it expires (as the SDK's own policy does). */
const TOKEN_REFRESH_MARGIN_MS = 2 * 60_000
/** The longest pause between two attempts of a write that another operation holds up (409). */
const MAX_CONFLICT_DELAY_MS = 10_000

export interface AzureClientOptions {
  /** The step's deadline: every request, retry and wait for a busy resource (409) ends with it. */
  deadline?: { signal: AbortSignal; remainingMs(): number }
  /** Where retries the user should know about are reported. */
  log?: Log
  /** More policies for both clients, below the retry policy (every attempt passes them): a
   * fleet's ARM budget. */
  belowRetry?: PipelinePolicy[]
}

/** A credential that can drop its cached tokens (credential.ts). */
type MaybeRefreshable = TokenCredential & { invalidate?(): void }

function errorBody(response: PipelineResponse): { code: string; message: string } {
  try {
    const error = JSON.parse(response.bodyAsText ?? '')?.error
    return { code: String(error?.code ?? ''), message: String(error?.message ?? '') }
  } catch {
    return { code: '', message: '' }
  }
}

/** Advice when signing in fails, by what the identity provider answered. */
function signInFix(message: string): string {
  if (/AADSTS70021[1-3]|AADSTS700024/.test(message)) {
    return "The app registration's federated credential does not match this workflow: check its issuer, audience and subject (e.g. repo:<owner>/<repo>:ref:refs/heads/main or repo:<owner>/<repo>:environment:<name>)."
  }
  if (/AADSTS7000215|AADSTS7000222|invalid_client/.test(message)) {
    return 'The client secret is wrong or expired: update AZURE_CLIENT_SECRET.'
  }
  if (/AADSTS700016|AADSTS90002/.test(message)) {
    return 'Check client-id (or AZURE_CLIENT_ID) and tenant-id (or AZURE_TENANT_ID).'
  }
  return 'Check the sign-in inputs (client-id, tenant-id, authority-host) and re-run; if Microsoft Entra ID was unavailable, re-run later.'
}

/** Text of a value that may be a string or an `{ code, message }` object. */
function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value
  if (value && typeof value === 'object') {
    const { code, message } = value as { code?: unknown; message?: unknown }
    return [code, message].filter((part) => typeof part === 'string' && part).join(': ')
  }
  return undefined
}

/** One sentence from whatever @azure/identity threw: its error code, description and ids. */
export function signInFailure(error: unknown): ActionError {
  if (error instanceof ActionError) return error
  const fields = (error ?? {}) as {
    statusCode?: number
    errorResponse?: {
      error?: unknown
      errorDescription?: string
      correlationId?: string
      traceId?: string
    }
  }
  let detail = messageOf(error)
  const response = fields.errorResponse
  if (response) {
    const code = textOf(response.error)
    const description = textOf(response.errorDescription)
    detail = [code, description && description !== code ? description : undefined]
      .filter((part) => part && !/^\[object Object\]/.test(part))
      .join(': ')
  }
  // Entra's descriptions carry line breaks and "Not Available" placeholders.
  detail = detail
    .replace(/\s*-\s*(Timestamp|Trace ID|Correlation ID|Description): Not Available/g, '')
    .replace(/\[object Object\]:?\s*|Error\(s\): Not Available/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[.,:]+$/, '')
  const facts = [
    fields.statusCode && `HTTP ${fields.statusCode}`,
    response?.traceId && response.traceId !== 'Not Available' && `trace id ${response.traceId}`,
    response?.correlationId &&
      response.correlationId !== 'Not Available' &&
      `correlation id ${response.correlationId}`
  ].filter(Boolean)
  return new ActionError(
    `Signing in to Microsoft Entra ID failed: ${detail || 'no details were given'}${facts.length ? ` (${facts.join(', ')})` : ''}. ${signInFix(detail)}`
  )
}

/**
 * The access token every request carries, shared by both clients (one sign-in, not one per
 * client). Unlike the SDK's bearer policy, it can be told a token was rejected: a token Azure
 * reports expired or invalid while it is still valid by its own expiry (revoked, clock skew, a
 * long wait) is then replaced by a fresh one from the identity provider.
 */
export class AccessTokenSource {
  private token?: AccessToken
  private pending?: Promise<AccessToken>

  constructor(
    private readonly credential: MaybeRefreshable,
    private readonly scopes: string[],
    private readonly log?: Log
  ) {}

  async get(): Promise<AccessToken> {
    const token = this.token
    const renewAt =
      token && (token.refreshAfterTimestamp ?? token.expiresOnTimestamp - TOKEN_REFRESH_MARGIN_MS)
    if (token && renewAt !== undefined && Date.now() < renewAt) return token
    return this.fetch()
  }

  /** A fresh token in place of `rejected`; callers that saw the same rejection share one request. */
  async replace(rejected: string): Promise<AccessToken> {
    if (this.pending) return this.pending
    if (this.token && this.token.token !== rejected) return this.token
    this.log?.info(
      'Azure rejected the access token (expired or revoked); signing in again and repeating the request.'
    )
    this.token = undefined
    this.credential.invalidate?.()
    return this.fetch()
  }

  private fetch(): Promise<AccessToken> {
    if (this.pending) return this.pending
    const request = (async () => {
      let token: AccessToken | null
      try {
        token = await this.credential.getToken(this.scopes)
      } catch (error) {
        throw signInFailure(error)
      }
      if (!token) throw signInFailure(new Error('the credential returned no access token'))
      this.token = token
      return token
    })()
    this.pending = request
    const settle = () => {
      if (this.pending === request) this.pending = undefined
    }
    request.then(settle, settle)
    return request
  }
}

const REJECTED_TOKEN_CODES = new Set(['ExpiredAuthenticationToken', 'InvalidAuthenticationToken'])

/** A 401 that a new token can fix (not, say, a token for the wrong audience). */
export function isRejectedToken(response: PipelineResponse): boolean {
  if (response.status !== 401) return false
  const { code } = errorBody(response)
  if (code) return REJECTED_TOKEN_CODES.has(code)
  return /error="invalid_token"/i.test(response.headers.get('www-authenticate') ?? '')
}

/** Authorizes each attempt (it sits inside the retry policy) and repeats a request once with a
 * fresh token when Azure rejects the cached one. */
export function refreshingBearerPolicy(tokens: AccessTokenSource): PipelinePolicy {
  return {
    name: 'refreshingBearerTokenPolicy',
    async sendRequest(request, next) {
      if (!request.url.toLowerCase().startsWith('https://')) {
        throw new Error('Bearer token authentication is not permitted for non-https URLs.')
      }
      const token = await tokens.get()
      request.headers.set('Authorization', `Bearer ${token.token}`)
      const response = await next(request)
      if (!isRejectedToken(response)) return response
      const fresh = await tokens.replace(token.token)
      request.headers.set('Authorization', `Bearer ${fresh.token}`)
      return next(request)
    }
  }
}

/** One correlation id for every request of the run: Azure support finds them all with it. */
function correlationPolicy(correlationId: string): PipelinePolicy {
  return {
    name: 'runCorrelationPolicy',
    sendRequest(request, next) {
      if (!request.headers.has('x-ms-correlation-request-id')) {
        request.headers.set('x-ms-correlation-request-id', correlationId)
      }
      return next(request)
    }
  }
}

/** Remembers the request id of the last answer, for errors that carry no response (errors.ts). */
const requestTrailPolicy: PipelinePolicy = {
  name: 'requestTrailPolicy',
  async sendRequest(request, next) {
    const response = await next(request)
    const requestId = response.headers.get('x-ms-request-id')
    if (requestId) requestTrail.lastRequestId = requestId
    return response
  }
}

const RETRY_AFTER_HEADERS = ['retry-after', 'retry-after-ms', 'x-ms-retry-after-ms']

function retryAfterMs(response: PipelineResponse): number | undefined {
  for (const header of RETRY_AFTER_HEADERS) {
    const value = response.headers.get(header)
    if (!value) continue
    const number = Number(value)
    if (Number.isFinite(number)) return header === 'retry-after' ? number * 1000 : number
    const date = Date.parse(value)
    if (Number.isFinite(date)) return date - Date.now()
  }
  return undefined
}

/**
 * The SDK waits as long as Retry-After says, however long that is, five times over. Beyond
 * MAX_RETRY_AFTER_MS the header is dropped: a 429 is then not retried and the run fails with
 * Azure's own message (which names the wait), and a 5xx falls back to bounded back-off.
 */
export const boundedRetryAfterPolicy: PipelinePolicy = {
  name: 'boundedRetryAfterPolicy',
  async sendRequest(request, next) {
    const response = await next(request)
    const wait = retryAfterMs(response)
    if (wait !== undefined && wait > MAX_RETRY_AFTER_MS) {
      for (const header of RETRY_AFTER_HEADERS) response.headers.delete(header)
    }
    return response
  }
}

const WRITES = new Set(['PUT', 'PATCH', 'POST', 'DELETE'])
const BUSY =
  /in progress|being deleted|provisioning state '(creating|updating|deleting)'|another operation|retry after|try again/i

/** A 409 that ends by itself: another operation holds the resource (a concurrent run, a
 * deletion), as opposed to a write that can never succeed (an immutable property). */
export function isBusyConflict(response: PipelineResponse): boolean {
  if (response.status !== 409) return false
  const { code, message } = errorBody(response)
  if (/immutable/i.test(code)) return false
  return code === 'AnotherOperationInProgress' || BUSY.test(message)
}

/**
 * Waits out another operation on the resource of a write: a 409 Conflict because an extension
 * is still Creating/Updating/Deleting (a run that overlaps this one, or a deletion) is repeated
 * with growing pauses until it goes through or the time left is spent (`remainingMs`, the step's
 * deadline; `timeoutMs` from the first attempt otherwise). The write then applies on top of what
 * the other operation left: the last writer wins, as with any ARM PUT.
 */
export function conflictRetryPolicy(options: {
  timeoutMs?: number
  remainingMs?: () => number
  intervalMs: number
  log?: Log
}): PipelinePolicy {
  return {
    name: 'conflictRetryPolicy',
    async sendRequest(request: PipelineRequest, next) {
      if (!WRITES.has(request.method)) return next(request)
      const deadline = Date.now() + (options.remainingMs?.() ?? options.timeoutMs ?? 0)
      let delay = Math.max(options.intervalMs, 100)
      let announced = false
      for (;;) {
        // core-client's deserialization policy (below this one) throws for an error status.
        let response: PipelineResponse
        try {
          response = await next(request)
        } catch (error) {
          const conflict = isRestError(error) ? error.response : undefined
          if (!conflict || !isBusyConflict(conflict) || Date.now() + delay > deadline) throw error
          response = conflict
        }
        if (!isBusyConflict(response) || Date.now() + delay > deadline) return response
        const resource = resourceName(request)
        if (!announced) {
          options.log?.info(
            conflictWaitNotice(
              request.method,
              resource,
              errorBody(response).message,
              deadline - Date.now()
            )
          )
          announced = true
        } else if (delay > 1000) {
          options.log?.info(conflictRetryNotice(request.method, resource, delay))
        }
        await systemClock.sleep(delay, request.abortSignal as AbortSignal | undefined)
        delay = Math.min(delay * 2, MAX_CONFLICT_DELAY_MS)
      }
    }
  }
}

const resourceName = (request: PipelineRequest): string =>
  decodeURIComponent(new URL(request.url).pathname.split('/').pop() ?? '')

/**
 * Says what the SDK's retry policy (above this one) is about to wait for: a 429 or a 5xx that
 * makes the run pause for more than a second is logged with its reason and how long.
 */
export function retryNoticePolicy(log: Log): PipelinePolicy {
  return {
    name: 'retryNoticePolicy',
    async sendRequest(request, next) {
      const response = await next(request)
      const wait = retryAfterMs(response)
      const retried =
        (response.status === 429 && wait !== undefined) ||
        (response.status >= 500 && response.status !== 501 && response.status !== 505)
      if (!retried || (wait !== undefined && (wait <= 1000 || wait > MAX_RETRY_AFTER_MS))) {
        return response
      }
      log.info(
        retryWaitNotice(
          request.method,
          resourceName(request),
          response.status,
          errorBody(response),
          wait
        )
      )
      return response
    }
  }
}

/** Ends every request (and the SDK's pauses between retries) when the step's time is up. */
export function deadlinePolicy(signal: AbortSignal): PipelinePolicy {
  return {
    name: 'deadlinePolicy',
    sendRequest(request, next) {
      request.abortSignal ??= signal
      return next(request)
    }
  }
}

/** Puts our policies in a client's pipeline, in place of its own bearer policy. */
function instrument(
  pipeline: Pipeline,
  policies: { bearer: PipelinePolicy; perCall: PipelinePolicy[]; belowRetry: PipelinePolicy[] }
): void {
  pipeline.removePolicy({ name: bearerTokenAuthenticationPolicyName })
  pipeline.addPolicy(policies.bearer, { phase: 'Sign' })
  for (const policy of policies.perCall) pipeline.addPolicy(policy)
  pipeline.addPolicy(boundedRetryAfterPolicy, { afterPhase: 'Retry' })
  for (const policy of policies.belowRetry) pipeline.addPolicy(policy, { afterPhase: 'Retry' })
  pipeline.addPolicy(requestTrailPolicy, { afterPhase: 'Retry' })
}

const AUTHORIZATION_PERMISSIONS_API_VERSION = '2022-04-01'

/**
 * The Azure calls of the action through the SDK clients, behind the port the core uses. Every
 * request carries the run's correlation id and ends with the step's deadline; long-running
 * operations are followed until done (or the deadline), except the extension's create and
 * update, whose provisioning the waiter follows.
 */
export function createAzureClients(
  credential: TokenCredential,
  subscriptionId: string,
  cloud: CloudSettings,
  lroIntervalMs: number,
  options: AzureClientOptions = {}
): AzurePort {
  const endpoint = cloud.armEndpoint.replace(/\/+$/, '')
  const scopes = [`${endpoint}/.default`]
  const correlationId = randomUUID()
  requestTrail.correlationId = correlationId
  const common = {
    endpoint,
    userAgentOptions: { userAgentPrefix: USER_AGENT },
    retryOptions: RETRY_OPTIONS
  }
  const acr = new ContainerRegistryManagementClient(credential, subscriptionId, {
    ...common,
    credentials: { scopes }
  })
  const k8s = new SourceControlConfigurationClient(credential, subscriptionId, {
    ...common,
    credentialScopes: scopes
  })
  const tokens = new AccessTokenSource(credential, scopes, options.log)
  const { deadline, log } = options
  const policies = {
    bearer: refreshingBearerPolicy(tokens),
    perCall: [
      correlationPolicy(correlationId),
      ...(deadline ? [deadlinePolicy(deadline.signal)] : []),
      conflictRetryPolicy({
        remainingMs: deadline ? () => deadline.remainingMs() : () => 0,
        intervalMs: lroIntervalMs,
        log
      })
    ],
    belowRetry: [...(log ? [retryNoticePolicy(log)] : []), ...(options.belowRetry ?? [])]
  }
  instrument(acr.pipeline, policies)
  instrument(k8s.pipeline, policies)

  /** Follows a long-running operation until Azure reports it done, or the signal ends it. */
  const lro = (write: WriteOptions) => ({
    updateIntervalInMs: lroIntervalMs,
    abortSignal: write.abortSignal
  })
  async function done<T>(
    poller: { pollUntilDone(o?: { abortSignal?: AbortSignal }): Promise<T> },
    write: WriteOptions
  ): Promise<T> {
    return poller.pollUntilDone({ abortSignal: write.abortSignal })
  }

  // No SDK on the design card covers Microsoft.Kubernetes or Microsoft.Authorization, so their
  // GETs go through the same authenticated, retrying pipeline as the extension calls.
  async function getJson(path: string, apiVersion: string): Promise<unknown> {
    const url = path.startsWith('https://')
      ? path
      : `${endpoint}${path}${path.includes('?') ? '&' : '?'}api-version=${apiVersion}`
    const request = createPipelineRequest({ url, method: 'GET', abortSignal: deadline?.signal })
    const response = await k8s.sendRequest(request)
    let body: { error?: { code?: string; message?: string } }
    try {
      body = response.bodyAsText ? JSON.parse(response.bodyAsText) : {}
    } catch {
      body = {}
    }
    if (response.status >= 400) {
      throw new RestError(body?.error?.message ?? `Unexpected status code: ${response.status}`, {
        code: body?.error?.code,
        statusCode: response.status,
        response
      })
    }
    return body
  }
  const segment = encodeURIComponent
  const extensionScope = (cluster: ClusterRef) =>
    [cluster.resourceGroup, 'Microsoft.Kubernetes', 'connectedClusters', cluster.name] as const

  return {
    correlationId,
    getRegistry: (group, registry) => acr.registries.get(group, registry),
    enableDataEndpoint: (group, registry, write) =>
      done(
        acr.registries.update(group, registry, { dataEndpointEnabled: true }, lro(write)),
        write
      ),
    generateCredentials: (group, registry, parameters, write) =>
      done(acr.registries.generateCredentials(group, registry, parameters, lro(write)), write),

    getScopeMap: (group, registry, name) => acr.scopeMaps.get(group, registry, name),
    createScopeMap: async (group, registry, name, scopeMap, write) => {
      await done(acr.scopeMaps.create(group, registry, name, scopeMap, lro(write)), write)
    },
    updateScopeMap: async (group, registry, name, scopeMap, write) => {
      await done(acr.scopeMaps.update(group, registry, name, scopeMap, lro(write)), write)
    },
    deleteScopeMap: (group, registry, name, write) =>
      done(acr.scopeMaps.delete(group, registry, name, lro(write)), write),

    getToken: (group, registry, name) => acr.tokens.get(group, registry, name),
    createToken: async (group, registry, name, token, write) => {
      await done(acr.tokens.create(group, registry, name, token, lro(write)), write)
    },
    updateToken: async (group, registry, name, token, write) => {
      await done(acr.tokens.update(group, registry, name, token, lro(write)), write)
    },
    deleteToken: (group, registry, name, write) =>
      done(acr.tokens.delete(group, registry, name, lro(write)), write),

    getConnectedRegistry: (group, registry, name) =>
      acr.connectedRegistries.get(group, registry, name),
    listConnectedRegistries: (group, registry, filter) =>
      acr.connectedRegistries.list(group, registry, {
        filter: filter || undefined,
        abortSignal: deadline?.signal
      }),
    createConnectedRegistry: async (group, registry, name, connectedRegistry, write) => {
      await done(
        acr.connectedRegistries.create(group, registry, name, connectedRegistry, lro(write)),
        write
      )
    },
    updateConnectedRegistry: async (group, registry, name, update, write) => {
      await done(acr.connectedRegistries.update(group, registry, name, update, lro(write)), write)
    },
    deactivateConnectedRegistry: (group, registry, name, write) =>
      done(acr.connectedRegistries.deactivate(group, registry, name, lro(write)), write),
    deleteConnectedRegistry: (group, registry, name, write) =>
      done(acr.connectedRegistries.delete(group, registry, name, lro(write)), write),

    getConnectedCluster: async (group, name) =>
      (await getJson(
        `/subscriptions/${segment(subscriptionId)}/resourceGroups/${segment(group)}/providers/Microsoft.Kubernetes/connectedClusters/${segment(name)}`,
        CONNECTED_CLUSTERS_API_VERSION
      )) as ConnectedClusterResource,

    getExtension: (cluster, name) => k8s.extensions.get(...extensionScope(cluster), name),
    startExtensionCreate: async (cluster, name, extension, write) => {
      await k8s.extensions.beginCreate(...extensionScope(cluster), name, extension, lro(write))
    },
    startExtensionUpdate: async (cluster, name, patch, write) => {
      await k8s.extensions.beginUpdate(...extensionScope(cluster), name, patch, lro(write))
    },
    deleteExtension: async (cluster, name, write) => {
      const poller = await k8s.extensions.beginDelete(...extensionScope(cluster), name, {
        forceDelete: write.forceDelete || undefined,
        ...lro(write)
      })
      await done(poller, write)
    },

    readPermissions: async (scope) => {
      const grants: PermissionGrant[] = []
      let next: string | undefined = `${scope}/providers/Microsoft.Authorization/permissions`
      while (next) {
        const page = (await getJson(next, AUTHORIZATION_PERMISSIONS_API_VERSION)) as {
          value?: PermissionGrant[]
          nextLink?: string
        }
        grants.push(...(page.value ?? []))
        next = page.nextLink
      }
      return grants
    }
  }
}

// The HTTPS front door: routing, scripted faults, authentication, throttling,
// RBAC, the common ARM headers and the journal, around every handler.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { handleAdminRequest, type EmulatorAdmin } from './admin.js'
import { ArmError, defaultCodeForStatus } from './errors.js'
import type { FaultStore } from './faults.js'
import { readBody, type Reply, type RequestContext, type Route, type Router } from './http.js'
import { authenticationError, type TokenService } from './identity.js'
import type { Journal } from './journal.js'
import type { Throttle, ThrottleDecision } from './throttle.js'
import type { World } from './world.js'

export interface ServerDeps {
  router: Router
  world: World
  tokens: TokenService
  faults: FaultStore
  throttle: Throttle
  journal: Journal
  admin: () => EmulatorAdmin
  baseUrl: () => string
  quiet: boolean
}

const ADMIN_PREFIX = '/_emulator'

export function createRequestHandler(
  deps: ServerDeps
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(deps, req, res).catch((e: unknown) => {
      // Last resort: never leave a request hanging.
      console.error(`[emulator] unexpected error: ${(e as Error).stack ?? String(e)}`)
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' })
      res.end(
        JSON.stringify({
          error: { code: 'InternalServerError', message: 'Emulator internal error.' }
        })
      )
    })
  }
}

function matchesAction(pattern: string, action: string): boolean {
  const p = pattern.toLowerCase()
  const a = action.toLowerCase()
  if (!p.includes('*')) return p === a
  const regex = new RegExp(
    `^${p
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`
  )
  return regex.test(a)
}

/** Scope reported in AuthorizationFailed: the request path without a trailing action segment. */
function scopeOf(path: string): string {
  return path.replace(/\/+$/, '').replace(/\/(generateCredentials|deactivate)$/i, '')
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const arrived = Date.now()
  const method = (req.method ?? 'GET').toUpperCase()
  const url = new URL(req.url ?? '/', 'https://127.0.0.1')
  const path = url.pathname
  const requestId = randomUUID()
  const correlationHeader = req.headers['x-ms-correlation-request-id']
  const correlationId =
    typeof correlationHeader === 'string' && correlationHeader ? correlationHeader : requestId
  const rawBody = await readBody(req)
  const common: Record<string, string> = {
    'x-ms-request-id': requestId,
    'x-ms-correlation-request-id': correlationId,
    'cache-control': 'no-cache'
  }
  const clientRequestId = req.headers['x-ms-client-request-id']
  if (typeof clientRequestId === 'string') common['x-ms-client-request-id'] = clientRequestId

  if (path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`)) {
    let reply: Reply
    try {
      reply = handleAdminRequest(deps.admin(), method, path.slice(ADMIN_PREFIX.length), rawBody)
    } catch (e) {
      reply =
        e instanceof ArmError
          ? { status: e.status, body: e.toBody() }
          : {
              status: 400,
              body: { error: { code: 'InvalidAdminRequest', message: (e as Error).message } }
            }
    }
    send(res, reply, common)
    return
  }

  const match = deps.router.match(method, path)
  const route: Route | undefined = match && 'route' in match ? match.route : undefined
  const ctx: RequestContext = {
    method,
    path,
    query: url.searchParams,
    params: match && 'route' in match ? match.params : {},
    headers: req.headers,
    rawBody,
    operation: route?.operation ?? 'Unknown',
    apiVersion: url.searchParams.get('api-version') ?? undefined,
    now: arrived,
    baseUrl: deps.baseUrl(),
    requestId
  }
  let reply: Reply
  let faultLabel: string | undefined
  let decision: ThrottleDecision | undefined
  try {
    if (!match) {
      throw new ArmError(404, 'NotFound', `The emulator does not serve ${method} ${path}.`)
    }
    if (!route) {
      throw new ArmError(
        405,
        'MethodNotAllowed',
        `The emulator does not support ${method} on ${path}.`
      )
    }
    const target = { operation: route.operation, method, path }

    // Scripted faults come first: they model the network and the gateway.
    const latency = deps.faults.matching(target, ['latency'])
    if (latency.length > 0) {
      latency.forEach((f) => deps.faults.consume(f))
      faultLabel = 'latency'
      await sleep(latency.reduce((sum, f) => sum + (f.latencyMs ?? 0), 0))
      ctx.now = Date.now()
    }
    const drop = deps.faults.matching(target, ['drop'])[0]
    if (drop) {
      deps.faults.consume(drop)
      req.socket.destroy()
      record(deps, ctx, route, arrived, 0, 'drop')
      return
    }
    const injected = deps.faults.matching(target, ['status'])[0]
    if (injected) {
      deps.faults.consume(injected)
      faultLabel = 'status'
      const status = injected.status ?? 500
      const headers: Record<string, string> = {}
      if (injected.retryAfterSeconds !== undefined)
        headers['Retry-After'] = String(injected.retryAfterSeconds)
      const code = injected.code ?? defaultCodeForStatus(status)
      const message = injected.message ?? `Injected ${status} (emulator fault rule ${injected.id}).`
      if (route.kind === 'identity') {
        // Entra ID answers in the OAuth 2.0 error shape, not ARM's.
        throw new ArmError(status, code, message, {
          headers,
          body: {
            error: status >= 500 ? 'temporarily_unavailable' : 'invalid_request',
            error_description: `AADSTS50000: ${code}: ${message}`,
            error_codes: [50000]
          }
        })
      }
      throw new ArmError(status, code, message, { headers })
    }
    const lroFailure = deps.faults.matching(target, ['lro-failure'])[0]
    if (lroFailure) ctx.lroFailure = lroFailure

    if (route.kind === 'arm') {
      if (!ctx.apiVersion) {
        throw new ArmError(
          400,
          'MissingApiVersionParameter',
          'The api-version query parameter (?api-version=) is required for all requests.'
        )
      }
      const auth = deps.tokens.checkAuthorization(req.headers.authorization, ctx.now)
      if (!auth.ok) throw authenticationError(auth, ctx.baseUrl, deps.world.tenantId)
      ctx.principal = auth.principal
      const kind = !route.write ? 'read' : method === 'DELETE' ? 'delete' : 'write'
      // ARM keeps a budget per subscription and principal.
      const owner = `${ctx.params.subscriptionId ?? ''}|${auth.principal.objectId}`.toLowerCase()
      decision = deps.throttle.take(kind, ctx.now, owner)
      if (!decision.allowed) {
        throw new ArmError(
          429,
          'TooManyRequests',
          `Number of '${kind}' requests for subscription '${ctx.params.subscriptionId ?? ''}' actor '${auth.principal.objectId}' exceeded. Please try again after '${decision.retryAfterSeconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
          { headers: { 'Retry-After': String(decision.retryAfterSeconds) } }
        )
      }
      const action = route.action
      if (action && deps.world.deniedActions.some((d) => matchesAction(d, action))) {
        throw new ArmError(
          403,
          'AuthorizationFailed',
          `The client '${auth.principal.clientId}' with object id '${auth.principal.objectId}' does not have authorization to perform action '${action}' over scope '${scopeOf(path)}' or the scope is invalid. If access was recently granted, please refresh your credentials.`
        )
      }
      deps.world.advance(ctx.now)
      reply = await route.handle(ctx)
      deps.world.settle(ctx.now)
    } else {
      reply = await route.handle(ctx)
    }
  } catch (e) {
    if (e instanceof ArmError) {
      reply = { status: e.status, body: e.toBody(), headers: e.options.headers }
    } else {
      console.error(`[emulator] ${method} ${path}: ${(e as Error).stack ?? String(e)}`)
      reply = {
        status: 500,
        body: {
          error: { code: 'InternalServerError', message: `Emulator error: ${(e as Error).message}` }
        }
      }
    }
  }
  if (route?.kind === 'arm') {
    decision ??= deps.throttle.peek(Date.now())
    common['x-ms-ratelimit-remaining-subscription-reads'] = String(decision.remainingReads)
    common['x-ms-ratelimit-remaining-subscription-writes'] = String(decision.remainingWrites)
    if (decision.remainingDeletes !== undefined) {
      common['x-ms-ratelimit-remaining-subscription-deletes'] = String(decision.remainingDeletes)
    }
  }
  send(res, reply, common)
  record(deps, ctx, route, arrived, reply.status, faultLabel)
}

function send(res: ServerResponse, reply: Reply, common: Record<string, string>): void {
  const headers: Record<string, string> = { ...common, ...(reply.headers ?? {}) }
  let payload: string | undefined
  if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body)
    headers['content-type'] = 'application/json; charset=utf-8'
  }
  headers['content-length'] = String(payload === undefined ? 0 : Buffer.byteLength(payload))
  res.writeHead(reply.status, headers)
  res.end(payload)
}

function record(
  deps: ServerDeps,
  ctx: RequestContext,
  route: Route | undefined,
  arrived: number,
  status: number,
  fault?: string
): void {
  const durationMs = Date.now() - arrived
  const write = route?.kind === 'arm' && route.write === true
  deps.journal.record({
    time: new Date(arrived).toISOString(),
    method: ctx.method,
    path: ctx.path,
    apiVersion: route?.kind === 'arm' || ctx.apiVersion ? ctx.apiVersion : undefined,
    operation: ctx.operation,
    status,
    requestId: ctx.requestId,
    write,
    durationMs,
    ...(ctx.principal ? { clientId: ctx.principal.clientId } : {}),
    ...(fault ? { fault } : {})
  })
  if (!deps.quiet) {
    console.error(
      `[emulator] ${status || 'DROP'} ${ctx.method} ${ctx.path} ${ctx.operation} ${durationMs}ms${fault ? ` (fault: ${fault})` : ''}`
    )
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

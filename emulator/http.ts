// Request context, reply shape and the tiny route table shared by every endpoint.
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { ActiveFault } from './faults.js'

/** Who called: filled from a verified bearer token on ARM routes. */
export interface Principal {
  clientId: string
  objectId: string
  tenantId: string
}

export interface RequestContext {
  method: string
  /** Path as sent, without the query string. */
  path: string
  query: URLSearchParams
  params: Record<string, string>
  headers: IncomingHttpHeaders
  rawBody: string
  /** operationId of the matched route. */
  operation: string
  apiVersion: string | undefined
  /** Wall-clock time the request arrived (ms since epoch); the simulation clock. */
  now: number
  /** https://127.0.0.1:<port> */
  baseUrl: string
  requestId: string
  principal?: Principal
  /** An armed 'lro-failure' fault: the async operation this request starts must fail. */
  lroFailure?: ActiveFault
}

export interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string>
}

/** `public`: served without sign-in, like ARM's cloud metadata document. */
export type RouteKind = 'arm' | 'identity' | 'github' | 'public'

export interface Route {
  method: string
  /** e.g. `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}` (literals match case-insensitively). */
  pattern: string
  /** operationId as in the REST specs, recorded in the journal. */
  operation: string
  kind: RouteKind
  /** PUT/PATCH/POST/DELETE on an ARM resource (counts against the write budget). */
  write?: boolean
  /** RBAC action needed, e.g. `Microsoft.ContainerRegistry/registries/read`; none = not checked. */
  action?: string
  handle: (ctx: RequestContext) => Reply | Promise<Reply>
}

interface CompiledRoute extends Route {
  regex: RegExp
  names: string[]
}

export class Router {
  private readonly routes: CompiledRoute[] = []

  add(...routes: Route[]): void {
    for (const route of routes) {
      const names: string[] = []
      const source = route.pattern
        .split('/')
        .map((segment) => {
          const param = /^\{(\w+)\}$/.exec(segment)
          if (param) {
            names.push(param[1])
            return '([^/]+)'
          }
          return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        })
        .join('/')
      this.routes.push({ ...route, regex: new RegExp(`^${source}/?$`, 'i'), names })
    }
  }

  /** The route for method+path, or `methodNotAllowed` when only the path matched. */
  match(
    method: string,
    path: string
  ): { route: Route; params: Record<string, string> } | { methodNotAllowed: true } | undefined {
    let pathMatched = false
    for (const route of this.routes) {
      const m = route.regex.exec(path)
      if (!m) continue
      if (route.method !== method) {
        pathMatched = true
        continue
      }
      const params: Record<string, string> = {}
      route.names.forEach((name, i) => (params[name] = safeDecode(m[i + 1])))
      return { route, params }
    }
    return pathMatched ? { methodNotAllowed: true } : undefined
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

const MAX_BODY_BYTES = 4 * 1024 * 1024

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    const buf = chunk as Buffer
    size += buf.length
    if (size > MAX_BODY_BYTES) throw new Error('request body too large')
    chunks.push(buf)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

// Helpers shared by the resource providers: request body access, validation
// and list paging.
import { ArmError, badRequest, invalidParameter } from '../errors.js'
import { isObject, type Reply, type RequestContext } from '../http.js'
import type { ClusterSimulator } from '../cluster-sim.js'
import type { Operations } from '../lro.js'
import type { World } from '../world.js'

/** What every resource provider works with. */
export interface ArmEnv {
  world: World
  ops: Operations
  sim: ClusterSimulator
}

/** Parses the JSON body; ARM answers 400 InvalidRequestContent for malformed JSON. */
export function jsonBody(ctx: RequestContext, required = true): Record<string, unknown> {
  if (ctx.rawBody.trim() === '') {
    if (!required) return {}
    throw badRequest(
      'InvalidRequestContent',
      'The request content was invalid and could not be deserialized: the request body is empty.'
    )
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(ctx.rawBody)
  } catch (e) {
    throw badRequest(
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized: ${(e as Error).message}`
    )
  }
  if (!isObject(parsed)) {
    throw badRequest(
      'InvalidRequestContent',
      'The request content was invalid and could not be deserialized: expected a JSON object.'
    )
  }
  return parsed
}

export function objectField(
  obj: Record<string, unknown>,
  name: string,
  path: string
): Record<string, unknown> | undefined {
  const v = obj[name]
  if (v === undefined || v === null) return undefined
  if (!isObject(v)) throw invalidParameter(`The property '${path}' must be an object.`, path)
  return v
}

export function stringField(
  obj: Record<string, unknown>,
  name: string,
  path: string
): string | undefined {
  const v = obj[name]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string')
    throw invalidParameter(`The property '${path}' must be a string.`, path)
  return v
}

export function booleanField(
  obj: Record<string, unknown>,
  name: string,
  path: string
): boolean | undefined {
  const v = obj[name]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'boolean')
    throw invalidParameter(`The property '${path}' must be a boolean.`, path)
  return v
}

export function stringArrayField(
  obj: Record<string, unknown>,
  name: string,
  path: string
): string[] | undefined {
  const v = obj[name]
  if (v === undefined || v === null) return undefined
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
    throw invalidParameter(`The property '${path}' must be an array of strings.`, path)
  }
  return v as string[]
}

/** Canonical casing of an enum value given in any case, or a 400. */
export function enumValue(value: string, allowed: readonly string[], path: string): string {
  const found = allowed.find((a) => a.toLowerCase() === value.toLowerCase())
  if (!found) {
    throw invalidParameter(
      `The value '${value}' of '${path}' is invalid. Allowed values: ${allowed.join(', ')}.`,
      path
    )
  }
  return found
}

/** Name rules from the ACR spec path parameters. */
export function checkName(kind: string, name: string, pattern: RegExp, charset: string): void {
  if (name.length < 5 || name.length > 50 || !pattern.test(name)) {
    throw new ArmError(
      400,
      'InvalidResourceName',
      `The ${kind} name '${name}' is invalid. It must be 5 to 50 characters long and may contain only ${charset}.`
    )
  }
}

const ISO_DURATION = /^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/

/** ISO 8601 duration → milliseconds (months = 30 days, years = 365 days); undefined if not a duration. */
export function durationMs(text: string): number | undefined {
  const m = ISO_DURATION.exec(text)
  if (!m) return undefined
  const n = (s: string | undefined): number => (s ? parseFloat(s) : 0)
  const day = 86_400_000
  return (
    n(m[1]) * 365 * day +
    n(m[2]) * 30 * day +
    n(m[3]) * 7 * day +
    n(m[4]) * day +
    n(m[6]) * 3_600_000 +
    n(m[7]) * 60_000 +
    n(m[8]) * 1000
  )
}

export function checkDuration(
  value: string,
  path: string,
  minMs: number,
  maxMs: number,
  range: string
): void {
  const ms = durationMs(value)
  if (ms === undefined)
    throw invalidParameter(
      `The value '${value}' of '${path}' is not a valid ISO 8601 duration.`,
      path
    )
  if (ms < minMs || ms > maxMs)
    throw invalidParameter(
      `The value '${value}' of '${path}' is out of range: it must be between ${range}.`,
      path
    )
}

/** Five-field cron, as the connected registry accepts for sync and garbage-collection schedules. */
export function checkCron(value: string, path: string): void {
  const fields = value.trim().split(/\s+/)
  if (fields.length !== 5 || fields.some((f) => !/^[\d*/,\-A-Za-z?]+$/.test(f))) {
    throw invalidParameter(
      `The value '${value}' of '${path}' is not a valid cron expression (5 fields, e.g. '0 9 * * *').`,
      path
    )
  }
}

/**
 * `{ value, nextLink? }` with `$skipToken` paging by the world's page size. The
 * extension RP writes `"nextLink": null` on the last page (as in its examples).
 */
export function pagedList(
  ctx: RequestContext,
  world: World,
  items: unknown[],
  options: { nullNextLink?: boolean } = {}
): Reply {
  const start = Math.max(0, Number.parseInt(ctx.query.get('$skipToken') ?? '0', 10) || 0)
  const end = start + Math.max(1, world.pageSize)
  const body: { value: unknown[]; nextLink?: string | null } = { value: items.slice(start, end) }
  if (options.nullNextLink) body.nextLink = null
  if (end < items.length) {
    const q = new URLSearchParams()
    q.set('api-version', ctx.apiVersion ?? '')
    const filter = ctx.query.get('$filter')
    if (filter !== null) q.set('$filter', filter)
    q.set('$skipToken', String(end))
    body.nextLink = `${ctx.baseUrl}${ctx.path}?${q.toString()}`
  }
  return { status: 200, body }
}

/** Who to write into systemData. */
export function actor(ctx: RequestContext): string {
  return ctx.principal?.clientId ?? 'emulator'
}

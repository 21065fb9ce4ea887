// Helpers shared by the resource providers: request body access, validation,
// registry and child lookups, the provisioning-state guard, list paging and
// the route set of a resource type.
import { ArmError, badRequest, conflict, invalidParameter, resourceNotFound } from '../errors.js'
import { REGISTRY_TYPE, childId, key, parseRegistryChildId, resourceGroupId } from '../ids.js'
import { isObject, type Reply, type RequestContext, type Route } from '../http.js'
import type { ClusterSimulator } from '../cluster-sim.js'
import type { Operations } from '../lro.js'
import type { ProvisioningState, Registry, World } from '../world.js'

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

/**
 * `obj[name]` when it passes `is`; undefined when absent or null; otherwise
 * 400 InvalidParameter "The property '<path>' must be <what>."
 */
function typedField<T>(
  obj: Record<string, unknown>,
  name: string,
  path: string,
  is: (v: unknown) => v is T,
  what: string
): T | undefined {
  const v = obj[name]
  if (v === undefined || v === null) return undefined
  if (!is(v)) throw invalidParameter(`The property '${path}' must be ${what}.`, path)
  return v
}

const isString = (v: unknown): v is string => typeof v === 'string'
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean'
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString)

export function objectField(
  obj: Record<string, unknown>,
  name: string,
  path: string
): Record<string, unknown> | undefined {
  return typedField(obj, name, path, isObject, 'an object')
}

export function stringField(
  obj: Record<string, unknown>,
  name: string,
  path: string
): string | undefined {
  return typedField(obj, name, path, isString, 'a string')
}

export function booleanField(
  obj: Record<string, unknown>,
  name: string,
  path: string
): boolean | undefined {
  return typedField(obj, name, path, isBoolean, 'a boolean')
}

export function stringArrayField(
  obj: Record<string, unknown>,
  name: string,
  path: string
): string[] | undefined {
  return typedField(obj, name, path, isStringArray, 'an array of strings')
}

/** The allowed value that matches `value` in any case, or undefined. */
export function canonical<T extends string>(value: string, allowed: readonly T[]): T | undefined {
  return allowed.find((a) => a.toLowerCase() === value.toLowerCase())
}

/** Canonical casing of an enum value given in any case, or a 400. */
export function enumValue(value: string, allowed: readonly string[], path: string): string {
  const found = canonical(value, allowed)
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
function durationMs(text: string): number | undefined {
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

const BUSY: readonly ProvisioningState[] = ['Creating', 'Updating', 'Deleting']

/**
 * 409 Conflict while a write of the resource is still in flight:
 * "The <kind> '<name>' is in provisioning state '<state>'<tail>".
 */
export function assertNotBusy(
  kind: string,
  resource: { name: string; provisioningState: ProvisioningState },
  tail = '; another operation is in progress.'
): void {
  if (BUSY.includes(resource.provisioningState)) {
    throw conflict(
      `The ${kind} '${resource.name}' is in provisioning state '${resource.provisioningState}'${tail}`
    )
  }
}

/** The registry of a `.../registries/{registryName}` route (ARM 404s up the chain). */
export function routeRegistry(world: World, ctx: RequestContext): Registry {
  return world.requireRegistry(
    ctx.params.subscriptionId,
    ctx.params.resourceGroupName,
    ctx.params.registryName
  )
}

export type RegistryCollection = Parameters<typeof childId>[1]

/** A registry child by name, or undefined. */
export function childNamed<T>(
  store: Map<string, T>,
  reg: Registry,
  collection: RegistryCollection,
  name: string
): T | undefined {
  return store.get(key(childId(reg.id, collection, name)))
}

/** A registry child by name, or ARM's 404 for `<registry type>/<registry>/<collection>/<name>`. */
export function requireChild<T>(
  store: Map<string, T>,
  reg: Registry,
  collection: RegistryCollection,
  name: string
): T {
  const child = childNamed(store, reg, collection, name)
  if (!child)
    throw resourceNotFound(`${REGISTRY_TYPE}/${reg.name}/${collection}`, name, reg.resourceGroup)
  return child
}

/** The child a full resource ID names, when it is one of `collection` in `reg`; else undefined. */
export function childById<T extends { registryKey: string }>(
  store: Map<string, T>,
  reg: Registry,
  collection: RegistryCollection,
  id: string
): T | undefined {
  const parsed = parseRegistryChildId(id)
  const child = store.get(key(id))
  if (
    !parsed ||
    parsed.collection.toLowerCase() !== collection.toLowerCase() ||
    !child ||
    child.registryKey !== key(reg.id)
  )
    return undefined
  return child
}

/** Top-level resources of the route's subscription (404 for an unknown subscription). */
export function inSubscription<T extends { id: string }>(
  world: World,
  ctx: RequestContext,
  store: Map<string, T>
): T[] {
  world.requireSubscription(ctx.params.subscriptionId)
  const prefix = `/subscriptions/${ctx.params.subscriptionId}/`.toLowerCase()
  return [...store.values()].filter((r) => key(r.id).startsWith(prefix))
}

/** Top-level resources of the route's resource group (404 for an unknown one). */
export function inResourceGroup<T extends { id: string }>(
  world: World,
  ctx: RequestContext,
  store: Map<string, T>
): T[] {
  const rg = world.requireResourceGroup(ctx.params.subscriptionId, ctx.params.resourceGroupName)
  const prefix = `${resourceGroupId(rg.subscriptionId, rg.name)}/`.toLowerCase()
  return [...store.values()].filter((r) => key(r.id).startsWith(prefix))
}

type Handler = Route['handle']

/**
 * The five routes of an ARM resource type: `<operation>_List` on the collection path, and
 * `_Get`, `_Create` (PUT), `_Update` (PATCH) and `_Delete` on the item path. Reads need the
 * RBAC action `<actionType>/read`, PUT and PATCH `<actionType>/write`, DELETE
 * `<actionType>/delete`; the three writes count against the write budget.
 */
export function resourceRoutes(spec: {
  operation: string
  collection: string
  item: string
  actionType: string
  list: Handler
  get: Handler
  create: Handler
  update: Handler
  remove: Handler
}): Route[] {
  const { operation, collection, item, actionType } = spec
  const read = { kind: 'arm' as const, action: `${actionType}/read` }
  const write = { kind: 'arm' as const, write: true, action: `${actionType}/write` }
  return [
    {
      method: 'GET',
      pattern: collection,
      operation: `${operation}_List`,
      ...read,
      handle: spec.list
    },
    { method: 'GET', pattern: item, operation: `${operation}_Get`, ...read, handle: spec.get },
    {
      method: 'PUT',
      pattern: item,
      operation: `${operation}_Create`,
      ...write,
      handle: spec.create
    },
    {
      method: 'PATCH',
      pattern: item,
      operation: `${operation}_Update`,
      ...write,
      handle: spec.update
    },
    {
      method: 'DELETE',
      pattern: item,
      operation: `${operation}_Delete`,
      kind: 'arm',
      write: true,
      action: `${actionType}/delete`,
      handle: spec.remove
    }
  ]
}

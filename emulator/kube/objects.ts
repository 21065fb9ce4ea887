// Shapes of the Kubernetes API that kubectl relies on: object metadata, list envelopes and
// `kind: Status` errors (status code, reason, details), as a real API server sends them.
import { createHash } from 'node:crypto'

export interface ObjectMeta {
  name: string
  namespace?: string
  uid: string
  resourceVersion: string
  creationTimestamp: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  deletionTimestamp?: string
  [field: string]: unknown
}

export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: ObjectMeta
  [field: string]: unknown
}

export interface StatusCause {
  reason: string
  message: string
  field?: string
}

/** An API error, answered as a `kind: Status` object. */
export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] }
  ) {
    super(message)
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code
    }
  }
}

export function notFound(resource: string, name: string, group = ''): KubeError {
  const qualified = group ? `${resource}.${group}` : resource
  return new KubeError(404, 'NotFound', `${qualified} "${name}" not found`, {
    name,
    ...(group ? { group } : {}),
    kind: resource
  })
}

export function alreadyExists(resource: string, name: string): KubeError {
  return new KubeError(409, 'AlreadyExists', `${resource} "${name}" already exists`, {
    name,
    kind: resource
  })
}

export function conflict(resource: string, name: string): KubeError {
  return new KubeError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, kind: resource }
  )
}

export function invalid(kind: string, name: string, causes: StatusCause[]): KubeError {
  return new KubeError(
    422,
    'Invalid',
    `${kind} "${name}" is invalid: ${causes.map((c) => `${c.field ?? ''}: ${c.message}`).join(', ')}`,
    { name, kind, causes }
  )
}

export function badRequest(message: string): KubeError {
  return new KubeError(400, 'BadRequest', message)
}

/** A UID derived from a text, so derived objects keep theirs between reads. */
export function stableUid(text: string): string {
  const h = createHash('sha256').update(text).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`
}

export function shortHash(text: string, length: number): string {
  // Kubernetes' generated name suffixes use consonants and digits only.
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789'
  const bytes = createHash('sha256').update(text).digest()
  let out = ''
  for (let i = 0; i < length; i++) out += alphabet[bytes[i] % alphabet.length]
  return out
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/

/** Kubernetes' name rules: DNS-1123 subdomain (most objects) or label (namespaces). */
export function nameProblem(name: unknown, label: boolean): string | undefined {
  if (typeof name !== 'string' || name === '') return 'name or generateName is required'
  const max = label ? 63 : 253
  const pattern = label ? DNS_LABEL : DNS_SUBDOMAIN
  if (name.length > max || !pattern.test(name))
    return `Invalid value: "${name}": a lowercase RFC 1123 ${label ? 'label' : 'subdomain'} must consist of lower case alphanumeric characters, '-'${label ? '' : " or '.'"}, and must start and end with an alphanumeric character`
  return undefined
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** JSON merge patch (RFC 7386): null deletes a key, objects merge, everything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch)
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

/**
 * Strategic merge patch, as far as the served kinds need it: like a merge patch, except that
 * lists of objects with a merge key (`name`) merge item by item and `$patch: delete` items or
 * `$retainKeys`/`$setElementOrder` directives are honoured or dropped.
 */
export function strategicMergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch)
  if (patch.$patch === 'replace') {
    const rest = { ...patch }
    delete rest.$patch
    return structuredClone(rest)
  }
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$setElementOrder/') || k === '$retainKeys') continue
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length)
      const drop = new Set(Array.isArray(v) ? v : [])
      if (Array.isArray(out[field]))
        out[field] = (out[field] as unknown[]).filter((x) => !drop.has(x))
      continue
    }
    if (v === null) delete out[k]
    else if (
      Array.isArray(v) &&
      Array.isArray(out[k]) &&
      v.every((i) => isRecord(i) && 'name' in i)
    )
      out[k] = mergeNamedList(out[k] as unknown[], v as Record<string, unknown>[])
    else out[k] = strategicMergePatch(out[k], v)
  }
  return out
}

function mergeNamedList(target: unknown[], patch: Record<string, unknown>[]): unknown[] {
  const out = [...target]
  for (const item of patch) {
    const i = out.findIndex((t) => isRecord(t) && t.name === item.name)
    if (item.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1)
    } else if (i >= 0) out[i] = strategicMergePatch(out[i], item)
    else out.push(structuredClone(item))
  }
  return out
}

/** RFC 3339 to the second, as Kubernetes writes timestamps. */
export function isoSeconds(t: number): string {
  return new Date(Number.isFinite(t) ? t : Date.now()).toISOString().replace(/\.\d+Z$/, 'Z')
}

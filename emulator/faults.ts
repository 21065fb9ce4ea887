// Scripted faults: latency, injected error statuses, dropped connections and
// failing long-running operations. Rules match on operationId, method and a
// path substring; `times` limits how many matching requests they hit.
import { randomUUID } from 'node:crypto'

export type FaultKind = 'latency' | 'status' | 'drop' | 'lro-failure'

export interface FaultRule {
  /** operationId, e.g. 'ConnectedRegistries_Create' (case-insensitive). */
  operation?: string
  method?: string
  /** Case-insensitive substring of the request path. */
  pathIncludes?: string
  kind: FaultKind
  latencyMs?: number
  status?: number
  code?: string
  message?: string
  retryAfterSeconds?: number
  /** How many matching requests (or, for 'lro-failure', operations) it applies to; default unlimited. */
  times?: number
}

export interface ActiveFault extends FaultRule {
  id: string
  /** How often it has been applied so far. */
  hits: number
}

const KINDS: FaultKind[] = ['latency', 'status', 'drop', 'lro-failure']

function validateFaultRule(rule: unknown): FaultRule {
  if (typeof rule !== 'object' || rule === null) throw new Error('fault rule must be an object')
  const r = rule as Record<string, unknown>
  if (!KINDS.includes(r.kind as FaultKind)) {
    throw new Error(`fault rule 'kind' must be one of ${KINDS.join(', ')}`)
  }
  const numberFields = ['latencyMs', 'status', 'retryAfterSeconds', 'times'] as const
  for (const f of numberFields) {
    if (
      r[f] !== undefined &&
      (typeof r[f] !== 'number' || !Number.isFinite(r[f]) || (r[f] as number) < 0)
    ) {
      throw new Error(`fault rule '${f}' must be a non-negative number`)
    }
  }
  for (const f of ['operation', 'method', 'pathIncludes', 'code', 'message'] as const) {
    if (r[f] !== undefined && typeof r[f] !== 'string')
      throw new Error(`fault rule '${f}' must be a string`)
  }
  if (r.kind === 'status' && (typeof r.status !== 'number' || r.status < 400 || r.status > 599)) {
    throw new Error("fault rule of kind 'status' needs 'status' between 400 and 599")
  }
  if (r.kind === 'latency' && typeof r.latencyMs !== 'number') {
    throw new Error("fault rule of kind 'latency' needs 'latencyMs'")
  }
  return r as unknown as FaultRule
}

export interface FaultTarget {
  operation: string
  method: string
  path: string
}

export class FaultStore {
  private rules: ActiveFault[] = []

  add(rule: FaultRule): string {
    const valid = validateFaultRule(rule)
    const id = randomUUID()
    this.rules.push({ ...valid, id, hits: 0 })
    return id
  }

  remove(id: string): boolean {
    const before = this.rules.length
    this.rules = this.rules.filter((r) => r.id !== id)
    return this.rules.length !== before
  }

  clear(): void {
    this.rules = []
  }

  list(): ActiveFault[] {
    return this.rules.map((r) => ({ ...r }))
  }

  /** Rules of the given kinds matching the request, in insertion order (not consumed). */
  matching(target: FaultTarget, kinds: FaultKind[]): ActiveFault[] {
    return this.rules.filter((r) => kinds.includes(r.kind) && matches(r, target))
  }

  /** Counts one application; removes the rule when its `times` is used up. */
  consume(rule: ActiveFault): void {
    const live = this.rules.find((r) => r.id === rule.id)
    if (!live) return
    live.hits++
    if (live.times !== undefined && live.hits >= live.times) this.remove(live.id)
  }
}

function matches(rule: FaultRule, t: FaultTarget): boolean {
  if (rule.operation && rule.operation.toLowerCase() !== t.operation.toLowerCase()) return false
  if (rule.method && rule.method.toUpperCase() !== t.method.toUpperCase()) return false
  if (rule.pathIncludes && !t.path.toLowerCase().includes(rule.pathIncludes.toLowerCase()))
    return false
  return true
}

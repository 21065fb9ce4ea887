// ARM request throttling. Every ARM answer reports what is left in
// `x-ms-ratelimit-remaining-subscription-reads|writes` (and `-deletes` under the token bucket).
// Three settings:
//   - none (the default): nothing is enforced; what is left of ARM's nominal hourly limits is
//     reported;
//   - a window budget set by a test ({ reads?, writes?, windowMs }): so many requests per window
//     for the whole subscription, deletes counted as writes (the older hourly model that still
//     applies in some clouds);
//   - ARM's current token-bucket model ({ model: 'token-bucket', ... }): a bucket per
//     subscription, principal and operation type (read, write, delete), each refilled at its
//     own rate; 250 + 25/s for reads, 200 + 10/s for writes and for deletes unless configured.

export type OperationKind = 'read' | 'write' | 'delete'

export interface WindowThrottleConfig {
  reads?: number
  writes?: number
  windowMs: number
}

export interface BucketConfig {
  /** Tokens the bucket holds, and starts with. */
  bucket?: number
  refillPerSecond?: number
}

export interface TokenBucketThrottleConfig {
  model: 'token-bucket'
  reads?: BucketConfig
  writes?: BucketConfig
  deletes?: BucketConfig
}

export type ThrottleConfig = WindowThrottleConfig | TokenBucketThrottleConfig

/** Nominal ARM per-subscription limits (Azure docs: 12,000 reads / 1,200 writes per hour). */
const NOMINAL = { reads: 12_000, writes: 1_200, windowMs: 3_600_000 }

/** ARM's documented token buckets per principal (request-limits-and-throttling). */
export const ARM_TOKEN_BUCKETS: Readonly<Record<OperationKind, Required<BucketConfig>>> = {
  read: { bucket: 250, refillPerSecond: 25 },
  write: { bucket: 200, refillPerSecond: 10 },
  delete: { bucket: 200, refillPerSecond: 10 }
}

const BUCKET_KEYS: Record<OperationKind, 'reads' | 'writes' | 'deletes'> = {
  read: 'reads',
  write: 'writes',
  delete: 'deletes'
}

export interface ThrottleDecision {
  allowed: boolean
  remainingReads: number
  remainingWrites: number
  /** Only under the token-bucket model, which counts deletes on their own. */
  remainingDeletes?: number
  /** Seconds until the request would be allowed (at least 1); meaningful when not allowed. */
  retryAfterSeconds: number
}

const isTokenBucket = (config: ThrottleConfig | null): config is TokenBucketThrottleConfig =>
  config !== null && 'model' in config && config.model === 'token-bucket'

interface Bucket {
  tokens: number
  updatedAt: number
}

export class Throttle {
  private config: ThrottleConfig | null = null
  private windowStart = 0
  private reads = 0
  private writes = 0
  /** Token buckets by subscription|principal|operation kind. */
  private readonly buckets = new Map<string, Bucket>()

  set(config: ThrottleConfig | null, now: number): void {
    if (config !== null) validate(config)
    this.config = isTokenBucket(config) ? resolveBuckets(config) : config
    this.windowStart = now
    this.reads = 0
    this.writes = 0
    this.buckets.clear()
  }

  current(): ThrottleConfig | null {
    if (!this.config) return null
    return JSON.parse(JSON.stringify(this.config)) as ThrottleConfig
  }

  /** What is left, without counting a request (for answers that never reached the budget check). */
  peek(now: number, principal?: string): ThrottleDecision {
    return this.evaluate('read', now, false, principal)
  }

  /** Counts the request if allowed. `principal` names the bucket owner (subscription and
   * principal) under the token-bucket model. */
  take(kind: OperationKind, now: number, principal = ''): ThrottleDecision {
    return this.evaluate(kind, now, true, principal)
  }

  private evaluate(
    kind: OperationKind,
    now: number,
    count: boolean,
    principal?: string
  ): ThrottleDecision {
    if (isTokenBucket(this.config))
      return this.evaluateBuckets(this.config, kind, now, count, principal)
    const isWrite = kind !== 'read'
    const enforced = this.config !== null
    const windowMs = this.config?.windowMs ?? NOMINAL.windowMs
    if (now - this.windowStart >= windowMs) {
      // Windows are aligned to the moment the budget was set.
      const elapsedWindows = Math.floor((now - this.windowStart) / windowMs)
      this.windowStart += elapsedWindows * windowMs
      this.reads = 0
      this.writes = 0
    }
    const readLimit = (enforced ? this.config?.reads : NOMINAL.reads) ?? Infinity
    const writeLimit = (enforced ? this.config?.writes : NOMINAL.writes) ?? Infinity
    const used = isWrite ? this.writes : this.reads
    const limit = isWrite ? writeLimit : readLimit
    const allowed = !enforced || used < limit
    if (allowed && count) {
      if (isWrite) this.writes++
      else this.reads++
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((this.windowStart + windowMs - now) / 1000))
    return {
      allowed,
      remainingReads: remaining(readLimit, this.reads, NOMINAL.reads),
      remainingWrites: remaining(writeLimit, this.writes, NOMINAL.writes),
      retryAfterSeconds
    }
  }

  private evaluateBuckets(
    config: TokenBucketThrottleConfig,
    kind: OperationKind,
    now: number,
    count: boolean,
    principal: string | undefined
  ): ThrottleDecision {
    const limits = (k: OperationKind) => config[BUCKET_KEYS[k]] as Required<BucketConfig>
    // An unknown principal (an answer before authentication) has used nothing.
    const level = (k: OperationKind): Bucket => {
      const full = { tokens: limits(k).bucket, updatedAt: now }
      if (principal === undefined) return full
      const key = `${principal}|${k}`
      const bucket = this.buckets.get(key) ?? full
      // Requests are stamped when they arrive but may be counted out of order: time never runs back.
      const elapsedMs = Math.max(0, now - bucket.updatedAt)
      const refilled = bucket.tokens + (elapsedMs / 1000) * limits(k).refillPerSecond
      bucket.tokens = Math.min(limits(k).bucket, refilled)
      bucket.updatedAt = Math.max(bucket.updatedAt, now)
      this.buckets.set(key, bucket)
      return bucket
    }
    const bucket = level(kind)
    const allowed = bucket.tokens >= 1
    if (allowed && count) bucket.tokens -= 1
    const retryAfterSeconds = Math.max(
      1,
      Math.ceil((1 - bucket.tokens) / limits(kind).refillPerSecond)
    )
    return {
      allowed,
      remainingReads: Math.floor(level('read').tokens),
      remainingWrites: Math.floor(level('write').tokens),
      remainingDeletes: Math.floor(level('delete').tokens),
      retryAfterSeconds
    }
  }
}

function validate(config: ThrottleConfig): void {
  if (isTokenBucket(config)) {
    for (const key of ['reads', 'writes', 'deletes'] as const) {
      const bucket = config[key]
      if (bucket === undefined) continue
      if (bucket.bucket !== undefined && (!Number.isInteger(bucket.bucket) || bucket.bucket < 1))
        throw new Error(`throttle ${key}.bucket must be an integer >= 1`)
      if (bucket.refillPerSecond !== undefined && !(bucket.refillPerSecond > 0))
        throw new Error(`throttle ${key}.refillPerSecond must be > 0`)
    }
    return
  }
  if ('model' in config)
    throw new Error("throttle model must be 'token-bucket' (or omitted for a window budget)")
  if (!(config.windowMs > 0)) throw new Error('throttle windowMs must be > 0')
  for (const k of ['reads', 'writes'] as const) {
    const v = config[k]
    if (v !== undefined && (!Number.isInteger(v) || v < 0))
      throw new Error(`throttle ${k} must be an integer >= 0`)
  }
}

/** The token-bucket config with ARM's numbers wherever the config gives none. */
function resolveBuckets(config: TokenBucketThrottleConfig): TokenBucketThrottleConfig {
  const resolved: TokenBucketThrottleConfig = { model: 'token-bucket' }
  for (const kind of ['read', 'write', 'delete'] as const) {
    resolved[BUCKET_KEYS[kind]] = {
      ...ARM_TOKEN_BUCKETS[kind],
      ...(config[BUCKET_KEYS[kind]] ?? {})
    }
  }
  return resolved
}

function remaining(limit: number, used: number, nominal: number): number {
  // Unlimited in an enforced budget: report the nominal figure rather than "Infinity".
  const cap = Number.isFinite(limit) ? limit : nominal
  return Math.max(0, cap - used)
}

// A client-side budget that follows Azure Resource Manager's throttling model, so a fleet run
// does not trip 429: a token bucket per operation type (per identity, subscription and region on
// ARM's side; one run uses one identity and subscription). Each request waits for a token of its
// type before it is sent; ARM's own count (x-ms-ratelimit-remaining-subscription-*) lowers ours
// when others share the identity (the jobs of a sharded matrix), and a 429 that comes anyway
// empties the bucket for as long as Retry-After says.

import type { PipelinePolicy, PipelineResponse } from '@azure/core-rest-pipeline'
import type { Log } from '../ports.js'

export type ArmOperation = 'read' | 'write' | 'delete'

export interface BucketLimits {
  /** Tokens the bucket holds (and starts with). */
  capacity: number
  refillPerSecond: number
}

/** ARM's documented buckets (request-limits-and-throttling, current model). */
export const ARM_LIMITS: Readonly<Record<ArmOperation, BucketLimits>> = {
  read: { capacity: 250, refillPerSecond: 25 },
  write: { capacity: 200, refillPerSecond: 10 },
  delete: { capacity: 200, refillPerSecond: 10 }
}

/** Time, injected so tests run on a fake clock. */
export interface Clock {
  now(): number
  sleep(ms: number, signal?: AbortSignal): Promise<void>
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      }, ms)
      const onAbort = () => {
        clearTimeout(timer)
        reject(signal?.reason)
      }
      signal?.addEventListener('abort', onAbort, { once: true })
    })
}

const abortReason = (signal: AbortSignal): unknown =>
  signal.reason ?? new Error('The request was aborted.')

interface Waiter {
  asked: number
  resolve: (waitedMs: number) => void
}

/** One token bucket. Takers are served first come, first served. */
export class TokenBucket {
  private tokens: number
  private updatedAt: number
  private readonly queue: Waiter[] = []
  /** Ends the pump's sleep when every waiter has given up. */
  private pumpStop?: AbortController

  constructor(
    readonly limits: BucketLimits,
    private readonly clock: Clock
  ) {
    this.tokens = limits.capacity
    this.updatedAt = clock.now()
  }

  /** Whole tokens available now. */
  available(): number {
    this.refill()
    return Math.floor(this.tokens)
  }

  /** Takers waiting for a token. */
  queued(): number {
    return this.queue.length
  }

  /** Waits for a token and takes it; resolves with how long it waited (ms). */
  take(signal?: AbortSignal): Promise<number> {
    if (signal?.aborted) return Promise.reject(abortReason(signal))
    this.refill()
    if (this.queue.length === 0 && this.tokens >= 1) {
      this.tokens -= 1
      return Promise.resolve(0)
    }
    return new Promise<number>((resolve, reject) => {
      const waiter: Waiter = { asked: this.clock.now(), resolve }
      this.queue.push(waiter)
      signal?.addEventListener(
        'abort',
        () => {
          const index = this.queue.indexOf(waiter)
          if (index < 0) return
          this.queue.splice(index, 1)
          if (this.queue.length === 0) this.pumpStop?.abort()
          reject(abortReason(signal))
        },
        { once: true }
      )
      if (!this.pumpStop) void this.pump()
    })
  }

  /** Hands out tokens to the queue in order, sleeping until the next one is due. */
  private async pump(): Promise<void> {
    const stop = new AbortController()
    this.pumpStop = stop
    try {
      while (this.queue.length > 0) {
        this.refill()
        while (this.queue.length > 0 && this.tokens >= 1) {
          const waiter = this.queue.shift() as Waiter
          this.tokens -= 1
          waiter.resolve(this.clock.now() - waiter.asked)
        }
        if (this.queue.length === 0) break
        const dueInMs = Math.ceil(((1 - this.tokens) / this.limits.refillPerSecond) * 1000)
        await this.clock.sleep(dueInMs, stop.signal).catch(() => undefined)
      }
    } finally {
      this.pumpStop = undefined
    }
  }

  /** What Azure says is left: ours never counts more. */
  lowerTo(remaining: number): void {
    this.refill()
    if (remaining < this.tokens) this.tokens = Math.max(0, remaining)
  }

  /** Azure refused for lack of tokens: none until `ms` from now. */
  emptyFor(ms: number): void {
    this.refill()
    this.tokens = Math.min(this.tokens, 1 - (ms / 1000) * this.limits.refillPerSecond)
  }

  private refill(): void {
    const now = this.clock.now()
    const elapsed = Math.max(0, now - this.updatedAt) / 1000
    this.tokens = Math.min(
      this.limits.capacity,
      this.tokens + elapsed * this.limits.refillPerSecond
    )
    this.updatedAt = now
  }
}

/** How ARM counts a request: GET and HEAD are reads, DELETE a delete, anything else a write. */
export function armOperationOf(method: string): ArmOperation {
  const upper = method.toUpperCase()
  if (upper === 'GET' || upper === 'HEAD') return 'read'
  if (upper === 'DELETE') return 'delete'
  return 'write'
}

const REMAINING_HEADER: Record<ArmOperation, string> = {
  read: 'x-ms-ratelimit-remaining-subscription-reads',
  write: 'x-ms-ratelimit-remaining-subscription-writes',
  delete: 'x-ms-ratelimit-remaining-subscription-deletes'
}

/** A wait longer than this is said in the log. */
export const ANNOUNCED_WAIT_MS = 1000
/** At most one such line per operation type in this long, so 100 sites do not flood the log. */
const ANNOUNCE_EVERY_MS = 15_000

export interface ArmBudgetOptions {
  limits?: Partial<Record<ArmOperation, BucketLimits>>
  clock?: Clock
  log?: Pick<Log, 'info'>
  /** A Retry-After beyond this is not waited for by the retry policy (clients.ts). */
  maxRetryAfterMs?: number
}

/**
 * Tokens kept in reserve: a second's refill, at most half the bucket. A full bucket on ARM's side
 * cannot store the refill that ours counts while requests are still on their way, so without a
 * margin ours runs ahead of ARM's by the network's latency.
 */
export const reserveOf = (limits: BucketLimits): number =>
  Math.min(Math.ceil(limits.refillPerSecond), Math.floor(limits.capacity / 2))

export class ArmBudget {
  readonly buckets: Record<ArmOperation, TokenBucket>
  /** ARM's limits, before the reserve. */
  readonly limits: Record<ArmOperation, BucketLimits>
  private readonly clock: Clock
  private readonly lastAnnounced: Partial<Record<ArmOperation, number>> = {}
  private readonly unannounced: Record<ArmOperation, number> = { read: 0, write: 0, delete: 0 }
  /** Requests that waited for a token, and the 429s Azure answered (for the benchmark). */
  readonly stats = { waited: 0, waitedMs: 0, throttled: 0 }

  constructor(private readonly options: ArmBudgetOptions = {}) {
    this.clock = options.clock ?? systemClock
    this.limits = { ...ARM_LIMITS, ...(options.limits ?? {}) }
    const bucket = (operation: ArmOperation) => {
      const { capacity, refillPerSecond } = this.limits[operation]
      return new TokenBucket(
        { capacity: capacity - reserveOf(this.limits[operation]), refillPerSecond },
        this.clock
      )
    }
    this.buckets = { read: bucket('read'), write: bucket('write'), delete: bucket('delete') }
  }

  /** Waits for a token for one request of this type. */
  async acquire(operation: ArmOperation, signal?: AbortSignal): Promise<void> {
    const waitedMs = await this.buckets[operation].take(signal)
    if (waitedMs <= 0) return
    this.stats.waited++
    this.stats.waitedMs += waitedMs
    if (waitedMs > ANNOUNCED_WAIT_MS) this.announce(operation, waitedMs)
  }

  /** Learns from an answer: ARM's remaining count, or a 429's Retry-After. */
  observe(operation: ArmOperation, response: PipelineResponse): void {
    const remaining = Number(response.headers.get(REMAINING_HEADER[operation]) ?? NaN)
    if (Number.isFinite(remaining)) this.buckets[operation].lowerTo(remaining)
    if (response.status !== 429) return
    this.stats.throttled++
    const retryAfterMs = retryAfterOf(response) ?? 1000
    this.buckets[operation].emptyFor(retryAfterMs)
    const max = this.options.maxRetryAfterMs ?? Number.POSITIVE_INFINITY
    this.options.log?.info(
      retryAfterMs > max
        ? `Azure Resource Manager answered 429 Too Many Requests for a ${operation} and asks to wait ${seconds(retryAfterMs)}, longer than the ${seconds(max)} the run waits: the request fails. Lower max-parallel, or run fewer jobs with the same identity at once.`
        : `Azure Resource Manager answered 429 Too Many Requests for a ${operation}: waiting ${seconds(retryAfterMs)} (Retry-After) before trying again; other ${operation}s of this run wait too.`
    )
  }

  private announce(operation: ArmOperation, waitedMs: number): void {
    const now = this.clock.now()
    const last = this.lastAnnounced[operation]
    if (last !== undefined && now - last < ANNOUNCE_EVERY_MS) {
      this.unannounced[operation]++
      return
    }
    const others = this.unannounced[operation]
    this.lastAnnounced[operation] = now
    this.unannounced[operation] = 0
    const { capacity, refillPerSecond } = this.limits[operation]
    this.options.log?.info(
      `Azure Resource Manager budget: a ${operation} waited ${seconds(waitedMs)} for its turn` +
        `${others ? ` (and ${others} more since the last notice)` : ''}; ` +
        `${this.buckets[operation].queued()} more queued. ARM allows ${capacity} ${operation}s at once per identity, then ${refillPerSecond} per second.`
    )
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`

function retryAfterOf(response: PipelineResponse): number | undefined {
  const ms = Number(
    response.headers.get('retry-after-ms') ?? response.headers.get('x-ms-retry-after-ms') ?? NaN
  )
  if (Number.isFinite(ms)) return ms
  const value = response.headers.get('retry-after')
  if (!value) return undefined
  const secondsValue = Number(value)
  if (Number.isFinite(secondsValue)) return secondsValue * 1000
  const date = Date.parse(value)
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined
}

export const ARM_BUDGET_POLICY_NAME = 'armBudgetPolicy'

/**
 * The budget as a pipeline policy. Place it after the Retry phase (every attempt, retries and
 * long-running-operation polls included, takes a token, as ARM counts them) and share one
 * ArmBudget between every client of the run.
 */
export function armBudgetPolicy(budget: ArmBudget): PipelinePolicy {
  return {
    name: ARM_BUDGET_POLICY_NAME,
    async sendRequest(request, next) {
      const operation = armOperationOf(request.method)
      // The SDK passes a real AbortSignal (or none) where its type says AbortSignalLike.
      await budget.acquire(operation, request.abortSignal as AbortSignal | undefined)
      const response = await next(request)
      budget.observe(operation, response)
      return response
    }
  }
}

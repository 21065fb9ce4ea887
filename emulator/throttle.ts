// ARM request budget per window. Every ARM answer reports what is left in
// `x-ms-ratelimit-remaining-subscription-reads|writes`; only a budget set by a
// test (setThrottle) is enforced, the nominal hourly ARM limits are just reported.

export interface ThrottleConfig {
  reads?: number
  writes?: number
  windowMs: number
}

/** Nominal ARM per-subscription limits (Azure docs: 12,000 reads / 1,200 writes per hour). */
const NOMINAL: Required<ThrottleConfig> = { reads: 12_000, writes: 1_200, windowMs: 3_600_000 }

export interface ThrottleDecision {
  allowed: boolean
  remainingReads: number
  remainingWrites: number
  /** Seconds until the window resets (at least 1); meaningful when not allowed. */
  retryAfterSeconds: number
}

export class Throttle {
  private config: ThrottleConfig | null = null
  private windowStart = 0
  private reads = 0
  private writes = 0

  set(config: ThrottleConfig | null, now: number): void {
    if (config !== null) {
      if (!(config.windowMs > 0)) throw new Error('throttle windowMs must be > 0')
      for (const k of ['reads', 'writes'] as const) {
        const v = config[k]
        if (v !== undefined && (!Number.isInteger(v) || v < 0))
          throw new Error(`throttle ${k} must be an integer >= 0`)
      }
    }
    this.config = config
    this.windowStart = now
    this.reads = 0
    this.writes = 0
  }

  current(): ThrottleConfig | null {
    return this.config ? { ...this.config } : null
  }

  /** What is left, without counting a request (for answers that never reached the budget check). */
  peek(now: number): ThrottleDecision {
    return this.evaluate(false, now, false)
  }

  /** Counts the request if allowed. */
  take(isWrite: boolean, now: number): ThrottleDecision {
    return this.evaluate(isWrite, now, true)
  }

  private evaluate(isWrite: boolean, now: number, count: boolean): ThrottleDecision {
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
}

function remaining(limit: number, used: number, nominal: number): number {
  // Unlimited in an enforced budget: report the nominal figure rather than "Infinity".
  const cap = Number.isFinite(limit) ? limit : nominal
  return Math.max(0, cap - used)
}

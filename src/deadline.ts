// One deadline for the whole step: `timeout` counts from the step's start to its last output, and every
// wait, retry and long-running operation draws from what is left of it.

import { ActionError } from './azure/errors.js'
import { timeoutRanOut, TIMEOUT_FIX } from './messages.js'
import { systemClock, type Clock, type Log } from './ports.js'

/** The step ran out of time; `phase` is the one that was running. */
export class DeadlineExceeded extends ActionError {
  constructor(
    readonly phase: string,
    timeoutMs: number,
    detail?: string
  ) {
    super(`${timeoutRanOut(phase, timeoutMs)}${detail ? ` ${detail}` : ''} ${TIMEOUT_FIX}`)
    this.name = 'DeadlineExceeded'
  }
}

export class Deadline {
  /** Aborted when the time is up: passed to every request and long-running operation. */
  readonly signal: AbortSignal
  /** The phase in flight (its log group), named when the time runs out. */
  phase = 'Start'
  private readonly endsAt: number

  /** `spentMs`: how much of the timeout has already gone (the process's start-up). */
  constructor(
    readonly timeoutMs: number,
    readonly clock: Clock = systemClock,
    spentMs = 0
  ) {
    this.endsAt = clock.now() + timeoutMs - spentMs
    this.signal = clock.abortAfter(timeoutMs - spentMs)
  }

  remainingMs(): number {
    return Math.max(0, this.endsAt - this.clock.now())
  }

  expired(): boolean {
    return this.remainingMs() <= 0 || this.signal.aborted
  }

  /** Pauses `ms`, or less when the deadline comes first (then returns false). */
  async pause(ms: number): Promise<boolean> {
    const wait = Math.min(ms, this.remainingMs())
    if (wait > 0) {
      try {
        await this.clock.sleep(wait, this.signal)
      } catch {
        return false
      }
    }
    return !this.expired()
  }

  /** The failure to report: `detail` says what was still pending. */
  exceeded(detail?: string): DeadlineExceeded {
    return new DeadlineExceeded(this.phase, this.timeoutMs, detail)
  }
}

/** A log whose groups are the deadline's phases: a timeout names the one that ran out. */
export function withPhases(log: Log, deadline: Deadline): Log {
  return {
    ...log,
    group: (name, fn) =>
      log.group(name, () => {
        // After the time is up only the failure's own reporting runs (the cluster's view):
        // the phase that ran out stays the one named.
        if (!deadline.expired()) deadline.phase = name
        return fn()
      })
  }
}

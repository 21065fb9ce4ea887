// A clock the test moves by hand: sleeps end only when `advance` passes their time.

import type { Clock } from '../../src/fleet/arm-budget.js'

export const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve()
}

export class FakeClock implements Clock {
  private time = 0
  private timers: { at: number; resolve: () => void }[] = []

  now = (): number => this.time

  sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason)
      const timer = { at: this.time + ms, resolve }
      this.timers.push(timer)
      signal?.addEventListener('abort', () => {
        this.timers = this.timers.filter((t) => t !== timer)
        reject(signal.reason)
      })
    })

  /** Moves time forward, ending due sleeps in order and letting their continuations run. */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms
    await flush()
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0]
      if (!due) break
      this.time = Math.max(this.time, due.at)
      this.timers = this.timers.filter((t) => t !== due)
      due.resolve()
      await flush()
    }
    this.time = end
    await flush()
  }
}

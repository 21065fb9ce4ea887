// The client-side ARM budget: ARM's token buckets (reads 250 + 25/s, writes and deletes
// 200 + 10/s) on a fake clock, and the pipeline policy that waits for a token, says so when the
// wait is long, follows ARM's remaining counts and honours a 429's Retry-After.

import { describe, expect, it } from '@jest/globals'
import {
  createEmptyPipeline,
  createHttpHeaders,
  createPipelineRequest,
  type HttpClient,
  type PipelineResponse
} from '@azure/core-rest-pipeline'
import {
  ARM_LIMITS,
  ArmBudget,
  armBudgetPolicy,
  armOperationOf,
  TokenBucket
} from '../../src/fleet/arm-budget.js'
import { FakeClock, flush } from './fake-clock.js'

/** Starts `count` takes; returns how many have been granted so far, as a live count. */
function takeMany(bucket: TokenBucket, count: number): { granted: () => number; waits: number[] } {
  const waits: number[] = []
  for (let i = 0; i < count; i++) void bucket.take().then((ms) => waits.push(ms))
  return { granted: () => waits.length, waits }
}

describe('TokenBucket', () => {
  it('follows ARM write limits: 200 at once, then 10 per second', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(ARM_LIMITS.write, clock)
    const run = takeMany(bucket, 230)
    await flush()
    expect(run.granted()).toBe(200)
    await clock.advance(1000)
    expect(run.granted()).toBe(210)
    await clock.advance(2000)
    expect(run.granted()).toBe(230)
    expect(run.waits.slice(0, 200).every((ms) => ms === 0)).toBe(true)
    expect(run.waits[229]).toBe(3000)
  })

  it('follows ARM read limits: 250 at once, then 25 per second, never more than it holds', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(ARM_LIMITS.read, clock)
    await clock.advance(60_000)
    expect(bucket.available()).toBe(250)
    const run = takeMany(bucket, 300)
    await flush()
    expect(run.granted()).toBe(250)
    await clock.advance(1000)
    expect(run.granted()).toBe(275)
  })

  it('serves takers in the order they asked', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 1 }, clock)
    const order: number[] = []
    for (const n of [1, 2, 3]) void bucket.take().then(() => order.push(n))
    await clock.advance(5000)
    expect(order).toEqual([1, 2, 3])
  })

  it('lowers itself to what Azure reports, and empties for a Retry-After', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket(ARM_LIMITS.write, clock)
    bucket.lowerTo(5000)
    expect(bucket.available()).toBe(200)
    bucket.lowerTo(3)
    expect(bucket.available()).toBe(3)
    bucket.emptyFor(4000)
    const run = takeMany(bucket, 1)
    await clock.advance(3900)
    expect(run.granted()).toBe(0)
    await clock.advance(200)
    expect(run.granted()).toBe(1)
  })

  it('gives up waiting when the request is aborted', async () => {
    const clock = new FakeClock()
    const bucket = new TokenBucket({ capacity: 1, refillPerSecond: 1 }, clock)
    await bucket.take()
    const controller = new AbortController()
    const waiting = bucket.take(controller.signal)
    controller.abort(new Error('deadline'))
    await expect(waiting).rejects.toThrow('deadline')
    // The aborted taker took nothing: the next one gets the refilled token.
    const next = bucket.take()
    await clock.advance(1000)
    await expect(next).resolves.toBe(1000)
  })
})

describe('ArmBudget', () => {
  it("keeps a second's refill in reserve, for requests ARM has not counted yet", () => {
    const budget = new ArmBudget({ clock: new FakeClock() })
    expect(
      [budget.buckets.read, budget.buckets.write, budget.buckets.delete].map((b) => b.available())
    ).toEqual([225, 190, 190])
    expect(budget.limits).toEqual(ARM_LIMITS)
  })
})

describe('armOperationOf', () => {
  it('counts as ARM does', () => {
    expect(['GET', 'head', 'PUT', 'PATCH', 'POST', 'DELETE'].map(armOperationOf)).toEqual([
      'read',
      'read',
      'write',
      'write',
      'write',
      'delete'
    ])
  })
})

describe('armBudgetPolicy', () => {
  /** A pipeline of the budget policy in front of a fake ARM that answers what `answer` says. */
  function pipelineWith(
    budget: ArmBudget,
    answer: (method: string) => { status: number; headers?: Record<string, string> }
  ) {
    const sent: string[] = []
    const client: HttpClient = {
      sendRequest: async (request): Promise<PipelineResponse> => {
        sent.push(request.method)
        const { status, headers = {} } = answer(request.method)
        return { request, status, headers: createHttpHeaders(headers) }
      }
    }
    const pipeline = createEmptyPipeline()
    pipeline.addPolicy(armBudgetPolicy(budget))
    const send = (method: string) =>
      pipeline.sendRequest(
        client,
        createPipelineRequest({ url: 'https://management.azure.com/x', method: method as 'GET' })
      )
    return { send, sent }
  }

  it('holds a request until its type has a token, and says so when that takes over a second', async () => {
    const clock = new FakeClock()
    const lines: string[] = []
    const budget = new ArmBudget({
      clock,
      log: { info: (line) => lines.push(line) },
      limits: { write: { capacity: 3, refillPerSecond: 0.5 } }
    })
    const { send, sent } = pipelineWith(budget, () => ({ status: 200 }))
    const writes = [send('PUT'), send('PUT'), send('PUT')]
    await send('GET')
    await flush()
    // Reads have their own bucket: the GET went out while the third PUT waits.
    expect(sent).toEqual(['PUT', 'PUT', 'GET'])
    await clock.advance(1900)
    expect(sent).toHaveLength(3)
    await clock.advance(100)
    await Promise.all(writes)
    expect(sent).toEqual(['PUT', 'PUT', 'GET', 'PUT'])
    expect(lines).toEqual([
      'Azure Resource Manager budget: a write waited 2.0 s for its turn; 0 more queued. ARM allows 3 writes at once per identity, then 0.5 per second.'
    ])
    expect(budget.stats).toMatchObject({ waited: 1, waitedMs: 2000, throttled: 0 })
  })

  it("follows ARM's remaining count, so jobs sharing the identity share the budget", async () => {
    const clock = new FakeClock()
    const budget = new ArmBudget({ clock })
    const { send } = pipelineWith(budget, () => ({
      status: 200,
      headers: { 'x-ms-ratelimit-remaining-subscription-deletes': '1' }
    }))
    await send('DELETE')
    expect(budget.buckets.delete.available()).toBe(1)
    expect(budget.buckets.write.available()).toBe(190)
  })

  it('says how long a 429 makes the run wait, and holds the other requests of that type as long', async () => {
    const clock = new FakeClock()
    const lines: string[] = []
    const budget = new ArmBudget({
      clock,
      log: { info: (line) => lines.push(line) },
      maxRetryAfterMs: 60_000
    })
    let throttled = true
    const { send, sent } = pipelineWith(budget, () =>
      throttled ? { status: 429, headers: { 'retry-after': '7' } } : { status: 200 }
    )
    expect((await send('PUT')).status).toBe(429)
    throttled = false
    const next = send('PUT')
    await clock.advance(6500)
    expect(sent).toHaveLength(1)
    await clock.advance(600)
    await next
    expect(sent).toHaveLength(2)
    expect(lines[0]).toBe(
      'Azure Resource Manager answered 429 Too Many Requests for a write: waiting 7.0 s (Retry-After) before trying again; other writes of this run wait too.'
    )
    expect(budget.stats.throttled).toBe(1)
  })
})

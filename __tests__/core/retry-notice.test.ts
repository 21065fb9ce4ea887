// The waits of the request pipeline say what they wait for: a 429 or 5xx the SDK repeats after
// more than a second, and a write repeated while another operation holds the resource (409),
// which also ends with the step's deadline.

import { describe, expect, it } from '@jest/globals'
import {
  createHttpHeaders,
  createPipelineRequest,
  type PipelineResponse,
  type SendRequest
} from '@azure/core-rest-pipeline'
import { conflictRetryPolicy, retryNoticePolicy } from '../../src/azure/clients.js'
import { recordingLog } from './fake-azure.js'

const request = (method: 'GET' | 'PUT' = 'GET') =>
  createPipelineRequest({ url: 'https://management.example/x/connectedRegistries/edge01', method })

const reply = (
  status: number,
  headers: Record<string, string> = {},
  body?: unknown
): PipelineResponse => ({
  request: request(),
  status,
  headers: createHttpHeaders(headers),
  bodyAsText: body === undefined ? undefined : JSON.stringify(body)
})

describe('retryNoticePolicy', () => {
  it('logs a 429 whose Retry-After is over a second, with the reason and the wait', async () => {
    const log = recordingLog()
    const next: SendRequest = async () =>
      reply(
        429,
        { 'retry-after': '7' },
        { error: { code: 'TooManyRequests', message: 'slow down' } }
      )
    await retryNoticePolicy(log).sendRequest(request(), next)
    expect(log.lines).toEqual([
      "Azure answered 429 TooManyRequests to GET 'edge01' (Azure Resource Manager is throttling this identity): repeating the request in 7s, as its Retry-After asks."
    ])
  })

  it('stays quiet for a short Retry-After, a success, and a 4xx that is not retried', async () => {
    const log = recordingLog()
    for (const answer of [reply(429, { 'retry-after': '1' }), reply(200), reply(404)]) {
      await retryNoticePolicy(log).sendRequest(request(), async () => answer)
    }
    expect(log.lines).toEqual([])
  })

  it('logs a 503 without Retry-After as a growing pause', async () => {
    const log = recordingLog()
    await retryNoticePolicy(log).sendRequest(request(), async () => reply(503))
    expect(log.lines[0]).toMatch(
      /^Azure answered 503 to GET 'edge01' \(Azure is unavailable for the moment\): repeating the request after a growing pause/
    )
  })
})

describe('conflictRetryPolicy with the step deadline', () => {
  it('gives up when what is left of the timeout is spent, saying how long it would wait', async () => {
    const log = recordingLog()
    const busy = reply(
      409,
      {},
      { error: { code: 'Conflict', message: 'Another operation is in progress.' } }
    )
    let calls = 0
    const next: SendRequest = async () => {
      calls += 1
      return busy
    }
    const policy = conflictRetryPolicy({ remainingMs: () => 150, intervalMs: 100, log })
    const answer = await policy.sendRequest(request('PUT'), next)
    expect(answer.status).toBe(409)
    expect(calls).toBe(2)
    expect(log.lines[0]).toMatch(
      /^Azure answered 409 Conflict to PUT 'edge01': Another operation is in progress\. Waiting for the other operation to finish, then writing again \(at most 0s, what is left of 'timeout'\)\./
    )
  })
})

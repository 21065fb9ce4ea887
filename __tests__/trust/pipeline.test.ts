// The pieces behind the trust guarantees, in-process: secret forms and redaction, and the
// pipeline policies that refresh a rejected token, wait out a busy resource (409) and bound
// Retry-After. The end-to-end files prove them through the bundle; these pin each one down.

import { describe, expect, it, jest } from '@jest/globals'
import {
  createHttpHeaders,
  createPipelineRequest,
  RestError,
  type HttpMethods,
  type PipelineRequest,
  type PipelineResponse,
  type SendRequest
} from '@azure/core-rest-pipeline'
import type { AccessToken } from '@azure/identity'
import {
  AccessTokenSource,
  boundedRetryAfterPolicy,
  conflictRetryPolicy,
  isBusyConflict,
  isRejectedToken,
  MAX_RETRY_AFTER_MS,
  refreshingBearerPolicy,
  signInFailure
} from '../../src/azure/clients.js'
import { ActionError } from '../../src/azure/errors.js'
import type { Log } from '../../src/ports.js'
import { maskSecret, redact, secretForms } from '../../src/secrets.js'

const silent: Log = {
  info: () => undefined,
  warning: () => undefined,
  debug: () => undefined,
  group: (_name, fn) => fn(),
  mask: () => undefined
}

const request = (method: HttpMethods = 'PUT'): PipelineRequest =>
  createPipelineRequest({ url: 'https://management.example/x/extensions/edge01', method })

function response(
  status: number,
  body?: unknown,
  headers: Record<string, string> = {}
): PipelineResponse {
  return {
    request: request(),
    status,
    headers: createHttpHeaders(headers),
    bodyAsText: body === undefined ? undefined : JSON.stringify(body)
  }
}

/** A `next` that answers the given responses (or throws the given errors) in turn. */
function answers(...replies: (PipelineResponse | Error)[]): SendRequest & { calls: number } {
  const next = async (): Promise<PipelineResponse> => {
    const reply = replies[Math.min(next.calls, replies.length - 1)]
    next.calls += 1
    if (reply instanceof Error) throw reply
    return reply
  }
  next.calls = 0
  return next
}

describe('secret forms and redaction', () => {
  const pem =
    '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\nAwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----'

  it('masks a whole PEM block, its JSON-escaped form and each line, but not a lone armour line', () => {
    const forms = secretForms(pem)
    expect(forms).toContain(pem)
    expect(forms).toContain(JSON.stringify(pem).slice(1, -1))
    expect(forms).toContain('MIGHAgEAMBMGByqGSM49AgEGCCqGSM49')
    expect(forms).not.toContain('-----BEGIN PRIVATE KEY-----')
  })

  it('redacts every masked form and leaves the rest of the text', () => {
    const secret = 'p4ss+word/with=specials'
    maskSecret(silent, secret)
    const text = [
      secret,
      Buffer.from(secret).toString('base64'),
      encodeURIComponent(secret),
      new URLSearchParams({ v: secret }).toString().slice(2)
    ].join(' | ')
    expect(redact(`error: ${text}.`)).toBe('error: *** | *** | *** | ***.')
  })
})

describe('token refresh on a rejected token', () => {
  const token = (value: string): AccessToken => ({
    token: value,
    expiresOnTimestamp: Date.now() + 3_600_000
  })

  it('recognises expired and invalid tokens, not a wrong audience or another status', () => {
    const error = (code: string) => ({ error: { code, message: 'no' } })
    expect(isRejectedToken(response(401, error('ExpiredAuthenticationToken')))).toBe(true)
    expect(isRejectedToken(response(401, error('InvalidAuthenticationToken')))).toBe(true)
    expect(isRejectedToken(response(401, error('InvalidAuthenticationTokenAudience')))).toBe(false)
    expect(isRejectedToken(response(403, error('ExpiredAuthenticationToken')))).toBe(false)
  })

  it('asks for a fresh token once and repeats the request with it', async () => {
    let issued = 0
    const invalidate = jest.fn()
    const credential = {
      getToken: async () => token(`token-${++issued}`),
      invalidate
    }
    const policy = refreshingBearerPolicy(new AccessTokenSource(credential, ['scope']))
    const seen: string[] = []
    const next = async (req: PipelineRequest): Promise<PipelineResponse> => {
      seen.push(req.headers.get('authorization') ?? '')
      return seen.length === 1
        ? response(401, { error: { code: 'ExpiredAuthenticationToken', message: 'expired' } })
        : response(200, {})
    }
    const result = await policy.sendRequest(request('GET'), next)
    expect(result.status).toBe(200)
    expect(seen).toEqual(['Bearer token-1', 'Bearer token-2'])
    expect(invalidate).toHaveBeenCalledTimes(1)
  })

  it('shares one refresh among requests rejected at the same time', async () => {
    let issued = 0
    const credential = { getToken: async () => token(`token-${++issued}`), invalidate: jest.fn() }
    const source = new AccessTokenSource(credential, ['scope'])
    const first = await source.get()
    const [a, b] = await Promise.all([source.replace(first.token), source.replace(first.token)])
    expect(a.token).toBe('token-2')
    expect(b.token).toBe('token-2')
    expect(credential.invalidate).toHaveBeenCalledTimes(1)
  })

  it('turns an identity error into one sentence with its code and a fix', () => {
    const error = Object.assign(new Error('ignored'), {
      statusCode: 401,
      errorResponse: {
        error: 'invalid_client',
        errorDescription: 'AADSTS7000215: Invalid client secret provided.\r\nTrace ID: abc',
        traceId: 'trace-1'
      }
    })
    const failure = signInFailure(error)
    expect(failure).toBeInstanceOf(ActionError)
    expect(failure.message).toMatch(
      /^Signing in to Microsoft Entra ID failed: invalid_client: AADSTS7000215: Invalid client secret provided. Trace ID: abc \(HTTP 401, trace id trace-1\)\. The client secret is wrong or expired/
    )
  })
})

describe('a write held up by another operation (409 Conflict)', () => {
  const busy = response(409, {
    error: {
      code: 'Conflict',
      message: "Operation 'Update' is not allowed because another operation is in progress."
    }
  })

  it('tells a busy resource from a write that can never succeed', () => {
    expect(isBusyConflict(busy)).toBe(true)
    expect(
      isBusyConflict(
        response(409, {
          error: { code: 'ConnectedRegistryPropertyImmutable', message: 'cannot be changed' }
        })
      )
    ).toBe(false)
    expect(
      isBusyConflict(response(409, { error: { code: 'Conflict', message: 'is in use by x' } }))
    ).toBe(false)
  })

  it('writes again until the other operation is done, whether the 409 is returned or thrown', async () => {
    const thrown = new RestError('busy', { statusCode: 409, response: busy })
    const next = answers(busy, thrown, response(200, {}))
    const policy = conflictRetryPolicy({ timeoutMs: 5_000, intervalMs: 1 })
    expect((await policy.sendRequest(request(), next)).status).toBe(200)
    expect(next.calls).toBe(3)
  })

  it('gives up when the timeout is spent, and never repeats a read', async () => {
    const policy = conflictRetryPolicy({ timeoutMs: 0, intervalMs: 1 })
    const write = answers(busy)
    expect((await policy.sendRequest(request(), write)).status).toBe(409)
    expect(write.calls).toBe(1)
    const read = answers(busy)
    const patient = conflictRetryPolicy({ timeoutMs: 5_000, intervalMs: 1 })
    expect((await patient.sendRequest(request('GET'), read)).status).toBe(409)
    expect(read.calls).toBe(1)
  })
})

describe('Retry-After within bounds', () => {
  it('keeps a short Retry-After and drops one longer than the action waits', async () => {
    const short = await boundedRetryAfterPolicy.sendRequest(
      request('GET'),
      answers(response(429, {}, { 'retry-after': '2' }))
    )
    expect(short.headers.get('retry-after')).toBe('2')
    const long = await boundedRetryAfterPolicy.sendRequest(
      request('GET'),
      answers(response(429, {}, { 'retry-after': String(MAX_RETRY_AFTER_MS / 1000 + 1) }))
    )
    expect(long.headers.get('retry-after')).toBeUndefined()
  })
})

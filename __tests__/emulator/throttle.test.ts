// ARM's token-bucket throttling in the emulator (per subscription and principal, per operation
// type, 250 + 25/s reads, 200 + 10/s writes and deletes unless configured), its headers and 429
// through the HTTPS front door; and fleets in a seed (a count and a name pattern, --clusters).

import { spawn } from 'node:child_process'
import https from 'node:https'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import {
  startEmulator,
  loadSeedFile,
  DEFAULT_SEED_PATH,
  type RunningEmulator
} from '../../emulator/index.js'
import { withClusters } from '../../emulator/fleet.js'
import { expandClusters } from '../../emulator/seed.js'
import { ARM_TOKEN_BUCKETS, Throttle } from '../../emulator/throttle.js'
import { rawRequest, RG } from './helpers.js'

describe('Throttle, token-bucket model', () => {
  const bucketThrottle = (config: object = {}) => {
    const throttle = new Throttle()
    throttle.set({ model: 'token-bucket', ...config }, 0)
    return throttle
  }

  it("starts full with ARM's numbers and refills at ARM's rates", () => {
    const throttle = bucketThrottle()
    expect(throttle.current()).toEqual({
      model: 'token-bucket',
      reads: { bucket: 250, refillPerSecond: 25 },
      writes: { bucket: 200, refillPerSecond: 10 },
      deletes: { bucket: 200, refillPerSecond: 10 }
    })
    let last = throttle.take('write', 0, 'sub|alice')
    for (let i = 1; i < 200; i++) last = throttle.take('write', 0, 'sub|alice')
    expect(last).toMatchObject({
      allowed: true,
      remainingWrites: 0,
      remainingReads: 250,
      remainingDeletes: 200
    })
    const refused = throttle.take('write', 0, 'sub|alice')
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 1 })
    // 10 per second: 50 ms later still none, 100 ms later one.
    expect(throttle.take('write', 50, 'sub|alice').allowed).toBe(false)
    expect(throttle.take('write', 100, 'sub|alice')).toMatchObject({
      allowed: true,
      remainingWrites: 0
    })
    // Never more than the bucket holds.
    expect(throttle.peek(3_600_000, 'sub|alice').remainingWrites).toBe(
      ARM_TOKEN_BUCKETS.write.bucket
    )
  })

  it('keeps a bucket per principal and per operation type', () => {
    const throttle = bucketThrottle({
      reads: { bucket: 2, refillPerSecond: 1 },
      deletes: { bucket: 1 }
    })
    expect(throttle.take('read', 0, 'sub|alice').allowed).toBe(true)
    expect(throttle.take('read', 0, 'sub|alice').allowed).toBe(true)
    expect(throttle.take('read', 0, 'sub|alice')).toMatchObject({
      allowed: false,
      retryAfterSeconds: 1
    })
    expect(throttle.take('read', 0, 'sub|bob')).toMatchObject({ allowed: true, remainingReads: 1 })
    expect(throttle.take('delete', 0, 'sub|alice')).toMatchObject({
      allowed: true,
      remainingDeletes: 0,
      remainingWrites: 200
    })
    expect(throttle.take('delete', 0, 'sub|alice')).toMatchObject({
      allowed: false,
      retryAfterSeconds: 1
    })
    // Deletes refill at 10/s by default: the Retry-After is the time to one token.
    expect(throttle.take('delete', 50, 'sub|alice')).toMatchObject({
      allowed: false,
      retryAfterSeconds: 1
    })
  })

  it('never takes tokens back for a request counted after a later one', () => {
    const throttle = bucketThrottle({ writes: { bucket: 2, refillPerSecond: 10 } })
    throttle.take('write', 1000, 'p')
    expect(throttle.take('write', 990, 'p')).toMatchObject({ allowed: true, remainingWrites: 0 })
  })

  it('says how long until a slow bucket has a token', () => {
    const throttle = bucketThrottle({ writes: { bucket: 1, refillPerSecond: 0.25 } })
    throttle.take('write', 0, 'p')
    expect(throttle.take('write', 0, 'p')).toMatchObject({ allowed: false, retryAfterSeconds: 4 })
    expect(throttle.take('write', 2500, 'p')).toMatchObject({
      allowed: false,
      retryAfterSeconds: 2
    })
  })

  it('refuses a config it cannot honour', () => {
    const throttle = new Throttle()
    expect(() => throttle.set({ model: 'token-bucket', reads: { bucket: 0 } }, 0)).toThrow(
      /reads.bucket must be an integer >= 1/
    )
    expect(() =>
      throttle.set({ model: 'token-bucket', writes: { refillPerSecond: 0 } }, 0)
    ).toThrow(/writes.refillPerSecond must be > 0/)
    expect(() => throttle.set({ model: 'leaky' } as never, 0)).toThrow(
      /model must be 'token-bucket'/
    )
  })

  it('leaves the window budget as it was: deletes count as writes, no deletes figure', () => {
    const throttle = new Throttle()
    throttle.set({ writes: 1, windowMs: 60_000 }, 0)
    expect(throttle.take('delete', 0)).toMatchObject({ allowed: true, remainingWrites: 0 })
    const refused = throttle.take('write', 1000)
    expect(refused).toMatchObject({ allowed: false, retryAfterSeconds: 59 })
    expect(refused.remainingDeletes).toBeUndefined()
  })
})

describe('token-bucket throttling through the front door', () => {
  let emu: RunningEmulator
  const second = {
    clientId: '00000000-0000-0000-0000-0000000000ee',
    clientSecret: 'second~secret-for-emulator-only'
  }
  beforeAll(async () => {
    const seed = loadSeedFile(DEFAULT_SEED_PATH)
    seed.servicePrincipals = [...(seed.servicePrincipals ?? []), second]
    // One read token every 10 s: the four requests cannot outrun a refill, however slow the machine.
    seed.throttle = { model: 'token-bucket', reads: { bucket: 3, refillPerSecond: 0.1 } }
    emu = await startEmulator({ quiet: true, seed })
  })
  afterAll(() => emu?.stop())

  const groupPath = () =>
    `/subscriptions/${emu.env.AZURE_SUBSCRIPTION_ID}/resourcegroups/${RG}?api-version=2021-04-01`
  const as = (clientId?: string) => ({
    authorization: `Bearer ${emu.admin.issueAccessToken(clientId ? { clientId } : {}).token}`
  })

  it('answers 429 with Retry-After when a principal has spent its reads, and reports every bucket', async () => {
    const statuses: number[] = []
    const remaining: unknown[] = []
    let last: Awaited<ReturnType<typeof rawRequest>> | undefined
    for (let i = 0; i < 4; i++) {
      last = await rawRequest(emu, 'GET', groupPath(), { headers: as() })
      statuses.push(last.status)
      remaining.push(last.headers['x-ms-ratelimit-remaining-subscription-reads'])
    }
    expect(statuses).toEqual([200, 200, 200, 429])
    expect(remaining).toEqual(['2', '1', '0', '0'])
    expect(Number(last?.headers['retry-after'])).toBeGreaterThanOrEqual(8)
    expect(Number(last?.headers['retry-after'])).toBeLessThanOrEqual(10)
    expect(last?.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('200')
    expect(last?.headers['x-ms-ratelimit-remaining-subscription-deletes']).toBe('200')
    expect((last?.body as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'TooManyRequests',
      message: expect.stringMatching(
        /^Number of 'read' requests for subscription '.*' actor '.*' exceeded/
      )
    })
    // Another principal of the same subscription has its own bucket.
    const other = await rawRequest(emu, 'GET', groupPath(), { headers: as(second.clientId) })
    expect(other.status).toBe(200)
    expect(other.headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('2')
    // The 429 is in the journal, as the emulator saw it.
    expect(emu.admin.journal().filter((e) => e.status === 429)).toHaveLength(1)
  })

  it('counts a DELETE in the deletes bucket', async () => {
    const scopeMap = `/subscriptions/${emu.env.AZURE_SUBSCRIPTION_ID}/resourceGroups/${RG}/providers/Microsoft.ContainerRegistry/registries/contosoacr/scopeMaps/nosuchmap?api-version=2025-11-01`
    const deleted = await rawRequest(emu, 'DELETE', scopeMap, { headers: as(second.clientId) })
    expect(deleted.status).toBeLessThan(300)
    expect(deleted.headers['x-ms-ratelimit-remaining-subscription-deletes']).toBe('199')
    expect(deleted.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('200')
  })
})

describe('fleets in a seed', () => {
  it('expands a count and a name pattern into that many clusters', () => {
    const clusters = expandClusters([
      { name: 'edge-cluster-01', resourceGroup: RG },
      {
        name: 'store-{n:3}',
        count: 3,
        start: 9,
        resourceGroup: 'stores-rg',
        serviceCidr: '10.0.0.0/16'
      },
      { name: 'kiosk{n}', count: 2, resourceGroup: 'stores-rg' }
    ])
    expect(clusters.map((c) => c.name)).toEqual([
      'edge-cluster-01',
      'store-009',
      'store-010',
      'store-011',
      'kiosk1',
      'kiosk2'
    ])
    expect(clusters[1]).toEqual({
      name: 'store-009',
      resourceGroup: 'stores-rg',
      serviceCidr: '10.0.0.0/16'
    })
    expect(() => expandClusters([{ name: 'store', count: 2, resourceGroup: RG }])).toThrow(
      /must contain \{n\}/
    )
  })

  it('serves N more Connected clusters with withClusters', async () => {
    const emu = await startEmulator({
      quiet: true,
      seed: withClusters(loadSeedFile(DEFAULT_SEED_PATH), 120)
    })
    try {
      const clusters = emu.admin.state().connectedClusters as {
        name: string
        properties: { connectivityStatus: string }
      }[]
      const fleet = clusters.filter((c) => c.name.startsWith('edge-site-'))
      expect(fleet).toHaveLength(120)
      expect(fleet[0].name).toBe('edge-site-001')
      expect(fleet[119].name).toBe('edge-site-120')
      expect(new Set(fleet.map((c) => c.properties.connectivityStatus))).toEqual(
        new Set(['Connected'])
      )
      const got = await rawRequest(
        emu,
        'GET',
        `/subscriptions/${emu.env.AZURE_SUBSCRIPTION_ID}/resourceGroups/${RG}/providers/Microsoft.Kubernetes/connectedClusters/edge-site-077?api-version=2024-01-01`,
        { headers: { authorization: `Bearer ${emu.admin.issueAccessToken().token}` } }
      )
      expect(
        (got.body as { properties: { connectivityStatus: string } }).properties.connectivityStatus
      ).toBe('Connected')
    } finally {
      await emu.stop()
    }
  })

  it('npm run emulator -- --clusters N starts a world with N Connected clusters', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'emulator/cli.ts', '--port', '0', '--clusters', '30', '--quiet'],
      {
        cwd: path.resolve('.'),
        env: { ...process.env, NODE_OPTIONS: '' }
      }
    )
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    try {
      let stdout = ''
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`CLI not ready: ${stdout}`)), 20_000)
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString()
          if (stdout.includes('EMULATOR READY\n')) {
            clearTimeout(timer)
            resolve()
          }
        })
      })
      const vars = Object.fromEntries(
        stdout
          .split('\n')
          .filter((l) => l.includes('='))
          .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])
      )
      const state = await new Promise<string>((resolve, reject) => {
        https
          .get(
            `${vars.EMULATOR_ADMIN_URL}/state`,
            { ca: fs.readFileSync(vars.NODE_EXTRA_CA_CERTS) },
            (res) => {
              let text = ''
              res.on('data', (c: Buffer) => (text += c.toString()))
              res.on('end', () => resolve(text))
            }
          )
          .on('error', reject)
      })
      const clusters = (
        JSON.parse(state) as {
          connectedClusters: { name: string; properties: { connectivityStatus: string } }[]
        }
      ).connectedClusters
      const fleet = clusters.filter(
        (c) => /^edge-site-\d{3}$/.test(c.name) && c.properties.connectivityStatus === 'Connected'
      )
      expect(fleet).toHaveLength(30)
    } finally {
      child.kill('SIGTERM')
      expect(await exited).toBe(0)
    }
  })
})

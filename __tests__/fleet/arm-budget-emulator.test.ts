// The client-side budget against the emulator's model of ARM throttling, through the real SDK
// pipeline: the same burst that draws 429s without the policy goes through without one with it.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startEmulator, type RunningEmulator } from '../../emulator/index.js'
import { sdkClients } from '../../__fixtures__/azure.js'
import { ArmBudget, armBudgetPolicy } from '../../src/fleet/arm-budget.js'

let emu: RunningEmulator
beforeAll(async () => {
  emu = await startEmulator({ quiet: true })
})
afterAll(() => emu?.stop())

// A small read bucket, so a burst of 25 reads outruns it in a test's time.
const READS = { bucket: 10, refillPerSecond: 20 }
const burst = (acr: ReturnType<typeof sdkClients>['acr']) =>
  Promise.allSettled(Array.from({ length: 25 }, () => acr.registries.get('edge-rg', 'contosoacr')))
const throttled = () => emu.admin.journal().filter((e) => e.status === 429).length

describe('armBudgetPolicy against the emulated ARM token bucket', () => {
  it('a burst without the budget draws 429s', async () => {
    emu.admin.setThrottle({ model: 'token-bucket', reads: READS })
    emu.admin.clearJournal()
    const { acr } = sdkClients(emu, { maxRetries: 0 })
    const results = await burst(acr)
    expect(results.filter((r) => r.status === 'rejected').length).toBeGreaterThan(0)
    expect(throttled()).toBeGreaterThan(0)
  })

  it('the same burst with the budget sees no 429', async () => {
    emu.admin.setThrottle({ model: 'token-bucket', reads: READS })
    emu.admin.clearJournal()
    const { acr } = sdkClients(emu, { maxRetries: 0 })
    const budget = new ArmBudget({
      limits: { read: { capacity: READS.bucket, refillPerSecond: READS.refillPerSecond } }
    })
    acr.pipeline.addPolicy(armBudgetPolicy(budget), { afterPhase: 'Retry' })
    const results = await burst(acr)
    expect(results.map((r) => r.status)).toEqual(Array(25).fill('fulfilled'))
    expect(throttled()).toBe(0)
    expect(budget.stats.throttled).toBe(0)
    expect(budget.stats.waited).toBeGreaterThanOrEqual(20)
  })
})

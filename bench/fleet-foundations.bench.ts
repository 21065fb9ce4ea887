// Measures the fleet's building blocks, without Azure or the emulator, and prints figures:
//  - parsing and validating a sites file of 100 / 1,000 sites (the single-site parser per site)
//  - runFleet's own cost per site (sites that finish at once, 25 in flight)
//  - status reads while 100 sites in 2 registries wait 20 poll cycles: LISTs sent vs the GETs
//    one read per site would cost
//  - the write budget's floor for a fleet: ARM's write bucket (200, then 10/s) for 8 writes a site
// usage: node --import tsx bench/fleet-foundations.bench.ts

import type { ConnectedRegistry } from '@azure/arm-containerregistry'
import { fromRecord } from '../src/inputs/input-reader.js'
import { ARM_LIMITS } from '../src/fleet/arm-budget.js'
import { BatchedStatusReader } from '../src/fleet/batched-status.js'
import { runFleet } from '../src/fleet/rollout.js'
import { parseSitesFile } from '../src/fleet/sites-file.js'

const env = { AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-0000000000aa' }

function sitesFile(count: number): string {
  const lines = [
    'defaults:',
    '  resource-group: edge-rg',
    '  repositories: [pos/app, pos/sidecar]',
    '  service-cluster-ip: 10.0.0.50',
    'sites:'
  ]
  for (let i = 0; i < count; i++) {
    lines.push(
      `  - connected-registry: store${String(i).padStart(4, '0')}`,
      `    cluster: store-${i}`,
      // Azure allows 50 connected registries per registry.
      `    registry: contosoacr${String(Math.floor(i / 50)).padStart(3, '0')}`
    )
  }
  return `${lines.join('\n')}\n`
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const start = performance.now()
  const value = fn()
  return { ms: performance.now() - start, value }
}

for (const count of [100, 1000]) {
  const text = sitesFile(count)
  parseSitesFile(text, { file: 'sites.yml', step: fromRecord({}), env }) // warm-up
  const { ms, value } = time(() =>
    parseSitesFile(text, { file: 'sites.yml', step: fromRecord({}), env })
  )
  console.log(
    `parse ${count} sites: ${ms.toFixed(0)} ms (${((ms / value.sites.length) * 1000).toFixed(0)} µs per site)`
  )
}

{
  const sites = Array.from({ length: 10_000 }, (_, i) => ({ name: `s${i}`, key: `r/s${i}` }))
  const start = performance.now()
  await runFleet(sites, async () => ({ action: 'unchanged' }), {
    settings: { rollout: 'all-at-once', canary: { count: 1 }, maxParallel: 25 }
  })
  const ms = performance.now() - start
  console.log(
    `runFleet over 10,000 instant sites: ${ms.toFixed(0)} ms (${((ms / 10_000) * 1000).toFixed(1)} µs per site)`
  )
}

{
  let lists = 0
  let clock = 0
  const pollMs = 10_000
  const reader = new BatchedStatusReader(
    {
      listConnectedRegistries: async () => {
        lists++
        return [] as ConnectedRegistry[]
      }
    },
    { maxAgeMs: pollMs, now: () => clock }
  )
  const sites = Array.from({ length: 100 }, (_, i) => ({
    registry: `contosoacr${i % 2}`,
    name: `store${i}`,
    // Sites start their polling at different moments.
    offset: Math.floor((i * 7919) % pollMs)
  }))
  const cycles = 20
  const reads = sites
    .flatMap((s) =>
      Array.from({ length: cycles }, (_, c) => ({ site: s, at: s.offset + c * pollMs }))
    )
    .sort((a, b) => a.at - b.at)
  for (const read of reads) {
    clock = read.at
    await reader.read('edge-rg', read.site.registry, read.site.name)
  }
  console.log(
    `status reads: 100 sites in 2 registries, ${cycles} cycles: ${lists} LISTs instead of ${reads.length} GETs`
  )
}

{
  const { capacity, refillPerSecond } = ARM_LIMITS.write
  for (const sites of [25, 100, 1000]) {
    const writes = sites * 8
    const floorS = Math.max(0, writes - capacity) / refillPerSecond
    console.log(
      `write budget floor, ${sites} sites × 8 writes: ${floorS.toFixed(0)} s (${capacity} at once, then ${refillPerSecond}/s)`
    )
  }
}

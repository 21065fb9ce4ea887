// Measures a fleet deploy in one step against the emulator under ARM's token-bucket throttle, and
// prints: the wall time of an N-site deploy; the ideal (the larger of one site's time alone and
// the write budget's floor for the writes made: 200 at once, then 10 a second); their ratio
// (target ≤ 1.3); requests and writes per site; the 429s the emulator answered (target 0); the
// step's peak memory (its maxRSS). The read budget's floor is printed too: it bounds the run as
// well, though the target's ideal leaves it out.
//
// usage: npm run bench -- --fleet 100   (env BENCH_MAX_PARALLEL, BENCH_POLL_MS, BENCH_PROVISION_MS)

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startEmulator, type RunningEmulator } from '../emulator/index.js'
import { DEFAULT_NODE } from '../__fixtures__/action-runner.js'
import { fleetSeed, resultsOf, runFleet, sitesFile, type SiteEntry } from '../__fixtures__/fleet.js'
import { ARM_LIMITS } from '../src/fleet/arm-budget.js'

const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 500)
/** Emulator delays of one site (kept short: the budget, not the emulator, is measured). */
const PROVISION_MS = Number(process.env.BENCH_PROVISION_MS ?? 2000)
const TIMING = {
  lroMs: 200,
  extensionProvisioningMs: PROVISION_MS,
  activationMs: PROVISION_MS / 2,
  syncingMs: PROVISION_MS / 2
}

/** Writes the child's peak resident memory (KiB) to BENCH_RSS_FILE when it exits. */
function rssReporter(): string {
  const file = path.join(os.tmpdir(), `bench-rss-${process.pid}.cjs`)
  fs.writeFileSync(
    file,
    "process.on('exit', () => require('fs').writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)))\n"
  )
  return file
}

async function deploy(
  emu: RunningEmulator,
  entries: SiteEntry[],
  maxParallel: number
): Promise<{
  wallMs: number
  requests: number
  writes: number
  throttled: number
  rssKiB: number
}> {
  const rssFile = path.join(os.tmpdir(), `bench-rss-${process.pid}.txt`)
  emu.admin.clearJournal()
  const run = await runFleet(
    emu,
    sitesFile(entries),
    { 'poll-interval': `${POLL_MS}ms`, timeout: '30m', 'max-parallel': String(maxParallel) },
    {
      node: DEFAULT_NODE,
      env: { NODE_OPTIONS: `--require ${rssReporter()}`, BENCH_RSS_FILE: rssFile }
    }
  )
  const results = resultsOf(run)
  if (run.exitCode !== 0 || results.some((r) => r['connection-state'] !== 'Online')) {
    throw new Error(`the fleet deploy failed:\n${run.stdout.slice(-4000)}`)
  }
  const journal = emu.admin
    .journal()
    .filter((e) => !['Token_Request', 'OpenIdConfiguration_Get'].includes(e.operation))
  return {
    wallMs: run.durationMs,
    requests: journal.length,
    writes: journal.filter((e) => e.write).length,
    throttled: journal.filter((e) => e.status === 429).length,
    rssKiB: Number(fs.readFileSync(rssFile, 'utf8'))
  }
}

export async function benchFleet(count: number): Promise<void> {
  const maxParallel = Number(process.env.BENCH_MAX_PARALLEL ?? Math.min(count, 200))
  // One more cluster and registry slot: the lone site's time is measured on a site of its own.
  const emu = await startEmulator({ quiet: true, seed: fleetSeed(count + 1) })
  try {
    emu.admin.setTiming(TIMING)
    emu.admin.setThrottle({ model: 'token-bucket' })
    const lone = await deploy(emu, [{ n: count + 1 }], 1)
    // Let the buckets fill again before the fleet.
    await new Promise((resolve) => setTimeout(resolve, 20_000))
    const fleet = await deploy(
      emu,
      Array.from({ length: count }, (_, i) => ({ n: i + 1 })),
      maxParallel
    )
    const { capacity, refillPerSecond } = ARM_LIMITS.write
    const writeFloorMs = (Math.max(0, fleet.writes - capacity) / refillPerSecond) * 1000
    const reads = fleet.requests - fleet.writes
    const readFloorMs =
      (Math.max(0, reads - ARM_LIMITS.read.capacity) / ARM_LIMITS.read.refillPerSecond) * 1000
    const idealMs = Math.max(lone.wallMs, writeFloorMs)
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
    console.log(
      `\nFleet deploy of ${count} sites in one step (node ${DEFAULT_NODE === process.execPath ? process.version : '24'}):` +
        ` emulator with ARM's token buckets (reads 250 + 25/s, writes 200 + 10/s), extension ${PROVISION_MS} ms,` +
        ` activation + sync ${PROVISION_MS} ms, LRO ${TIMING.lroMs} ms; poll-interval ${POLL_MS} ms, max-parallel ${maxParallel},` +
        ` ${os.cpus().length} CPU(s)`
    )
    const row = (figure: string, value: string, target = '—') =>
      console.log(`${figure.padEnd(44)} ${value.padStart(12)}   target ${target}`)
    row(`wall time, ${count} sites`, s(fleet.wallMs))
    row('one site alone (same step, same world)', s(lone.wallMs))
    row(`write budget floor (${fleet.writes} writes)`, s(writeFloorMs))
    row(`read budget floor (${reads} reads, not in the ideal)`, s(readFloorMs))
    row('ideal: max(one site, write floor)', s(idealMs))
    row('ratio wall / ideal', (fleet.wallMs / idealMs).toFixed(2), '≤ 1.3')
    row('requests per site', (fleet.requests / count).toFixed(1))
    row('writes per site', (fleet.writes / count).toFixed(1))
    row('429 answered by the emulator', String(fleet.throttled), '0')
    row('peak memory of the step (maxRSS)', `${(fleet.rssKiB / 1024).toFixed(0)} MiB`)
  } finally {
    await emu.stop()
  }
}

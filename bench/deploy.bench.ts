// Measures what the deploy issue sets targets for, against the emulator, and prints figures:
//  - start-up: `node dist/index.js` spawned → its first request reaching the emulator
//  - requests and writes of a fresh deploy and of an identical (no-op) re-run
//  - overhead: a deploy's wall time minus the delays the emulator was told to spend
//  - detection: how long after the registry went Online the action saw it
// Targets: overhead < 500 ms, detection within one poll interval, no-op < 10 requests, 0 writes.
// With `--fleet N`: a fleet deploy of N sites in one step (bench/fleet.bench.ts).

import { startEmulator, type RunningEmulator } from '../emulator/index.js'
import fs from 'node:fs'
import { NODE24, runAction } from '../__fixtures__/action-runner.js'

const POLL_MS = 200
const TIMING = { lroMs: 0, extensionProvisioningMs: 1500, activationMs: 1500, syncingMs: 1500 }
const CONFIGURED_DELAY_MS = TIMING.extensionProvisioningMs + TIMING.activationMs + TIMING.syncingMs
const RUNS = Number(process.env.BENCH_RUNS ?? 5)

const inputs = (name: string, ip: string) => ({
  'resource-group': 'edge-rg',
  registry: 'contosoacr',
  'connected-registry': name,
  'extension-name': name,
  cluster: 'edge-cluster-01',
  'service-cluster-ip': ip,
  repositories: 'hello-world',
  'poll-interval': `${POLL_MS}ms`,
  timeout: '2m'
})

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

function requestsSince(emu: RunningEmulator, since: number) {
  const entries = emu.admin.journal().filter((e) => Date.parse(e.time) >= since)
  return { all: entries.length, writes: entries.filter((e) => e.write).length, entries }
}

async function measure(node: string, label: string, subnet: number): Promise<void> {
  const emu = await startEmulator({ quiet: true })
  emu.admin.setTiming(TIMING)
  const startup: number[] = []
  const overhead: number[] = []
  const detection: number[] = []
  const fresh: number[] = []
  const freshWrites: number[] = []
  const noop: number[] = []
  const noopWrites: number[] = []
  try {
    for (let i = 0; i < RUNS; i++) {
      const name = `bench${subnet}registry${i}`
      const ip = `10.0.${subnet}.${i + 10}`
      emu.admin.clearJournal()
      const spawned = Date.now()
      const run = await runAction(emu, { inputs: inputs(name, ip), node })
      if (run.exitCode !== 0) throw new Error(`deploy ${i} failed:\n${run.stdout}`)
      const deploy = requestsSince(emu, spawned)
      startup.push(Date.parse(deploy.entries[0].time) - spawned)
      overhead.push(run.durationMs - CONFIGURED_DELAY_MS)
      fresh.push(deploy.all)
      freshWrites.push(deploy.writes)
      const online = emu.admin
        .events()
        .find((e) => e.resource.endsWith(`/connectedRegistries/${name}`) && e.to === 'Online')
      const seen = deploy.entries
        .filter(
          (e) =>
            e.operation === 'ConnectedRegistries_Get' &&
            online &&
            Date.parse(e.time) >= Date.parse(online.time)
        )
        .at(0)
      if (online && seen) detection.push(Date.parse(seen.time) - Date.parse(online.time))

      const again = Date.now()
      const second = await runAction(emu, { inputs: inputs(name, ip), node })
      if (second.exitCode !== 0 || second.outputs.changed !== 'false') {
        throw new Error(`re-run ${i} was not a no-op:\n${second.stdout}`)
      }
      const rerun = requestsSince(emu, again)
      noop.push(rerun.all)
      noopWrites.push(rerun.writes)
    }
  } finally {
    await emu.stop()
  }
  const row = (figure: string, values: number[], unit: string, target: string) =>
    console.log(
      `${figure.padEnd(40)} median ${String(median(values)).padStart(6)} ${unit.padEnd(8)} min ${String(Math.min(...values)).padStart(6)}  max ${String(Math.max(...values)).padStart(6)}   target ${target}`
    )
  console.log(
    `\n${label}: ${RUNS} runs, poll-interval ${POLL_MS} ms, emulator delays ${CONFIGURED_DELAY_MS} ms per deploy`
  )
  row('start-up to first request', startup, 'ms', '—')
  row('fresh deploy: requests', fresh, 'requests', '—')
  row('fresh deploy: writes', freshWrites, 'writes', '—')
  row('deploy overhead (wall − emulator delays)', overhead, 'ms', '< 500 ms')
  row('Online detected after transition', detection, 'ms', `≤ ${POLL_MS} ms (one poll)`)
  row('no-op re-run: requests', noop, 'requests', '< 10')
  row('no-op re-run: writes', noopWrites, 'writes', '0')
}

// `npm run bench -- --fleet 100`: a fleet deploy in one step instead (fleet.bench.ts).
const fleetArg = process.argv.indexOf('--fleet')
if (fleetArg >= 0) {
  const { benchFleet } = await import('./fleet.bench.js')
  await benchFleet(Number(process.argv[fleetArg + 1] ?? 100))
} else {
  await measure(process.execPath, `node ${process.version}`, 30)
  if (fs.existsSync(NODE24)) await measure(NODE24, 'node 24 (as on GitHub runners)', 31)
}

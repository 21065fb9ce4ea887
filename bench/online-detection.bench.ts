// How soon the action sees the registry Online at its default inputs (poll-interval 10 s), and
// how many reads it spends per minute while it waits: for a fresh deploy and for an update
// (rotate-credentials), against the emulator with transitions of about a second.
//  - fresh deploy: from the registry's transition to Online to the read that reported it
//  - update: from the extension's update landing (provisioningState → Succeeded) to that read
//  - reads per minute: ARM GETs from the extension write to the end of the run, per minute
// Targets: Online seen within 1 s of the transition; no more reads per minute than the
// default poll's 6 (one read per 10 s).

import { startEmulator } from '../emulator/index.js'
import { runAction } from '../__fixtures__/action-runner.js'

const TIMING = { lroMs: 50, extensionProvisioningMs: 800, activationMs: 800, syncingMs: 800 }
const RUNS = Number(process.env.BENCH_RUNS ?? 3)

const inputs = (name: string, ip: string, extra: Record<string, string> = {}) => ({
  'resource-group': 'edge-rg',
  registry: 'contosoacr',
  'connected-registry': name,
  cluster: 'edge-cluster-01',
  'service-cluster-ip': ip,
  repositories: 'hello-world',
  ...extra
})

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

const emu = await startEmulator({ quiet: true })
emu.admin.setTiming(TIMING)
const figures: Record<string, number[]> = {
  'fresh deploy: Online seen after transition (ms)': [],
  'fresh deploy: reads per minute while waiting': [],
  'update: Online seen after the update landed (ms)': [],
  'update: reads per minute while waiting': []
}
try {
  for (let i = 0; i < RUNS; i++) {
    const name = `detect${i}`
    for (const [kind, extra] of [
      ['fresh deploy', {}],
      ['update', { operation: 'rotate-credentials' }]
    ] as const) {
      emu.admin.clearJournal()
      const run = await runAction(emu, { inputs: inputs(name, `10.0.40.${i + 10}`, extra) })
      if (run.exitCode !== 0) throw new Error(`${kind} ${i} failed:\n${run.stdout}`)
      const journal = emu.admin.journal()
      const write = journal.find((e) => /^Extensions_(Create|Update)$/.test(e.operation))
      const seen = journal.filter((e) => e.operation === 'ConnectedRegistries_Get').at(-1)
      if (!write || !seen) throw new Error(`${kind} ${i}: no extension write or registry read`)
      const events = emu.admin.events().filter((e) => Date.parse(e.time) >= Date.parse(write.time))
      const transition =
        kind === 'fresh deploy'
          ? events.find(
              (e) => e.resource.endsWith(`/connectedRegistries/${name}`) && e.to === 'Online'
            )
          : events.find((e) => e.resource.endsWith(`/extensions/${name}`) && e.to === 'Succeeded')
      if (!transition) throw new Error(`${kind} ${i}: no transition recorded`)
      const end = Date.parse(journal.at(-1)?.time ?? write.time)
      const reads = journal.filter(
        (e) => e.method === 'GET' && Date.parse(e.time) >= Date.parse(write.time)
      ).length
      // Per started minute: a wait shorter than a minute counts as one.
      const minutes = Math.max((end - Date.parse(write.time)) / 60_000, 1)
      figures[
        `${kind === 'fresh deploy' ? 'fresh deploy: Online seen after transition' : 'update: Online seen after the update landed'} (ms)`
      ].push(Date.parse(seen.time) - Date.parse(transition.time))
      figures[`${kind}: reads per minute while waiting`].push(Math.round(reads / minutes))
    }
  }
} finally {
  await emu.stop()
}
console.log(
  `\n${RUNS} runs at default inputs (poll-interval 10 s); emulator: extension ${TIMING.extensionProvisioningMs} ms, activation ${TIMING.activationMs} ms, sync ${TIMING.syncingMs} ms`
)
for (const [figure, values] of Object.entries(figures)) {
  console.log(
    `${figure.padEnd(52)} median ${String(median(values)).padStart(6)}  min ${String(Math.min(...values)).padStart(6)}  max ${String(Math.max(...values)).padStart(6)}`
  )
}

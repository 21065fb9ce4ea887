// The README's first command: starts the emulator with its default seed, runs the bundled
// action twice as a runner would (a deploy, then an identical re-run), shows the log, the
// outputs and the job summary, and stops the emulator.

import { startEmulator } from '../emulator/index.js'
import { runAction } from '../__fixtures__/action-runner.js'
import { printRun } from './render-log.js'

const DEMO_INPUTS = {
  'resource-group': 'edge-rg',
  registry: 'contosoacr',
  'connected-registry': 'edgeregistry01',
  cluster: 'edge-cluster-01',
  'service-cluster-ip': '10.0.0.50',
  repositories: 'hello-world, app/web',
  mode: 'ReadOnly',
  tls: 'cert-manager',
  'poll-interval': '1s',
  timeout: '2m'
}

const emulator = await startEmulator({ quiet: true })
try {
  console.log(`Emulator listening on ${emulator.url}`)
  const first = await runAction(emulator, { inputs: DEMO_INPUTS })
  printRun('Deploy', first)
  emulator.admin.clearJournal()
  const second = await runAction(emulator, { inputs: DEMO_INPUTS })
  printRun('Identical re-run', second)
  const writes = emulator.admin.journal().filter((entry) => entry.write)
  console.log(
    `\nRe-run: changed=${second.outputs.changed}, ${writes.length} write request(s) in the emulator's journal.`
  )
  // The demo is also CI's check that a re-run converges without writing anything.
  const converged = second.outputs.changed === 'false' && writes.length === 0
  if (!converged) console.error('The identical re-run was expected to change nothing.')
  process.exitCode = first.exitCode || second.exitCode || (converged ? 0 : 1)
} finally {
  await emulator.stop()
}

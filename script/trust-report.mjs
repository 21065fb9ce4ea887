// Renders the figures the trust tests measured (coverage/trust/*.json, written by
// __tests__/trust/*.test.ts) as the tables in docs/trust.md and README.md, between their markers,
// so the two never disagree. Every count is what the cases did (a re-run that did not converge
// is not counted as converged), so a figure can come out lower than its total; .ci/run fails
// when the committed tables differ from the run it just made (--check). Counts that vary from
// run to run with the random secrets (how many distinct encoded forms were searched for) are
// printed here, not committed.
// Usage: node script/trust-report.mjs [--check]   (--check: fail if a doc is out of date)

import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const read = (name) => {
  const file = path.join(root, 'coverage', 'trust', name)
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run the trust tests first`)
  const figures = JSON.parse(fs.readFileSync(file, 'utf8'))
  if (!figures.complete) throw new Error(`${file} is from a partial run: run the whole file`)
  return figures
}

const leaks = read('leaks.json')
const inputs = read('invalid-inputs.json')
const faults = read('faults.json')
const crash = read('crash.json')
const number = (n) => n.toLocaleString('en-US')
const phases = ['sign-in', 'read', 'write', 'LRO poll', 'waiting']
const perPhase = phases
  .map((phase) => {
    const cases = faults.cases.filter((c) => c.phase === phase)
    const survived = cases.filter((c) => c.outcome === 'survived').length
    return `${phase} ${cases.length} (${survived} survived, ${cases.length - survived} explained)`
  })
  .join('; ')

const totalRuns = faults.concurrency.reduce((sum, c) => sum + c.runs, 0)
const succeededRuns = faults.concurrency.reduce((sum, c) => sum + c.succeeded, 0)
const convergedOverlaps = faults.concurrency.filter((c) => c.converged).length
const { pollInterval, timing, overlapTiming } = faults.conditions
const conditions =
  `poll interval ${pollInterval}; emulator delays: LRO ${timing.lroMs} ms, extension ` +
  `provisioning ${timing.extensionProvisioningMs} ms (${overlapTiming.extensionProvisioningMs} ms ` +
  `for the overlapping runs), activation ${timing.activationMs} ms, first sync ` +
  `${timing.syncingMs} ms, deletion ${timing.deletionMs} ms`
const failedFaults = faults.failedWithExplanation + faults.failedWithoutExplanation
const crashPoints = ['deploy', 'rotation']
  .map((flow) => `${crash.cases.filter((c) => c.flow === flow).length} in a ${flow}`)
  .join(', ')
const slowRuns = crash.overlaps.reduce((sum, o) => sum + o.runs, 0)
const slowSucceeded = crash.overlaps.reduce((sum, o) => sum + o.succeeded, 0)
const slowHeld = crash.overlaps.filter((o) => o.successesHeld).length
const crashTiming = crash.conditions.timing
const crashConditions =
  `poll interval ${crash.conditions.pollInterval}; restart gap ${crashTiming.restartGapMs} ms ` +
  `(${crash.conditions.rollingUpdate ? 'rolling update: the replaced pod serves until its successor is active' : 'recreate'}); ` +
  `LRO ${crashTiming.lroMs} ms, extension provisioning ${crashTiming.extensionProvisioningMs} ms, ` +
  `activation ${crashTiming.activationMs} ms, first sync ${crashTiming.syncingMs} ms`

const rows = [
  ['What', 'Count', 'Result'],
  [
    'Leak scan: scenarios run through the bundle (RUNNER_DEBUG=1, AZURE_LOG_LEVEL=verbose)',
    `${leaks.scenarios} (${leaks.failedRuns} of them failing runs)`,
    `${leaks.hits} hits`
  ],
  [
    'Leak scan: secrets × scenarios (every secret known at each scan)',
    `${number(leaks.secretsScanned)} (${number(leaks.distinctSecrets)} distinct values, ${leaks.secretKinds.length} kinds)`,
    `${leaks.hits} hits`
  ],
  [
    'Leak scan: artifacts searched (streams, runner files, created files)',
    `${leaks.artifactsScanned}`,
    'every secret masked before it could appear'
  ],
  [
    'Invalid inputs run through the bundle',
    `${inputs.corpusCases}`,
    `${inputs.corpusRejected} rejected with one ::error:: and 0 requests`
  ],
  [
    'Checks that need Azure (tier, existence, Offline, parent, mode, ownership)',
    `${inputs.azureChecks}`,
    `${inputs.azureRejected} rejected with 0 writes`
  ],
  [
    'Faults injected (one per phase where each can happen)',
    `${faults.faults}`,
    `${faults.survived} survived in-run; ${failedFaults} failed, ${faults.failedWithExplanation} of them naming cause, code, id and fix`
  ],
  ['Faults by phase', perPhase, ''],
  [
    'Plain re-runs after a fault',
    `${faults.faults}`,
    `${faults.convergedOnRerun} converged to Online`
  ],
  [
    'Overlapping runs on one connected registry',
    `${faults.concurrency.length} scenarios × 2 runs`,
    `${succeededRuns} of ${totalRuns} runs succeeded; ${convergedOverlaps} of ${faults.concurrency.length} converged on a plain re-run, and the next one changed nothing`
  ],
  ['Conditions of the fault and overlap runs', conditions, ''],
  [
    'Runs killed (SIGKILL) after each write of a first deploy and of a rotation, then re-run',
    `${crash.crashes} (${crashPoints})`,
    `${crash.rerunsSucceeded} re-runs exited 0 Online; ${crash.converged} converged (Online on a current password once every restart played out); ${crash.passwordsInUseKept} regenerated no password a serving pod used`
  ],
  [
    'Overlapping runs while the instance restarts slower than the poll interval',
    crash.overlaps.map((o) => `${o.scenario} (${o.runs})`).join('; '),
    `${slowSucceeded} of ${slowRuns} runs exited 0; ${slowHeld} of ${crash.overlaps.length} scenarios: every run that exited 0 left the registry Online, still Online once every restart played out`
  ],
  ['Conditions of the killed and slow-restart runs', crashConditions, '']
]
const markdownTable = (rows) =>
  [
    `| ${rows[0].join(' | ')} |`,
    `| ${rows[0].map(() => '---').join(' | ')} |`,
    ...rows.slice(1).map((row) => `| ${row.join(' | ')} |`)
  ].join('\n')

const readmeRows = [
  ['Guarantee', 'Measured'],
  [
    `No secret leaks: ${leaks.scenarios} scenarios (${leaks.failedRuns} of them failures) with \`RUNNER_DEBUG=1\` and \`AZURE_LOG_LEVEL=verbose\`, scanning stdout, stderr, every runner file and every created file for ${number(leaks.distinctSecrets)} secrets (passwords, connection strings, TLS key and certificates, client secret, OIDC and access tokens) in raw, base64, JSON-escaped, URL-encoded and split forms`,
    `${leaks.hits} hits in ${number(leaks.secretsScanned)} secret × scenario pairs; every secret masked before its first appearance`
  ],
  [
    'Bad input never reaches Azure',
    `${inputs.corpusRejected} invalid inputs: each rejected with one message naming the input, problem and allowed values, 0 requests; ${inputs.azureRejected} checks that need Azure: 0 writes`
  ],
  [
    'No fault strands a deployment: 429 with Retry-After, 500/503 bursts, dropped connections, failed LROs, a Failed extension, Unhealthy registries, slow activation, expired tokens, an Offline cluster, 403, 409',
    `${faults.faults} faults injected at every phase: ${faults.survived} survived in the run, ${failedFaults} failed (${faults.failedWithExplanation} naming cause, Azure code, request id and fix); ${faults.convergedOnRerun} of ${faults.faults} plain re-runs converged to Online; ${succeededRuns} of ${totalRuns} overlapping runs succeeded (${conditions})`
  ],
  [
    'A run killed after any write: the re-run converges and no password in use is regenerated; overlapping runs during a restart slower than the poll interval never exit 0 on a registry that then breaks',
    `${crash.crashes} runs killed after a write (${crashPoints}): ${crash.converged} re-runs converged, ${crash.passwordsInUseKept} kept the serving pod's password; ${slowSucceeded} of ${slowRuns} overlapping runs exited 0, ${slowHeld} of ${crash.overlaps.length} scenarios held Online (${crashConditions})`
  ]
]

// Formatted as `npm run format:check` expects (prettier aligns markdown tables).
const prettier = await import('prettier')
const check = process.argv.includes('--check')
let stale = false
for (const [file, table] of [
  ['docs/trust.md', markdownTable(rows)],
  ['README.md', markdownTable(readmeRows)]
]) {
  const doc = path.join(root, file)
  const text = fs.readFileSync(doc, 'utf8')
  const start = '<!-- figures:start -->'
  const end = '<!-- figures:end -->'
  const between = new RegExp(`${start}[\\s\\S]*?${end}`)
  if (!between.test(text)) throw new Error(`${file} lacks the ${start} and ${end} markers`)
  const options = (await prettier.resolveConfig(doc)) ?? {}
  const updated = await prettier.format(text.replace(between, `${start}\n\n${table}\n\n${end}`), {
    ...options,
    filepath: doc
  })
  if (updated === text) continue
  stale = true
  if (check) console.error(`${file} does not show the figures of the last test run`)
  else fs.writeFileSync(doc, updated)
}
if (check && stale) {
  console.error(
    'The committed trust figures are not the ones this run measured: run `npm run trust-report` after the full suite and commit README.md and docs/trust.md.'
  )
  process.exit(1)
}
if (!check) console.log(markdownTable(rows))
// Not committed: they vary with the random secrets of each run.
console.log(
  `Leak scan searches this run: ${number(leaks.checks)} (${number(leaks.formsScanned)} encoded forms × ${leaks.artifactsScanned} artifacts)`
)

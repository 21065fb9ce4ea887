// Renders the figures the trust tests measured (coverage/trust/*.json, written by
// __tests__/trust/*.test.ts) as the table in docs/trust.md, between its figures markers.
// Usage: node script/trust-report.mjs [--check]   (--check: fail if the doc is out of date)

import fs from 'node:fs'
import path from 'node:path'

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
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
const number = (n) => n.toLocaleString('en-US')
const phases = ['sign-in', 'read', 'write', 'LRO poll', 'waiting']
const perPhase = phases
  .map((phase) => {
    const cases = faults.cases.filter((c) => c.phase === phase)
    const survived = cases.filter((c) => c.outcome === 'survived').length
    return `${phase} ${cases.length} (${survived} survived, ${cases.length - survived} explained)`
  })
  .join('; ')

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
    'Leak scan: searches (secret forms × artifacts: streams, runner files, created files)',
    `${number(leaks.checks)} (${number(leaks.formsScanned)} forms, ${leaks.artifactsScanned} artifacts)`,
    'every secret masked before it could appear'
  ],
  [
    'Invalid inputs run through the bundle',
    `${inputs.corpusCases}`,
    `${inputs.corpusRejected} rejected with one ::error::, 0 requests`
  ],
  [
    'Checks that need Azure (tier, existence, Offline, parent, mode, ownership)',
    `${inputs.azureChecks}`,
    `${inputs.azureRejected} rejected, 0 writes`
  ],
  [
    'Faults injected (one per phase where each can happen)',
    `${faults.faults}`,
    `${faults.survived} survived in-run, ${faults.failedWithExplanation} failed with cause, code, id and fix`
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
    `${faults.concurrency.reduce((sum, c) => sum + c.succeeded, 0)} of ${faults.concurrency.reduce((sum, c) => sum + c.runs, 0)} runs succeeded; Online with the last writer's connection string; re-runs converge`
  ]
]
const table = [
  `| ${rows[0].join(' | ')} |`,
  `| ${rows[0].map(() => '---').join(' | ')} |`,
  ...rows.slice(1).map((row) => `| ${row.join(' | ')} |`)
].join('\n')

const doc = path.join(root, 'docs', 'trust.md')
const text = fs.readFileSync(doc, 'utf8')
const start = '<!-- figures:start -->'
const end = '<!-- figures:end -->'
// Formatted as `npm run format:check` expects (prettier aligns markdown tables).
const prettier = await import('prettier')
const options = (await prettier.resolveConfig(doc)) ?? {}
const updated = await prettier.format(
  text.replace(new RegExp(`${start}[\\s\\S]*?${end}`), `${start}\n\n${table}\n\n${end}`),
  { ...options, filepath: doc }
)
if (process.argv.includes('--check')) {
  if (updated !== text) {
    console.error('docs/trust.md does not show the figures of the last test run')
    process.exit(1)
  }
} else {
  fs.writeFileSync(doc, updated)
  console.log(table)
}

// Renders an action's stdout the way the GitHub runner shows it: workflow commands are
// consumed, `::add-mask::` values are redacted, groups are shown as headings.

import { unescapeCommandValue, type ActionRun } from '../__fixtures__/action-runner.js'

export function renderRunnerLog(stdout: string): string {
  const masks: string[] = []
  const lines: string[] = []
  let indent = ''
  for (const raw of stdout.split('\n')) {
    const command = /^::([a-z-]+)(?: [^:]*)?::(.*)$/.exec(raw)
    if (command) {
      const [, name, escaped] = command
      const value = unescapeCommandValue(escaped)
      if (name === 'add-mask') masks.push(value)
      else if (name === 'group') {
        lines.push(`\n▶ ${value}`)
        indent = '  '
      } else if (name === 'endgroup') indent = ''
      else if (name === 'warning') lines.push(`${indent}Warning: ${value}`)
      else if (name === 'error') lines.push(`${indent}Error: ${value}`)
      continue
    }
    lines.push(raw ? `${indent}${raw}` : raw)
  }
  // Longest first, so a secret that contains another is redacted whole.
  masks.sort((a, b) => b.length - a.length)
  return lines
    .map((line) => masks.reduce((text, secret) => text.split(secret).join('***'), line))
    .join('\n')
}

/** Prints a run as the demo shows it: the runner's log, the outputs and the job summary. */
export function printRun(title: string, run: ActionRun): void {
  console.log(
    `\n=================== ${title} (exit code ${run.exitCode}, ${run.durationMs} ms) ===================`
  )
  console.log(renderRunnerLog(run.stdout))
  console.log('\n--- outputs ---')
  for (const [name, value] of Object.entries(run.outputs)) {
    console.log(`${name.padEnd(22)} ${name === 'plan' ? `${value.slice(0, 120)}…` : value}`)
  }
  console.log('\n--- job summary ---')
  console.log(run.summary.trim())
}

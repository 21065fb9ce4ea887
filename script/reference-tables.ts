// The tables of docs/reference.md, generated so they cannot disagree with their source
// (__tests__/workflows/reference-doc.test.ts fails when they do): inputs and outputs from
// action.yml, permissions from src/permissions.ts.
//
// usage: node --import tsx script/reference-tables.ts [--check]
//   rewrites the tables between the <!-- inputs -->, <!-- outputs --> and <!-- permissions -->
//   markers in place, or with --check exits 1 when they are out of date.

import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import prettier from 'prettier'
import YAML from 'yaml'
import { PERMISSIONS, type Permission } from '../src/permissions.js'
import { OPERATIONS } from '../src/settings.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const ACTION_FILE = path.join(root, 'action.yml')
export const REFERENCE_FILE = path.join(root, 'docs/reference.md')

interface Input {
  description: string
  required?: boolean
  default?: string
}

/** One table cell: a single line, with the characters Markdown would read as markup escaped
 * (descriptions hold patterns such as `<repository>[:<tag>|@<digest>]` and `samples/*`). */
const cell = (text: string): string =>
  text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/[\\`*_<>[\]|]/g, (char) => `\\${char}`)

/** The `# --- Group ---` comment above each input in action.yml, by input name. */
function inputGroups(actionYml: string): Map<string, string> {
  const groups = new Map<string, string>()
  let group = 'Inputs'
  let inInputs = false
  for (const line of actionYml.split('\n')) {
    if (/^\S/.test(line)) inInputs = line.startsWith('inputs:')
    if (!inInputs) continue
    const heading = /^\s*# -+ (.+?) -+\s*$/.exec(line)
    if (heading) group = heading[1]
    const input = /^ {2}([\w-]+):\s*$/.exec(line)
    if (input) groups.set(input[1], group)
  }
  return groups
}

export function inputsTable(actionYml: string): string {
  const action = YAML.parse(actionYml) as { inputs: Record<string, Input> }
  const groups = inputGroups(actionYml)
  const byGroup = new Map<string, string[]>()
  for (const [name, input] of Object.entries(action.inputs)) {
    const group = groups.get(name) ?? 'Inputs'
    // A code span shows its text as is: only the table's own `|` needs escaping there.
    const defaultValue =
      input.default !== undefined ? `\`${String(input.default).replace(/\|/g, '\\|')}\`` : ''
    const row = `| \`${name}\` | ${input.required ? 'yes' : ''} | ${defaultValue} | ${cell(input.description)} |`
    byGroup.set(group, [...(byGroup.get(group) ?? []), row])
  }
  return [...byGroup.entries()]
    .map(([group, rows]) =>
      [
        `### ${group}`,
        '',
        '| Input | Required | Default | Description |',
        '| --- | --- | --- | --- |',
        ...rows
      ].join('\n')
    )
    .join('\n\n')
}

export function outputsTable(actionYml: string): string {
  const action = YAML.parse(actionYml) as { outputs: Record<string, { description: string }> }
  return [
    '| Output | Description |',
    '| --- | --- |',
    ...Object.entries(action.outputs).map(
      ([name, output]) => `| \`${name}\` | ${cell(output.description)} |`
    )
  ].join('\n')
}

/** When an operation needs an action only sometimes. */
export type PermissionCondition = Exclude<
  Permission['operations'][keyof Permission['operations']],
  true | undefined
>

/** The footnote of each condition in the permission table. */
export const CONDITION_NOTES: Record<PermissionCondition, string> = {
  nested:
    "Only for a nested connected registry (its gateway actions are removed from the ancestors' scope maps).",
  'stale-activation':
    'Only when a registry is still activated by an instance that no longer exists (the `ALREADY_ACTIVATED` case).',
  optional:
    "Optional, on both resource groups: before its first write a run reads the identity's effective permissions there and fails, with nothing changed, naming every action it lacks. Without this action (the built-in Reader role grants it) the run warns and goes on, and a missing action stops it at the write that needs it. The roles include it."
}

const SUPERSCRIPTS = ['¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹']

/** One row per action, one column per operation (✓, or ✓ with a footnote when conditional). */
export function permissionsTable(permissions: readonly Permission[] = PERMISSIONS): string {
  const conditions: PermissionCondition[] = []
  const mark = (need: Permission['operations'][keyof Permission['operations']]): string => {
    if (!need) return ''
    if (need === true) return '✓'
    if (!conditions.includes(need)) conditions.push(need)
    return `✓${SUPERSCRIPTS[conditions.indexOf(need)]}`
  }
  const rows = permissions.map(
    (permission) =>
      `| \`${permission.action}\` | ${OPERATIONS.map((operation) => mark(permission.operations[operation])).join(' | ')} | ${cell(permission.why)} |`
  )
  return [
    `| Action | ${OPERATIONS.map((operation) => `\`${operation}\``).join(' | ')} | Why |`,
    `| --- | ${OPERATIONS.map(() => ':---:').join(' | ')} | --- |`,
    ...rows,
    '',
    conditions
      .map((condition, index) => `${SUPERSCRIPTS[index]} ${CONDITION_NOTES[condition]}`)
      .join('\n\n')
  ].join('\n')
}

function replaceBetween(doc: string, marker: string, content: string, source: string): string {
  const start = `<!-- ${marker}: generated from ${source} by script/reference-tables.ts -->`
  const end = `<!-- /${marker} -->`
  const from = doc.indexOf(start)
  const to = doc.indexOf(end)
  if (from < 0 || to < from) throw new Error(`docs/reference.md lacks the ${marker} markers`)
  return `${doc.slice(0, from + start.length)}\n\n${content}\n\n${doc.slice(to)}`
}

/** The reference with its tables regenerated from action.yml and src/permissions.ts, formatted as `npm run format`
 * would (so the check and prettier agree). */
export async function updatedReference(doc: string, actionYml: string): Promise<string> {
  let updated = replaceBetween(doc, 'inputs', inputsTable(actionYml), 'action.yml')
  updated = replaceBetween(updated, 'outputs', outputsTable(actionYml), 'action.yml')
  updated = replaceBetween(updated, 'permissions', permissionsTable(), 'src/permissions.ts')
  const options = await prettier.resolveConfig(REFERENCE_FILE)
  return prettier.format(updated, { ...options, filepath: REFERENCE_FILE })
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const doc = fs.readFileSync(REFERENCE_FILE, 'utf8')
  const updated = await updatedReference(doc, fs.readFileSync(ACTION_FILE, 'utf8'))
  if (process.argv.includes('--check')) {
    if (updated !== doc) {
      console.error(
        'docs/reference.md does not match action.yml and src/permissions.ts: run node --import tsx script/reference-tables.ts'
      )
      process.exit(1)
    }
    console.log('docs/reference.md matches action.yml and src/permissions.ts')
  } else {
    fs.writeFileSync(REFERENCE_FILE, updated)
    console.log('docs/reference.md updated from action.yml and src/permissions.ts')
  }
}

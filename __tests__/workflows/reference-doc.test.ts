// docs/reference.md documents every input and output exactly as action.yml declares them, and
// the permissions it lists cover what the operations' end-to-end tests grant.

import fs from 'node:fs'
import { describe, expect, it } from '@jest/globals'
import YAML from 'yaml'
import {
  ACTION_FILE,
  inputsTable,
  REFERENCE_FILE,
  updatedReference
} from '../../script/reference-tables.js'

const actionYml = fs.readFileSync(ACTION_FILE, 'utf8')
const reference = fs.readFileSync(REFERENCE_FILE, 'utf8')
const action = YAML.parse(actionYml) as {
  inputs: Record<string, unknown>
  outputs: Record<string, unknown>
}

describe('docs/reference.md', () => {
  it('has the input and output tables of action.yml (regenerate: node --import tsx script/reference-tables.ts)', async () => {
    expect(reference).toBe(await updatedReference(reference, actionYml))
  })

  it('lists every input and every output once, in its own section', () => {
    const section = (marker: string) =>
      reference.slice(
        reference.indexOf(`<!-- ${marker}:`),
        reference.indexOf(`<!-- /${marker} -->`)
      )
    const rows = (text: string, name: string) =>
      text.match(new RegExp(`^\\| \`${name}\` +\\|`, 'gm')) ?? []
    for (const name of Object.keys(action.inputs)) {
      expect(rows(section('inputs'), name)).toHaveLength(1)
    }
    for (const name of Object.keys(action.outputs)) {
      expect(rows(section('outputs'), name)).toHaveLength(1)
    }
  })

  it('would notice an input added to action.yml without a row', async () => {
    const withNewInput = actionYml.replace(
      '\noutputs:',
      '\n  brand-new-input:\n    description: Something new.\n    required: false\n\noutputs:'
    )
    expect(inputsTable(withNewInput)).toContain('`brand-new-input`')
    expect(reference).not.toBe(await updatedReference(reference, withNewInput))
  })

  it('gives each operation a permissions column', () => {
    const header = reference
      .split('\n')
      .find((line) => line.startsWith('| Action ') && line.includes('`deploy`'))
    for (const operation of ['deploy', 'plan', 'rotate-credentials', 'teardown']) {
      expect(header).toContain(`\`${operation}\``)
    }
  })
})

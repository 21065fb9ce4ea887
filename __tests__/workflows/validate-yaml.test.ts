// action.yml, .github/workflows and examples/ pass GitHub's parser, actionlint and the check of
// this action's inputs and outputs; and the validator does catch what it is there to catch.

import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'

const SCRIPT = path.resolve('script/validate-yaml.mjs')

function validate(...files: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', SCRIPT, ...files],
      { cwd: path.resolve('.') },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` })
    )
  })
}

let dir: string
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'validate-yaml-'))
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('script/validate-yaml.mjs', () => {
  it('passes action.yml, every workflow and every example', async () => {
    const result = await validate()
    expect(result.output).toContain('action.yml: ok')
    for (const example of fs.readdirSync('examples').filter((f) => f.endsWith('.yml'))) {
      expect(result.output).toContain(`examples/${example}: ok`)
    }
    for (const workflow of fs.readdirSync('.github/workflows')) {
      expect(result.output).toContain(`.github/workflows/${workflow}: ok`)
    }
    expect(result.code).toBe(0)
  })

  it('reports a workflow GitHub would reject, an expression typo and a misused input or output', async () => {
    const broken = path.join(dir, 'broken.yml')
    fs.writeFileSync(
      broken,
      [
        'on: push',
        'permissions:',
        '  id-token: writ',
        'jobs:',
        '  deploy:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - id: cr',
        '        uses: contoso/connected-registry-arc-action@v1',
        '        with:',
        '          resource-group: edge-rg',
        '          registry: contosoacr',
        '          conected-registry: edge01',
        '          cluster: ${{ vars.AZURE_CLUSTR }}',
        '      - run: echo "${{ steps.cr.outputs.status }} ${{ github.evnt_name }}"',
        ''
      ].join('\n')
    )
    const result = await validate(broken)
    expect(result.code).toBe(1)
    expect(result.output).toContain('workflow-parser:')
    expect(result.output).toMatch(/actionlint: .*"writ" is invalid for permission/)
    expect(result.output).toMatch(/actionlint: property "evnt_name" is not defined/)
    expect(result.output).toContain("'conected-registry' is not an input of action.yml")
    expect(result.output).toContain("required input 'connected-registry' is missing")
    expect(result.output).toContain('steps.cr.outputs.status is not an output of action.yml')
    expect(result.output).toContain("configuration variable 'vars.AZURE_CLUSTR' is not listed")
  })

  it('reports an action.yml GitHub would reject', async () => {
    const action = path.join(dir, 'action.yml')
    fs.writeFileSync(action, 'name: x\nruns:\n  using: node99\n  main: dist/index.js\n')
    const result = await validate(action)
    expect(result.code).toBe(1)
    expect(result.output).toMatch(/workflow-parser: .*Unexpected value 'node99'/)
    expect(result.output).toMatch(/workflow-parser: .*Required property is missing: description/)
  })
})

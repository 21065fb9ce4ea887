// GitHub runners run the bundle on Node 24 (`runs.using: node24`), and so does every end-to-end
// test here (DEFAULT_NODE), with a real Node 24 from the npm registry. This file checks that it
// really is Node 24, and runs the same bundle on this machine's node as well (package.json's
// engines: a local `node dist/index.js`, the demo and the benchmark use it).

import fs from 'node:fs'
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from '@jest/globals'
import { DEFAULT_NODE, errorOf, NODE24 } from '../../__fixtures__/action-runner.js'
import { useScenario, writeOperations } from '../../__fixtures__/scenario.js'

const haveNode24 = fs.existsSync(NODE24)
// Skipped only on a machine where `pretest` could not fetch it; CI must never skip it silently.
if (!haveNode24 && process.env.CI) throw new Error(`Node 24 is missing at ${NODE24}: run npm test`)
const describeNode24 = haveNode24 ? describe : describe.skip

describeNode24('the runtime of the end-to-end tests', () => {
  it('is Node 24, as on GitHub runners', () => {
    expect(DEFAULT_NODE).toBe(NODE24)
    expect(execFileSync(NODE24, ['--version']).toString().trim()).toMatch(/^v24\./)
  })
})

describe(`the bundle on this machine's node (${process.version})`, () => {
  const s = useScenario(2)
  const inputs = () => s.inputsFor('thismachinenode')

  it('deploys, then an identical re-run changes nothing', async () => {
    const first = await s.run(inputs(), { node: process.execPath, signIn: 'oidc' })
    expect(errorOf(first)).toBe('')
    expect(first.outputs).toMatchObject({ 'connection-state': 'Online', changed: 'true' })
    s.admin.clearJournal()
    const second = await s.run(inputs(), { node: process.execPath })
    expect(second.outputs.changed).toBe('false')
    expect(writeOperations(s.admin.journal())).toEqual([])
  })

  it('reports a bad input the same way', async () => {
    const run = await s.run({ ...inputs(), mode: 'Sideways' }, { node: process.execPath })
    expect(run.exitCode).toBe(1)
    expect(errorOf(run)).toMatch(/Input 'mode'.*ReadOnly, ReadWrite/)
  })
})

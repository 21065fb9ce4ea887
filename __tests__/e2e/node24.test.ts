// GitHub runners run the bundle on Node 24 (`runs.using: node24`); this machine runs Node 20.
// The same bundle is run here under a real Node 24 from the npm registry.

import fs from 'node:fs'
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from '@jest/globals'
import { errorOf, NODE24 } from '../../__fixtures__/action-runner.js'
import { useScenario, writeOperations } from '../../__fixtures__/scenario.js'

const haveNode24 = fs.existsSync(NODE24)
// Skipped only on a machine where `pretest` could not fetch it; CI must never skip it silently.
if (!haveNode24 && process.env.CI) throw new Error(`Node 24 is missing at ${NODE24}: run npm test`)
const describeNode24 = haveNode24 ? describe : describe.skip

describeNode24('the bundle on Node 24', () => {
  // In the block: no emulator is started when there is no Node 24 to run.
  const s = useScenario(2)
  const inputs = () => s.inputsFor('nodetwentyfour')

  it('is really Node 24', () => {
    expect(execFileSync(NODE24, ['--version']).toString().trim()).toMatch(/^v24\./)
  })

  it('deploys, then an identical re-run changes nothing', async () => {
    const first = await s.run(inputs(), { node: NODE24, signIn: 'oidc' })
    expect(errorOf(first)).toBe('')
    expect(first.outputs).toMatchObject({ 'connection-state': 'Online', changed: 'true' })
    s.admin.clearJournal()
    const second = await s.run(inputs(), { node: NODE24 })
    expect(second.outputs.changed).toBe('false')
    expect(writeOperations(s.admin.journal())).toEqual([])
  })

  it('reports a bad input the same way', async () => {
    const run = await s.run({ ...inputs(), mode: 'Sideways' }, { node: NODE24 })
    expect(run.exitCode).toBe(1)
    expect(errorOf(run)).toMatch(/Input 'mode'.*ReadOnly, ReadWrite/)
  })
})

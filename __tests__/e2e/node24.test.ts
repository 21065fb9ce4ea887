// GitHub runners run the bundle on Node 24 (`runs.using: node24`); this machine runs Node 20.
// The same bundle is run here under a real Node 24 from the npm registry.

import fs from 'node:fs'
import { execFileSync } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startEmulator, type RunningEmulator } from '../../emulator/index.js'
import { errorOf, NODE24, runAction } from '../../__fixtures__/action-runner.js'

const haveNode24 = fs.existsSync(NODE24)
const describeNode24 = haveNode24 ? describe : describe.skip

let emu: RunningEmulator
beforeAll(async () => {
  if (haveNode24) emu = await startEmulator({ quiet: true })
})
afterAll(async () => emu?.stop())

const inputs = {
  'resource-group': 'edge-rg',
  registry: 'contosoacr',
  'connected-registry': 'nodetwentyfour',
  cluster: 'edge-cluster-01',
  'service-cluster-ip': '10.0.2.24',
  repositories: 'hello-world',
  'poll-interval': '100ms',
  timeout: '60s'
}

describeNode24('the bundle on Node 24', () => {
  it('is really Node 24', () => {
    expect(execFileSync(NODE24, ['--version']).toString().trim()).toMatch(/^v24\./)
  })

  it('deploys, then an identical re-run changes nothing', async () => {
    const first = await runAction(emu, { inputs, node: NODE24, signIn: 'oidc' })
    expect(errorOf(first)).toBe('')
    expect(first.outputs).toMatchObject({ 'connection-state': 'Online', changed: 'true' })
    emu.admin.clearJournal()
    const second = await runAction(emu, { inputs, node: NODE24 })
    expect(second.outputs.changed).toBe('false')
    expect(emu.admin.journal().filter((entry) => entry.write)).toEqual([])
  })

  it('reports a bad input the same way', async () => {
    const run = await runAction(emu, { inputs: { ...inputs, mode: 'Sideways' }, node: NODE24 })
    expect(run.exitCode).toBe(1)
    expect(errorOf(run)).toMatch(/Input 'mode'.*ReadOnly, ReadWrite/)
  })
})

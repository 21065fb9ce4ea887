// Fail safe and bounded, through the bundle: one `timeout` for the whole step, a permission
// preflight before the first write, outputs on failure, and waits that say what they wait for.

import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from '@jest/globals'
import {
  DIST_ENTRY,
  emulatorInputs,
  errorOf,
  parseOutputFile
} from '../../__fixtures__/action-runner.js'
import {
  CLUSTER,
  GONE,
  hasStackTrace,
  targetInputs,
  useScenario,
  writeOperations
} from '../../__fixtures__/scenario.js'

const s = useScenario(7)
const DEFAULT_TIMING = { lroMs: 50, activationMs: 200 }

afterEach(() => {
  s.admin.setClusterConnectivity(CLUSTER, 'Connected')
  s.admin.setTiming(DEFAULT_TIMING)
  s.admin.denyActions([])
  s.admin.clearFaults()
})

const writes = () => writeOperations(s.admin.journal())

describe('one deadline for the step', () => {
  it('ends a stuck ACR operation within timeout + 2 s, naming the phase', async () => {
    s.admin.setTiming({ lroMs: 10 * 60_000 })
    const run = await s.run(s.inputsFor('stucklro01', { timeout: '10s', 'poll-interval': '1s' }))
    expect(run.exitCode).toBe(1)
    expect(run.durationMs).toBeLessThan(10_000 + 2_000)
    expect(errorOf(run)).toMatch(
      /^The step's 'timeout' \(10s, from the step's start to its last output\) ran out during 'Apply'\. Updating Dedicated data endpoint had not finished\./
    )
    expect(hasStackTrace(run)).toBe(false)
  })

  it('ends a registry that never comes Online within timeout + 2 s, with the outputs it knows', async () => {
    s.admin.setTiming({ activationMs: 10 * 60_000 })
    const run = await s.run(s.inputsFor('neveronline01', { timeout: '10s', 'poll-interval': '1s' }))
    expect(run.exitCode).toBe(1)
    expect(run.durationMs).toBeLessThan(10_000 + 2_000)
    expect(errorOf(run)).toMatch(
      /^The step's 'timeout' \(10s, from the step's start to its last output\) ran out during 'Wait until Online'\. The connected registry did not come Online\./
    )
    // A fleet's summary step still sees the failed site: ids, state, slot, changed.
    expect(run.outputs).toMatchObject({
      'password-slot': 'password1',
      changed: 'true',
      'sync-token-id': expect.stringMatching(/\/tokens\/neveronline01$/),
      'connected-registry-id': expect.stringMatching(/\/connectedRegistries\/neveronline01$/),
      'extension-id': expect.stringMatching(/\/extensions\/neveronline01$/)
    })
    expect(run.outputs['connection-state']).not.toBe('Online')
    expect(run.stdout).toContain('change(s) were applied before the failure')
    expect(run.summary).toContain('Applied before the failure')
    expect(run.summary).toMatch(
      /Extension 'neveronline01'[^<]*<\/td>\s*<td>create<\/td>\s*<td>yes<\/td>/
    )
  })
})

describe('permission preflight', () => {
  it('fails naming a denied action and its scope, with 0 writes', async () => {
    s.admin.denyActions(['Microsoft.KubernetesConfiguration/extensions/write'])
    s.admin.clearJournal()
    const run = await s.run(s.inputsFor('denied01'))
    expect(run.exitCode).toBe(1)
    expect(errorOf(run)).toMatch(
      /lacks a permission this run needs; nothing was changed: Microsoft\.KubernetesConfiguration\/extensions\/write on \/subscriptions\/[^/]+\/resourceGroups\/edge-rg \(installs\/updates the extension/
    )
    expect(writes()).toEqual([])
    expect(run.outputs.changed).toBe('false')
  })

  it('says so and goes on when the permissions read itself is denied', async () => {
    s.admin.denyActions(['Microsoft.Authorization/permissions/read'])
    const run = await s.run(s.inputsFor('noperms01'))
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(
      /::warning::Could not read the identity's permissions on \/subscriptions\/[^/]+\/resourceGroups\/edge-rg \(Azure error AuthorizationFailed, HTTP 403\); going on/
    )
    expect(run.outputs['connection-state']).toBe('Online')
  })
})

describe('saying what it waits for', () => {
  it('logs a 429 that makes it wait, with the reason and how long', async () => {
    s.admin.addFault({
      operation: 'ConnectedRegistries_Get',
      kind: 'status',
      status: 429,
      retryAfterSeconds: 2,
      times: 1
    })
    const run = await s.run(s.inputsFor('throttled01'))
    expect(run.exitCode).toBe(0)
    expect(run.stdout).toMatch(
      /Azure answered 429 TooManyRequests to GET 'throttled01' \(Azure Resource Manager is throttling this identity\): repeating the request in 2s, as its Retry-After asks\./
    )
  })

  it('explains why an unchanged run outputs no connection string', async () => {
    await s.deploy('nocs01')
    const run = await s.runOk(s.inputsFor('nocs01', { 'output-connection-string': 'true' }))
    expect(run.outputs['connection-string']).toBeUndefined()
    expect(run.stdout).toContain('No connection string is output: this run did not send one')
  })
})

describe('a cancelled run', () => {
  it('says on SIGTERM which phase was in flight and what a re-run will do, with its outputs', async () => {
    s.admin.setTiming({ activationMs: 10 * 60_000 })
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-cancel-'))
    const output = path.join(home, 'output')
    fs.writeFileSync(output, '')
    const inputs = {
      ...emulatorInputs(s.emu),
      ...s.inputsFor('cancelled01', { 'poll-interval': '1s' })
    }
    const env: Record<string, string> = {
      PATH: path.dirname(process.execPath),
      HOME: home,
      NODE_EXTRA_CA_CERTS: s.emu.caPath,
      GITHUB_OUTPUT: output,
      AZURE_CLIENT_ID: s.emu.env.AZURE_CLIENT_ID,
      AZURE_TENANT_ID: s.emu.env.AZURE_TENANT_ID,
      AZURE_CLIENT_SECRET: s.emu.env.AZURE_CLIENT_SECRET
    }
    for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.toUpperCase()}`] = value
    const child = spawn(process.execPath, [DIST_ENTRY], { cwd: home, env })
    let stdout = ''
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code))
    )
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        if (stdout.includes('::group::Wait until Online')) resolve()
      })
    )
    child.kill('SIGTERM')
    expect(await exited).toBe(143)
    expect(stdout).toMatch(
      /::warning::The run was cancelled \(SIGTERM\) during 'Wait until Online'\. Some changes were applied: a re-run reads the current state and applies only what is still missing/
    )
    expect(parseOutputFile(fs.readFileSync(output, 'utf8'))).toMatchObject({
      'password-slot': 'password1',
      changed: 'true'
    })
  })
})

describe('teardown on an Offline cluster', () => {
  it('names the Offline cluster for an extension stuck Deleting, and force-delete removes it', async () => {
    await s.deploy('stuckdel01')
    s.admin.setClusterConnectivity(CLUSTER, 'Offline')
    const teardown = { ...targetInputs('stuckdel01'), operation: 'teardown', 'poll-interval': '1s' }
    // A first teardown leaves the extension Deleting: Azure waits for the cluster's agents.
    await s.run({ ...teardown, timeout: '10s' })
    expect((await s.world('stuckdel01')).extension?.provisioningState).toBe('Deleting')

    const again = await s.run(teardown)
    expect(again.exitCode).toBe(1)
    expect(again.durationMs).toBeLessThan(10_000)
    expect(errorOf(again)).toMatch(
      /^Extension 'stuckdel01' is Deleting and cluster 'edge-cluster-01' is Offline: Azure finishes that operation only once the cluster's Arc agents reconnect.* set 'force-delete: true'/
    )

    const forced = await s.runOk({ ...teardown, 'force-delete': 'true' })
    expect(forced.stdout).toContain('Verified: everything the teardown deleted is gone.')
    expect(await s.world('stuckdel01')).toEqual(GONE)
  })
})

// `operation: plan`, end to end: the bundled action (`node dist/index.js`) against the emulator.
// A plan reads and prints; the journal proves it writes nothing and generates no password.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { DEFAULT_NODE, errorOf, nodeOnlyDir } from '../../__fixtures__/action-runner.js'
import {
  GONE,
  hasStackTrace,
  REGISTRY,
  RESOURCE_GROUP,
  useScenario,
  writeOperations
} from '../../__fixtures__/scenario.js'

const s = useScenario(3)
let fakeAzDir: string

beforeAll(() => {
  // An Azure CLI that nobody signed in to, as on a GitHub-hosted runner without azure/login.
  fakeAzDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-az-'))
  fs.writeFileSync(
    path.join(fakeAzDir, 'az'),
    '#!/bin/sh\necho "ERROR: Please run \'az login\' to setup account." >&2\nexit 1\n',
    { mode: 0o755 }
  )
})
afterAll(() => {
  if (fakeAzDir) fs.rmSync(fakeAzDir, { recursive: true, force: true })
})
// Every test starts from the seed (a Premium registry with its data endpoint off, no registries)
// on an emulator of its own, all at once.

const plan = (name: string, extra: Record<string, string> = {}) =>
  s.inputsFor(name, { operation: 'plan', ...extra })

interface PlannedStep {
  resource: string
  action: string
  reason?: string
  changes: { field: string; from?: string; to?: string }[]
}
const stepsOf = (json: string): PlannedStep[] =>
  (JSON.parse(json) as { steps: PlannedStep[] }).steps

describe('operation: plan', () => {
  it.concurrent(
    'on a fresh world lists every change field by field, with read-only permissions and no write',
    s.isolated(async () => {
      // A reader's role: any write, delete or action would be refused (403) and fail the run.
      s.admin.denyActions(['*/write', '*/delete', '*/action'])
      const run = await s.runOk(plan('planfresh01'))

      expect(run.outputs.changed).toBe('true')
      expect(run.outputs['password-slot']).toBe('')
      const steps = stepsOf(run.outputs.plan)
      expect(steps.map((step) => [step.resource, step.action])).toEqual([
        ['Dedicated data endpoint', 'update'],
        ["Scope map 'planfresh01'", 'create'],
        ["Sync token 'planfresh01'", 'create'],
        ["Connected registry 'planfresh01'", 'create'],
        ['Sync token password (password1)', 'generate'],
        ["Extension 'planfresh01' on 'edge-cluster-01'", 'create']
      ])
      const extension = steps[5].changes
      expect(extension).toEqual(
        expect.arrayContaining([
          { field: 'service.clusterIP', to: s.serviceIpOf('planfresh01') },
          { field: 'cert-manager.install', to: 'true' },
          { field: 'releaseTrain', to: 'Stable' },
          { field: 'connectionString', to: '(sensitive)' }
        ])
      )
      // Field by field in the log, from → to for updates, secrets never shown.
      expect(run.stdout).toContain('dataEndpointEnabled: false → true')
      expect(run.stdout).toContain('actions: + gateway/planfresh01/config/read')
      expect(run.stdout).toContain('password1: (sensitive)')
      expect(run.stdout).toContain('6 change(s) to apply.')
      expect(run.stdout).toContain('Plan: 6 change(s) pending.')
      expect(run.stdout).not.toContain('::group::Apply')
      // The job summary carries the table.
      expect(run.summary).toContain('Planned changes')
      expect(run.summary).toContain('<table>')
      expect(run.summary).toContain('(sensitive)')

      const journal = s.admin.journal()
      expect(writeOperations(journal)).toEqual([])
      expect(journal.map((entry) => entry.operation)).not.toContain(
        'Registries_GenerateCredentials'
      )
      expect(journal.filter((entry) => entry.status === 403)).toEqual([])
      expect(s.admin.secretsForTests().tokenPasswords).toEqual([])
      const registry = await s.clients.acr.registries.get(RESOURCE_GROUP, REGISTRY)
      expect(registry.dataEndpointEnabled).toBe(false)
      expect(await s.world('planfresh01')).toEqual(GONE)
    })
  )

  it.concurrent(
    'after a deploy reports no changes',
    s.isolated(async () => {
      await s.deploy('plandeployed01')
      s.admin.clearJournal()
      const run = await s.runOk(plan('plandeployed01', { 'fail-on-changes': 'true' }))

      expect(run.outputs).toMatchObject({
        changed: 'false',
        'connection-state': 'Online',
        'password-slot': 'password1'
      })
      expect(stepsOf(run.outputs.plan).map((step) => step.action)).toEqual(
        Array(5).fill('unchanged')
      )
      expect(run.stdout).toContain('No changes: everything is as desired.')
      expect(run.stdout).toContain('Plan: no changes.')
      expect(writeOperations(s.admin.journal())).toEqual([])
    })
  )

  it.concurrent(
    'shows a drifted setting from → to, and fails on it with fail-on-changes',
    s.isolated(async () => {
      await s.deploy('plandrift01')
      // Someone changes the log level by hand in the portal.
      await s.clients.acr.connectedRegistries.beginUpdateAndWait(
        RESOURCE_GROUP,
        REGISTRY,
        'plandrift01',
        { logging: { logLevel: 'Debug', auditLogStatus: 'Disabled' } },
        { updateIntervalInMs: 50 }
      )
      s.admin.clearJournal()

      const report = await s.runOk(plan('plandrift01'))
      expect(report.outputs.changed).toBe('true')
      expect(report.stdout).toContain('logLevel: Debug → Information')

      const check = await s.run(plan('plandrift01', { 'fail-on-changes': 'true' }))
      expect(check.exitCode).toBe(1)
      expect(errorOf(check)).toContain(
        "The deployment has drifted from the inputs and fail-on-changes is true: Connected registry 'plandrift01': update (logLevel Debug → Information). Run the step with 'operation: deploy' to converge."
      )
      expect(hasStackTrace(check)).toBe(false)
      // The drift check still hands the plan to later steps and to the summary.
      expect(check.outputs.changed).toBe('true')
      expect(stepsOf(check.outputs.plan)).toContainEqual({
        resource: "Connected registry 'plandrift01'",
        action: 'update',
        changes: [{ field: 'logLevel', from: 'Debug', to: 'Information' }]
      })
      expect(check.summary).toContain('Failed:')
      expect(check.summary).toContain('logLevel: Debug → Information')
      expect(writeOperations(s.admin.journal())).toEqual([])
    })
  )
})

describe('operation: plan without credentials', () => {
  const noRequestReachedArm = () =>
    expect(s.admin.journal().filter((entry) => entry.path.includes('/subscriptions/'))).toEqual([])

  it.concurrent(
    'says what to provide when nothing is configured (self-hosted runner without identity)',
    s.isolated(async () => {
      const run = await s.run(plan('plannocreds01'), { signIn: 'none' })
      expect(run.exitCode).toBe(1)
      const error = errorOf(run)
      expect(error).toMatch(
        /^No Azure credentials to sign in with: the runner has no usable managed identity/
      )
      expect(error).toContain("the inputs 'client-id' and 'tenant-id'")
      expect(error).toContain('`permissions: id-token: write`')
      expect(error).toContain('AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET')
      expect(error).toContain('azure/login')
      expect(hasStackTrace(run)).toBe(false)
      expect(run.stderr).toBe('')
      noRequestReachedArm()
    })
  )

  it.concurrent(
    'explains a pull request from a fork on a GitHub-hosted runner (az installed, not signed in)',
    s.isolated(async () => {
      const run = await s.run(
        // Secrets and variables are empty in a fork's run, so the sign-in inputs arrive empty.
        plan('planfork01', { 'client-id': '', 'tenant-id': '' }),
        {
          signIn: 'none',
          env: {
            PATH: `${fakeAzDir}${path.delimiter}${nodeOnlyDir(DEFAULT_NODE)}`,
            RUNNER_ENVIRONMENT: 'github-hosted',
            GITHUB_EVENT_NAME: 'pull_request'
          }
        }
      )
      expect(run.exitCode).toBe(1)
      expect(run.stdout).toContain('Signing in with Azure CLI session (azure/login)')
      const error = errorOf(run)
      expect(error).toMatch(
        /^No Azure credentials to sign in with: the Azure CLI is not signed in \(no azure\/login step ran before this one\)/
      )
      expect(error).toContain('pull requests from forks no secrets')
      expect(error).toContain('github.event.pull_request.head.repo.full_name == github.repository')
      expect(hasStackTrace(run)).toBe(false)
      noRequestReachedArm()
    })
  )

  it.concurrent(
    'fails at once on a GitHub-hosted runner without az, before any request',
    s.isolated(async () => {
      const run = await s.run(plan('plannoaz01'), {
        signIn: 'none',
        env: { RUNNER_ENVIRONMENT: 'github-hosted' }
      })
      expect(run.exitCode).toBe(1)
      expect(errorOf(run)).toMatch(
        /^No Azure credentials to sign in with: GitHub-hosted runners have no managed identity to fall back on\. Provide one of/
      )
      expect(errorOf(run)).not.toContain('pull request')
      expect(s.admin.journal()).toEqual([])
    })
  )

  it.concurrent(
    'asks for id-token: write when client-id and tenant-id are given but no OIDC token is',
    s.isolated(async () => {
      const run = await s.run(
        plan('planoidc01', {
          'client-id': s.emu.env.AZURE_CLIENT_ID,
          'tenant-id': s.emu.env.AZURE_TENANT_ID
        }),
        { signIn: 'none' }
      )
      expect(run.exitCode).toBe(1)
      expect(errorOf(run)).toContain('Add `permissions: id-token: write` to the job.')
      expect(hasStackTrace(run)).toBe(false)
      expect(s.admin.journal()).toEqual([])
    })
  )
})

// The example workflows work as written: every step of examples/*.yml that uses this action is
// run through the bundled action against the emulator, with its `with:` evaluated by GitHub's
// expression engine from the contexts a runner would give it (vars, env, matrix, inputs). Only
// the Azure endpoints (the emulator's) and the poll interval (the emulator is fast) are added.
// That the YAML itself is valid is script/validate-yaml.mjs's job (see validate-yaml.test.ts).

import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { data, Evaluator, Lexer, Parser } from '@actions/expressions'
import YAML from 'yaml'
import {
  DEFAULT_SEED_PATH,
  loadSeedFile,
  startEmulator,
  type RunningEmulator
} from '../../emulator/index.js'
import { expectSuccess, runAction, type ActionRun } from '../../__fixtures__/action-runner.js'
import { emulatorClients } from '../../__fixtures__/azure.js'

interface Step {
  id?: string
  uses?: string
  with?: Record<string, unknown>
}
interface Workflow {
  env?: Record<string, string>
  jobs: Record<string, { steps: Step[]; strategy?: { matrix?: { include?: object[] } } }>
}

const readExample = (name: string): Workflow =>
  YAML.parse(fs.readFileSync(path.join('examples', name), 'utf8')) as Workflow

/** The step of a job that uses this action. */
function actionStep(workflow: Workflow, job: string): Step {
  const step = workflow.jobs[job].steps.find((s) =>
    /\/connected-registry-arc-action@/.test(s.uses ?? '')
  )
  if (!step) throw new Error(`job '${job}' does not use the action`)
  return step
}

/** `${{ … }}` in a value, evaluated as the runner does (everything becomes a string). */
function evaluate(value: unknown, contexts: Record<string, unknown>): string {
  const text = String(value)
  const context = JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary
  return text.replace(/\$\{\{(.*?)\}\}/g, (_, expression: string) => {
    const lexed = new Lexer(expression.trim()).lex()
    const parsed = new Parser(lexed.tokens, Object.keys(contexts), []).parse()
    return new Evaluator(parsed, context).evaluate().coerceString()
  })
}

let emu: RunningEmulator
let vars: Record<string, string>

beforeAll(async () => {
  // The default world, plus the fleet's store clusters in their own resource groups.
  const seed = loadSeedFile(DEFAULT_SEED_PATH)
  seed.resourceGroups = [
    ...(seed.resourceGroups ?? []),
    { name: 'stores-eu-rg', location: 'westeurope' },
    { name: 'stores-us-rg', location: 'southcentralus' }
  ]
  seed.connectedClusters = [
    ...(seed.connectedClusters ?? []),
    { name: 'store-berlin-01', resourceGroup: 'stores-eu-rg', serviceCidr: '10.0.0.0/16' },
    { name: 'store-paris-01', resourceGroup: 'stores-eu-rg', serviceCidr: '10.0.0.0/16' },
    { name: 'store-austin-01', resourceGroup: 'stores-us-rg', serviceCidr: '10.96.0.0/12' }
  ]
  emu = await startEmulator({ quiet: true, seed })
  vars = {
    AZURE_CLIENT_ID: emu.env.AZURE_CLIENT_ID,
    AZURE_READER_CLIENT_ID: emu.env.AZURE_CLIENT_ID,
    AZURE_TENANT_ID: emu.env.AZURE_TENANT_ID,
    AZURE_SUBSCRIPTION_ID: emu.env.AZURE_SUBSCRIPTION_ID
  }
})
afterAll(async () => emu?.stop())

/** Runs one example step as a runner would: its inputs, OIDC sign-in, the job's contexts. */
async function runStep(
  workflow: Workflow,
  job: string,
  contexts: Record<string, unknown> = {}
): Promise<ActionRun> {
  const step = actionStep(workflow, job)
  const all = { vars, env: workflow.env ?? {}, inputs: {}, matrix: {}, ...contexts }
  const inputs = Object.fromEntries(
    Object.entries(step.with ?? {}).map(([name, value]) => [name, evaluate(value, all)])
  )
  return runAction(emu, {
    inputs: {
      ...inputs,
      'arm-endpoint': emu.env.ARM_ENDPOINT,
      'authority-host': emu.env.AUTHORITY_HOST,
      'poll-interval': '200ms'
    },
    signIn: 'oidc'
  })
}

describe('the example workflows, run as written against the emulator', () => {
  it('deploy-on-push.yml deploys edge01 and waits until it is Online, without delete permissions', async () => {
    emu.admin.denyActions(['*/delete'])
    const run = await runStep(readExample('deploy-on-push.yml'), 'deploy').finally(() =>
      emu.admin.denyActions([])
    )
    expectSuccess(run)
    expect(run.stdout).toContain('federated credential (GitHub OIDC)')
    expect(run.outputs).toMatchObject({
      'connection-state': 'Online',
      'login-server': '10.0.0.50',
      changed: 'true'
    })
  })

  it('pr-plan.yml plans with a reader role and finds nothing to change after that deploy', async () => {
    emu.admin.denyActions(['*/write', '*/delete', '*/action'])
    try {
      const run = expectSuccess(await runStep(readExample('pr-plan.yml'), 'plan'))
      expect(run.outputs.changed).toBe('false')
      expect(run.summary).toContain('Planned changes')
    } finally {
      emu.admin.denyActions([])
    }
  })

  it('scheduled-rotation.yml passes its drift check, then rotates and revokes', async () => {
    const workflow = readExample('scheduled-rotation.yml')
    const drift = expectSuccess(await runStep(workflow, 'drift'))
    expect(drift.outputs.changed).toBe('false')
    const rotation = expectSuccess(await runStep(workflow, 'rotate'))
    expect(rotation.outputs).toMatchObject({
      'password-slot': 'password2',
      'connection-state': 'Online'
    })
    expect(rotation.stdout).toContain('The old password (password1) no longer works')
  })

  it('fleet.yml deploys one registry per store cluster, then tears the fleet down', async () => {
    const workflow = readExample('fleet.yml')
    const stores = workflow.jobs.store.strategy?.matrix?.include ?? []
    expect(stores).toHaveLength(3)
    // On push there is no `inputs.operation`: the workflow falls back to deploy.
    const deployed = await Promise.all(
      stores.map((matrix) => runStep(workflow, 'store', { matrix }))
    )
    for (const run of deployed)
      expect(expectSuccess(run).outputs['connection-state']).toBe('Online')

    const teardown = { operation: 'teardown' }
    for (const matrix of stores) {
      expectSuccess(await runStep(workflow, 'store', { matrix, inputs: teardown }))
    }
    const left = await emulatorClients(emu).acr.connectedRegistries.list('edge-rg', 'contosoacr')
    const names: string[] = []
    for await (const cr of left) names.push(cr.name ?? '')
    expect(names.filter((name) => name.startsWith('store'))).toEqual([])
  })
})

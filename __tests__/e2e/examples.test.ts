// The example workflows work as written: every step of examples/*.yml that uses this action is
// run through the bundled action against the emulator, with its `with:` evaluated by GitHub's
// expression engine from the contexts a runner would give it (vars, env, matrix, inputs). Only
// the Azure endpoints (the emulator's) and the poll interval (the emulator is fast) are added.
// The fleet examples read the repository's sites file: the checkout holds examples/fleet/sites.yml
// at the path they name.
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
import { resultsOf } from '../../__fixtures__/fleet.js'

interface Step {
  id?: string
  uses?: string
  with?: Record<string, unknown>
}
interface Workflow {
  env?: Record<string, string>
  jobs: Record<
    string,
    {
      steps: Step[]
      needs?: string
      if?: string
      environment?: string
      concurrency?: { group: string }
      strategy?: { matrix?: { shard?: number[] } }
    }
  >
}

/** Where the fleet examples find the sites file in the checkout, and its content there. */
const SITES_PATH = 'fleet/sites.yml'
const SITES = fs.readFileSync('examples/fleet/sites.yml', 'utf8')
const STORES = ['storeberlin01', 'storeparis01', 'storeaustin01']

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

/** Runs one example step as a runner would: its inputs, OIDC sign-in, the job's contexts, and
 * the repository's sites file (`sites`: its content as a pull request has it). */
async function runStep(
  workflow: Workflow,
  job: string,
  contexts: Record<string, unknown> = {},
  sites = SITES
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
    signIn: 'oidc',
    workspaceFiles: { [SITES_PATH]: sites }
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

  it('fleet.yml rolls out the canary store, then the other stores in 4 shards that need it', async () => {
    const workflow = readExample('fleet.yml')
    expect(workflow.jobs.fleet.needs).toBe('canary')
    const canary = expectSuccess(await runStep(workflow, 'canary'))
    expect(resultsOf(canary).map((r) => [r.site, r.action, r['connection-state']])).toEqual([
      ['storeberlin01', 'created', 'Online']
    ])
    const shards = workflow.jobs.fleet.strategy?.matrix?.shard ?? []
    expect(shards).toEqual([1, 2, 3, 4])
    const runs = await Promise.all(
      shards.map((shard) => runStep(workflow, 'fleet', { matrix: { shard } }))
    )
    const results = runs.flatMap((run) => resultsOf(expectSuccess(run)))
    // Every store exactly once; the canary is already converged.
    expect(results.map((r) => r.site).sort()).toEqual([...STORES].sort())
    for (const result of results) {
      expect(result['connection-state']).toBe('Online')
      expect(result.action).toBe(result.site === 'storeberlin01' ? 'unchanged' : 'created')
    }
  })

  it('pr-plan.yml plans the sites file as the pull request has it, with a reader role', async () => {
    emu.admin.denyActions(['*/write', '*/delete', '*/action'])
    try {
      const workflow = readExample('pr-plan.yml')
      const unchanged = expectSuccess(await runStep(workflow, 'plan'))
      expect(unchanged.outputs.changed).toBe('false')
      // The pull request adds a repository to one store.
      const edited = SITES.replace(
        '    cluster: store-paris-01\n',
        '    cluster: store-paris-01\n    repositories: [pos/app, pos/sidecar, pos/kiosk]\n'
      )
      expect(edited).not.toBe(SITES)
      const run = expectSuccess(await runStep(workflow, 'plan', {}, edited))
      expect(run.outputs.changed).toBe('true')
      expect(
        resultsOf(run)
          .filter((r) => r.changed)
          .map((r) => r.site)
      ).toEqual(['storeparis01'])
      expect(run.summary).toContain('<td>storeparis01</td>')
    } finally {
      emu.admin.denyActions([])
    }
  })

  it('scheduled-rotation.yml passes its drift check, then rotates and revokes on every store', async () => {
    const workflow = readExample('scheduled-rotation.yml')
    expect(workflow.jobs.drift.concurrency?.group).toBeTruthy()
    const drift = expectSuccess(await runStep(workflow, 'drift'))
    expect(drift.outputs.changed).toBe('false')
    const rotation = expectSuccess(await runStep(workflow, 'rotate'))
    const results = resultsOf(rotation)
    expect(results.map((r) => r.site)).toEqual(STORES)
    for (const result of results) {
      expect(result).toMatchObject({ action: 'rotated', 'connection-state': 'Online' })
      expect(result.outputs['password-slot']).toBe('password2')
    }
    expect(rotation.stdout).toContain('The old password (password1) no longer works')
  })

  it('fleet.yml tears the fleet down only in a job behind an environment', async () => {
    const workflow = readExample('fleet.yml')
    expect(workflow.jobs.teardown.environment).toBe('fleet-teardown')
    expect(workflow.jobs.teardown.if).toBe("inputs.operation == 'teardown'")
    expect(workflow.jobs.canary.if).toBe("inputs.operation != 'teardown'")
    const teardown = expectSuccess(
      await runStep(workflow, 'teardown', { inputs: { operation: 'teardown' } })
    )
    expect(resultsOf(teardown).map((r) => r.action)).toEqual(Array(3).fill('deleted'))
    const left = await emulatorClients(emu).acr.connectedRegistries.list('edge-rg', 'contosoacr')
    const names: string[] = []
    for await (const cr of left) names.push(cr.name ?? '')
    expect(names.filter((name) => name.startsWith('store'))).toEqual([])
  })
})

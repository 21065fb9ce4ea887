// Try the action with your own inputs, nothing in Azure: starts the local Azure emulator, runs the
// bundle (`node dist/index.js`) as a runner would, with INPUT_* variables and the runner's files,
// and prints the log as the runner shows it, the outputs and the job summary (as `npm run demo`).
//
// usage: npm run local -- [--input name=value]... [--inputs file.yml] [--seed file.yaml]
//                         [--runs N]
//   --input name=value   one input, as under `with:`; `name=@path` reads the value from a file
//                        (relative to the directory npm was run from)
//                        (PEM certificates and keys for tls: byoc).
//   --inputs file.yml    the inputs as a YAML mapping, or a workflow step with a `with:` block;
//                        `@path` values are read relative to that file. --input wins over it.
//   --seed file.yaml     the emulator's world (default emulator/default-seed.yaml: resource group
//                        edge-rg, Premium registry contosoacr, Arc cluster edge-cluster-01).
//   --runs N             runs the same inputs N times in a row (2: see that a re-run changes nothing).
// The emulator's sign-in and endpoints replace subscription-id, arm-endpoint, authority-host,
// client-id, tenant-id and audience. Exit code: that of the last run.

import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import YAML from 'yaml'
import { startEmulator } from '../emulator/index.js'
import { NODE24, runAction } from '../__fixtures__/action-runner.js'
import { printRun } from './render-log.js'

/** Inputs that point the action at Azure: the emulator supplies its own. */
export const EMULATOR_INPUTS = [
  'subscription-id',
  'arm-endpoint',
  'authority-host',
  'client-id',
  'tenant-id',
  'audience'
]

export interface LocalOptions {
  inputs: Record<string, string>
  seed?: string
  runs: number
}

export class UsageError extends Error {}

/** A value as given, or the content of the file `@path` names (relative to `baseDir`). */
function inputValue(name: string, value: string, baseDir: string): string {
  if (value.includes('${{')) {
    throw new UsageError(
      `Input '${name}' holds an expression (\${{ … }}), which only a runner evaluates: give its value.`
    )
  }
  if (!value.startsWith('@')) return value
  const file = path.resolve(baseDir, value.slice(1))
  if (!fs.existsSync(file)) throw new UsageError(`Input '${name}': no file ${file}.`)
  return fs.readFileSync(file, 'utf8')
}

/** The inputs of a YAML file: a mapping of inputs, or a step (`with:`). */
function inputsFile(file: string): Record<string, string> {
  if (!fs.existsSync(file)) throw new UsageError(`No inputs file ${file}.`)
  const parsed: unknown = YAML.parse(fs.readFileSync(file, 'utf8')) ?? {}
  const mapping =
    parsed && typeof parsed === 'object' && 'with' in parsed
      ? (parsed as { with: unknown }).with
      : parsed
  if (!mapping || typeof mapping !== 'object' || Array.isArray(mapping)) {
    throw new UsageError(
      `${file} is not a mapping of inputs (name: value) nor a step with 'with:'.`
    )
  }
  return Object.fromEntries(
    Object.entries(mapping).map(([name, value]) => [
      name,
      // A pasted step signs in with expressions: the emulator replaces those inputs anyway.
      EMULATOR_INPUTS.includes(name)
        ? ''
        : inputValue(name, String(value ?? ''), path.dirname(file))
    ])
  )
}

export function parseLocalArgs(
  argv: string[],
  cwd = process.env.INIT_CWD ?? process.cwd()
): LocalOptions {
  const fromFile: Record<string, string> = {}
  const given: Record<string, string> = {}
  const options: LocalOptions = { inputs: {}, runs: 1 }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = (): string => {
      const next = argv[++i]
      if (next === undefined) throw new UsageError(`${arg} needs a value.`)
      return next
    }
    if (arg === '--input') {
      const text = value()
      const at = text.indexOf('=')
      if (at < 1) throw new UsageError(`--input takes name=value, got '${text}'.`)
      const name = text.slice(0, at)
      given[name] = inputValue(name, text.slice(at + 1), cwd)
    } else if (arg === '--inputs') {
      Object.assign(fromFile, inputsFile(path.resolve(cwd, value())))
    } else if (arg === '--seed') {
      options.seed = path.resolve(cwd, value())
    } else if (arg === '--runs') {
      options.runs = Number(value())
      if (!Number.isInteger(options.runs) || options.runs < 1 || options.runs > 10) {
        throw new UsageError('--runs takes a number from 1 to 10.')
      }
    } else if (arg !== '--') {
      throw new UsageError(`Unknown argument '${arg}'.`)
    }
  }
  options.inputs = { ...fromFile, ...given }
  return options
}

/** Runs the bundle against a fresh emulator; returns the exit code of the last run. */
export async function runLocally(options: LocalOptions): Promise<number> {
  const replaced = EMULATOR_INPUTS.filter((name) => name in options.inputs)
  const inputs = Object.fromEntries(
    Object.entries(options.inputs).filter(([name]) => !EMULATOR_INPUTS.includes(name))
  )
  // The runner's Node (runs.using: node24) when it is installed (npm test installs it).
  const node = fs.existsSync(NODE24) ? NODE24 : process.execPath
  const emulator = await startEmulator({ quiet: true, seed: options.seed })
  try {
    const state = emulator.admin.state()
    const names = (list: unknown[]) =>
      list.map((item) => (item as { name: string }).name).join(', ')
    console.log(
      `Emulator at ${emulator.url}, the bundle on Node ${node === NODE24 ? 24 : process.versions.node}.`
    )
    console.log(
      `Its world: resource groups ${names(state.resourceGroups)}; registries ${names(state.registries)}; Arc clusters ${names(state.connectedClusters)}.`
    )
    if (replaced.length) console.log(`The emulator's own values replace: ${replaced.join(', ')}.`)
    let exitCode = 0
    for (let run = 1; run <= options.runs; run++) {
      const result = await runAction(emulator, {
        inputs,
        node,
        // Federated sign-in when the inputs ask for it, with the emulator's OIDC provider.
        signIn: replaced.includes('client-id') ? 'oidc' : 'secret'
      })
      printRun(options.runs > 1 ? `Run ${run} of ${options.runs}` : 'Run', result)
      exitCode = result.exitCode
    }
    return exitCode
  } finally {
    await emulator.stop()
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.exitCode = await runLocally(parseLocalArgs(process.argv.slice(2)))
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    console.error(error.message)
    console.error(
      'usage: npm run local -- [--input name=value]... [--inputs file.yml] [--seed file.yaml] [--runs N]'
    )
    process.exitCode = 2
  }
}

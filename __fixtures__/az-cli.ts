// Runs the real az CLI (Debian's azure-cli 2.45, a client none of us wrote) against an emulator:
// signed in as the seeded service principal, with a configuration directory of its own per
// session so nothing leaks between runs or from the user's ~/.azure.

import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { JournalEntry, RunningEmulator } from '../emulator/index.js'

export interface AzResult {
  args: string[]
  exitCode: number
  stdout: string
  stderr: string
  durationMs: number
}

/** The az executable: on PATH, or where Debian's package installs it; undefined when absent. */
export function findAz(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin']
  return dirs
    .filter(Boolean)
    .map((dir) => path.join(dir, 'az'))
    .find((candidate) => {
      try {
        fs.accessSync(candidate, fs.constants.X_OK)
        return true
      } catch {
        return false
      }
    })
}

/** What `.ci/run` installs when az is missing; printed when the suite has to skip. */
export const AZ_MISSING = [
  '',
  '#################################################################################',
  '#  az CLI NOT FOUND: the az suite (__tests__/az) is SKIPPED.                     #',
  "#  Install Debian's package: sudo apt-get update && sudo apt-get install -y     #",
  '#  azure-cli  (.ci/run does this when it can).                                  #',
  '#################################################################################',
  ''
].join('\n')

export interface AzSession {
  /** Runs `az <args>`; never throws on a non-zero exit. */
  run(args: string[]): Promise<AzResult>
  /** Runs `az <args> -o json` and parses stdout; throws with az's stderr when it fails. */
  json<T>(args: string[]): Promise<T>
  configDir: string
  dispose(): void
}

/**
 * A signed-in az session against `emu`: `az cloud register` with the emulator's endpoints
 * (an AD FS-style authority, so MSAL skips instance discovery), `az cloud set`, then
 * `az login --service-principal` as the seeded principal.
 */
export async function azSession(azPath: string, emu: RunningEmulator): Promise<AzSession> {
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'az-config-'))
  const env: Record<string, string> = {
    // az is a Python program: it needs the system's directories, nothing from the user's PATH.
    PATH: [path.dirname(azPath), '/usr/bin', '/bin'].join(path.delimiter),
    HOME: configDir,
    AZURE_CONFIG_DIR: configDir,
    REQUESTS_CA_BUNDLE: emu.env.REQUESTS_CA_BUNDLE,
    AZURE_CORE_COLLECT_TELEMETRY: 'false',
    AZURE_CORE_ONLY_SHOW_ERRORS: 'true',
    AZURE_CORE_NO_COLOR: 'true',
    AZURE_CORE_SURVEY_MESSAGE: 'false',
    LANG: 'C.UTF-8'
  }
  const run = (args: string[]): Promise<AzResult> =>
    new Promise((resolve, reject) => {
      const started = Date.now()
      // Asynchronous on purpose: the emulator answering az may run in this very process.
      const child = spawn(azPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      child.on('error', reject)
      child.on('close', (code) =>
        resolve({ args, exitCode: code ?? -1, stdout, stderr, durationMs: Date.now() - started })
      )
    })
  const expectOk = (result: AzResult): AzResult => {
    if (result.exitCode !== 0)
      throw new Error(`az ${result.args.join(' ')} exited ${result.exitCode}:\n${result.stderr}`)
    return result
  }
  const cloud = 'emulator'
  expectOk(
    await run([
      'cloud',
      'register',
      '--name',
      cloud,
      '--endpoint-resource-manager',
      emu.env.ARM_ENDPOINT,
      '--endpoint-active-directory',
      emu.env.AZ_ENDPOINT_ACTIVE_DIRECTORY,
      '--endpoint-active-directory-resource-id',
      emu.env.AZ_ENDPOINT_ACTIVE_DIRECTORY_RESOURCE_ID,
      '--endpoint-active-directory-graph-resource-id',
      emu.env.AZ_ENDPOINT_ACTIVE_DIRECTORY_RESOURCE_ID,
      '--suffix-acr-login-server-endpoint',
      '.azurecr.io'
    ])
  )
  expectOk(await run(['cloud', 'set', '--name', cloud]))
  // The seeded principal's secret is the emulator's published test value, not a real secret.
  expectOk(
    await run([
      'login',
      '--service-principal',
      '--username',
      emu.env.AZURE_CLIENT_ID,
      '--password',
      emu.env.AZURE_CLIENT_SECRET,
      '--tenant',
      emu.env.AZURE_TENANT_ID,
      '--output',
      'none'
    ])
  )
  return {
    run,
    json: async <T>(args: string[]) =>
      JSON.parse(expectOk(await run([...args, '--output', 'json'])).stdout) as T,
    configDir,
    dispose: () => fs.rmSync(configDir, { recursive: true, force: true })
  }
}

/**
 * The waits between successive polls of one async operation's status URL, in ms: what a
 * client's Retry-After handling decides (az falls back to 30 s without the header).
 */
export function pollGaps(entries: JournalEntry[]): { path: string; gapMs: number }[] {
  const last = new Map<string, number>()
  const gaps: { path: string; gapMs: number }[] = []
  for (const e of entries.filter((x) => x.operation === 'OperationStatus_Get')) {
    const at = Date.parse(e.time)
    const before = last.get(e.path)
    if (before !== undefined) gaps.push({ path: e.path, gapMs: at - before })
    last.set(e.path, at)
  }
  return gaps
}

/** Async operations a stretch of the journal started (201/202 answers to writes). */
export function asyncStarts(entries: JournalEntry[]): number {
  return entries.filter((e) => e.write && (e.status === 201 || e.status === 202)).length
}

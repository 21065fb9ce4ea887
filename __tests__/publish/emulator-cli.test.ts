// `npm run emulator` as CONTRIBUTING.md and the README tell a user to run it: the env file it
// writes works from any directory (absolute paths), and stopping npm stops the server, whether
// with Ctrl-C in a terminal (SIGINT to the whole foreground process group) or with a SIGTERM to
// the npm process alone (what `kill %1` or a process manager sends).

import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import https from 'node:https'
import path from 'node:path'
import { afterEach, describe, expect, it } from '@jest/globals'

const ROOT = path.resolve('.')

interface Started {
  npm: ChildProcess
  dir: string
  env: Record<string, string>
}

let started: Started | undefined

/** Starts `npm run emulator` in its own process group, as a terminal starts a foreground job. */
async function startWithNpm(name: string): Promise<Started> {
  // Relative paths, as a user types them; .emulator/ is git-ignored.
  const dir = path.join('.emulator', `${name}-${process.pid}`)
  const npm = spawn(
    'npm',
    ['run', '--silent', 'emulator', '--', '--quiet', '--cert-dir', dir, '--env-out', `${dir}/env`],
    { cwd: ROOT, detached: true, env: { ...process.env, NODE_OPTIONS: '' } }
  )
  started = { npm, dir: path.join(ROOT, dir), env: {} }
  let stdout = ''
  let stderr = ''
  npm.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`emulator not ready: ${stdout}\n${stderr}`)),
      30_000
    )
    npm.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      if (stdout.includes('EMULATOR READY\n')) {
        clearTimeout(timer)
        resolve()
      }
    })
  })
  const envText = fs.readFileSync(path.join(ROOT, dir, 'env'), 'utf8')
  started.env = Object.fromEntries(
    envText
      .trim()
      .split('\n')
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)])
  )
  return started
}

/** Whether the emulator still answers on its admin endpoint. */
function answers(env: Record<string, string>): Promise<boolean> {
  return new Promise((resolve) => {
    https
      .get(
        `${env.EMULATOR_ADMIN_URL}/health`,
        { rejectUnauthorized: false, agent: false },
        (res) => {
          res.resume()
          resolve(true)
        }
      )
      .on('error', () => resolve(false))
  })
}

async function stopsAnswering(env: Record<string, string>, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs
  while (Date.now() < deadline) {
    if (!(await answers(env))) return true
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return false
}

afterEach(() => {
  if (!started) return
  const { npm, dir } = started
  // Nothing may keep running, whatever the test did: the server stays in npm's process group.
  try {
    if (npm.pid) process.kill(-npm.pid, 'SIGKILL')
  } catch {
    // already gone
  }
  fs.rmSync(dir, { recursive: true, force: true })
  started = undefined
})

describe('npm run emulator', () => {
  it('writes an env file with absolute paths, usable from any directory', async () => {
    const { env } = await startWithNpm('env')
    expect(path.isAbsolute(env.NODE_EXTRA_CA_CERTS)).toBe(true)
    expect(fs.readFileSync(env.NODE_EXTRA_CA_CERTS, 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/)
    expect(await answers(env)).toBe(true)
  })

  it('stops with Ctrl-C (SIGINT to the foreground process group)', async () => {
    const { npm, env } = await startWithNpm('ctrlc')
    process.kill(-(npm.pid as number), 'SIGINT')
    expect(await stopsAnswering(env, 10_000)).toBe(true)
  })

  it('stops when only the npm process gets SIGTERM', async () => {
    const { npm, env } = await startWithNpm('sigterm')
    process.kill(npm.pid as number, 'SIGTERM')
    expect(await stopsAnswering(env, 10_000)).toBe(true)
  })
})

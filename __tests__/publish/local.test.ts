// `npm run local`, the README's "try it yourself": the bundle with a user's own inputs against the
// emulator, showing what a runner shows. Needs a fresh `npm run bundle` when src/ changed.

import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { validCertificate } from '../../__fixtures__/certificates.js'

const ROOT = path.resolve('.')

/** `npm run local -- …` from `cwd`, as a user types it. */
function local(args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'npm',
      ['--prefix', ROOT, 'run', '--silent', 'local', '--', ...args],
      { cwd, env: { ...process.env, NODE_OPTIONS: '' }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` })
    )
  })
}

let dir: string
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'npm-run-local-'))
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('npm run local', () => {
  it('runs the bundle with --input values and shows the log, the outputs and the job summary of each run', async () => {
    const result = await local(
      [
        '--input',
        'resource-group=edge-rg',
        '--input',
        'registry=contosoacr',
        '--input',
        'connected-registry=tryit01',
        '--input',
        'cluster=edge-cluster-01',
        '--input',
        'service-cluster-ip=10.0.9.10',
        '--input',
        'repositories=hello-world',
        '--input',
        'poll-interval=1s',
        '--runs',
        '2'
      ],
      dir
    )
    expect(result.code).toBe(0)
    const [first, second] = result.output.split(/^=+ Run 2 of 2/m)
    expect(first).toMatch(/=+ Run 1 of 2 \(exit code 0, \d+ ms\)/)
    // The runner's view: groups as headings, no workflow commands.
    expect(first).toContain('▶ Wait until Online')
    expect(first).not.toMatch(/^::/m)
    expect(first).toMatch(/^connection-state +Online$/m)
    expect(first).toMatch(/^changed +true$/m)
    expect(first).toContain('--- job summary ---')
    expect(first).toContain("<h2>Deploy of connected registry 'tryit01' on 'edge-cluster-01'</h2>")
    expect(second).toMatch(/^changed +false$/m)
    expect(second).toContain('No changes: everything is as desired.')
  }, 180_000)

  it('takes a pasted workflow step with expressions for sign-in and @file values, and masks the key', async () => {
    const certificate = await validCertificate('10.0.9.20')
    fs.mkdirSync(path.join(dir, 'tls'))
    fs.writeFileSync(path.join(dir, 'tls/cert.pem'), certificate.certPem)
    fs.writeFileSync(path.join(dir, 'tls/key.pem'), certificate.keyPem)
    fs.writeFileSync(
      path.join(dir, 'step.yml'),
      [
        '# a step from a workflow, pasted as is',
        'uses: contoso/connected-registry-arc-action@v1',
        'with:',
        '  client-id: ${{ vars.AZURE_CLIENT_ID }}',
        '  tenant-id: ${{ vars.AZURE_TENANT_ID }}',
        '  subscription-id: ${{ vars.AZURE_SUBSCRIPTION_ID }}',
        '  resource-group: edge-rg',
        '  registry: contosoacr',
        '  connected-registry: tryit02',
        '  cluster: edge-cluster-01',
        '  service-cluster-ip: 10.0.9.20',
        '  repositories: hello-world',
        '  tls: byoc',
        "  tls-cert: '@tls/cert.pem'",
        "  tls-key: '@tls/key.pem'",
        '  poll-interval: 1s',
        ''
      ].join('\n')
    )
    const result = await local(['--inputs', 'step.yml', '--input', 'log-level=Debug'], dir)
    expect(result.code).toBe(0)
    expect(result.output).toContain(
      "The emulator's own values replace: subscription-id, client-id, tenant-id."
    )
    expect(result.output).toMatch(/Signing in with .*(OIDC|federated)/i)
    expect(result.output).toMatch(/^connection-state +Online$/m)
    expect(result.output).toContain('logLevel: Debug')
    const keyBody = certificate.keyPem.split('\n')[1]
    expect(result.output).not.toContain(keyBody)
  }, 180_000)

  it('refuses what it cannot run, before starting anything', async () => {
    const expression = await local(['--input', 'registry=${{ vars.REGISTRY }}'], dir)
    expect(expression.code).toBe(2)
    expect(expression.output).toContain(
      "Input 'registry' holds an expression (${{ … }}), which only a runner evaluates: give its value."
    )
    const missing = await local(['--inputs', 'nothing-here.yml'], dir)
    expect(missing.code).toBe(2)
    expect(missing.output).toContain(`No inputs file ${path.join(dir, 'nothing-here.yml')}.`)
  })
})

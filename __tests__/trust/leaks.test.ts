// No secret ever leaks: the bundled action runs through every kind of scenario, successes and
// failures, with step debug on and the Azure SDK logging everything it logs, and the leak
// scanner searches all it left behind (both streams, GITHUB_OUTPUT/STEP_SUMMARY/STATE/ENV and
// every file it created) for every secret of the run in every form. Failures matter most: an
// Azure error that quotes the request body, an LRO failure message, a rejected sign-in.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startEmulator, type FaultRule, type RunningEmulator } from '../../emulator/index.js'
import {
  errorOf,
  expectSuccess,
  runAction,
  type ActionRun,
  type RunOptions
} from '../../__fixtures__/action-runner.js'
import { emulatorClients } from '../../__fixtures__/azure.js'
import {
  base64,
  caSignedCertificate,
  makeCertificate,
  mismatchedKey
} from '../../__fixtures__/certificates.js'
import {
  describeLeaks,
  emulatorSecrets,
  scanRun,
  tlsInputSecrets,
  type ScanReport,
  type Secret
} from '../../__fixtures__/leak-scanner.js'
import { tokenIdOf } from '../../__fixtures__/scenario.js'
import { kubectl, nodeAndKubectlPath } from '../kube/fixtures.js'
import {
  CLUSTER,
  deployInputs,
  REGISTRY,
  RG,
  uniqueName,
  whenRequestArrives,
  writeFigures
} from './helpers.js'

/** Short emulator delays: the scan, not the waiting, is what this file is about. */
const FAST = { lroMs: 20, extensionProvisioningMs: 60, activationMs: 60, syncingMs: 60 }

/** Step debug on, and the SDK's own logging at its most talkative. */
const DEBUG_ENV = { RUNNER_DEBUG: '1', AZURE_LOG_LEVEL: 'verbose' }

let emu: RunningEmulator
/** Fresh clients each time: a scenario that expires every token must not break the next one. */
const clients = () => emulatorClients(emu)
const scanned: { scenario: string; exitCode: number; report: ScanReport }[] = []
/** Scans this file makes when it runs in full. */
const SCENARIOS = 27

beforeAll(async () => {
  emu = await startEmulator({ quiet: true })
  emu.admin.setTiming(FAST)
})
afterAll(async () => {
  const secretKinds = new Set(
    scanned.flatMap(({ report }) => report.kinds.map((kind) => kind.replace(/ \(.*\)$/, '')))
  )
  writeFigures('leaks.json', {
    complete: scanned.length === SCENARIOS,
    scenarios: scanned.length,
    distinctSecrets: new Set(scanned.flatMap(({ report }) => report.values)).size,
    failedRuns: scanned.filter((s) => s.exitCode !== 0).length,
    secretsScanned: scanned.reduce((sum, s) => sum + s.report.secrets, 0),
    secretKinds: [...secretKinds].sort(),
    formsScanned: scanned.reduce((sum, s) => sum + s.report.forms, 0),
    artifactsScanned: scanned.reduce((sum, s) => sum + s.report.artifacts, 0),
    checks: scanned.reduce((sum, s) => sum + s.report.checks, 0),
    hits: scanned.reduce((sum, s) => sum + s.report.hits.length, 0),
    perScenario: scanned.map(({ scenario, exitCode, report }) => ({
      scenario,
      exitCode,
      secrets: report.secrets,
      checks: report.checks,
      hits: report.hits.length
    }))
  })
  await emu?.stop()
})

type Options = Omit<RunOptions, 'inputs'>

const run = (inputs: Record<string, string>, options: Options = {}): Promise<ActionRun> =>
  runAction(emu, { inputs, ...options, env: { ...DEBUG_ENV, ...options.env } })

/**
 * Runs the action and scans what it left behind for every secret the emulator knows (those
 * that appeared during this run must also have been masked) plus `extra` ones.
 */
async function scan(
  scenario: string,
  start: () => Promise<ActionRun>,
  extra: Secret[] = []
): Promise<ActionRun> {
  const before = emu.admin.secretsForTests()
  const result = await start()
  const secrets = [...emulatorSecrets(emu.admin.secretsForTests(), before), ...extra]
  const report = scanRun(result, secrets)
  scanned.push({ scenario, exitCode: result.exitCode, report })
  expect(describeLeaks(report)).toBe('')
  expect(report.secrets).toBeGreaterThan(3)
  return result
}

/**
 * The CA pods must trust is handed out on purpose, in the `ca-certificate` output and nowhere
 * else: checks it there, then takes that one output out of what the scanner sees.
 */
function caCertificateOutputOnly(result: ActionRun, caPem: string): ActionRun {
  expect(result.outputs['ca-certificate']?.trim()).toBe(caPem.trim())
  const outputs = { ...result.outputs }
  delete outputs['ca-certificate']
  const block = /^ca-certificate<<(\S+)\n[\s\S]*?\n\1\n/m
  const files = { ...result.files, GITHUB_OUTPUT: result.files.GITHUB_OUTPUT.replace(block, '') }
  return { ...result, outputs, files }
}

const expectFailure = (result: ActionRun, pattern: RegExp): void => {
  expect(result.exitCode).toBe(1)
  expect(errorOf(result)).toMatch(pattern)
}

/** The newest password the emulator generated for a sync token. */
function newestPassword(name: string): string {
  const passwords = emu.admin.secretsForTests().tokenPasswords
  const mine = passwords.filter(
    (p) => p.tokenId.toLowerCase() === tokenIdOf(emu, name).toLowerCase()
  )
  return mine[mine.length - 1].value
}

const connectionStringOf = (name: string, password: string): string =>
  `ConnectedRegistryName=${name};SyncTokenName=${name};SyncTokenPassword=${password};ParentGatewayEndpoint=${REGISTRY}.eastus.data.azurecr.io;ParentEndpointProtocol=https`

const unicodeEscape = (char: string, upper = true): string => {
  const hex = char.charCodeAt(0).toString(16).padStart(4, '0')
  return `\\u${upper ? hex.toUpperCase() : hex}`
}
/** JSON as .NET's System.Text.Json writes it: `+` (in every sync password) as \u002B. */
const dotnetJson = (value: unknown): string =>
  JSON.stringify(value).replace(/[+<>&']/g, (char) => unicodeEscape(char))
/** The extension request body with the connection string, as a service might quote it back. */
const requestBody = (connectionString: string) => ({
  properties: {
    configurationSettings: { 'service.clusterIP': '10.0.3.99' },
    configurationProtectedSettings: { connectionString }
  }
})

/**
 * Runs a deploy of `name` whose extension write Azure answers with `fault(connectionString)`,
 * the connection string built from the password generated moments before.
 */
/** Azure refusing the extension's creation with a message that quotes the request back. */
const extensionCreateRejected = (message: string): FaultRule => ({
  operation: 'Extensions_Create',
  kind: 'status',
  status: 400,
  code: 'InvalidRequestContent',
  message,
  times: 1
})

async function quotedBack(
  scenario: string,
  name: string,
  fault: (connectionString: string, password: string) => FaultRule
): Promise<{ result: ActionRun; quoted: Secret[] }> {
  const quoted: Secret[] = []
  const started = run(deployInputs(name))
  const result = await scan(scenario, async () => {
    await whenRequestArrives(emu, 'Extensions_Create', () => {
      const password = newestPassword(name)
      const connectionString = connectionStringOf(name, password)
      quoted.push(
        { kind: 'quoted connection string', value: connectionString },
        { kind: 'quoted password', value: password }
      )
      emu.admin.addFault(fault(connectionString, password))
    })
    return started
  })
  return { result, quoted }
}

describe('the scanner', () => {
  // A control: each class of form is found when it is there, so a clean scan means something.
  const secret = 'Sync+Password/With=Specials+0123456789abcdefghijk'
  const body = JSON.stringify({ settings: { connectionString: `Password=${secret};x=y` } })
  it.each([
    ['.NET json-escaped', dotnetJson(secret)],
    [
      'every character escaped, lower-case hex',
      [...secret].map((c) => unicodeEscape(c, false)).join('')
    ],
    ['a mix of escapes', secret.replace('+', '%2b').replace('/', '\\/').replace('=', '&#61;')],
    ['base64 of a whole body', Buffer.from(body).toString('base64')],
    ['base64url of a .NET-escaped body', Buffer.from(dotnetJson(body)).toString('base64url')],
    ['base64 of a body, JSON-escaped', Buffer.from(body).toString('base64').replace(/\//g, '\\/')]
  ])('finds a secret as %s', (_form, shown) => {
    const leaked: ActionRun = {
      exitCode: 1,
      stdout: `::error::Azure said: ${shown}\n`,
      stderr: '',
      log: `::error::Azure said: ${shown}\n`,
      outputs: {},
      summary: '',
      files: {},
      createdFiles: {},
      durationMs: 0
    }
    expect(scanRun(leaked, [{ kind: 'password', value: secret }]).hits).not.toEqual([])
  })
})

describe('deploys leak nothing', () => {
  it.each([
    ['cert-manager', {}],
    ['existing-cert-manager', {}],
    ['kubernetes-secret', { 'tls-secret': 'registry-tls' }],
    ['none', {}]
  ])('tls %s', async (tls, extra) => {
    const name = uniqueName(`leak${tls}`)
    expectSuccess(
      await scan(`deploy, tls ${tls}`, () => run(deployInputs(name, { tls, ...extra })))
    )
  })

  it('tls byoc: the private key and certificate appear nowhere but the ca-certificate output', async () => {
    const name = uniqueName('leakbyoc')
    const inputs = deployInputs(name, { tls: 'byoc' })
    const certificate = await makeCertificate({ ip: inputs['service-cluster-ip'] })
    inputs['tls-cert'] = certificate.certPem
    inputs['tls-key'] = base64(certificate.keyPem)
    expectSuccess(
      await scan(
        'deploy, tls byoc',
        // Self-signed: the certificate is its own CA.
        async () => caCertificateOutputOnly(await run(inputs), certificate.certPem),
        tlsInputSecrets(certificate, { cert: 'pem', key: 'base64' })
      )
    )
  })

  it('tls byoc with a CA: the CA certificate appears nowhere but the ca-certificate output', async () => {
    const name = uniqueName('leakbyocca')
    const inputs = deployInputs(name, { tls: 'byoc' })
    const { ca, server } = await caSignedCertificate(inputs['service-cluster-ip'])
    inputs['tls-cert'] = base64(server.certPem)
    inputs['tls-key'] = server.keyPem
    inputs['tls-ca-cert'] = ca.certPem
    expectSuccess(
      await scan(
        'deploy, tls byoc with a CA',
        async () => caCertificateOutputOnly(await run(inputs), ca.certPem),
        [
          ...tlsInputSecrets(server, { cert: 'base64', key: 'pem' }),
          { kind: 'BYOC CA certificate (PEM)', value: ca.certPem, mustBeMasked: true }
        ]
      )
    )
  })

  it('federated sign-in: the OIDC token and the request token appear nowhere', async () => {
    const name = uniqueName('leakoidc')
    const result = expectSuccess(
      await scan('deploy, OIDC sign-in', () => run(deployInputs(name), { signIn: 'oidc' }))
    )
    expect(result.stdout).toContain('federated credential (GitHub OIDC)')
  })
})

describe('re-runs and repairs leak nothing', () => {
  it('an identical re-run', async () => {
    const name = uniqueName('leaknoop')
    expectSuccess(await run(deployInputs(name)))
    const result = expectSuccess(await scan('identical re-run', () => run(deployInputs(name))))
    expect(result.outputs.changed).toBe('false')
  })

  it('rotate-credentials with the old password revoked', async () => {
    const name = uniqueName('leakrotate')
    expectSuccess(await run(deployInputs(name)))
    const result = expectSuccess(
      await scan('rotate-credentials, revoke-old-password', () =>
        run(deployInputs(name, { operation: 'rotate-credentials', 'revoke-old-password': 'true' }))
      )
    )
    expect(result.outputs['password-slot']).toBe('password2')
  })

  it('an UNAUTHORIZED registry repaired with a new password', async () => {
    const name = uniqueName('leakunauth')
    expectSuccess(await run(deployInputs(name)))
    await clients().acr.registries.generateCredentials(
      RG,
      REGISTRY,
      { tokenId: tokenIdOf(emu, name), name: 'password1' },
      { updateIntervalInMs: 20 }
    )
    const result = expectSuccess(await scan('UNAUTHORIZED repair', () => run(deployInputs(name))))
    expect(result.stdout).toContain('UNAUTHORIZED')
  })

  it('a recreated extension (deactivation, new instance)', async () => {
    const name = uniqueName('leakrecreate')
    expectSuccess(await run(deployInputs(name)))
    await clients().k8s.extensions.beginDeleteAndWait(
      RG,
      'Microsoft.Kubernetes',
      'connectedClusters',
      CLUSTER,
      name.toLowerCase(),
      { updateIntervalInMs: 20 }
    )
    const result = expectSuccess(await scan('recreated extension', () => run(deployInputs(name))))
    expect(result.stdout).toContain('Deactivating')
  })

  it('an access token that expires mid-run and is replaced', async () => {
    const name = uniqueName('leakexpiry')
    const started = run(deployInputs(name))
    const result = await scan('access token expired mid-run', async () => {
      await whenRequestArrives(emu, 'ConnectedRegistries_Create', () => emu.admin.expireAllTokens())
      return started
    })
    expectSuccess(result)
    expect(result.stdout).toContain('Azure rejected the access token')
  })

  it('a plan and a teardown', async () => {
    const name = uniqueName('leakplan')
    expectSuccess(await run(deployInputs(name)))
    const plan = expectSuccess(
      await scan('plan with pending changes', () =>
        run(deployInputs(name, { operation: 'plan', 'log-level': 'Debug', rotate: 'true' }))
      )
    )
    expect(plan.outputs.changed).toBe('true')
    expectSuccess(await scan('teardown', () => run(deployInputs(name, { operation: 'teardown' }))))
  })
})

describe('failures leak nothing', () => {
  it('an extension that fails (service IP outside the CIDR)', async () => {
    const name = uniqueName('leakbadip')
    const result = await scan('extension Failed: service IP outside the CIDR', () =>
      run(deployInputs(name, { 'service-cluster-ip': '10.9.0.5' }))
    )
    expectFailure(result, /not in the valid range/)
  })

  it('a long-running operation that fails', async () => {
    const name = uniqueName('leaklro')
    emu.admin.addFault({
      operation: 'ConnectedRegistries_Create',
      kind: 'lro-failure',
      code: 'ConnectedRegistryCreateFailed',
      message: 'The sync token could not be validated.',
      times: 1
    })
    const result = await scan('LRO failure', () => run(deployInputs(name)))
    expectFailure(result, /ConnectedRegistryCreateFailed/)
  })

  it('a missing RBAC permission on generateCredentials (403)', async () => {
    const name = uniqueName('leakrbac')
    // Without the permissions read the preflight cannot check: Azure's 403 comes from the write.
    emu.admin.denyActions([
      'Microsoft.ContainerRegistry/registries/generateCredentials/action',
      'Microsoft.Authorization/permissions/read'
    ])
    try {
      const result = await scan('RBAC 403 on generateCredentials', () => run(deployInputs(name)))
      expectFailure(result, /AuthorizationFailed/)
    } finally {
      emu.admin.denyActions([])
    }
  })

  it('an Azure error that quotes the whole request body (connection string, TLS key)', async () => {
    const name = uniqueName('leakbody')
    const inputs = deployInputs(name, { tls: 'byoc' })
    const certificate = await makeCertificate({ ip: inputs['service-cluster-ip'] })
    inputs['tls-cert'] = certificate.certPem
    inputs['tls-key'] = certificate.keyPem
    let quoted = ''
    const started = run(inputs)
    const result = await scan(
      'Azure error quoting the request body',
      async () => {
        // Held at the extension PUT, the password generated moments before is known: the
        // answer quotes the body back, as some services do in validation errors.
        await whenRequestArrives(emu, 'Extensions_Create', () => {
          quoted = connectionStringOf(name, newestPassword(name))
          const body = {
            properties: {
              configurationProtectedSettings: {
                connectionString: quoted,
                'tls.crt': base64(certificate.certPem),
                'tls.key': base64(certificate.keyPem)
              }
            }
          }
          emu.admin.addFault(
            extensionCreateRejected(`The request content was invalid: ${JSON.stringify(body)}`)
          )
        })
        return started
      },
      tlsInputSecrets(certificate)
    )
    expectFailure(result, /InvalidRequestContent/)
    // The error still says what failed; only the secrets are gone.
    expect(errorOf(result)).toContain('***')
    const secrets = scanRun(result, [{ kind: 'quoted connection string', value: quoted }])
    expect(describeLeaks(secrets)).toBe('')
  })

  it('an extension failure (LRO) whose message contains the connection string', async () => {
    const name = uniqueName('leaklromsg')
    let quoted = ''
    const started = run(deployInputs(name))
    const result = await scan('extension LRO failure quoting the connection string', async () => {
      await whenRequestArrives(emu, 'Extensions_Create', () => {
        quoted = connectionStringOf(name, newestPassword(name))
        emu.admin.addFault({
          operation: 'Extensions_Create',
          kind: 'lro-failure',
          code: 'ExtensionOperationFailed',
          message: `helm install failed: invalid value for connectionString "${quoted}"`,
          times: 1
        })
      })
      return started
    })
    expectFailure(result, /ExtensionOperationFailed/)
    expect(
      describeLeaks(scanRun(result, [{ kind: 'quoted connection string', value: quoted }]))
    ).toBe('')
  })

  it('an Azure error quoting the body as .NET escapes it (+ as \\u002B)', async () => {
    const name = uniqueName('leakdotnet')
    const { result, quoted } = await quotedBack(
      'Azure error quoting the body, .NET-escaped',
      name,
      (connectionString) =>
        extensionCreateRejected(
          `The request content was invalid: ${dotnetJson(requestBody(connectionString))}`
        )
    )
    expectFailure(result, /InvalidRequestContent/)
    expect(errorOf(result)).toContain('"connectionString":"***"')
    expect(errorOf(result)).not.toContain('\\u002B')
    expect(describeLeaks(scanRun(result, quoted))).toBe('')
  })

  it('an Azure error quoting the whole request body in base64', async () => {
    const name = uniqueName('leakb64body')
    const { result, quoted } = await quotedBack(
      'Azure error quoting the whole body in base64',
      name,
      (connectionString) =>
        extensionCreateRejected(
          `Could not read the request (body, base64: ${Buffer.from(JSON.stringify(requestBody(connectionString))).toString('base64')}).`
        )
    )
    expectFailure(result, /body, base64: \*\*\*\)\..*InvalidRequestContent/)
    expect(describeLeaks(scanRun(result, quoted))).toBe('')
  })

  it('an extension failure quoting the body in base64url and the password with every character escaped', async () => {
    const name = uniqueName('leakb64url')
    const { result, quoted } = await quotedBack(
      'extension LRO failure: base64url body, password every character escaped',
      name,
      (connectionString, password) => ({
        operation: 'Extensions_Create',
        kind: 'lro-failure',
        code: 'ExtensionOperationFailed',
        message: `helm values ${Buffer.from(dotnetJson(requestBody(connectionString))).toString('base64url')} rejected; password ${[...password].map((c) => unicodeEscape(c, false)).join('')} invalid`,
        times: 1
      })
    )
    expectFailure(result, /ExtensionOperationFailed/)
    expect(errorOf(result)).toMatch(/helm values \*\*\* rejected; password \*\*\* invalid/)
    expect(describeLeaks(scanRun(result, quoted))).toBe('')
  })

  it('a sign-in rejected for a wrong client secret', async () => {
    const name = uniqueName('leakbadsecret')
    const wrong = 'wrong~Secret.Value-That_Must+Not/Leak=42'
    const result = await scan(
      'sign-in rejected (wrong client secret)',
      () => run(deployInputs(name), { env: { AZURE_CLIENT_SECRET: wrong } }),
      [{ kind: 'wrong client secret', value: wrong, mustBeMasked: true }]
    )
    expectFailure(result, /Signing in to Microsoft Entra ID failed.*AADSTS7000215/)
  })

  it('a BYOC key that does not match its certificate (rejected before any request)', async () => {
    const name = uniqueName('leakbadkey')
    const inputs = deployInputs(name, { tls: 'byoc' })
    const mismatched = await mismatchedKey(inputs['service-cluster-ip'])
    inputs['tls-cert'] = mismatched.certPem
    inputs['tls-key'] = mismatched.keyPem
    const result = await scan(
      'invalid input: mismatched BYOC key',
      () => run(inputs),
      tlsInputSecrets(mismatched)
    )
    expectFailure(result, /tls-key/)
  })

  it('a registry that never comes Online within the timeout', async () => {
    const name = uniqueName('leaktimeout')
    emu.admin.setTiming({ activationMs: 30_000 })
    try {
      const result = await scan('timeout waiting for Online', () =>
        run(deployInputs(name, { timeout: '10s' }))
      )
      expectFailure(
        result,
        /ran out during 'Wait until Online'\. The connected registry did not come Online/
      )
    } finally {
      emu.admin.setTiming({ activationMs: FAST.activationMs })
    }
  })

  it("a client-token deploy with pull secrets that times out: the cluster's view is collected", async () => {
    const name = uniqueName('leakpull')
    const namespace = `${name}-apps`
    expect((await kubectl(emu.kube.kubeconfigPath)(['create', 'ns', namespace])).status).toBe(0)
    const withCluster = { env: { KUBECONFIG: emu.kube.kubeconfigPath, PATH: nodeAndKubectlPath() } }
    const inputs = deployInputs(name, {
      'client-token': `${name}-pods`,
      'pull-secret-namespaces': namespace
    })
    const deployed = await scan('client token and pull secret', () => run(inputs, withCluster))
    expectSuccess(deployed)
    expect(deployed.outputs['client-token-username']).toBe(`${name}-pods`)

    const late = uniqueName('leakpulllate')
    emu.admin.setTiming({ activationMs: 30_000 })
    try {
      const result = await scan('client token, pull secret, timeout with diagnostics', () =>
        run(
          deployInputs(late, {
            'client-token': `${late}-pods`,
            'pull-secret-namespaces': namespace,
            'pull-secret-name': `${late}-pull`,
            timeout: '10s'
          }),
          withCluster
        )
      )
      expectFailure(result, /ran out during 'Wait until Online'/)
      expect(result.stdout).toContain("::group::The cluster's view")
      // The log shown is the one of this release's pod, not a neighbour's.
      expect(result.summary).toContain(`Log of ${late}-`)
      expect(result.summary).toContain("<h3>The cluster's view</h3>")
    } finally {
      emu.admin.setTiming({ activationMs: FAST.activationMs })
    }
  })
})

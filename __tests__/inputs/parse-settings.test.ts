import { beforeAll, describe, expect, it } from '@jest/globals'
import {
  base64,
  expiredCertificate,
  expiringCertificate,
  validCertificate,
  type TestCertificate
} from '../../__fixtures__/certificates.js'
import { InputError, InputErrors } from '../../src/inputs/errors.js'
import { fromRecord } from '../../src/inputs/input-reader.js'
import { parseSettings } from '../../src/inputs/parse-settings.js'
import type { Settings } from '../../src/settings.js'
import { SERVICE_IP, VALID_BASE_INPUTS } from './invalid-inputs.corpus.js'

const parse = (inputs: Record<string, string> = {}, env: Record<string, string> = {}) =>
  parseSettings(fromRecord({ ...VALID_BASE_INPUTS, ...inputs }), env)

const settingsOf = (inputs: Record<string, string> = {}): Settings => parse(inputs).settings

describe('parseSettings with only the required inputs', () => {
  it('applies every default', () => {
    expect(parse()).toEqual({
      settings: {
        target: {
          subscriptionId: '0b1f6471-1bf0-4dda-aec3-cb9272f09590',
          resourceGroup: 'edge-rg',
          registry: 'contosoacr',
          connectedRegistry: 'edgeregistry01',
          cluster: 'edge-cluster-01',
          clusterResourceGroup: 'edge-rg',
          extensionName: 'edgeregistry01'
        },
        connectedRegistry: {
          mode: 'ReadOnly',
          repositories: ['hello-world', 'app/web'],
          parentProtocol: 'https',
          syncSchedule: '* * * * *',
          messageTtl: 'P2D',
          logLevel: 'Information',
          clientTokens: [],
          garbageCollection: {},
          notifications: []
        },
        extension: {
          serviceClusterIp: SERVICE_IP,
          tls: { strategy: 'cert-manager' },
          trustDistribution: true,
          autoUpgradeMinorVersion: true,
          releaseTrain: 'Stable',
          extraConfig: {},
          releaseNamespace: 'connected-registry'
        },
        behaviour: {
          operation: 'deploy',
          timeoutMs: 900_000,
          pollIntervalMs: 10_000,
          rotate: false,
          revokeOldPassword: false,
          forceDelete: false,
          failOnChanges: false,
          outputConnectionString: false
        },
        cloud: {
          environment: 'AzureCloud',
          armEndpoint: 'https://management.azure.com',
          authorityHost: 'https://login.microsoftonline.com',
          customEndpoints: false,
          registryDomain: 'azurecr.io',
          audience: 'api://AzureADTokenExchange'
        },
        kube: { pullSecretName: 'connected-registry-pull', pullSecretNamespaces: [] }
      },
      warnings: []
    })
  })
})

describe('parseSettings reads each input', () => {
  it.each<[string, Record<string, string>, (s: Settings) => unknown, unknown]>([
    [
      'client-token',
      {
        'client-token': 'edge-pods',
        'client-token-repositories': 'hello, app/*',
        mode: 'ReadWrite',
        'client-token-push': 'true'
      },
      (s) => s.connectedRegistry.clientToken,
      { name: 'edge-pods', repositories: ['hello', 'app/*'], push: true, outputPassword: false }
    ],
    [
      'garbage-collection',
      { 'garbage-collection': 'true', 'garbage-collection-schedule': '0 5 * * *' },
      (s) => s.connectedRegistry.garbageCollection,
      { enabled: true, schedule: '0 5 * * *' }
    ],
    ['audit-log', { 'audit-log': 'enabled' }, (s) => s.connectedRegistry.auditLogStatus, 'Enabled'],
    [
      'pull-secret-namespaces',
      { 'client-token': 'edge-pods', 'pull-secret-namespaces': 'apps, web' },
      (s) => s.kube,
      { pullSecretName: 'connected-registry-pull', pullSecretNamespaces: ['apps', 'web'] }
    ],
    ['rotate-only', { 'rotate-only': 'sync-token' }, (s) => s.behaviour.rotateOnly, 'sync-token'],
    // target
    [
      'subscription-id',
      { 'subscription-id': '5A0E4A0E-53B6-4A4F-9A1F-3C0E3E3C1A11' },
      (s) => s.target.subscriptionId,
      '5A0E4A0E-53B6-4A4F-9A1F-3C0E3E3C1A11'
    ],
    [
      'cluster-resource-group',
      { 'cluster-resource-group': 'arc-rg' },
      (s) => s.target.clusterResourceGroup,
      'arc-rg'
    ],
    [
      'extension-name',
      { 'extension-name': 'edge.registry-ext' },
      (s) => s.target.extensionName,
      'edge.registry-ext'
    ],
    [
      'extension-name default, lower-cased',
      { 'connected-registry': 'EdgeRegistry01' },
      (s) => s.target.extensionName,
      'edgeregistry01'
    ],
    // connected registry
    [
      'mode (case-insensitive)',
      { mode: 'readwrite' },
      (s) => s.connectedRegistry.mode,
      'ReadWrite'
    ],
    [
      'repositories (newlines)',
      { repositories: 'a\nb/c\nsamples/*' },
      (s) => s.connectedRegistry.repositories,
      ['a', 'b/c', 'samples/*']
    ],
    ['repositories (absent)', { repositories: '' }, (s) => s.connectedRegistry.repositories, []],
    ['parent', { parent: 'parentregistry' }, (s) => s.connectedRegistry.parent, 'parentregistry'],
    [
      'parent-protocol (case-insensitive)',
      { parent: 'parentregistry', 'parent-protocol': 'HTTP' },
      (s) => s.connectedRegistry.parentProtocol,
      'http'
    ],
    [
      'parent-gateway-endpoint',
      { parent: 'parentregistry', 'parent-gateway-endpoint': '10.0.0.20:443' },
      (s) => s.connectedRegistry.parentGatewayEndpoint,
      '10.0.0.20:443'
    ],
    [
      'sync-schedule',
      { 'sync-schedule': '0  12 * * *', 'sync-window': 'PT4H' },
      (s) => s.connectedRegistry.syncSchedule,
      '0 12 * * *'
    ],
    ['sync-window', { 'sync-window': 'pt4h' }, (s) => s.connectedRegistry.syncWindow, 'PT4H'],
    ['message-ttl', { 'message-ttl': 'P7D' }, (s) => s.connectedRegistry.messageTtl, 'P7D'],
    [
      'log-level (case-insensitive)',
      { 'log-level': 'debug' },
      (s) => s.connectedRegistry.logLevel,
      'Debug'
    ],
    [
      'client-tokens',
      { 'client-tokens': 'reader-token,\nwriter-token' },
      (s) => s.connectedRegistry.clientTokens,
      ['reader-token', 'writer-token']
    ],
    [
      'notifications',
      { notifications: 'hello-world:*:*, app:1.0:push' },
      (s) => s.connectedRegistry.notifications,
      ['hello-world:*:*', 'app:1.0:push']
    ],
    // extension
    [
      'service-cluster-ip (IPv6)',
      { 'service-cluster-ip': 'fd00::10' },
      (s) => s.extension.serviceClusterIp,
      'fd00::10'
    ],
    [
      'tls existing-cert-manager',
      { tls: 'Existing-Cert-Manager' },
      (s) => s.extension.tls,
      { strategy: 'existing-cert-manager' }
    ],
    [
      'tls kubernetes-secret',
      { tls: 'kubernetes-secret', 'tls-secret': 'registry-tls' },
      (s) => s.extension.tls,
      { strategy: 'kubernetes-secret', secretName: 'registry-tls' }
    ],
    [
      'tls none turns trust distribution off',
      { tls: 'NONE' },
      (s) => [s.extension.tls, s.extension.trustDistribution],
      [{ strategy: 'none' }, false]
    ],
    [
      'trust-distribution',
      { tls: 'kubernetes-secret', 'tls-secret': 'registry-tls', 'trust-distribution': 'FALSE' },
      (s) => s.extension.trustDistribution,
      false
    ],
    [
      'storage-class',
      { 'storage-class': 'managed-csi' },
      (s) => s.extension.storageClass,
      'managed-csi'
    ],
    ['storage-size', { 'storage-size': '250Gi' }, (s) => s.extension.storageSize, '250Gi'],
    [
      'extension-version',
      { 'extension-version': '0.11.0', 'auto-upgrade-minor-version': 'false' },
      (s) => [s.extension.version, s.extension.autoUpgradeMinorVersion],
      ['0.11.0', false]
    ],
    ['release-train', { 'release-train': 'Preview' }, (s) => s.extension.releaseTrain, 'Preview'],
    [
      'extension-config',
      { 'extension-config': '# tuning\nregistry.logLevel=debug\nnodeSelector.pool=edge' },
      (s) => s.extension.extraConfig,
      { 'registry.logLevel': 'debug', 'nodeSelector.pool': 'edge' }
    ],
    [
      'release-namespace',
      { 'release-namespace': 'registry' },
      (s) => s.extension.releaseNamespace,
      'registry'
    ],
    // behaviour
    ['operation (case-insensitive)', { operation: 'Plan' }, (s) => s.behaviour.operation, 'plan'],
    ['timeout', { timeout: '1h' }, (s) => s.behaviour.timeoutMs, 3_600_000],
    ['timeout (bare seconds)', { timeout: '90' }, (s) => s.behaviour.timeoutMs, 90_000],
    ['poll-interval', { 'poll-interval': '1500ms' }, (s) => s.behaviour.pollIntervalMs, 1_500],
    ['rotate', { rotate: 'TRUE' }, (s) => s.behaviour.rotate, true],
    [
      'revoke-old-password',
      { 'revoke-old-password': 'true' },
      (s) => s.behaviour.revokeOldPassword,
      true
    ],
    ['force-delete', { 'force-delete': 'True' }, (s) => s.behaviour.forceDelete, true],
    ['fail-on-changes', { 'fail-on-changes': 'true' }, (s) => s.behaviour.failOnChanges, true],
    [
      'output-connection-string',
      { 'output-connection-string': 'true' },
      (s) => s.behaviour.outputConnectionString,
      true
    ],
    // cloud
    [
      'environment AzureUSGovernment',
      { environment: 'azureusgovernment' },
      (s) => s.cloud,
      {
        environment: 'AzureUSGovernment',
        armEndpoint: 'https://management.usgovcloudapi.net',
        authorityHost: 'https://login.microsoftonline.us',
        customEndpoints: false,
        registryDomain: 'azurecr.us',
        audience: 'api://AzureADTokenExchangeUSGov'
      }
    ],
    [
      'environment AzureChinaCloud',
      { environment: 'AZURECHINACLOUD' },
      (s) => s.cloud,
      {
        environment: 'AzureChinaCloud',
        armEndpoint: 'https://management.chinacloudapi.cn',
        authorityHost: 'https://login.chinacloudapi.cn',
        customEndpoints: false,
        registryDomain: 'azurecr.cn',
        audience: 'api://AzureADTokenExchangeChina'
      }
    ],
    [
      'arm-endpoint and authority-host',
      { 'arm-endpoint': 'https://127.0.0.1:4443', 'authority-host': 'https://127.0.0.1:4444' },
      (s) => [s.cloud.armEndpoint, s.cloud.authorityHost, s.cloud.customEndpoints],
      ['https://127.0.0.1:4443', 'https://127.0.0.1:4444', true]
    ],
    [
      'arm-endpoint alone',
      { 'arm-endpoint': 'https://arm.example.com' },
      (s) => [s.cloud.armEndpoint, s.cloud.authorityHost, s.cloud.customEndpoints],
      ['https://arm.example.com', 'https://login.microsoftonline.com', true]
    ],
    [
      'client-id and tenant-id',
      {
        'client-id': '5a0e4a0e-53b6-4a4f-9a1f-3c0e3e3c1a11',
        'tenant-id': '72f988bf-86f1-41af-91ab-2d7cd011db47'
      },
      (s) => [s.cloud.clientId, s.cloud.tenantId],
      ['5a0e4a0e-53b6-4a4f-9a1f-3c0e3e3c1a11', '72f988bf-86f1-41af-91ab-2d7cd011db47']
    ],
    ['audience', { audience: 'api://custom' }, (s) => s.cloud.audience, 'api://custom']
  ])('%s', (_name, inputs, select, expected) => {
    expect(select(settingsOf(inputs))).toEqual(expected)
  })

  it('takes the subscription from AZURE_SUBSCRIPTION_ID when the input is empty', () => {
    const { settings } = parse(
      { 'subscription-id': '' },
      { AZURE_SUBSCRIPTION_ID: ' 5a0e4a0e-53b6-4a4f-9a1f-3c0e3e3c1a11 ' }
    )
    expect(settings.target.subscriptionId).toBe('5a0e4a0e-53b6-4a4f-9a1f-3c0e3e3c1a11')
  })

  it('prefers the input over AZURE_SUBSCRIPTION_ID', () => {
    const { settings } = parse(
      {},
      { AZURE_SUBSCRIPTION_ID: '5a0e4a0e-53b6-4a4f-9a1f-3c0e3e3c1a11' }
    )
    expect(settings.target.subscriptionId).toBe(VALID_BASE_INPUTS['subscription-id'])
  })
})

describe('byoc', () => {
  let valid: TestCertificate
  let expiring: TestCertificate
  let expired: TestCertificate
  beforeAll(async () => {
    ;[valid, expiring, expired] = await Promise.all([
      validCertificate(SERVICE_IP),
      expiringCertificate(SERVICE_IP, 10),
      expiredCertificate(SERVICE_IP)
    ])
  })

  it('parses the certificate and a base64 key into the TLS settings', () => {
    const { settings, warnings } = parse({
      tls: 'BYOC',
      'tls-cert': valid.certPem,
      'tls-key': base64(valid.keyPem)
    })
    expect(settings.extension.tls).toMatchObject({
      strategy: 'byoc',
      certificateFingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
      privateKeyPem: expect.stringContaining('PRIVATE KEY')
    })
    expect(warnings).toEqual([])
  })

  it('warns about a certificate that expires soon', () => {
    const { warnings } = parse({
      tls: 'byoc',
      'tls-cert': expiring.certPem,
      'tls-key': expiring.keyPem
    })
    expect(warnings).toEqual([
      expect.stringContaining("The certificate in 'tls-cert' expires in 10 day(s)")
    ])
  })

  it('lets a teardown through with an expired certificate and no service IP', () => {
    const { settings } = parse({
      operation: 'teardown',
      'service-cluster-ip': '',
      tls: 'byoc',
      'tls-cert': expired.certPem,
      'tls-key': expired.keyPem
    })
    expect(settings.extension.serviceClusterIp).toBe('')
    expect(settings.extension.tls.strategy).toBe('byoc')
  })

  it('refuses the expired certificate for a deploy', () => {
    expect(() =>
      parse({ tls: 'byoc', 'tls-cert': expired.certPem, 'tls-key': expired.keyPem })
    ).toThrow(/^Input 'tls-cert' has expired/)
  })
})

describe('warnings', () => {
  it.each<[string, Record<string, string>, string]>([
    [
      'tls none, loudly',
      { tls: 'none' },
      "INSECURE: 'tls: none' serves the connected registry over plain HTTP"
    ],
    [
      'trust-distribution false with cert-manager',
      { 'trust-distribution': 'false' },
      "Input 'trust-distribution' is false with tls 'cert-manager'"
    ],
    [
      'a schedule without a sync window',
      { 'sync-schedule': '0 12 * * *' },
      "Input 'sync-schedule' is '0 12 * * *' but 'sync-window' is not set"
    ],
    [
      'parent-protocol http without a parent',
      { 'parent-protocol': 'http' },
      "Input 'parent-protocol' is ignored without 'parent'"
    ],
    [
      'parent-gateway-endpoint without a parent',
      { 'parent-gateway-endpoint': '10.0.0.20' },
      "Input 'parent-gateway-endpoint' is ignored without 'parent'"
    ],
    [
      'an upper-case connected registry name',
      { 'connected-registry': 'EdgeRegistry01' },
      "Connected registry name 'EdgeRegistry01' has upper-case letters"
    ]
  ])('%s', (_name, inputs, expected) => {
    const { warnings } = parse(inputs)
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain(expected)
  })

  it('does not warn about a continuous schedule without a window, or a window with a schedule', () => {
    expect(parse({ 'sync-schedule': '* * * * *' }).warnings).toEqual([])
    expect(parse({ 'sync-schedule': '0 12 * * *', 'sync-window': 'PT3H' }).warnings).toEqual([])
  })
})

describe('operations', () => {
  it('does not need a service IP for teardown', () => {
    expect(
      settingsOf({ operation: 'teardown', 'service-cluster-ip': '' }).extension.serviceClusterIp
    ).toBe('')
  })

  it('does not need repositories at parse time (the planner asks for them on create)', () => {
    expect(settingsOf({ repositories: '' }).connectedRegistry.repositories).toEqual([])
  })
})

describe('several invalid inputs', () => {
  it('are reported together, one line per input, in input order', () => {
    let error: unknown
    try {
      parse({ mode: 'Mirror', timeout: 'soon', 'service-cluster-ip': '300.1.1.1', rotate: 'maybe' })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(InputErrors)
    const { errors, message } = error as InputErrors
    expect(errors.map((e) => e.input)).toEqual(['mode', 'service-cluster-ip', 'timeout', 'rotate'])
    expect(errors.every((e) => e instanceof InputError)).toBe(true)
    expect(message.split('\n')).toEqual([
      '4 inputs are invalid:',
      "- Input 'mode' has an invalid value 'Mirror': expected one of ReadOnly, ReadWrite.",
      "- Input 'service-cluster-ip' has an invalid value '300.1.1.1': expected an IPv4 or IPv6 address, such as 10.0.0.10 or fd00::10, written plainly (no leading zeros, zone index, prefix length or brackets).",
      "- Input 'timeout' has an invalid value 'soon': expected a duration between 10s and 6h: a whole number with unit ms, s, m or h, such as 30s, 15m or 1h (a bare number is seconds).",
      "- Input 'rotate' has an invalid value 'maybe': expected true or false."
    ])
  })

  it('do not cascade: a bad timeout does not also fail the poll-interval check', () => {
    let error: unknown
    try {
      parse({ timeout: '1s', 'poll-interval': '5s' })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe('timeout')
  })
})

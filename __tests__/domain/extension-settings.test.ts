import { X509Certificate } from 'node:crypto'
import { beforeAll, describe, expect, it } from '@jest/globals'
import { validCertificate } from '../../__fixtures__/certificates.js'
import {
  buildConfigurationSettings,
  buildProtectedSettings,
  managedSettingInstead,
  protectedSettingsFingerprint
} from '../../src/domain/extension-settings.js'
import { parseByocMaterial } from '../../src/inputs/tls-material.js'
import type { ExtensionSettings, TlsSettings } from '../../src/settings.js'

const IP = '10.0.0.10'
const CONNECTION_STRING =
  'ConnectedRegistryName=edge01;SyncTokenName=edge01;SyncTokenPassword=pw;ParentGatewayEndpoint=contosoacr.eastus.data.azurecr.io;ParentEndpointProtocol=https'

let byoc: Extract<TlsSettings, { strategy: 'byoc' }>
let certificatePem: string
let keyPem: string

beforeAll(async () => {
  const certificate = await validCertificate(IP)
  ;({ certPem: certificatePem, keyPem } = certificate)
  byoc = parseByocMaterial(
    { certificate: certificatePem, privateKey: keyPem, caCertificate: '' },
    { serviceClusterIp: IP, now: new Date(), checkTime: true }
  ).tls
})

const extension = (
  tls: TlsSettings,
  extra: Partial<ExtensionSettings> = {}
): ExtensionSettings => ({
  serviceClusterIp: IP,
  tls,
  trustDistribution: true,
  autoUpgradeMinorVersion: true,
  releaseTrain: 'Stable',
  extraConfig: {},
  releaseNamespace: 'connected-registry',
  ...extra
})

const fromBase64 = (value: string): string => Buffer.from(value, 'base64').toString('utf8')

describe('buildConfigurationSettings per TLS strategy', () => {
  it.each<[string, () => TlsSettings, Record<string, string>]>([
    [
      'cert-manager',
      () => ({ strategy: 'cert-manager' }),
      {
        'cert-manager.enabled': 'true',
        'cert-manager.install': 'true',
        httpEnabled: 'false',
        'trustDistribution.enabled': 'true'
      }
    ],
    [
      'existing-cert-manager',
      () => ({ strategy: 'existing-cert-manager' }),
      {
        'cert-manager.enabled': 'true',
        'cert-manager.install': 'false',
        httpEnabled: 'false',
        'trustDistribution.enabled': 'true'
      }
    ],
    [
      'byoc',
      () => byoc,
      {
        'cert-manager.enabled': 'false',
        'cert-manager.install': 'false',
        httpEnabled: 'false',
        'trustDistribution.enabled': 'true'
      }
    ],
    [
      'kubernetes-secret',
      () => ({ strategy: 'kubernetes-secret', secretName: 'registry-tls' }),
      {
        'cert-manager.enabled': 'false',
        'cert-manager.install': 'false',
        httpEnabled: 'false',
        'trustDistribution.enabled': 'true'
      }
    ],
    [
      'none',
      () => ({ strategy: 'none' }),
      {
        'cert-manager.enabled': 'false',
        'cert-manager.install': 'false',
        httpEnabled: 'true',
        'trustDistribution.enabled': 'false'
      }
    ]
  ])('%s', (_strategy, tls, expected) => {
    expect(buildConfigurationSettings(extension(tls()))).toEqual({
      'service.clusterIP': IP,
      ...expected
    })
  })

  it('never puts secrets in the configuration settings', () => {
    const settings = JSON.stringify(buildConfigurationSettings(extension(byoc)))
    expect(settings).not.toContain('PRIVATE KEY')
    expect(settings).not.toContain(Buffer.from(keyPem).toString('base64').slice(0, 40))
  })

  it('sends trust distribution off when asked, storage when given, then extra settings', () => {
    expect(
      buildConfigurationSettings(
        extension(
          { strategy: 'kubernetes-secret', secretName: 'registry-tls' },
          {
            trustDistribution: false,
            storageClass: 'managed-csi',
            storageSize: '250Gi',
            extraConfig: { 'registry.logLevel': 'debug' }
          }
        )
      )
    ).toEqual({
      'service.clusterIP': IP,
      'cert-manager.enabled': 'false',
      'cert-manager.install': 'false',
      httpEnabled: 'false',
      'trustDistribution.enabled': 'false',
      'pvc.storageClassName': 'managed-csi',
      'pvc.storageRequest': '250Gi',
      'registry.logLevel': 'debug'
    })
  })

  it('refuses to build without a service IP', () => {
    expect(() =>
      buildConfigurationSettings(extension({ strategy: 'cert-manager' }, { serviceClusterIp: '' }))
    ).toThrow('without a service cluster IP')
  })
})

describe('buildProtectedSettings per TLS strategy', () => {
  it.each<[string, () => TlsSettings]>([
    ['cert-manager', () => ({ strategy: 'cert-manager' })],
    ['existing-cert-manager', () => ({ strategy: 'existing-cert-manager' })],
    ['none', () => ({ strategy: 'none' })]
  ])('%s: only the connection string', (_strategy, tls) => {
    expect(buildProtectedSettings(tls(), CONNECTION_STRING)).toEqual({
      connectionString: CONNECTION_STRING
    })
  })

  it('kubernetes-secret: the connection string and the secret name', () => {
    expect(
      buildProtectedSettings(
        { strategy: 'kubernetes-secret', secretName: 'registry-tls' },
        CONNECTION_STRING
      )
    ).toEqual({
      connectionString: CONNECTION_STRING,
      'tls.secret': 'registry-tls'
    })
  })

  it('byoc: certificate, key and CA as base64 of PEM', () => {
    const settings = buildProtectedSettings(byoc, CONNECTION_STRING)
    expect(Object.keys(settings)).toEqual(['connectionString', 'tls.crt', 'tls.key', 'tls.cacrt'])
    expect(new X509Certificate(fromBase64(settings['tls.crt'])).raw).toEqual(
      new X509Certificate(certificatePem).raw
    )
    expect(fromBase64(settings['tls.key'])).toBe(keyPem.replace(/\r\n/g, '\n').trim() + '\n')
    // Self-signed: the CA is the certificate itself.
    expect(settings['tls.cacrt']).toBe(settings['tls.crt'])
  })

  it('refuses an empty connection string', () => {
    expect(() => buildProtectedSettings({ strategy: 'cert-manager' }, '')).toThrow(
      'without a connection string'
    )
  })
})

describe('protectedSettingsFingerprint', () => {
  it.each<[string, () => TlsSettings, RegExp]>([
    // The same content (the connection string alone), so the same fingerprint.
    ['cert-manager', () => ({ strategy: 'cert-manager' }), /^connection-string$/],
    ['existing-cert-manager', () => ({ strategy: 'existing-cert-manager' }), /^connection-string$/],
    ['none', () => ({ strategy: 'none' }), /^connection-string$/],
    [
      'kubernetes-secret',
      () => ({ strategy: 'kubernetes-secret', secretName: 'registry-tls' }),
      /^kubernetes-secret:registry-tls$/
    ],
    ['byoc', () => byoc, /^byoc:cert=[0-9a-f]{64}:ca=[0-9a-f]{64}:chain=[0-9a-f]{16}$/]
  ])('%s', (_strategy, tls, pattern) => {
    expect(protectedSettingsFingerprint(tls())).toMatch(pattern)
  })

  it('identifies byoc material without revealing the key', () => {
    const fingerprint = protectedSettingsFingerprint(byoc)
    expect(fingerprint).toContain(byoc.certificateFingerprint)
    expect(fingerprint).not.toContain(byoc.privateKeyPem.slice(30, 60))
  })

  it('changes with the certificate', async () => {
    const other = await validCertificate(IP)
    const otherTls = parseByocMaterial(
      { certificate: other.certPem, privateKey: other.keyPem, caCertificate: '' },
      { serviceClusterIp: IP, now: new Date(), checkTime: true }
    ).tls
    expect(protectedSettingsFingerprint(otherTls)).not.toBe(protectedSettingsFingerprint(byoc))
  })
})

describe('managedSettingInstead', () => {
  it.each([
    ['service.clusterIP', "use input 'service-cluster-ip' instead"],
    ['SERVICE.CLUSTERIP', "use input 'service-cluster-ip' instead"],
    ['cert-manager.enabled', "use input 'tls' instead"],
    ['trustDistribution.enabled', "use input 'trust-distribution' instead"],
    ['httpEnabled', "use input 'tls' with the value none instead"],
    ['pvc.storageClassName', "use input 'storage-class' instead"],
    ['pvc.storageRequest', "use input 'storage-size' instead"],
    ['pvc.accessMode', "use inputs 'storage-class' and 'storage-size' instead"],
    [
      'connectionString',
      'remove it: the action builds the connection string and sends it protected'
    ],
    [
      'tls.crt',
      "use inputs 'tls-cert', 'tls-key', 'tls-ca-cert' or 'tls-secret' instead (sent protected)"
    ],
    [
      'connectedRegistryAction.passwordSlot',
      'remove it: the action records its own state under this prefix'
    ]
  ])('%s → %s', (key, instead) => {
    expect(managedSettingInstead(key)).toBe(instead)
  })

  it.each(['registry.logLevel', 'trustDistribution.useNodeSelector', 'service.type', 'tlsMode'])(
    '%s is free to set',
    (key) => {
      expect(managedSettingInstead(key)).toBeUndefined()
    }
  )
})

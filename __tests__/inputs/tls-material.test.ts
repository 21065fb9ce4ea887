import { createHash, X509Certificate } from 'node:crypto'
import { beforeAll, describe, expect, it } from '@jest/globals'
import {
  base64,
  caSignedCertificate,
  expiringCertificate,
  makeCertificate,
  validCertificate,
  type TestCertificate
} from '../../__fixtures__/certificates.js'
import { InputError } from '../../src/inputs/errors.js'
import {
  certificateFingerprint,
  decodePem,
  isSelfSigned,
  parseByocMaterial
} from '../../src/inputs/tls-material.js'

const IP = '10.0.0.10'
const checks = { serviceClusterIp: IP, now: new Date(), checkTime: true }

let valid: TestCertificate
let ipv6: TestCertificate
let expiring: TestCertificate
let signed: { ca: TestCertificate; server: TestCertificate }

beforeAll(async () => {
  ;[valid, ipv6, expiring, signed] = await Promise.all([
    validCertificate(IP),
    makeCertificate({ ip: ['fd00::10', IP], dnsNames: ['registry.local'] }),
    expiringCertificate(IP, 10),
    caSignedCertificate(IP)
  ])
})

const der = (pem: string): string =>
  createHash('sha256').update(new X509Certificate(pem).raw).digest('hex')

describe('decodePem', () => {
  it.each([
    ['PEM', (pem: string) => pem],
    ['PEM with CRLF', (pem: string) => pem.replace(/\n/g, '\r\n')],
    ['base64 of PEM', (pem: string) => base64(pem)],
    ['base64 of PEM, wrapped', (pem: string) => base64(pem).replace(/(.{64})/g, '$1\n')]
  ])('reads %s', (_form, encode) => {
    const decoded = decodePem('tls-cert', encode(valid.certPem), 'a PEM certificate')
    expect(decoded).toMatch(/^-----BEGIN CERTIFICATE-----\n/)
    expect(decoded).not.toContain('\r')
    expect(der(decoded)).toBe(der(valid.certPem))
  })
})

describe('parseByocMaterial', () => {
  it.each([
    ['PEM', (pem: string) => pem],
    ['base64 of PEM', base64]
  ])(
    'accepts a self-signed certificate and key as %s, the CA defaulting to the certificate',
    (_form, encode) => {
      const { tls, warnings } = parseByocMaterial(
        { certificate: encode(valid.certPem), privateKey: encode(valid.keyPem), caCertificate: '' },
        checks
      )
      expect(warnings).toEqual([])
      expect(tls.strategy).toBe('byoc')
      expect(tls.certificateFingerprint).toBe(der(valid.certPem))
      expect(tls.caCertificateFingerprint).toBe(der(valid.certPem))
      expect(tls.caCertificatePem).toBe(tls.certificatePem)
      expect(tls.privateKeyPem).toMatch(
        /^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/
      )
      expect(tls.notAfter).toEqual(new Date(new X509Certificate(valid.certPem).validTo))
    }
  )

  it('checks an IPv6 service IP against the SAN', () => {
    const material = { certificate: ipv6.certPem, privateKey: ipv6.keyPem, caCertificate: '' }
    expect(() =>
      parseByocMaterial(material, { ...checks, serviceClusterIp: 'fd00:0:0::10' })
    ).not.toThrow()
    expect(() => parseByocMaterial(material, { ...checks, serviceClusterIp: 'fd00::11' })).toThrow(
      InputError
    )
  })

  it('warns when the certificate expires within 30 days', () => {
    const { warnings } = parseByocMaterial(
      { certificate: expiring.certPem, privateKey: expiring.keyPem, caCertificate: '' },
      checks
    )
    expect(warnings).toEqual([
      expect.stringMatching(
        /^The certificate in 'tls-cert' expires in 10 day\(s\), on \d{4}-\d\d-\d\d: renew it/
      )
    ])
  })

  it('accepts a CA-signed certificate with its CA', () => {
    const { tls } = parseByocMaterial(
      {
        certificate: signed.server.certPem,
        privateKey: signed.server.keyPem,
        caCertificate: base64(signed.ca.certPem)
      },
      checks
    )
    expect(tls.certificateFingerprint).toBe(der(signed.server.certPem))
    expect(tls.caCertificateFingerprint).toBe(der(signed.ca.certPem))
    expect(isSelfSigned(new X509Certificate(signed.server.certPem))).toBe(false)
  })

  it('accepts a chain in tls-cert whose intermediate issued the leaf', () => {
    const chain = signed.server.certPem + signed.ca.certPem
    const { tls } = parseByocMaterial(
      { certificate: chain, privateKey: signed.server.keyPem, caCertificate: signed.ca.certPem },
      checks
    )
    expect(tls.certificatePem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2)
  })

  it('skips the time and SAN checks when told to (teardown without a service IP)', async () => {
    const expired = await makeCertificate({
      ip: '10.9.9.9',
      notBefore: new Date('2020-01-01'),
      notAfter: new Date('2021-01-01')
    })
    expect(() =>
      parseByocMaterial(
        { certificate: expired.certPem, privateKey: expired.keyPem, caCertificate: '' },
        { serviceClusterIp: '', now: new Date(), checkTime: false }
      )
    ).not.toThrow()
  })

  it('judges validity at the given time', () => {
    const material = { certificate: valid.certPem, privateKey: valid.keyPem, caCertificate: '' }
    const inTwoYears = new Date(Date.now() + 2 * 365 * 86_400_000)
    expect(() => parseByocMaterial(material, { ...checks, now: inTwoYears })).toThrow(
      /^Input 'tls-cert' has expired/
    )
  })

  it('fingerprints the DER certificate as lower-case hex', () => {
    expect(certificateFingerprint(new X509Certificate(valid.certPem))).toMatch(/^[0-9a-f]{64}$/)
  })
})

// Test certificates, generated at test time so no private key is ever committed.
// EC P-256 keys: generating one takes milliseconds, unlike RSA.

import { generate } from 'selfsigned'

export interface TestCertificate {
  certPem: string
  keyPem: string
}

export interface CertificateOptions {
  /** IP subject alternative name(s) the certificate covers. */
  ip?: string | string[]
  /** DNS subject alternative names. */
  dnsNames?: string[]
  notBefore?: Date
  notAfter?: Date
  /** Signs with this CA instead of self-signing. */
  ca?: TestCertificate
  /** Makes a CA certificate (basicConstraints cA, keyCertSign). */
  isCa?: boolean
  commonName?: string
  /** Encrypts the private key (PKCS#8, AES-256-CBC) with this passphrase. */
  passphrase?: string
}

const DAY_MS = 86_400_000
export const daysFromNow = (days: number): Date => new Date(Date.now() + days * DAY_MS)

export async function makeCertificate(options: CertificateOptions = {}): Promise<TestCertificate> {
  const ips = options.ip === undefined ? [] : [options.ip].flat()
  const altNames = [
    ...ips.map((ip) => ({ type: 7 as const, ip })),
    ...(options.dnsNames ?? []).map((value) => ({ type: 2 as const, value }))
  ]
  const pems = await generate(
    [{ name: 'commonName', value: options.commonName ?? ips[0] ?? 'connected-registry' }],
    {
      keyType: 'ec',
      algorithm: 'sha256',
      notBeforeDate: options.notBefore ?? daysFromNow(-1),
      notAfterDate: options.notAfter ?? daysFromNow(365),
      ...(options.ca ? { ca: { cert: options.ca.certPem, key: options.ca.keyPem } } : {}),
      ...(options.passphrase ? { passphrase: options.passphrase } : {}),
      extensions: options.isCa
        ? [
            { name: 'basicConstraints', cA: true, critical: true },
            { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true }
          ]
        : [
            { name: 'basicConstraints', cA: false },
            { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
            { name: 'extKeyUsage', serverAuth: true },
            ...(altNames.length > 0 ? [{ name: 'subjectAltName' as const, altNames }] : [])
          ]
    }
  )
  return { certPem: pems.cert, keyPem: pems.private }
}

/** A valid self-signed certificate for the IP, with its key. */
export const validCertificate = (ip: string): Promise<TestCertificate> => makeCertificate({ ip })

/** Expired yesterday. */
export const expiredCertificate = (ip: string): Promise<TestCertificate> =>
  makeCertificate({ ip, notBefore: daysFromNow(-60), notAfter: daysFromNow(-1) })

/** Valid, but expires in `days` days (default 10): parsing warns. */
export const expiringCertificate = (ip: string, days = 10): Promise<TestCertificate> =>
  makeCertificate({ ip, notAfter: new Date(Date.now() + days * DAY_MS + 3_600_000) })

/** Valid only from tomorrow. */
export const notYetValidCertificate = (ip: string): Promise<TestCertificate> =>
  makeCertificate({ ip, notBefore: daysFromNow(1), notAfter: daysFromNow(365) })

/** A certificate whose SAN names `otherIp`, not the service IP. */
export const certificateForOtherIp = (otherIp: string): Promise<TestCertificate> =>
  makeCertificate({ ip: otherIp })

/** The certificate of one key pair with the private key of another. */
export async function mismatchedKey(ip: string): Promise<TestCertificate> {
  const [certificate, other] = await Promise.all([makeCertificate({ ip }), makeCertificate({ ip })])
  return { certPem: certificate.certPem, keyPem: other.keyPem }
}

/** A CA and a server certificate it signed (not self-signed: tls-ca-cert is required). */
export async function caSignedCertificate(
  ip: string
): Promise<{ ca: TestCertificate; server: TestCertificate }> {
  const ca = await makeCertificate({ isCa: true, commonName: 'Test Root CA' })
  const server = await makeCertificate({ ip, ca })
  return { ca, server }
}

/** PEM → base64 of PEM, the other form the TLS inputs accept. */
export const base64 = (pem: string): string => Buffer.from(pem, 'utf8').toString('base64')

// Bring-your-own-certificate material: PEM (or base64 of PEM) in, checked certificate and key
// out. Every check that a TLS handshake or the chart would fail later is made here, before any
// request. Messages may describe a certificate (it is public) but never show key text.

import { createHash, createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto'
import type { Pem, TlsSettings } from '../settings.js'
import { inputErrors } from './errors.js'

type ByocSettings = Extract<TlsSettings, { strategy: 'byoc' }>

/** Warn this long before a certificate expires. */
export const EXPIRY_WARNING_DAYS = 30
const DAY_MS = 86_400_000

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g

/**
 * The PEM text of an input given as PEM or as base64 of PEM, with LF line endings.
 * Never echoes the value: the input may be a private key.
 */
export function decodePem(input: string, value: string, expected: string): Pem {
  const text = value.replace(/\r\n?/g, '\n').trim()
  if (text.includes('-----BEGIN ')) return `${text}\n`
  const compact = text.replace(/\s+/g, '')
  const allowed = `expected ${expected} as PEM text (-----BEGIN …) or as base64 of PEM`
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw inputErrors.invalid(input, 'is neither PEM nor base64', allowed)
  }
  const decoded = Buffer.from(compact, 'base64').toString('utf8').replace(/\r\n?/g, '\n').trim()
  if (!decoded.includes('-----BEGIN ')) {
    throw inputErrors.invalid(input, 'is base64 but does not decode to PEM', allowed)
  }
  return `${decoded}\n`
}

function pemBlocks(pem: Pem): { label: string; text: string }[] {
  return [...pem.matchAll(PEM_BLOCK)].map((match) => ({ label: match[1], text: match[0] }))
}

/** Every certificate in the PEM text, in order (leaf first for a chain). */
export function parseCertificates(input: string, pem: Pem, expected: string): X509Certificate[] {
  const blocks = pemBlocks(pem)
  if (blocks.some((block) => block.label.endsWith('PRIVATE KEY'))) {
    // Said without showing anything: a key pasted into a certificate input is still a secret.
    throw inputErrors.invalid(
      input,
      'contains a private key',
      "expected only certificates here; give the key in 'tls-key' and store it as a secret"
    )
  }
  const certificates = blocks.filter((block) => block.label === 'CERTIFICATE')
  if (certificates.length === 0) {
    throw inputErrors.invalid(input, 'contains no PEM certificate', `expected ${expected}`)
  }
  return certificates.map((block, index) => {
    try {
      return new X509Certificate(block.text)
    } catch {
      throw inputErrors.invalid(
        input,
        `has a certificate that does not parse (certificate ${index + 1})`,
        `expected ${expected}, such as the output of openssl req -x509`
      )
    }
  })
}

/** The private key in the PEM text; refuses encrypted keys (the chart cannot decrypt them). */
export function parsePrivateKey(input: string, pem: Pem): { pem: Pem; key: KeyObject } {
  const allowed = 'expected an unencrypted PEM private key (PKCS#8, PKCS#1 or SEC1)'
  const blocks = pemBlocks(pem).filter((block) => block.label.endsWith('PRIVATE KEY'))
  if (blocks.length !== 1) {
    throw inputErrors.invalid(
      input,
      blocks.length === 0 ? 'contains no PEM private key' : 'contains more than one private key',
      allowed
    )
  }
  const [block] = blocks
  if (block.label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(block.text)) {
    throw inputErrors.invalid(input, 'is an encrypted private key', allowed)
  }
  try {
    return { pem: `${block.text}\n`, key: createPrivateKey(block.text) }
  } catch {
    throw inputErrors.invalid(input, 'is a private key that does not parse', allowed)
  }
}

/** SHA-256 of the DER encoding, lower-case hex without separators. */
export function certificateFingerprint(certificate: X509Certificate): string {
  return createHash('sha256').update(certificate.raw).digest('hex')
}

/** Signed with its own key. Not X509Certificate.checkIssued(itself): OpenSSL also requires the
 * keyCertSign usage there, which self-signed server certificates usually lack. */
export function isSelfSigned(certificate: X509Certificate): boolean {
  return certificate.issuer === certificate.subject && certificate.verify(certificate.publicKey)
}

const issuedBy = (certificate: X509Certificate, issuer: X509Certificate): boolean =>
  certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey)

const day = (date: Date): string => date.toISOString().slice(0, 10)

/**
 * The certificate must be valid now. Returns a warning when it expires within
 * EXPIRY_WARNING_DAYS, so the renewal happens before the registry stops serving TLS.
 */
export function checkValidity(input: string, certificate: X509Certificate, now: Date): string[] {
  const notBefore = new Date(certificate.validFrom)
  const notAfter = new Date(certificate.validTo)
  if (now < notBefore) {
    throw inputErrors.invalid(
      input,
      `is not valid yet (valid from ${notBefore.toISOString()})`,
      'expected a certificate that is valid now; check the clock of the machine that issued it'
    )
  }
  if (now > notAfter) {
    throw inputErrors.invalid(
      input,
      `has expired (on ${notAfter.toISOString()})`,
      'expected a certificate that is valid now; renew it'
    )
  }
  const daysLeft = Math.floor((notAfter.getTime() - now.getTime()) / DAY_MS)
  return daysLeft < EXPIRY_WARNING_DAYS
    ? [
        `The certificate in '${input}' expires in ${daysLeft} day(s), on ${day(notAfter)}: renew it and re-run the action before then.`
      ]
    : []
}

/** Clients reach the registry at service-cluster-ip, so the certificate must name that IP. */
export function checkCoversIp(input: string, certificate: X509Certificate, ip: string): void {
  if (certificate.checkIP(ip) === undefined) {
    throw inputErrors.invalid(
      input,
      `does not cover the service IP ${ip} (subject alternative names: ${certificate.subjectAltName ?? 'none'})`,
      `expected a certificate with the subject alternative name IP:${ip} ('service-cluster-ip')`
    )
  }
}

export interface ByocInputs {
  certificate: string
  privateKey: string
  /** '' when not given. */
  caCertificate: string
}

export interface ByocChecks {
  /** '' when not known (teardown): the SAN check is skipped. */
  serviceClusterIp: string
  now: Date
  /** False for teardown: an expired certificate must not block removing what used it. */
  checkTime: boolean
}

const CERTIFICATE = 'a PEM certificate'

/** Parses and checks tls-cert, tls-key and tls-ca-cert together. */
export function parseByocMaterial(
  inputs: ByocInputs,
  checks: ByocChecks
): { tls: ByocSettings; warnings: string[] } {
  const certificatePem = decodePem('tls-cert', inputs.certificate, 'the certificate')
  const chain = parseCertificates('tls-cert', certificatePem, CERTIFICATE)
  const [leaf] = chain
  const key = parsePrivateKey('tls-key', decodePem('tls-key', inputs.privateKey, 'the private key'))
  if (!leaf.checkPrivateKey(key.key)) {
    throw inputErrors.invalid(
      'tls-key',
      "does not match the certificate in 'tls-cert'",
      'expected the private key the certificate was issued for'
    )
  }
  const warnings = checks.checkTime ? checkValidity('tls-cert', leaf, checks.now) : []
  if (checks.serviceClusterIp) checkCoversIp('tls-cert', leaf, checks.serviceClusterIp)

  let caChain: X509Certificate[]
  if (inputs.caCertificate) {
    const caPem = decodePem('tls-ca-cert', inputs.caCertificate, 'the CA certificate')
    caChain = parseCertificates('tls-ca-cert', caPem, 'a PEM CA certificate')
    // The issuer may be the given CA or an intermediate sent along in tls-cert.
    if (![...caChain, ...chain.slice(1)].some((issuer) => issuedBy(leaf, issuer))) {
      throw inputErrors.invalid(
        'tls-ca-cert',
        `did not issue the certificate in 'tls-cert' (issuer: ${leaf.issuer.replace(/\n/g, ', ')})`,
        "expected the CA certificate that signed 'tls-cert' (or the intermediate, with 'tls-cert' holding the chain)"
      )
    }
  } else if (isSelfSigned(leaf)) {
    caChain = [leaf]
  } else {
    throw inputErrors.required(
      'tls-ca-cert',
      "expected the PEM CA certificate that signed 'tls-cert'; it may be omitted only for a self-signed certificate",
      "because 'tls-cert' is not self-signed"
    )
  }

  return {
    tls: {
      strategy: 'byoc',
      certificatePem: chain.map((certificate) => certificate.toString()).join(''),
      privateKeyPem: key.pem,
      caCertificatePem: caChain.map((certificate) => certificate.toString()).join(''),
      certificateFingerprint: certificateFingerprint(leaf),
      caCertificateFingerprint: certificateFingerprint(caChain[0]),
      notAfter: new Date(leaf.validTo)
    },
    warnings
  }
}

// Minimal ES256 JWTs (header.payload.signature, base64url) signed with node:crypto.
import { generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'

export interface SigningKey {
  kid: string
  privateKey: KeyObject
  publicKey: KeyObject
}

export function createSigningKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return { kid, privateKey, publicKey }
}

export function jwk(key: SigningKey): Record<string, unknown> {
  return { ...key.publicKey.export({ format: 'jwk' }), kid: key.kid, use: 'sig', alg: 'ES256' }
}

function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url')
}

export function signJwt(key: SigningKey, payload: Record<string, unknown>): string {
  const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'ES256', kid: key.kid }))
  const body = b64url(JSON.stringify(payload))
  const signature = sign('sha256', Buffer.from(`${header}.${body}`), {
    key: key.privateKey,
    dsaEncoding: 'ieee-p1363'
  })
  return `${header}.${body}.${b64url(signature)}`
}

export interface DecodedJwt {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  signingInput: string
  signature: Buffer
}

/** Parses without verifying; undefined when it is not JWT-shaped. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.')
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p))) return undefined
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as unknown
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as unknown
    if (
      typeof header !== 'object' ||
      header === null ||
      typeof payload !== 'object' ||
      payload === null
    ) {
      return undefined
    }
    return {
      header: header as Record<string, unknown>,
      payload: payload as Record<string, unknown>,
      signingInput: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2], 'base64url')
    }
  } catch {
    return undefined
  }
}

export function verifySignature(decoded: DecodedJwt, key: SigningKey): boolean {
  if (decoded.header.alg !== 'ES256' || decoded.header.kid !== key.kid) return false
  try {
    return verify(
      'sha256',
      Buffer.from(decoded.signingInput),
      { key: key.publicKey, dsaEncoding: 'ieee-p1363' },
      decoded.signature
    )
  } catch {
    return false
  }
}

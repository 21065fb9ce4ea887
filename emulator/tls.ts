// A throw-away CA and a server certificate it signs (SAN IP:127.0.0.1,
// DNS:localhost), generated at every start. Only the CA certificate is written
// to disk (for NODE_EXTRA_CA_CERTS); private keys stay in memory.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { generate } from 'selfsigned'

export interface TlsMaterial {
  caPem: string
  caPath: string
  certPem: string
  keyPem: string
  /** Removes the directory the CA file was written to, if this module created it. */
  cleanup(): void
}

export async function createTlsMaterial(directory?: string): Promise<TlsMaterial> {
  const notBeforeDate = new Date(Date.now() - 60_000)
  const notAfterDate = new Date(Date.now() + 7 * 86_400_000)
  // EC keys: generated in milliseconds, unlike RSA.
  const ca = await generate(
    [{ name: 'commonName', value: 'Connected Registry Emulator Local CA' }],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        {
          name: 'keyUsage',
          keyCertSign: true,
          cRLSign: true,
          digitalSignature: true,
          critical: true
        }
      ]
    }
  )
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 2, value: 'localhost' }
        ]
      }
    ]
  })
  const created = directory === undefined
  const dir = directory ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cr-emulator-'))
  fs.mkdirSync(dir, { recursive: true })
  const caPath = path.join(dir, 'emulator-ca.pem')
  fs.writeFileSync(caPath, ca.cert)
  return {
    caPem: ca.cert,
    caPath,
    certPem: server.cert,
    keyPem: server.private,
    cleanup: () => {
      if (created) fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}

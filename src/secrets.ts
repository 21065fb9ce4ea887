import type { Log } from './ports.js'
import type { TlsSettings } from './settings.js'

/** A line such as `-----BEGIN PRIVATE KEY-----` alone (not a whole PEM block that starts with one). */
const PEM_ARMOUR_LINE = /^-----(BEGIN|END) [A-Z0-9 ]+-----$/

/**
 * Every form in which a secret could show up in a log: raw, base64 (standard and URL-safe),
 * JSON-escaped, URL-encoded (component and form encoding), and each line of a multi-line value
 * (a runner masks line by line).
 */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>()
  const add = (form: string): void => {
    // Very short fragments would redact unrelated text; PEM armour lines are not secret.
    if (form.length >= 6 && !PEM_ARMOUR_LINE.test(form)) forms.add(form)
  }
  add(secret)
  const base64 = Buffer.from(secret, 'utf8').toString('base64')
  add(base64)
  add(Buffer.from(secret, 'utf8').toString('base64url'))
  add(JSON.stringify(secret).slice(1, -1))
  add(encodeURIComponent(secret))
  add(new URLSearchParams({ v: secret }).toString().slice(2))
  add(encodeURIComponent(base64))
  for (const line of secret.split(/\r?\n/)) add(line.trim())
  return [...forms]
}

/** Every form masked so far, longest first once sorted: what `redact` replaces. */
const registered = new Set<string>()
let longestFirst: string[] = []

/** Masks a secret in all its forms. Call before the value can reach any log, output or error. */
export function maskSecret(log: Log, secret: string | undefined): void {
  if (!secret) return
  let added = false
  for (const form of secretForms(secret)) {
    log.mask(form)
    if (!registered.has(form)) {
      registered.add(form)
      added = true
    }
  }
  if (added) longestFirst = [...registered].sort((a, b) => b.length - a.length)
}

/**
 * Replaces every form of every masked secret with `***`, as the runner would. The runner only
 * redacts what reaches the log; text the action writes to files (the job summary) or builds from
 * an Azure error message goes through this too, so a secret echoed back by a service (a request
 * body quoted in an error, a connection string inside an exception) is never written out.
 */
export function redact(text: string): string {
  let result = text
  for (const form of longestFirst) {
    if (result.includes(form)) result = result.split(form).join('***')
  }
  return result
}

/**
 * Masks the TLS material of the settings. The private key is the secret; the certificate and
 * CA certificate are public in principle, but they are masked too: they identify the registry's
 * endpoint, and a log line never needs them (the fingerprint names them instead).
 */
export function maskTlsMaterial(log: Log, tls: TlsSettings): void {
  if (tls.strategy !== 'byoc') return
  maskSecret(log, tls.privateKeyPem)
  maskSecret(log, tls.certificatePem)
  maskSecret(log, tls.caCertificatePem)
}

/** Inputs whose raw value (PEM, or base64 of PEM, as the user gave it) is masked before parsing. */
export const SECRET_INPUTS = ['tls-key', 'tls-cert', 'tls-ca-cert'] as const

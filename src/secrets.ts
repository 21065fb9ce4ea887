import type { Log } from './ports.js'

/**
 * Every form in which a secret could show up in a log: raw, base64 (standard and URL-safe),
 * JSON-escaped, URL-encoded, and each line of a multi-line value (a runner masks line by line).
 */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>()
  const add = (form: string): void => {
    // Very short fragments would redact unrelated text; PEM armour lines are not secret.
    if (form.length >= 6 && !/^-----(BEGIN|END) /.test(form)) forms.add(form)
  }
  add(secret)
  const base64 = Buffer.from(secret, 'utf8').toString('base64')
  add(base64)
  add(Buffer.from(secret, 'utf8').toString('base64url'))
  add(JSON.stringify(secret).slice(1, -1))
  add(encodeURIComponent(secret))
  add(encodeURIComponent(base64))
  for (const line of secret.split(/\r?\n/)) add(line.trim())
  return [...forms]
}

/** Masks a secret in all its forms. Call before the value can reach any log, output or error. */
export function maskSecret(log: Log, secret: string | undefined): void {
  if (!secret) return
  for (const form of secretForms(secret)) log.mask(form)
}

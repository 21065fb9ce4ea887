// Searches everything a run of the action left behind for every secret of that run, in every
// form a secret can take on its way to a log: raw, base64 and base64url (at each of the three
// byte alignments, as inside a larger encoded blob), JSON-escaped (as JavaScript and .NET write
// it, and with every character a \uXXXX escape), URL-encoded (component and form encoding),
// line by line for multi-line material, and split across lines. Beyond these exact forms, it
// also searches each artifact with its escapes decoded (JSON, percent and HTML escapes of any
// character, in any mix) and with every base64 run decoded: a secret inside base64 of any text,
// a whole request body quoted back, is found too. The only place a secret may appear is an
// `::add-mask::` command, and that command must come before any other appearance (a runner
// redacts only what it was told about beforehand).

import type { EmulatorSecrets } from '../emulator/index.js'
import type { ActionRun } from './action-runner.js'

export interface Secret {
  /** What it is, for the report: 'sync-token password', 'connection string', ... */
  kind: string
  value: string
  /** The action handled it, so it must have registered an `::add-mask::` for it. */
  mustBeMasked?: boolean
}

export interface SecretForm {
  name: string
  text: string
}

export interface Artifact {
  /** 'stdout', 'stderr', 'GITHUB_OUTPUT', 'GITHUB_STEP_SUMMARY', ..., or a created file's path. */
  name: string
  text: string
}

export interface LeakHit {
  kind: string
  form: string
  where: string
  /** The surroundings of the hit, with the secret itself replaced: safe to print. */
  context: string
}

export interface ScanReport {
  hits: LeakHit[]
  /** Secrets that appear in the log before the `::add-mask::` that covers them. */
  maskedTooLate: { kind: string; form: string }[]
  /** Secrets the action handled but never masked. */
  neverMasked: { kind: string }[]
  secrets: number
  /** The kind of each secret scanned. */
  kinds: string[]
  /** The secret values scanned for (to count distinct ones across runs; never print them). */
  values: string[]
  forms: number
  artifacts: number
  /** secrets × their forms × artifacts: how many searches found nothing. */
  checks: number
}

/** Shorter fragments would match by chance; PEM armour lines are public. */
const MIN_FORM_LENGTH = 16
/** A lone `-----BEGIN PRIVATE KEY-----` line (a whole PEM block is searched for). */
const ARMOUR = /^-----(BEGIN|END) [A-Z0-9 ]+-----$/

/** Base64 of `value` placed at byte offset `shift` inside a larger buffer: the characters
 * that do not depend on the neighbouring bytes. */
function alignedBase64(value: Buffer, shift: number, alphabet: 'base64' | 'base64url'): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), value])
    .toString(alphabet)
    .replace(/=+$/, '')
  const head = shift === 0 ? 0 : 4
  const tail = (shift + value.length) % 3 === 0 ? 0 : 4
  return encoded.slice(head, encoded.length - tail)
}

const unicodeEscape = (char: string, upper: boolean): string => {
  const hex = char.charCodeAt(0).toString(16).padStart(4, '0')
  return `\\u${upper ? hex.toUpperCase() : hex}`
}

export function secretForms(value: string): SecretForm[] {
  const forms = new Map<string, string>()
  const add = (name: string, text: string): void => {
    if (text.length >= MIN_FORM_LENGTH && !ARMOUR.test(text) && !forms.has(text))
      forms.set(text, name)
  }
  const bytes = Buffer.from(value, 'utf8')
  add('raw', value)
  add('json-escaped', JSON.stringify(value).slice(1, -1))
  add('json-escaped twice', JSON.stringify(JSON.stringify(value)).slice(3, -3))
  add(
    '.NET json-escaped',
    JSON.stringify(value)
      .slice(1, -1)
      .replace(/[+<>&'`\u007f-\uffff]/g, (char) => unicodeEscape(char, true))
  )
  add(
    'json unicode-escaped (every character)',
    [...value].map((char) => unicodeEscape(char, false)).join('')
  )
  add('url-encoded', encodeURIComponent(value))
  add('form-encoded', new URLSearchParams({ v: value }).toString().slice(2))
  add(
    'workflow-command-escaped',
    value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
  )
  add('base64', bytes.toString('base64'))
  add('base64url', bytes.toString('base64url'))
  for (const shift of [0, 1, 2]) {
    add(`base64 (offset ${shift})`, alignedBase64(bytes, shift, 'base64'))
    add(`base64url (offset ${shift})`, alignedBase64(bytes, shift, 'base64url'))
  }
  add('url-encoded base64', encodeURIComponent(bytes.toString('base64')))
  const lines = value.split(/\r?\n/).map((line) => line.trim())
  if (lines.length > 1) lines.forEach((line, i) => add(`line ${i + 1}`, line))
  return [...forms].map(([text, name]) => ({ name, text }))
}

const ADD_MASK = '::add-mask::'
/** `::debug::`, `::warning file=x::` ...: prefixes a value split over several commands gets. */
const COMMAND_PREFIX = /^::[a-z-]+(?: [^:]*)?::/

/** Escapes of any character decoded, in any mix: JSON (`\u002B`, `\u002b`, `\/`), percent
 * (`%2B`) and HTML references (`&#43;`, `&#x2B;`). */
function unescapeAll(text: string): string {
  const char = (code: number): string => String.fromCodePoint(Math.min(code, 0x10ffff))
  return text
    .replace(/\\u([0-9a-fA-F]{4})/g, (_, hex: string) => char(parseInt(hex, 16)))
    .replace(/\\([/"\\])/g, '$1')
    .replace(/\\n/g, '\n')
    .replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => char(parseInt(hex, 16)))
    .replace(/&#x([0-9a-fA-F]{1,6});/g, (_, hex: string) => char(parseInt(hex, 16)))
    .replace(/&#(\d{1,7});/g, (_, decimal: string) => char(parseInt(decimal, 10)))
    .replace(/&amp;/g, '&')
}

/** What every base64 or base64url run encodes, at each of the four alignments it may start at. */
function decodedBase64(text: string): string {
  const decoded: string[] = []
  for (const [run] of text.matchAll(/[A-Za-z0-9+/_-]{16,}/g)) {
    for (let offset = 0; offset < 4; offset++) {
      decoded.push(Buffer.from(run.slice(offset), 'base64').toString('latin1'))
    }
  }
  return decoded.join('\n')
}

/**
 * The texts to search in one artifact: as written (without `::add-mask::` lines), with line
 * breaks removed (a value wrapped over lines), with the workflow-command prefix of each line
 * removed too (a value split over several log commands), with escapes decoded (twice: a body
 * quoted inside a message), and with base64 runs decoded (before and after unescaping).
 */
function haystacks(text: string): string[] {
  const lines = text.split(/\r?\n/).filter((line) => !line.startsWith(ADD_MASK))
  const asWritten = lines.join('\n')
  const unwrapped = lines.join('')
  const unprefixed = lines.map((line) => line.replace(COMMAND_PREFIX, '')).join('')
  const unescaped = unescapeAll(unescapeAll(unprefixed))
  const fromBase64 = decodedBase64(unprefixed)
  return [
    asWritten,
    unwrapped,
    unprefixed,
    unescaped,
    fromBase64,
    unescapeAll(fromBase64),
    decodedBase64(unescaped)
  ]
}

function contextOf(text: string, found: string): string {
  const at = text.indexOf(found)
  const before = text.slice(Math.max(0, at - 60), at)
  const after = text.slice(at + found.length, at + found.length + 60)
  return `${before}<SECRET>${after}`.replace(/\s+/g, ' ')
}

/** What a run leaves behind: both streams, the runner's files and every file it created. */
export function artifactsOf(run: ActionRun): Artifact[] {
  return [
    { name: 'stdout', text: run.stdout },
    { name: 'stderr', text: run.stderr },
    ...Object.entries(run.files).map(([name, text]) => ({ name, text })),
    ...Object.entries(run.createdFiles).map(([name, text]) => ({ name: `file ${name}`, text }))
  ]
}

/** How the runner receives a mask: `core.setSecret` escapes %, CR and LF. */
const escapeCommand = (value: string): string =>
  value.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')

function maskedValues(log: string): { value: string; at: number }[] {
  const masks: { value: string; at: number }[] = []
  let at = log.indexOf(ADD_MASK)
  while (at >= 0) {
    const end = log.indexOf('\n', at)
    masks.push({ value: log.slice(at + ADD_MASK.length, end < 0 ? undefined : end), at })
    at = log.indexOf(ADD_MASK, at + 1)
  }
  return masks
}

/** The first position of a form in the log outside `::add-mask::` lines, or -1. */
function firstAppearance(log: string, form: string): number {
  let at = log.indexOf(form)
  while (at >= 0) {
    const lineStart = log.lastIndexOf('\n', at) + 1
    if (!log.startsWith(ADD_MASK, lineStart)) return at
    at = log.indexOf(form, at + 1)
  }
  return -1
}

export function scanRun(run: ActionRun, secrets: readonly Secret[]): ScanReport {
  const artifacts = artifactsOf(run)
  const searched = artifacts.map((artifact) => ({
    name: artifact.name,
    texts: haystacks(artifact.text)
  }))
  const masks = maskedValues(run.log)
  const hits: LeakHit[] = []
  const maskedTooLate: ScanReport['maskedTooLate'] = []
  const neverMasked: ScanReport['neverMasked'] = []
  let forms = 0
  let checks = 0
  const unique = [...new Map(secrets.map((secret) => [secret.value, secret])).values()]
  for (const secret of unique) {
    const variants = secretForms(secret.value)
    forms += variants.length
    // Inputs reach the action trimmed; a mask of the trimmed value redacts the same text.
    const covered = new Set([secret.value, secret.value.trim()].map(escapeCommand))
    const coveringMasks = masks.filter((mask) => covered.has(mask.value))
    const firstMask = coveringMasks[0]?.at ?? Infinity
    if (secret.mustBeMasked && coveringMasks.length === 0) neverMasked.push({ kind: secret.kind })
    for (const form of variants) {
      for (const artifact of searched) {
        checks += 1
        const text = artifact.texts.find((candidate) => candidate.includes(form.text))
        if (text !== undefined) {
          hits.push({
            kind: secret.kind,
            form: form.name,
            where: artifact.name,
            context: contextOf(text, form.text)
          })
        }
      }
      const appears = firstAppearance(run.log, form.text)
      if (appears >= 0 && appears < firstMask) {
        maskedTooLate.push({ kind: secret.kind, form: form.name })
      }
    }
  }
  return {
    hits,
    maskedTooLate,
    neverMasked,
    secrets: unique.length,
    kinds: unique.map((secret) => secret.kind),
    values: unique.map((secret) => secret.value),
    forms,
    artifacts: artifacts.length,
    checks
  }
}

/**
 * Every secret the emulator knows of, labelled: what it issued (access and OIDC tokens, sync
 * passwords) and what it received (protected settings). `since` marks the values that appeared
 * during the run being scanned, which the action handled and so must have masked.
 */
export function emulatorSecrets(secrets: EmulatorSecrets, since?: EmulatorSecrets): Secret[] {
  const before = new Set(since?.all ?? [])
  const fresh = (value: string): boolean => since !== undefined && !before.has(value)
  const list: Secret[] = [
    ...secrets.clientSecrets.map((s) => ({ kind: 'client secret', value: s.clientSecret })),
    { kind: 'GitHub OIDC request token', value: secrets.githubRequestToken },
    ...secrets.tokenPasswords.map((p) => ({
      kind: `sync-token password (${p.slot})`,
      value: p.value,
      mustBeMasked: fresh(p.value)
    })),
    ...secrets.accessTokens.map((value) => ({
      kind: 'access token',
      value,
      mustBeMasked: fresh(value)
    })),
    ...secrets.oidcTokens.map((value) => ({
      kind: 'GitHub OIDC token',
      value,
      mustBeMasked: fresh(value)
    }))
  ]
  for (const received of secrets.extensionProtectedSettings) {
    for (const [key, value] of Object.entries(received.settings)) {
      // tls.secret names a Kubernetes secret: a name, not secret material.
      if (key === 'tls.secret') continue
      list.push({
        kind: key === 'connectionString' ? 'connection string' : `protected setting ${key}`,
        value,
        mustBeMasked: fresh(value)
      })
    }
  }
  return list.filter((secret) => secret.value.length >= 8)
}

/**
 * A BYOC certificate and key, in PEM and base64 of PEM. The form each was given in (`given`)
 * must have been masked as it was given; both forms must appear nowhere.
 */
export function tlsInputSecrets(
  material: { certPem: string; keyPem: string },
  given: { cert: 'pem' | 'base64'; key: 'pem' | 'base64' } = { cert: 'pem', key: 'pem' }
): Secret[] {
  const base64 = (pem: string): string => Buffer.from(pem).toString('base64')
  return [
    { kind: 'BYOC private key (PEM)', value: material.keyPem, mustBeMasked: given.key === 'pem' },
    {
      kind: 'BYOC private key (base64)',
      value: base64(material.keyPem),
      mustBeMasked: given.key === 'base64'
    },
    {
      kind: 'BYOC certificate (PEM)',
      value: material.certPem,
      mustBeMasked: given.cert === 'pem'
    },
    {
      kind: 'BYOC certificate (base64)',
      value: base64(material.certPem),
      mustBeMasked: given.cert === 'base64'
    }
  ]
}

/** A readable account of what leaked, for a failing assertion. */
export function describeLeaks(report: ScanReport): string {
  return [
    ...report.hits.map((hit) => `${hit.kind} (${hit.form}) in ${hit.where}: …${hit.context}…`),
    ...report.maskedTooLate.map((late) => `${late.kind} (${late.form}) printed before its mask`),
    ...report.neverMasked.map((secret) => `${secret.kind} never masked`)
  ].join('\n')
}

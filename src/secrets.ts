import type { Log } from './ports.js'
import type { TlsSettings } from './settings.js'

/** A line such as `-----BEGIN PRIVATE KEY-----` alone (not a whole PEM block that starts with one). */
const PEM_ARMOUR_LINE = /^-----(BEGIN|END) [A-Z0-9 ]+-----$/
/** Shorter fragments would redact unrelated text. */
const MIN_FORM_LENGTH = 6

/**
 * Base64 of `value` placed at byte offset `shift` inside a larger text (a whole request body
 * encoded at once): only the characters that do not depend on the neighbouring bytes.
 */
function alignedBase64(value: Buffer, shift: number, alphabet: 'base64' | 'base64url'): string {
  const encoded = Buffer.concat([Buffer.alloc(shift), value])
    .toString(alphabet)
    .replace(/=+$/, '')
  const head = shift === 0 ? 0 : 4
  const tail = (shift + value.length) % 3 === 0 ? 0 : 4
  return encoded.slice(head, encoded.length - tail)
}

/** JSON as .NET's System.Text.Json writes it by default: `+`, `<`, `>`, `&`, `'`, `` ` `` and
 * everything outside printable ASCII as \uXXXX (upper-case hex). */
function dotnetJsonEscaped(value: string): string {
  return JSON.stringify(value)
    .slice(1, -1)
    .replace(/\\"/g, '\\u0022')
    .replace(
      /[+<>&'`\u007f-\uffff]/g,
      (char) => `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`
    )
}

/**
 * Every form in which a secret could show up in a log, as exact text the runner can mask: raw,
 * base64 (standard and URL-safe, alone and inside a larger encoded text), JSON-escaped (as
 * JavaScript and as .NET write it), URL-encoded (component and form encoding), and each line of
 * a multi-line value (a runner masks line by line). `redact` finds more than these: any mix of
 * escapes, and base64 of any text that contains a secret.
 */
export function secretForms(secret: string): string[] {
  const forms = new Set<string>()
  const add = (form: string): void => {
    // PEM armour lines are not secret.
    if (form.length >= MIN_FORM_LENGTH && !PEM_ARMOUR_LINE.test(form)) forms.add(form)
  }
  add(secret)
  const bytes = Buffer.from(secret, 'utf8')
  const base64 = bytes.toString('base64')
  add(base64)
  add(bytes.toString('base64url'))
  for (const shift of [0, 1, 2]) {
    add(alignedBase64(bytes, shift, 'base64'))
    add(alignedBase64(bytes, shift, 'base64url'))
  }
  add(JSON.stringify(secret).slice(1, -1))
  add(dotnetJsonEscaped(secret))
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

// --- finding secrets in text -----------------------------------------------------------------

/** A stretch of the original text, [start, end). */
type Span = [number, number]

/** Text with its escapes decoded, and for each decoded character the stretch it came from. */
interface Decoded {
  text: string
  from: Span[]
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'"
}
const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t'
}
/** One escape at a time: JSON (`\u002B`, `\/`, `\n`, any case of hex), percent-encoding
 * (`%2b`) and HTML character references (`&#43;`, `&#x2B;`, `&amp;`). */
const ESCAPE =
  /\\u([0-9a-fA-F]{4})|\\(["\\/bfnrt])|%([0-9a-fA-F]{2})|&#[xX]([0-9a-fA-F]{1,6});|&#(\d{1,7});|&(amp|lt|gt|quot|apos);/g

const HAS_ESCAPE = new RegExp(ESCAPE.source)

/** One level of escapes decoded: a secret escaped in any mix of these forms reads as itself. */
function decodeEscapes(text: string, from: Span[]): Decoded {
  let decoded = ''
  const map: Span[] = []
  let last = 0
  const copy = (start: number, end: number): void => {
    for (let i = start; i < end; i++) {
      decoded += text[i]
      map.push(from[i])
    }
  }
  for (const match of text.matchAll(ESCAPE)) {
    const at = match.index
    copy(last, at)
    const [whole, unicode, simple, percent, hexRef, decimalRef, named] = match
    const hex = unicode ?? percent ?? hexRef
    const code =
      hex !== undefined ? parseInt(hex, 16) : decimalRef ? parseInt(decimalRef, 10) : undefined
    const char =
      code !== undefined
        ? String.fromCodePoint(Math.min(code, 0x10ffff))
        : simple !== undefined
          ? SIMPLE_ESCAPES[simple]
          : NAMED_ENTITIES[named]
    const span: Span = [from[at][0], from[at + whole.length - 1][1]]
    for (let i = 0; i < char.length; i++) map.push(span)
    decoded += char
    last = at + whole.length
  }
  copy(last, text.length)
  return { text: decoded, from: map }
}

/** Stretches of `text` that hold a masked form verbatim. */
function verbatimSpans(text: string): Span[] {
  const spans: Span[] = []
  for (const form of longestFirst) {
    let at = text.indexOf(form)
    while (at >= 0) {
      spans.push([at, at + form.length])
      at = text.indexOf(form, at + form.length)
    }
  }
  return spans
}

/** A run of base64 or base64url characters, possibly wrapped over lines, with its padding. */
const BASE64_RUN = /[A-Za-z0-9+/_-]{16,}(?:\r?\n[A-Za-z0-9+/_-]+)*={0,2}/g

/** Runs of base64 whose decoded text holds a secret, in any form `secretSpans` finds. Each
 * offset is tried, as the run may start inside an encoded text. */
function base64Spans(text: string, depth: number): Span[] {
  const spans: Span[] = []
  for (const match of text.matchAll(BASE64_RUN)) {
    const compact = match[0].replace(/\s+/g, '')
    for (let offset = 0; offset < 4; offset++) {
      const decoded = Buffer.from(compact.slice(offset), 'base64').toString('latin1')
      const asUtf8 = Buffer.from(compact.slice(offset), 'base64').toString('utf8')
      if (holdsSecret(decoded, depth - 1) || holdsSecret(asUtf8, depth - 1)) {
        spans.push([match.index, match.index + match[0].length])
        break
      }
    }
  }
  return spans
}

const holdsSecret = (text: string, depth: number): boolean =>
  text.length >= MIN_FORM_LENGTH && secretSpans(text, depth).length > 0

/**
 * Every stretch of `text` that reveals a masked secret: a form verbatim; a form once its escapes
 * are decoded (once or twice: a body quoted inside a message is escaped twice); a base64 run
 * whose decoded text holds one (up to `depth` encodings deep).
 */
function secretSpans(text: string, depth = 2): Span[] {
  if (longestFirst.length === 0) return []
  const spans = verbatimSpans(text)
  if (depth > 0) spans.push(...base64Spans(text, depth))
  let view: Decoded = {
    text,
    from: Array.from({ length: text.length }, (_, i): Span => [i, i + 1])
  }
  for (let level = 0; level < 2; level++) {
    if (!HAS_ESCAPE.test(view.text)) break
    view = decodeEscapes(view.text, view.from)
    const found = [...verbatimSpans(view.text), ...(depth > 0 ? base64Spans(view.text, depth) : [])]
    for (const [start, end] of found) spans.push([view.from[start][0], view.from[end - 1][1]])
  }
  return spans
}

/** Replaces the given stretches (merged where they overlap) with `***`. */
function replaceSpans(text: string, spans: Span[]): string {
  if (spans.length === 0) return text
  const sorted = [...spans].sort((a, b) => a[0] - b[0])
  let result = ''
  let cursor = 0
  let [start, end] = sorted[0]
  for (const [nextStart, nextEnd] of sorted.slice(1)) {
    if (nextStart <= end) {
      end = Math.max(end, nextEnd)
      continue
    }
    result += `${text.slice(cursor, start)}***`
    cursor = end
    ;[start, end] = [nextStart, nextEnd]
  }
  return `${result}${text.slice(cursor, start)}***${text.slice(end)}`
}

// --- printing safely -------------------------------------------------------------------------

/**
 * Characters a log must not carry as they are: C0 and C1 controls and DEL (a carriage return or
 * line feed starts a new log line, which the runner reads as a workflow command when it starts
 * with `::`; an escape sequence repaints the terminal), the Unicode line and paragraph
 * separators, and the bidirectional overrides that make text read differently than it is.
 */
const UNPRINTABLE =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]/g

/** The first character of `text` that is never valid in an input (its index and code point),
 * or undefined. Line breaks are valid only when `lines` is true; tabs always are. */
export function firstUnprintable(
  text: string,
  lines: boolean
): { at: number; codePoint: string } | undefined {
  const control = [...text.matchAll(UNPRINTABLE)].find((match) => !(lines && match[0] === '\r'))
  const lineFeed = lines ? -1 : text.indexOf('\n')
  const candidates = [control?.index ?? -1, lineFeed].filter((at) => at >= 0)
  if (candidates.length === 0) return undefined
  const at = Math.min(...candidates)
  return { at, codePoint: `U+${text.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0')}` }
}

const SHOWN_AS: Record<string, string> = { '\r': '\\r', '\n': '\\n', '\t': '\\t' }
const escapeChar = (char: string): string =>
  SHOWN_AS[char] ?? `\\u${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`

/** Text with its unprintable characters shown as escapes (`\r`, `\u001B`); line feeds and tabs
 * are kept, and a CRLF line break becomes a line feed. */
export function printable(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(UNPRINTABLE, escapeChar)
}

/**
 * Replaces every form of every masked secret with `***`, as the runner would, and shows
 * unprintable characters as escapes. The runner only redacts what reaches the log, verbatim;
 * text the action writes to files (the job summary) or builds from an Azure error message goes
 * through this too, so a secret echoed back by a service (a request body quoted in an error,
 * escaped as .NET escapes it or base64-encoded whole, a connection string inside an exception)
 * is never written out.
 */
export function redact(text: string): string {
  return printable(replaceSpans(text, secretSpans(text)))
}

/**
 * One log line: redacted, on one line (line feeds shown as `\n`), and never read by the runner
 * as a workflow command (`::name::` at its start, `##[name]` anywhere).
 */
export function forLog(text: string): string {
  return redact(text)
    .replace(/\n/g, '\\n')
    .replace(/^(\s*)::/, '$1\\u003A:')
    .replace(/##\[/g, '#\\u0023[')
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

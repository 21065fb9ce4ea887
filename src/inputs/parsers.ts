// One parser per kind of input: string in, typed value out, InputError (naming the input, what is
// wrong and what is allowed) when the text does not fit. Parsers see non-empty, trimmed text;
// parse-settings applies defaults before calling them.

import { BlockList, isIP } from 'node:net'
import { firstUnprintable } from '../secrets.js'
import { inputErrors, InputError, quote } from './errors.js'

// --- characters and sizes ------------------------------------------------------------------

export interface TextShape {
  /** Longest value accepted, in characters. */
  maxLength: number
  /** Lists and PEM text: line breaks belong in the value. */
  lines?: boolean
}

const CHARACTER_NAMES: Record<string, string> = {
  'U+0000': 'NUL',
  'U+000A': 'line feed',
  'U+000D': 'carriage return',
  'U+001B': 'escape',
  'U+007F': 'delete',
  'U+2028': 'line separator',
  'U+2029': 'paragraph separator'
}

/**
 * Refuses a value longer than its bound, and characters that are never valid in it: control
 * characters anywhere (line breaks too, unless the input is a list or PEM text), the Unicode
 * line separators and bidirectional overrides. Such a character could only end up in a log,
 * where it would start a new line (a workflow command) or make text read differently than it
 * is. Names the position, never the value: this runs before secret inputs are parsed.
 */
export function checkText(input: string, value: string, shape: TextShape): void {
  if (value.length > shape.maxLength) {
    throw inputErrors.invalid(
      input,
      `is ${value.length} characters long`,
      `expected at most ${shape.maxLength} characters`
    )
  }
  const found = firstUnprintable(value, shape.lines === true)
  if (!found) return
  const before = value.slice(0, found.at)
  const line = before.split('\n').length
  const column = found.at - before.lastIndexOf('\n')
  const name = CHARACTER_NAMES[found.codePoint]
  throw inputErrors.invalid(
    input,
    `contains the control character ${found.codePoint}${name ? ` (${name})` : ''} at ${shape.lines ? `line ${line}, column ${column}` : `position ${found.at + 1}`}`,
    shape.lines
      ? 'expected lines of text without control characters other than line breaks and tabs'
      : 'expected one line of text without control characters'
  )
}

// --- enums and booleans ---------------------------------------------------------------------

/** Case-insensitive match against the allowed values; returns the canonical spelling. */
export function parseEnum<T extends string>(
  input: string,
  value: string,
  allowed: readonly T[]
): T {
  const found = allowed.find((candidate) => candidate.toLowerCase() === value.toLowerCase())
  if (found === undefined) throw inputErrors.notOneOf(input, value, allowed)
  return found
}

/** Only true/false (any case): yes/no/1/0 are typos as often as they are intent. */
export function parseBoolean(input: string, value: string): boolean {
  const normalised = value.toLowerCase()
  if (normalised === 'true') return true
  if (normalised === 'false') return false
  throw inputErrors.invalidValue(input, value, 'expected true or false')
}

// --- durations (timeout, poll-interval) ---------------------------------------------------

const DURATION_UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

export interface DurationRange {
  minMs: number
  maxMs: number
}

/** Formats milliseconds the way the inputs are written: 1h, 15m, 30s, 500ms. */
export function formatDuration(ms: number): string {
  for (const unit of ['h', 'm', 's'] as const) {
    const size = DURATION_UNITS_MS[unit]
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}

/** `30s`, `15m`, `1h`, `500ms`; a bare number is seconds. Returns milliseconds. */
export function parseDuration(input: string, value: string, range: DurationRange): number {
  const allowed = `expected a duration between ${formatDuration(range.minMs)} and ${formatDuration(range.maxMs)}: a whole number with unit ms, s, m or h, such as 30s, 15m or 1h (a bare number is seconds)`
  const match = /^(\d+)\s*(ms|s|m|h)?$/i.exec(value)
  if (!match) throw inputErrors.invalidValue(input, value, allowed)
  const ms = Number(match[1]) * DURATION_UNITS_MS[(match[2] ?? 's').toLowerCase()]
  if (ms < range.minMs || ms > range.maxMs) {
    throw inputErrors.invalidValue(input, value, allowed, 'out of range')
  }
  return ms
}

// --- ISO 8601 durations (message-ttl, sync-window) ----------------------------------------

/**
 * Seconds in an ISO 8601 duration of days and time (PnDTnHnMnS), or undefined when the text is
 * not one. Years, months and weeks are refused: their length is ambiguous, and the service's
 * parser (.NET XmlConvert) does not take weeks.
 */
export function isoDurationSeconds(text: string): number | undefined {
  const match = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(text)
  if (!match) return undefined
  const [, days, hours, minutes, seconds] = match
  if (days === undefined && hours === undefined && minutes === undefined && seconds === undefined) {
    return undefined
  }
  // 'P1DT' has a time designator with no time: not valid ISO 8601.
  if (/T$/i.test(text)) return undefined
  return (
    Number(days ?? 0) * 86_400 +
    Number(hours ?? 0) * 3_600 +
    Number(minutes ?? 0) * 60 +
    Number(seconds ?? 0)
  )
}

/** An ISO 8601 duration within [min, max] (both ISO text); returns it in upper case. */
export function parseIsoDuration(
  input: string,
  value: string,
  range: { min: string; max: string; example: string }
): string {
  const allowed = `expected an ISO 8601 duration between ${range.min} and ${range.max} in days and time (PnDTnHnMnS), such as ${range.example}`
  const seconds = isoDurationSeconds(value)
  if (seconds === undefined) throw inputErrors.invalidValue(input, value, allowed)
  const min = isoDurationSeconds(range.min) ?? 0
  const max = isoDurationSeconds(range.max) ?? Infinity
  if (seconds < min || seconds > max) {
    throw inputErrors.invalidValue(input, value, allowed, 'out of range')
  }
  return value.toUpperCase()
}

// --- cron (sync-schedule) -------------------------------------------------------------------

/** The schedule the CLI uses when none is given: always online, syncing every minute. */
export const CONTINUOUS_SYNC_SCHEDULE = '* * * * *'

const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  // 0 and 7 are both Sunday, as in Vixie cron.
  { name: 'day of week', min: 0, max: 7 }
] as const

const CRON_ALLOWED =
  "expected 5 cron fields 'minute hour day-of-month month day-of-week' (minute 0-59, hour 0-23, day of month 1-31, month 1-12, day of week 0-7), each '*', a number, a range a-b, a list a,b or a step */n or a-b/n, such as '0 12 * * *'"

/** Why one cron field is wrong, or undefined when it is fine. */
function cronFieldProblem(text: string, field: (typeof CRON_FIELDS)[number]): string | undefined {
  const inRange = (n: number): boolean => n >= field.min && n <= field.max
  for (const item of text.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item)
    if (!match) return `${field.name} '${text}' is not valid`
    const [, , from, to, step] = match
    if (from !== undefined && !inRange(Number(from))) {
      return `${field.name} '${from}' is outside ${field.min}-${field.max}`
    }
    if (to !== undefined && !inRange(Number(to))) {
      return `${field.name} '${to}' is outside ${field.min}-${field.max}`
    }
    if (to !== undefined && Number(to) < Number(from)) {
      return `${field.name} range '${from}-${to}' is reversed`
    }
    // 'n/step' means different things to different cron dialects: require '*/n' or 'a-b/n'.
    if (step !== undefined && from !== undefined && to === undefined) {
      return `${field.name} step '${item}' needs '*' or a range before '/'`
    }
    if (step !== undefined && (Number(step) < 1 || Number(step) > field.max)) {
      return `${field.name} step '${step}' is outside 1-${field.max}`
    }
  }
  return undefined
}

/** A 5-field cron expression; returns it with single spaces between fields. */
export function parseCron(input: string, value: string): string {
  const fields = value.split(/\s+/)
  if (fields.length !== CRON_FIELDS.length) {
    const count = `${fields.length} field${fields.length === 1 ? '' : 's'}`
    throw inputErrors.invalidValue(input, value, CRON_ALLOWED, count)
  }
  fields.forEach((field, index) => {
    const problem = cronFieldProblem(field, CRON_FIELDS[index])
    if (problem) throw inputErrors.invalidValue(input, value, CRON_ALLOWED, problem)
  })
  return fields.join(' ')
}

// --- network --------------------------------------------------------------------------------

const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)'
/** Dotted decimal only: no leading zeros (010 is octal to some parsers, decimal to others). */
const STRICT_IPV4 = new RegExp(`^(?:${OCTET}\\.){3}${OCTET}$`)

const LEADING_ZEROS = 'leading zeros are ambiguous: octal to some parsers, decimal to others'

/** Dotted decimal that is an IPv4 address only once its leading zeros are dropped. */
const zeroPadded = (dotted: string): boolean =>
  !STRICT_IPV4.test(dotted) && isIP(dotted.replace(/(^|\.)0+(\d)/g, '$1$2')) === 4

/** Whether `text` is a plain IP literal (its version), or why it is not (when that is known). */
function ipLiteralProblem(text: string): { version?: 4 | 6; problem?: string } {
  if (STRICT_IPV4.test(text)) return { version: 4 }
  if (text.includes('%')) return { problem: 'an IPv6 zone index (%...) names a host interface' }
  // Dotted IPv4, alone or ending an IPv6 address, is held to the same rule.
  const dotted = /(?:^|:)(\d+(?:\.\d+)+)$/.exec(text)?.[1]
  if (dotted !== undefined && zeroPadded(dotted)) return { problem: LEADING_ZEROS }
  return isIP(text) === 6 ? { version: 6 } : {}
}

/** Addresses no Service can have: unspecified, loopback, link-local, multicast, reserved, and
 * IPv4-mapped IPv6 (Kubernetes wants the IPv4 address itself). */
const NOT_A_SERVICE_ADDRESS: readonly [string, number, 'ipv4' | 'ipv6', string][] = [
  ['0.0.0.0', 8, 'ipv4', 'an unspecified address'],
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local address'],
  ['224.0.0.0', 4, 'ipv4', 'a multicast address'],
  ['240.0.0.0', 4, 'ipv4', 'a reserved or broadcast address'],
  ['::', 128, 'ipv6', 'an unspecified address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
  ['ff00::', 8, 'ipv6', 'a multicast address'],
  ['::ffff:0:0', 96, 'ipv6', 'an IPv4-mapped IPv6 address: give the IPv4 address itself']
]

function specialAddress(address: string, version: 4 | 6): string | undefined {
  const family = version === 4 ? 'ipv4' : 'ipv6'
  for (const [network, prefix, type, what] of NOT_A_SERVICE_ADDRESS) {
    if (type !== family) continue
    const list = new BlockList()
    list.addSubnet(network, prefix, type)
    if (list.check(address, type)) return what
  }
  return undefined
}

/** A Service cluster IP: a plain unicast IPv4 or IPv6 literal (no zone, prefix or brackets). */
export function parseIp(input: string, value: string): string {
  const allowed =
    'expected an IPv4 or IPv6 address, such as 10.0.0.10 or fd00::10, written plainly (no leading zeros, zone index, prefix length or brackets)'
  const { version, problem } = ipLiteralProblem(value)
  if (!version) throw inputErrors.invalidValue(input, value, allowed, problem)
  const special = specialAddress(value, version)
  if (special) throw inputErrors.invalidValue(input, value, allowed, special)
  return value
}

const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*$/

/** host[:port], host a DNS name or IPv4 address, or an IPv6 address ([v6]:port with a port). */
export function parseHostPort(input: string, value: string): string {
  const allowed =
    "expected host[:port] without a scheme, such as 10.0.0.10, parent.example.com:443 or [fd00::10]:8443; the protocol comes from 'parent-protocol'"
  const fail = (detail?: string): InputError =>
    inputErrors.invalidValue(input, value, allowed, detail)
  if (value.includes('%')) throw fail(ipLiteralProblem('%').problem)
  if (ipLiteralProblem(value).version === 6) return value
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d{1,5}))?$/.exec(value)
  if (!match) throw fail(value.includes('://') ? 'has a scheme' : undefined)
  const [, bracketed, host, port] = match
  if (bracketed !== undefined && ipLiteralProblem(bracketed).version !== 6)
    throw fail('not an IPv6 address in brackets')
  // All digits and dots is an IPv4 address (a top-level domain is never numeric).
  if (host !== undefined && /^[\d.]+$/.test(host) && ipLiteralProblem(host).version !== 4) {
    throw fail(ipLiteralProblem(host).problem ?? 'not an IPv4 address')
  }
  if (host !== undefined && !DNS_NAME.test(host)) throw fail('not a host name')
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) {
    throw fail('port outside 1-65535')
  }
  return value
}

/** An https URL without credentials; returned as given. */
export function parseHttpsUrl(input: string, value: string, example: string): string {
  const allowed = `expected an https URL, such as ${example}`
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw inputErrors.invalidValue(input, value, allowed)
  }
  if (url.protocol !== 'https:') {
    throw inputErrors.invalidValue(
      input,
      value,
      allowed,
      `scheme '${url.protocol.replace(/:$/, '')}'`
    )
  }
  if (url.username || url.password) {
    // Never echo credentials.
    throw inputErrors.invalid(input, 'contains credentials', allowed)
  }
  return value
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function parseGuid(input: string, value: string): string {
  if (!GUID.test(value)) {
    throw inputErrors.invalidValue(
      input,
      value,
      'expected a GUID such as 00000000-0000-0000-0000-000000000000'
    )
  }
  return value
}

// --- names ----------------------------------------------------------------------------------

export interface NameRule {
  pattern: RegExp
  /** The rule in words, as the 'allowed' part of a message. */
  allowed: string
}

const DNS_1123_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*$/

export const NAME_RULES = {
  /** The documented rule (D-create). ARM alone accepts 5-50 alphanumerics, but the gateway
   * actions and the runtime expect what the docs promise. */
  connectedRegistry: {
    pattern: /^[A-Za-z][A-Za-z0-9]{4,39}$/,
    allowed: 'expected 5 to 40 letters and digits, starting with a letter'
  },
  registry: {
    pattern: /^[A-Za-z0-9]{5,50}$/,
    allowed: 'expected the registry name (not its login server): 5 to 50 letters and digits'
  },
  /** ARM's rule: letters and digits of any script, '_', '-', '.', '(', ')'; no trailing '.'. */
  resourceGroup: {
    pattern: /^(?!.*\.$)[-\p{L}\p{Nd}_.()]{1,90}$/u,
    allowed: "expected 1 to 90 letters, digits, '_', '-', '.', '(' or ')', not ending in '.'"
  },
  /** Microsoft.Kubernetes/connectedClusters: 1-63 alphanumerics, '_' and '-', starting with an
   * alphanumeric (Azure resource naming rules; the same as AKS without its end rule, as Arc
   * accepts names that AKS would not). */
  cluster: {
    pattern: /^[A-Za-z0-9][-_A-Za-z0-9]{0,62}$/,
    allowed: "expected 1 to 63 letters, digits, '_' or '-', starting with a letter or digit"
  },
  /** The Arc extension name becomes a Helm release and Kubernetes object names. */
  extension: {
    pattern: /^(?=.{1,253}$)[a-z0-9](?:[-.a-z0-9]*[a-z0-9])?$/,
    allowed:
      "expected up to 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
  },
  /** ACR tokens (client tokens). */
  token: {
    pattern: /^[A-Za-z0-9-]{5,50}$/,
    allowed: "expected token names of 5 to 50 letters, digits or '-'"
  },
  kubernetesSecret: {
    pattern: DNS_1123_SUBDOMAIN,
    allowed:
      "expected a Kubernetes secret name: up to 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
  },
  storageClass: {
    pattern: DNS_1123_SUBDOMAIN,
    allowed:
      "expected a Kubernetes storage class name: up to 253 lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
  },
  namespace: {
    pattern: /^(?=.{1,63}$)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/,
    allowed:
      "expected a Kubernetes namespace: up to 63 lower-case letters, digits and '-', starting and ending with a letter or digit"
  },
  releaseTrain: {
    pattern: /^[A-Za-z][A-Za-z0-9-]{0,63}$/,
    allowed: 'expected a release train name such as Stable or Preview'
  }
} as const satisfies Record<string, NameRule>

export function parseName(input: string, value: string, rule: NameRule): string {
  if (!rule.pattern.test(value)) throw inputErrors.invalidValue(input, value, rule.allowed)
  return value
}

// --- lists ----------------------------------------------------------------------------------

/** Items separated by commas and/or newlines; blanks dropped, duplicates removed (first kept). */
export function parseList(value: string): string[] {
  const items = value
    .split(/[,\r\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '')
  return [...new Set(items)]
}

/** The distribution spec's path component: lower-case alphanumerics joined by '.', '_', '__'
 * or runs of '-'. */
const REPOSITORY_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
const REPOSITORY = new RegExp(`^${REPOSITORY_COMPONENT}(?:/${REPOSITORY_COMPONENT})*$`)
/** A scope-map wildcard: a path ending in '/*' (D-tokens: one '*', at the end). */
const REPOSITORY_WILDCARD = new RegExp(`^${REPOSITORY_COMPONENT}(?:/${REPOSITORY_COMPONENT})*/\\*$`)

/** "500 repository permissions per scope map" (connected registry limits). */
export const MAX_REPOSITORIES = 500
/** The distribution spec notes that many clients limit `host/name` to 255 characters; Azure
 * documents no other bound, so a repository name is held to that (our assumption). */
export const MAX_REPOSITORY_NAME = 255
/** "50 clients per connected registry" (connected registry limits). */
export const MAX_CLIENT_TOKENS = 50

export function parseRepositories(input: string, value: string): string[] {
  const allowed = `expected up to ${MAX_REPOSITORIES} repository names of up to ${MAX_REPOSITORY_NAME} characters separated by commas or newlines: lower-case path segments of letters and digits joined by '.', '_' or '-', separated by '/', such as hello-world or samples/app; or a wildcard ending in '/*', such as samples/*`
  const repositories = parseList(value)
  for (const repository of repositories) {
    if (repository.length > MAX_REPOSITORY_NAME) {
      throw inputErrors.invalid(
        input,
        `has a repository name of ${repository.length} characters (${quote(repository)})`,
        `expected repository names of at most ${MAX_REPOSITORY_NAME} characters`
      )
    }
    if (!REPOSITORY.test(repository) && !REPOSITORY_WILDCARD.test(repository)) {
      throw inputErrors.invalid(input, `has an invalid repository ${quote(repository)}`, allowed)
    }
  }
  if (repositories.length > MAX_REPOSITORIES) {
    throw inputErrors.invalid(input, `lists ${repositories.length} repositories`, allowed)
  }
  return repositories
}

export function parseNames(
  input: string,
  value: string,
  rule: NameRule,
  maxCount = Infinity
): string[] {
  const names = parseList(value)
  for (const name of names) {
    if (!rule.pattern.test(name)) {
      throw inputErrors.invalid(input, `has an invalid name ${quote(name)}`, rule.allowed)
    }
  }
  if (names.length > maxCount) {
    throw inputErrors.invalid(input, `lists ${names.length} names`, `expected at most ${maxCount}`)
  }
  return names
}

/** Notification patterns as the service stores them: <artifact>:<action>, where artifact is
 * name, name:tag or name@digest (wildcards allowed) and action is push, delete or *. */
export function parseNotifications(input: string, value: string): string[] {
  const allowed =
    'expected patterns <repository>[:<tag>|@<digest>]:<action> with action push, delete or *, such as hello-world:*:* or app:1.0:push, separated by commas or newlines'
  const notifications = parseList(value)
  for (const notification of notifications) {
    const separator = notification.lastIndexOf(':')
    const artifact = notification.slice(0, Math.max(separator, 0))
    const action = notification.slice(separator + 1)
    if (
      separator <= 0 ||
      !['push', 'delete', '*'].includes(action) ||
      /\s/.test(notification) ||
      /[:@]$/.test(artifact)
    ) {
      throw inputErrors.invalid(
        input,
        `has an invalid notification ${quote(notification)}`,
        allowed
      )
    }
  }
  return notifications
}

// --- key=value lines (extension-config) -------------------------------------------------------

const CONFIG_KEY = /^[A-Za-z0-9_.-]+$/

/** Longest key and value of an `extension-config` line. Arc documents no bound; a chart
 * setting's key is a Helm value path, its value one Helm value (our assumption). */
export const MAX_CONFIG_KEY = 253
export const MAX_CONFIG_VALUE = 4096

/** `key=value` lines; blank lines and lines starting with '#' are ignored; the value is what
 * follows the first '='. Messages show the key or line number, never a value. */
export function parseKeyValueLines(input: string, value: string): Record<string, string> {
  const allowed =
    "expected key=value lines with keys of letters, digits, '_', '.' and '-' (blank lines and # comments are ignored)"
  const entries: Record<string, string> = {}
  const firstLine = new Map<string, number>()
  value.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    const lineNumber = index + 1
    // A carriage return not followed by a line feed is no line break: it would sit inside a
    // value and, printed, start a new log line.
    if (line.includes('\r')) {
      throw inputErrors.invalid(
        input,
        `has a carriage return inside line ${lineNumber}`,
        'expected line breaks as LF or CRLF, and values without control characters'
      )
    }
    if (line === '' || line.startsWith('#')) return
    const equals = line.indexOf('=')
    if (equals < 0) {
      throw inputErrors.invalid(input, `has no '=' on line ${lineNumber}`, allowed)
    }
    const key = line.slice(0, equals).trim()
    if (!CONFIG_KEY.test(key)) {
      throw inputErrors.invalid(
        input,
        `has an invalid key ${quote(key)} on line ${lineNumber}`,
        allowed
      )
    }
    const seen = firstLine.get(key.toLowerCase())
    if (seen !== undefined) {
      throw inputErrors.invalid(
        input,
        `sets ${quote(key)} twice (lines ${seen} and ${lineNumber})`,
        'expected each key once'
      )
    }
    if (key.length > MAX_CONFIG_KEY) {
      throw inputErrors.invalid(
        input,
        `has a key of ${key.length} characters on line ${lineNumber}`,
        `expected keys of at most ${MAX_CONFIG_KEY} characters`
      )
    }
    const setting = line.slice(equals + 1).trim()
    if (setting.length > MAX_CONFIG_VALUE) {
      throw inputErrors.invalid(
        input,
        `sets ${quote(key)} to a value of ${setting.length} characters on line ${lineNumber}`,
        `expected values of at most ${MAX_CONFIG_VALUE} characters`
      )
    }
    firstLine.set(key.toLowerCase(), lineNumber)
    entries[key] = setting
  })
  return entries
}

// --- versions and quantities -------------------------------------------------------------

export function parseVersion(input: string, value: string): string {
  if (!/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.test(value)) {
    throw inputErrors.invalidValue(input, value, 'expected a version x.y.z, such as 0.11.0')
  }
  return value
}

/** A Kubernetes resource quantity for a volume size, such as 250Gi. */
export function parseStorageSize(input: string, value: string): string {
  if (!/^[1-9]\d*(?:\.\d+)?(?:Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$/.test(value)) {
    throw inputErrors.invalidValue(
      input,
      value,
      'expected a Kubernetes quantity with a unit such as 250Gi or 1Ti'
    )
  }
  return value
}

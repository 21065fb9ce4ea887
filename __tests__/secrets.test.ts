// Redaction of every form a secret can come back in, and log lines that cannot become workflow
// commands: what the action prints of an Azure error or a value it read, in-process.

import { describe, expect, it } from '@jest/globals'
import type { Log } from '../src/ports.js'
import { forLog, maskSecret, printable, redact, secretForms } from '../src/secrets.js'

const silent: Log = {
  info: () => undefined,
  warning: () => undefined,
  debug: () => undefined,
  group: (_name, fn) => fn(),
  mask: () => undefined
}

/** A sync password as Azure generates them: always with `+`, `/` and `=`. */
const PASSWORD = 'Xq3+vJ8/kLm2=Np9+Rt4/Wy7=Zb1+Cd5/Fg6=Hj0+Kl2'
const CONNECTION_STRING = `ConnectedRegistryName=edge01;SyncTokenName=edge01;SyncTokenPassword=${PASSWORD};ParentGatewayEndpoint=contosoacr.eastus.data.azurecr.io;ParentEndpointProtocol=https`
maskSecret(silent, PASSWORD)
maskSecret(silent, CONNECTION_STRING)

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64')
const base64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url')
const hex4 = (char: string, upper = true): string => {
  const hex = char.charCodeAt(0).toString(16).padStart(4, '0')
  return `\\u${upper ? hex.toUpperCase() : hex}`
}
/** JSON as .NET's System.Text.Json writes it: `+` as \u002B, and `"` as \u0022. */
const dotnetJson = (value: unknown): string =>
  JSON.stringify(value).replace(/[+<>&']/g, (char) => hex4(char))
/** Every character escaped, hex in lower case. */
const everyCharEscaped = (text: string): string => [...text].map((c) => hex4(c, false)).join('')

const body = {
  properties: {
    configurationSettings: { 'service.clusterIP': '10.0.0.10' },
    configurationProtectedSettings: { connectionString: CONNECTION_STRING }
  }
}

describe('redact finds a secret in every form it comes back in', () => {
  it.each([
    ['raw', PASSWORD],
    ['JSON-escaped as .NET writes it (+ as \\u002B)', dotnetJson(PASSWORD).slice(1, -1)],
    ['every character a unicode escape, lower-case hex', everyCharEscaped(PASSWORD)],
    [
      'a mix of escapes (\\/, %2b, &#43;)',
      PASSWORD.replace('/', '\\/').replace('+', '%2b').replace('+', '&#43;')
    ],
    [
      'escaped twice (a body quoted inside a message)',
      JSON.stringify(dotnetJson(PASSWORD)).slice(3, -3)
    ],
    ['base64 of the secret', base64(PASSWORD)],
    ['base64url of the secret', base64url(PASSWORD)],
    ['base64 of a whole request body', base64(JSON.stringify(body))],
    ['base64url of a whole request body', base64url(JSON.stringify(body))],
    ['base64 of a .NET-escaped request body', base64(dotnetJson(body))],
    [
      'base64 of a body, wrapped at 76 columns',
      base64(JSON.stringify(body)).replace(/(.{76})/g, '$1\n')
    ],
    ['base64 of a body, JSON-escaped (\\/)', base64(JSON.stringify(body)).replace(/\//g, '\\/')],
    ['base64 of base64 of a body', base64(base64(JSON.stringify(body)))],
    ['a .NET-escaped body', dotnetJson(body)]
  ])('%s', (_form, shown) => {
    const line = redact(`Azure said: ${shown} (request abc)`)
    expect(line).toMatch(/^Azure said: .*\*\*\*.* \(request abc\)$/s)
    for (const part of [PASSWORD.slice(0, 12), PASSWORD.slice(-12), base64(PASSWORD).slice(4, 20)])
      expect(line).not.toContain(part)
    expect(line).not.toMatch(/\\u002B|%2b|&#43;/i)
  })

  it('keeps the rest of the message readable', () => {
    expect(redact(`code InvalidRequestContent: ${dotnetJson(body)}`)).toBe(
      'code InvalidRequestContent: {"properties":{"configurationSettings":{"service.clusterIP":"10.0.0.10"},"configurationProtectedSettings":{"connectionString":"***"}}}'
    )
  })

  it('leaves base64 and escapes that hold no secret alone', () => {
    const harmless = `id ${base64('just a harmless status text')} \\u002B %2F &amp;`
    expect(redact(harmless)).toBe(harmless)
  })

  it('lists the forms a runner can mask verbatim: aligned base64 and the .NET escapes', () => {
    const forms = secretForms(PASSWORD)
    const inside = base64(`{"password":"${PASSWORD}"}`)
    expect(forms.some((form) => inside.includes(form) && form.length > 40)).toBe(true)
    expect(forms).toContain(dotnetJson(PASSWORD).slice(1, -1))
  })
})

describe('control characters never reach the log as they are', () => {
  it('shows a carriage return, an escape sequence and a bidi override as escapes', () => {
    expect(printable('a\rb\u001b[31mc\u202ed\te')).toBe('a\\rb\\u001B[31mc\\u202Ed\te')
  })

  it('redact keeps line feeds (an error annotation carries them safely) but not a bare CR', () => {
    expect(redact('line one\r\nline two\rthree')).toBe('line one\nline two\\rthree')
  })

  it('a log line is one line and never a workflow command', () => {
    const value = 'debug\r::error title=injected::pwned\n::add-mask::x ##[set-env name=A]b'
    const line = forLog(`      logLevel: ${value} → info`)
    expect(line.split(/\r\n|\r|\n/)).toHaveLength(1)
    expect(line).toBe(
      '      logLevel: debug\\r::error title=injected::pwned\\n::add-mask::x #\\u0023[set-env name=A]b → info'
    )
    expect(forLog('::warning::from Azure')).toBe('\\u003A:warning::from Azure')
    expect(forLog(`  ::group::x`)).toBe('  \\u003A:group::x')
  })

  it('a log line is redacted too', () => {
    expect(forLog(`password ${dotnetJson(PASSWORD)}\nnext`)).toBe('password "***"\\nnext')
  })
})

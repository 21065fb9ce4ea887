import { describe, expect, it } from '@jest/globals'
import { InputError } from '../../src/inputs/errors.js'
import {
  formatDuration,
  isoDurationSeconds,
  NAME_RULES,
  parseBoolean,
  parseCron,
  parseDuration,
  parseEnum,
  parseGuid,
  parseHostPort,
  checkText,
  parseHttpsUrl,
  parseIp,
  parseIsoDuration,
  parseKeyValueLines,
  parseList,
  parseName,
  parseNotifications,
  parseRepositories,
  parseStorageSize,
  parseVersion
} from '../../src/inputs/parsers.js'

const failure = (parse: () => unknown): InputError => {
  try {
    parse()
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error('expected an InputError')
}

describe('parseEnum', () => {
  it.each([
    ['readonly', 'ReadOnly'],
    ['READWRITE', 'ReadWrite'],
    ['ReadOnly', 'ReadOnly']
  ])('matches %s case-insensitively as %s', (value, expected) => {
    expect(parseEnum('mode', value, ['ReadOnly', 'ReadWrite'] as const)).toBe(expected)
  })

  it('lists the allowed values', () => {
    expect(failure(() => parseEnum('mode', 'Foo', ['ReadOnly', 'ReadWrite'])).message).toBe(
      "Input 'mode' has an invalid value 'Foo': expected one of ReadOnly, ReadWrite."
    )
  })
})

describe('parseBoolean', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['False', false],
    ['false', false]
  ])('%s → %s', (value, expected) => {
    expect(parseBoolean('rotate', value)).toBe(expected)
  })

  it.each(['yes', 'no', '1', '0', 'on'])('refuses %s', (value) => {
    expect(failure(() => parseBoolean('rotate', value)).message).toBe(
      `Input 'rotate' has an invalid value '${value}': expected true or false.`
    )
  })
})

describe('parseDuration', () => {
  const range = { minMs: 1_000, maxMs: 6 * 3_600_000 }
  it.each([
    ['30s', 30_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['1500ms', 1_500],
    ['45', 45_000],
    ['2 m', 120_000],
    ['10S', 10_000]
  ])('%s → %d ms', (value, expected) => {
    expect(parseDuration('timeout', value, range)).toBe(expected)
  })

  it.each(['1.5m', '15 minutes', '-5s', '1d', 'PT15M', ''])('refuses %j', (value) => {
    expect(failure(() => parseDuration('timeout', value, range)).message).toContain(
      'expected a duration between 1s and 6h: a whole number with unit ms, s, m or h'
    )
  })

  it('says when a value is out of range', () => {
    expect(failure(() => parseDuration('timeout', '7h', range)).message).toBe(
      "Input 'timeout' has an invalid value '7h' (out of range): expected a duration between 1s and 6h: a whole number with unit ms, s, m or h, such as 30s, 15m or 1h (a bare number is seconds)."
    )
  })

  it.each([
    [3_600_000, '1h'],
    [900_000, '15m'],
    [10_000, '10s'],
    [1_500, '1500ms'],
    [90_000, '90s']
  ])('formats %d ms as %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected)
  })
})

describe('parseIsoDuration', () => {
  const ttl = { min: 'P1D', max: 'P90D', example: 'P2D' }
  it.each([
    ['P2D', 'P2D'],
    ['p7d', 'P7D'],
    ['PT36H', 'PT36H'],
    ['P1DT12H', 'P1DT12H'],
    ['P90D', 'P90D'],
    ['PT1440M', 'PT1440M']
  ])('%s → %s', (value, expected) => {
    expect(parseIsoDuration('message-ttl', value, ttl)).toBe(expected)
  })

  it.each(['P', 'PT', 'P1DT', '2D', 'P1W', 'P1M', 'P1Y', 'P1.5D', 'P-1D'])(
    'refuses %s',
    (value) => {
      expect(failure(() => parseIsoDuration('message-ttl', value, ttl)).message).toBe(
        `Input 'message-ttl' has an invalid value '${value}': expected an ISO 8601 duration between P1D and P90D in days and time (PnDTnHnMnS), such as P2D.`
      )
    }
  )

  it.each(['PT23H', 'P91D'])('refuses %s as out of range', (value) => {
    expect(failure(() => parseIsoDuration('message-ttl', value, ttl)).problem).toBe(
      `has an invalid value '${value}' (out of range)`
    )
  })

  it.each([
    ['PT1H', 3_600],
    ['P1DT1H1M1S', 90_061],
    ['P7D', 604_800]
  ])('%s is %d seconds', (text, seconds) => {
    expect(isoDurationSeconds(text)).toBe(seconds)
  })
})

describe('parseCron', () => {
  it.each([
    ['* * * * *', '* * * * *'],
    ['0 12 * * *', '0 12 * * *'],
    ['*/15 0-6,18-23 1-31/2 1,6,12 1-5', '*/15 0-6,18-23 1-31/2 1,6,12 1-5'],
    ['0  0   * * 7', '0 0 * * 7'],
    ['59 23 31 12 0', '59 23 31 12 0']
  ])('%j → %j', (value, expected) => {
    expect(parseCron('sync-schedule', value)).toBe(expected)
  })

  it.each([
    ['* * * *', '4 fields'],
    ['* * * * * *', '6 fields'],
    ['60 * * * *', "minute '60' is outside 0-59"],
    ['* 24 * * *', "hour '24' is outside 0-23"],
    ['* * 32 * *', "day of month '32' is outside 1-31"],
    ['* * * 0 *', "month '0' is outside 1-12"],
    ['* * * * 8', "day of week '8' is outside 0-7"],
    ['5/10 * * * *', "minute step '5/10' needs '*' or a range before '/'"],
    ['*/60 * * * *', "minute step '60' is outside 1-59"],
    ['10-5 * * * *', "minute range '10-5' is reversed"],
    ['? * * * *', "minute '?' is not valid"],
    ['1,,2 * * * *', "minute '1,,2' is not valid"]
  ])('refuses %j (%s)', (value, detail) => {
    expect(failure(() => parseCron('sync-schedule', value)).problem).toBe(
      `has an invalid value '${value}' (${detail})`
    )
  })
})

describe('parseIp', () => {
  const ALLOWED =
    'expected an IPv4 or IPv6 address, such as 10.0.0.10 or fd00::10, written plainly (no leading zeros, zone index, prefix length or brackets).'
  it.each(['10.0.0.10', '192.168.1.1', 'fd00::10', '2001:db8::10', '2001:db8::10.0.0.1'])(
    'accepts %s',
    (value) => {
      expect(parseIp('service-cluster-ip', value)).toBe(value)
    }
  )
  it.each(['10.0.0', '10.0.0.256', '10.0.0.0/24', 'localhost', 'fd00::10::1', '[fd00::10]'])(
    'refuses %s',
    (value) => {
      expect(failure(() => parseIp('service-cluster-ip', value)).message).toBe(
        `Input 'service-cluster-ip' has an invalid value '${value}': ${ALLOWED}`
      )
    }
  )
  it.each([
    ['fe80::1%eth0', 'an IPv6 zone index (%...) names a host interface'],
    ['fd00::10%25eth0', 'an IPv6 zone index (%...) names a host interface'],
    ['010.0.0.10', 'leading zeros are ambiguous: octal to some parsers, decimal to others'],
    ['10.0.00.10', 'leading zeros are ambiguous: octal to some parsers, decimal to others'],
    [
      '2001:db8::10.0.0.01',
      'leading zeros are ambiguous: octal to some parsers, decimal to others'
    ],
    ['::ffff:10.0.0.10', 'an IPv4-mapped IPv6 address: give the IPv4 address itself'],
    ['::ffff:a00:a', 'an IPv4-mapped IPv6 address: give the IPv4 address itself'],
    ['0.0.0.0', 'an unspecified address'],
    ['::', 'an unspecified address'],
    ['127.0.0.1', 'a loopback address'],
    ['::1', 'a loopback address'],
    ['169.254.10.10', 'a link-local address'],
    ['fe80::10', 'a link-local address'],
    ['239.1.1.1', 'a multicast address'],
    ['ff02::1', 'a multicast address'],
    ['255.255.255.255', 'a reserved or broadcast address']
  ])('refuses %s: %s', (value, detail) => {
    expect(failure(() => parseIp('service-cluster-ip', value)).message).toBe(
      `Input 'service-cluster-ip' has an invalid value '${value}' (${detail}): ${ALLOWED}`
    )
  })
})

describe('parseHostPort', () => {
  it.each([
    '10.0.0.10',
    '10.0.0.10:8443',
    'parent.example.com',
    'parent.example.com:443',
    'fd00::10',
    '[fd00::10]:8443',
    'contosoacr.eastus.data.azurecr.io'
  ])('accepts %s', (value) => {
    expect(parseHostPort('parent-gateway-endpoint', value)).toBe(value)
  })
  it.each([
    ['https://parent:443', 'has a scheme'],
    ['parent:0', 'port outside 1-65535'],
    ['parent:65536', 'port outside 1-65535'],
    ['[parent]:443', 'not an IPv6 address in brackets'],
    ['-parent-', 'not a host name'],
    ['parent_name', 'not a host name'],
    ['010.0.0.10:443', 'leading zeros are ambiguous: octal to some parsers, decimal to others'],
    ['10.0.0:443', 'not an IPv4 address'],
    ['fe80::1%eth0', 'an IPv6 zone index (%...) names a host interface'],
    ['[fe80::1%eth0]:443', 'an IPv6 zone index (%...) names a host interface']
  ])('refuses %s (%s)', (value, detail) => {
    expect(failure(() => parseHostPort('parent-gateway-endpoint', value)).problem).toBe(
      `has an invalid value '${value}' (${detail})`
    )
  })
})

describe('parseHttpsUrl', () => {
  it.each(['https://management.azure.com', 'https://localhost:8443/', 'https://127.0.0.1:4443'])(
    'accepts %s',
    (value) => {
      expect(parseHttpsUrl('arm-endpoint', value, 'https://management.azure.com')).toBe(value)
    }
  )
  it.each([
    [
      'http://management.azure.com',
      "has an invalid value 'http://management.azure.com' (scheme 'http')"
    ],
    ['management.azure.com', "has an invalid value 'management.azure.com'"],
    ['https://user:secret@host', 'contains credentials']
  ])('refuses %s', (value, problem) => {
    const error = failure(() =>
      parseHttpsUrl('arm-endpoint', value, 'https://management.azure.com')
    )
    expect(error.problem).toBe(problem)
    expect(error.message).not.toContain('secret')
  })
})

describe('parseGuid', () => {
  it.each(['0b1f6471-1bf0-4dda-aec3-cb9272f09590', '0B1F6471-1BF0-4DDA-AEC3-CB9272F09590'])(
    'accepts %s',
    (value) => {
      expect(parseGuid('subscription-id', value)).toBe(value)
    }
  )
  it.each(['0b1f64711bf04ddaaec3cb9272f09590', '{0b1f6471-1bf0-4dda-aec3-cb9272f09590}', 'x'])(
    'refuses %s',
    (value) => {
      expect(failure(() => parseGuid('subscription-id', value)).allowed).toBe(
        'expected a GUID such as 00000000-0000-0000-0000-000000000000'
      )
    }
  )
})

describe('name rules', () => {
  it.each([
    ['connectedRegistry', 'edge1', true],
    ['connectedRegistry', 'EdgeRegistry01', true],
    ['connectedRegistry', `a${'b'.repeat(39)}`, true],
    ['connectedRegistry', `a${'b'.repeat(40)}`, false],
    ['connectedRegistry', 'edge', false],
    ['connectedRegistry', '1edge', false],
    ['connectedRegistry', 'edge_registry', false],
    ['registry', 'contosoacr', true],
    ['registry', '12345', true],
    ['registry', 'contoso-acr', false],
    ['resourceGroup', 'edge-rg_(prod).1', true],
    ['resourceGroup', 'rg-åäö', true],
    ['resourceGroup', 'rg.', false],
    ['resourceGroup', 'r'.repeat(91), false],
    ['cluster', 'edge-cluster_01', true],
    ['cluster', 'c', true],
    ['cluster', '_cluster', false],
    ['cluster', 'c'.repeat(64), false],
    ['extension', 'edgeregistry01', true],
    ['extension', 'cr.edge-01', true],
    ['extension', 'Edge', false],
    ['extension', 'edge-', false],
    ['extension', '.edge', false],
    ['token', 'reader-token', true],
    ['token', 'abcd', false],
    ['kubernetesSecret', 'registry-tls.v1', true],
    ['kubernetesSecret', 'Registry', false],
    ['namespace', 'connected-registry', true],
    ['namespace', 'connected.registry', false],
    ['releaseTrain', 'Stable', true],
    ['releaseTrain', 'preview', true],
    ['releaseTrain', 'stable train', false]
  ] as const)('%s %j → %s', (rule, value, valid) => {
    expect(NAME_RULES[rule].pattern.test(value)).toBe(valid)
  })

  it('explains the rule', () => {
    expect(failure(() => parseName('registry', 'a', NAME_RULES.registry)).message).toBe(
      "Input 'registry' has an invalid value 'a': expected the registry name (not its login server): 5 to 50 letters and digits."
    )
  })
})

describe('lists', () => {
  it.each([
    ['a, b,c', ['a', 'b', 'c']],
    ['a\nb\r\nc\n', ['a', 'b', 'c']],
    ['a,,b, a', ['a', 'b']],
    ['', []]
  ])('parseList(%j)', (value, expected) => {
    expect(parseList(value)).toEqual(expected)
  })

  it.each([
    ['hello-world', ['hello-world']],
    ['samples/app, samples/*', ['samples/app', 'samples/*']],
    ['a__b/c--d/e.f', ['a__b/c--d/e.f']],
    ['hello-world\nhello-world', ['hello-world']]
  ])('parseRepositories(%j)', (value, expected) => {
    expect(parseRepositories('repositories', value)).toEqual(expected)
  })

  it.each(['Hello', 'a//b', 'a/', '/a', '*', 'a/*/b', 'a/**', 'a*', 'a_-b', '-a'])(
    'refuses repository %j',
    (value) => {
      expect(failure(() => parseRepositories('repositories', value)).problem).toBe(
        `has an invalid repository '${value}'`
      )
    }
  )

  it.each([
    ['hello-world:*:*', ['hello-world:*:*']],
    ['sample/repo/*:1.0:*', ['sample/repo/*:1.0:*']],
    ['*:*', ['*:*']],
    ['app@sha256:abc:delete, app:tag:push', ['app@sha256:abc:delete', 'app:tag:push']]
  ])('parseNotifications(%j)', (value, expected) => {
    expect(parseNotifications('notifications', value)).toEqual(expected)
  })

  it.each(['hello-world', 'hello-world:pull', ':push', 'app::push', 'app@:push'])(
    'refuses notification %j',
    (value) => {
      expect(failure(() => parseNotifications('notifications', value)).problem).toBe(
        `has an invalid notification '${value}'`
      )
    }
  )
})

describe('parseKeyValueLines', () => {
  it('reads key=value lines, skipping blanks and comments, splitting on the first =', () => {
    expect(
      parseKeyValueLines(
        'extension-config',
        '# registry tuning\n\nregistry.logLevel = debug\r\nfoo.bar=a=b\nempty='
      )
    ).toEqual({ 'registry.logLevel': 'debug', 'foo.bar': 'a=b', empty: '' })
  })

  it.each([
    ['novalue', "has no '=' on line 1"],
    ['=value', "has an invalid key '' on line 1"],
    ['a b=1', "has an invalid key 'a b' on line 1"],
    ['x=1\ny=2\nX=3', "sets 'X' twice (lines 1 and 3)"]
  ])('refuses %j', (value, problem) => {
    expect(failure(() => parseKeyValueLines('extension-config', value)).problem).toBe(problem)
  })
})

describe('versions and sizes', () => {
  it.each(['0.11.0', '1.5.0', '1.0.0-preview.1'])('accepts version %s', (value) => {
    expect(parseVersion('extension-version', value)).toBe(value)
  })
  it.each(['1', '1.2', 'v1.2.3', 'latest'])('refuses version %s', (value) => {
    expect(failure(() => parseVersion('extension-version', value)).allowed).toBe(
      'expected a version x.y.z, such as 0.11.0'
    )
  })
  it.each(['250Gi', '1Ti', '500G', '1.5Ti'])('accepts size %s', (value) => {
    expect(parseStorageSize('storage-size', value)).toBe(value)
  })
  it.each(['250GB', '0Gi', 'lots', '-1Gi'])('refuses size %s', (value) => {
    expect(failure(() => parseStorageSize('storage-size', value)).allowed).toBe(
      'expected a Kubernetes quantity with a unit such as 250Gi or 1Ti'
    )
  })
})

describe('checkText', () => {
  it('accepts a value within its bound, tabs, and line breaks where lines belong', () => {
    expect(() => checkText('cluster', 'edge\tcluster', { maxLength: 20 })).not.toThrow()
    expect(() =>
      checkText('repositories', 'a\r\nb\nc', { maxLength: 20, lines: true })
    ).not.toThrow()
  })
  it.each([
    [
      'a value over the bound',
      'x'.repeat(21),
      {},
      "Input 'i' is 21 characters long: expected at most 20 characters."
    ],
    [
      'a line feed in a one-line input',
      'ab\n::error::x',
      {},
      "Input 'i' contains the control character U+000A (line feed) at position 3: expected one line of text without control characters."
    ],
    [
      'an escape sequence in a list',
      'a\n b\u001b[0m',
      { lines: true },
      "Input 'i' contains the control character U+001B (escape) at line 2, column 3: expected lines of text without control characters other than line breaks and tabs."
    ],
    ['DEL', 'ab\u007f', {}, 'U+007F (delete) at position 3'],
    ['a C1 control', 'ab\u0085', {}, 'U+0085 at position 3'],
    ['a bidi override', 'ab\u202ecd', {}, 'U+202E at position 3'],
    [
      'a line separator in a list',
      'ab\u2028cd',
      { lines: true },
      'U+2028 (line separator) at line 1, column 3'
    ]
  ])('refuses %s, naming where but not what', (_what, value, shape, message) => {
    const error = failure(() => checkText('i', value, { maxLength: 20, ...shape }))
    expect(error.message).toContain(message)
    expect(error.message).not.toContain('::error')
  })
})

describe('parseKeyValueLines bounds', () => {
  it('refuses a carriage return inside a value, and values and keys over their bound', () => {
    expect(failure(() => parseKeyValueLines('c', 'a=1\r\nb=x\ry')).problem).toBe(
      'has a carriage return inside line 2'
    )
    expect(failure(() => parseKeyValueLines('c', `a=${'v'.repeat(4097)}`)).message).toBe(
      "Input 'c' sets 'a' to a value of 4097 characters on line 1: expected values of at most 4096 characters."
    )
    expect(parseKeyValueLines('c', `a=${'v'.repeat(4096)}`).a).toHaveLength(4096)
    expect(failure(() => parseKeyValueLines('c', `${'k'.repeat(254)}=1`)).problem).toBe(
      'has a key of 254 characters on line 1'
    )
  })
})

// Every case of the corpus fails parseSettings with exactly one message that names the input,
// says what is wrong and what is allowed, and never shows a secret.

import { describe, expect, it } from '@jest/globals'
import { InputError } from '../../src/inputs/errors.js'
import { fromRecord } from '../../src/inputs/input-reader.js'
import { parseSettings } from '../../src/inputs/parse-settings.js'
import {
  invalidInputCases,
  VALID_BASE_INPUTS,
  type InvalidInputCase
} from './invalid-inputs.corpus.js'

const cases = await invalidInputCases()

function failureOf(testCase: InvalidInputCase): unknown {
  const reader = fromRecord({ ...VALID_BASE_INPUTS, ...testCase.inputs })
  try {
    parseSettings(reader, testCase.env ?? {})
  } catch (error) {
    return error
  }
  return undefined
}

/** Lines of secret text long enough to be recognisable, in PEM and base64 form. */
function secretFragments(testCase: InvalidInputCase): string[] {
  const secrets = [testCase.inputs['tls-key'] ?? '']
  const config = testCase.inputs['extension-config'] ?? ''
  // A protected key put in extension-config: its value must not be echoed either.
  for (const line of config.split('\n')) {
    if (/^tls\.|^connectionString/i.test(line)) secrets.push(line.slice(line.indexOf('=') + 1))
  }
  return secrets
    .flatMap((secret) => [secret, Buffer.from(secret).toString('base64')])
    .flatMap((secret) => secret.split(/\r?\n/))
    .map((line) => line.trim())
    .filter((line) => line.length >= 8 && !line.startsWith('-----'))
}

describe('the invalid input corpus', () => {
  it('has at least 45 cases with unique names', () => {
    expect(cases.length).toBeGreaterThanOrEqual(45)
    expect(new Set(cases.map((testCase) => testCase.name)).size).toBe(cases.length)
  })

  it('is built on a valid base set', () => {
    expect(() => parseSettings(fromRecord(VALID_BASE_INPUTS), {})).not.toThrow()
  })
})

describe('parseSettings rejects', () => {
  it.each(cases.map((testCase) => [testCase.name, testCase] as const))('%s', (_name, testCase) => {
    const error = failureOf(testCase)
    expect(error).toBeInstanceOf(InputError)
    const { input, message } = error as InputError
    expect(input).toBe(testCase.input)
    expect(message).toMatch(new RegExp(`^Input '${testCase.input}' .+: .+\\.$`))
    expect(message).not.toContain('\n')
    for (const fragment of testCase.messageIncludes) expect(message).toContain(fragment)
    for (const fragment of secretFragments(testCase)) expect(message).not.toContain(fragment)
  })
})

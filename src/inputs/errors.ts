// Input validation failures. Every message has the same shape so a user can act on it at once:
//   Input '<name>' <what is wrong>: <what is allowed>.
// The builders below are the only way messages are made, so tests can assert exact text.
// A value is echoed only through `invalidValue`, which callers never use for secret inputs.

import { printable } from '../secrets.js'

export class InputError extends Error {
  constructor(
    /** The input the message is about, e.g. 'mode'. */
    readonly input: string,
    /** What is wrong, phrased to follow "Input 'x' ", e.g. "has an invalid value 'Foo'". */
    readonly problem: string,
    /** What is allowed or what to do instead, e.g. 'expected one of ReadOnly, ReadWrite'. */
    readonly allowed: string
  ) {
    super(`Input '${input}' ${problem}: ${allowed}.`)
    this.name = 'InputError'
  }
}

/** Several inputs are invalid: one line per input, so a single run reports every problem. */
export class InputErrors extends Error {
  constructor(readonly errors: readonly InputError[]) {
    super(
      `${errors.length} inputs are invalid:\n${errors.map((error) => `- ${error.message}`).join('\n')}`
    )
    this.name = 'InputErrors'
  }
}

const MAX_ECHO = 80

/** Quotes a (non-secret) value for a message: one line, control characters escaped,
 * shortened when long. */
export function quote(value: string): string {
  const oneLine = printable(value).replace(/\n/g, '\\n')
  return `'${oneLine.length > MAX_ECHO ? `${oneLine.slice(0, MAX_ECHO)}…` : oneLine}'`
}

export const inputErrors = {
  /** A required input is empty. `when` says why it is required, e.g. "for operation 'deploy'". */
  required: (input: string, allowed: string, when?: string): InputError =>
    new InputError(input, `is not set but is required${when ? ` ${when}` : ''}`, allowed),

  /** A value that does not parse or is out of range; `detail` pinpoints the faulty part. */
  invalidValue: (input: string, value: string, allowed: string, detail?: string): InputError =>
    new InputError(
      input,
      `has an invalid value ${quote(value)}${detail ? ` (${detail})` : ''}`,
      allowed
    ),

  /** An enum value that is none of the allowed ones (compared case-insensitively). */
  notOneOf: (input: string, value: string, allowed: readonly string[]): InputError =>
    new InputError(
      input,
      `has an invalid value ${quote(value)}`,
      `expected one of ${allowed.join(', ')}`
    ),

  /** A problem described without the value: for secrets and for long PEM text. */
  invalid: (input: string, problem: string, allowed: string): InputError =>
    new InputError(input, problem, allowed),

  /** An input that has no effect (or the wrong one) together with another input's value. */
  notUsedWith: (input: string, other: string, allowed: string): InputError =>
    new InputError(input, `cannot be used with ${other}`, allowed)
}

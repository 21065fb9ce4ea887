// The port through which parsing reads the action's inputs. Parsing depends on this interface
// only, never on @actions/core, so tests feed inputs as a plain record and need no mocks.

export interface InputReader {
  /** The input's value, trimmed; '' when the input is absent. */
  get(name: string): string
}

/** The environment variable a runner sets for an input, exactly as @actions/core's getInput
 * looks it up: upper case, spaces become '_', hyphens are kept (INPUT_SERVICE-CLUSTER-IP). */
export function inputVariableName(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
}

/** Reads inputs from INPUT_* variables, as the runner passes them to a JavaScript action. */
export function fromEnvironment(env: NodeJS.ProcessEnv): InputReader {
  return { get: (name) => (env[inputVariableName(name)] ?? '').trim() }
}

/** Reads inputs from a record of input name → value (tests, other front ends). */
export function fromRecord(values: Readonly<Record<string, string | undefined>>): InputReader {
  return { get: (name) => (values[name] ?? '').trim() }
}

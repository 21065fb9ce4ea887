// The fleet's messages, in one place. A sites-file problem names the file, the line and the
// field, then what is wrong and what is allowed, as input messages do:
//   sites.yml:12: site 'store042': field 'mode' has an invalid value 'Foo': expected one of ...

import { ActionError } from '../azure/errors.js'
import { InputError, quote } from '../inputs/errors.js'

export interface SitesFileProblem {
  file: string
  /** 1-based; absent for a problem with the file as a whole or with a step input. */
  line?: number
  /** Where in the file: "site 'store042'", 'defaults', 'sites[3]'; absent for step inputs. */
  where?: string
  /** The field (an input name) the problem is about; absent for problems of shape. */
  field?: string
  /** What is wrong, phrased to follow the field ("has an invalid value 'x'"). */
  problem: string
  /** What is allowed or what to do. */
  allowed: string
}

export function formatProblem(p: SitesFileProblem): string {
  const location = `${p.file}${p.line ? `:${p.line}` : ''}`
  const where = p.where ? `${p.where}: ` : ''
  const subject = p.field ? `field '${p.field}' ` : ''
  return `${location}: ${where}${subject}${p.problem}: ${p.allowed}.`
}

/** Every problem of a sites file at once, so one run shows all there is to fix. Nothing is
 * requested from Azure while a sites file has a problem. */
export class SitesFileError extends ActionError {
  constructor(readonly problems: readonly SitesFileProblem[]) {
    const lines = [...new Set(problems.map(formatProblem))]
    super(
      lines.length === 1
        ? lines[0]
        : `The sites file has ${lines.length} problems:\n${lines.map((line) => `- ${line}`).join('\n')}`
    )
    this.name = 'SitesFileError'
  }
}

export const sitesFileProblems = {
  unreadable: (file: string, reason: string): SitesFileProblem => ({
    file,
    problem: `cannot be read (${reason})`,
    allowed:
      "expected the path of a YAML file in the repository, relative to the workspace, given in the input 'sites'"
  }),
  yaml: (file: string, line: number | undefined, message: string): SitesFileProblem => ({
    file,
    line,
    problem: `is not valid YAML (${message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')})`,
    allowed: 'fix the YAML syntax'
  }),
  shape: (
    file: string,
    line: number | undefined,
    where: string,
    problem: string,
    allowed: string
  ) => ({ file, line, where, problem, allowed }) satisfies SitesFileProblem,
  unknownField: (file: string, line: number, where: string, field: string): SitesFileProblem => ({
    file,
    line,
    where,
    field,
    problem: 'is not an input a site can set',
    allowed:
      'expected one of the per-site inputs of action.yml (schema/sites.schema.json lists them), written as in action.yml'
  }),
  secretField: (file: string, line: number, where: string, field: string): SitesFileProblem => ({
    file,
    line,
    where,
    field,
    problem: 'is key material, which never belongs in a file in the repository',
    allowed: `remove it and pass '${field}' as a step input from a secret (\${{ secrets.NAME }})`
  }),
  stepField: (file: string, line: number, where: string, field: string): SitesFileProblem => ({
    file,
    line,
    where,
    field,
    problem: 'applies to the whole step, not to one site',
    allowed: `remove it from the file and set '${field}' as a step input`
  }),
  identityInDefaults: (file: string, line: number, field: string): SitesFileProblem => ({
    file,
    line,
    where: 'defaults',
    field,
    problem: 'cannot have a default',
    allowed: `set '${field}' on each site: every site names its own`
  }),
  missingIdentity: (
    file: string,
    line: number,
    where: string,
    field: string
  ): SitesFileProblem => ({
    file,
    line,
    where,
    field,
    problem: 'is not set but every site needs it',
    allowed: `add '${field}' to the site`
  }),
  notText: (
    file: string,
    line: number,
    where: string,
    field: string,
    list: boolean,
    map: boolean
  ) =>
    ({
      file,
      line,
      where,
      field,
      problem: 'has a value of the wrong shape',
      allowed: `expected text${list ? ' or a list of texts' : ''}${map ? ' or a mapping of key: value' : ''}`
    }) satisfies SitesFileProblem,
  duplicateConnectedRegistry: (
    file: string,
    line: number,
    where: string,
    name: string,
    registry: string,
    firstLine: number
  ): SitesFileProblem => ({
    file,
    line,
    where,
    field: 'connected-registry',
    problem: `names connected registry ${quote(name)} of registry '${registry}' again (first at line ${firstLine})`,
    allowed: 'give every site its own connected registry: one connected registry serves one cluster'
  }),
  duplicateExtension: (
    file: string,
    line: number,
    where: string,
    field: string,
    extension: string,
    cluster: string,
    firstLine: number
  ): SitesFileProblem => ({
    file,
    line,
    where,
    field,
    problem: `gives extension '${extension}' on cluster '${cluster}' again (first at line ${firstLine})`,
    allowed:
      "give each site on a cluster its own 'extension-name' (it defaults to the connected registry's name in lower case)"
  }),
  unknownParent: (
    file: string,
    line: number,
    where: string,
    parent: string,
    registry: string,
    lookedInAzure: boolean
  ): SitesFileProblem => ({
    file,
    line,
    where,
    field: 'parent',
    problem: `names connected registry ${quote(parent)}, which is neither a site of registry '${registry}' in this file${lookedInAzure ? ' nor a connected registry of it in Azure' : ''}`,
    allowed:
      'expected the name of a connected registry of the same registry (a site in the file, or one that exists), or no parent'
  }),
  tooManyConnectedRegistries: (
    file: string,
    line: number,
    where: string,
    registry: string,
    inFile: number,
    onlyInAzure: number,
    limit: number
  ): SitesFileProblem => ({
    file,
    line,
    where,
    field: 'registry',
    problem: `would give registry '${registry}' ${inFile + onlyInAzure} connected registries (${inFile} sites in the file${onlyInAzure ? `, ${onlyInAzure} more already in Azure` : ''}), more than the ${limit} Azure allows per registry`,
    allowed:
      'spread the sites over several registries (set registry per site), or remove connected registries that are no longer used'
  }),
  stepInput: (file: string, message: string): SitesFileProblem => ({
    file,
    problem: `cannot be used: ${message.replace(/\.$/, '')}`,
    allowed: 'fix the step input'
  })
}

/** The step's own fleet inputs (select, canary-sites): input messages, in the inputs' shape. */
export const fleetInputProblems = {
  selectMatchesNothing: (pattern: string, file: string): InputError =>
    new InputError(
      'select',
      `has a pattern ${quote(pattern)} that matches no site of ${file}`,
      'expected connected-registry names or glob patterns (* and ?) of sites in the file, or registry/connected-registry'
    ),
  canaryMatchesNothing: (pattern: string): InputError =>
    new InputError(
      'canary-sites',
      `has a pattern ${quote(pattern)} that matches no site this step runs`,
      'expected a count, or connected-registry names or glob patterns of sites this step runs (after select and shard)'
    )
}

/** Why a site did not start. */
export const skipReasons = {
  budget: (failed: number, allowed: number): string =>
    `not started: ${failed} site(s) failed, more than the failure budget of ${allowed}; re-run the step to continue`,
  canary: (failedCanaries: readonly string[]): string =>
    `not started: the canary wave failed (${failedCanaries.join(', ')}); fix it and re-run the step to continue`,
  cancelled: (): string => 'not started: the run was cancelled or ran out of time'
}

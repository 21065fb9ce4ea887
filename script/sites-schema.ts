// Generates schema/sites.schema.json, the JSON Schema of a sites file, from action.yml (each
// per-site input's description and default) and the parser's own rules (names, enums, booleans),
// so editors check a sites file as the action does. A test fails when the committed schema and
// this generator disagree: run `npm run schema` after changing an input.
//
// usage: node --import tsx script/sites-schema.ts

import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import YAML from 'yaml'
import { INPUT } from '../src/inputs/parse-settings.js'
import { NAME_RULES, type NameRule } from '../src/inputs/parsers.js'
import {
  LIST_INPUTS,
  MAP_INPUTS,
  PER_SITE_INPUTS,
  SITE_IDENTITY_INPUTS,
  type PerSiteInput
} from '../src/fleet/site-inputs.js'
import { LOG_LEVELS, MODES, TLS_STRATEGIES } from '../src/settings.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const SCHEMA_PATH = path.join(root, 'schema/sites.schema.json')

export interface ActionInput {
  description: string
  required?: boolean
  default?: string
}

type Schema = Record<string, unknown>

/** A pattern that matches the words in any case, as the parser compares enums. */
const anyCase = (words: readonly string[]): string =>
  `^(?:${words
    .map((word) =>
      word
        .split('')
        .map((c) =>
          /[a-z]/i.test(c)
            ? `[${c.toUpperCase()}${c.toLowerCase()}]`
            : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        )
        .join('')
    )
    .join('|')})$`

/** Completion offers the canonical spelling; any case is accepted, as by the action. */
const enumOf = (values: readonly string[]): Schema => ({
  anyOf: [{ enum: [...values] }, { type: 'string', pattern: anyCase(values) }]
})

const SCALAR = { type: ['string', 'number', 'boolean'] }
const named = (rule: NameRule): Schema => ({ ...SCALAR, pattern: rule.pattern.source })

const ENUMS: Partial<Record<PerSiteInput, readonly string[]>> = {
  [INPUT.mode]: MODES,
  [INPUT.tls]: TLS_STRATEGIES,
  [INPUT.logLevel]: LOG_LEVELS,
  [INPUT.parentProtocol]: ['https', 'http']
}

const BOOLEANS: readonly PerSiteInput[] = [
  INPUT.trustDistribution,
  INPUT.autoUpgradeMinorVersion,
  INPUT.rotate,
  INPUT.revokeOldPassword,
  INPUT.forceDelete
]

const NAMES: Partial<Record<PerSiteInput, NameRule>> = {
  [INPUT.resourceGroup]: NAME_RULES.resourceGroup,
  [INPUT.registry]: NAME_RULES.registry,
  [INPUT.connectedRegistry]: NAME_RULES.connectedRegistry,
  [INPUT.cluster]: NAME_RULES.cluster,
  [INPUT.clusterResourceGroup]: NAME_RULES.resourceGroup,
  [INPUT.extensionName]: NAME_RULES.extension,
  [INPUT.parent]: NAME_RULES.connectedRegistry,
  [INPUT.tlsSecret]: NAME_RULES.kubernetesSecret,
  [INPUT.storageClass]: NAME_RULES.storageClass,
  [INPUT.releaseNamespace]: NAME_RULES.namespace,
  [INPUT.releaseTrain]: NAME_RULES.releaseTrain
}

function valueSchema(name: PerSiteInput): Schema {
  const values = ENUMS[name]
  if (values) return enumOf(values)
  if (BOOLEANS.includes(name))
    return { anyOf: [{ type: 'boolean' }, { type: 'string', pattern: anyCase(['true', 'false']) }] }
  const rule = NAMES[name]
  if (rule) return named(rule)
  if (LIST_INPUTS.includes(name)) {
    return { anyOf: [SCALAR, { type: 'array', items: SCALAR }] }
  }
  if (MAP_INPUTS.includes(name)) {
    return { anyOf: [{ type: 'string' }, { type: 'object', additionalProperties: SCALAR }] }
  }
  return SCALAR
}

export function buildSitesSchema(inputs: Record<string, ActionInput>): Schema {
  const definitions: Record<string, Schema> = {}
  for (const name of PER_SITE_INPUTS) {
    const input = inputs[name]
    if (!input) throw new Error(`action.yml has no input '${name}'`)
    const identity = (SITE_IDENTITY_INPUTS as readonly string[]).includes(name)
    definitions[name] = {
      description: input.description.trim(),
      ...(input.default !== undefined ? { default: input.default } : {}),
      // Empty (or no value) leaves the input unset, hiding the default below it.
      ...(identity
        ? valueSchema(name)
        : { anyOf: [valueSchema(name), { type: 'null' }, { const: '' }] })
    }
  }
  const properties = (names: readonly string[]) =>
    Object.fromEntries(names.map((name) => [name, { $ref: `#/definitions/${name}` }]))
  const defaultsNames = PER_SITE_INPUTS.filter(
    (name) => !(SITE_IDENTITY_INPUTS as readonly string[]).includes(name)
  )
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title: 'Sites file of the connected-registry action',
    description:
      "A fleet's sites, for the action's 'sites' input. Each site sets at least connected-registry and cluster; defaults apply to every site that does not set a field; step inputs apply below both. Key material (tls-cert, tls-key, tls-ca-cert) and step-wide inputs (operation, timeout, sign-in) are step inputs only.",
    type: 'object',
    additionalProperties: false,
    required: ['sites'],
    properties: {
      defaults: {
        description: 'Inputs every site gets unless it sets them itself.',
        anyOf: [
          { type: 'object', additionalProperties: false, properties: properties(defaultsNames) },
          { type: 'null' }
        ]
      },
      sites: {
        description: 'The sites: one connected registry on one Arc-enabled cluster each.',
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: [...SITE_IDENTITY_INPUTS],
          properties: properties(PER_SITE_INPUTS)
        }
      }
    },
    definitions
  }
}

export function readActionInputs(): Record<string, ActionInput> {
  const action = YAML.parse(fs.readFileSync(path.join(root, 'action.yml'), 'utf8')) as {
    inputs: Record<string, ActionInput>
  }
  return action.inputs
}

export const renderSchema = (schema: Schema): string => `${JSON.stringify(schema, null, 2)}\n`

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  fs.mkdirSync(path.dirname(SCHEMA_PATH), { recursive: true })
  fs.writeFileSync(SCHEMA_PATH, renderSchema(buildSitesSchema(readActionInputs())))
  console.log(`wrote ${path.relative(root, SCHEMA_PATH)}`)
}

// The published JSON Schema of a sites file cannot drift from action.yml or from the parser: it
// is generated from them (script/sites-schema.ts), the committed file must equal the generated
// one, the example validates against both, and both accept and refuse the same sample fields.

import fs from 'node:fs'
import { describe, expect, it } from '@jest/globals'
import { Ajv } from 'ajv'
import YAML from 'yaml'
import { fromRecord } from '../../src/inputs/input-reader.js'
import { INPUT } from '../../src/inputs/parse-settings.js'
import { parseSitesFile } from '../../src/fleet/sites-file.js'
import {
  FILE_FORBIDDEN_SECRET_INPUTS,
  FLEET_INPUT,
  PER_SITE_INPUTS,
  STEP_INPUTS
} from '../../src/fleet/site-inputs.js'
import { buildSitesSchema, readActionInputs, SCHEMA_PATH } from '../../script/sites-schema.js'

const EXAMPLE = 'examples/fleet/sites.yml'
const actionInputs = readActionInputs()
const committed = JSON.parse(fs.readFileSync(SCHEMA_PATH, 'utf8')) as Record<string, unknown>
const validate = new Ajv({ allErrors: true, strict: false }).compile(committed)
const env = { AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-0000000000aa' }

/** Whether the schema accepts a file, as an editor reads it (YAML's core schema). */
const schemaAccepts = (text: string): boolean => validate(YAML.parse(text)) as boolean
/** Whether the action accepts a file. */
function actionAccepts(text: string): boolean {
  try {
    parseSitesFile(text, { file: 'sites.yml', step: fromRecord({}), env })
    return true
  } catch {
    return false
  }
}

describe('sites schema', () => {
  it('puts every input of action.yml in exactly one group: per site, step-wide or key material', () => {
    const groups = [PER_SITE_INPUTS, STEP_INPUTS, FILE_FORBIDDEN_SECRET_INPUTS].flat() as string[]
    expect(groups.length).toBe(new Set(groups).size)
    const fleetInputs = Object.values(FLEET_INPUT) as string[]
    expect(
      Object.keys(actionInputs)
        .filter((name) => !fleetInputs.includes(name))
        .sort()
    ).toEqual([...groups].sort())
    expect([...groups].sort()).toEqual(Object.values(INPUT).sort())
  })

  it('is the one script/sites-schema.ts generates from action.yml (run npm run schema)', () => {
    expect(committed).toEqual(buildSitesSchema(actionInputs))
  })

  it("carries action.yml's descriptions and defaults", () => {
    const definitions = committed.definitions as Record<
      string,
      { description: string; default?: string }
    >
    expect(Object.keys(definitions)).toEqual([...PER_SITE_INPUTS])
    for (const name of PER_SITE_INPUTS) {
      expect(definitions[name].description).toBe(actionInputs[name].description.trim())
      expect(definitions[name].default).toBe(actionInputs[name].default)
    }
  })

  it('validates the example, which the action accepts too, and which names the schema', () => {
    const text = fs.readFileSync(EXAMPLE, 'utf8')
    expect(schemaAccepts(text)).toBe(true)
    expect(validate.errors ?? []).toEqual([])
    expect(actionAccepts(text)).toBe(true)
    const reference = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text)?.[1]
    expect(reference).toBe('../../schema/sites.schema.json')
    expect(fs.existsSync(new URL(`../../${EXAMPLE}/../${reference}`, import.meta.url))).toBe(true)
  })

  const site = (fields: string): string =>
    `defaults: { registry: contosoacr, resource-group: edge-rg, service-cluster-ip: 10.0.0.1 }\nsites:\n  - { connected-registry: store01, cluster: c1${fields ? `, ${fields}` : ''} }\n`

  it.each([
    ['', true],
    ['mode: readwrite', true],
    ['mode: ReadMostly', false],
    ['trust-distribution: false', true],
    ['trust-distribution: yes', false],
    ['parent: ""', true],
    ['parent: store-01', false],
    ['repositories: [a/b, c]', true],
    ['extension-config: { a.b: 1 }', true],
    ['registry: contoso.azurecr.io', false],
    ['release-namespace: Connected', false],
    ['tls-key: abc', false],
    ['operation: plan', false],
    ['colour: blue', false]
  ])('agrees with the action on a site with %p', (fields, accepted) => {
    const text = site(fields)
    expect([schemaAccepts(text), actionAccepts(text)]).toEqual([accepted, accepted])
  })

  it('agrees that a site needs connected-registry and cluster', () => {
    const text = 'sites:\n  - { connected-registry: store01 }\n'
    expect([schemaAccepts(text), actionAccepts(text)]).toEqual([false, false])
  })
})

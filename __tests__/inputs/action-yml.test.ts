// action.yml is the public interface: it must declare exactly the inputs the parser reads, with
// the same defaults, and every output the issue lists.

import fs from 'node:fs'
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'
import { FLEET_INPUT } from '../../src/fleet/site-inputs.js'
import { INPUT, INPUT_DEFAULTS } from '../../src/inputs/parse-settings.js'

interface ActionYml {
  name: string
  description: string
  branding: { icon: string; color: string }
  inputs: Record<string, { description: string; required?: boolean; default?: string }>
  outputs: Record<string, { description: string }>
  runs: { using: string; main: string }
}

const action = parse(fs.readFileSync('action.yml', 'utf8')) as ActionYml

const OUTPUTS = [
  'connected-registry-id',
  'extension-id',
  'connection-state',
  'activation-status',
  'login-server',
  'extension-version',
  'last-sync-time',
  'sync-token-id',
  'password-slot',
  'changed',
  'plan',
  'connection-string',
  'results',
  'failed',
  'client-token-username',
  'client-token-password',
  'ca-certificate'
]

describe('action.yml', () => {
  it('runs dist/index.js on node24 and has branding', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' })
    expect(action.name).toBeTruthy()
    expect(action.description).toBeTruthy()
    expect(action.branding.icon).toBeTruthy()
    expect(action.branding.color).toBeTruthy()
  })

  it('declares exactly the inputs the parser reads', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(
      [...Object.values(INPUT), ...Object.values(FLEET_INPUT)].sort()
    )
  })

  // A default would reach every step, and a fleet input on a single-site step is an error.
  it.each(Object.values(FLEET_INPUT))('gives fleet input %s no default', (name) => {
    expect(action.inputs[name].description.length).toBeGreaterThan(10)
    expect(action.inputs[name].default).toBeUndefined()
  })

  it('requires no target input: a step with sites names none', () => {
    for (const name of ['resource-group', 'registry', 'connected-registry', 'cluster']) {
      expect(action.inputs[name].required).toBe(false)
    }
  })

  it.each(Object.values(INPUT))('describes input %s', (name) => {
    expect(action.inputs[name].description.length).toBeGreaterThan(10)
  })

  it.each(Object.values(INPUT))('gives input %s the parser default, or none', (name) => {
    const expected = (INPUT_DEFAULTS as Record<string, string>)[name]
    expect(action.inputs[name].default).toBe(expected)
  })

  it('declares every output with a description', () => {
    expect(Object.keys(action.outputs).sort()).toEqual([...OUTPUTS].sort())
    for (const output of OUTPUTS)
      expect(action.outputs[output].description.length).toBeGreaterThan(10)
  })
})

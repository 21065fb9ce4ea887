import { describe, expect, it } from '@jest/globals'
import { fromEnvironment, fromRecord, inputVariableName } from '../../src/inputs/input-reader.js'

describe('fromEnvironment', () => {
  it.each([
    ['service-cluster-ip', 'INPUT_SERVICE-CLUSTER-IP'],
    ['mode', 'INPUT_MODE'],
    ['some input', 'INPUT_SOME_INPUT']
  ])('reads %s from %s, as @actions/core does', (name, variable) => {
    expect(inputVariableName(name)).toBe(variable)
    expect(fromEnvironment({ [variable]: '  value \n' }).get(name)).toBe('value')
  })

  it('gives an empty string for an absent input', () => {
    expect(fromEnvironment({}).get('mode')).toBe('')
  })

  it('does not read the variable with underscores for a hyphenated name', () => {
    expect(
      fromEnvironment({ INPUT_SERVICE_CLUSTER_IP: '10.0.0.10' }).get('service-cluster-ip')
    ).toBe('')
  })
})

describe('fromRecord', () => {
  it('trims values and gives an empty string for absent inputs', () => {
    const reader = fromRecord({ mode: ' ReadWrite ' })
    expect(reader.get('mode')).toBe('ReadWrite')
    expect(reader.get('tls')).toBe('')
  })
})

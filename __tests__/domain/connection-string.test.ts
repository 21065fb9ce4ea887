import { describe, expect, it } from '@jest/globals'
import {
  buildConnectionString,
  parentEndpointProtocol,
  type ConnectionStringParts
} from '../../src/domain/connection-string.js'

const parts: ConnectionStringParts = {
  connectedRegistryName: 'myconnectedregistry',
  syncTokenName: 'myconnectedregistry-sync-token',
  syncTokenPassword: 'xxxxxxxxxxxxxxxx',
  parentGatewayEndpoint: 'contosoregistry.eastus.data.azurecr.io',
  parentEndpointProtocol: 'https'
}

describe('buildConnectionString', () => {
  it('matches the documented example exactly', () => {
    expect(buildConnectionString(parts)).toBe(
      'ConnectedRegistryName=myconnectedregistry;SyncTokenName=myconnectedregistry-sync-token;SyncTokenPassword=xxxxxxxxxxxxxxxx;ParentGatewayEndpoint=contosoregistry.eastus.data.azurecr.io;ParentEndpointProtocol=https'
    )
  })

  it('builds a nested registry string with http and a port', () => {
    expect(
      buildConnectionString({
        ...parts,
        connectedRegistryName: 'child01',
        syncTokenName: 'child01',
        syncTokenPassword: 'a+b/c=',
        parentGatewayEndpoint: '10.0.0.20:8080',
        parentEndpointProtocol: 'http'
      })
    ).toBe(
      'ConnectedRegistryName=child01;SyncTokenName=child01;SyncTokenPassword=a+b/c=;ParentGatewayEndpoint=10.0.0.20:8080;ParentEndpointProtocol=http'
    )
  })

  it.each<[string, Partial<ConnectionStringParts>, string]>([
    ['an empty gateway endpoint', { parentGatewayEndpoint: '' }, 'ParentGatewayEndpoint is empty'],
    [
      "the CLI's gateway placeholder",
      { parentGatewayEndpoint: '<parent gateway endpoint>' },
      'ParentGatewayEndpoint is empty'
    ],
    [
      "the CLI's password placeholder",
      { syncTokenPassword: '<use --generate-password to generate a new password>' },
      'SyncTokenPassword is empty'
    ],
    ['an empty password', { syncTokenPassword: ' ' }, 'SyncTokenPassword is empty'],
    ['an empty token name', { syncTokenName: '' }, 'SyncTokenName is empty'],
    ['a separator in a value', { syncTokenPassword: 'se;cret' }, 'SyncTokenPassword contains'],
    ['an unknown protocol', { parentEndpointProtocol: 'ftp' as 'https' }, 'must be https or http']
  ])('refuses %s', (_name, change, message) => {
    expect(() => buildConnectionString({ ...parts, ...change })).toThrow(message)
  })

  it('never puts the password in an error', () => {
    let message = ''
    try {
      buildConnectionString({ ...parts, syncTokenPassword: 'top;secret' })
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toBe("Cannot build the connection string: SyncTokenPassword contains ';'.")
    expect(message).not.toContain('secret')
  })
})

describe('parentEndpointProtocol', () => {
  it.each([
    ['http', true, 'http'],
    ['https', true, 'https'],
    ['http', false, 'https'],
    ['https', false, 'https']
  ] as const)('configured %s, nested %s → %s', (parentProtocol, isNested, expected) => {
    expect(parentEndpointProtocol({ parentProtocol }, isNested)).toBe(expected)
  })
})

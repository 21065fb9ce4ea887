// How a fleet step shares Azure between its sites: one data-endpoint update and one permissions
// read per registry or scope, and status reads from a registry's LIST that never predates the
// site's own last write.

import { describe, expect, it } from '@jest/globals'
import type { ConnectedRegistry } from '@azure/arm-containerregistry'
import type { AzurePort } from '../../src/ports.js'
import { BatchedStatusReader } from '../../src/fleet/batched-status.js'
import { sharedPort, sitePort } from '../../src/fleet/step.js'

function fakeAzure() {
  const calls: string[] = []
  let failNext = false
  const azure = {
    correlationId: 'c',
    enableDataEndpoint: async (group: string, registry: string) => {
      calls.push(`enable ${group}/${registry}`)
      await new Promise((resolve) => setTimeout(resolve, 5))
      if (failNext) {
        failNext = false
        throw new Error('busy')
      }
      return {}
    },
    readPermissions: async (scope: string) => {
      calls.push(`permissions ${scope}`)
      return [{ actions: ['*'] }]
    },
    updateConnectedRegistry: async () => {
      calls.push('update')
    },
    getConnectedRegistry: async () => {
      throw new Error('a site reads its connected registry through the LIST')
    }
  } as unknown as AzurePort
  return { azure, calls, failOnce: () => (failNext = true) }
}

describe('sharedPort', () => {
  it('enables a registry’s data endpoint once for all its sites, and retries after a failure', async () => {
    const { azure, calls, failOnce } = fakeAzure()
    const shared = sharedPort(azure)
    failOnce()
    await expect(shared.enableDataEndpoint('rg', 'acr', {})).rejects.toThrow('busy')
    await Promise.all([
      shared.enableDataEndpoint('rg', 'acr', {}),
      shared.enableDataEndpoint('rg', 'ACR', {}),
      shared.enableDataEndpoint('rg', 'other', {})
    ])
    await shared.enableDataEndpoint('rg', 'acr', {})
    expect(calls).toEqual(['enable rg/acr', 'enable rg/acr', 'enable rg/other'])
  })

  it('reads the permissions on a scope once', async () => {
    const { azure, calls } = fakeAzure()
    const shared = sharedPort(azure)
    await Promise.all([shared.readPermissions('/s/rg'), shared.readPermissions('/s/rg')])
    expect(calls).toEqual(['permissions /s/rg'])
  })
})

describe('sitePort', () => {
  it('answers reads from one LIST, and lists again after the site’s own write', async () => {
    const { azure } = fakeAzure()
    let now = 1000
    let lists = 0
    let state = 'Offline'
    const reader = new BatchedStatusReader(
      {
        listConnectedRegistries: async () => {
          lists++
          return [{ name: 'store01', connectionState: state } as ConnectedRegistry]
        }
      },
      { maxAgeMs: 1000, now: () => now }
    )
    const a = sitePort(azure, reader, () => now)
    const b = sitePort(azure, reader, () => now)
    expect((await a.getConnectedRegistry('rg', 'acr', 'store01')).connectionState).toBe('Offline')
    await b.getConnectedRegistry('rg', 'acr', 'store01')
    expect(lists).toBe(1)
    await expect(b.getConnectedRegistry('rg', 'acr', 'nosuch')).rejects.toMatchObject({
      statusCode: 404
    })
    state = 'Online'
    await a.updateConnectedRegistry('rg', 'acr', 'store01', {}, {})
    now += 1
    // Within the LIST's age, but it began before this site's write: a fresh one is sent.
    expect((await a.getConnectedRegistry('rg', 'acr', 'store01')).connectionState).toBe('Online')
    expect(lists).toBe(2)
  })
})

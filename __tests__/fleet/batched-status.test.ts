// Status reads while a fleet waits: one LIST per registry per cycle answers every site of that
// registry; a read never gets a LIST older than a cycle, nor one from before its own write.

import { describe, expect, it } from '@jest/globals'
import type { ConnectedRegistry } from '@azure/arm-containerregistry'
import {
  BatchedStatusReader,
  type ConnectedRegistryLister
} from '../../src/fleet/batched-status.js'

/** A registry's connected registries as Azure would list them, with each LIST recorded. */
class FakeAzure implements ConnectedRegistryLister {
  readonly lists: string[] = []
  states = new Map<string, string>()
  failNext = false
  private release?: () => void
  holdLists = false

  async listConnectedRegistries(
    resourceGroup: string,
    registry: string
  ): Promise<ConnectedRegistry[]> {
    this.lists.push(`${resourceGroup}/${registry}`)
    const snapshot = [...this.states].map(
      ([name, connectionState]) => ({ name, connectionState }) as ConnectedRegistry
    )
    if (this.holdLists) await new Promise<void>((resolve) => (this.release = resolve))
    if (this.failNext) {
      this.failNext = false
      throw new Error('ResourceNotFound')
    }
    return snapshot
  }

  finishList(): void {
    this.release?.()
  }
}

describe('BatchedStatusReader', () => {
  it('answers every site of a registry with one LIST per cycle', async () => {
    const azure = new FakeAzure()
    azure.states = new Map([
      ['store01', 'Online'],
      ['store02', 'Syncing'],
      ['Store03', 'Offline']
    ])
    let now = 0
    const reader = new BatchedStatusReader(azure, { maxAgeMs: 5000, now: () => now })
    const read = (name: string) =>
      reader.read('edge-rg', 'contosoacr', name).then((cr) => cr?.connectionState)
    // Sites polling in one cycle: concurrent and staggered reads share the LIST.
    azure.holdLists = true
    const first = Promise.all(['store01', 'store02', 'store03'].map(read))
    now = 1000
    const later = read('store02')
    azure.finishList()
    expect(await first).toEqual(['Online', 'Syncing', 'Offline'])
    expect(await later).toBe('Syncing')
    expect(await read('store99')).toBeUndefined()
    expect(azure.lists).toEqual(['edge-rg/contosoacr'])
    expect(reader.stats).toEqual({ lists: 1, reads: 5 })

    // The next cycle lists again, and sees the change.
    azure.holdLists = false
    azure.states.set('store02', 'Online')
    now = 5001
    expect(await read('store02')).toBe('Online')
    expect(azure.lists).toHaveLength(2)
  })

  it('lists each registry on its own', async () => {
    const azure = new FakeAzure()
    const reader = new BatchedStatusReader(azure, { maxAgeMs: 5000, now: () => 0 })
    await Promise.all([
      reader.read('edge-rg', 'contosoacr', 'a'),
      reader.read('edge-rg', 'ContosoACR', 'b'),
      reader.read('edge-rg', 'otheracr', 'c')
    ])
    expect(azure.lists).toEqual(['edge-rg/contosoacr', 'edge-rg/otheracr'])
  })

  it('does not answer a read with a LIST that started before the site wrote', async () => {
    const azure = new FakeAzure()
    let now = 0
    const reader = new BatchedStatusReader(azure, { maxAgeMs: 5000, now: () => now })
    await reader.read('edge-rg', 'contosoacr', 'a')
    now = 100
    azure.states.set('a', 'Offline')
    expect((await reader.read('edge-rg', 'contosoacr', 'a', 50))?.connectionState).toBe('Offline')
    expect(azure.lists).toHaveLength(2)
  })

  it('fails the reads a failed LIST served, and lists again for the next read', async () => {
    const azure = new FakeAzure()
    const reader = new BatchedStatusReader(azure, { maxAgeMs: 5000, now: () => 0 })
    azure.failNext = true
    const reads = [
      reader.read('edge-rg', 'contosoacr', 'a'),
      reader.read('edge-rg', 'contosoacr', 'b')
    ]
    await expect(reads[0]).rejects.toThrow('ResourceNotFound')
    await expect(reads[1]).rejects.toThrow('ResourceNotFound')
    azure.states.set('a', 'Online')
    expect((await reader.read('edge-rg', 'contosoacr', 'a'))?.connectionState).toBe('Online')
    expect(azure.lists).toHaveLength(2)
  })
})

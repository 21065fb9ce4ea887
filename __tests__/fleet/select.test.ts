// Selection and shards: `select` names sites by name or glob; `shard: i/n` splits a fleet into
// n disjoint subsets that stay put when the file changes elsewhere.

import { describe, expect, it } from '@jest/globals'
import { InputError } from '../../src/inputs/errors.js'
import {
  globMatcher,
  parseSelect,
  parseShard,
  selectSites,
  shardOf,
  type Selectable
} from '../../src/fleet/select.js'

const site = (name: string, registry = 'contosoacr'): Selectable => ({
  name,
  key: `${registry}/${name}`.toLowerCase()
})
const fleet = (count: number, prefix = 'store'): Selectable[] =>
  Array.from({ length: count }, (_, i) => site(`${prefix}${String(i + 1).padStart(3, '0')}`))
const names = (sites: Selectable[]): string[] => sites.map((s) => s.name)
const FILE = 'fleet/sites.yml'

describe('parseShard', () => {
  it('reads i/n, 1-based', () => {
    expect(parseShard('')).toBeUndefined()
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 })
    expect(parseShard(' 1 / 1 ')).toEqual({ index: 1, count: 1 })
  })

  it.each(['0/4', '5/4', '1/0', '1/257', 'a/4', '2', '1/2/3'])('refuses %p', (value) => {
    expect(() => parseShard(value)).toThrow(InputError)
    expect(() => parseShard(value)).toThrow(/^Input 'shard' has an invalid value/)
  })
})

describe('shards', () => {
  it('4 shards cover every site exactly once', () => {
    const sites = fleet(200)
    const shards = [1, 2, 3, 4].map((index) =>
      selectSites(sites, { select: [], shard: { index, count: 4 }, file: FILE })
    )
    const all = shards.flatMap(names)
    expect(all.sort()).toEqual(names(sites).sort())
    expect(new Set(all).size).toBe(sites.length)
    // Hashing spreads them: no shard is empty or holds most of the fleet.
    for (const shard of shards) {
      expect(shard.length).toBeGreaterThan(25)
      expect(shard.length).toBeLessThan(75)
    }
  })

  it('adding or removing a site moves no other site to another shard', () => {
    const before = fleet(100)
    // Two sites added (one at the front, shifting every position) and one removed.
    const after = [
      site('newstore01'),
      ...before.slice(0, 40),
      site('newstore02'),
      ...before.slice(41)
    ]
    /** key → the shard whose step runs it, as the steps of a matrix would compute it. */
    const assignment = (sites: Selectable[], count: number): Map<string, number> => {
      const shardOfKey = new Map<string, number>()
      for (let index = 1; index <= count; index++) {
        for (const s of selectSites(sites, { select: [], shard: { index, count }, file: FILE })) {
          shardOfKey.set(s.key, index)
        }
      }
      return shardOfKey
    }
    for (const count of [2, 4, 7]) {
      const was = assignment(before, count)
      const is = assignment(after, count)
      expect(is.size).toBe(after.length)
      const kept = after.filter((s) => was.has(s.key))
      expect(kept).toHaveLength(99)
      for (const s of kept) expect([s.name, is.get(s.key)]).toEqual([s.name, was.get(s.key)])
    }
  })

  it('depends on the registry too, and not on the case of the names', () => {
    expect(shardOf('contosoacr/store001', 256)).toBe(shardOf('ContosoACR/Store001', 256))
    const differ = fleet(50).some((s) => shardOf(s.key, 16) !== shardOf(`otheracr/${s.name}`, 16))
    expect(differ).toBe(true)
  })
})

describe('select', () => {
  const sites = [
    site('storeberlin01'),
    site('storeparis01'),
    site('storeaustin01'),
    site('hub', 'otheracr')
  ]

  it('takes names and glob patterns, in file order, without regard to case', () => {
    expect(names(selectSites(sites, { select: parseSelect('storeParis01'), file: FILE }))).toEqual([
      'storeparis01'
    ])
    expect(names(selectSites(sites, { select: parseSelect('store*01\nhub'), file: FILE }))).toEqual(
      ['storeberlin01', 'storeparis01', 'storeaustin01', 'hub']
    )
    expect(names(selectSites(sites, { select: ['otheracr/*'], file: FILE }))).toEqual(['hub'])
    expect(names(selectSites(sites, { select: ['store?aris01'], file: FILE }))).toEqual([
      'storeparis01'
    ])
    expect(names(selectSites(sites, { select: [], file: FILE }))).toHaveLength(4)
  })

  it('refuses a pattern that matches no site', () => {
    expect(() =>
      selectSites(sites, { select: ['storeberlin01', 'storerome*'], file: FILE })
    ).toThrow(
      "Input 'select' has a pattern 'storerome*' that matches no site of fleet/sites.yml: expected connected-registry names or glob patterns (* and ?) of sites in the file, or registry/connected-registry."
    )
  })

  it('applies select and shard together', () => {
    const big = fleet(40)
    const selected = selectSites(big, { select: ['store00*'], file: FILE })
    const sharded = [1, 2].flatMap((index) =>
      selectSites(big, { select: ['store00*'], shard: { index, count: 2 }, file: FILE })
    )
    expect(names(sharded).sort()).toEqual(names(selected).sort())
  })

  it('treats regular-expression characters in a pattern literally', () => {
    expect(globMatcher('a.b')('axb')).toBe(false)
    expect(globMatcher('a.b')('a.b')).toBe(true)
    expect(globMatcher('(x)*')('(x)yz')).toBe(true)
  })
})

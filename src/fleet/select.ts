// Which sites one step runs: `select` (names or glob patterns, for targeted redeploys) and
// `shard: i/n` (the i-th of n disjoint subsets, for a matrix of n jobs). A site's shard depends
// on its key alone, never on its place in the file, so adding or removing a site elsewhere
// moves no other site to another job.

import { createHash } from 'node:crypto'
import { inputErrors } from '../inputs/errors.js'
import { parseList } from '../inputs/parsers.js'
import { fleetInputProblems } from './errors.js'
import { FLEET_INPUT } from './site-inputs.js'

/** What selection needs of a site: its connected registry's name and its stable key. */
export interface Selectable {
  name: string
  /** registry/connected-registry, lower case. */
  key: string
}

export interface Shard {
  /** 1-based, as a matrix lists them: 1/4 … 4/4. */
  index: number
  count: number
}

/** GitHub Actions runs at most 256 jobs per matrix. */
export const MAX_SHARDS = 256

/** `i/n` with 1 ≤ i ≤ n ≤ 256; empty is no sharding. */
export function parseShard(value: string): Shard | undefined {
  if (value === '') return undefined
  const allowed = `expected i/n, the i-th of n shards (1 ≤ i ≤ n ≤ ${MAX_SHARDS}), such as \${{ matrix.shard }}/4 with shard: [1, 2, 3, 4]`
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value)
  if (!match) throw inputErrors.invalidValue(FLEET_INPUT.shard, value, allowed)
  const index = Number(match[1])
  const count = Number(match[2])
  if (count < 1 || count > MAX_SHARDS || index < 1 || index > count) {
    throw inputErrors.invalidValue(FLEET_INPUT.shard, value, allowed, 'out of range')
  }
  return { index, count }
}

/** The 1-based shard of a site key among `count`: a hash of the key, so it never depends on
 * the other sites. */
export function shardOf(key: string, count: number): number {
  const digest = createHash('sha256').update(key.toLowerCase()).digest()
  // 48 bits are exact in a double and spread evenly over any count up to 256.
  return (digest.readUIntBE(0, 6) % count) + 1
}

/** A glob of `*` (any run of characters) and `?` (one character), matched whole and without
 * regard to case, as Azure compares resource names. */
export function globMatcher(pattern: string): (text: string) => boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
    .join('')
  const regex = new RegExp(`^${source}$`, 'i')
  return (text) => regex.test(text)
}

/** Whether a pattern names a site: its connected registry's name, or registry/name. */
export const matchesSite = (match: (text: string) => boolean, site: Selectable): boolean =>
  match(site.name) || match(site.key)

/** The `select` input: names or patterns, separated by commas or newlines. */
export const parseSelect = (value: string): string[] => (value ? parseList(value) : [])

/**
 * The sites this step runs, in file order: those `select` names (all when it is empty), then
 * those of this step's shard. A pattern that matches no site is an error: it is a typo more
 * often than an intent, and a targeted redeploy that silently does nothing is worse.
 */
export function selectSites<S extends Selectable>(
  sites: readonly S[],
  options: { select: readonly string[]; shard?: Shard; file: string }
): S[] {
  let chosen = [...sites]
  if (options.select.length > 0) {
    const matchers = options.select.map((pattern) => ({ pattern, match: globMatcher(pattern) }))
    for (const { pattern, match } of matchers) {
      if (!sites.some((site) => matchesSite(match, site))) {
        throw fleetInputProblems.selectMatchesNothing(pattern, options.file)
      }
    }
    chosen = chosen.filter((site) => matchers.some(({ match }) => matchesSite(match, site)))
  }
  const { shard } = options
  if (shard) chosen = chosen.filter((site) => shardOf(site.key, shard.count) === shard.index)
  return chosen
}

/** Sites a list of names or patterns names, in the order of `sites`. */
export function sitesNamed<S extends Selectable>(
  sites: readonly S[],
  patterns: readonly string[]
): S[] {
  const matchers = patterns.map(globMatcher)
  return sites.filter((site) => matchers.some((match) => matchesSite(match, site)))
}

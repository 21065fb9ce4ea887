// Fleets in a seed: one entry declares many clusters (a count and a name pattern), and
// `npm run emulator -- --clusters N` adds N Connected clusters to any world.
//
//   connectedClusters:
//     - name: store-{n:3}      # store-001 … store-120; {n} alone is not padded
//       count: 120
//       start: 1               # the first n (default 1)
//       resourceGroup: stores-rg
//       serviceCidr: 10.0.0.0/16

import type { Seed, SeedCluster } from './seed.js'

/** A seed cluster entry; with `count`, its name is a pattern and it stands for that many. */
export interface SeedClusterSet extends SeedCluster {
  count?: number
  start?: number
}

const PLACEHOLDER = /\{n(?::(\d+))?\}/g

/** The clusters a seed's entries stand for, each set expanded in order. */
export function expandClusters(entries: readonly SeedClusterSet[]): SeedCluster[] {
  return entries.flatMap((entry) => {
    const { count, start, ...cluster } = entry
    if (count === undefined) {
      if (start !== undefined)
        throw new Error(`invalid seed: cluster '${entry.name}' has start without count`)
      return [cluster]
    }
    if (!Number.isInteger(count) || count < 0) {
      throw new Error(`invalid seed: cluster '${entry.name}' count must be an integer >= 0`)
    }
    if (!entry.name.match(PLACEHOLDER)) {
      throw new Error(
        `invalid seed: cluster '${entry.name}' has a count, so its name must contain {n} or {n:width}`
      )
    }
    const first = start ?? 1
    return Array.from({ length: count }, (_, i) => ({
      ...cluster,
      name: entry.name.replace(PLACEHOLDER, (_match, width?: string) =>
        String(first + i).padStart(Number(width ?? 0), '0')
      )
    }))
  })
}

/** The name pattern of the clusters `--clusters` adds. */
export const FLEET_CLUSTER_PATTERN = 'edge-site-{n:3}'

/** The seed with `count` more Connected clusters (edge-site-001 …) in its first resource group. */
export function withClusters(seed: Seed, count: number): Seed {
  const resourceGroup = seed.resourceGroups?.[0]?.name
  if (!resourceGroup) throw new Error('the seed has no resource group to put the clusters in')
  const set: SeedClusterSet = {
    name: FLEET_CLUSTER_PATTERN,
    count,
    resourceGroup,
    connectivityStatus: 'Connected',
    serviceCidr: '10.0.0.0/16'
  }
  return { ...seed, connectedClusters: [...(seed.connectedClusters ?? []), set] }
}

// Fleets in a seed: one entry declares many clusters (a count and a name pattern), and
// `npm run emulator -- --clusters N` adds N Connected clusters to any world.
//
//   connectedClusters:
//     - name: store-{n:3}      # store-001 … store-120; {n} alone is not padded
//       count: 120
//       start: 1               # the first n (default 1)
//       resourceGroup: stores-rg
//       serviceCidr: 10.0.0.0/16

import type { Seed, SeedClusterSet } from './seed.js'

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

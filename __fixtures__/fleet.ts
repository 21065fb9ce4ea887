// Fleets for the end-to-end tests and the benchmark: an emulated world with many Connected
// clusters (and as many Premium registries as 50 sites per registry need), and the sites file
// that lists one connected registry per cluster.

import { loadSeedFile, DEFAULT_SEED_PATH, type Seed } from '../emulator/index.js'
import { withClusters } from '../emulator/fleet.js'
import { runAction, type ActionRun, type RunOptions } from './action-runner.js'
import type { RunningEmulator } from '../emulator/index.js'

/** Azure's limit of connected registries per registry. */
export const SITES_PER_REGISTRY = 50
export const SITES_FILE = '.github/sites.yml'

/** The n-th (from 1) fleet cluster of withClusters: edge-site-001 … */
export const clusterOf = (n: number): string => `edge-site-${String(n).padStart(3, '0')}`
/** The n-th site's connected registry. */
export const siteOf = (n: number): string => `site${String(n).padStart(3, '0')}`
/** The Premium registry the n-th site lives in: 50 sites each. */
export const registryOf = (n: number): string =>
  n <= SITES_PER_REGISTRY ? 'contosoacr' : `contosoacr${Math.ceil(n / SITES_PER_REGISTRY)}`

/** The default world with `count` more Connected clusters and the registries they need. */
export function fleetSeed(count: number): Seed {
  const seed = withClusters(loadSeedFile(DEFAULT_SEED_PATH), count)
  const extra = Array.from(
    { length: Math.max(0, Math.ceil(count / SITES_PER_REGISTRY) - 1) },
    (_, i) => ({
      name: `contosoacr${i + 2}`,
      resourceGroup: 'edge-rg',
      sku: 'Premium',
      dataEndpointEnabled: false
    })
  )
  return { ...seed, registries: [...(seed.registries ?? []), ...extra] } as Seed
}

export interface SiteEntry {
  n: number
  /** More fields of the entry, as YAML flow-mapping text (`mode: ReadWrite`). */
  fields?: string
}

/** A sites file: sites 1…count (or the entries given), each on its own cluster. */
export function sitesFile(entries: number | SiteEntry[], defaults = ''): string {
  const list: SiteEntry[] =
    typeof entries === 'number'
      ? Array.from({ length: entries }, (_, i) => ({ n: i + 1 }))
      : entries
  return [
    'defaults:',
    '  resource-group: edge-rg',
    '  repositories: [hello-world]',
    '  service-cluster-ip: 10.0.0.50',
    ...(defaults ? defaults.split('\n').map((line) => `  ${line}`) : []),
    'sites:',
    ...list.map(
      ({ n, fields }) =>
        `  - { connected-registry: ${siteOf(n)}, registry: ${registryOf(n)}, cluster: ${clusterOf(n)}${fields ? `, ${fields}` : ''} }`
    ),
    ''
  ].join('\n')
}

/** One site's object in the `results` output. */
export interface SiteResultOutput {
  site: string
  registry: string
  cluster: string
  status: 'succeeded' | 'failed' | 'skipped'
  action: string
  'connection-state': string
  changed: boolean
  'duration-ms': number
  error?: string
  outputs: Record<string, string>
}

export const resultsOf = (run: ActionRun): SiteResultOutput[] =>
  JSON.parse(run.outputs.results ?? '[]') as SiteResultOutput[]

/** Runs a fleet step over `file` (the sites file's text) with short polls. */
export function runFleet(
  emu: RunningEmulator,
  file: string,
  inputs: Record<string, string> = {},
  options: Omit<RunOptions, 'inputs' | 'workspaceFiles'> = {}
): Promise<ActionRun> {
  return runAction(emu, {
    ...options,
    inputs: { sites: SITES_FILE, 'poll-interval': '100ms', timeout: '5m', ...inputs },
    workspaceFiles: { [SITES_FILE]: file }
  })
}

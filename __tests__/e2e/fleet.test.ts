// Fleets, end to end: one step (`node dist/index.js` with `sites`) converges many sites against
// the emulator; a re-run changes nothing; a plan shows exactly what a PR changed; bad sites files
// fail before any request; a failing canary stops the rollout; shards cover every site once; the
// ARM budget keeps a 100-site run clear of 429.

import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { startEmulator, type RunningEmulator } from '../../emulator/index.js'
import {
  clusterOf,
  fleetSeed,
  resultsOf,
  runFleet,
  siteOf,
  sitesFile,
  SITES_FILE,
  type SiteEntry
} from '../../__fixtures__/fleet.js'
import { errorOf } from '../../__fixtures__/action-runner.js'

/** An emulator for the describe block it is called in, seeded with `clusters` fleet clusters. */
function useFleet(clusters: number) {
  let emu: RunningEmulator | undefined
  beforeAll(async () => {
    emu = await startEmulator({ quiet: true, seed: fleetSeed(clusters) })
  })
  afterAll(async () => emu?.stop())
  return () => emu as RunningEmulator
}

const writesOf = (emu: RunningEmulator) => emu.admin.journal().filter((entry) => entry.write)
const range = (count: number, from = 1): number[] =>
  Array.from({ length: count }, (_, i) => i + from)

describe('a fleet of 30 sites in one step', () => {
  const emu = useFleet(31)

  it('deploys every site with one sign-in, all Online, with a row per site', async () => {
    const run = await runFleet(emu(), sitesFile(30))
    expect(errorOf(run)).toBe('')
    expect(run.exitCode).toBe(0)
    const results = resultsOf(run)
    expect(results.map((r) => r.site)).toEqual(range(30).map(siteOf))
    for (const result of results) {
      expect(result).toMatchObject({
        status: 'succeeded',
        action: 'created',
        'connection-state': 'Online',
        changed: true
      })
      expect(result.outputs['activation-status']).toBe('Active')
      expect(result.outputs['connection-string']).toBeUndefined()
    }
    expect(run.outputs.failed).toBe('0')
    expect(run.stdout.match(/^Signing in with /gm)).toHaveLength(1)
    expect(
      emu()
        .admin.journal()
        .filter((e) => e.operation === 'Token_Request')
    ).toHaveLength(1)
    // Each site's lines in a group of its own, prefixed with its name.
    expect(run.stdout).toContain('::group::site007: created')
    expect(run.stdout).toMatch(/^\[site007\] Creating Connected registry 'site007'$/m)
    // One data-endpoint update for the registry, not one per site.
    expect(writesOf(emu()).filter((e) => e.operation === 'Registries_Update')).toHaveLength(1)
    expect(run.summary).toContain(
      '<td>site030</td><td>edge-site-030</td><td>created</td><td>Online</td>'
    )
    expect(run.summary).toContain('30 site(s): 30 succeeded (30 changed), 0 failed, 0 skipped')
  })

  it('a re-run is a no-op: 0 writes, every site unchanged', async () => {
    emu().admin.clearJournal()
    const run = await runFleet(emu(), sitesFile(30))
    expect(run.exitCode).toBe(0)
    expect(writesOf(emu())).toEqual([])
    expect(new Set(resultsOf(run).map((r) => `${r.action} ${r['connection-state']}`))).toEqual(
      new Set(['unchanged Online'])
    )
    expect(run.outputs.changed).toBe('false')
  })

  it('plan after editing two sites reports exactly those two, and writes nothing', async () => {
    const edited: SiteEntry[] = range(30).map((n) =>
      n === 5 || n === 17 ? { n, fields: 'repositories: [hello-world, app/web]' } : { n }
    )
    emu().admin.clearJournal()
    const run = await runFleet(emu(), sitesFile(edited), { operation: 'plan' })
    expect(run.exitCode).toBe(0)
    expect(writesOf(emu())).toEqual([])
    const changed = resultsOf(run).filter((r) => r.changed)
    expect(changed.map((r) => r.site)).toEqual([siteOf(5), siteOf(17)])
    expect(changed.map((r) => r.action)).toEqual(['planned: 1 change(s)', 'planned: 1 change(s)'])
    expect(run.outputs.changed).toBe('true')
  })

  it('shard over 4 jobs covers every site exactly once; adding a site moves no other', async () => {
    const shardsOf = async (file: string): Promise<Map<string, number>> => {
      const runs = await Promise.all(
        [1, 2, 3, 4].map((i) => runFleet(emu(), file, { operation: 'plan', shard: `${i}/4` }))
      )
      const shardOfSite = new Map<string, number>()
      for (const [i, run] of runs.entries()) {
        expect(run.exitCode).toBe(0)
        for (const result of resultsOf(run)) {
          expect(shardOfSite.has(result.site)).toBe(false)
          shardOfSite.set(result.site, i + 1)
        }
      }
      return shardOfSite
    }
    emu().admin.clearJournal()
    const before = await shardsOf(sitesFile(30))
    expect([...before.keys()].sort()).toEqual(range(30).map(siteOf))
    // No shard is empty or holds everything: the sites are spread.
    expect(new Set(before.values()).size).toBeGreaterThan(1)
    const after = await shardsOf(sitesFile(31))
    expect([...after.keys()].sort()).toEqual(range(31).map(siteOf))
    for (const [site, shard] of before) expect(after.get(site)).toBe(shard)
    expect(writesOf(emu())).toEqual([])
  })
})

describe('a bad sites file fails naming the file, the line and the field, with 0 requests', () => {
  const emu = useFleet(3)
  const head =
    'defaults: { resource-group: edge-rg, registry: contosoacr, repositories: [a] }\nsites:\n'

  it.each([
    [
      'an invalid value',
      `${head}  - { connected-registry: site001, cluster: ${clusterOf(1)}, service-cluster-ip: 10.0.0.50 }\n  - { connected-registry: site002, cluster: ${clusterOf(2)}, mode: Sideways }\n`,
      4,
      'mode'
    ],
    [
      'a connected registry twice in one registry',
      `${head}  - { connected-registry: site001, cluster: ${clusterOf(1)}, service-cluster-ip: 10.0.0.50 }\n  - { connected-registry: site001, cluster: ${clusterOf(2)}, service-cluster-ip: 10.0.0.50 }\n`,
      4,
      'connected-registry'
    ],
    [
      'an extension twice on one cluster',
      `${head}  - { connected-registry: site001, cluster: ${clusterOf(1)}, service-cluster-ip: 10.0.0.50, extension-name: edge }\n  - { connected-registry: site002, cluster: ${clusterOf(1)}, service-cluster-ip: 10.0.0.51, extension-name: edge }\n`,
      4,
      'extension-name'
    ],
    [
      'key material in the file',
      `${head}  - { connected-registry: site001, cluster: ${clusterOf(1)}, service-cluster-ip: 10.0.0.50, tls-key: abc }\n`,
      3,
      'tls-key'
    ],
    [
      'more than 50 connected registries in one registry',
      `${head}${range(51)
        .map(
          (n) =>
            `  - { connected-registry: ${siteOf(n)}, cluster: ${clusterOf(1)}, extension-name: e${n}, service-cluster-ip: 10.0.1.${n} }`
        )
        .join('\n')}\n`,
      53,
      'registry'
    ]
  ])('%s', async (_, file, line, field) => {
    emu().admin.clearJournal()
    const run = await runFleet(emu(), file)
    expect(run.exitCode).toBe(1)
    expect(errorOf(run)).toMatch(
      new RegExp(`${SITES_FILE.replace(/\./g, '\\.')}:${line}: .*field '${field}'`)
    )
    expect(emu().admin.journal()).toEqual([])
  })

  it('a parent that is neither in the file nor in Azure: one LIST per registry, 0 writes', async () => {
    emu().admin.clearJournal()
    const run = await runFleet(
      emu(),
      `${head}  - { connected-registry: site001, cluster: ${clusterOf(1)}, service-cluster-ip: 10.0.0.50, parent: nosuchparent, mode: ReadOnly }\n`
    )
    expect(run.exitCode).toBe(1)
    expect(errorOf(run)).toMatch(/\.github\/sites\.yml:3: .*field 'parent'.*nosuchparent/)
    const arm = emu()
      .admin.journal()
      .filter((e) => !['Token_Request', 'OpenIdConfiguration_Get'].includes(e.operation))
    expect(arm.map((e) => e.operation)).toEqual(['ConnectedRegistries_List'])
  })

  it('bad YAML', async () => {
    emu().admin.clearJournal()
    const run = await runFleet(emu(), `${head}  - { connected-registry: site001, cluster: [\n`)
    expect(run.exitCode).toBe(1)
    expect(errorOf(run)).toMatch(/\.github\/sites\.yml:\d+: is not valid YAML/)
    expect(emu().admin.journal()).toEqual([])
  })
})

describe('a canary wave that fails', () => {
  const emu = useFleet(8)

  it('stops the rollout: the other sites are skipped, nothing is written for them', async () => {
    emu().admin.addFault({
      operation: 'Extensions_Create',
      pathIncludes: '/extensions/site002',
      kind: 'status',
      status: 400,
      code: 'InvalidConfiguration',
      message: 'The chart rejected the configuration.'
    })
    const run = await runFleet(emu(), sitesFile(8), {
      rollout: 'canary',
      'canary-sites': '2',
      'failure-budget': '0'
    })
    expect(run.exitCode).toBe(1)
    const results = resultsOf(run)
    expect(results.map((r) => r.status)).toEqual([
      'succeeded',
      'failed',
      ...Array(6).fill('skipped')
    ])
    expect(results[1].error).toContain('The chart rejected the configuration.')
    expect(results[2].error).toMatch(/canary wave failed \(site002\)/)
    expect(run.outputs.failed).toBe('1')
    expect(errorOf(run)).toMatch(/^1 of 8 site\(s\) failed and 6 were not started: site002 on/)
    const written = writesOf(emu()).map((e) => e.path)
    for (const n of range(6, 3)) {
      expect(written.filter((path) => path.includes(siteOf(n)))).toEqual([])
    }
  })

  it('the re-run continues where it stopped', async () => {
    emu().admin.clearFaults()
    const run = await runFleet(emu(), sitesFile(8), {
      rollout: 'canary',
      'canary-sites': '2',
      'failure-budget': '0'
    })
    expect(errorOf(run)).toBe('')
    const results = resultsOf(run)
    expect(results.map((r) => r.status)).toEqual(Array(8).fill('succeeded'))
    expect(results[0].action).toBe('unchanged')
    expect(results.slice(2).map((r) => r.action)).toEqual(Array(6).fill('created'))
    expect(new Set(results.map((r) => r['connection-state']))).toEqual(new Set(['Online']))
  })
})

describe("under ARM's token-bucket throttle", () => {
  const emu = useFleet(100)

  it('a 100-site deploy over two registries completes with 0 × 429', async () => {
    emu().admin.setThrottle({ model: 'token-bucket' })
    emu().admin.clearJournal()
    const run = await runFleet(emu(), sitesFile(100), { timeout: '10m' })
    expect(errorOf(run)).toBe('')
    const results = resultsOf(run)
    expect(results).toHaveLength(100)
    expect(results.filter((r) => r['connection-state'] === 'Online')).toHaveLength(100)
    expect(
      emu()
        .admin.journal()
        .filter((e) => e.status === 429)
    ).toEqual([])
    expect(run.stdout).toMatch(/, 0 answered 429\.$/m)
  }, 300_000)
})

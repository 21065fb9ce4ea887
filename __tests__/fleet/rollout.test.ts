// Rollout: waves, max-parallel, the failure budget and the canary gate, driven by site runs
// that finish when the test says so (no timers); and the fleet summary and outputs.

import { describe, expect, it } from '@jest/globals'
import { fromRecord } from '../../src/inputs/input-reader.js'
import {
  allowedFailures,
  DEFAULT_MAX_PARALLEL,
  parseRolloutSettings,
  planWaves,
  runFleet,
  SiteFailure,
  type RolloutSettings,
  type SiteOutcome,
  type SiteResult
} from '../../src/fleet/rollout.js'
import {
  fleetFailure,
  fleetOutputs,
  fleetSummaryTable,
  formatElapsed,
  type SummarySite
} from '../../src/fleet/summary.js'

const site = (name: string): SummarySite => ({
  name,
  key: `contosoacr/${name}`,
  settings: { target: { registry: 'contosoacr', cluster: `${name}-cluster` } }
})
const fleet = (count: number): SummarySite[] =>
  Array.from({ length: count }, (_, i) => site(`store${String(i + 1).padStart(2, '0')}`))
const settings = (overrides: Partial<RolloutSettings> = {}): RolloutSettings => ({
  rollout: 'all-at-once',
  canary: { count: 1 },
  maxParallel: 3,
  ...overrides
})

/** Runs that the test finishes one by one; records how many were in flight at most. */
class Sites {
  readonly started: string[] = []
  private readonly pending = new Map<
    string,
    { resolve: (o: SiteOutcome) => void; reject: (e: unknown) => void }
  >()
  inFlight = 0
  maxInFlight = 0

  run = (s: SummarySite): Promise<SiteOutcome> => {
    this.started.push(s.name)
    this.inFlight++
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
    return new Promise<SiteOutcome>((resolve, reject) =>
      this.pending.set(s.name, { resolve, reject })
    ).finally(() => this.inFlight--)
  }

  running(): string[] {
    return [...this.pending.keys()]
  }

  async succeed(
    name: string,
    outcome: SiteOutcome = { action: 'created', connectionState: 'Online', changed: true }
  ) {
    this.take(name).resolve(outcome)
    await settle()
  }

  async fail(name: string, error: unknown = new Error(`${name} broke`)) {
    this.take(name).reject(error)
    await settle()
  }

  /** Finishes every running site with success until none is left. */
  async succeedAll(): Promise<void> {
    while (this.pending.size > 0) for (const name of this.running()) await this.succeed(name)
  }

  private take(name: string) {
    const entry = this.pending.get(name)
    if (!entry) throw new Error(`${name} is not running (running: ${this.running().join(', ')})`)
    this.pending.delete(name)
    return entry
  }
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve()
}

describe('parseRolloutSettings', () => {
  it('has defaults', () => {
    expect(parseRolloutSettings(fromRecord({}))).toEqual({
      rollout: 'all-at-once',
      canary: { count: 1 },
      maxParallel: DEFAULT_MAX_PARALLEL
    })
  })

  it('reads canary sites as a count or as names, and budgets as a count or a percentage', () => {
    expect(
      parseRolloutSettings(
        fromRecord({
          rollout: 'Canary',
          'canary-sites': '2',
          'max-parallel': '10',
          'failure-budget': '10%'
        })
      )
    ).toEqual({
      rollout: 'canary',
      canary: { count: 2 },
      maxParallel: 10,
      failureBudget: { kind: 'percent', percent: 10 }
    })
    expect(
      parseRolloutSettings(
        fromRecord({
          rollout: 'canary',
          'canary-sites': 'storeberlin01, store*9',
          'failure-budget': '0'
        })
      )
    ).toMatchObject({
      canary: { patterns: ['storeberlin01', 'store*9'] },
      failureBudget: { kind: 'count', count: 0 }
    })
  })

  it('reports every bad input at once', () => {
    expect(() =>
      parseRolloutSettings(
        fromRecord({ rollout: 'waves', 'max-parallel': '0', 'failure-budget': '150%' })
      )
    ).toThrow(
      [
        '3 inputs are invalid:',
        "- Input 'rollout' has an invalid value 'waves': expected one of all-at-once, canary.",
        "- Input 'max-parallel' has an invalid value '0' (out of range): expected how many sites may be in flight at once, 1 to 200 (default 25).",
        "- Input 'failure-budget' has an invalid value '150%' (out of range): expected how many sites may fail before no new site starts: a count such as 2, or a percentage of the sites this step runs such as 10%."
      ].join('\n')
    )
    expect(() => parseRolloutSettings(fromRecord({ 'canary-sites': '2' }))).toThrow(
      "Input 'canary-sites' cannot be used with rollout 'all-at-once': set 'rollout: canary' to roll out to the canary sites first, or remove 'canary-sites'."
    )
  })

  it('rounds a percentage budget down', () => {
    expect(allowedFailures({ kind: 'percent', percent: 10 }, 35)).toBe(3)
    expect(allowedFailures({ kind: 'count', count: 2 }, 35)).toBe(2)
    expect(allowedFailures(undefined, 35)).toBe(Infinity)
  })
})

describe('planWaves', () => {
  const sites = fleet(8)
  const waveNames = (waves: SummarySite[][]) => waves.map((w) => w.map((s) => s.name))

  it('all-at-once: one wave', () => {
    expect(waveNames(planWaves(sites, settings()))).toEqual([sites.map((s) => s.name)])
  })

  it('canary: the canaries, then the rest in waves of max-parallel', () => {
    expect(
      waveNames(planWaves(sites, settings({ rollout: 'canary', canary: { count: 2 } })))
    ).toEqual([
      ['store01', 'store02'],
      ['store03', 'store04', 'store05'],
      ['store06', 'store07', 'store08']
    ])
    expect(
      waveNames(
        planWaves(
          sites,
          settings({ rollout: 'canary', canary: { patterns: ['store07', 'STORE03'] } })
        )
      )
    ).toEqual([
      ['store03', 'store07'],
      ['store01', 'store02', 'store04'],
      ['store05', 'store06', 'store08']
    ])
  })

  it('refuses canary names that match no site', () => {
    expect(() =>
      planWaves(sites, settings({ rollout: 'canary', canary: { patterns: ['rome*'] } }))
    ).toThrow(/^Input 'canary-sites' has a pattern 'rome\*' that matches no site this step runs/)
  })
})

describe('runFleet', () => {
  it('keeps at most max-parallel sites in flight and reports every site in file order', async () => {
    const sites = fleet(7)
    const runs = new Sites()
    let clock = 0
    const done = runFleet(sites, runs.run, { settings: settings(), now: () => (clock += 100) })
    await settle()
    expect(runs.running()).toEqual(['store01', 'store02', 'store03'])
    await runs.succeed('store02', { action: 'unchanged', connectionState: 'Online' })
    expect(runs.running()).toEqual(['store01', 'store03', 'store04'])
    await runs.fail('store01')
    await runs.succeedAll()
    const results = await done
    expect(runs.maxInFlight).toBe(3)
    expect(results.map((r) => [r.site.name, r.status, r.action])).toEqual([
      ['store01', 'failed', 'failed'],
      ['store02', 'succeeded', 'unchanged'],
      ['store03', 'succeeded', 'created'],
      ['store04', 'succeeded', 'created'],
      ['store05', 'succeeded', 'created'],
      ['store06', 'succeeded', 'created'],
      ['store07', 'succeeded', 'created']
    ])
    // One failure stops nothing without a budget.
    expect(results[0].error).toBe('store01 broke')
    expect(results.every((r) => r.durationMs > 0)).toBe(true)
  })

  it('stops starting sites once failures exceed the budget; the running ones finish', async () => {
    const sites = fleet(10)
    const runs = new Sites()
    const done = runFleet(sites, runs.run, {
      settings: settings({ failureBudget: { kind: 'count', count: 1 } })
    })
    await settle()
    await runs.fail('store01')
    // Within the budget: the next one starts.
    expect(runs.running()).toEqual(['store02', 'store03', 'store04'])
    await runs.fail('store02')
    // Exceeded: no new site, but store03 and store04 go on to the end.
    expect(runs.running()).toEqual(['store03', 'store04'])
    await runs.succeedAll()
    const results = await done
    expect(results.map((r) => r.status)).toEqual([
      'failed',
      'failed',
      'succeeded',
      'succeeded',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'skipped',
      'skipped'
    ])
    expect(results[4].error).toBe(
      'not started: 2 site(s) failed, more than the failure budget of 1; re-run the step to continue'
    )
    expect(runs.started).toHaveLength(4)
  })

  it('canary: the rest waits for the canaries and is skipped when one fails', async () => {
    const sites = fleet(6)
    const runs = new Sites()
    const done = runFleet(sites, runs.run, {
      settings: settings({ rollout: 'canary', canary: { count: 2 }, maxParallel: 4 })
    })
    await settle()
    expect(runs.running()).toEqual(['store01', 'store02'])
    await runs.succeed('store01')
    // The second wave waits for the whole canary wave.
    expect(runs.running()).toEqual(['store02'])
    await runs.fail(
      'store02',
      new SiteFailure(new Error('UNAUTHORIZED'), {
        action: 'updated',
        connectionState: 'Unhealthy',
        changed: true
      })
    )
    const results = await done
    expect(results.map((r) => [r.status, r.wave])).toEqual([
      ['succeeded', 1],
      ['failed', 1],
      ['skipped', 2],
      ['skipped', 2],
      ['skipped', 2],
      ['skipped', 2]
    ])
    expect(results[1]).toMatchObject({
      action: 'updated',
      connectionState: 'Unhealthy',
      changed: true,
      error: 'UNAUTHORIZED'
    })
    expect(results[2].error).toBe(
      'not started: the canary wave failed (store02); fix it and re-run the step to continue'
    )
  })

  it('canary: waves of max-parallel once the canaries are Online', async () => {
    const sites = fleet(6)
    const runs = new Sites()
    const done = runFleet(sites, runs.run, {
      settings: settings({ rollout: 'canary', canary: { count: 1 }, maxParallel: 3 })
    })
    await settle()
    await runs.succeed('store01')
    expect(runs.running()).toEqual(['store02', 'store03', 'store04'])
    await runs.succeed('store03')
    // A wave ends before the next starts.
    expect(runs.running()).toEqual(['store02', 'store04'])
    await runs.succeedAll()
    expect((await done).map((r) => r.wave)).toEqual([1, 2, 2, 2, 3, 3])
  })

  it('starts nothing more once the run is cancelled', async () => {
    const sites = fleet(5)
    const runs = new Sites()
    const controller = new AbortController()
    const seen: AbortSignal[] = []
    const done = runFleet(
      sites,
      (s, signal) => {
        seen.push(signal)
        return runs.run(s)
      },
      { settings: settings({ maxParallel: 2 }), signal: controller.signal }
    )
    await settle()
    controller.abort()
    expect(seen.every((signal) => signal.aborted)).toBe(true)
    await runs.fail('store01', new Error('cancelled'))
    await runs.fail('store02', new Error('cancelled'))
    const results = await done
    expect(results.map((r) => r.status)).toEqual([
      'failed',
      'failed',
      'skipped',
      'skipped',
      'skipped'
    ])
    expect(results[4].error).toBe('not started: the run was cancelled or ran out of time')
  })
})

describe('fleet summary and outputs', () => {
  const [a, b, c] = [site('storeberlin01'), site('store<paris>'), site('storeaustin01')]
  const results: SiteResult<SummarySite>[] = [
    {
      site: a,
      status: 'succeeded',
      wave: 1,
      action: 'created',
      connectionState: 'Online',
      changed: true,
      durationMs: 125_000,
      outputs: {
        'connection-state': 'Online',
        changed: 'true',
        'connection-string': 'ConnectedRegistryName=x;SyncTokenPassword=secret'
      }
    },
    {
      site: b,
      status: 'failed',
      wave: 1,
      action: 'failed',
      connectionState: '',
      changed: false,
      durationMs: 4_200,
      error: "Extension 'x' failed: <chart> error. Set 'service-cluster-ip'."
    },
    {
      site: c,
      status: 'skipped',
      wave: 2,
      action: 'skipped',
      connectionState: '',
      changed: false,
      durationMs: 0,
      error:
        'not started: the canary wave failed (store<paris>); fix it and re-run the step to continue'
    }
  ]

  it('has a row per site and the totals, HTML-escaped', () => {
    const { table, totals } = fleetSummaryTable(results)
    expect(table.rows).toEqual([
      ['Site', 'Cluster', 'Action', 'Connection state', 'Duration', 'Error'],
      ['storeberlin01', 'storeberlin01-cluster', 'created', 'Online', '2m 05s', '—'],
      [
        'store&lt;paris&gt;',
        'store&lt;paris&gt;-cluster',
        'failed',
        '—',
        '4.2 s',
        "Extension 'x' failed: &lt;chart&gt; error. Set 'service-cluster-ip'."
      ],
      [
        'storeaustin01',
        'storeaustin01-cluster',
        'skipped',
        '—',
        '—',
        'not started: the canary wave failed (store&lt;paris&gt;); fix it and re-run the step to continue'
      ]
    ])
    expect(totals).toBe('3 site(s): 1 succeeded (1 changed), 1 failed, 1 skipped')
  })

  it('outputs results as JSON without the connection string, and the failed count', () => {
    const outputs = fleetOutputs(results)
    expect(outputs.failed).toBe('1')
    expect(outputs.results).not.toContain('secret')
    expect(JSON.parse(outputs.results)).toEqual([
      {
        site: 'storeberlin01',
        registry: 'contosoacr',
        cluster: 'storeberlin01-cluster',
        status: 'succeeded',
        action: 'created',
        'connection-state': 'Online',
        changed: true,
        'duration-ms': 125000,
        outputs: { 'connection-state': 'Online', changed: 'true' }
      },
      expect.objectContaining({
        site: 'store<paris>',
        status: 'failed',
        error: expect.stringContaining('failed')
      }),
      expect.objectContaining({ site: 'storeaustin01', status: 'skipped', outputs: {} })
    ])
  })

  it('fails the step naming the failed sites, or not at all', () => {
    expect(fleetFailure(results)).toBe(
      "1 of 3 site(s) failed and 1 were not started: store<paris> on store<paris>-cluster (Extension 'x' failed: <chart> error. Set 'service-cluster-ip'.). Fix them and re-run the step: sites that are already converged change nothing."
    )
    expect(fleetFailure([results[0]])).toBeUndefined()
  })

  it('formats durations for people', () => {
    expect([850, 12_400, 185_000, 3_725_000].map(formatElapsed)).toEqual([
      '850 ms',
      '12.4 s',
      '3m 05s',
      '1h 02m'
    ])
  })
})

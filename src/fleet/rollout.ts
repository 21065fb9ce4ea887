// Progressive rollout: which sites start when, and when to stop starting them. The fleet runs
// any single-site function under these rules; one site's failure never stops the others,
// unless the failures exceed the budget (or a canary fails), and then only sites not yet
// started are left out (reported as skipped; a re-run continues, as converged sites are no-ops).

import { InputError, InputErrors, inputErrors } from '../inputs/errors.js'
import type { InputReader } from '../inputs/input-reader.js'
import { parseEnum, parseList } from '../inputs/parsers.js'
import { fleetInputProblems, skipReasons } from './errors.js'
import { globMatcher, matchesSite, type Selectable } from './select.js'
import { FLEET_INPUT } from './site-inputs.js'

export const ROLLOUTS = ['all-at-once', 'canary'] as const
export type Rollout = (typeof ROLLOUTS)[number]

/**
 * Sites in flight at once, by default. A site costs 5 to 8 ARM writes, and ARM's write bucket
 * holds 200 per identity (refilled 10 per second): 25 sites' writes fit in the bucket at the
 * start, and afterwards the refill outpaces what 25 sites mostly waiting for Online need.
 * More in flight would only queue on the write budget.
 */
export const DEFAULT_MAX_PARALLEL = 25
/** The write bucket's size: beyond this many sites at once, every write queues anyway. */
export const MAX_MAX_PARALLEL = 200

export type FailureBudget = { kind: 'count'; count: number } | { kind: 'percent'; percent: number }

export interface RolloutSettings {
  rollout: Rollout
  /** The first wave under `canary`: the first `count` sites, or the sites the patterns name. */
  canary: { count: number } | { patterns: string[] }
  maxParallel: number
  /** Undefined: no budget, every site is attempted. */
  failureBudget?: FailureBudget
}

function parseWholeNumber(
  input: string,
  value: string,
  min: number,
  max: number,
  allowed: string
): number {
  if (!/^\d+$/.test(value)) throw inputErrors.invalidValue(input, value, allowed)
  const number = Number(value)
  if (number < min || number > max)
    throw inputErrors.invalidValue(input, value, allowed, 'out of range')
  return number
}

export function parseFailureBudget(value: string): FailureBudget | undefined {
  if (value === '') return undefined
  const allowed =
    'expected how many sites may fail before no new site starts: a count such as 2, or a percentage of the sites this step runs such as 10%'
  const percent = /^(\d+(?:\.\d+)?)\s*%$/.exec(value)
  if (percent) {
    const number = Number(percent[1])
    if (number > 100)
      throw inputErrors.invalidValue(FLEET_INPUT.failureBudget, value, allowed, 'out of range')
    return { kind: 'percent', percent: number }
  }
  return {
    kind: 'count',
    count: parseWholeNumber(FLEET_INPUT.failureBudget, value, 0, Number.MAX_SAFE_INTEGER, allowed)
  }
}

/** How many of `total` sites may fail before no new site starts (rounded down). */
export function allowedFailures(budget: FailureBudget | undefined, total: number): number {
  if (!budget) return Number.POSITIVE_INFINITY
  return budget.kind === 'count' ? budget.count : Math.floor((budget.percent * total) / 100)
}

/** The rollout inputs, every problem reported at once. */
export function parseRolloutSettings(reader: InputReader): RolloutSettings {
  const errors: InputError[] = []
  const check = <T>(fallback: T, parse: () => T): T => {
    try {
      return parse()
    } catch (error) {
      if (!(error instanceof InputError)) throw error
      errors.push(error)
      return fallback
    }
  }
  const rolloutText = reader.get(FLEET_INPUT.rollout)
  const rollout = check<Rollout>('all-at-once', () =>
    parseEnum(FLEET_INPUT.rollout, rolloutText || 'all-at-once', ROLLOUTS)
  )
  const canaryText = reader.get(FLEET_INPUT.canarySites)
  const canary = check<RolloutSettings['canary']>({ count: 1 }, () => {
    if (canaryText && rollout !== 'canary') {
      throw inputErrors.notUsedWith(
        FLEET_INPUT.canarySites,
        `rollout '${rollout}'`,
        "set 'rollout: canary' to roll out to the canary sites first, or remove 'canary-sites'"
      )
    }
    if (!canaryText) return { count: 1 }
    if (/^\d+$/.test(canaryText)) {
      return {
        count: parseWholeNumber(
          FLEET_INPUT.canarySites,
          canaryText,
          1,
          Number.MAX_SAFE_INTEGER,
          'expected a count of at least 1, or connected-registry names or glob patterns'
        )
      }
    }
    return { patterns: parseList(canaryText) }
  })
  const maxParallelText = reader.get(FLEET_INPUT.maxParallel)
  const maxParallel = check(DEFAULT_MAX_PARALLEL, () =>
    maxParallelText
      ? parseWholeNumber(
          FLEET_INPUT.maxParallel,
          maxParallelText,
          1,
          MAX_MAX_PARALLEL,
          `expected how many sites may be in flight at once, 1 to ${MAX_MAX_PARALLEL} (default ${DEFAULT_MAX_PARALLEL})`
        )
      : DEFAULT_MAX_PARALLEL
  )
  const failureBudget = check(undefined, () =>
    parseFailureBudget(reader.get(FLEET_INPUT.failureBudget))
  )
  if (errors.length === 1) throw errors[0]
  if (errors.length > 1) throw new InputErrors(errors)
  return { rollout, canary, maxParallel, ...(failureBudget ? { failureBudget } : {}) }
}

/**
 * The waves, in order. all-at-once: one wave of every site, max-parallel of them in flight at a
 * time. canary: the canary sites first, then the rest in file order, in waves of max-parallel,
 * each wave finished before the next starts.
 */
export function planWaves<S extends Selectable>(
  sites: readonly S[],
  settings: RolloutSettings
): S[][] {
  if (sites.length === 0) return []
  if (settings.rollout === 'all-at-once') return [[...sites]]
  let canaries: S[]
  if ('count' in settings.canary) {
    canaries = sites.slice(0, settings.canary.count)
  } else {
    for (const pattern of settings.canary.patterns) {
      const match = globMatcher(pattern)
      if (!sites.some((site) => matchesSite(match, site))) {
        throw fleetInputProblems.canaryMatchesNothing(pattern)
      }
    }
    const matchers = settings.canary.patterns.map(globMatcher)
    canaries = sites.filter((site) => matchers.some((match) => matchesSite(match, site)))
  }
  const rest = sites.filter((site) => !canaries.includes(site))
  const waves: S[][] = [canaries]
  for (let i = 0; i < rest.length; i += settings.maxParallel) {
    waves.push(rest.slice(i, i + settings.maxParallel))
  }
  return waves
}

/** What one site's run reports when it succeeds. */
export interface SiteOutcome {
  /** What was done, in a word or a few: created, updated, unchanged, planned: 2 changes, ... */
  action: string
  connectionState?: string
  /** True when Azure was changed (plan: when deploy would change anything). */
  changed?: boolean
  /** The single-site outputs (never the connection string). */
  outputs?: Record<string, string>
}

/** Thrown by a site's run to report what it did before it failed. */
export class SiteFailure extends Error {
  constructor(
    readonly failure: unknown,
    readonly partial: Partial<SiteOutcome>
  ) {
    super(failure instanceof Error ? failure.message : String(failure))
    this.name = 'SiteFailure'
  }
}

export type SiteStatus = 'succeeded' | 'failed' | 'skipped'

export interface SiteResult<S> {
  site: S
  status: SiteStatus
  /** 1-based wave the site belongs to. */
  wave: number
  action: string
  connectionState: string
  changed: boolean
  /** 0 for a skipped site. */
  durationMs: number
  /** Why it failed (with the fix), or why it was skipped. */
  error?: string
  outputs?: Record<string, string>
}

export interface FleetRunOptions<S> {
  settings: RolloutSettings
  /** Aborted at the run's deadline or on cancellation: in-flight sites stop, no new one starts. */
  signal?: AbortSignal
  /** Milliseconds, for durations. */
  now?: () => number
  /** The text of a site's error (the wiring redacts and adds Azure's request ids). */
  describeError?: (error: unknown) => string
  onSiteStart?: (site: S, wave: number) => void
  onSiteEnd?: (result: SiteResult<S>) => void
}

/**
 * Runs `runSite` for every site under the rollout rules, at most max-parallel at a time, and
 * returns one result per site in the order of `sites`. Never rejects because of a site.
 */
export async function runFleet<S extends Selectable>(
  sites: readonly S[],
  runSite: (site: S, signal: AbortSignal) => Promise<SiteOutcome>,
  options: FleetRunOptions<S>
): Promise<SiteResult<S>[]> {
  const { settings } = options
  const now = options.now ?? Date.now
  const describe =
    options.describeError ??
    ((error: unknown) => (error instanceof Error ? error.message : String(error)))
  const signal = options.signal ?? new AbortController().signal
  const waves = planWaves(sites, settings)
  const allowed = allowedFailures(settings.failureBudget, sites.length)
  const results = new Map<S, SiteResult<S>>()
  let failed = 0
  let canaryFailures: string[] = []

  const stopReason = (): string | undefined => {
    if (signal.aborted) return skipReasons.cancelled()
    if (canaryFailures.length > 0) return skipReasons.canary(canaryFailures)
    if (failed > allowed) return skipReasons.budget(failed, allowed)
    return undefined
  }

  const runOne = async (site: S, wave: number): Promise<void> => {
    const reason = stopReason()
    if (reason) {
      results.set(site, {
        site,
        status: 'skipped',
        wave,
        action: 'skipped',
        connectionState: '',
        changed: false,
        durationMs: 0,
        error: reason
      })
      options.onSiteEnd?.(results.get(site) as SiteResult<S>)
      return
    }
    options.onSiteStart?.(site, wave)
    const started = now()
    let result: SiteResult<S>
    try {
      const outcome = await runSite(site, signal)
      result = {
        site,
        status: 'succeeded',
        wave,
        action: outcome.action,
        connectionState: outcome.connectionState ?? '',
        changed: outcome.changed ?? false,
        durationMs: now() - started,
        ...(outcome.outputs ? { outputs: outcome.outputs } : {})
      }
    } catch (error) {
      failed++
      const partial = error instanceof SiteFailure ? error.partial : {}
      result = {
        site,
        status: 'failed',
        wave,
        action: partial.action ?? 'failed',
        connectionState: partial.connectionState ?? '',
        changed: partial.changed ?? false,
        durationMs: now() - started,
        error: describe(error instanceof SiteFailure ? error.failure : error),
        ...(partial.outputs ? { outputs: partial.outputs } : {})
      }
    }
    results.set(site, result)
    options.onSiteEnd?.(result)
  }

  for (const [w, wave] of waves.entries()) {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < wave.length) await runOne(wave[next++], w + 1)
    }
    await Promise.all(Array.from({ length: Math.min(settings.maxParallel, wave.length) }, worker))
    if (settings.rollout === 'canary' && w === 0) {
      canaryFailures = wave
        .filter((site) => results.get(site)?.status === 'failed')
        .map((site) => site.name)
    }
  }
  return sites.map((site) => results.get(site) as SiteResult<S>)
}

// What a person reads of a fleet run: one table with a row per site and the totals, the
// `results` (JSON) and `failed` outputs, and the line the step fails with. Pure functions of
// the results.

import { escapeHtml, type SummaryTable } from '../report.js'
import type { SiteResult } from './rollout.js'

/** What the summary shows of a site beyond its name. */
export interface SummarySite {
  name: string
  key: string
  settings: { target: { registry: string; cluster: string } }
}

export interface FleetTotals {
  sites: number
  succeeded: number
  failed: number
  skipped: number
  /** Sites where Azure was changed (plan: where deploy would change anything). */
  changed: number
}

export function fleetTotals(results: readonly SiteResult<unknown>[]): FleetTotals {
  const count = (status: string) => results.filter((r) => r.status === status).length
  return {
    sites: results.length,
    succeeded: count('succeeded'),
    failed: count('failed'),
    skipped: count('skipped'),
    changed: results.filter((r) => r.changed).length
  }
}

/** 850 ms, 12.4 s, 3m 05s, 1h 02m. */
export function formatElapsed(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const seconds = Math.round(ms / 1000)
  if (seconds < 3600)
    return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`
  const minutes = Math.round(seconds / 60)
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`
}

export function totalsLine(totals: FleetTotals): string {
  return (
    `${totals.sites} site(s): ${totals.succeeded} succeeded (${totals.changed} changed), ` +
    `${totals.failed} failed, ${totals.skipped} skipped`
  )
}

/** The job summary's fleet table (HTML-escaped cells) and its totals line. */
export function fleetSummaryTable(results: readonly SiteResult<SummarySite>[]): {
  table: SummaryTable
  totals: string
} {
  return {
    table: {
      heading: 'Sites',
      rows: [
        ['Site', 'Cluster', 'Action', 'Connection state', 'Duration', 'Error'],
        ...results.map((r) => [
          escapeHtml(r.site.name),
          escapeHtml(r.site.settings.target.cluster),
          escapeHtml(r.action),
          escapeHtml(r.connectionState || '—'),
          r.status === 'skipped' ? '—' : formatElapsed(r.durationMs),
          r.error ? escapeHtml(r.error) : '—'
        ])
      ]
    },
    totals: totalsLine(fleetTotals(results))
  }
}

/** Single-site outputs never copied into `results`: the connection string is a secret. */
const WITHHELD_OUTPUTS = new Set(['connection-string', 'client-token-password'])

/** The step's outputs for a fleet: `results` (one object per site) and `failed` (a count). */
export function fleetOutputs(results: readonly SiteResult<SummarySite>[]): {
  results: string
  failed: string
} {
  const objects = results.map((r) => ({
    site: r.site.name,
    registry: r.site.settings.target.registry,
    cluster: r.site.settings.target.cluster,
    status: r.status,
    action: r.action,
    'connection-state': r.connectionState,
    changed: r.changed,
    'duration-ms': r.durationMs,
    ...(r.error ? { error: r.error } : {}),
    outputs: Object.fromEntries(
      Object.entries(r.outputs ?? {}).filter(([name]) => !WITHHELD_OUTPUTS.has(name))
    )
  }))
  return { results: JSON.stringify(objects), failed: String(fleetTotals(results).failed) }
}

/** The message the step fails with when any site failed; undefined when none did. */
export function fleetFailure(results: readonly SiteResult<SummarySite>[]): string | undefined {
  const failed = results.filter((r) => r.status === 'failed')
  if (failed.length === 0) return undefined
  const totals = fleetTotals(results)
  return (
    `${failed.length} of ${totals.sites} site(s) failed` +
    `${totals.skipped ? ` and ${totals.skipped} were not started` : ''}: ` +
    failed
      .map((r) => `${r.site.name} on ${r.site.settings.target.cluster} (${r.error ?? 'failed'})`)
      .join('; ') +
    '. Fix them and re-run the step: sites that are already converged change nothing.'
  )
}

// What a person reads: the plan in the log, the outputs for later steps, the job summary.

import type { ConnectedRegistry } from '@azure/arm-containerregistry'
import type { Extension } from '@azure/arm-kubernetesconfiguration'
import { isWrite, type Plan, type PlanStep, type StepAction } from './plan/model.js'
import { redact } from './secrets.js'
import type { Operation } from './settings.js'

const SYMBOLS: Record<StepAction, string> = {
  create: '+',
  update: '~',
  unchanged: '=',
  delete: '-',
  deactivate: '!',
  generate: '*',
  absent: '.',
  kept: '='
}

export function formatPlan(plan: Plan): string[] {
  const lines: string[] = []
  for (const step of plan.steps) {
    lines.push(
      `${SYMBOLS[step.action]} ${step.action.padEnd(10)} ${step.resource}${step.reason ? `  (${step.reason})` : ''}`
    )
    for (const change of step.changes) lines.push(`      ${describeChange(change)}`)
  }
  const writes = plan.steps.filter(isWrite).length
  lines.push(writes ? `${writes} change(s) to apply.` : 'No changes: everything is as desired.')
  return lines
}

function describeChange(change: PlanStep['changes'][number]): string {
  if (change.from !== undefined && change.to !== undefined) {
    return `${change.field}: ${change.from} → ${change.to}`
  }
  if (change.to !== undefined) return `${change.field}: ${change.to}`
  return `${change.field}: ${change.from}`
}

/** The plan as JSON for the `plan` output: no request bodies, sensitive values already hidden. */
export function planToJson(plan: Plan, operation: Operation): string {
  return JSON.stringify({
    operation,
    changed: plan.changed,
    steps: plan.steps.map((step) => ({
      resource: step.resource,
      action: step.action,
      ...(step.reason ? { reason: step.reason } : {}),
      changes: step.changes.map(({ field, from, to }) => ({ field, from, to }))
    }))
  })
}

export interface FinalState {
  connectedRegistry?: ConnectedRegistry
  extension?: Extension
  passwordSlot?: string
}

export function collectOutputs(
  plan: Plan,
  operation: Operation,
  final: FinalState
): Record<string, string> {
  const cr = final.connectedRegistry
  const lastSync = cr?.parent?.syncProperties?.lastSyncTime
  return {
    'connected-registry-id': cr?.id ?? plan.connectedRegistryId,
    'extension-id': final.extension?.id ?? plan.extensionId,
    'connection-state': cr?.connectionState ?? '',
    'activation-status': cr?.activation?.status ?? '',
    'login-server': cr?.loginServer?.host ?? '',
    'extension-version': final.extension?.currentVersion ?? final.extension?.version ?? '',
    'last-sync-time': lastSync ? lastSync.toISOString() : '',
    'sync-token-id': plan.syncTokenId,
    'password-slot': final.passwordSlot ?? '',
    changed: String(plan.changed),
    plan: planToJson(plan, operation)
  }
}

export interface SummaryTable {
  heading: string
  rows: string[][]
}

/** The job summary is HTML: text from Azure or the inputs must not become markup, show a
 * secret or carry control characters (redact shows them as escapes). */
export const escapeHtml = (text: string): string =>
  redact(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function summaryTables(plan: Plan, operation: Operation, final: FinalState): SummaryTable[] {
  const tables: SummaryTable[] = [
    {
      heading: operation === 'plan' ? 'Planned changes' : 'Changes',
      rows: [
        ['Resource', 'Action', 'Details'],
        ...plan.steps.map((step) => [
          escapeHtml(step.resource),
          step.action,
          [step.reason, ...step.changes.map(describeChange)]
            .filter((line): line is string => Boolean(line))
            .map(escapeHtml)
            .join('<br>') || '—'
        ])
      ]
    }
  ]
  if (operation !== 'plan' && operation !== 'teardown') {
    const cr = final.connectedRegistry
    const outputs = collectOutputs(plan, operation, final)
    tables.push({
      heading: 'Connected registry',
      rows: [
        ['Property', 'Value'],
        ['Connection state', outputs['connection-state'] || '—'],
        ['Activation', outputs['activation-status'] || '—'],
        ['Login server (in the cluster)', outputs['login-server'] || '—'],
        ['Mode', cr?.mode ?? '—'],
        ['Extension version', outputs['extension-version'] || '—'],
        ['Last sync', outputs['last-sync-time'] || '—'],
        ['Password slot in use', outputs['password-slot'] || '—']
      ].map(([property, value]) => [property, escapeHtml(value)])
    })
  }
  return tables
}

// Shared by the trust tests: inputs for a connected registry of its own per scenario, a way to
// act at the moment a run reaches a given request, and the figures file the README quotes.

import fs from 'node:fs'
import path from 'node:path'
import type { RunningEmulator } from '../../emulator/index.js'
import { targetInputs } from '../../__fixtures__/scenario.js'

export { CLUSTER, REGISTRY, RESOURCE_GROUP as RG } from '../../__fixtures__/scenario.js'

let names = 0
/** A connected-registry name no other scenario uses (5-40 letters and digits). */
export function uniqueName(prefix: string): string {
  names += 1
  return `${prefix.replace(/[^a-z0-9]/gi, '').slice(0, 30)}${String(names).padStart(3, '0')}`
}

/** A service IP per connected registry, the same for every run of it (runs may interleave). */
const serviceIps = new Map<string, string>()
const serviceIpOf = (name: string): string => {
  if (!serviceIps.has(name)) serviceIps.set(name, `10.0.3.${(serviceIps.size % 230) + 20}`)
  return serviceIps.get(name) as string
}

/** Deploy inputs for one connected registry, with short polls for the emulator. */
export function deployInputs(
  name: string,
  extra: Record<string, string> = {}
): Record<string, string> {
  return {
    ...targetInputs(name),
    'extension-name': name.toLowerCase(),
    'service-cluster-ip': serviceIpOf(name),
    repositories: 'hello-world, app/web',
    timeout: '20s',
    ...extra
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

export async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await sleep(5)
  }
}

/**
 * Holds the next request matching `operation` for `holdMs` (a latency fault) and runs `act`
 * while it is held: the way to change the world at an exact point of a run (expire tokens
 * mid-run, inject a fault that quotes a value generated moments before).
 */
export async function whenRequestArrives(
  emu: RunningEmulator,
  operation: string,
  act: () => void | Promise<void>,
  holdMs = 300
): Promise<void> {
  const id = emu.admin.addFault({ operation, kind: 'latency', latencyMs: holdMs, times: 1 })
  await until(() => !emu.admin.faults().some((fault) => fault.id === id))
  await act()
}

/** Records the figures a test measured, for docs/trust.md (coverage/ is not committed). */
export function writeFigures(file: string, figures: unknown): void {
  const target = path.resolve('coverage', 'trust', file)
  fs.mkdirSync(path.dirname(target), { recursive: true })
  fs.writeFileSync(target, `${JSON.stringify(figures, null, 2)}\n`)
}

// A fleet step's inputs, read and checked before any request: the sites file and every site in
// it, which sites this step runs (select, shard) and how (rollout). What needs Azure (parents
// and the per-registry limit against what exists) follows with checkSitesAgainstAzure.

import fs from 'node:fs'
import { isNotFound } from '../azure/errors.js'
import { InputError, InputErrors, inputErrors } from '../inputs/errors.js'
import type { InputReader } from '../inputs/input-reader.js'
import type { ConnectedRegistryLister } from './batched-status.js'
import { SitesFileError, sitesFileProblems } from './errors.js'
import { parseRolloutSettings, planWaves, type RolloutSettings } from './rollout.js'
import { parseSelect, parseShard, selectSites, type Shard } from './select.js'
import { FLEET_INPUT, SITE_IDENTITY_INPUTS } from './site-inputs.js'
import {
  parseSitesFile,
  registriesOf,
  resolveSitesPath,
  type FleetSite,
  type SitesFile
} from './sites-file.js'

export interface Fleet {
  sitesFile: SitesFile
  /** The sites this step runs (after select and shard), in file order. */
  sites: FleetSite[]
  select: string[]
  shard?: Shard
  rollout: RolloutSettings
  /** The waves the sites run in (rollout.ts). */
  waves: FleetSite[][]
}

/** True when the step runs a fleet (the `sites` input is set). */
export const isFleetStep = (reader: InputReader): boolean => reader.get(FLEET_INPUT.sites) !== ''

/** Fleet inputs given without `sites`, and single-site identity inputs given with it. */
function misplacedInputs(reader: InputReader, fleet: boolean): InputError[] {
  if (fleet) {
    return SITE_IDENTITY_INPUTS.filter((name) => reader.get(name)).map((name) =>
      inputErrors.notUsedWith(
        name,
        "'sites'",
        `remove '${name}' from the step: every site in the sites file names its own`
      )
    )
  }
  const fleetOnly = [
    FLEET_INPUT.select,
    FLEET_INPUT.shard,
    FLEET_INPUT.rollout,
    FLEET_INPUT.canarySites,
    FLEET_INPUT.maxParallel,
    FLEET_INPUT.failureBudget
  ]
  return fleetOnly
    .filter((name) => reader.get(name))
    .map((name) =>
      inputErrors.notUsedWith(
        name,
        `a single site (no 'sites' input)`,
        `set 'sites' to the path of a sites file, or remove '${name}'`
      )
    )
}

/** Fleet-only inputs on a single-site step are mistakes: call this for single-site steps. */
export function checkSingleSiteStep(reader: InputReader): void {
  const errors = misplacedInputs(reader, false)
  if (errors.length === 1) throw errors[0]
  if (errors.length > 1) throw new InputErrors(errors)
}

export interface LoadFleetOptions {
  /** GITHUB_WORKSPACE: the sites path is relative to it. */
  workspace: string
  env: NodeJS.ProcessEnv
  now?: Date
  readFile?: (path: string) => string
}

/**
 * Reads and checks everything a fleet step needs before its first request. Throws InputError(s)
 * for the step's inputs, SitesFileError for the file (every problem at once).
 */
export function loadFleet(reader: InputReader, options: LoadFleetOptions): Fleet {
  const errors: InputError[] = [...misplacedInputs(reader, true)]
  const check = <T>(fallback: T, parse: () => T): T => {
    try {
      return parse()
    } catch (error) {
      if (error instanceof InputErrors) errors.push(...error.errors)
      else if (error instanceof InputError) errors.push(error)
      else throw error
      return fallback
    }
  }
  const select = parseSelect(reader.get(FLEET_INPUT.select))
  const shard = check(undefined, () => parseShard(reader.get(FLEET_INPUT.shard)))
  const rollout = check(undefined, () => parseRolloutSettings(reader))
  if (errors.length === 1) throw errors[0]
  if (errors.length > 1) throw new InputErrors(errors)

  const file = reader.get(FLEET_INPUT.sites)
  const path = resolveSitesPath(file, options.workspace)
  let text: string
  try {
    text = (options.readFile ?? ((p) => fs.readFileSync(p, 'utf8')))(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new SitesFileError([
      sitesFileProblems.unreadable(file, code === 'ENOENT' ? 'no such file' : String(code ?? error))
    ])
  }
  const sitesFile = parseSitesFile(text, {
    file,
    step: reader,
    env: options.env,
    ...(options.now ? { now: options.now } : {})
  })
  const sites = selectSites(sitesFile.sites, { select, ...(shard ? { shard } : {}), file })
  const settings = rollout as RolloutSettings
  return {
    sitesFile,
    sites,
    select,
    ...(shard ? { shard } : {}),
    rollout: settings,
    waves: planWaves(sites, settings)
  }
}

/**
 * The connected registries that exist in each registry of the sites (one LIST per registry), for
 * checkSitesAgainstAzure. A registry that does not exist has none: the plan reports it missing.
 */
export async function existingConnectedRegistries(
  lister: ConnectedRegistryLister,
  sites: readonly FleetSite[]
): Promise<Map<string, string[]>> {
  const entries = await Promise.all(
    registriesOf(sites).map(async ({ key, resourceGroup, registry }) => {
      try {
        const list = await lister.listConnectedRegistries(resourceGroup, registry)
        return [key, list.map((cr) => cr.name ?? '').filter(Boolean)] as const
      } catch (error) {
        if (isNotFound(error)) return [key, []] as const
        throw error
      }
    })
  )
  return new Map(entries.map(([key, names]) => [key, [...names]]))
}

// The sites file: one YAML file lists every site of a fleet. Each site is turned into the same
// typed Settings a single-site step gets, by the single-site parser itself, fed by a layered
// reader: the site's fields, then the file's `defaults:`, then the step's inputs. So every value
// rule of action.yml holds in the file, and a problem names the file, the line and the field.
// Everything is checked before any request; nothing is written while one entry is wrong.

import path from 'node:path'
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Document,
  type Node as YamlNode,
  type YAMLMap
} from 'yaml'
import { InputError, InputErrors } from '../inputs/errors.js'
import type { InputReader } from '../inputs/input-reader.js'
import { INPUT, parseSettings } from '../inputs/parse-settings.js'
import type { Settings } from '../settings.js'
import { SitesFileError, sitesFileProblems, type SitesFileProblem } from './errors.js'
import {
  FILE_FORBIDDEN_SECRET_INPUTS,
  isPerSiteInput,
  LIST_INPUTS,
  MAP_INPUTS,
  SITE_IDENTITY_INPUTS,
  STEP_INPUTS
} from './site-inputs.js'

/** Azure's documented limit of connected registries per registry. */
export const MAX_CONNECTED_REGISTRIES_PER_REGISTRY = 50

/** A field as written in the file: its value as input text and the line it is on. */
interface Field {
  value: string
  line: number
}

export interface FleetSite {
  /** Position in the file's `sites:` list, from 0. */
  index: number
  /** Line of the entry in the file. */
  line: number
  /** The connected registry's name: what a person calls the site. */
  name: string
  /** registry/connected-registry: unique in Azure (registry names are global), and stable. */
  key: string
  settings: Settings
  /** Lines of the fields the site sets itself, for later messages. */
  fieldLines: Readonly<Record<string, number>>
}

export interface SitesFile {
  /** The file as the user named it (relative to the workspace). */
  file: string
  sites: FleetSite[]
  warnings: string[]
}

export interface SitesFileOptions {
  /** The file's name in messages, as the user gave it. */
  file: string
  /** The step's inputs: defaults below the file's, and the step-wide inputs. */
  step: InputReader
  /** Supplies AZURE_SUBSCRIPTION_ID, as for a single site. */
  env: NodeJS.ProcessEnv
  /** When certificates must be valid. */
  now?: Date
}

/** The absolute path of the `sites` input, which must stay inside the workspace. */
export function resolveSitesPath(input: string, workspace: string): string {
  const resolved = path.resolve(workspace, input)
  const relative = path.relative(path.resolve(workspace), resolved)
  if (relative.startsWith('..') || path.isAbsolute(relative)) {
    throw new SitesFileError([sitesFileProblems.unreadable(input, 'it is outside the workspace')])
  }
  return resolved
}

export const registryKey = (site: Pick<FleetSite, 'settings'>): string =>
  `${site.settings.target.resourceGroup}/${site.settings.target.registry}`.toLowerCase()

class Collector {
  readonly problems: SitesFileProblem[] = []
  constructor(
    readonly file: string,
    private readonly lines: LineCounter
  ) {}
  lineOf(node: YamlNode | null | undefined): number | undefined {
    const start = node?.range?.[0]
    return start === undefined ? undefined : this.lines.linePos(start).line
  }
  add(problem: SitesFileProblem): void {
    this.problems.push(problem)
  }
}

/** The fields of a mapping (defaults or a site), as input text, with their lines. */
function readFields(
  map: YAMLMap,
  doc: Document,
  where: string,
  out: Collector
): Map<string, Field> {
  const fields = new Map<string, Field>()
  for (const pair of map.items) {
    const keyNode = pair.key as YamlNode
    const field = isScalar(keyNode) ? String(keyNode.value) : ''
    const line = out.lineOf(keyNode) ?? 0
    if (!isScalar(keyNode)) {
      out.add(
        sitesFileProblems.shape(
          out.file,
          line,
          where,
          'has a key that is not text',
          'expected input names as keys'
        )
      )
      continue
    }
    if (FILE_FORBIDDEN_SECRET_INPUTS.includes(field as never)) {
      out.add(sitesFileProblems.secretField(out.file, line, where, field))
      continue
    }
    if ((STEP_INPUTS as readonly string[]).includes(field)) {
      out.add(sitesFileProblems.stepField(out.file, line, where, field))
      continue
    }
    if (!isPerSiteInput(field)) {
      out.add(sitesFileProblems.unknownField(out.file, line, where, field))
      continue
    }
    const value = textOf(pair.value as YamlNode | null, doc, field)
    if (value === undefined) {
      out.add(
        sitesFileProblems.notText(
          out.file,
          line,
          where,
          field,
          LIST_INPUTS.includes(field),
          MAP_INPUTS.includes(field)
        )
      )
      continue
    }
    fields.set(field, { value, line })
  }
  return fields
}

/**
 * A value as the input text the single-site parser reads. The document is parsed with YAML's
 * failsafe schema, so every scalar is the text as written (1.10 stays '1.10', true stays
 * 'true'), as with a step's `with:`. Lists and key=value inputs may also be written the YAML way.
 */
function textOf(node: YamlNode | null, doc: Document, field: string): string | undefined {
  const resolved = isAlias(node) ? (node.resolve(doc) as YamlNode | undefined) : node
  if (resolved === null || resolved === undefined) return ''
  if (isScalar(resolved)) return String(resolved.value ?? '').trim()
  if (isSeq(resolved) && LIST_INPUTS.includes(field as never)) {
    const items = resolved.items.map((item) => textOf(item as YamlNode, doc, ''))
    return items.every((item) => item !== undefined) ? items.join('\n') : undefined
  }
  if (isMap(resolved) && MAP_INPUTS.includes(field as never)) {
    const lines: string[] = []
    for (const pair of resolved.items) {
      const key = textOf(pair.key as YamlNode, doc, '')
      const value = textOf(pair.value as YamlNode, doc, '')
      if (!key || value === undefined) return undefined
      lines.push(`${key}=${value}`)
    }
    return lines.join('\n')
  }
  return undefined
}

/** Site → file defaults → step input. A field set in a layer, even empty, hides the ones below. */
function layeredReader(
  site: Map<string, Field>,
  defaults: Map<string, Field>,
  step: InputReader
): InputReader {
  return {
    get(name) {
      if (!isPerSiteInput(name)) return step.get(name)
      return (site.get(name) ?? defaults.get(name))?.value.trim() ?? step.get(name)
    }
  }
}

/** How messages call a site: by its connected registry's name, or by its place in the list. */
function siteName(node: YAMLMap, index: number): string {
  const name = node.get(INPUT.connectedRegistry)
  return typeof name === 'string' && name.trim() ? `site '${name.trim()}'` : `sites[${index}]`
}

/** Turns one InputError of a site's parse into a problem at the line the value came from. */
function locate(
  error: InputError,
  where: string,
  entryLine: number,
  site: Map<string, Field>,
  defaults: Map<string, Field>,
  file: string
): SitesFileProblem {
  const { input, problem, allowed } = error
  // Key material comes from the step, but whether a site needs it depends on the site's tls.
  if (FILE_FORBIDDEN_SECRET_INPUTS.includes(input as never)) {
    return { file, line: entryLine, where, field: input, problem, allowed }
  }
  if (!isPerSiteInput(input)) return sitesFileProblems.stepInput(file, error.message)
  const own = site.get(input)
  if (own) return { file, line: own.line, where, field: input, problem, allowed }
  const fallback = defaults.get(input)
  // A default's own value is wrong for every site alike: one message, at the default.
  if (fallback && !CROSS_INPUT_ERRORS.has(input)) {
    return { file, line: fallback.line, where: 'defaults', field: input, problem, allowed }
  }
  return {
    file,
    line: entryLine,
    where,
    field: input,
    problem: `${problem}${fallback ? ` (the default at line ${fallback.line})` : ''}`,
    allowed
  }
}

/** Inputs whose errors depend on another input of the site, so a default is not wrong alone. */
const CROSS_INPUT_ERRORS = new Set<string>([
  INPUT.autoUpgradeMinorVersion,
  INPUT.parent,
  INPUT.tlsSecret
])

/**
 * Parses and validates a sites file: its shape, every site's settings, and the checks across
 * sites that need no request (duplicates, the per-registry limit within the file). Throws a
 * SitesFileError with every problem found; returns the sites in file order otherwise.
 * `checkSitesAgainstAzure` adds the checks that need what exists in Azure.
 */
export function parseSitesFile(text: string, options: SitesFileOptions): SitesFile {
  const { file, step, env } = options
  const now = options.now ?? new Date()
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { schema: 'failsafe', lineCounter, uniqueKeys: true })
  const out = new Collector(file, lineCounter)
  for (const error of doc.errors) {
    out.add(sitesFileProblems.yaml(file, error.linePos?.[0].line, error.message))
  }
  if (out.problems.length > 0) throw new SitesFileError(out.problems)

  const root = doc.contents as YamlNode | null
  if (!isMap(root)) {
    throw new SitesFileError([
      sitesFileProblems.shape(
        file,
        out.lineOf(root) ?? 1,
        'the file',
        'is not a mapping',
        "expected 'defaults:' (optional) and 'sites:' (a list of sites) at the top level"
      )
    ])
  }
  let defaultsNode: YamlNode | null | undefined
  let sitesNode: YamlNode | null | undefined
  let sitesKeyLine = 1
  for (const pair of root.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : ''
    if (key === 'defaults') defaultsNode = pair.value as YamlNode | null
    else if (key === 'sites') {
      sitesNode = pair.value as YamlNode | null
      sitesKeyLine = out.lineOf(pair.key as YamlNode) ?? 1
    } else {
      out.add(
        sitesFileProblems.shape(
          file,
          out.lineOf(pair.key as YamlNode),
          'the file',
          `has an unknown top-level key '${key}'`,
          "expected only 'defaults:' and 'sites:'"
        )
      )
    }
  }

  let defaults = new Map<string, Field>()
  if (defaultsNode !== undefined && defaultsNode !== null && !isScalarEmpty(defaultsNode)) {
    if (!isMap(defaultsNode)) {
      out.add(
        sitesFileProblems.shape(
          file,
          out.lineOf(defaultsNode),
          'defaults',
          'is not a mapping',
          "expected input names with their values, as under a step's with:"
        )
      )
    } else {
      defaults = readFields(defaultsNode, doc, 'defaults', out)
      for (const identity of SITE_IDENTITY_INPUTS) {
        const field = defaults.get(identity)
        if (field) {
          out.add(sitesFileProblems.identityInDefaults(file, field.line, identity))
          defaults.delete(identity)
        }
      }
    }
  }

  if (!isSeq(sitesNode) || sitesNode.items.length === 0) {
    out.add(
      sitesFileProblems.shape(
        file,
        out.lineOf(sitesNode) ?? sitesKeyLine,
        'sites',
        sitesNode === undefined
          ? 'is missing'
          : isSeq(sitesNode)
            ? 'is empty'
            : 'is not a list of sites',
        'expected a list of sites, each a mapping with at least connected-registry and cluster'
      )
    )
    throw new SitesFileError(out.problems)
  }

  const sites: FleetSite[] = []
  const warnings = new Set<string>()
  sitesNode.items.forEach((item, index) => {
    const node = (isAlias(item) ? item.resolve(doc) : item) as YamlNode | null
    const entryLine = out.lineOf(item as YamlNode) ?? sitesKeyLine
    if (!isMap(node)) {
      out.add(
        sitesFileProblems.shape(
          file,
          entryLine,
          `sites[${index}]`,
          'is not a mapping',
          'expected a site: connected-registry, cluster and any other per-site inputs'
        )
      )
      return
    }
    const where = siteName(node, index)
    const fields = readFields(node, doc, where, out)
    let complete = true
    for (const identity of SITE_IDENTITY_INPUTS) {
      if (!fields.get(identity)?.value) {
        out.add(
          sitesFileProblems.missingIdentity(
            file,
            fields.get(identity)?.line ?? entryLine,
            where,
            identity
          )
        )
        complete = false
      }
    }
    if (!complete) return
    try {
      const parsed = parseSettings(layeredReader(fields, defaults, step), env, now)
      for (const warning of parsed.warnings)
        warnings.add(`${file}:${entryLine}: ${where}: ${warning}`)
      sites.push({
        index,
        line: entryLine,
        name: parsed.settings.target.connectedRegistry,
        key: `${parsed.settings.target.registry}/${parsed.settings.target.connectedRegistry}`.toLowerCase(),
        settings: parsed.settings,
        fieldLines: Object.fromEntries([...fields].map(([name, field]) => [name, field.line]))
      })
    } catch (error) {
      const errors =
        error instanceof InputErrors
          ? error.errors
          : error instanceof InputError
            ? [error]
            : undefined
      if (!errors) throw error
      for (const inputError of errors) {
        out.add(locate(inputError, where, entryLine, fields, defaults, file))
      }
    }
  })

  if (out.problems.length === 0) {
    for (const problem of crossSiteProblems(file, sites)) out.add(problem)
    for (const problem of checkAgainstExisting(file, sites, new Map(), false)) out.add(problem)
  }
  if (out.problems.length > 0) throw new SitesFileError(out.problems)
  return { file, sites, warnings: [...warnings] }
}

const isScalarEmpty = (node: YamlNode): boolean => isScalar(node) && String(node.value ?? '') === ''

const lineOfField = (site: FleetSite, field: string): number => site.fieldLines[field] ?? site.line

/** Duplicates across sites: a connected registry twice in one registry, an extension twice on
 * one cluster. */
function crossSiteProblems(file: string, sites: readonly FleetSite[]): SitesFileProblem[] {
  const problems: SitesFileProblem[] = []
  const registries = new Map<string, FleetSite>()
  const extensions = new Map<string, FleetSite>()
  for (const site of sites) {
    const { target } = site.settings
    const where = `site '${site.name}'`
    const first = registries.get(site.key)
    if (first) {
      problems.push(
        sitesFileProblems.duplicateConnectedRegistry(
          file,
          lineOfField(site, INPUT.connectedRegistry),
          where,
          target.connectedRegistry,
          target.registry,
          lineOfField(first, INPUT.connectedRegistry)
        )
      )
    } else registries.set(site.key, site)

    const extensionKey =
      `${target.subscriptionId}/${target.clusterResourceGroup}/${target.cluster}/${target.extensionName}`.toLowerCase()
    const sameExtension = extensions.get(extensionKey)
    if (sameExtension && !first) {
      const field = site.fieldLines[INPUT.extensionName] ? INPUT.extensionName : INPUT.cluster
      problems.push(
        sitesFileProblems.duplicateExtension(
          file,
          lineOfField(site, field),
          where,
          field,
          target.extensionName,
          target.cluster,
          sameExtension.line
        )
      )
    } else if (!sameExtension) extensions.set(extensionKey, site)
  }
  return problems
}

/** Parents and the per-registry limit, against the names that exist per registry
 * (registryKey → names). With `lookedInAzure` false only the file is known: parents are not
 * checked yet, the limit counts the file's sites alone. */
function checkAgainstExisting(
  file: string,
  sites: readonly FleetSite[],
  existing: ReadonlyMap<string, readonly string[]>,
  lookedInAzure: boolean
): SitesFileProblem[] {
  const problems: SitesFileProblem[] = []
  const byRegistry = new Map<string, FleetSite[]>()
  for (const site of sites) {
    const list = byRegistry.get(registryKey(site)) ?? []
    list.push(site)
    byRegistry.set(registryKey(site), list)
  }
  for (const [key, members] of byRegistry) {
    const inAzure = new Set((existing.get(key) ?? []).map((name) => name.toLowerCase()))
    const inFile = new Set(members.map((site) => site.name.toLowerCase()))
    if (lookedInAzure) {
      for (const site of members) {
        const parent = site.settings.connectedRegistry.parent
        if (parent && !inFile.has(parent.toLowerCase()) && !inAzure.has(parent.toLowerCase())) {
          problems.push(
            sitesFileProblems.unknownParent(
              file,
              lineOfField(site, INPUT.parent),
              `site '${site.name}'`,
              parent,
              site.settings.target.registry,
              true
            )
          )
        }
      }
    }
    // Teardown removes connected registries: the limit is about creating them.
    const creating = members.filter((site) => site.settings.behaviour.operation !== 'teardown')
    const onlyInAzure = [...inAzure].filter((name) => !inFile.has(name)).length
    const newOnes = creating.filter((site) => !inAzure.has(site.name.toLowerCase()))
    const total = inAzure.size + newOnes.length
    if (creating.length > 0 && total > MAX_CONNECTED_REGISTRIES_PER_REGISTRY) {
      // The line of the first site past the limit, counting from those already in Azure.
      const over = newOnes[Math.max(0, MAX_CONNECTED_REGISTRIES_PER_REGISTRY - inAzure.size)]
      problems.push(
        sitesFileProblems.tooManyConnectedRegistries(
          file,
          lineOfField(over ?? creating[0], INPUT.registry),
          `site '${(over ?? creating[0]).name}'`,
          members[0].settings.target.registry,
          members.length,
          onlyInAzure,
          MAX_CONNECTED_REGISTRIES_PER_REGISTRY
        )
      )
    }
  }
  return problems
}

/** The registries the sites live in: one LIST of connected registries each tells what exists. */
export function registriesOf(
  sites: readonly FleetSite[]
): { key: string; resourceGroup: string; registry: string }[] {
  const seen = new Map<string, { key: string; resourceGroup: string; registry: string }>()
  for (const site of sites) {
    const key = registryKey(site)
    if (!seen.has(key)) {
      seen.set(key, {
        key,
        resourceGroup: site.settings.target.resourceGroup,
        registry: site.settings.target.registry
      })
    }
  }
  return [...seen.values()]
}

/**
 * The checks that need what exists in Azure, before any write: every parent is a site of the
 * file or a connected registry of its registry in Azure, and no registry would exceed Azure's
 * limit of 50 connected registries counting those already there. `existing` maps registryKey
 * (see registriesOf) to the names of its connected registries in Azure. Throws SitesFileError.
 */
export function checkSitesAgainstAzure(
  parsed: SitesFile,
  existing: ReadonlyMap<string, readonly string[]>
): void {
  const problems = checkAgainstExisting(parsed.file, parsed.sites, existing, true)
  if (problems.length > 0) throw new SitesFileError(problems)
}

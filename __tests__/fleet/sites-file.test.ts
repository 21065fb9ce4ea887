// The sites file: every site gets the Settings a single-site step would, and every mistake is
// reported with the file, the line and the field, all at once, before anything is requested.

import { describe, expect, it } from '@jest/globals'
import { fromRecord } from '../../src/inputs/input-reader.js'
import { SitesFileError } from '../../src/fleet/errors.js'
import {
  checkSitesAgainstAzure,
  parseSitesFile,
  registriesOf,
  resolveSitesPath,
  type SitesFile
} from '../../src/fleet/sites-file.js'

const SUBSCRIPTION = '00000000-0000-0000-0000-0000000000aa'
const env = { AZURE_SUBSCRIPTION_ID: SUBSCRIPTION }
const FILE = 'fleet/sites.yml'

const parse = (text: string, step: Record<string, string> = {}): SitesFile =>
  parseSitesFile(text, { file: FILE, step: fromRecord(step), env })

/** The messages a file fails with, one per problem. */
function problemsOf(text: string, step: Record<string, string> = {}): string[] {
  try {
    parse(text, step)
  } catch (error) {
    if (!(error instanceof SitesFileError)) throw error
    return error.message
      .split('\n')
      .filter((line) => !/^The sites file has/.test(line))
      .map((line) => line.replace(/^- /, ''))
  }
  throw new Error('the file was accepted')
}

const lines = (...text: string[]): string => `${text.join('\n')}\n`

const VALID = lines(
  '# yaml-language-server: $schema=../schema/sites.schema.json',
  'defaults:',
  '  resource-group: edge-rg',
  '  registry: contosoacr',
  '  repositories: [pos/app, pos/sidecar]',
  '  sync-schedule: 0 */2 * * *',
  '  sync-window: PT1H',
  '  parent: storehub',
  'sites:',
  '  - connected-registry: storehub',
  '    cluster: hub-cluster',
  '    parent: ""',
  '    mode: ReadWrite',
  '    service-cluster-ip: 10.0.0.50',
  '  - connected-registry: storeberlin01',
  '    cluster: store-berlin-01',
  '    cluster-resource-group: stores-eu-rg',
  '    service-cluster-ip: 10.0.0.51',
  '    extension-version: 1.10.0',
  '    auto-upgrade-minor-version: false',
  '    extension-config:',
  '      resources.limits.memory: 1Gi',
  '  - connected-registry: storeparis01',
  '    cluster: store-paris-01',
  '    service-cluster-ip: 10.0.0.52',
  '    repositories: |',
  '      pos/app',
  '      pos/kiosk'
)

describe('parseSitesFile', () => {
  it('gives every site the settings a single-site step would get, in file order', () => {
    const parsed = parse(VALID, { 'log-level': 'Warning', mode: 'ReadOnly', registry: 'otheracr' })
    expect(parsed.sites.map((site) => [site.name, site.line, site.key])).toEqual([
      ['storehub', 10, 'contosoacr/storehub'],
      ['storeberlin01', 15, 'contosoacr/storeberlin01'],
      ['storeparis01', 23, 'contosoacr/storeparis01']
    ])
    const [hub, berlin, paris] = parsed.sites.map((site) => site.settings)
    // An empty field in a site hides the file's default (the hub has no parent).
    expect(hub.connectedRegistry.parent).toBeUndefined()
    expect(hub.connectedRegistry.mode).toBe('ReadWrite')
    expect(berlin.connectedRegistry.parent).toBe('storehub')
    // Step inputs sit below the file: the file's registry wins, the step's log level applies.
    expect(berlin.target.registry).toBe('contosoacr')
    expect(berlin.connectedRegistry.logLevel).toBe('Warning')
    expect(berlin.connectedRegistry.mode).toBe('ReadOnly')
    expect(berlin.target.subscriptionId).toBe(SUBSCRIPTION)
    expect(berlin.target.clusterResourceGroup).toBe('stores-eu-rg')
    expect(paris.target.clusterResourceGroup).toBe('edge-rg')
    // YAML's failsafe reading: 1.10.0 and false stay the text as written.
    expect(berlin.extension.version).toBe('1.10.0')
    expect(berlin.extension.autoUpgradeMinorVersion).toBe(false)
    expect(berlin.extension.extraConfig).toEqual({ 'resources.limits.memory': '1Gi' })
    expect(berlin.connectedRegistry.repositories).toEqual(['pos/app', 'pos/sidecar'])
    expect(paris.connectedRegistry.repositories).toEqual(['pos/app', 'pos/kiosk'])
    expect(berlin.connectedRegistry.syncSchedule).toBe('0 */2 * * *')
    expect(parsed.warnings).toEqual([])
  })

  it('names the file, the line and the field of every bad value, all at once', () => {
    const text = lines(
      'defaults:',
      '  registry: contosoacr',
      '  resource-group: edge-rg',
      'sites:',
      '  - connected-registry: store01',
      '    cluster: c1',
      '    service-cluster-ip: 10.0.0.300',
      '  - connected-registry: store02',
      '    cluster: c2',
      '    service-cluster-ip: 10.0.0.2',
      '    mode: ReadMostly',
      '    message-ttl: P1000D'
    )
    expect(problemsOf(text)).toEqual([
      "fleet/sites.yml:7: site 'store01': field 'service-cluster-ip' has an invalid value '10.0.0.300': expected an IPv4 or IPv6 address, such as 10.0.0.10 or fd00::10, written plainly (no leading zeros, zone index, prefix length or brackets).",
      "fleet/sites.yml:11: site 'store02': field 'mode' has an invalid value 'ReadMostly': expected one of ReadOnly, ReadWrite.",
      expect.stringMatching(
        /^fleet\/sites\.yml:12: site 'store02': field 'message-ttl' has an invalid value 'P1000D'/
      )
    ])
  })

  it('reports a bad default once, at the default', () => {
    const text = lines(
      'defaults:',
      '  registry: contosoacr',
      '  resource-group: edge-rg',
      '  tls: letsencrypt',
      'sites:',
      '  - { connected-registry: store01, cluster: c1, service-cluster-ip: 10.0.0.1 }',
      '  - { connected-registry: store02, cluster: c2, service-cluster-ip: 10.0.0.2 }'
    )
    expect(problemsOf(text)).toEqual([
      "fleet/sites.yml:4: defaults: field 'tls' has an invalid value 'letsencrypt': expected one of cert-manager, existing-cert-manager, byoc, kubernetes-secret, none."
    ])
  })

  it('refuses key material, step-wide inputs, unknown fields and defaults for a site identity', () => {
    const text = lines(
      'defaults:',
      '  registry: contosoacr',
      '  resource-group: edge-rg',
      '  cluster: c1',
      'sites:',
      '  - connected-registry: store01',
      '    cluster: c1',
      '    service-cluster-ip: 10.0.0.1',
      '    tls: byoc',
      '    tls-key: not-here',
      '    operation: teardown',
      '    servce-cluster-ip: 10.0.0.1'
    )
    const problems = problemsOf(text, { 'tls-cert': 'x' })
    expect(problems).toEqual(
      expect.arrayContaining([
        "fleet/sites.yml:4: defaults: field 'cluster' cannot have a default: set 'cluster' on each site: every site names its own.",
        "fleet/sites.yml:10: site 'store01': field 'tls-key' is key material, which never belongs in a file in the repository: remove it and pass 'tls-key' as a step input from a secret (${{ secrets.NAME }}).",
        "fleet/sites.yml:11: site 'store01': field 'operation' applies to the whole step, not to one site: remove it from the file and set 'operation' as a step input.",
        expect.stringMatching(
          /^fleet\/sites\.yml:12: site 'store01': field 'servce-cluster-ip' is not an input a site can set/
        ),
        // tls: byoc takes its key from the step, where it is missing.
        "fleet/sites.yml:6: site 'store01': field 'tls-key' is not set but is required with tls 'byoc': expected the private key of the certificate as PEM or base64 of PEM (from a secret)."
      ])
    )
    // The refused key is never echoed.
    expect(problems.join('\n')).not.toContain('not-here')
  })

  it('requires connected-registry and cluster in every site', () => {
    const text = lines(
      'defaults: { registry: contosoacr, resource-group: edge-rg }',
      'sites:',
      '  - connected-registry: store01',
      '    service-cluster-ip: 10.0.0.1',
      '  - cluster: c2'
    )
    expect(problemsOf(text, { cluster: 'step-cluster' })).toEqual([
      "fleet/sites.yml:3: site 'store01': field 'cluster' is not set but every site needs it: add 'cluster' to the site.",
      "fleet/sites.yml:5: sites[1]: field 'connected-registry' is not set but every site needs it: add 'connected-registry' to the site."
    ])
  })

  it('reports YAML syntax and shape problems with their line', () => {
    expect(problemsOf('sites:\n  - connected-registry: a\n    cluster: b: c\n')[0]).toBe(
      'fleet/sites.yml:3: is not valid YAML (Nested mappings are not allowed in compact mappings): fix the YAML syntax.'
    )
    expect(problemsOf('sites:\n  - { cluster: a, cluster: b }\n')[0]).toMatch(
      /^fleet\/sites\.yml:2: is not valid YAML \(Map keys must be unique\)/
    )
    expect(problemsOf('defaults: {}\n')).toEqual([
      'fleet/sites.yml:1: sites: is missing: expected a list of sites, each a mapping with at least connected-registry and cluster.'
    ])
    expect(problemsOf('sites: []\n')).toEqual([
      'fleet/sites.yml:1: sites: is empty: expected a list of sites, each a mapping with at least connected-registry and cluster.'
    ])
    expect(problemsOf('sites:\n  - store01\n')).toEqual([
      'fleet/sites.yml:2: sites[0]: is not a mapping: expected a site: connected-registry, cluster and any other per-site inputs.'
    ])
    expect(problemsOf('site:\n  - {}\n')[0]).toBe(
      "fleet/sites.yml:1: the file: has an unknown top-level key 'site': expected only 'defaults:' and 'sites:'."
    )
  })

  it('reports a step input that is wrong once, as an input', () => {
    const text = lines(
      'defaults: { registry: contosoacr, resource-group: edge-rg }',
      'sites:',
      '  - { connected-registry: store01, cluster: c1, service-cluster-ip: 10.0.0.1 }',
      '  - { connected-registry: store02, cluster: c2, service-cluster-ip: 10.0.0.2 }'
    )
    expect(problemsOf(text, { timeout: 'forever' })).toEqual([
      expect.stringMatching(
        /^fleet\/sites\.yml: cannot be used: Input 'timeout' has an invalid value 'forever'/
      )
    ])
  })

  it('refuses a connected registry twice in one registry and an extension twice on one cluster', () => {
    const text = lines(
      'defaults: { registry: contosoacr, resource-group: edge-rg, service-cluster-ip: 10.0.0.1 }',
      'sites:',
      '  - connected-registry: store01',
      '    cluster: c1',
      '  - connected-registry: Store01',
      '    cluster: c2',
      '  - connected-registry: store01',
      '    cluster: c3',
      '    registry: otheracr',
      '  - connected-registry: store04',
      '    cluster: c1',
      '    extension-name: store01'
    )
    expect(problemsOf(text)).toEqual([
      "fleet/sites.yml:5: site 'Store01': field 'connected-registry' names connected registry 'Store01' of registry 'contosoacr' again (first at line 3): give every site its own connected registry: one connected registry serves one cluster.",
      "fleet/sites.yml:12: site 'store04': field 'extension-name' gives extension 'store01' on cluster 'c1' again (first at line 3): give each site on a cluster its own 'extension-name' (it defaults to the connected registry's name in lower case)."
    ])
  })

  it('refuses more than 50 connected registries in one registry within the file', () => {
    const sites = Array.from(
      { length: 51 },
      (_, i) => `  - { connected-registry: store${String(i).padStart(3, '0')}, cluster: c${i} }`
    )
    const text = lines(
      'defaults: { registry: contosoacr, resource-group: edge-rg, service-cluster-ip: 10.0.0.1 }',
      'sites:',
      ...sites
    )
    expect(problemsOf(text)).toEqual([
      "fleet/sites.yml:53: site 'store050': field 'registry' would give registry 'contosoacr' 51 connected registries (51 sites in the file), more than the 50 Azure allows per registry: spread the sites over several registries (set registry per site), or remove connected registries that are no longer used."
    ])
    // A teardown creates none.
    expect(parse(text, { operation: 'teardown' }).sites).toHaveLength(51)
  })
})

describe('checkSitesAgainstAzure', () => {
  const text = lines(
    'defaults: { registry: contosoacr, resource-group: edge-rg, service-cluster-ip: 10.0.0.1 }',
    'sites:',
    '  - { connected-registry: store01, cluster: c1, parent: storehub }',
    '  - { connected-registry: store02, cluster: c2, parent: store01 }',
    '  - { connected-registry: store03, cluster: c3, registry: otheracr }'
  )
  const parsed = parse(text)
  const check = (existing: Record<string, string[]>): string[] => {
    try {
      checkSitesAgainstAzure(parsed, new Map(Object.entries(existing)))
      return []
    } catch (error) {
      return (error as SitesFileError).problems.map((p) => `${p.line} ${p.field}: ${p.problem}`)
    }
  }

  it('lists each registry once, for one read of what exists', () => {
    expect(registriesOf(parsed.sites)).toEqual([
      { key: 'edge-rg/contosoacr', resourceGroup: 'edge-rg', registry: 'contosoacr' },
      { key: 'edge-rg/otheracr', resourceGroup: 'edge-rg', registry: 'otheracr' }
    ])
  })

  it('accepts a parent in the file or in Azure, and refuses one in neither', () => {
    expect(check({ 'edge-rg/contosoacr': ['STOREHUB'] })).toEqual([])
    expect(check({ 'edge-rg/otheracr': ['storehub'] })).toEqual([
      "3 parent: names connected registry 'storehub', which is neither a site of registry 'contosoacr' in this file nor a connected registry of it in Azure"
    ])
  })

  it('counts the connected registries already in Azure towards the limit of 50', () => {
    const inAzure = Array.from({ length: 48 }, (_, i) => `old${String(i).padStart(3, '0')}`)
    expect(check({ 'edge-rg/contosoacr': ['storehub', ...inAzure] })).toEqual([
      "4 registry: would give registry 'contosoacr' 51 connected registries (2 sites in the file, 49 more already in Azure), more than the 50 Azure allows per registry"
    ])
    // Sites that already exist are not new ones.
    expect(check({ 'edge-rg/contosoacr': ['storehub', 'store01', ...inAzure.slice(1)] })).toEqual(
      []
    )
  })
})

describe('resolveSitesPath', () => {
  it('resolves inside the workspace and refuses a path outside it', () => {
    expect(resolveSitesPath('fleet/sites.yml', '/home/runner/work/r/r')).toBe(
      '/home/runner/work/r/r/fleet/sites.yml'
    )
    expect(() => resolveSitesPath('../../etc/passwd', '/home/runner/work/r/r')).toThrow(
      /outside the workspace/
    )
  })
})

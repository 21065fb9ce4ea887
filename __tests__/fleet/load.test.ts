// A fleet step reads its sites file, picks its sites and plans its waves before any request;
// fleet inputs on a single-site step, or single-site names beside `sites`, are mistakes.

import fs from 'node:fs'
import { describe, expect, it } from '@jest/globals'
import { fromRecord } from '../../src/inputs/input-reader.js'
import { SitesFileError } from '../../src/fleet/errors.js'
import {
  checkSingleSiteStep,
  existingConnectedRegistries,
  isFleetStep,
  loadFleet
} from '../../src/fleet/load.js'
import type { ConnectedRegistry } from '@azure/arm-containerregistry'
import { checkSitesAgainstAzure } from '../../src/fleet/sites-file.js'

const env = { AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-0000000000aa' }
const example = fs.readFileSync('examples/fleet/sites.yml', 'utf8')
const files: Record<string, string> = { '/work/repo/fleet/sites.yml': example }
const readFile = (path: string): string => {
  if (!(path in files)) throw Object.assign(new Error('no such file'), { code: 'ENOENT' })
  return files[path]
}
const load = (inputs: Record<string, string>) =>
  loadFleet(fromRecord(inputs), { workspace: '/work/repo', env, readFile })

describe('loadFleet', () => {
  it('reads the example, selects and plans the waves', () => {
    const fleet = load({
      sites: 'fleet/sites.yml',
      select: 'store*01',
      rollout: 'canary',
      'canary-sites': 'storeparis01',
      'max-parallel': '1'
    })
    expect(fleet.sitesFile.sites.map((s) => s.name)).toEqual([
      'storeberlin01',
      'storeparis01',
      'storeaustin01'
    ])
    expect(fleet.waves.map((wave) => wave.map((s) => s.name))).toEqual([
      ['storeparis01'],
      ['storeberlin01'],
      ['storeaustin01']
    ])
    expect(isFleetStep(fromRecord({ sites: 'fleet/sites.yml' }))).toBe(true)
  })

  it('takes only its shard', () => {
    const shards = [1, 2].map((i) =>
      load({ sites: 'fleet/sites.yml', shard: `${i}/2` }).sites.map((s) => s.name)
    )
    expect(shards.flat().sort()).toEqual(['storeaustin01', 'storeberlin01', 'storeparis01'])
  })

  it('reports every bad step input at once, before reading the file', () => {
    expect(() =>
      load({ sites: 'fleet/missing.yml', cluster: 'c1', shard: '3/2', rollout: 'sometimes' })
    ).toThrow(
      [
        '3 inputs are invalid:',
        "- Input 'cluster' cannot be used with 'sites': remove 'cluster' from the step: every site in the sites file names its own.",
        "- Input 'shard' has an invalid value '3/2' (out of range): expected i/n, the i-th of n shards (1 ≤ i ≤ n ≤ 256), such as ${{ matrix.shard }}/4 with shard: [1, 2, 3, 4].",
        "- Input 'rollout' has an invalid value 'sometimes': expected one of all-at-once, canary."
      ].join('\n')
    )
  })

  it('names a sites file that does not exist or lies outside the workspace', () => {
    expect(() => load({ sites: 'fleet/missing.yml' })).toThrow(
      "fleet/missing.yml: cannot be read (no such file): expected the path of a YAML file in the repository, relative to the workspace, given in the input 'sites'."
    )
    expect(() => load({ sites: '../other/sites.yml' })).toThrow(SitesFileError)
  })

  it('refuses a select that matches no site', () => {
    expect(() => load({ sites: 'fleet/sites.yml', select: 'storerome01' })).toThrow(
      /^Input 'select' has a pattern 'storerome01' that matches no site of fleet\/sites.yml/
    )
  })
})

describe('checkSingleSiteStep', () => {
  it('refuses fleet inputs without sites', () => {
    expect(() => checkSingleSiteStep(fromRecord({ cluster: 'c1', shard: '1/2' }))).toThrow(
      "Input 'shard' cannot be used with a single site (no 'sites' input): set 'sites' to the path of a sites file, or remove 'shard'."
    )
    expect(() => checkSingleSiteStep(fromRecord({ cluster: 'c1' }))).not.toThrow()
  })
})

describe('existingConnectedRegistries', () => {
  it('lists each registry once; a missing registry has none; other failures propagate', async () => {
    const fleet = load({ sites: 'fleet/sites.yml' })
    const listed: string[] = []
    const existing = await existingConnectedRegistries(
      {
        listConnectedRegistries: async (resourceGroup, registry) => {
          listed.push(`${resourceGroup}/${registry}`)
          return [{ name: 'storeberlin01' }, { name: 'warehouse01' }] as ConnectedRegistry[]
        }
      },
      fleet.sites
    )
    expect(listed).toEqual(['edge-rg/contosoacr'])
    expect(existing).toEqual(new Map([['edge-rg/contosoacr', ['storeberlin01', 'warehouse01']]]))
    expect(() => checkSitesAgainstAzure(fleet.sitesFile, existing)).not.toThrow()

    const missing = await existingConnectedRegistries(
      {
        listConnectedRegistries: async () => {
          throw Object.assign(new Error('ResourceNotFound'), { statusCode: 404 })
        }
      },
      fleet.sites
    )
    expect(missing).toEqual(new Map([['edge-rg/contosoacr', []]]))
    await expect(
      existingConnectedRegistries(
        {
          listConnectedRegistries: async () => {
            throw Object.assign(new Error('AuthorizationFailed'), { statusCode: 403 })
          }
        },
        fleet.sites
      )
    ).rejects.toThrow('AuthorizationFailed')
  })
})

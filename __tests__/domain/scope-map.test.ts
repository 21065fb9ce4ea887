import { describe, expect, it } from '@jest/globals'
import {
  diffActions,
  gatewayActions,
  repositoriesFromActions,
  repositoryActions,
  syncScopeMapActions
} from '../../src/domain/scope-map.js'

describe('repositoryActions', () => {
  it.each([
    [
      'ReadOnly',
      ['repositories/hello-world/content/read', 'repositories/hello-world/metadata/read']
    ],
    [
      'ReadWrite',
      [
        'repositories/hello-world/content/delete',
        'repositories/hello-world/content/read',
        'repositories/hello-world/content/write',
        'repositories/hello-world/metadata/read',
        'repositories/hello-world/metadata/write'
      ]
    ],
    // Legacy modes the API still returns, mapped as the CLI maps them.
    ['Mirror', ['repositories/hello-world/content/read', 'repositories/hello-world/metadata/read']],
    ['Registry', repositoryActions('ReadWrite', ['hello-world'])]
  ] as const)('%s', (mode, expected) => {
    expect(repositoryActions(mode, ['hello-world'])).toEqual(expected)
  })

  it('is sorted and de-duplicated across repositories', () => {
    expect(repositoryActions('ReadOnly', ['b', 'a', 'b'])).toEqual([
      'repositories/a/content/read',
      'repositories/a/metadata/read',
      'repositories/b/content/read',
      'repositories/b/metadata/read'
    ])
  })

  it('keeps wildcard repositories as they are', () => {
    expect(repositoryActions('ReadOnly', ['samples/*'])).toEqual([
      'repositories/samples/*/content/read',
      'repositories/samples/*/metadata/read'
    ])
  })

  it('has no actions without repositories', () => {
    expect(repositoryActions('ReadWrite', [])).toEqual([])
  })
})

describe('gatewayActions', () => {
  it.each([
    ['edgeregistry01', 'edgeregistry01'],
    ['EdgeRegistry01', 'edgeregistry01'],
    ['ROOTREGISTRY', 'rootregistry']
  ])('lower-cases %s as the CLI does', (name, gateway) => {
    expect(gatewayActions(name)).toEqual([
      `gateway/${gateway}/config/read`,
      `gateway/${gateway}/config/write`,
      `gateway/${gateway}/message/read`,
      `gateway/${gateway}/message/write`
    ])
  })
})

describe('syncScopeMapActions', () => {
  // The Terraform docs' hand-built ReadWrite sync scope map (same shape as the CLI's).
  it('matches the CLI for a ReadWrite registry', () => {
    expect(syncScopeMapActions('ReadWrite', ['hello-world'], 'exampleCR')).toEqual([
      'gateway/examplecr/config/read',
      'gateway/examplecr/config/write',
      'gateway/examplecr/message/read',
      'gateway/examplecr/message/write',
      'repositories/hello-world/content/delete',
      'repositories/hello-world/content/read',
      'repositories/hello-world/content/write',
      'repositories/hello-world/metadata/read',
      'repositories/hello-world/metadata/write'
    ])
  })

  // The CLI scenario test's root scope map after nesting: sorted, gateways first.
  it('sorts like the CLI for a ReadOnly registry with two repositories', () => {
    expect(syncScopeMapActions('ReadOnly', ['repo2', 'repo1'], 'rootRegistry')).toEqual([
      'gateway/rootregistry/config/read',
      'gateway/rootregistry/config/write',
      'gateway/rootregistry/message/read',
      'gateway/rootregistry/message/write',
      'repositories/repo1/content/read',
      'repositories/repo1/metadata/read',
      'repositories/repo2/content/read',
      'repositories/repo2/metadata/read'
    ])
  })
})

describe('repositoriesFromActions', () => {
  it('reads the repositories back, ignoring gateway actions', () => {
    const actions = [
      ...syncScopeMapActions('ReadWrite', ['app/web', 'hello-world', 'samples/*'], 'edge01'),
      'repositories/Other/content/read'
    ]
    expect(repositoriesFromActions(actions)).toEqual([
      'app/web',
      'hello-world',
      'other',
      'samples/*'
    ])
  })
})

describe('diffActions', () => {
  it.each([
    [
      'adds and removes',
      ['gateway/a/config/read', 'repositories/old/content/read'],
      ['gateway/a/config/read', 'repositories/new/content/read'],
      {
        add: ['repositories/new/content/read'],
        remove: ['repositories/old/content/read'],
        unchanged: ['gateway/a/config/read']
      }
    ],
    [
      'ignores case and order',
      ['Gateway/A/Config/Read', 'repositories/x/content/read'],
      ['repositories/x/content/read', 'gateway/a/config/read'],
      { add: [], remove: [], unchanged: ['gateway/a/config/read', 'repositories/x/content/read'] }
    ],
    ['from nothing', [], ['b', 'a'], { add: ['a', 'b'], remove: [], unchanged: [] }]
  ])('%s', (_name, current, desired, expected) => {
    expect(diffActions(current, desired)).toEqual(expected)
  })
})

// Replays every official example in __fixtures__/arm-examples (copied unchanged from
// Azure/azure-rest-api-specs, see its SOURCES.md) through the real SDK clients against the
// emulator (world seeded with the example's names) and checks the status code, the LRO headers and the shape of every field of
// the example's response bodies (presence and JSON type; values are volatile).
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import type { RunningEmulator, Seed } from '../../emulator/index.js'
import {
  POLL,
  collect,
  sdkClients,
  useEmulator,
  wireRecorder,
  type Clients,
  type RecordedResponse
} from './helpers.js'

const EXAMPLES_DIR = path.resolve('__fixtures__/arm-examples')

interface Example {
  operationId?: string
  parameters: Record<string, unknown>
  responses: Record<string, { headers?: Record<string, string>; body?: unknown }>
}

/** Example files of the extension RP do not all carry an operationId. */
const OPERATION_BY_FILE: Record<string, string> = {
  'CreateExtension.json': 'Extensions_Create',
  'GetExtension.json': 'Extensions_Get',
  'PatchExtension.json': 'Extensions_Update',
  'DeleteExtension.json': 'Extensions_Delete',
  'ListExtensions.json': 'Extensions_List',
  'GetExtensionAsyncOperationStatus.json': 'OperationStatus_Get'
}

/** The first status of an operation, as the emulator answers it (must be one the example lists). */
const INITIAL_STATUS: Record<string, number> = {
  Registries_Get: 200,
  Registries_Update: 201,
  Registries_GenerateCredentials: 202,
  ConnectedRegistries_Get: 200,
  ConnectedRegistries_List: 200,
  ConnectedRegistries_Create: 201,
  ConnectedRegistries_Update: 201,
  ConnectedRegistries_Delete: 202,
  ConnectedRegistries_Deactivate: 202,
  ScopeMaps_Create: 201,
  ScopeMaps_Get: 200,
  ScopeMaps_Delete: 202,
  Tokens_Create: 201,
  Tokens_Get: 200,
  Tokens_Delete: 202,
  Extensions_Create: 201,
  Extensions_Get: 200,
  Extensions_Update: 202,
  Extensions_Delete: 202,
  Extensions_List: 200,
  OperationStatus_Get: 200
}

/**
 * Fields the spec marks nullable where an example shows a value but the emulator may
 * legitimately answer null (e.g. `version` is null when autoUpgradeMinorVersion is true).
 */
const NULLABLE = new Set([
  'properties.version',
  'properties.currentVersion',
  'value[].properties.version'
])

function listExamples(): { file: string; rel: string; example: Example; operationId: string }[] {
  const out: { file: string; rel: string; example: Example; operationId: string }[] = []
  for (const provider of fs
    .readdirSync(EXAMPLES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())) {
    for (const version of fs.readdirSync(path.join(EXAMPLES_DIR, provider.name))) {
      for (const file of fs
        .readdirSync(path.join(EXAMPLES_DIR, provider.name, version))
        .filter((f) => f.endsWith('.json'))) {
        const full = path.join(EXAMPLES_DIR, provider.name, version, file)
        const example = JSON.parse(fs.readFileSync(full, 'utf8')) as Example
        const operationId = example.operationId ?? OPERATION_BY_FILE[file]
        out.push({ file: full, rel: `${provider.name}/${version}/${file}`, example, operationId })
      }
    }
  }
  return out.sort((a, b) => a.rel.localeCompare(b.rel))
}

function jsonType(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  return typeof v
}

/** Every field of `expected` must exist in `actual` with the same JSON type (arrays: matched by name, else index). */
function shapeProblems(
  actual: unknown,
  expected: unknown,
  at: string,
  problems: string[] = []
): string[] {
  const generic = at.replace(/\[\d+\]/g, '[]')
  if (expected === null) return problems // nullable in the example: any value is fine
  if (actual === null && NULLABLE.has(generic)) return problems
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual))
      return [...problems, `${at}: expected array, got ${jsonType(actual)}`]
    if (expected.length > 0 && actual.length === 0)
      return [...problems, `${at}: expected a non-empty array`]
    expected.forEach((item, i) => {
      const byName =
        typeof item === 'object' && item !== null && 'name' in item
          ? actual.find(
              (a) =>
                typeof a === 'object' &&
                a !== null &&
                (a as { name?: unknown }).name === (item as { name: unknown }).name
            )
          : undefined
      const match = byName ?? actual[i]
      if (match === undefined) problems.push(`${at}[${i}]: missing`)
      else shapeProblems(match, item, `${at}[${i}]`, problems)
    })
    return problems
  }
  if (typeof expected === 'object') {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual))
      return [...problems, `${at}: expected object, got ${jsonType(actual)}`]
    for (const [k, v] of Object.entries(expected)) {
      const child = at ? `${at}.${k}` : k
      if (!(k in actual)) problems.push(`${child}: missing`)
      else shapeProblems((actual as Record<string, unknown>)[k], v, child, problems)
    }
    return problems
  }
  if (jsonType(actual) !== jsonType(expected))
    problems.push(`${at}: expected ${jsonType(expected)}, got ${jsonType(actual)}`)
  return problems
}

/** Wire body → the SDKs' flattened model (they re-wrap `properties` when sending). */
function flatten(body: unknown): Record<string, unknown> {
  const { properties, ...rest } = body as { properties?: Record<string, unknown> }
  return { ...rest, ...(properties ?? {}) }
}

// ---- seeds: the example's names, with just what each operation needs --------------

const ACR_SUB = '00000000-0000-0000-0000-000000000000'

function acrSeed(operationId: string): Seed {
  const gateway = ['config/read', 'config/write', 'message/read', 'message/write']
  const syncActions = (name: string) => [
    'repositories/hello-world/content/read',
    ...gateway.map((a) => `gateway/${name.toLowerCase()}/${a}`)
  ]
  const group = operationId.split('_')[0]
  const seed: Seed = {
    subscriptions: [ACR_SUB],
    servicePrincipals: [
      { clientId: '00000000-0000-0000-0000-0000000000cc', clientSecret: 'contract-secret-value' }
    ],
    resourceGroups: [{ name: 'myResourceGroup', location: 'westus' }],
    registries: [
      {
        name: 'myRegistry',
        resourceGroup: 'myResourceGroup',
        sku: group === 'Registries' ? 'Standard' : 'Premium',
        dataEndpointEnabled: group === 'ConnectedRegistries',
        tags: { key: 'value' }
      }
    ],
    scopeMaps: [],
    tokens: [],
    connectedRegistries: []
  }
  const scopeMap = (name: string, actions: string[]) =>
    seed.scopeMaps?.push({ registry: 'myRegistry', name, actions })
  const token = (name: string, sm: string) =>
    seed.tokens?.push({ registry: 'myRegistry', name, scopeMap: sm })
  if (group === 'ConnectedRegistries') {
    scopeMap('syncScopeMap', syncActions('myConnectedRegistry'))
    scopeMap('clientScopeMap', ['repositories/hello-world/content/read'])
    token('syncToken', 'syncScopeMap')
    token('client1Token', 'clientScopeMap')
    token('client2Token', 'clientScopeMap')
    const cr = {
      registry: 'myRegistry',
      syncToken: 'syncToken',
      clientTokens: ['client1Token'],
      schedule: '0 9 * * *',
      messageTtl: 'P2D',
      syncWindow: 'PT3H',
      notificationsList: ['hello-world:*:*', 'sample/repo/*:1.0:*'],
      garbageCollection: { enabled: true, schedule: '0 5 * * *' }
    }
    // ConnectedRegistryUpdate.json patches a connected registry named "myScopeMap" (sic).
    if (operationId === 'ConnectedRegistries_Update')
      seed.connectedRegistries?.push({ ...cr, name: 'myScopeMap' })
    else if (operationId !== 'ConnectedRegistries_Create')
      seed.connectedRegistries?.push({ ...cr, name: 'myConnectedRegistry' })
  }
  if (
    [
      'ScopeMaps_Get',
      'ScopeMaps_Delete',
      'Tokens_Create',
      'Tokens_Get',
      'Tokens_Delete',
      'Registries_GenerateCredentials'
    ].includes(operationId)
  ) {
    scopeMap('myScopeMap', [
      'repositories/myrepository/contentWrite',
      'repositories/myrepository/delete'
    ])
  }
  if (['Tokens_Get', 'Tokens_Delete', 'Registries_GenerateCredentials'].includes(operationId))
    token('myToken', 'myScopeMap')
  return seed
}

function extensionSeed(operationId: string): Seed {
  const monitor = {
    cluster: 'clusterName1',
    extensionType: 'azuremonitor-containers',
    version: '0.1.4',
    autoUpgradeMinorVersion: false,
    releaseTrain: 'Preview',
    releaseNamespace: 'kube-system',
    configurationSettings: {
      'omsagent.secret.wsid': 'a38cef99-5a89-52ed-b6db-22095c23664b',
      'omsagent.env.clusterName': 'clusterName1'
    },
    configurationProtectedSettings: { 'omsagent.secret.key': 'secretKeyValue01' }
  }
  const seed: Seed = {
    subscriptions: ['subId1'],
    servicePrincipals: [
      { clientId: '00000000-0000-0000-0000-0000000000cc', clientSecret: 'contract-secret-value' }
    ],
    resourceGroups: [{ name: 'rg1', location: 'eastus' }],
    connectedClusters: [
      { name: 'clusterName1', resourceGroup: 'rg1', connectivityStatus: 'Connected' }
    ],
    extensions: []
  }
  if (operationId !== 'Extensions_Create') {
    seed.extensions?.push({
      ...monitor,
      name: 'ClusterMonitor',
      operations:
        operationId === 'OperationStatus_Get'
          ? [{ id: '99999999-9999-9999-9999-999999999999', status: 'Succeeded' }]
          : []
    })
  }
  if (operationId === 'Extensions_List') {
    seed.extensions?.push(
      {
        cluster: 'clusterName1',
        name: 'App1Monitor',
        extensionType: 'Microsoft.RecoveryServices/recoveryVault',
        releaseTrain: 'Stable',
        releaseNamespace: 'myKVNamespace'
      },
      {
        ...monitor,
        name: 'azureVote',
        extensionType: 'azure-vote',
        plan: {
          name: 'azure-vote-standard',
          publisher: 'Microsoft',
          product: 'azure-vote-standard-offer-id'
        }
      }
    )
  }
  return seed
}

// ---- the SDK call for each operation ------------------------------------------------

async function replay(
  c: Clients,
  operationId: string,
  p: Record<string, unknown>
): Promise<unknown> {
  const s = (name: string) => String(p[name])
  const rg = s('resourceGroupName')
  const reg = s('registryName')
  const cluster = [rg, s('clusterRp'), s('clusterResourceName'), s('clusterName')] as const
  switch (operationId) {
    case 'Registries_Get':
      return c.acr.registries.get(rg, reg)
    case 'Registries_Update':
      return c.acr.registries.update(rg, reg, flatten(p.registryUpdateParameters), POLL)
    case 'Registries_GenerateCredentials': {
      const body = p.generateCredentialsParameters as { tokenId: string; expiry: string }
      return c.acr.registries.generateCredentials(
        rg,
        reg,
        { tokenId: body.tokenId, expiry: new Date(body.expiry) },
        POLL
      )
    }
    case 'ConnectedRegistries_Get':
      return c.acr.connectedRegistries.get(rg, reg, s('connectedRegistryName'))
    case 'ConnectedRegistries_List':
      return collect(c.acr.connectedRegistries.list(rg, reg))
    case 'ConnectedRegistries_Create':
      return c.acr.connectedRegistries.create(
        rg,
        reg,
        s('connectedRegistryName'),
        flatten(p.connectedRegistryCreateParameters) as never,
        POLL
      )
    case 'ConnectedRegistries_Update':
      return c.acr.connectedRegistries.update(
        rg,
        reg,
        s('connectedRegistryName'),
        flatten(p.connectedRegistryUpdateParameters),
        POLL
      )
    case 'ConnectedRegistries_Delete':
      return c.acr.connectedRegistries.delete(rg, reg, s('connectedRegistryName'), POLL)
    case 'ConnectedRegistries_Deactivate':
      return c.acr.connectedRegistries.deactivate(rg, reg, s('connectedRegistryName'), POLL)
    case 'ScopeMaps_Create':
      return c.acr.scopeMaps.create(
        rg,
        reg,
        s('scopeMapName'),
        flatten(p.scopeMapCreateParameters) as never,
        POLL
      )
    case 'ScopeMaps_Get':
      return c.acr.scopeMaps.get(rg, reg, s('scopeMapName'))
    case 'ScopeMaps_Delete':
      return c.acr.scopeMaps.delete(rg, reg, s('scopeMapName'), POLL)
    case 'Tokens_Create':
      return c.acr.tokens.create(rg, reg, s('tokenName'), flatten(p.tokenCreateParameters), POLL)
    case 'Tokens_Get':
      return c.acr.tokens.get(rg, reg, s('tokenName'))
    case 'Tokens_Delete':
      return c.acr.tokens.delete(rg, reg, s('tokenName'), POLL)
    case 'Extensions_Create':
      return c.k8s.extensions.beginCreateAndWait(
        ...cluster,
        s('extensionName'),
        flatten(p.extension),
        POLL
      )
    case 'Extensions_Get':
      return c.k8s.extensions.get(...cluster, s('extensionName'))
    case 'Extensions_Update':
      return c.k8s.extensions.beginUpdateAndWait(
        ...cluster,
        s('extensionName'),
        flatten(p.patchExtension),
        POLL
      )
    case 'Extensions_Delete':
      return c.k8s.extensions.beginDeleteAndWait(...cluster, s('extensionName'), POLL)
    case 'Extensions_List':
      return collect(c.k8s.extensions.list(...cluster))
    case 'OperationStatus_Get':
      return c.k8s.operationStatus.get(...cluster, s('extensionName'), s('operationId'))
    default:
      throw new Error(`no replay for ${operationId}`)
  }
}

let emu: RunningEmulator
// Every example resets the emulator to its own seed.
useEmulator((suite) => ({ emu } = suite), { resetEachTest: false })

const examples = listExamples()

describe('official ARM examples replayed through the SDKs', () => {
  it('finds every example file', () => {
    expect(examples.length).toBe(26)
    expect(examples.every((e) => INITIAL_STATUS[e.operationId] !== undefined)).toBe(true)
  })

  it.each(examples.map((e) => [e.rel, e] as const))(
    '%s',
    async (_rel, { example, operationId }) => {
      const isExtension =
        operationId.startsWith('Extensions_') || operationId === 'OperationStatus_Get'
      emu.admin.reset(isExtension ? extensionSeed(operationId) : acrSeed(operationId))
      emu.admin.setTiming({ lroMs: 20, extensionProvisioningMs: 20, deletionMs: 20 })
      const { policy, records } = wireRecorder()
      const apiVersion = String(example.parameters['api-version'])
      const c = sdkClients(emu, {
        policies: [policy],
        maxRetries: 0,
        subscriptionId: String(example.parameters.subscriptionId),
        ...(isExtension ? { extensionsApiVersion: apiVersion } : {})
      })

      await replay(c, operationId, example.parameters)

      // The first request is the operation itself, sent with the example's api-version.
      const initial = records[0] as RecordedResponse
      expect(new URL(initial.url).searchParams.get('api-version')).toBe(apiVersion)
      const status = INITIAL_STATUS[operationId]
      expect(Object.keys(example.responses)).toContain(String(status))
      expect(initial.status).toBe(status)
      for (const r of records) expect(r.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/)

      // LRO headers: the same kind as the example, but absolute, on the emulator, and resolvable
      // (the SDK polled them above). Never the example's relative Operation-Location.
      const exampleHeaders = Object.keys(example.responses[String(status)].headers ?? {}).map((h) =>
        h.toLowerCase()
      )
      for (const header of ['azure-asyncoperation', 'location']) {
        if (exampleHeaders.includes(header)) {
          expect(initial.headers[header]).toMatch(
            new RegExp(`^${emu.url.replace(/\./g, '\\.')}/subscriptions/`)
          )
          expect(
            records.some((r) => r.url.split('?')[0] === initial.headers[header].split('?')[0])
          ).toBe(true)
        }
      }
      expect(initial.headers['operation-location']).toBeUndefined()

      const initialExample = example.responses[String(status)].body
      if (initialExample !== undefined)
        expect(shapeProblems(initial.body, initialExample, '')).toEqual([])

      // The final answer of a long-running operation (final GET or Location result) against the 200 example.
      const finalExample = example.responses['200']?.body
      if (status !== 200 && finalExample !== undefined) {
        const final = [...records].reverse().find((r) => r.status === 200 && r.body !== undefined)
        expect(final).toBeDefined()
        expect(shapeProblems(final?.body, finalExample, '')).toEqual([])
      }
    }
  )
})

describe('the shape check itself', () => {
  it('reports missing fields and wrong types', () => {
    expect(
      shapeProblems({ a: 1, b: { c: 'x' } }, { a: 'text', b: { c: 'y', d: true }, e: [] }, '')
    ).toEqual(['a: expected string, got number', 'b.d: missing', 'e: missing'])
  })
})

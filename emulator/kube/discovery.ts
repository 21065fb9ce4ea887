// Discovery and OpenAPI documents: what kubectl reads before anything else. Aggregated
// discovery (apidiscovery.k8s.io/v2) is not offered: the plain JSON answers make kubectl
// fall back to the classic lists, as documented.
import type { ConnectedCluster } from '../world.js'

interface ResourceInfo {
  name: string
  singularName: string
  namespaced: boolean
  kind: string
  verbs: string[]
  shortNames?: string[]
}

const READ = ['get', 'list', 'watch']
const WRITE = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']

export const CORE_RESOURCES: ResourceInfo[] = [
  {
    name: 'namespaces',
    singularName: 'namespace',
    namespaced: false,
    kind: 'Namespace',
    verbs: WRITE,
    shortNames: ['ns']
  },
  { name: 'secrets', singularName: 'secret', namespaced: true, kind: 'Secret', verbs: WRITE },
  {
    name: 'pods',
    singularName: 'pod',
    namespaced: true,
    kind: 'Pod',
    verbs: WRITE,
    shortNames: ['po']
  },
  { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
  {
    name: 'persistentvolumeclaims',
    singularName: 'persistentvolumeclaim',
    namespaced: true,
    kind: 'PersistentVolumeClaim',
    verbs: READ,
    shortNames: ['pvc']
  },
  {
    name: 'events',
    singularName: 'event',
    namespaced: true,
    kind: 'Event',
    verbs: READ,
    shortNames: ['ev']
  }
]

export const STORAGE_RESOURCES: ResourceInfo[] = [
  {
    name: 'storageclasses',
    singularName: 'storageclass',
    namespaced: false,
    kind: 'StorageClass',
    verbs: READ,
    shortNames: ['sc']
  }
]

export function version(cluster: ConnectedCluster): Record<string, string> {
  const [major = '1', minor = '30'] = cluster.kubernetesVersion.split('.')
  return {
    major,
    minor,
    gitVersion: `v${cluster.kubernetesVersion}+${cluster.distribution}1`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-08-15T00:00:00Z',
    goVersion: 'go1.22.5',
    compiler: 'gc',
    platform: 'linux/amd64'
  }
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }]
  }
}

export function resourceList(
  groupVersion: string,
  resources: ResourceInfo[]
): Record<string, unknown> {
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources }
}

export function groupList(): Record<string, unknown> {
  const storage = { groupVersion: 'storage.k8s.io/v1', version: 'v1' }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [{ name: 'storage.k8s.io', versions: [storage], preferredVersion: storage }]
  }
}

/**
 * OpenAPI v3: the discovery document and, per group version, the operations with their
 * `fieldValidation` parameter, so kubectl (1.27+) validates on the server (this API accepts
 * the parameter and checks objects as it always does) and needs no schema of its own.
 */
export function openApiV3Root(prefix: string): Record<string, unknown> {
  return {
    paths: {
      'api/v1': { serverRelativeURL: `${prefix}/openapi/v3/api/v1?hash=emulator` },
      'apis/storage.k8s.io/v1': {
        serverRelativeURL: `${prefix}/openapi/v3/apis/storage.k8s.io/v1?hash=emulator`
      }
    }
  }
}

export function openApiV3(groupVersion: string): Record<string, unknown> | undefined {
  const resources =
    groupVersion === 'api/v1'
      ? CORE_RESOURCES
      : groupVersion === 'apis/storage.k8s.io/v1'
        ? STORAGE_RESOURCES
        : undefined
  if (!resources) return undefined
  const base = groupVersion === 'api/v1' ? '/api/v1' : '/apis/storage.k8s.io/v1'
  const [group, version] = groupVersion === 'api/v1' ? ['', 'v1'] : ['storage.k8s.io', 'v1']
  const fieldValidation = {
    name: 'fieldValidation',
    in: 'query',
    description:
      'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.',
    schema: { type: 'string', uniqueItems: true }
  }
  const paths: Record<string, unknown> = {}
  const schemas: Record<string, unknown> = {}
  for (const r of resources) {
    if (r.name.includes('/')) continue
    const gvk = [{ group, version, kind: r.kind }]
    const ref = `io.k8s.api.${group === '' ? 'core' : 'storage'}.v1.${r.kind}`
    schemas[ref] = {
      type: 'object',
      description: `${r.kind} (served by the connected registry emulator).`,
      'x-kubernetes-group-version-kind': gvk
    }
    const op = (verb: string, withValidation: boolean) => ({
      operationId: `${verb}${r.kind}`,
      ...(withValidation ? { parameters: [fieldValidation] } : {}),
      'x-kubernetes-action': verb,
      'x-kubernetes-group-version-kind': gvk[0],
      responses: {
        '200': {
          content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } }
        }
      }
    })
    const collection = r.namespaced
      ? `${base}/namespaces/{namespace}/${r.name}`
      : `${base}/${r.name}`
    const writable = r.verbs.includes('create')
    paths[collection] = { get: op('list', false), ...(writable ? { post: op('post', true) } : {}) }
    paths[`${collection}/{name}`] = {
      get: op('get', false),
      ...(writable
        ? { put: op('put', true), patch: op('patch', true), delete: op('delete', false) }
        : {})
    }
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.30.4' },
    paths,
    components: { schemas }
  }
}

/**
 * `/openapi/v2` as kubectl asks for it (the gnostic protobuf encoding): a document with no
 * definitions, so kubectl's client-side validation (older kubectl, or the apply patcher's
 * fallback) finds no schema for a kind and skips it, as it does for kinds a server does not
 * describe. The server still checks what it stores.
 */
export function openApiV2Protobuf(): Buffer {
  const field = (tag: number, bytes: Buffer): Buffer =>
    Buffer.concat([Buffer.from([(tag << 3) | 2, bytes.length]), bytes])
  const text = (tag: number, value: string): Buffer => field(tag, Buffer.from(value, 'utf8'))
  const info = Buffer.concat([text(1, 'Kubernetes'), text(2, 'v1.30.4')])
  return Buffer.concat([text(1, '2.0'), field(2, info)])
}

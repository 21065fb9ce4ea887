// The Kubernetes API of every simulated cluster, on the emulator's HTTPS server and CA under
// `/_kube/<cluster>`: what kubectl needs (discovery, namespaces, secrets, pods, PVCs, events,
// pod logs, storage classes), consistent with the simulation behind ARM.
import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import path from 'node:path'
import { parse as parseYaml } from 'yaml'
import { readBody } from '../http.js'
import { key } from '../ids.js'
import type { World } from '../world.js'
import { KubeCluster, type KubeWrite, type PatchType, type StoredResource } from './cluster.js'
import {
  CORE_RESOURCES,
  STORAGE_RESOURCES,
  apiVersions,
  groupList,
  openApiV2Protobuf,
  openApiV3,
  openApiV3Root,
  resourceList,
  version
} from './discovery.js'
import { kubeconfigYaml, writeKubeconfig } from './kubeconfig.js'
import { KubeError, badRequest, isRecord, notFound, type KubeObject } from './objects.js'
import { clusterSettings } from './seed.js'
import { tableResources, toTable, wantsTable } from './table.js'

export type { KubeSeed, KubeClusterSeed } from './seed.js'
export type { KubeWrite } from './cluster.js'

export const KUBE_PREFIX = '/_kube'

export interface KubeApi {
  /** Bearer token of the kubeconfig's user. */
  readonly token: string
  readonly kubeconfigPath: string
  /** https://127.0.0.1:<port>/_kube/<cluster> */
  serverUrl(cluster: string): string
  handles(path: string): boolean
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>
  /** Forget every stored object; rewrite the kubeconfig. Settings come from `world.kubernetes`. */
  reset(): void
  /** Rewrites the kubeconfig for the world's current clusters (after the server listens). */
  writeKubeconfig(): void
  /** Every write kubectl made, per cluster name, in order (no-ops marked `changed: false`). */
  writes(cluster?: string): KubeWrite[]
  /** The object store of a cluster, for in-process inspection. */
  cluster(name: string): KubeCluster | undefined
}

export function createKubeApi(opts: {
  world: World
  caPem: string
  directory: string
  baseUrl: () => string
  /** No request log on stderr. */
  quiet?: boolean
}): KubeApi {
  const token = `emu-kube-${randomBytes(24).toString('base64url')}`
  const kubeconfigPath = path.join(opts.directory, 'kubeconfig')
  const clusters = new Map<string, KubeCluster>()

  const serverUrl = (cluster: string): string =>
    `${opts.baseUrl()}${KUBE_PREFIX}/${encodeURIComponent(cluster)}`

  /** The cluster's API, created on first use (clusters come and go with resets). */
  const clusterNamed = (name: string): KubeCluster | undefined => {
    const cluster = opts.world.findClusterByName(name)
    if (!cluster) return undefined
    const k = key(cluster.id)
    let api = clusters.get(k)
    if (!api || api.cluster !== cluster) {
      api = new KubeCluster(
        opts.world,
        cluster,
        clusterSettings(opts.world.kubernetes, cluster.name)
      )
      clusters.set(k, api)
    }
    return api
  }

  const api: KubeApi = {
    token,
    kubeconfigPath,
    serverUrl,
    handles: (p) => p === KUBE_PREFIX || p.startsWith(`${KUBE_PREFIX}/`),
    handle: async (req, res) => {
      const rawBody = await readBody(req)
      let status: number
      let body: unknown
      let contentType = 'application/json'
      if (
        req.method === 'GET' &&
        /\/openapi\/v2$/.test(new URL(req.url ?? '/', 'https://x').pathname) &&
        req.headers.authorization === `Bearer ${token}`
      ) {
        res.writeHead(200, {
          'content-type': 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf'
        })
        res.end(openApiV2Protobuf())
        return
      }
      try {
        const reply = serve(req, rawBody)
        status = reply.status ?? 200
        body = reply.body
        if (reply.table && wantsTable(req.headers.accept) && req.method === 'GET')
          body = toTable(
            reply.table.resource,
            reply.table.items,
            reply.table.resourceVersion,
            Date.now()
          )
        if (typeof body === 'string') contentType = 'text/plain'
      } catch (e) {
        const err =
          e instanceof KubeError
            ? e
            : new KubeError(
                500,
                'InternalError',
                `Internal error occurred: ${(e as Error).message}`
              )
        status = err.code
        body = err.toStatus()
      }
      if (!opts.quiet) {
        const url = new URL(req.url ?? '/', 'https://127.0.0.1')
        console.error(`[emulator] ${status} ${req.method ?? 'GET'} ${url.pathname} Kubernetes`)
      }
      res.writeHead(status, {
        'content-type': contentType,
        'cache-control': 'no-cache, private',
        'audit-id': randomBytes(16).toString('hex')
      })
      res.end(typeof body === 'string' ? body : JSON.stringify(body))
    },
    reset: () => {
      clusters.clear()
      api.writeKubeconfig()
    },
    writeKubeconfig: () => {
      if (!opts.baseUrl()) return
      writeKubeconfig(
        kubeconfigPath,
        kubeconfigYaml([...opts.world.clusters.values()], serverUrl, opts.caPem, token)
      )
    },
    writes: (name) =>
      [...clusters.values()]
        .filter((c) => !name || c.name.toLowerCase() === name.toLowerCase())
        .flatMap((c) => c.writes),
    cluster: (name) => clusterNamed(name)
  }

  function serve(req: IncomingMessage, rawBody: string): Served {
    const reply = route(req, rawBody)
    // Lists and objects of the printed kinds can be answered as a Table instead.
    const body = reply.body as KubeObject & {
      items?: KubeObject[]
      metadata: { resourceVersion?: string }
    }
    const resource = tableResourceOf(body)
    if (!resource) return reply
    return {
      ...reply,
      table: {
        resource,
        items: body.items ?? [body],
        resourceVersion: body.metadata.resourceVersion ?? ''
      }
    }
  }

  function route(req: IncomingMessage, rawBody: string): Served {
    const method = (req.method ?? 'GET').toUpperCase()
    const url = new URL(req.url ?? '/', 'https://127.0.0.1')
    const segments = url.pathname
      .slice(KUBE_PREFIX.length)
      .split('/')
      .filter(Boolean)
      .map(decodeURIComponent)
    const clusterName = segments.shift() ?? ''
    if (req.headers.authorization !== `Bearer ${token}`)
      throw new KubeError(401, 'Unauthorized', 'Unauthorized')
    const cluster = clusterNamed(clusterName)
    if (!cluster)
      throw new KubeError(
        404,
        'NotFound',
        `the cluster "${clusterName}" is not a simulated cluster`
      )
    const now = Date.now()
    opts.world.advance(now)
    if (cluster.cluster.connectivityStatus !== 'Connected')
      throw new KubeError(
        503,
        'ServiceUnavailable',
        `the cluster "${cluster.name}" is not connected (connectivityStatus ${cluster.cluster.connectivityStatus})`
      )
    const prefix = `${KUBE_PREFIX}/${encodeURIComponent(cluster.name)}`
    const p = segments.join('/')
    const q = url.searchParams
    const dryRun = q.get('dryRun') === 'All'
    if (q.get('watch') === 'true' || q.get('watch') === '1')
      throw new KubeError(
        405,
        'MethodNotAllowed',
        'the emulator does not serve watches (kubectl get -w, kubectl wait); poll with kubectl get instead'
      )

    if (method === 'GET') {
      if (p === 'version') return { body: version(cluster.cluster) }
      if (p === 'api') return { body: apiVersions(new URL(opts.baseUrl()).host) }
      if (p === 'api/v1') return { body: resourceList('v1', CORE_RESOURCES) }
      if (p === 'apis') return { body: groupList() }
      if (p === 'apis/storage.k8s.io/v1')
        return { body: resourceList('storage.k8s.io/v1', STORAGE_RESOURCES) }
      if (p === 'openapi/v3') return { body: openApiV3Root(prefix) }
      if (p.startsWith('openapi/v3/')) {
        const doc = openApiV3(p.slice('openapi/v3/'.length))
        if (!doc)
          throw new KubeError(404, 'NotFound', 'the server could not find the requested resource')
        return { body: doc }
      }
      if (p === 'apis/storage.k8s.io/v1/storageclasses')
        return {
          body: list(
            'StorageClassList',
            'storage.k8s.io/v1',
            cluster,
            select(cluster.storageClasses(), q)
          )
        }
      const sc = /^apis\/storage\.k8s\.io\/v1\/storageclasses\/([^/]+)$/.exec(p)
      if (sc) {
        const found = cluster.storageClasses().find((s) => s.metadata.name === sc[1])
        if (!found) throw notFound('storageclasses', sc[1], 'storage.k8s.io')
        return { body: found }
      }
    }

    const m = /^api\/v1\/(?:namespaces\/([^/]+)\/)?([a-z]+)(?:\/([^/]+))?(?:\/(log))?$/.exec(p)
    // `/api/v1/namespaces/<name>` is the namespace itself.
    const nsObject = /^api\/v1\/namespaces(?:\/([^/]+))?$/.exec(p)
    let resource: string
    let namespace: string | undefined
    let name: string | undefined
    let sub: string | undefined
    if (nsObject) {
      resource = 'namespaces'
      name = nsObject[1]
    } else if (m) {
      ;[, namespace, resource, name, sub] = m as unknown as [
        string,
        string | undefined,
        string,
        string | undefined,
        string | undefined
      ]
    } else throw new KubeError(404, 'NotFound', 'the server could not find the requested resource')
    if (!CORE_RESOURCES.some((r) => r.name === resource))
      throw new KubeError(404, 'NotFound', 'the server could not find the requested resource')

    if (sub === 'log') {
      if (method !== 'GET') throw methodNotAllowed(method)
      const tail = q.get('tailLines')
      return {
        body: cluster.log(
          namespace ?? '',
          name ?? '',
          tail === null ? undefined : Number(tail),
          now
        )
      }
    }
    if (resource === 'persistentvolumeclaims' || resource === 'events') {
      if (method !== 'GET') throw methodNotAllowed(method)
      const items =
        resource === 'events'
          ? cluster.events(namespace, now)
          : cluster.persistentVolumeClaims(namespace, now)
      if (name === undefined)
        return {
          body: list(
            resource === 'events' ? 'EventList' : 'PersistentVolumeClaimList',
            'v1',
            cluster,
            select(items, q)
          )
        }
      const found = items.find((i) => i.metadata.name === name)
      if (!found) throw notFound(resource, name)
      return { body: found }
    }
    const stored = resource as StoredResource
    switch (method) {
      case 'GET':
        if (name === undefined)
          return {
            body: list(
              `${stored === 'namespaces' ? 'Namespace' : stored === 'secrets' ? 'Secret' : 'Pod'}List`,
              'v1',
              cluster,
              select(cluster.list(stored, namespace, now), q)
            )
          }
        return { body: cluster.get(stored, namespace, name, now) }
      case 'POST':
        if (name !== undefined) throw methodNotAllowed(method)
        return {
          status: 201,
          body: cluster.create(stored, namespace, parseBody(rawBody), now, dryRun)
        }
      case 'PUT':
        if (name === undefined) throw methodNotAllowed(method)
        return { body: cluster.replace(stored, namespace, name, parseBody(rawBody), now, dryRun) }
      case 'PATCH': {
        if (name === undefined) throw methodNotAllowed(method)
        const type = patchType(req.headers['content-type'])
        return {
          body: cluster.patch(stored, namespace, name, parseBody(rawBody), type, now, dryRun)
        }
      }
      case 'DELETE':
        if (name === undefined) throw methodNotAllowed(method)
        return { body: cluster.delete(stored, namespace, name, now) }
      default:
        throw methodNotAllowed(method)
    }
  }

  return api
}

interface Served {
  status?: number
  body: unknown
  table?: { resource: string; items: KubeObject[]; resourceVersion: string }
}

const KIND_RESOURCE: Record<string, string> = {
  Namespace: 'namespaces',
  Secret: 'secrets',
  Pod: 'pods',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  Event: 'events',
  StorageClass: 'storageclasses'
}

function tableResourceOf(body: unknown): string | undefined {
  if (!isRecord(body) || typeof body.kind !== 'string') return undefined
  const kind = body.kind.endsWith('List') ? body.kind.slice(0, -4) : body.kind
  const resource = KIND_RESOURCE[kind]
  return resource && tableResources().includes(resource) ? resource : undefined
}

function methodNotAllowed(method: string): KubeError {
  return new KubeError(
    405,
    'MethodNotAllowed',
    `the server does not allow this method on the requested resource (${method})`
  )
}

function parseBody(raw: string): unknown {
  try {
    return parseYaml(raw) as unknown
  } catch (e) {
    throw badRequest(`the body of the request was in an unknown format: ${(e as Error).message}`)
  }
}

function patchType(contentType: string | undefined): PatchType {
  const type = (contentType ?? '').split(';')[0].trim()
  switch (type) {
    case 'application/merge-patch+json':
      return 'merge'
    case 'application/strategic-merge-patch+json':
      return 'strategic'
    case 'application/apply-patch+yaml':
      return 'apply'
    default:
      throw new KubeError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml (got ${type || 'none'})`
      )
  }
}

function list(
  kind: string,
  apiVersion: string,
  cluster: KubeCluster,
  items: KubeObject[]
): Record<string, unknown> {
  return { kind, apiVersion, metadata: { resourceVersion: cluster.resourceVersion() }, items }
}

/** `labelSelector` and `fieldSelector` with `=`, `==` and `!=` terms. */
function select(items: KubeObject[], q: URLSearchParams): KubeObject[] {
  const labels = terms(q.get('labelSelector'))
  const fields = terms(q.get('fieldSelector'))
  return items.filter(
    (item) =>
      labels.every((t) => ((item.metadata.labels ?? {})[t.key] === t.value) === t.equal) &&
      fields.every((t) => (String(fieldOf(item, t.key) ?? '') === t.value) === t.equal)
  )
}

function terms(selector: string | null): { key: string; value: string; equal: boolean }[] {
  if (!selector) return []
  return selector.split(',').map((term) => {
    const m = /^([^!=]+)(!=|==|=)(.*)$/.exec(term.trim())
    if (!m) throw badRequest(`unable to parse requirement: ${term}`)
    return { key: m[1].trim(), value: m[3].trim(), equal: m[2] !== '!=' }
  })
}

function fieldOf(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (isRecord(o) ? o[k] : undefined), obj)
}

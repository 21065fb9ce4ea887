// One simulated cluster's Kubernetes API state. Namespaces, secrets and the pods users create
// are stored; the connected registry's pod, its PVC, storage classes and events are derived
// from the simulation (World) on every read, so they follow the instance's state.
import { isConnectedRegistryExtension } from '../chart.js'
import { releasePods, servedRegistry } from '../cluster-sim.js'
import type { ConnectedCluster, ConnectedRegistry, World } from '../world.js'
import {
  KubeError,
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  isoSeconds,
  isRecord,
  mergePatch,
  nameProblem,
  notFound,
  shortHash,
  stableUid,
  strategicMergePatch,
  type KubeObject
} from './objects.js'
import { authorizePull, credentialsFor, parseImage } from './pull.js'
import {
  CONTAINER,
  instanceLog,
  registryEvents,
  registryPod,
  registryPvc,
  restartsOf,
  type RegistryPod
} from './registry-pod.js'
import {
  checkPod,
  containerNames,
  firstWaiting,
  normalizeSecret,
  pickImages,
  podContainers
} from './validation.js'
import type { ClusterKubeSettings } from './seed.js'

/** Resources kubectl can write. */
export type StoredResource = 'namespaces' | 'secrets' | 'pods'
export type PatchType = 'merge' | 'strategic' | 'apply'

export interface KubeWrite {
  time: string
  verb: 'create' | 'update' | 'patch' | 'delete'
  resource: string
  namespace?: string
  name: string
  /** False when the request left the object as it was (a no-op patch or update). */
  changed: boolean
}

const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease']
const KIND: Record<StoredResource, string> = {
  namespaces: 'Namespace',
  secrets: 'Secret',
  pods: 'Pod'
}

interface PullState {
  pulled: boolean
  failure?: string
  firstFailure?: number
  attempts: number
}

export class KubeCluster {
  private rv = 1000
  private readonly stored = new Map<string, KubeObject>()
  private readonly derived = new Map<string, { json: string; rv: string }>()
  private readonly pulls = new Map<string, PullState>()
  /** Release namespaces the extension's install created (not ones that existed before). */
  private readonly createdForRelease = new Set<string>()
  readonly writes: KubeWrite[] = []

  constructor(
    private readonly world: World,
    readonly cluster: ConnectedCluster,
    readonly settings: ClusterKubeSettings
  ) {}

  get name(): string {
    return this.cluster.name
  }

  resourceVersion(): string {
    return String(this.rv)
  }

  // ---- stored objects -------------------------------------------------------------------

  list(resource: StoredResource, namespace: string | undefined, now: number): KubeObject[] {
    this.syncNamespaces(now)
    const prefix = `${resource}/`
    const items = [...this.stored.entries()]
      .filter(
        ([k, o]) => k.startsWith(prefix) && (!namespace || o.metadata.namespace === namespace)
      )
      .map(([, o]) => this.present(resource, o, now))
    if (resource === 'pods')
      items.unshift(
        ...this.registryPods(now)
          .map((r) => r.pod)
          .filter((p) => !namespace || p.metadata.namespace === namespace)
      )
    return items
  }

  get(
    resource: StoredResource,
    namespace: string | undefined,
    name: string,
    now: number
  ): KubeObject {
    this.syncNamespaces(now)
    if (resource === 'pods') {
      const derived = this.registryPods(now).find(
        (r) => r.pod.metadata.namespace === namespace && r.pod.metadata.name === name
      )
      if (derived) return derived.pod
    }
    const obj = this.stored.get(storeKey(resource, namespace, name))
    if (!obj) throw notFound(resource, name)
    return this.present(resource, obj, now)
  }

  create(
    resource: StoredResource,
    namespace: string | undefined,
    body: unknown,
    now: number,
    dryRun: boolean
  ): KubeObject {
    this.syncNamespaces(now)
    const obj = this.validated(resource, namespace, body)
    const name = obj.metadata.name
    if (resource !== 'namespaces') this.requireWritableNamespace(resource, namespace ?? '', name)
    if (
      this.stored.has(storeKey(resource, namespace, name)) ||
      this.isRegistryPod(resource, namespace, name, now)
    )
      throw alreadyExists(resource, name)
    obj.metadata = {
      ...obj.metadata,
      ...(namespace ? { namespace } : {}),
      uid: stableUid(`${this.cluster.id}/${resource}/${namespace ?? ''}/${name}/${now}/${this.rv}`),
      resourceVersion: '',
      creationTimestamp: isoSeconds(now)
    }
    if (resource === 'namespaces') obj.status = { phase: 'Active' }
    if (dryRun) return { ...obj, metadata: { ...obj.metadata, resourceVersion: '' } }
    obj.metadata.resourceVersion = this.bump()
    this.stored.set(storeKey(resource, namespace, name), obj)
    this.recordWrite('create', resource, namespace, name, true, now)
    return this.present(resource, obj, now)
  }

  replace(
    resource: StoredResource,
    namespace: string | undefined,
    name: string,
    body: unknown,
    now: number,
    dryRun: boolean
  ): KubeObject {
    this.syncNamespaces(now)
    const existing = this.stored.get(storeKey(resource, namespace, name))
    if (!existing) throw notFound(resource, name)
    const obj = this.validated(resource, namespace, body)
    if (obj.metadata.name !== name)
      throw badRequest(
        `the name of the object (${obj.metadata.name}) does not match the name on the URL (${name})`
      )
    const sent = obj.metadata.resourceVersion
    if (sent && sent !== existing.metadata.resourceVersion) throw conflict(resource, name)
    return this.store(resource, namespace, existing, obj, 'update', now, dryRun)
  }

  patch(
    resource: StoredResource,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    type: PatchType,
    now: number,
    dryRun: boolean
  ): KubeObject {
    this.syncNamespaces(now)
    if (!isRecord(patch)) throw badRequest('the patch must be a JSON object')
    const existing = this.stored.get(storeKey(resource, namespace, name))
    if (!existing) {
      // Server-side apply creates what does not exist yet.
      if (type === 'apply') return this.create(resource, namespace, patch, now, dryRun)
      if (this.isRegistryPod(resource, namespace, name, now))
        throw new KubeError(
          403,
          'Forbidden',
          `${resource} "${name}" is managed by the connected registry extension`
        )
      throw notFound(resource, name)
    }
    const sentVersion = isRecord(patch.metadata) ? patch.metadata.resourceVersion : undefined
    if (typeof sentVersion === 'string' && sentVersion !== existing.metadata.resourceVersion)
      throw conflict(resource, name)
    const merged =
      type === 'merge' ? mergePatch(existing, patch) : strategicMergePatch(existing, patch)
    const obj = this.validated(resource, namespace, merged)
    return this.store(resource, namespace, existing, obj, 'patch', now, dryRun)
  }

  delete(
    resource: StoredResource,
    namespace: string | undefined,
    name: string,
    now: number
  ): KubeObject {
    this.syncNamespaces(now)
    const k = storeKey(resource, namespace, name)
    const existing = this.stored.get(k)
    if (!existing) {
      if (this.isRegistryPod(resource, namespace, name, now))
        throw new KubeError(
          403,
          'Forbidden',
          `${resource} "${name}" is managed by the connected registry extension`
        )
      throw notFound(resource, name)
    }
    if (resource === 'namespaces') {
      if (SYSTEM_NAMESPACES.includes(name) || this.releaseNamespaces().includes(name))
        throw new KubeError(
          403,
          'Forbidden',
          `namespaces "${name}" is forbidden: this namespace may not be deleted`,
          {
            name,
            kind: 'namespaces'
          }
        )
      // Assumption: namespaces without finalizers go at once, with everything in them.
      for (const [other, obj] of [...this.stored.entries()])
        if (obj.metadata.namespace === name) this.stored.delete(other)
    }
    this.stored.delete(k)
    if (resource === 'pods') this.pulls.delete(existing.metadata.uid)
    this.bump()
    this.recordWrite('delete', resource, namespace, name, true, now)
    return existing
  }

  // ---- derived objects --------------------------------------------------------------------

  persistentVolumeClaims(namespace: string | undefined, now: number): KubeObject[] {
    return this.registryPods(now)
      .map((r) => r.pvc)
      .filter((p) => !namespace || p.metadata.namespace === namespace)
  }

  storageClasses(): KubeObject[] {
    return this.settings.storageClasses.map((name) =>
      this.versioned({
        apiVersion: 'storage.k8s.io/v1',
        kind: 'StorageClass',
        metadata: {
          name,
          uid: stableUid(`${this.cluster.id}/storageclass/${name}`),
          resourceVersion: '',
          creationTimestamp: this.cluster.systemData.createdAt.replace(/\.\d+Z$/, 'Z'),
          ...(name === this.settings.defaultStorageClass
            ? { annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } }
            : {})
        },
        provisioner: 'rancher.io/local-path',
        reclaimPolicy: 'Delete',
        volumeBindingMode: 'Immediate'
      })
    )
  }

  events(namespace: string | undefined, now: number): KubeObject[] {
    const events: KubeObject[] = []
    for (const r of this.registryPods(now))
      events.push(...registryEvents(r, (...args) => this.event(...args)))
    for (const [k, pod] of this.stored.entries())
      if (k.startsWith('pods/')) events.push(...this.pullEvents(this.present('pods', pod, now)))
    return events.filter((e) => !namespace || e.metadata.namespace === namespace)
  }

  /** `kubectl logs`: what the connected-registry instance wrote, or a user pod's one line. */
  log(namespace: string, name: string, tailLines: number | undefined, now: number): string {
    const pod = this.get('pods', namespace, name, now)
    const registryPod = this.registryPods(now).find((r) => r.pod.metadata.uid === pod.metadata.uid)
    let lines: string[]
    if (registryPod) {
      if (
        registryPod.pod.status &&
        (registryPod.pod.status as { phase: string }).phase === 'Pending'
      )
        throw badRequest(
          `container "${CONTAINER}" in pod "${name}" is waiting to start: ContainerCreating`
        )
      lines = instanceLog(this.world, registryPod)
    } else {
      const waiting = firstWaiting(pod)
      if (waiting)
        throw badRequest(
          `container "${containerNames(pod)[0]}" in pod "${name}" is waiting to start: trying and failing to pull image`
        )
      lines = []
    }
    const tail =
      tailLines === undefined ? lines : lines.slice(Math.max(0, lines.length - tailLines))
    return tail.map((l) => `${l}\n`).join('')
  }

  // ---- internals -------------------------------------------------------------------------

  private bump(): string {
    this.rv++
    return String(this.rv)
  }

  private recordWrite(
    verb: KubeWrite['verb'],
    resource: string,
    namespace: string | undefined,
    name: string,
    changed: boolean,
    now: number
  ): void {
    this.writes.push({
      time: new Date(now).toISOString(),
      verb,
      resource,
      namespace,
      name,
      changed
    })
  }

  private store(
    resource: StoredResource,
    namespace: string | undefined,
    existing: KubeObject,
    obj: KubeObject,
    verb: 'update' | 'patch',
    now: number,
    dryRun: boolean
  ): KubeObject {
    obj.metadata = {
      ...obj.metadata,
      uid: existing.metadata.uid,
      creationTimestamp: existing.metadata.creationTimestamp,
      resourceVersion: existing.metadata.resourceVersion,
      ...(namespace ? { namespace } : {})
    }
    if (resource === 'namespaces') obj.status = existing.status
    if (resource === 'pods') {
      // A pod's spec is immutable apart from its images (kubectl apply does not touch status).
      obj.spec = { ...(existing.spec as object), ...pickImages(existing, obj) }
    }
    const changed = canonical(obj) !== canonical(existing)
    if (dryRun) return this.present(resource, obj, now)
    if (changed) {
      obj.metadata.resourceVersion = this.bump()
      this.stored.set(storeKey(resource, namespace, obj.metadata.name), obj)
    }
    this.recordWrite(verb, resource, namespace, obj.metadata.name, changed, now)
    return this.present(resource, changed ? obj : existing, now)
  }

  /** The object as sent, checked the way the API server checks it. */
  private validated(
    resource: StoredResource,
    namespace: string | undefined,
    body: unknown
  ): KubeObject {
    if (!isRecord(body)) throw badRequest('the request body must be a JSON or YAML object')
    const obj = structuredClone(body) as KubeObject
    const kind = KIND[resource]
    if (obj.kind !== undefined && obj.kind !== kind)
      throw badRequest(
        `the kind of the object (${String(obj.kind)}) does not match the resource (${resource})`
      )
    if (obj.apiVersion !== undefined && obj.apiVersion !== 'v1')
      throw badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (v1)`
      )
    obj.kind = kind
    obj.apiVersion = 'v1'
    if (!isRecord(obj.metadata))
      throw invalid(kind, '', [
        {
          reason: 'FieldValueRequired',
          message: 'Required value: name or generateName is required',
          field: 'metadata.name'
        }
      ])
    const name = obj.metadata.name
    const nameIssue = nameProblem(name, resource === 'namespaces')
    if (nameIssue)
      throw invalid(kind, String(name ?? ''), [
        { reason: 'FieldValueInvalid', message: nameIssue, field: 'metadata.name' }
      ])
    if (
      resource !== 'namespaces' &&
      obj.metadata.namespace !== undefined &&
      obj.metadata.namespace !== namespace
    )
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request'
      )
    delete obj.status
    delete obj.metadata.managedFields
    if (resource === 'secrets') normalizeSecret(obj)
    if (resource === 'pods') checkPod(obj)
    return obj
  }

  private requireWritableNamespace(resource: string, namespace: string, name: string): void {
    const ns = this.stored.get(storeKey('namespaces', undefined, namespace))
    if (!ns) throw notFound('namespaces', namespace)
    if (ns.metadata.deletionTimestamp)
      throw new KubeError(
        403,
        'Forbidden',
        `${resource} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          name,
          kind: resource,
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${namespace} is being terminated`,
              field: 'metadata.namespace'
            }
          ]
        }
      )
  }

  private releaseNamespaces(): string[] {
    return this.world
      .extensionsOn(this.cluster)
      .filter((e) => isConnectedRegistryExtension(e.extensionType))
      .map((e) => e.releaseNamespace)
  }

  /** System namespaces, seeded ones and every extension's release namespace exist. */
  private syncNamespaces(now: number): void {
    const created = Date.parse(this.cluster.systemData.createdAt)
    const ensure = (name: string, since: number, terminating = false): void => {
      const k = storeKey('namespaces', undefined, name)
      if (this.stored.has(k)) return
      this.stored.set(k, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name,
          uid: stableUid(`${this.cluster.id}/namespace/${name}`),
          resourceVersion: this.bump(),
          creationTimestamp: isoSeconds(since),
          labels: { 'kubernetes.io/metadata.name': name },
          ...(terminating ? { deletionTimestamp: isoSeconds(since) } : {})
        },
        spec: { finalizers: ['kubernetes'] },
        status: terminating
          ? {
              phase: 'Terminating',
              conditions: [
                {
                  type: 'NamespaceFinalizersRemaining',
                  status: 'True',
                  reason: 'SomeFinalizersRemain',
                  message:
                    'Some content in the namespace has finalizers remaining: connectedregistry.azurecr.io/cleanup in 1 resource instances',
                  lastTransitionTime: isoSeconds(since)
                }
              ]
            }
          : { phase: 'Active' }
      })
    }
    for (const ns of [...SYSTEM_NAMESPACES, ...this.settings.namespaces]) ensure(ns, created)
    for (const ns of this.settings.terminatingNamespaces) ensure(ns, created, true)
    const releases = new Set(this.releaseNamespaces())
    for (const ext of this.world.extensionsOn(this.cluster))
      if (
        isConnectedRegistryExtension(ext.extensionType) &&
        !this.stored.has(storeKey('namespaces', undefined, ext.releaseNamespace))
      ) {
        ensure(ext.releaseNamespace, Date.parse(ext.systemData.createdAt) || now)
        this.createdForRelease.add(ext.releaseNamespace)
      }
    // Arc removes the release namespace it created, with everything in it, with the extension.
    for (const ns of [...this.createdForRelease].filter((n) => !releases.has(n))) {
      this.createdForRelease.delete(ns)
      for (const [k, obj] of [...this.stored.entries()])
        if (obj.metadata.namespace === ns || k === storeKey('namespaces', undefined, ns))
          this.stored.delete(k)
      this.bump()
    }
  }

  private isRegistryPod(
    resource: string,
    namespace: string | undefined,
    name: string,
    now: number
  ): boolean {
    return (
      resource === 'pods' &&
      this.registryPods(now).some(
        (r) => r.pod.metadata.namespace === namespace && r.pod.metadata.name === name
      )
    )
  }

  /** Stored objects as served: pods get the status the kubelet would report now. */
  private present(resource: StoredResource, obj: KubeObject, now: number): KubeObject {
    if (resource !== 'pods') return structuredClone(obj)
    return { ...structuredClone(obj), status: this.userPodStatus(obj, now) }
  }

  /** Same object content → same resourceVersion; a change gets a new one. */
  private versioned(obj: KubeObject): KubeObject {
    const k = `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`
    const json = JSON.stringify(obj)
    let entry = this.derived.get(k)
    if (!entry || entry.json !== json) {
      entry = { json, rv: this.bump() }
      this.derived.set(k, entry)
    }
    return { ...obj, metadata: { ...obj.metadata, resourceVersion: entry.rv } }
  }

  // ---- the connected registry's pod and PVC ---------------------------------------------

  private registryPods(now: number): RegistryPod[] {
    const out: RegistryPod[] = []
    for (const ext of this.world.extensionsOn(this.cluster)) {
      if (!isConnectedRegistryExtension(ext.extensionType)) continue
      const pvc = this.versioned(registryPvc(ext, this.settings))
      for (const inst of releasePods(this.world, ext)) {
        const restarts = restartsOf(this.world, inst)
        out.push({
          ext,
          inst,
          pvc,
          pod: this.versioned(registryPod(ext, inst, pvc, restarts, now)),
          restarts
        })
      }
    }
    return out
  }

  // ---- pods users create: image pulls --------------------------------------------------

  private userPodStatus(pod: KubeObject, now: number): Record<string, unknown> {
    const containers = podContainers(pod)
    const started = pod.metadata.creationTimestamp
    const statuses = containers.map((c) => {
      const state = this.pull(pod, c.name, c.image, now)
      return {
        name: c.name,
        image: c.image,
        imageID: state.pulled
          ? `${c.image.replace(/[:@][^/]*$/, '')}@sha256:${stableUid(c.image).replace(/-/g, '').padEnd(64, '0')}`
          : '',
        ready: state.pulled,
        started: state.pulled,
        restartCount: 0,
        state: state.pulled
          ? { running: { startedAt: started } }
          : { waiting: { reason: 'ErrImagePull', message: state.failure ?? '' } }
      }
    })
    const ready = statuses.every((s) => s.ready)
    const condition = (type: string, status: boolean) => ({
      type,
      status: status ? 'True' : 'False',
      lastProbeTime: null,
      lastTransitionTime: started,
      ...(status || type === 'PodScheduled'
        ? {}
        : {
            reason: 'ContainersNotReady',
            message: `containers with unready status: [${statuses
              .filter((s) => !s.ready)
              .map((s) => s.name)
              .join(' ')}]`
          })
    })
    return {
      phase: ready ? 'Running' : 'Pending',
      conditions: [
        condition('Initialized', true),
        condition('Ready', ready),
        condition('ContainersReady', ready),
        condition('PodScheduled', true)
      ],
      hostIP: '10.224.0.4',
      startTime: started,
      containerStatuses: statuses,
      qosClass: 'BestEffort'
    }
  }

  /** The kubelet pulls until it succeeds (retrying on every look); a pulled image stays pulled. */
  private pull(pod: KubeObject, container: string, image: string, now: number): PullState {
    const k = `${pod.metadata.uid}/${container}`
    const state = this.pulls.get(k) ?? { pulled: false, attempts: 0 }
    this.pulls.set(k, state)
    if (state.pulled) return state
    state.attempts++
    const failure = this.pullFailure(pod, image, now)
    if (failure === undefined) {
      state.pulled = true
      state.failure = undefined
    } else {
      state.failure = failure
      state.firstFailure ??= now
    }
    return state
  }

  private pullFailure(pod: KubeObject, image: string, now: number): string | undefined {
    const ref = parseImage(image)
    const host = ref.host.replace(/:\d+$/, '')
    const serving = this.registryServing(host)
    if (serving === 'none') return undefined // Assumption: images from elsewhere pull.
    const base = `failed to pull and unpack image "${image}": failed to resolve reference "${image}"`
    if (serving === 'down')
      return `${base}: failed to do request: Head "https://${ref.host}/v2/${ref.repository}/manifests/${ref.reference}": dial tcp ${host}:443: connect: connection refused`
    const credentials = this.pullSecretsOf(pod)
      .map((data) => credentialsFor(data, ref.host))
      .find((c) => c !== undefined)
    const decision = authorizePull(this.world, serving, ref.repository, credentials, now)
    if (decision.ok) return undefined
    return `${base}: failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://${ref.host}/oauth2/token?scope=repository%3A${ref.repository}%3Apull&service=${ref.host}: ${decision.status} ${decision.status === 401 ? 'Unauthorized' : 'Forbidden'}: ${decision.reason}`
  }

  /** The connected registry whose running instance on this cluster listens on `host`. */
  private registryServing(host: string): ConnectedRegistry | 'down' | 'none' {
    let found: ConnectedRegistry | 'down' | 'none' = 'none'
    for (const ext of this.world.extensionsOn(this.cluster)) {
      if (!isConnectedRegistryExtension(ext.extensionType)) continue
      for (const inst of releasePods(this.world, ext)) {
        if (inst.clusterIP !== host) continue
        // A pod whose claim is Pending never started (the simulator holds it), so never serves.
        const cr = servedRegistry(this.world, inst)
        if (cr) return cr
        found = 'down'
      }
    }
    return found
  }

  private pullSecretsOf(pod: KubeObject): string[] {
    const refs = (pod.spec as { imagePullSecrets?: { name?: string }[] }).imagePullSecrets ?? []
    const out: string[] = []
    for (const ref of refs) {
      const secret = this.stored.get(storeKey('secrets', pod.metadata.namespace, ref.name ?? ''))
      const data = (secret?.data as Record<string, string> | undefined)?.['.dockerconfigjson']
      if (secret?.type === 'kubernetes.io/dockerconfigjson' && data)
        out.push(Buffer.from(data, 'base64').toString('utf8'))
    }
    return out
  }

  private pullEvents(pod: KubeObject): KubeObject[] {
    const out: KubeObject[] = []
    const created = pod.metadata.creationTimestamp
    const missing = (
      (pod.spec as { imagePullSecrets?: { name?: string }[] }).imagePullSecrets ?? []
    )
      .map((r) => r.name ?? '')
      .filter((n) => !this.stored.has(storeKey('secrets', pod.metadata.namespace, n)))
    if (missing.length > 0)
      out.push(
        this.event(
          pod,
          'Warning',
          'FailedToRetrieveImagePullSecret',
          `Unable to retrieve some image pull secrets (${missing.join(', ')}); attempting to pull the image may not succeed.`,
          'kubelet',
          created,
          1
        )
      )
    for (const c of podContainers(pod)) {
      const state = this.pulls.get(`${pod.metadata.uid}/${c.name}`)
      if (!state) continue
      if (state.pulled) {
        out.push(
          this.event(
            pod,
            'Normal',
            'Pulled',
            `Successfully pulled image "${c.image}"`,
            'kubelet',
            created,
            1
          )
        )
      } else if (state.failure) {
        out.push(
          this.event(
            pod,
            'Warning',
            'Failed',
            `Failed to pull image "${c.image}": ${state.failure}`,
            'kubelet',
            created,
            state.attempts
          ),
          this.event(
            pod,
            'Warning',
            'Failed',
            'Error: ErrImagePull',
            'kubelet',
            created,
            state.attempts
          )
        )
      }
    }
    return out
  }

  private event(
    involved: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    component: string,
    first: string,
    count: number
  ): KubeObject {
    const name = `${involved.metadata.name}.${shortHash(`${involved.metadata.uid}/${reason}/${message}`, 16)}`
    return this.versioned({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {
        name,
        namespace: involved.metadata.namespace,
        uid: stableUid(`${this.cluster.id}/event/${name}`),
        resourceVersion: '',
        creationTimestamp: first
      },
      involvedObject: {
        apiVersion: 'v1',
        kind: involved.kind,
        namespace: involved.metadata.namespace,
        name: involved.metadata.name,
        uid: involved.metadata.uid
      },
      reason,
      message,
      source: { component, ...(component === 'kubelet' ? { host: 'edge-node-0' } : {}) },
      firstTimestamp: first,
      lastTimestamp: first,
      count,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: component === 'kubelet' ? 'edge-node-0' : ''
    })
  }
}

/** JSON with sorted keys: the same content compares equal whatever the key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    isRecord(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v
  )
}

function storeKey(resource: string, namespace: string | undefined, name: string): string {
  return `${resource}/${namespace ?? ''}/${name}`
}

// The cluster side, simulated: installing/upgrading/removing the Arc extension
// (Helm release) and the connected-registry instance (the pod) it runs.
//
// The instance behaves like the real pod: it reads the protected
// `connectionString`, authenticates to its parent with the sync token, activates
// the connected registry (only one instance may hold the activation) and then
// reports Syncing → Online. Problems show up where the real service shows them:
// chart failures on the extension (provisioningState Failed + errorInfo),
// runtime failures on the connected registry (Unhealthy + statusDetails).
import { createHash, randomUUID } from 'node:crypto'
import {
  ChartProblem,
  DEFAULT_CHART_VERSION,
  chartProblem,
  flag,
  isConnectedRegistryExtension
} from './chart.js'
import { parseConnectionString, type ConnectionString } from './connection-string.js'
import { key, nameOf } from './ids.js'
import { clusterSettings, registryClaim } from './kube/seed.js'
import type { Operations } from './lro.js'
import {
  dataEndpointHost,
  type AsyncOperation,
  type ConnectedCluster,
  type ConnectedRegistry,
  type ConnectionState,
  type Extension,
  type InstancePhase,
  type PasswordName,
  type RegistryInstance,
  type RepositorySync,
  type StatusDetail,
  type World
} from './world.js'

export type { InstancePhase, RegistryInstance }

type Validation =
  | { kind: 'ok'; cr: ConnectedRegistry; slot: PasswordName }
  | { kind: 'not-reportable'; code: string; description: string }
  | { kind: 'problem'; cr: ConnectedRegistry; code: string; description: string }
  | { kind: 'parent-offline'; cr: ConnectedRegistry }

const EXTERNAL_OWNER = 'external'

export class ClusterSimulator {
  constructor(
    private readonly world: World,
    private readonly ops: Operations
  ) {
    world.onSettle((t) => this.reconcile(t))
  }

  // ---- extension lifecycle --------------------------------------------------------------

  /** A create or update was accepted: provisioning lands later (or when the cluster reconnects). */
  requestInstall(ext: Extension, op: AsyncOperation, kind: 'create' | 'update', t: number): void {
    const to = kind === 'create' ? 'Creating' : 'Updating'
    // A brand-new extension has no previous state.
    const from = kind === 'create' && ext.generation === 0 ? null : ext.provisioningState
    ext.provisioningState = to
    this.world.recordEvent(
      t,
      ext.id,
      'provisioningState',
      from,
      to,
      kind === 'create' ? 'extension created' : 'extension update requested'
    )
    ext.pending = { kind, operationId: op.id, requestedAt: t }
    ext.generation++
    ext.errorInfo = null
    this.scheduleLanding(ext, t)
  }

  requestDelete(ext: Extension, op: AsyncOperation, t: number): void {
    this.setExtensionState(ext, 'Deleting', t, 'extension delete requested')
    ext.pending = { kind: 'delete', operationId: op.id, requestedAt: t }
    ext.generation++
    this.scheduleLanding(ext, t)
  }

  /** forceDelete=true: gone at once, whatever the cluster state. */
  forceDelete(ext: Extension, t: number): void {
    if (ext.pending) {
      const op = this.ops.find(ext.pending.operationId)
      if (op?.status === 'InProgress')
        this.ops.fail(op, t, { code: 'Canceled', message: 'The extension was force-deleted.' })
    }
    this.removeExtension(ext, t, 'extension force-deleted')
  }

  setClusterConnectivity(
    cluster: ConnectedCluster,
    status: ConnectedCluster['connectivityStatus'],
    t: number
  ): void {
    if (cluster.connectivityStatus === status) return
    this.world.recordEvent(t, cluster.id, 'connectivityStatus', cluster.connectivityStatus, status)
    cluster.connectivityStatus = status
    if (status === 'Connected') {
      cluster.lastConnectivityTime = new Date(t).toISOString()
      for (const ext of this.world.extensionsOn(cluster)) {
        if (!ext.pending) continue
        ext.statuses = ext.statuses.filter((s) => s.code !== 'ClusterNotConnected')
        this.scheduleLanding(ext, t)
      }
    }
  }

  private scheduleLanding(ext: Extension, t: number): void {
    const cluster = this.world.clusters.get(ext.clusterKey)
    const pending = ext.pending
    if (!cluster || !pending) return
    const gen = ext.generation
    if (cluster.connectivityStatus !== 'Connected') {
      const time = new Date(t).toISOString()
      ext.statuses = [
        ...ext.statuses.filter((s) => s.code !== 'ClusterNotConnected'),
        {
          code: 'ClusterNotConnected',
          displayStatus: 'Pending',
          level: 'Warning',
          message: `The Arc-enabled cluster '${cluster.name}' is not connected to Azure (connectivityStatus ${cluster.connectivityStatus}). The ${pending.kind} of the extension is pending until the cluster reconnects; protected settings are kept for 48 hours.`,
          time
        }
      ]
      const deadline = pending.requestedAt + this.world.timing.pendingTimeoutMs
      this.world.schedule(deadline, `extension ${ext.name}: pending timeout`, (at) =>
        this.pendingTimedOut(ext.id, gen, at)
      )
      return
    }
    const delay =
      pending.kind === 'delete'
        ? this.world.timing.deletionMs
        : this.world.timing.extensionProvisioningMs
    this.world.schedule(t + delay, `extension ${ext.name}: ${pending.kind} lands`, (at) =>
      this.land(ext.id, gen, at)
    )
  }

  private pendingTimedOut(extId: string, gen: number, t: number): void {
    const ext = this.world.extensions.get(key(extId))
    if (!ext || ext.generation !== gen || !ext.pending) return
    const cluster = this.world.clusters.get(ext.clusterKey)
    if (cluster?.connectivityStatus === 'Connected') return
    this.finishWithFailure(ext, t, {
      code: 'ClusterNotConnected',
      message: `The extension operation could not be completed because the cluster '${cluster?.name ?? ''}' did not connect to Azure within 48 hours; its protected settings have expired.`
    })
  }

  private land(extId: string, gen: number, t: number): void {
    const ext = this.world.extensions.get(key(extId))
    if (!ext || ext.generation !== gen || !ext.pending) return
    const cluster = this.world.clusters.get(ext.clusterKey)
    if (!cluster || cluster.connectivityStatus !== 'Connected') return // lands when it reconnects
    const pending = ext.pending
    const op = this.ops.find(pending.operationId)

    if (op?.forcedFailure) {
      this.finishWithFailure(ext, t, {
        code: op.forcedFailure.code,
        message: op.forcedFailure.message
      })
      return
    }
    if (pending.kind === 'delete') {
      this.removeExtension(ext, t, 'extension deleted')
      if (op) this.ops.succeed(op, t)
      return
    }
    if (isConnectedRegistryExtension(ext.extensionType)) {
      const siblings = this.world.extensionsOn(cluster)
      const problem = chartProblem(
        ext,
        cluster,
        siblings,
        pending.kind === 'create' ? 'Installing' : 'Updating'
      )
      if (problem) {
        this.finishWithFailure(ext, t, problem)
        return
      }
    }
    ext.pending = undefined
    ext.currentVersion =
      ext.version ??
      (isConnectedRegistryExtension(ext.extensionType) ? DEFAULT_CHART_VERSION : '1.0.0')
    ext.errorInfo = null
    ext.statuses = ext.statuses.filter((s) => s.code !== 'ClusterNotConnected')
    this.setExtensionState(
      ext,
      'Succeeded',
      t,
      `${pending.kind} installed (chart ${ext.currentVersion})`
    )
    if (op) this.ops.succeed(op, t)
    if (isConnectedRegistryExtension(ext.extensionType))
      this.startOrRestartInstance(ext, pending.kind === 'create', t)
  }

  private finishWithFailure(ext: Extension, t: number, problem: ChartProblem): void {
    // A failed upgrade (or delete) leaves the previous release and its pod running.
    const op = ext.pending ? this.ops.find(ext.pending.operationId) : undefined
    ext.pending = undefined
    ext.errorInfo = { code: problem.code, message: problem.message }
    this.setExtensionState(ext, 'Failed', t, problem.message)
    if (op) this.ops.fail(op, t, { code: problem.code, message: problem.message })
  }

  private removeExtension(ext: Extension, t: number, detail: string): void {
    this.world.recordEvent(t, ext.id, 'provisioningState', ext.provisioningState, null, detail)
    this.world.extensions.delete(key(ext.id))
    for (const pod of this.podsOf(ext)) this.stopInstance(pod.id, t, 'removed with its release')
  }

  private setExtensionState(
    ext: Extension,
    to: Extension['provisioningState'],
    t: number,
    detail: string
  ): void {
    const from = ext.provisioningState
    ext.provisioningState = to
    this.world.recordEvent(t, ext.id, 'provisioningState', from, to, detail)
  }

  // ---- the connected-registry pods -------------------------------------------------------
  //
  // A release runs one pod. The pods of one release share its identity towards the cloud (its
  // volume), so a restarted pod takes over the activation; a new release (the extension deleted
  // and created again) is a new identity and meets ALREADY_ACTIVATED. New settings reach the
  // registry only through a new pod: Helm upgrades the release and the Deployment replaces the
  // pod (rolling or recreate: world.clusterBehaviour). The cloud shows what the pod that last
  // reported said: a pod stopped for a restart sends no last word, so its Online stays visible
  // until the new pod reports.

  private startOrRestartInstance(ext: Extension, created: boolean, t: number): void {
    const current = ext.instanceId ? this.world.instances.get(ext.instanceId) : undefined
    const settings = readInstanceSettings(ext)
    if (current && !created && current.fingerprint === settings.fingerprint) {
      // The upgrade changed nothing the pod reads: Kubernetes keeps the running pod.
      this.world.recordEvent(
        t,
        ext.id,
        'instance',
        current.phase,
        current.phase,
        `instance ${current.id} kept: the update changed nothing the pod reads`
      )
      return
    }
    // A new pod starts with a clean slate of pod problems.
    ext.statuses = ext.statuses.filter((s) => s.displayStatus !== 'CrashLoopBackOff')
    if (!current || created) {
      for (const pod of this.podsOf(ext)) this.stopInstance(pod.id, t, 'removed with its release')
      const inst = this.newInstance(ext, settings, t, 'started', randomUUID())
      this.scheduleAttempt(inst, t + this.world.timing.activationMs)
      return
    }
    const rolling = this.world.clusterBehaviour.rollingUpdate && current.phase === 'running'
    // Recreate (or nothing serving anyway): the old pod goes first, silently.
    for (const pod of this.podsOf(ext)) {
      if (rolling && pod.id === current.id) continue
      this.stopInstance(
        pod.id,
        t,
        `replaced by a new pod (${rolling ? 'rolling update' : 'recreate'})`,
        {
          silent: true
        }
      )
    }
    const inst = this.newInstance(
      ext,
      settings,
      t,
      rolling ? 'started beside the serving pod (rolling update)' : 'started (recreate)',
      current.releaseId
    )
    if (rolling) inst.replaces = current.id
    this.scheduleAttempt(inst, t + this.world.timing.restartGapMs)
  }

  /** A seeded, already-installed extension: its instance is up from the start (Online when valid). */
  startSeededInstance(ext: Extension, t: number): void {
    const inst = this.newInstance(ext, readInstanceSettings(ext), t, 'seeded', randomUUID())
    this.attempt(inst, t)
    const cr = this.registryOf(inst)
    if (inst.phase === 'running' && cr) {
      cr.runtime.lastSyncTime = new Date(t).toISOString()
      this.finishSync(cr, inst, t, 'seeded')
    }
  }

  /** A new pod of the extension's release, about to connect. */
  private newInstance(
    ext: Extension,
    settings: InstanceSettings,
    t: number,
    how: string,
    releaseId: string
  ): RegistryInstance {
    const inst: RegistryInstance = {
      id: randomUUID(),
      releaseId,
      extensionId: ext.id,
      clusterKey: ext.clusterKey,
      startedAt: t,
      phase: 'connecting',
      ...settings,
      generation: 0
    }
    this.world.instances.set(inst.id, inst)
    ext.instanceId = inst.id
    this.world.recordEvent(t, ext.id, 'instance', null, 'connecting', `instance ${inst.id} ${how}`)
    return inst
  }

  /** Every pod of the extension (two during a rolling update). */
  private podsOf(ext: Extension): RegistryInstance[] {
    return releasePods(this.world, ext)
  }

  /** The connected registry the instance reports to, while it exists. */
  private registryOf(inst: RegistryInstance): ConnectedRegistry | undefined {
    return inst.connectedRegistryKey
      ? this.world.connectedRegistries.get(inst.connectedRegistryKey)
      : undefined
  }

  /**
   * The pod stops. `silent`: replaced in a restart, it sends no last report (the cloud keeps
   * showing what it said last). Otherwise (its release removed) the registry drifts to Offline.
   */
  private stopInstance(
    instanceId: string,
    t: number,
    why: string,
    options: { silent?: boolean } = {}
  ): void {
    const inst = this.world.instances.get(instanceId)
    if (!inst) return
    this.world.instances.delete(instanceId)
    inst.generation++
    this.world.recordEvent(
      t,
      inst.extensionId,
      'instance',
      inst.phase,
      null,
      `instance ${inst.id} stopped: ${why}`
    )
    const cr = this.registryOf(inst)
    if (options.silent || !cr) return
    // Activation stays Active (as in Azure); the registry just stops reporting.
    const owned = cr.runtime.activationOwner === inst.releaseId
    if (owned || cr.runtime.reportedBy === inst.id) {
      const successor = [...this.world.instances.values()].some(
        (other) => other.releaseId === inst.releaseId
      )
      if (!successor)
        this.report(cr, undefined, t, 'Offline', cr.runtime.statusDetails, 'instance removed')
    }
  }

  /** Back to 'connecting': the next activation attempt comes after `activationMs`. */
  private reconnect(inst: RegistryInstance, t: number): void {
    this.setPhase(inst, 'connecting', t)
    this.scheduleAttempt(inst, t + this.world.timing.activationMs)
  }

  private scheduleAttempt(inst: RegistryInstance, at: number): void {
    const gen = inst.generation
    this.world.schedule(at, `instance ${inst.id}: activation attempt`, (t) => {
      if (this.world.instances.get(inst.id) !== inst || inst.generation !== gen) return
      this.attempt(inst, t)
    })
  }

  /** The instance contacts its parent: authenticate, activate, start syncing. */
  private attempt(inst: RegistryInstance, t: number): void {
    if (!this.clusterConnected(inst)) {
      this.setPhase(inst, 'disconnected', t)
      return
    }
    if (!this.scheduled(inst, t)) return
    const v = this.validate(inst, t)
    if (v.kind === 'not-reportable') {
      this.fail(inst, v.code, v.description, t)
      return
    }
    inst.connectedRegistryKey = key(v.cr.id)
    if (v.kind === 'problem') {
      this.fail(inst, v.code, v.description, t, v.cr)
      return
    }
    if (v.kind === 'parent-offline') {
      inst.waitingFor = 'parent'
      this.setPhase(inst, 'waiting', t)
      return
    }
    inst.passwordSlot = v.slot
    const cr = v.cr
    if (cr.runtime.activation === 'Active' && cr.runtime.activationOwner !== inst.releaseId) {
      this.waitForActivation(inst, cr, t, 'activation refused')
      return
    }
    if (cr.runtime.activation !== 'Active')
      this.setActivation(cr, 'Active', inst.releaseId, t, `activated by instance ${inst.id}`)
    inst.problem = undefined
    inst.waitingFor = undefined
    this.setPhase(inst, 'running', t)
    if (inst.replaces) {
      // Rolling update: the new pod is ready, the old one goes.
      this.stopInstance(inst.replaces, t, `replaced by instance ${inst.id}`, { silent: true })
      inst.replaces = undefined
    }
    this.applyInstanceRuntime(cr, inst, t)
    this.goSyncing(inst, cr, t)
  }

  /**
   * Whether the pod can be scheduled: its PersistentVolumeClaim must bind (the seed's storage
   * classes of the cluster). An unbound claim keeps the pod Pending: it never starts, so it
   * neither activates nor reports (the registry stays as it was, Offline for a new one) while
   * the extension is installed (Helm does not wait for the pod).
   */
  private scheduled(inst: RegistryInstance, t: number): boolean {
    const ext = this.world.extensions.get(key(inst.extensionId))
    const cluster = this.world.clusters.get(inst.clusterKey)
    if (!ext || !cluster) return true
    const claim = registryClaim(
      ext.configurationSettings,
      clusterSettings(this.world.kubernetes, cluster.name)
    )
    if (claim.bound) return true
    this.world.recordEvent(
      t,
      ext.id,
      'pod',
      null,
      'Pending',
      `instance ${inst.id}: unschedulable, its PersistentVolumeClaim is Pending (${claim.storageClass ? `storage class '${claim.storageClass}' not found` : 'no storage class set and no default class'})`
    )
    return false
  }

  /** Another instance holds the activation: Unhealthy with ALREADY_ACTIVATED until it is free. */
  private waitForActivation(
    inst: RegistryInstance,
    cr: ConnectedRegistry,
    t: number,
    detail: string
  ): void {
    inst.waitingFor = 'activation'
    inst.problem = { code: 'ALREADY_ACTIVATED', description: ALREADY_ACTIVATED }
    this.setPhase(inst, 'waiting', t)
    this.report(
      cr,
      inst,
      t,
      'Unhealthy',
      [statusDetail('ALREADY_ACTIVATED', ALREADY_ACTIVATED, t)],
      detail
    )
  }

  private goSyncing(inst: RegistryInstance, cr: ConnectedRegistry, t: number): void {
    inst.repositories = undefined
    this.report(cr, inst, t, 'Syncing', [], 'initial synchronization')
    const gen = inst.generation
    this.world.schedule(t + this.world.timing.syncingMs, `instance ${inst.id}: online`, (at) => {
      if (
        this.world.instances.get(inst.id) !== inst ||
        inst.generation !== gen ||
        inst.phase !== 'running'
      )
        return
      const current = this.world.connectedRegistries.get(key(cr.id))
      if (!current || current.runtime.activationOwner !== inst.releaseId) return
      current.runtime.lastSyncTime = new Date(at).toISOString()
      this.finishSync(current, inst, at, 'synchronized with parent')
    })
  }

  /**
   * A synchronization ended: Online, or Unhealthy with one status detail per repository its sync
   * scope maps keep it from syncing (statusDetails mean Unhealthy, as Azure documents).
   */
  private finishSync(cr: ConnectedRegistry, inst: RegistryInstance, t: number, detail: string) {
    const repositories = this.repositorySync(cr)
    inst.repositories = repositories
    if (repositories.notSynced.length === 0) {
      this.report(cr, inst, t, 'Online', [], detail)
      return
    }
    const details = repositories.notSynced.map((r) =>
      statusDetail('DENIED', r.reason, t, 'synchronization')
    )
    this.report(
      cr,
      inst,
      t,
      'Unhealthy',
      details,
      `${detail}; cannot sync ${repositories.notSynced.map((r) => r.repository).join(', ')}`
    )
  }

  private applyInstanceRuntime(cr: ConnectedRegistry, inst: RegistryInstance, t: number): void {
    cr.runtime.version = inst.version
    cr.runtime.loginServerHost = inst.clusterIP
    cr.runtime.tlsEnabled = inst.tlsEnabled
    cr.runtime.lastActivityTime = new Date(t).toISOString()
  }

  /**
   * The instance failed. When it can tell which connected registry it serves (`reportTo`),
   * the cloud shows the problem there (Unhealthy + statusDetails); otherwise the cloud never
   * hears of it and it is visible on the extension only (a CrashLoopBackOff status).
   */
  private fail(
    inst: RegistryInstance,
    code: string,
    description: string,
    t: number,
    reportTo?: ConnectedRegistry
  ): void {
    inst.problem = { code, description }
    this.setPhase(inst, 'failed', t)
    if (reportTo) {
      const details = [statusDetail(code, description, t)]
      this.report(reportTo, inst, t, 'Unhealthy', details, `${code}: ${description}`)
      return
    }
    const ext = this.world.extensions.get(key(inst.extensionId))
    if (!ext) return
    ext.statuses = [
      ...ext.statuses.filter((s) => s.code !== code),
      {
        code,
        displayStatus: 'CrashLoopBackOff',
        level: 'Error',
        message: `connected-registry pod: ${description}`,
        time: new Date(t).toISOString()
      }
    ]
  }

  private setPhase(inst: RegistryInstance, phase: InstancePhase, t: number): void {
    if (inst.phase === phase) return
    this.world.recordEvent(
      t,
      inst.extensionId,
      'instance',
      inst.phase,
      phase,
      `instance ${inst.id}${inst.problem ? `: ${inst.problem.code}` : ''}`
    )
    inst.phase = phase
    inst.generation++
    if (phase !== 'waiting') inst.waitingFor = undefined
  }

  /** The instance's state as the cloud sees it. */
  private report(
    cr: ConnectedRegistry,
    inst: RegistryInstance | undefined,
    t: number,
    state: ConnectionState,
    details: StatusDetail[],
    detail: string
  ): void {
    const from = cr.runtime.connectionState
    cr.runtime.connectionState = state
    cr.runtime.statusDetails = details
    cr.runtime.reportedBy = inst?.id
    if (inst) cr.runtime.lastActivityTime = new Date(t).toISOString()
    if (from !== state) this.world.recordEvent(t, cr.id, 'connectionState', from, state, detail)
  }

  setActivation(
    cr: ConnectedRegistry,
    status: 'Active' | 'Inactive',
    owner: string | undefined,
    t: number,
    detail: string
  ): void {
    const from = cr.runtime.activation
    cr.runtime.activation = status
    cr.runtime.activationOwner = status === 'Active' ? (owner ?? EXTERNAL_OWNER) : undefined
    if (from !== status) this.world.recordEvent(t, cr.id, 'activation.status', from, status, detail)
  }

  /** POST deactivate landed: frees the activation so a waiting instance can take it. */
  deactivate(cr: ConnectedRegistry, t: number): void {
    this.setActivation(cr, 'Inactive', undefined, t, 'deactivated')
    this.report(cr, undefined, t, 'Offline', [], 'deactivated')
  }

  /** Admin: pretend an instance the emulator does not run holds (or released) the activation. */
  setExternalActivation(cr: ConnectedRegistry, status: 'Active' | 'Inactive', t: number): void {
    if (status === 'Inactive') this.deactivate(cr, t)
    else
      this.setActivation(
        cr,
        'Active',
        EXTERNAL_OWNER,
        t,
        'activated by an instance outside the emulator'
      )
  }

  private clusterConnected(inst: RegistryInstance): boolean {
    return this.world.clusters.get(inst.clusterKey)?.connectivityStatus === 'Connected'
  }

  // ---- checks ---------------------------------------------------------------------------

  /** What the parent would answer to this instance right now. */
  private validate(inst: RegistryInstance, t: number): Validation {
    const cs = inst.connectionString
    if ('error' in cs) {
      return {
        kind: 'not-reportable',
        code: 'INVALID_CONNECTION_STRING',
        description: `The connection string could not be parsed: ${cs.error}.`
      }
    }
    const cr = this.findConnectedRegistry(cs)
    if (!cr) {
      return {
        kind: 'not-reportable',
        code: 'CONNECTED_REGISTRY_NOT_FOUND',
        description: `The connected registry '${cs.connectedRegistryName}' named in the connection string does not exist.`
      }
    }
    const problem = (code: string, description: string): Validation => ({
      kind: 'problem',
      cr,
      code,
      description
    })
    const token = this.world.tokens.get(key(cr.syncTokenId))
    const syncTokenName = nameOf(cr.syncTokenId)
    if (cs.syncTokenName.toLowerCase() !== syncTokenName.toLowerCase()) {
      return problem(
        'UNAUTHORIZED',
        `Incorrect username: '${cs.syncTokenName}' is not the sync token of connected registry '${cr.name}' (expected '${syncTokenName}').`
      )
    }
    if (!token) return problem('UNAUTHORIZED', `The sync token '${syncTokenName}' does not exist.`)
    if (token.status !== 'enabled')
      return problem('UNAUTHORIZED', `The sync token '${token.name}' is disabled.`)
    const slot = (['password1', 'password2'] as const).find(
      (n) => token.passwords[n]?.value === cs.syncTokenPassword
    )
    if (!slot) return problem('UNAUTHORIZED', 'Incorrect Password')
    const expiry = token.passwords[slot]?.expiry
    if (expiry && Date.parse(expiry) <= t)
      return problem('UNAUTHORIZED', `The sync token password '${slot}' expired at ${expiry}.`)

    const expected = this.expectedParent(cr)
    if (expected.parent && expected.parent.runtime.connectionState !== 'Online')
      return { kind: 'parent-offline', cr }
    if (
      cs.parentGatewayEndpoint.toLowerCase() !== expected.endpoint.toLowerCase() ||
      expected.endpoint === ''
    ) {
      return problem(
        'PARENT_ENDPOINT_UNREACHABLE',
        `Cannot reach the parent gateway endpoint '${cs.parentGatewayEndpoint}': expected '${expected.endpoint || '(none)'}' (${expected.parent ? `login server of parent connected registry '${expected.parent.name}'` : "the registry's dedicated data endpoint"}).`
      )
    }
    if (cs.parentEndpointProtocol !== expected.protocol) {
      return problem(
        'PARENT_ENDPOINT_UNREACHABLE',
        expected.parent
          ? `ParentEndpointProtocol '${cs.parentEndpointProtocol}' does not match the parent connected registry '${expected.parent.name}', which serves ${expected.protocol}.`
          : `ParentEndpointProtocol must be 'https' when the parent is the cloud registry, got '${cs.parentEndpointProtocol}'.`
      )
    }
    const missing = this.missingGatewayActions(cr)
    if (missing) return problem('DENIED', missing)
    return { kind: 'ok', cr, slot }
  }

  private findConnectedRegistry(cs: ConnectionString): ConnectedRegistry | undefined {
    const candidates = [...this.world.connectedRegistries.values()].filter(
      (c) => c.name.toLowerCase() === cs.connectedRegistryName.toLowerCase()
    )
    if (candidates.length <= 1) return candidates[0]
    return (
      candidates.find(
        (c) =>
          this.expectedParent(c).endpoint.toLowerCase() === cs.parentGatewayEndpoint.toLowerCase()
      ) ?? candidates[0]
    )
  }

  /** The parent gateway endpoint and protocol an instance must use; `parent` for nested registries. */
  expectedParent(cr: ConnectedRegistry): {
    endpoint: string
    protocol: 'http' | 'https'
    parent?: ConnectedRegistry
  } {
    if (!cr.parentId) {
      const registry = this.world.registries.get(cr.registryKey)
      return {
        endpoint: registry?.dataEndpointEnabled ? dataEndpointHost(registry) : '',
        protocol: 'https'
      }
    }
    const parent = this.world.connectedRegistries.get(key(cr.parentId))
    if (!parent) return { endpoint: '', protocol: 'https' }
    const endpoint =
      parent.runtime.activation === 'Active' ? (parent.runtime.loginServerHost ?? '') : ''
    return { endpoint, protocol: parent.runtime.tlsEnabled === false ? 'http' : 'https', parent }
  }

  /** The registry and its ancestors, nearest first, each with its sync token and scope map. */
  private syncChain(cr: ConnectedRegistry) {
    const chain: {
      holder: ConnectedRegistry
      tokenName: string
      scopeMapName: string
      actions: string[]
    }[] = []
    const seen = new Set<string>()
    let holder: ConnectedRegistry | undefined = cr
    while (holder && !seen.has(holder.id)) {
      seen.add(holder.id)
      const token = this.world.tokens.get(key(holder.syncTokenId))
      const scopeMap = token?.scopeMapId
        ? this.world.scopeMaps.get(key(token.scopeMapId))
        : undefined
      chain.push({
        holder,
        tokenName: token?.name ?? nameOf(holder.syncTokenId),
        scopeMapName: scopeMap?.name ?? '(none)',
        actions: (scopeMap?.actions ?? []).map((a) => a.toLowerCase())
      })
      holder = holder.parentId
        ? this.world.connectedRegistries.get(key(holder.parentId))
        : undefined
    }
    return chain
  }

  private tokenOf(link: { holder: ConnectedRegistry; tokenName: string }, cr: ConnectedRegistry) {
    return link.holder === cr
      ? `its sync token '${link.tokenName}'`
      : `the sync token '${link.tokenName}' of ancestor connected registry '${link.holder.name}'`
  }

  /** The sync scope maps (own and every ancestor's) must allow the gateway actions of this registry. */
  private missingGatewayActions(cr: ConnectedRegistry): string | undefined {
    const needed = gatewayActions(cr.name)
    for (const link of this.syncChain(cr)) {
      const lacking = needed.filter((a) => !link.actions.includes(a))
      if (lacking.length > 0) {
        return `Insufficient permissions: the scope map '${link.scopeMapName}' of ${this.tokenOf(link, cr)} lacks ${lacking.join(', ')}.`
      }
    }
    return undefined
  }

  /**
   * What the instance can sync: every repository its own sync scope map names, when that scope
   * map and every ancestor's grant reading it (a nested registry gets its content through its
   * parent). A ReadWrite registry pushes its local changes up only where every one of them also
   * grants the write actions; elsewhere it syncs pull-only (healthy: the CLI itself grants a
   * ReadWrite parent only the read actions of a ReadOnly child's repositories). Azure does not
   * document how a refused repository shows; one DENIED statusDetail of type 'synchronization'
   * per repository is our assumption.
   */
  repositorySync(cr: ConnectedRegistry): RepositorySync {
    const chain = this.syncChain(cr)
    const read = repositoryActionsFor('ReadOnly')
    const write = repositoryActionsFor(cr.mode).filter((a) => !read.includes(a))
    const named = [
      ...new Set(
        chain[0].actions.flatMap((a) => {
          const parsed = repositoryOf(a)
          return parsed ? [parsed.repository] : []
        })
      )
    ].sort()
    const lackingIn = (repository: string, actions: string[]) =>
      chain
        .map((link) => ({
          link,
          lacking: actions.filter((action) => !grants(link.actions, repository, action))
        }))
        .find((x) => x.lacking.length > 0)
    const result: RepositorySync = { synced: [], pullOnly: [], notSynced: [] }
    for (const repository of named) {
      const refusal = lackingIn(repository, read)
      if (!refusal) {
        result.synced.push(repository)
        if (write.length > 0 && lackingIn(repository, write)) result.pullOnly.push(repository)
        continue
      }
      const { link, lacking } = refusal
      result.notSynced.push({
        repository,
        reason: `Repository '${repository}' is not synchronized: the scope map '${link.scopeMapName}' of ${this.tokenOf(link, cr)} lacks ${lacking.map((a) => `repositories/${repository}/${a}`).join(', ')}.`
      })
    }
    return result
  }

  // ---- reconciliation after every change ---------------------------------------------------

  private reconcile(t: number): void {
    for (const inst of [...this.world.instances.values()]) {
      const connected = this.clusterConnected(inst)
      if (!connected) {
        if (inst.phase !== 'disconnected') {
          this.setPhase(inst, 'disconnected', t)
          const cr = this.registryOf(inst)
          if (cr && cr.runtime.reportedBy === inst.id)
            this.report(cr, undefined, t, 'Offline', cr.runtime.statusDetails, 'cluster offline')
        }
        continue
      }
      switch (inst.phase) {
        case 'disconnected':
          this.reconnect(inst, t)
          break
        case 'running':
          this.checkRunning(inst, t)
          break
        case 'waiting':
          this.checkWaiting(inst, t)
          break
        case 'failed': {
          const v = this.validate(inst, t)
          if (v.kind === 'ok' || v.kind === 'parent-offline') {
            this.reconnect(inst, t)
          } else if (
            v.kind === 'problem' &&
            v.cr.runtime.reportedBy === inst.id &&
            v.cr.runtime.statusDetails[0]?.code !== v.code
          ) {
            this.fail(inst, v.code, v.description, t, v.cr)
          }
          break
        }
        case 'connecting':
          break
      }
    }
  }

  private checkRunning(inst: RegistryInstance, t: number): void {
    const cr = this.registryOf(inst)
    if (!cr) {
      this.fail(inst, 'CONNECTED_REGISTRY_NOT_FOUND', 'The connected registry was deleted.', t)
      return
    }
    if (cr.runtime.activationOwner !== inst.releaseId) {
      // Taken by another instance; or deactivated under this one, which then activates again.
      if (cr.runtime.activation === 'Active')
        this.waitForActivation(inst, cr, t, 'activation taken by another instance')
      else this.reconnect(inst, t)
      return
    }
    const v = this.validate(inst, t)
    if (v.kind === 'problem') this.fail(inst, v.code, v.description, t, cr)
    else if (v.kind === 'parent-offline') {
      inst.waitingFor = 'parent'
      this.setPhase(inst, 'waiting', t)
      this.report(cr, inst, t, 'Offline', [], 'parent connected registry is not online')
    } else if (v.kind === 'ok') {
      inst.passwordSlot = v.slot
      // A scope map changed after the last synchronization: the next one shows it.
      if (inst.repositories && cr.runtime.reportedBy === inst.id) {
        const now = this.repositorySync(cr)
        if (JSON.stringify(now) !== JSON.stringify(inst.repositories))
          this.finishSync(cr, inst, t, 'sync scope maps changed')
      }
    }
  }

  private checkWaiting(inst: RegistryInstance, t: number): void {
    const cr = this.registryOf(inst)
    if (!cr) return
    const free =
      inst.waitingFor === 'activation'
        ? cr.runtime.activation !== 'Active' || cr.runtime.activationOwner === inst.releaseId
        : this.expectedParent(cr).parent?.runtime.connectionState === 'Online'
    if (free) this.reconnect(inst, t)
  }
}

/** The pods of the extension's release, oldest first (two during a rolling update). */
export function releasePods(world: World, ext: Extension): RegistryInstance[] {
  return [...world.instances.values()].filter((i) => i.extensionId === ext.id)
}

/**
 * The connected registry the pod serves clients of: it runs (activated, Syncing or Online) and
 * its release holds the registry's activation. Otherwise the pod does not listen.
 */
export function servedRegistry(
  world: World,
  inst: RegistryInstance
): ConnectedRegistry | undefined {
  if (inst.phase !== 'running' || !inst.connectedRegistryKey) return undefined
  const cr = world.connectedRegistries.get(inst.connectedRegistryKey)
  return cr?.runtime.activationOwner === inst.releaseId ? cr : undefined
}

export const ALREADY_ACTIVATED =
  'Failed to activate the connected registry as it is already activated by another instance. Only one instance is supported at any time.'

export function gatewayActions(connectedRegistryName: string): string[] {
  const n = connectedRegistryName.toLowerCase()
  return [
    `gateway/${n}/config/read`,
    `gateway/${n}/config/write`,
    `gateway/${n}/message/read`,
    `gateway/${n}/message/write`
  ]
}

function statusDetail(
  code: string,
  description: string,
  t: number,
  type = 'connectivity'
): StatusDetail {
  return {
    type,
    code,
    description,
    timestamp: new Date(t).toISOString(),
    correlationId: randomUUID()
  }
}

interface InstanceSettings {
  connectionString: ConnectionString | { error: string }
  clusterIP: string
  tlsEnabled: boolean
  version: string
  fingerprint: string
}

function readInstanceSettings(ext: Extension): InstanceSettings {
  const raw = ext.protectedSettings.connectionString ?? ''
  const version = ext.currentVersion ?? DEFAULT_CHART_VERSION
  // Our assumption: the chart's pod template carries a checksum of every setting (the common
  // Helm pattern), so any settings or version change rolls out a new pod, and nothing else does.
  const sorted = (m: Record<string, string>) =>
    Object.entries(m).sort(([a], [b]) => (a < b ? -1 : 1))
  const fingerprint = createHash('sha256')
    .update(
      JSON.stringify([sorted(ext.configurationSettings), sorted(ext.protectedSettings), version])
    )
    .digest('hex')
  return {
    connectionString: parseConnectionString(raw),
    clusterIP: (ext.configurationSettings['service.clusterIP'] ?? '').trim(),
    tlsEnabled: !flag(ext.configurationSettings, 'httpEnabled', false),
    version,
    fingerprint
  }
}

/** Actions a connected registry of this mode needs on a repository it syncs (the CLI's REPO_SCOPES_BY_MODE). */
export function repositoryActionsFor(mode: string): string[] {
  const readOnly = ['content/read', 'metadata/read']
  const readWrite = [
    'content/read',
    'content/write',
    'content/delete',
    'metadata/read',
    'metadata/write'
  ]
  return ['readwrite', 'registry'].includes(mode.toLowerCase()) ? readWrite : readOnly
}

/** `repositories/<repo>/<action>` → repo ('app/*' wildcards stay patterns). */
function repositoryOf(action: string): { repository: string; action: string } | undefined {
  const m = /^repositories\/(.+)\/([a-z]+\/[a-z]+)$/i.exec(action)
  return m ? { repository: m[1].toLowerCase(), action: m[2].toLowerCase() } : undefined
}

/** Whether a scope map's actions grant `action` on `repository` (exactly, or through a `prefix/*` wildcard). */
function grants(actions: string[], repository: string, action: string): boolean {
  return actions.some((a) => {
    const parsed = repositoryOf(a)
    if (!parsed || parsed.action !== action) return false
    if (parsed.repository === repository) return true
    return (
      parsed.repository.endsWith('/*') &&
      repository.startsWith(parsed.repository.slice(0, -1)) &&
      !repository.endsWith('/*')
    )
  })
}

// The connected registry's workload as Kubernetes shows it, derived from the simulated instance:
// its PVC (Bound or Pending by storage class), its pod (running, crash-looping with restarts, or
// unschedulable), the events about them and the container's log.
import type { RegistryInstance } from '../cluster-sim.js'
import type { ConnectedRegistry, Extension, World } from '../world.js'
import { isoSeconds, shortHash, stableUid, type KubeObject } from './objects.js'
import { registryClaim, type ClusterKubeSettings } from './seed.js'

export const CONTAINER = 'connected-registry'
export const PVC_NAME = 'connected-registry-pvc'
const DEFAULT_STORAGE_REQUEST = '500Gi'

export interface RegistryPod {
  ext: Extension
  inst: RegistryInstance
  pod: KubeObject
  pvc: KubeObject
  restarts: number
}

/** Builds a core v1 Event about `involved` (the cluster keeps its name, uid and version stable). */
export type EventFactory = (
  involved: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  component: string,
  first: string,
  count: number
) => KubeObject

export function registryPvc(ext: Extension, kube: ClusterKubeSettings): KubeObject {
  const settings = ext.configurationSettings
  const { storageClass, bound } = registryClaim(settings, kube)
  const uid = stableUid(`${ext.id}/pvc`)
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: {
      name: PVC_NAME,
      namespace: ext.releaseNamespace,
      uid,
      resourceVersion: '',
      creationTimestamp: isoSeconds(Date.parse(ext.systemData.createdAt)),
      labels: { app: 'connected-registry', 'app.kubernetes.io/instance': ext.name },
      ...(bound
        ? {
            annotations: {
              'pv.kubernetes.io/bind-completed': 'yes',
              'volume.kubernetes.io/storage-provisioner': 'rancher.io/local-path'
            }
          }
        : {})
    },
    spec: {
      accessModes: ['ReadWriteOnce'],
      resources: {
        requests: { storage: settings['pvc.storageRequest'] ?? DEFAULT_STORAGE_REQUEST }
      },
      ...(storageClass !== undefined ? { storageClassName: storageClass } : {}),
      volumeMode: 'Filesystem',
      ...(bound ? { volumeName: `pvc-${uid}` } : {})
    },
    status: bound
      ? {
          phase: 'Bound',
          accessModes: ['ReadWriteOnce'],
          capacity: { storage: settings['pvc.storageRequest'] ?? DEFAULT_STORAGE_REQUEST }
        }
      : { phase: 'Pending' }
  }
}

/**
 * Restarts of the instance's container: every time it failed (bad credentials, an activation
 * held elsewhere) the container exited and the kubelet started it again.
 */
export function restartsOf(world: World, inst: RegistryInstance): number {
  const prefix = `instance ${inst.id}:`
  return world
    .events()
    .filter(
      (e) =>
        e.resource === inst.extensionId &&
        e.property === 'instance' &&
        (e.to === 'failed' || e.to === 'waiting') &&
        e.detail.startsWith(prefix)
    ).length
}

export function registryPod(
  ext: Extension,
  inst: RegistryInstance,
  pvc: KubeObject,
  restarts: number,
  now: number
): KubeObject {
  const name = `${ext.name}-${shortHash(ext.id, 10)}-${shortHash(inst.id, 5)}`.toLowerCase()
  const started = isoSeconds(inst.startedAt)
  const image = `mcr.microsoft.com/acr/connected-registry:${inst.version}`
  const pvcPending = (pvc.status as { phase: string }).phase === 'Pending'
  const crashing = inst.phase === 'failed' || inst.problem !== undefined
  const ready = inst.phase === 'running' && !crashing
  const condition = (type: string, status: boolean, extra: Record<string, string> = {}) => ({
    type,
    status: status ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: started,
    ...extra
  })
  let status: Record<string, unknown>
  if (pvcPending) {
    status = {
      phase: 'Pending',
      conditions: [
        condition('PodScheduled', false, {
          reason: 'Unschedulable',
          message: unschedulableMessage()
        })
      ],
      qosClass: 'BestEffort'
    }
  } else {
    const state = crashing
      ? {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${backoffSeconds(restarts)}s restarting failed container=${CONTAINER} pod=${name}_${ext.releaseNamespace}(${stableUid(inst.id)})`
          }
        }
      : { running: { startedAt: started } }
    status = {
      phase: 'Running',
      conditions: [
        condition('Initialized', true),
        condition('Ready', ready),
        condition('ContainersReady', ready),
        condition('PodScheduled', true)
      ],
      hostIP: '10.224.0.4',
      podIP: `10.42.0.${(parseInt(shortHash(inst.id, 2), 36) % 200) + 10}`,
      startTime: started,
      containerStatuses: [
        {
          name: CONTAINER,
          image,
          imageID: `${image.replace(/:[^:]*$/, '')}@sha256:${stableUid(image).replace(/-/g, '').padEnd(64, '0')}`,
          ready,
          started: !crashing,
          restartCount: restarts,
          state,
          ...(restarts > 0
            ? {
                lastState: {
                  terminated: {
                    exitCode: 1,
                    reason: 'Error',
                    startedAt: started,
                    finishedAt: isoSeconds(now)
                  }
                }
              }
            : {})
        }
      ],
      qosClass: 'BestEffort'
    }
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ext.releaseNamespace,
      uid: stableUid(inst.id),
      resourceVersion: '',
      creationTimestamp: started,
      labels: { app: 'connected-registry', 'app.kubernetes.io/instance': ext.name },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `${ext.name}-${shortHash(ext.id, 10)}`.toLowerCase(),
          uid: stableUid(`${ext.id}/replicaset`),
          controller: true,
          blockOwnerDeletion: true
        }
      ]
    },
    spec: {
      containers: [
        {
          name: CONTAINER,
          image,
          ports: [{ containerPort: inst.tlsEnabled ? 443 : 80, protocol: 'TCP' }],
          volumeMounts: [{ name: 'data', mountPath: '/var/acr/data' }]
        }
      ],
      volumes: [{ name: 'data', persistentVolumeClaim: { claimName: PVC_NAME } }],
      restartPolicy: 'Always',
      ...(pvcPending ? {} : { nodeName: 'edge-node-0' })
    },
    status
  }
}

/** What the connected-registry container logs, from the simulation's timeline of its instance. */
export function instanceLog(world: World, r: RegistryPod): string[] {
  const { inst, ext } = r
  const cr = inst.connectedRegistryKey
    ? world.connectedRegistries.get(inst.connectedRegistryKey)
    : undefined
  const line = (t: string | number, level: string, text: string): string =>
    `${typeof t === 'number' ? new Date(t).toISOString() : t} ${level} ${text}`
  const lines = [
    line(
      inst.startedAt,
      'INFO',
      `connected registry ${inst.version} starting (release ${ext.name}, service IP ${inst.clusterIP || '(none)'}, TLS ${inst.tlsEnabled ? 'enabled' : 'disabled'})`
    ),
    line(
      inst.startedAt,
      'INFO',
      `reading connection string for connected registry '${'error' in inst.connectionString ? '?' : inst.connectionString.connectedRegistryName}'`
    )
  ]
  const prefix = `instance ${inst.id}`
  for (const e of world.events()) {
    if (
      e.resource === inst.extensionId &&
      e.property === 'instance' &&
      e.detail.startsWith(prefix)
    ) {
      const rest = e.detail.slice(prefix.length)
      // setPhase writes `instance <id>: <CODE>` when the instance has a problem.
      const code = /^: [A-Z_]+$/.test(rest) ? rest.slice(2) : ''
      if (rest === ' reloaded its configuration')
        lines.push(line(e.time, 'INFO', 'configuration changed; reloading'))
      else if (e.to === 'running')
        lines.push(
          line(
            e.time,
            'INFO',
            `activated connected registry '${cr?.name ?? ''}'; synchronizing with parent`
          )
        )
      else if (e.to === 'failed' || (e.to === 'waiting' && code)) {
        const description =
          inst.problem?.code === code ? inst.problem.description : registryDescription(cr, code)
        lines.push(line(e.time, 'ERROR', `${code}: ${description}`))
        lines.push(line(e.time, 'INFO', 'exiting with code 1'))
      } else if (e.to === 'waiting')
        lines.push(line(e.time, 'INFO', 'waiting for the parent connected registry to come online'))
      else if (e.to === 'connecting' && e.from !== null)
        lines.push(line(e.time, 'INFO', 'connecting to parent'))
    } else if (
      cr &&
      e.resource === cr.id &&
      e.property === 'connectionState' &&
      e.to === 'Online' &&
      cr.runtime.reportedBy === inst.id
    ) {
      lines.push(
        line(
          e.time,
          'INFO',
          `synchronization with parent completed; connected registry '${cr.name}' is Online`
        )
      )
    }
  }
  return lines
}

export function registryEvents(r: RegistryPod, event: EventFactory): KubeObject[] {
  const pod = r.pod
  const out: KubeObject[] = []
  const pvcPhase = (r.pvc.status as { phase: string }).phase
  const created = pod.metadata.creationTimestamp
  if (pvcPhase === 'Pending') {
    const sc = (r.pvc.spec as { storageClassName?: string }).storageClassName
    out.push(
      event(
        r.pvc,
        'Warning',
        sc ? 'ProvisioningFailed' : 'FailedBinding',
        sc
          ? `storageclass.storage.k8s.io "${sc}" not found`
          : 'no persistent volumes available for this claim and no storage class is set',
        'persistentvolume-controller',
        created,
        r.restarts + 1
      ),
      event(
        pod,
        'Warning',
        'FailedScheduling',
        unschedulableMessage(),
        'default-scheduler',
        created,
        1
      )
    )
    return out
  }
  out.push(
    event(
      pod,
      'Normal',
      'Scheduled',
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to edge-node-0`,
      'default-scheduler',
      created,
      1
    ),
    event(
      pod,
      'Normal',
      'Started',
      `Started container ${CONTAINER}`,
      'kubelet',
      created,
      r.restarts + 1
    )
  )
  if (r.restarts > 0)
    out.push(
      event(
        pod,
        'Warning',
        'BackOff',
        `Back-off restarting failed container ${CONTAINER} in pod ${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
        'kubelet',
        created,
        r.restarts
      )
    )
  return out
}

function backoffSeconds(restarts: number): number {
  return Math.min(300, 10 * 2 ** Math.max(0, restarts - 1))
}

function unschedulableMessage(): string {
  return '0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.'
}

function registryDescription(cr: ConnectedRegistry | undefined, code: string): string {
  return cr?.runtime.statusDetails.find((d) => d.code === code)?.description ?? code
}

// The diagnostics collector against a fake cluster: every documented cause recognised and named
// with its fix, the sections a user reads, and no secret in any collected line.
import { describe, expect, it } from '@jest/globals'
import type { Log } from '../../src/ports.js'
import { maskSecret } from '../../src/secrets.js'
import { collectDiagnostics, formatDiagnostics } from '../../src/kube/diagnostics.js'
import { FIX } from '../../src/kube/messages.js'
import type { PodState } from '../../src/kube/port.js'
import { FakeCluster } from './fake-cluster.js'

const NS = 'connected-registry'
const log: Log = {
  info: () => undefined,
  warning: () => undefined,
  debug: () => undefined,
  group: async (_n, fn) => fn(),
  mask: () => undefined
}

function registryPod(
  over: Partial<PodState['containers'][number]> = {},
  pod: Partial<PodState> = {}
): PodState {
  return {
    name: 'cr-abc-123',
    phase: 'Running',
    containers: [
      {
        name: 'connected-registry',
        image: 'mcr.microsoft.com/acr/connected-registry:0.11.0',
        ready: true,
        restartCount: 0,
        ...over
      }
    ],
    ...pod
  }
}

describe('collectDiagnostics', () => {
  it('a healthy release: sections, no causes', async () => {
    const cluster = new FakeCluster()
    cluster.podList = [registryPod()]
    cluster.pvcList = [
      {
        name: 'connected-registry-pvc',
        phase: 'Bound',
        storageClass: 'local-path',
        requestedStorage: '500Gi'
      }
    ]
    cluster.logs.set('cr-abc-123', ['INFO started', 'INFO Online'])
    const d = await collectDiagnostics(cluster, { namespace: NS })
    expect(d.causes).toEqual([])
    expect(d.sections.map((s) => s.title)).toEqual([
      'Pods',
      'PVCs',
      'Warning events',
      'Log of cr-abc-123'
    ])
    expect(d.sections[0].lines).toEqual(['cr-abc-123  Running  ready 1/1  restarts 0'])
    expect(d.sections[1].lines).toEqual([
      'connected-registry-pvc  Bound  storage class local-path  500Gi'
    ])
  })

  it('a PVC asking for a storage class the cluster lacks', async () => {
    const cluster = new FakeCluster()
    cluster.podList = [
      registryPod(
        {},
        {
          phase: 'Pending',
          containers: [],
          conditionReason: 'Unschedulable',
          conditionMessage: 'pod has unbound immediate PersistentVolumeClaims'
        }
      )
    ]
    cluster.pvcList = [
      { name: 'connected-registry-pvc', phase: 'Pending', storageClass: 'premium-ssd' }
    ]
    const d = await collectDiagnostics(cluster, { namespace: NS })
    expect(d.causes).toEqual([
      {
        id: 'storage-class-missing',
        finding:
          "PVC connected-registry-pvc asks for storage class 'premium-ssd', which the cluster does not have (it has: local-path)",
        fix: FIX['storage-class-missing']
      }
    ])
  })

  it('a PVC without a class on a cluster without a default; a Pending PVC whose class exists', async () => {
    const cluster = new FakeCluster()
    cluster.classes = [{ name: 'fast', isDefault: false }]
    cluster.pvcList = [
      { name: 'a', phase: 'Pending' },
      { name: 'b', phase: 'Pending', storageClass: 'fast' }
    ]
    const d = await collectDiagnostics(cluster, { namespace: NS })
    expect(d.causes.map((c) => [c.id, c.finding])).toEqual([
      [
        'storage-class-missing',
        'PVC a names no storage class and the cluster has no default one (it has: fast)'
      ],
      ['pvc-pending', 'PVC b is Pending (storage class fast)']
    ])
  })

  it('a terminating namespace', async () => {
    const cluster = new FakeCluster()
    cluster.namespaces.set(NS, { name: NS, phase: 'Terminating' })
    const d = await collectDiagnostics(cluster, { namespace: NS })
    expect(d.causes.map((c) => c.id)).toEqual(['namespace-terminating'])
  })

  it('image pull failures and certificate errors', async () => {
    const cluster = new FakeCluster()
    cluster.podList = [
      {
        name: 'app',
        phase: 'Pending',
        containers: [
          {
            name: 'app',
            image: '10.0.0.50/hello:1',
            ready: false,
            restartCount: 0,
            waitingReason: 'ErrImagePull',
            waitingMessage: '401 Unauthorized: UNAUTHORIZED: incorrect password'
          }
        ]
      },
      {
        name: 'tls-app',
        phase: 'Pending',
        containers: [
          {
            name: 'app',
            image: '10.0.0.50/hello:1',
            ready: false,
            restartCount: 0,
            waitingReason: 'ErrImagePull',
            waitingMessage:
              'tls: failed to verify certificate: x509: certificate signed by unknown authority'
          }
        ]
      }
    ]
    const d = await collectDiagnostics(cluster, { namespace: NS })
    expect(d.causes.map((c) => c.id)).toEqual(['image-pull', 'image-pull', 'certificate'])
    expect(d.causes[0].finding).toBe(
      'pod app, container app: ErrImagePull: 401 Unauthorized: UNAUTHORIZED: incorrect password'
    )
  })

  it.each([
    ['UNAUTHORIZED', '2026-01-01T00:00:00Z ERROR UNAUTHORIZED: Incorrect Password', 'unauthorized'],
    [
      'ALREADY_ACTIVATED',
      '2026-01-01T00:00:00Z ERROR ALREADY_ACTIVATED: Failed to activate',
      'already-activated'
    ]
  ])(
    '%s in the pod log, named once however often the crash loop repeats it',
    async (_code, line, id) => {
      const cluster = new FakeCluster()
      cluster.podList = [
        registryPod({ ready: false, restartCount: 4, waitingReason: 'CrashLoopBackOff' })
      ]
      cluster.logs.set('cr-abc-123', [line, 'INFO exiting', line])
      const d = await collectDiagnostics(cluster, { namespace: NS })
      expect(d.causes.map((c) => c.id)).toEqual([id])
      expect(d.sections[0].lines[0]).toBe(
        'cr-abc-123  Running  ready 0/1  restarts 4  connected-registry: CrashLoopBackOff'
      )
    }
  )

  it('a log the API refuses and a part it cannot read still leave the rest', async () => {
    const cluster = new FakeCluster()
    cluster.podList = [registryPod()]
    cluster.logs.set('cr-abc-123', new Error('container is waiting to start'))
    cluster.warningEvents = async () => {
      throw new Error('events is forbidden')
    }
    const d = await collectDiagnostics(cluster, { namespace: NS })
    expect(d.sections.find((s) => s.title === 'Warning events')?.lines).toEqual([
      '(could not read: events is forbidden)'
    ])
    expect(d.sections.find((s) => s.title.startsWith('Log of'))?.lines).toEqual([
      '(no log from cr-abc-123: container is waiting to start)'
    ])
  })

  it('redacts every collected line and finding', async () => {
    const secret = 'Leak+Pass/word=0123456789abcdefghij'
    maskSecret(log, secret)
    const cluster = new FakeCluster()
    cluster.podList = [
      registryPod({
        ready: false,
        waitingReason: 'ErrImagePull',
        waitingMessage: `denied for ${secret}`
      })
    ]
    cluster.events = [
      {
        object: 'Pod/x',
        reason: 'Failed',
        message: `pull ${secret}`,
        count: 2,
        lastSeen: '2026-01-01T00:00:00Z'
      }
    ]
    cluster.logs.set('cr-abc-123', [`UNAUTHORIZED ${secret}`])
    const text = formatDiagnostics(await collectDiagnostics(cluster, { namespace: NS })).join('\n')
    expect(text).not.toContain(secret)
    expect(text).toContain('***')
    expect(text).toContain('Recognised causes:')
  })
})

// Real kubectl against the emulator's Kubernetes API: discovery, namespaces, secrets written the
// way the documented procedure writes them, the connected registry's pod, PVC, events and log,
// and pods that pull from the connected registry with good and bad pull secrets.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { startEmulator, type RunningEmulator } from '../../emulator/index.js'
import { sdkClients } from '../../__fixtures__/azure.js'
import {
  CLUSTER,
  CONNECTED_REGISTRY,
  OFFLINE_CLUSTER,
  PASSWORDS,
  RELEASE_NAMESPACE,
  RG,
  SERVICE_IP,
  deployedSeed,
  kubectl,
  podManifest,
  type Kubectl
} from './fixtures.js'

let emu: RunningEmulator
let k: Kubectl

beforeAll(async () => {
  emu = await startEmulator({ quiet: true, seed: deployedSeed() })
  k = kubectl(emu.kube.kubeconfigPath)
})
afterAll(async () => {
  await emu.stop()
})
beforeEach(() => {
  emu.admin.reset(deployedSeed())
})

interface Obj {
  kind: string
  metadata: {
    name: string
    namespace?: string
    resourceVersion: string
    uid: string
    creationTimestamp: string
  }
  [field: string]: unknown
}

async function pullSecret(
  namespace: string,
  username: string,
  password: string,
  name = 'regcred'
): Promise<string> {
  const r = await k([
    '-n',
    namespace,
    'create',
    'secret',
    'docker-registry',
    name,
    `--docker-server=${SERVICE_IP}`,
    `--docker-username=${username}`,
    `--docker-password=${password}`,
    '--dry-run=client',
    '-o',
    'yaml'
  ])
  expect(r.status).toBe(0)
  return r.stdout
}

describe('kubeconfig', () => {
  it('has a context per simulated cluster, the first Connected one current, trusting the CA', async () => {
    const config = await k.json<{
      contexts: { name: string }[]
      'current-context': string
      clusters: { cluster: { server: string; 'certificate-authority-data': string } }[]
    }>(['config', 'view', '--raw'])
    expect(config.contexts.map((c) => c.name)).toEqual([CLUSTER, OFFLINE_CLUSTER])
    expect(config['current-context']).toBe(CLUSTER)
    expect(config.clusters[0].cluster.server).toBe(`${emu.url}/_kube/${CLUSTER}`)
    expect(
      Buffer.from(config.clusters[0].cluster['certificate-authority-data'], 'base64').toString()
    ).toBe(emu.caPem)
  })

  it('an offline cluster answers ServiceUnavailable; a wrong token Unauthorized', async () => {
    const offline = await k(['--context', OFFLINE_CLUSTER, 'get', 'ns'])
    expect(offline.status).not.toBe(0)
    expect(offline.stderr).toMatch(/Error from server \(ServiceUnavailable\)/)
    const forged = await k(['--token', 'forged', 'get', 'ns'])
    expect(forged.stderr).toMatch(/Unauthorized|must be logged in/)
  })
})

describe('namespaces and secrets', () => {
  it('kubectl get ns lists the system namespaces and the release namespace', async () => {
    const r = await k(['get', 'ns'])
    expect(r.status).toBe(0)
    for (const ns of ['default', 'kube-system', RELEASE_NAMESPACE])
      expect(r.stdout).toMatch(new RegExp(`^${ns}\\s`, 'm'))
    const list = await k.json<{
      kind: string
      metadata: { resourceVersion: string }
      items: Obj[]
    }>(['get', 'ns'])
    expect(list.kind).toBe('List')
    expect(list.items.find((n) => n.metadata.name === RELEASE_NAMESPACE)?.status).toEqual({
      phase: 'Active'
    })
  })

  it('create secret docker-registry --dry-run=client -o yaml | kubectl apply -f - creates, then leaves it unchanged', async () => {
    const manifest = await pullSecret(RELEASE_NAMESPACE, 'pods', PASSWORDS.pods)
    const first = await k(['apply', '-f', '-'], manifest)
    expect(first.stderr).toBe('')
    expect(first.stdout).toBe('secret/regcred created\n')
    const created = await k.json<Obj & { type: string; data: Record<string, string> }>([
      '-n',
      RELEASE_NAMESPACE,
      'get',
      'secret',
      'regcred'
    ])
    expect(created.type).toBe('kubernetes.io/dockerconfigjson')
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/)
    expect(created.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    const doc = JSON.parse(Buffer.from(created.data['.dockerconfigjson'], 'base64').toString()) as {
      auths: Record<string, { username: string; password: string }>
    }
    expect(doc.auths[SERVICE_IP]).toMatchObject({ username: 'pods', password: PASSWORDS.pods })

    // kubectl sends a patch of creationTimestamp: null that changes nothing (as a real server).
    expect((await k(['apply', '-f', '-'], manifest)).status).toBe(0)
    const again = await k.json<Obj>(['-n', RELEASE_NAMESPACE, 'get', 'secret', 'regcred'])
    expect(again.metadata.resourceVersion).toBe(created.metadata.resourceVersion)
    expect(emu.kube.writes(CLUSTER).map((w) => [w.verb, w.changed])).toEqual([
      ['create', true],
      ['patch', false]
    ])

    // A new password: a strategic merge patch that changes the data.
    expect(
      (
        await k(
          ['apply', '-f', '-'],
          await pullSecret(RELEASE_NAMESPACE, 'pods', PASSWORDS.podsOld)
        )
      ).stdout
    ).toBe('secret/regcred configured\n')
    const changed = await k.json<Obj>(['-n', RELEASE_NAMESPACE, 'get', 'secret', 'regcred'])
    expect(Number(changed.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion)
    )
    expect(changed.metadata.uid).toBe(created.metadata.uid)
  })

  it('server-side apply, replace, delete and kind: Status errors', async () => {
    const secret = (value: string) =>
      `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ssa\n  namespace: default\nstringData:\n  key: ${value}\n`
    expect((await k(['apply', '--server-side', '-f', '-'], secret('one'))).stdout).toBe(
      'secret/ssa serverside-applied\n'
    )
    expect((await k(['apply', '--server-side', '-f', '-'], secret('two'))).status).toBe(0)
    const applied = await k.json<{ data: Record<string, string> }>(['get', 'secret', 'ssa'])
    expect(Buffer.from(applied.data.key, 'base64').toString()).toBe('two')
    expect((await k(['replace', '-f', '-'], secret('three'))).stdout).toBe('secret/ssa replaced\n')
    expect((await k(['create', '-f', '-'], secret('four'))).stderr).toBe(
      'Error from server (AlreadyExists): error when creating "STDIN": secrets "ssa" already exists\n'
    )
    expect((await k(['delete', 'secret', 'ssa'])).stdout).toBe('secret "ssa" deleted\n')
    expect((await k(['get', 'secret', 'ssa'])).stderr).toBe(
      'Error from server (NotFound): secrets "ssa" not found\n'
    )
    expect(
      (await k(['-n', 'missing', 'create', 'secret', 'generic', 'x', '--from-literal=a=b'])).stderr
      // kubectl 1.20 (Debian's) and 1.32 word the prefix differently; the server's text is the same.
    ).toMatch(/namespaces "missing" not found\n$/)
  })

  it('a namespace stuck terminating refuses new content with Forbidden', async () => {
    emu.admin.reset(
      deployedSeed({ kubernetes: { [CLUSTER]: { terminatingNamespaces: ['old-apps'] } } })
    )
    expect((await k(['get', 'ns', 'old-apps', '-o', 'jsonpath={.status.phase}'])).stdout).toBe(
      'Terminating'
    )
    const r = await k(['-n', 'old-apps', 'create', 'secret', 'generic', 'x', '--from-literal=a=b'])
    expect(r.stderr).toMatch(
      /forbidden: unable to create new content in namespace old-apps because it is being terminated/
    )
  })
})

describe('the connected registry on the cluster', () => {
  it('deleting the extension removes its release namespace, with the secrets in it', async () => {
    expect(
      (await k(['apply', '-f', '-'], await pullSecret(RELEASE_NAMESPACE, 'pods', PASSWORDS.pods)))
        .status
    ).toBe(0)
    const clients = sdkClients(emu)
    await clients.k8s.extensions.beginDeleteAndWait(
      RG,
      'Microsoft.Kubernetes',
      'connectedClusters',
      CLUSTER,
      'connected-registry',
      { updateIntervalInMs: 10 }
    )
    expect((await k(['get', 'ns', RELEASE_NAMESPACE])).stderr).toMatch(
      /namespaces "connected-registry" not found/
    )
  })

  it('its pod runs, its PVC is Bound, its log shows activation and sync', async () => {
    const pods = await k.json<{ items: Obj[] }>([
      '-n',
      RELEASE_NAMESPACE,
      'get',
      'pods',
      '-l',
      'app=connected-registry'
    ])
    expect(pods.items).toHaveLength(1)
    const pod = pods.items[0] as Obj & {
      status: { phase: string; containerStatuses: { ready: boolean; restartCount: number }[] }
    }
    expect(pod.status.phase).toBe('Running')
    expect(pod.status.containerStatuses[0]).toMatchObject({ ready: true, restartCount: 0 })
    const pvc = await k.json<{ spec: { storageClassName: string }; status: { phase: string } }>([
      '-n',
      RELEASE_NAMESPACE,
      'get',
      'pvc',
      'connected-registry-pvc'
    ])
    expect(pvc).toMatchObject({
      spec: { storageClassName: 'local-path' },
      status: { phase: 'Bound' }
    })
    const log = await k(['-n', RELEASE_NAMESPACE, 'logs', pod.metadata.name, '--tail', '20'])
    expect(log.status).toBe(0)
    expect(log.stdout).toMatch(/activated connected registry 'edgeregistry'/)
  })

  it('a storage class the cluster lacks: the PVC stays Pending, the pod unschedulable, a warning event says why', async () => {
    emu.admin.reset(deployedSeed({ settings: { 'pvc.storageClassName': 'premium-ssd' } }))
    const pvc = await k.json<{ spec: { storageClassName: string }; status: { phase: string } }>([
      '-n',
      RELEASE_NAMESPACE,
      'get',
      'pvc',
      'connected-registry-pvc'
    ])
    expect(pvc).toMatchObject({
      spec: { storageClassName: 'premium-ssd' },
      status: { phase: 'Pending' }
    })
    const pod = (
      await k.json<{
        items: { status: { phase: string; conditions: { reason?: string }[] } }[]
      }>(['-n', RELEASE_NAMESPACE, 'get', 'pods'])
    ).items[0]
    expect(pod.status.phase).toBe('Pending')
    expect(pod.status.conditions[0].reason).toBe('Unschedulable')
    const events = await k([
      '-n',
      RELEASE_NAMESPACE,
      'get',
      'events',
      '--field-selector',
      'type=Warning'
    ])
    expect(events.stdout).toMatch(/ProvisioningFailed/)
    expect(events.stdout).toMatch(/storageclass.storage.k8s.io "premium-ssd" not found/)
    // Azure sees the same: the pod never started, so the registry never activated.
    const cr = await sdkClients(emu).acr.connectedRegistries.get(
      RG,
      'contosoacr',
      CONNECTED_REGISTRY
    )
    expect(cr).toMatchObject({
      connectionState: 'Offline',
      activation: { status: 'Inactive' }
    })
  })

  it('a wrong sync password: CrashLoopBackOff with restarts and UNAUTHORIZED in the log', async () => {
    emu.admin.reset(
      deployedSeed({ syncPassword: 'Wrong+Pass/word=0123456789abcdefghijklmnopqrstuvwxy' })
    )
    const pod = (
      await k.json<{
        items: (Obj & {
          status: {
            containerStatuses: { restartCount: number; state: { waiting?: { reason: string } } }[]
          }
        })[]
      }>(['-n', RELEASE_NAMESPACE, 'get', 'pods'])
    ).items[0]
    expect(pod.status.containerStatuses[0].state.waiting?.reason).toBe('CrashLoopBackOff')
    expect(pod.status.containerStatuses[0].restartCount).toBeGreaterThan(0)
    expect((await k(['-n', RELEASE_NAMESPACE, 'logs', pod.metadata.name])).stdout).toMatch(
      /ERROR UNAUTHORIZED: Incorrect Password/
    )
  })

  it('an activation held elsewhere: ALREADY_ACTIVATED in the log', async () => {
    // An instance outside the emulator takes the activation from the running one.
    emu.admin.setConnectedRegistryActivation('contosoacr', 'edgeregistry', 'Active')
    const name = (
      await k(['-n', RELEASE_NAMESPACE, 'get', 'pods', '-o', 'jsonpath={.items[0].metadata.name}'])
    ).stdout
    expect((await k(['-n', RELEASE_NAMESPACE, 'logs', name])).stdout).toMatch(
      /ALREADY_ACTIVATED: Failed to activate the connected registry as it is already activated by another instance/
    )
  })
})

describe('pods pulling from the connected registry', () => {
  const image = `${SERVICE_IP}/hello:1.0`

  async function runPod(name: string, username: string, password: string, podImage = image) {
    await k(['create', 'ns', 'apps'])
    expect(
      (await k(['apply', '-f', '-'], await pullSecret('apps', username, password, `${name}-pull`)))
        .status
    ).toBe(0)
    expect(
      (await k(['apply', '-f', '-'], podManifest(name, 'apps', podImage, `${name}-pull`))).stdout
    ).toBe(`pod/${name} created\n`)
    return await k.json<{
      status: {
        phase: string
        containerStatuses: {
          state: { running?: unknown; waiting?: { reason: string; message: string } }
        }[]
      }
    }>(['-n', 'apps', 'get', 'pod', name])
  }

  it("the client token's current password and a scope map that allows the repository: Running", async () => {
    const pod = await runPod('good', 'pods', PASSWORDS.pods)
    expect(pod.status.phase).toBe('Running')
    expect(pod.status.containerStatuses[0].state.running).toBeDefined()
  })

  it.each([
    [
      'wrong',
      'pods',
      PASSWORDS.podsOld,
      image,
      /401 Unauthorized: UNAUTHORIZED: incorrect password for client token 'pods'/
    ],
    [
      'outsider',
      'outsider',
      PASSWORDS.outsider,
      image,
      /client token 'outsider' is not in the clientTokenIds of connected registry 'edgeregistry'/
    ],
    [
      'narrow',
      'narrow',
      PASSWORDS.narrow,
      image,
      /403 Forbidden: DENIED: .*scope map 'other-pull' of client token 'narrow' does not allow 'repositories\/hello\/content\/read'/
    ]
  ])(
    '%s credentials: ErrImagePull with the registry reason',
    async (name, username, password, podImage, reason) => {
      const pod = await runPod(name, username, password, podImage)
      expect(pod.status.phase).toBe('Pending')
      expect(pod.status.containerStatuses[0].state.waiting?.reason).toBe('ErrImagePull')
      expect(pod.status.containerStatuses[0].state.waiting?.message).toMatch(reason)
      const events = await k([
        '-n',
        'apps',
        'get',
        'events',
        '--field-selector',
        `involvedObject.name=${name},type=Warning`,
        '-o',
        'json'
      ])
      expect(events.stdout).toMatch(/Failed to pull image/)
      expect((await k(['-n', 'apps', 'logs', name])).stderr).toMatch(/is waiting to start/)
    }
  )
})

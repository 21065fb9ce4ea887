// Pods pull from the connected registry, end to end: the bundled action with real kubectl against
// the emulator's Kubernetes API (KUBECONFIG = the emulator's kubeconfig, kubectl's cache under the
// run's own RUNNER_TEMP). The client token, its scope map and password, the pull secrets in two
// namespaces, a pod that pulls with them; rotation; what the action says when a pod cannot pull;
// garbage collection converged like every other property.

import { describe, expect, it } from '@jest/globals'
import { kubectl, nodeAndKubectlPath, podManifest, type Kubectl } from '../kube/fixtures.js'
import {
  CLUSTER,
  protectedSettingsSent,
  REGISTRY,
  RESOURCE_GROUP,
  useScenario,
  writeOperations
} from '../../__fixtures__/scenario.js'
import type { ActionRun } from '../../__fixtures__/action-runner.js'

const s = useScenario(7)
const SECRET = 'connected-registry-pull'

interface PodView {
  status: {
    phase: string
    containerStatuses?: {
      state: { running?: unknown; waiting?: { reason: string; message: string } }
    }[]
  }
}

function clusterOf(): Kubectl {
  return kubectl(s.emu.kube.kubeconfigPath)
}

const PATH = nodeAndKubectlPath()

/** Runs the action with cluster access, as azure/k8s-set-context leaves it. */
const runWithCluster = (inputs: Record<string, string>) =>
  s.run(inputs, { env: { KUBECONFIG: s.emu.kube.kubeconfigPath, PATH } })

/** Deploy inputs of `name` with its managed client token and pull secrets in apps and web. */
const pullInputs = (name: string, extra: Record<string, string> = {}) =>
  s.inputsFor(name, {
    'client-token': `${name}-pods`,
    'pull-secret-namespaces': `${name}-apps, ${name}-web`,
    'revoke-old-password': 'true',
    ...extra
  })

async function ok(run: Promise<ActionRun>): Promise<ActionRun> {
  const result = await run
  if (result.exitCode !== 0) throw new Error(`the action failed:\n${result.log}`)
  return result
}

const deployWithCluster = (name: string, extra: Record<string, string> = {}) =>
  ok(runWithCluster(pullInputs(name, extra)))

async function secretDoc(k: Kubectl, namespace: string) {
  const secret = await k.json<{ type: string; data: Record<string, string> }>([
    '-n',
    namespace,
    'get',
    'secret',
    SECRET
  ])
  const doc = JSON.parse(Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString()) as {
    auths: Record<string, { username: string; password: string }>
  }
  return { type: secret.type, auths: doc.auths }
}

async function runPod(
  k: Kubectl,
  namespace: string,
  pod: string,
  image: string,
  pullSecret = SECRET
): Promise<PodView> {
  const applied = await k(['apply', '-f', '-'], podManifest(pod, namespace, image, pullSecret))
  if (applied.status !== 0) throw new Error(applied.stderr)
  return k.json<PodView>(['-n', namespace, 'get', 'pod', pod])
}

/** The log without the mask registrations (the runner shows those as ***). */
const printed = (run: ActionRun): string =>
  run.log
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')

const waiting = (pod: PodView) => pod.status.containerStatuses?.[0]?.state.waiting

/** Writes to the cluster that changed something. */
const clusterWrites = () => s.emu.kube.writes(CLUSTER).filter((w) => w.changed)

describe('pods pull from the connected registry', () => {
  it('deploys the client token and pull secrets in two namespaces; a pod pulls; a re-run writes nothing; teardown removes them', async () => {
    const name = 'podpull01'
    const k = clusterOf()
    for (const ns of [`${name}-apps`, `${name}-web`])
      expect((await k(['create', 'ns', ns])).status).toBe(0)

    const first = await deployWithCluster(name)
    expect(first.outputs['client-token-username']).toBe(`${name}-pods`)
    expect(first.outputs['client-token-password']).toBeUndefined()
    const ip = s.serviceIpOf(name)
    for (const ns of [`${name}-apps`, `${name}-web`]) {
      const doc = await secretDoc(k, ns)
      expect(doc.type).toBe('kubernetes.io/dockerconfigjson')
      expect(Object.keys(doc.auths)).toEqual([ip])
      expect(doc.auths[ip].username).toBe(`${name}-pods`)
      // Registered for masking, and never printed otherwise.
      expect(first.log).toContain(`::add-mask::${doc.auths[ip].password}`)
      expect(printed(first)).not.toContain(doc.auths[ip].password)
    }
    const scopeMap = await s.clients.acr.scopeMaps.get(
      RESOURCE_GROUP,
      REGISTRY,
      `${name}-pods-scope-map`
    )
    expect([...(scopeMap.actions ?? [])].sort()).toEqual([
      'repositories/app/web/content/read',
      'repositories/app/web/metadata/read',
      'repositories/hello-world/content/read',
      'repositories/hello-world/metadata/read'
    ])
    const cr = await s.clients.acr.connectedRegistries.get(RESOURCE_GROUP, REGISTRY, name)
    expect(cr.clientTokenIds).toEqual([s.tokenId(`${name}-pods`)])

    const pod = await runPod(k, `${name}-apps`, 'hello', `${ip}/hello-world:latest`)
    expect(waiting(pod)).toBeUndefined()
    expect(pod.status.phase).toBe('Running')

    s.admin.clearJournal()
    const clusterBefore = clusterWrites().length
    const second = await deployWithCluster(name)
    expect(second.outputs.changed).toBe('false')
    expect(writeOperations(s.admin.journal())).toEqual([])
    expect(clusterWrites()).toHaveLength(clusterBefore)

    await ok(runWithCluster({ ...pullInputs(name), operation: 'teardown' }))
    for (const ns of [`${name}-apps`, `${name}-web`])
      expect((await k(['-n', ns, 'get', 'secret', SECRET])).status).not.toBe(0)
    await expect(
      s.clients.acr.tokens.get(RESOURCE_GROUP, REGISTRY, `${name}-pods`)
    ).rejects.toMatchObject({ statusCode: 404 })
    await expect(
      s.clients.acr.scopeMaps.get(RESOURCE_GROUP, REGISTRY, `${name}-pods-scope-map`)
    ).rejects.toMatchObject({ statusCode: 404 })
  })
})

describe('rotation of the client token', () => {
  it('pods keep pulling with the new secret; the revoked password fails a pull', async () => {
    const name = 'podpull02'
    const k = clusterOf()
    for (const ns of [`${name}-apps`, `${name}-web`])
      expect((await k(['create', 'ns', ns])).status).toBe(0)
    await deployWithCluster(name)
    const ip = s.serviceIpOf(name)
    const image = `${ip}/hello-world:latest`
    const old = (await secretDoc(k, `${name}-apps`)).auths[ip].password
    expect((await runPod(k, `${name}-apps`, 'before', image)).status.phase).toBe('Running')
    const syncSent = protectedSettingsSent(s.emu, name).length

    s.admin.clearJournal()
    const rotated = await ok(
      runWithCluster(
        pullInputs(name, { operation: 'rotate-credentials', 'rotate-only': 'client-token' })
      )
    )
    // A new password, then the old one revoked; the sync token's is left alone.
    expect(writeOperations(s.admin.journal())).toEqual([
      'Registries_GenerateCredentials',
      'Registries_GenerateCredentials'
    ])
    expect(protectedSettingsSent(s.emu, name)).toHaveLength(syncSent)
    expect(rotated.log).toContain("The client token's old password (password1) no longer works")
    for (const ns of [`${name}-apps`, `${name}-web`]) {
      const doc = await secretDoc(k, ns)
      expect(doc.auths[ip].password).not.toBe(old)
      expect(printed(rotated)).not.toContain(doc.auths[ip].password)
    }
    expect((await runPod(k, `${name}-apps`, 'after', image)).status.phase).toBe('Running')
    expect((await runPod(k, `${name}-web`, 'after', image)).status.phase).toBe('Running')

    // The revoked password, in a secret of its own: the registry refuses it.
    const manifest = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'stale', namespace: `${name}-apps` },
      type: 'kubernetes.io/dockerconfigjson',
      data: {
        '.dockerconfigjson': Buffer.from(
          JSON.stringify({ auths: { [ip]: { username: `${name}-pods`, password: old } } })
        ).toString('base64')
      }
    })
    expect((await k(['apply', '-f', '-'], manifest)).status).toBe(0)
    const refused = await runPod(k, `${name}-apps`, 'revoked', image, 'stale')
    expect(waiting(refused)?.reason).toBe('ErrImagePull')
    expect(waiting(refused)?.message).toMatch(
      /incorrect password for client token 'podpull02-pods'/
    )
  })
})

describe('a pod that cannot pull: the action names the cause, and a deploy repairs it', () => {
  const name = 'podpull03'
  const ns = `${name}-apps`
  let k: Kubectl
  let ip: string

  const planRun = async (): Promise<ActionRun> =>
    ok(runWithCluster(pullInputs(name, { operation: 'plan', 'pull-secret-namespaces': ns })))

  it.each([
    [
      'a client token missing from clientTokenIds',
      async () => {
        await s.clients.acr.connectedRegistries.beginUpdateAndWait(RESOURCE_GROUP, REGISTRY, name, {
          clientTokenIds: []
        })
      },
      "UNAUTHORIZED: client token 'podpull03-pods' is not in the clientTokenIds of connected registry 'podpull03'"
    ],
    [
      'a scope map without the repository',
      async () => {
        await s.clients.acr.scopeMaps.beginUpdateAndWait(
          RESOURCE_GROUP,
          REGISTRY,
          `${name}-pods-scope-map`,
          { actions: ['repositories/app/web/content/read'] }
        )
      },
      "DENIED: requested access to the resource is denied: scope map 'podpull03-pods-scope-map' of client token 'podpull03-pods' does not allow 'repositories/hello-world/content/read'"
    ],
    [
      'a wrong password in the secret',
      async () => {
        const manifest = JSON.stringify({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: SECRET, namespace: ns },
          type: 'kubernetes.io/dockerconfigjson',
          data: {
            '.dockerconfigjson': Buffer.from(
              JSON.stringify({ auths: { [ip]: { username: `${name}-pods`, password: 'not-it' } } })
            ).toString('base64')
          }
        })
        expect((await k(['apply', '-f', '-'], manifest)).status).toBe(0)
      },
      "UNAUTHORIZED: incorrect password for client token 'podpull03-pods'"
    ]
  ])('%s', async (_, breakIt, reason) => {
    if (!k) {
      k = clusterOf()
      expect((await k(['create', 'ns', ns])).status).toBe(0)
      await ok(runWithCluster(pullInputs(name, { 'pull-secret-namespaces': ns })))
      ip = s.serviceIpOf(name)
    }
    await breakIt()
    const pod = `pod-${Math.random().toString(36).slice(2, 8)}`
    const failed = await runPod(k, ns, pod, `${ip}/hello-world:latest`)
    expect(waiting(failed)?.reason).toBe('ErrImagePull')
    expect(waiting(failed)?.message).toContain(reason)

    const plan = await planRun()
    expect(printed(plan)).toContain(
      `Pods cannot pull from the connected registry: pod ${ns}/${pod}, container app: ErrImagePull:`
    )
    expect(printed(plan)).toContain(reason)
    expect(printed(plan)).toContain(
      "Check that the pull secret's server is the connected registry's service IP"
    )

    // The kubelet retries: once the deploy has converged, the same pod pulls.
    await ok(runWithCluster(pullInputs(name, { 'pull-secret-namespaces': ns })))
    const repaired = await k.json<PodView>(['-n', ns, 'get', 'pod', pod])
    expect(waiting(repaired)).toBeUndefined()
    expect(repaired.status.phase).toBe('Running')
  })
})

describe('garbage collection', () => {
  it('set, changed, and left alone when the inputs leave it out', async () => {
    const name = 'gcollect01'
    const gcOf = async () =>
      (await s.clients.acr.connectedRegistries.get(RESOURCE_GROUP, REGISTRY, name))
        .garbageCollection

    const set = await s.deploy(name, {
      'garbage-collection': 'true',
      'garbage-collection-schedule': '0 5 * * *'
    })
    expect(set.stdout).toContain('garbageCollection.schedule: 0 5 * * *')
    expect(await gcOf()).toEqual({ enabled: true, schedule: '0 5 * * *' })

    s.admin.clearJournal()
    const changed = await s.deploy(name, {
      'garbage-collection': 'true',
      'garbage-collection-schedule': '30 2 * * 0'
    })
    expect(changed.stdout).toContain('garbageCollection.schedule: 0 5 * * * → 30 2 * * 0')
    expect(writeOperations(s.admin.journal())).toEqual(['ConnectedRegistries_Update'])
    expect(await gcOf()).toEqual({ enabled: true, schedule: '30 2 * * 0' })

    s.admin.clearJournal()
    const alone = await s.deploy(name)
    expect(alone.outputs.changed).toBe('false')
    expect(writeOperations(s.admin.journal())).toEqual([])
    expect(await gcOf()).toEqual({ enabled: true, schedule: '30 2 * * 0' })

    const off = await s.deploy(name, { 'garbage-collection': 'false' })
    expect(off.stdout).toContain('garbageCollection.enabled: true → false')
    expect(await gcOf()).toEqual({ enabled: false, schedule: '30 2 * * 0' })
  })
})

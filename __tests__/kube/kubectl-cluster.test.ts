// The action's cluster side against the emulator with real kubectl: the pull-secret reconciler
// writes a secret pods can pull with (and nothing on a re-run), and the diagnostics collector
// names the causes the simulated cluster shows. Secrets never reach kubectl's argv.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { startEmulator, type RunningEmulator } from '../../emulator/index.js'
import { collectDiagnostics, formatDiagnostics } from '../../src/kube/diagnostics.js'
import { KubectlCluster, type Runner } from '../../src/kube/kubectl.js'
import {
  dockerConfigJson,
  reconcilePullSecrets,
  removePullSecrets
} from '../../src/kube/pull-secret.js'
import { secretForms } from '../../src/secrets.js'
import { getExecOutput } from '@actions/exec'
import type { Log } from '../../src/ports.js'
import {
  CLUSTER,
  PASSWORDS,
  RELEASE_NAMESPACE,
  SERVICE_IP,
  deployedSeed,
  kubectl,
  podManifest,
  type Kubectl
} from './fixtures.js'

let emu: RunningEmulator
let k: Kubectl
const argvSeen: string[][] = []
const inputs: string[] = []
const log: Log = {
  info: () => undefined,
  warning: () => undefined,
  debug: () => undefined,
  group: async (_n, fn) => fn(),
  mask: () => undefined
}

/** The real runner (@actions/exec), recording argv and stdin to prove where secrets travel. */
const recordingRunner: Runner = async (binary, args, input) => {
  argvSeen.push(args)
  if (input !== undefined) inputs.push(input)
  return getExecOutput(binary, args, {
    silent: true,
    ignoreReturnCode: true,
    env: { PATH: process.env.PATH ?? '', HOME: k.dir, KUBECACHEDIR: `${k.dir}/cache` },
    ...(input !== undefined ? { input: Buffer.from(input) } : {})
  })
}

function cluster(): KubectlCluster {
  return new KubectlCluster(
    { kubeconfig: emu.kube.kubeconfigPath, context: CLUSTER },
    recordingRunner
  )
}

beforeAll(async () => {
  emu = await startEmulator({ quiet: true, seed: deployedSeed() })
  k = kubectl(emu.kube.kubeconfigPath)
})
afterAll(async () => {
  await emu.stop()
})
beforeEach(() => {
  emu.admin.reset(deployedSeed())
  argvSeen.length = 0
  inputs.length = 0
})

describe('pull secrets through kubectl', () => {
  it('creates the secret in two namespaces, a pod pulls with it, a re-run writes nothing', async () => {
    await k(['create', 'ns', 'apps'])
    const spec = {
      name: 'connected-registry-pull',
      namespaces: ['default', 'apps'],
      server: SERVICE_IP,
      username: 'pods',
      password: PASSWORDS.pods
    }
    expect((await reconcilePullSecrets(cluster(), spec, log)).map((o) => o.action)).toEqual([
      'created',
      'created'
    ])
    const argv = argvSeen.flat().join(' ')
    for (const form of secretForms(PASSWORDS.pods)) expect(argv).not.toContain(form)
    expect(inputs.join('')).toContain(
      Buffer.from(dockerConfigJson(SERVICE_IP, 'pods', PASSWORDS.pods)).toString('base64')
    )

    await k(
      ['apply', '-f', '-'],
      podManifest('web', 'apps', `${SERVICE_IP}/hello:1.0`, 'connected-registry-pull')
    )
    expect(
      (await k(['-n', 'apps', 'get', 'pod', 'web', '-o', 'jsonpath={.status.phase}'])).stdout
    ).toBe('Running')

    const writes = emu.kube.writes(CLUSTER).length
    expect((await reconcilePullSecrets(cluster(), spec, log)).map((o) => o.action)).toEqual([
      'unchanged',
      'unchanged'
    ])
    expect(emu.kube.writes(CLUSTER)).toHaveLength(writes)

    // Teardown through the default runner (@actions/exec as the action runs it).
    const plain = new KubectlCluster({
      kubeconfig: emu.kube.kubeconfigPath,
      cacheDir: `${k.dir}/cache`
    })
    expect(await removePullSecrets(plain, spec.name, spec.namespaces)).toEqual([
      { namespace: 'default', deleted: true },
      { namespace: 'apps', deleted: true }
    ])
    expect((await k(['-n', 'apps', 'get', 'secret', spec.name])).stderr).toMatch(/NotFound/)
  })

  it('a namespace that does not exist fails before any write', async () => {
    const spec = {
      name: 'p',
      namespaces: ['default', 'nowhere'],
      server: SERVICE_IP,
      username: 'pods',
      password: PASSWORDS.pods
    }
    await expect(reconcilePullSecrets(cluster(), spec, log)).rejects.toThrow(
      /namespace 'nowhere' does not exist/
    )
    expect(emu.kube.writes(CLUSTER)).toEqual([])
  })
})

describe('diagnostics through kubectl', () => {
  it('a storage class the cluster lacks: the PVC, its class and the fix', async () => {
    emu.admin.reset(deployedSeed({ settings: { 'pvc.storageClassName': 'premium-ssd' } }))
    const d = await collectDiagnostics(cluster(), { namespace: RELEASE_NAMESPACE })
    expect(d.causes.map((c) => c.id)).toEqual(['storage-class-missing'])
    const text = formatDiagnostics(d).join('\n')
    expect(text).toMatch(/connected-registry-pvc {2}Pending {2}storage class premium-ssd {2}500Gi/)
    expect(text).toMatch(/ProvisioningFailed: storageclass.storage.k8s.io "premium-ssd" not found/)
    expect(text).toMatch(/Unschedulable/)
  })

  it('a wrong sync password: UNAUTHORIZED from the pod log, with the restarts', async () => {
    emu.admin.reset(
      deployedSeed({ syncPassword: 'Wrong+Pass/word=0123456789abcdefghijklmnopqrstuvwxy' })
    )
    const d = await collectDiagnostics(cluster(), { namespace: RELEASE_NAMESPACE, logLines: 5 })
    expect(d.causes.map((c) => c.id)).toEqual(['unauthorized'])
    expect(d.sections[0].lines[0]).toMatch(
      /Running {2}ready 0\/1 {2}restarts [1-9]\d* {2}connected-registry: CrashLoopBackOff/
    )
    expect(d.sections.find((s) => s.title.startsWith('Log of'))?.lines.length).toBeLessThanOrEqual(
      5
    )
  })

  it('an activation taken by another instance: ALREADY_ACTIVATED', async () => {
    emu.admin.setConnectedRegistryActivation('contosoacr', 'edgeregistry', 'Active')
    const d = await collectDiagnostics(cluster(), { namespace: RELEASE_NAMESPACE })
    expect(d.causes.map((c) => c.id)).toEqual(['already-activated'])
  })

  it('a pod pulling with a revoked password: image-pull with the registry reason', async () => {
    await k(['create', 'ns', 'apps'])
    const spec = {
      name: 'old',
      namespaces: ['apps'],
      server: SERVICE_IP,
      username: 'pods',
      password: PASSWORDS.podsOld
    }
    await reconcilePullSecrets(cluster(), spec, log)
    await k(['apply', '-f', '-'], podManifest('web', 'apps', `${SERVICE_IP}/hello:1.0`, 'old'))
    const d = await collectDiagnostics(cluster(), { namespace: 'apps' })
    expect(d.causes.map((c) => c.id)).toEqual(['image-pull'])
    expect(d.causes[0].finding).toMatch(
      /pod web, container app: ErrImagePull: .*incorrect password for client token 'pods'/
    )
  })
})

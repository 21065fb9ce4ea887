// A world that starts deployed: connected registry `edgeregistry` runs on edge-cluster-01 behind
// the service IP 10.0.0.50, with client tokens for pods, and helpers to drive real kubectl
// against the emulator's Kubernetes API hermetically (own kubeconfig and cache dir).
import { execFileSync, spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { gatewayActions } from '../../emulator/cluster-sim.js'
import { DEFAULT_SEED_PATH, loadSeedFile, type Seed } from '../../emulator/index.js'
import { DEFAULT_NODE, nodeOnlyDir } from '../../__fixtures__/action-runner.js'

export const RG = 'edge-rg'
export const CLUSTER = 'edge-cluster-01'
export const OFFLINE_CLUSTER = 'edge-cluster-offline'
export const SERVICE_IP = '10.0.0.50'
export const RELEASE_NAMESPACE = 'connected-registry'
export const CONNECTED_REGISTRY = 'edgeregistry'
/** Passwords are fake, known to the seed, and only valid against the emulator. */
export const PASSWORDS = {
  sync: 'Sync+Pass/word=0123456789abcdefghijklmnopqrstuvwxyzAB',
  pods: 'Pods+Pass/word=0123456789abcdefghijklmnopqrstuvwxyzAB',
  podsOld: 'Pods+Old/word=0123456789abcdefghijklmnopqrstuvwxyzAB',
  outsider: 'Outs+Pass/word=0123456789abcdefghijklmnopqrstuvwxyzA',
  narrow: 'Narr+Pass/word=0123456789abcdefghijklmnopqrstuvwxyzA'
}

export function connectionString(password = PASSWORDS.sync): string {
  return `ConnectedRegistryName=${CONNECTED_REGISTRY};SyncTokenName=${CONNECTED_REGISTRY}-sync-token;SyncTokenPassword=${password};ParentGatewayEndpoint=contosoacr.eastus.data.azurecr.io;ParentEndpointProtocol=https`
}

export interface DeployedOptions {
  /** Configuration settings of the extension on top of the defaults. */
  settings?: Record<string, string>
  syncPassword?: string
  kubernetes?: Seed['kubernetes']
}

export function deployedSeed(options: DeployedOptions = {}): Seed {
  const base = loadSeedFile(DEFAULT_SEED_PATH)
  const registry = 'contosoacr'
  return {
    ...base,
    registries: (base.registries ?? []).map((r) =>
      r.name === registry ? { ...r, dataEndpointEnabled: true } : r
    ),
    scopeMaps: [
      {
        registry,
        name: `${CONNECTED_REGISTRY}-sync-scope-map`,
        actions: [
          ...gatewayActions(CONNECTED_REGISTRY),
          'repositories/hello/content/read',
          'repositories/hello/metadata/read'
        ]
      },
      {
        registry,
        name: 'pods-pull',
        actions: ['repositories/hello/content/read', 'repositories/hello/metadata/read']
      },
      { registry, name: 'other-pull', actions: ['repositories/other/content/read'] }
    ],
    tokens: [
      {
        registry,
        name: `${CONNECTED_REGISTRY}-sync-token`,
        scopeMap: `${CONNECTED_REGISTRY}-sync-scope-map`,
        passwords: { password1: PASSWORDS.sync }
      },
      { registry, name: 'pods', scopeMap: 'pods-pull', passwords: { password1: PASSWORDS.pods } },
      {
        registry,
        name: 'outsider',
        scopeMap: 'pods-pull',
        passwords: { password1: PASSWORDS.outsider }
      },
      {
        registry,
        name: 'narrow',
        scopeMap: 'other-pull',
        passwords: { password1: PASSWORDS.narrow }
      }
    ],
    connectedRegistries: [
      {
        registry,
        name: CONNECTED_REGISTRY,
        mode: 'ReadOnly',
        syncToken: `${CONNECTED_REGISTRY}-sync-token`,
        clientTokens: ['pods', 'narrow']
      }
    ],
    extensions: [
      {
        cluster: CLUSTER,
        name: 'connected-registry',
        extensionType: 'Microsoft.ContainerRegistry.ConnectedRegistry',
        configurationSettings: {
          'service.clusterIP': SERVICE_IP,
          'cert-manager.enabled': 'true',
          ...(options.settings ?? {})
        },
        configurationProtectedSettings: { connectionString: connectionString(options.syncPassword) }
      }
    ],
    ...(options.kubernetes ? { kubernetes: options.kubernetes } : {})
  }
}

export interface KubectlResult {
  status: number
  stdout: string
  stderr: string
}

export interface Kubectl {
  (args: string[], input?: string): Promise<KubectlResult>
  json<T = Record<string, unknown>>(args: string[]): Promise<T>
  dir: string
}

/**
 * kubectl with the emulator's kubeconfig and a cache dir of its own, nothing from ~/.kube.
 * Asynchronous: the emulator answers from this same process.
 */
export function kubectl(kubeconfig: string): Kubectl {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubectl-test-'))
  const cache = path.join(dir, 'cache')
  const run = ((args: string[], input?: string) =>
    new Promise<KubectlResult>((resolve, reject) => {
      const child = spawn('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', cache, ...args], {
        env: { PATH: process.env.PATH ?? '', HOME: dir, KUBECACHEDIR: cache }
      })
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
      child.on('error', (e) =>
        reject(
          new Error(`kubectl could not run (.ci/run installs kubernetes-client): ${e.message}`)
        )
      )
      child.on('close', (code) => resolve({ status: code ?? -1, stdout, stderr }))
      child.stdin.end(input ?? '')
    })) as Kubectl
  run.json = async <T>(args: string[]): Promise<T> => {
    const r = await run([...args, '-o', 'json'])
    if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`)
    return JSON.parse(r.stdout) as T
  }
  run.dir = dir
  return run
}

/** A pod that pulls `image` with the given pull secret, as a manifest for `kubectl apply -f -`. */
export function podManifest(
  name: string,
  namespace: string,
  image: string,
  pullSecret?: string
): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: {
      containers: [{ name: 'app', image }],
      ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret }] } : {})
    }
  })
}

/** A PATH of node and kubectl only, for a bundle run: kubectl as on GitHub's runners, and
 * nothing else beside node (no az). */
export function nodeAndKubectlPath(): string {
  const kubectlBinary = execFileSync('sh', ['-c', 'command -v kubectl']).toString().trim()
  const dir = path.join(os.tmpdir(), 'cr-action-kubectl')
  fs.mkdirSync(dir, { recursive: true })
  try {
    fs.symlinkSync(kubectlBinary, path.join(dir, 'kubectl'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  return `${nodeOnlyDir(DEFAULT_NODE)}:${dir}`
}

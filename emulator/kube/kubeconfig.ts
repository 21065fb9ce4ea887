// The kubeconfig `az connectedk8s proxy` or azure/k8s-set-context would leave: one context per
// simulated cluster, named after it, trusting the emulator's CA, with a bearer token.
import fs from 'node:fs'
import { stringify } from 'yaml'
import type { ConnectedCluster } from '../world.js'

export function kubeconfigYaml(
  clusters: ConnectedCluster[],
  serverUrl: (cluster: string) => string,
  caPem: string,
  token: string
): string {
  const ca = Buffer.from(caPem, 'utf8').toString('base64')
  const current = clusters.find((c) => c.connectivityStatus === 'Connected') ?? clusters[0]
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: clusters.map((c) => ({
      name: c.name,
      cluster: { server: serverUrl(c.name), 'certificate-authority-data': ca }
    })),
    users: [{ name: 'emulator-user', user: { token } }],
    contexts: clusters.map((c) => ({
      name: c.name,
      context: { cluster: c.name, user: 'emulator-user' }
    })),
    'current-context': current?.name ?? '',
    preferences: {}
  })
}

export function writeKubeconfig(path: string, yaml: string): void {
  fs.writeFileSync(path, yaml, { mode: 0o600 })
}

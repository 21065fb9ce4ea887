// An in-memory KubernetesCluster: what the reconciler and the collector see, and every write.
import type {
  KubernetesCluster,
  NamespaceState,
  PodState,
  PvcState,
  SecretObject,
  StorageClassState,
  WarningEvent
} from '../../src/kube/port.js'

export class FakeCluster implements KubernetesCluster {
  namespaces = new Map<string, NamespaceState>()
  secrets = new Map<string, SecretObject>()
  podList: PodState[] = []
  pvcList: PvcState[] = []
  classes: StorageClassState[] = [{ name: 'local-path', isDefault: true }]
  events: WarningEvent[] = []
  logs = new Map<string, string[] | Error>()
  writes: string[] = []

  constructor(namespaces: string[] = ['default', 'connected-registry']) {
    for (const name of namespaces) this.namespaces.set(name, { name, phase: 'Active' })
  }

  async namespace(name: string) {
    return this.namespaces.get(name)
  }
  async secret(namespace: string, name: string) {
    const s = this.secrets.get(`${namespace}/${name}`)
    return s ? structuredClone(s) : undefined
  }
  async applySecret(secret: SecretObject) {
    this.writes.push(`apply ${secret.namespace}/${secret.name}`)
    this.secrets.set(`${secret.namespace}/${secret.name}`, structuredClone(secret))
  }
  async deleteSecret(namespace: string, name: string) {
    this.writes.push(`delete ${namespace}/${name}`)
    return this.secrets.delete(`${namespace}/${name}`)
  }
  async pods() {
    return this.podList
  }
  async persistentVolumeClaims() {
    return this.pvcList
  }
  async storageClasses() {
    return this.classes
  }
  async warningEvents() {
    return this.events
  }
  async podLog(_namespace: string, pod: string, tailLines: number) {
    const log = this.logs.get(pod) ?? []
    if (log instanceof Error) throw log
    return log.slice(-tailLines)
  }
}

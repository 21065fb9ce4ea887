// What a seed says about the Kubernetes side of each simulated cluster.
//
//   kubernetes:
//     edge-cluster-01:
//       storageClasses: [local-path]      # default: [local-path] (k3s)
//       defaultStorageClass: local-path   # null: no default class
//       terminatingNamespaces: [old-ns]   # stuck in Terminating (a finalizer that never ends)
//       namespaces: [apps]                # exist from the start

export interface KubeClusterSeed {
  storageClasses?: string[]
  defaultStorageClass?: string | null
  terminatingNamespaces?: string[]
  namespaces?: string[]
}

/** Per cluster name (case-insensitive). */
export type KubeSeed = Record<string, KubeClusterSeed>

export interface ClusterKubeSettings {
  storageClasses: string[]
  defaultStorageClass: string | null
  terminatingNamespaces: string[]
  namespaces: string[]
}

const K3S_STORAGE_CLASS = 'local-path'

export function clusterSettings(seed: KubeSeed | undefined, cluster: string): ClusterKubeSettings {
  const entry =
    Object.entries(seed ?? {}).find(
      ([name]) => name.toLowerCase() === cluster.toLowerCase()
    )?.[1] ?? {}
  const storageClasses = entry.storageClasses ?? [K3S_STORAGE_CLASS]
  return {
    storageClasses,
    defaultStorageClass:
      entry.defaultStorageClass === undefined
        ? (storageClasses[0] ?? null)
        : entry.defaultStorageClass,
    terminatingNamespaces: entry.terminatingNamespaces ?? [],
    namespaces: entry.namespaces ?? []
  }
}

/**
 * The storage class the connected registry's PersistentVolumeClaim asks for (its
 * `pvc.storageClassName` setting, else the cluster's default) and whether the cluster binds it.
 * An unbound claim keeps the registry's pod Pending (unschedulable): it never starts.
 */
export function registryClaim(
  configurationSettings: Record<string, string>,
  kube: ClusterKubeSettings
): { storageClass?: string; bound: boolean } {
  const requested = configurationSettings['pvc.storageClassName']?.trim() || undefined
  const storageClass = requested ?? kube.defaultStorageClass ?? undefined
  return {
    storageClass,
    bound: storageClass !== undefined && kube.storageClasses.includes(storageClass)
  }
}

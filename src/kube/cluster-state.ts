// What the cluster has for the action, read-only: the pull-secret namespaces and the secrets in
// them (their values masked as soon as they are read), and the pods there that cannot pull from
// the connected registry, with the registry's reason.
import type { Log } from '../ports.js'
import type { Settings } from '../settings.js'
import { FIX, TEXT } from './messages.js'
import type { KubernetesCluster, SecretObject } from './port.js'
import { maskExisting } from './pull-secret.js'

export interface ObservedPullSecret {
  namespace: string
  /** Active | Terminating; undefined when the namespace does not exist. */
  namespacePhase?: string
  secret?: SecretObject
}

export interface ObservedCluster {
  pullSecrets: ObservedPullSecret[]
  /** One line per container that cannot pull from the service IP, naming the cause. */
  pullFailures: string[]
}

const IMAGE_PULL = new Set(['ErrImagePull', 'ImagePullBackOff'])

/** Whether an image is pulled from this host (the connected registry's service IP). */
const pulledFrom = (image: string, host: string): boolean =>
  image.toLowerCase().startsWith(`${host.toLowerCase()}/`) ||
  image.toLowerCase().startsWith(`${host.toLowerCase()}:`)

export async function observeCluster(
  kube: KubernetesCluster,
  settings: Settings,
  log: Log
): Promise<ObservedCluster> {
  const namespaces = settings.kube?.pullSecretNamespaces ?? []
  const name = settings.kube?.pullSecretName ?? ''
  const host = settings.extension.serviceClusterIp
  const pullSecrets: ObservedPullSecret[] = []
  const pullFailures: string[] = []
  for (const namespace of namespaces) {
    const state = await kube.namespace(namespace)
    const secret = state ? await kube.secret(namespace, name) : undefined
    if (secret) maskExisting(log, secret)
    pullSecrets.push({ namespace, namespacePhase: state?.phase, ...(secret ? { secret } : {}) })
    if (!state || !host) continue
    for (const pod of await kube.pods(namespace))
      for (const container of pod.containers)
        if (
          container.waitingReason &&
          IMAGE_PULL.has(container.waitingReason) &&
          pulledFrom(container.image, host)
        )
          pullFailures.push(
            TEXT.imagePull(
              `${namespace}/${pod.name}`,
              container.name,
              container.waitingReason,
              container.waitingMessage ?? ''
            )
          )
  }
  return { pullSecrets, pullFailures }
}

/** The warning a run shows for pods that cannot pull: what the cluster says, and the fix. */
export const pullFailureWarning = (failures: string[]): string =>
  `Pods cannot pull from the connected registry: ${failures.join('; ')}. ${FIX['image-pull']}`

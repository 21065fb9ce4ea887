// The cluster's Kubernetes API as the action sees it: a small port, so the pull-secret
// reconciler and the diagnostics collector run against kubectl in a job and a fake in tests.

export const DOCKER_CONFIG_JSON = 'kubernetes.io/dockerconfigjson'

export interface SecretObject {
  namespace: string
  name: string
  type: string
  labels: Record<string, string>
  /** Values decoded from base64. Secret: mask before anything could print them. */
  data: Record<string, string>
}

export interface NamespaceState {
  name: string
  /** Active | Terminating */
  phase: string
}

export interface ContainerState {
  name: string
  image: string
  ready: boolean
  restartCount: number
  /** CrashLoopBackOff, ErrImagePull, ImagePullBackOff, ContainerCreating, … */
  waitingReason?: string
  waitingMessage?: string
  lastTerminationReason?: string
}

export interface PodState {
  name: string
  phase: string
  containers: ContainerState[]
  /** Reason of an unmet condition, e.g. Unschedulable, with its message. */
  conditionReason?: string
  conditionMessage?: string
}

export interface PvcState {
  name: string
  phase: string
  /** Undefined: no class named and the cluster has no default. */
  storageClass?: string
  requestedStorage?: string
}

export interface StorageClassState {
  name: string
  isDefault: boolean
}

export interface WarningEvent {
  /** Kind/name of the object, e.g. `Pod/connected-registry-…`. */
  object: string
  reason: string
  message: string
  count: number
  lastSeen: string
}

export interface KubernetesCluster {
  /** What the API answers for the namespace, or undefined when it does not exist. */
  namespace(name: string): Promise<NamespaceState | undefined>
  secret(namespace: string, name: string): Promise<SecretObject | undefined>
  /** Creates or updates the secret (server-side apply); the values travel on standard input. */
  applySecret(secret: SecretObject): Promise<void>
  /** Deletes the secret; false when it did not exist. */
  deleteSecret(namespace: string, name: string): Promise<boolean>
  pods(namespace: string): Promise<PodState[]>
  persistentVolumeClaims(namespace: string): Promise<PvcState[]>
  storageClasses(): Promise<StorageClassState[]>
  warningEvents(namespace: string): Promise<WarningEvent[]>
  /** The container's last lines; throws when the API refuses (e.g. the container never started). */
  podLog(namespace: string, pod: string, tailLines: number): Promise<string[]>
}

/** kubectl (or the API behind it) failed: what was asked and what it said, already redacted. */
export class KubernetesError extends Error {
  constructor(
    readonly command: string,
    readonly detail: string,
    readonly notFound = false
  ) {
    super(`kubectl ${command} failed: ${detail}`)
  }
}

// The typed settings every input is parsed into, once, before any request.
// Nothing after parsing reads a raw input string.

export const OPERATIONS = ['deploy', 'plan', 'rotate-credentials', 'teardown'] as const
export type Operation = (typeof OPERATIONS)[number]

export const MODES = ['ReadOnly', 'ReadWrite'] as const
export type ConnectedRegistryMode = (typeof MODES)[number]

export const LOG_LEVELS = ['Debug', 'Information', 'Warning', 'Error', 'None'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export const TLS_STRATEGIES = [
  'cert-manager',
  'existing-cert-manager',
  'byoc',
  'kubernetes-secret',
  'none'
] as const

export const ENVIRONMENTS = ['AzureCloud', 'AzureUSGovernment', 'AzureChinaCloud'] as const
export type CloudEnvironment = (typeof ENVIRONMENTS)[number]

export const PASSWORD_SLOTS = ['password1', 'password2'] as const
export type PasswordSlot = (typeof PASSWORD_SLOTS)[number]

/** PEM text of a certificate (chain) or key, already decoded from base64 when the input was
 * base64, with LF line endings; certificates are re-encoded canonically, so equal certificates
 * give equal text. */
export type Pem = string

export type TlsSettings =
  | { strategy: 'cert-manager' }
  | { strategy: 'existing-cert-manager' }
  | {
      strategy: 'byoc'
      certificatePem: Pem
      privateKeyPem: Pem
      /** CA that signed the certificate; the certificate itself when it is self-signed. */
      caCertificatePem: Pem
      /** SHA-256 of the DER certificate, hex: identifies the material without revealing the key. */
      certificateFingerprint: string
      /** SHA-256 of the DER CA certificate (the first one when several), hex. */
      caCertificateFingerprint: string
      notAfter: Date
    }
  | { strategy: 'kubernetes-secret'; secretName: string }
  | { strategy: 'none' }

export interface TargetSettings {
  subscriptionId: string
  resourceGroup: string
  registry: string
  connectedRegistry: string
  cluster: string
  clusterResourceGroup: string
  extensionName: string
}

export interface ConnectedRegistrySettings {
  mode: ConnectedRegistryMode
  /** Empty when not given; required only when the connected registry must be created. */
  repositories: string[]
  /** Name of a parent connected registry; undefined for a top-level registry. */
  parent?: string
  /** Protocol the instance uses to reach a connected-registry parent (always https for the cloud). */
  parentProtocol: 'https' | 'http'
  /** Parent gateway endpoint to use when Azure reports none (nested registries only). */
  parentGatewayEndpoint?: string
  syncSchedule: string
  /** ISO 8601 duration, e.g. PT3H; undefined = continuous sync. */
  syncWindow?: string
  /** ISO 8601 duration, e.g. P2D. */
  messageTtl: string
  logLevel: LogLevel
  /** Client token names (not IDs) managed elsewhere: they must exist. */
  clientTokens: string[]
  notifications: string[]
  /** The client token the action manages for pods, when input 'client-token' names one. */
  clientToken?: ClientTokenSettings
  /** Undefined fields are left as Azure has them. */
  garbageCollection: { enabled?: boolean; schedule?: string }
  auditLogStatus?: 'Enabled' | 'Disabled'
}

export interface ClientTokenSettings {
  name: string
  /** Repositories it may read; empty: the connected registry's own. */
  repositories: string[]
  /** content/write and metadata/write too (ReadWrite mode only). */
  push: boolean
  /** Put its password in an output (masked) when the run generates one. */
  outputPassword: boolean
}

/** The cluster's Kubernetes API (pull secrets, diagnostics), when the job gives access. */
export interface KubeSettings {
  /** Path of a kubeconfig (input 'kubeconfig'); undefined: KUBECONFIG, if the job set one. */
  kubeconfig?: string
  pullSecretName: string
  pullSecretNamespaces: string[]
}

export interface ExtensionSettings {
  /** Required for deploy, plan and rotate-credentials; '' for a teardown that did not give it. */
  serviceClusterIp: string
  tls: TlsSettings
  trustDistribution: boolean
  storageClass?: string
  storageSize?: string
  version?: string
  autoUpgradeMinorVersion: boolean
  releaseTrain: string
  /** Extra chart settings passed through unchanged (`key=value` lines). */
  extraConfig: Record<string, string>
  releaseNamespace: string
}

export interface BehaviourSettings {
  operation: Operation
  timeoutMs: number
  pollIntervalMs: number
  /** deploy/rotate: rotate the sync-token password even when nothing else needs it. */
  rotate: boolean
  /** rotate: regenerate the old slot once the registry is Online on the new one, so the old password stops working. */
  revokeOldPassword: boolean
  /** teardown: delete the extension with forceDelete. */
  forceDelete: boolean
  /** plan: fail the step when the plan has changes. */
  failOnChanges: boolean
  /** Put the connection string in an output (masked); off unless asked for. */
  outputConnectionString: boolean
  /** Which credentials a rotation renews: both when undefined. */
  rotateOnly?: 'sync-token' | 'client-token'
}

export interface CloudSettings {
  environment: CloudEnvironment
  armEndpoint: string
  authorityHost: string
  /** True when arm-endpoint/authority-host were given (custom cloud or the emulator). */
  customEndpoints: boolean
  /** DNS suffix of container registries in this cloud (azurecr.io, azurecr.us, azurecr.cn). */
  registryDomain: string
  /** Federated sign-in with the workflow's OIDC token when set (with tenantId). */
  clientId?: string
  tenantId?: string
  audience: string
}

export interface Settings {
  target: TargetSettings
  connectedRegistry: ConnectedRegistrySettings
  extension: ExtensionSettings
  behaviour: BehaviourSettings
  cloud: CloudSettings
  /** Absent in settings made before the cluster steps existed: the same as no access. */
  kube?: KubeSettings
}

// Which of the action's inputs a sites file may set per site, and which belong to the step.
// Every input of action.yml is in exactly one group (a test checks it against action.yml and
// the published schema), so a new input cannot slip into the file without a decision.

import { INPUT, type InputName } from '../inputs/parse-settings.js'
import { SECRET_INPUTS } from '../secrets.js'

/** Inputs a site (or the file's `defaults:`) may set: each site's own target and settings. */
export const PER_SITE_INPUTS = [
  INPUT.resourceGroup,
  INPUT.registry,
  INPUT.connectedRegistry,
  INPUT.cluster,
  INPUT.clusterResourceGroup,
  INPUT.extensionName,
  INPUT.mode,
  INPUT.repositories,
  INPUT.parent,
  INPUT.parentProtocol,
  INPUT.parentGatewayEndpoint,
  INPUT.syncSchedule,
  INPUT.syncWindow,
  INPUT.messageTtl,
  INPUT.logLevel,
  INPUT.clientTokens,
  INPUT.clientToken,
  INPUT.clientTokenRepositories,
  INPUT.clientTokenPush,
  INPUT.garbageCollection,
  INPUT.garbageCollectionSchedule,
  INPUT.auditLog,
  INPUT.pullSecretName,
  INPUT.pullSecretNamespaces,
  INPUT.notifications,
  INPUT.serviceClusterIp,
  INPUT.tls,
  INPUT.tlsSecret,
  INPUT.trustDistribution,
  INPUT.storageClass,
  INPUT.storageSize,
  INPUT.extensionVersion,
  INPUT.autoUpgradeMinorVersion,
  INPUT.releaseTrain,
  INPUT.extensionConfig,
  INPUT.releaseNamespace,
  INPUT.rotate,
  INPUT.revokeOldPassword,
  INPUT.rotateOnly,
  INPUT.forceDelete
] as const satisfies readonly InputName[]

export type PerSiteInput = (typeof PER_SITE_INPUTS)[number]

/** Inputs every site of one step shares: one operation, one deadline, one sign-in and one set of
 * SDK clients (bound to one subscription) for the whole run. */
export const STEP_INPUTS = [
  INPUT.subscriptionId,
  INPUT.operation,
  INPUT.timeout,
  INPUT.pollInterval,
  INPUT.failOnChanges,
  INPUT.outputConnectionString,
  INPUT.outputClientTokenPassword,
  INPUT.kubeconfig,
  INPUT.environment,
  INPUT.armEndpoint,
  INPUT.authorityHost,
  INPUT.clientId,
  INPUT.tenantId,
  INPUT.audience
] as const satisfies readonly InputName[]

/** Key material never lives in a file in the repository: it comes from step inputs (secrets). */
export const FILE_FORBIDDEN_SECRET_INPUTS: readonly InputName[] = SECRET_INPUTS

/** Inputs every site must set itself: a default would give every site the same one. */
export const SITE_IDENTITY_INPUTS = [INPUT.connectedRegistry, INPUT.cluster] as const

/** The fleet's own step inputs (sites.ts, select.ts, rollout.ts). */
export const FLEET_INPUT = {
  sites: 'sites',
  select: 'select',
  shard: 'shard',
  rollout: 'rollout',
  canarySites: 'canary-sites',
  maxParallel: 'max-parallel',
  failureBudget: 'failure-budget'
} as const

/** Inputs written as a list: a sites file may give them as a YAML sequence. */
export const LIST_INPUTS: readonly PerSiteInput[] = [
  INPUT.repositories,
  INPUT.clientTokens,
  INPUT.clientTokenRepositories,
  INPUT.pullSecretNamespaces,
  INPUT.notifications
]

/** Inputs written as key=value lines: a sites file may give them as a YAML mapping. */
export const MAP_INPUTS: readonly PerSiteInput[] = [INPUT.extensionConfig]

export const isPerSiteInput = (name: string): name is PerSiteInput =>
  (PER_SITE_INPUTS as readonly string[]).includes(name)

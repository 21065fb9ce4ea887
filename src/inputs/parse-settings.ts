// Every input → typed Settings, once, before any request. All inputs are checked, and every
// invalid one is reported (one message per input), so a single run shows all there is to fix.

import {
  ENVIRONMENTS,
  LOG_LEVELS,
  MODES,
  OPERATIONS,
  TLS_STRATEGIES,
  type BehaviourSettings,
  type ClientTokenSettings,
  type CloudEnvironment,
  type CloudSettings,
  type ConnectedRegistrySettings,
  type ExtensionSettings,
  type KubeSettings,
  type Operation,
  type Settings,
  type TargetSettings,
  type TlsSettings
} from '../settings.js'
import { managedSettingInstead } from '../domain/extension-settings.js'
import { InputError, InputErrors, inputErrors } from './errors.js'
import type { InputReader } from './input-reader.js'
import {
  checkText,
  CONTINUOUS_SYNC_SCHEDULE,
  formatDuration,
  MAX_CLIENT_TOKENS,
  MAX_REPOSITORIES,
  MAX_REPOSITORY_NAME,
  NAME_RULES,
  type NameRule,
  parseBoolean,
  parseCron,
  parseDuration,
  parseEnum,
  parseGuid,
  parseHostPort,
  parseHttpsUrl,
  parseIp,
  parseIsoDuration,
  parseKeyValueLines,
  parseList,
  parseName,
  parseNames,
  parseNotifications,
  parseRepositories,
  parseStorageSize,
  parseVersion,
  type TextShape
} from './parsers.js'
import { parseByocMaterial } from './tls-material.js'

/** The action's inputs, as named in action.yml. */
export const INPUT = {
  subscriptionId: 'subscription-id',
  resourceGroup: 'resource-group',
  registry: 'registry',
  connectedRegistry: 'connected-registry',
  cluster: 'cluster',
  clusterResourceGroup: 'cluster-resource-group',
  extensionName: 'extension-name',
  mode: 'mode',
  repositories: 'repositories',
  parent: 'parent',
  parentProtocol: 'parent-protocol',
  parentGatewayEndpoint: 'parent-gateway-endpoint',
  syncSchedule: 'sync-schedule',
  syncWindow: 'sync-window',
  messageTtl: 'message-ttl',
  logLevel: 'log-level',
  clientTokens: 'client-tokens',
  clientToken: 'client-token',
  clientTokenRepositories: 'client-token-repositories',
  clientTokenPush: 'client-token-push',
  outputClientTokenPassword: 'output-client-token-password',
  garbageCollection: 'garbage-collection',
  garbageCollectionSchedule: 'garbage-collection-schedule',
  auditLog: 'audit-log',
  kubeconfig: 'kubeconfig',
  pullSecretName: 'pull-secret-name',
  pullSecretNamespaces: 'pull-secret-namespaces',
  rotateOnly: 'rotate-only',
  notifications: 'notifications',
  serviceClusterIp: 'service-cluster-ip',
  tls: 'tls',
  tlsCert: 'tls-cert',
  tlsKey: 'tls-key',
  tlsCaCert: 'tls-ca-cert',
  tlsSecret: 'tls-secret',
  trustDistribution: 'trust-distribution',
  storageClass: 'storage-class',
  storageSize: 'storage-size',
  extensionVersion: 'extension-version',
  autoUpgradeMinorVersion: 'auto-upgrade-minor-version',
  releaseTrain: 'release-train',
  extensionConfig: 'extension-config',
  releaseNamespace: 'release-namespace',
  operation: 'operation',
  timeout: 'timeout',
  pollInterval: 'poll-interval',
  rotate: 'rotate',
  revokeOldPassword: 'revoke-old-password',
  forceDelete: 'force-delete',
  failOnChanges: 'fail-on-changes',
  outputConnectionString: 'output-connection-string',
  environment: 'environment',
  armEndpoint: 'arm-endpoint',
  authorityHost: 'authority-host',
  clientId: 'client-id',
  tenantId: 'tenant-id',
  audience: 'audience'
} as const

export type InputName = (typeof INPUT)[keyof typeof INPUT]

/**
 * Fixed defaults, the same as in action.yml (a test keeps them equal). Defaults that depend on
 * other inputs (cluster-resource-group, extension-name, audience, subscription-id) are derived
 * in the parser and have none in action.yml.
 */
export const INPUT_DEFAULTS = {
  mode: 'ReadOnly',
  'parent-protocol': 'https',
  'sync-schedule': CONTINUOUS_SYNC_SCHEDULE,
  'message-ttl': 'P2D',
  'log-level': 'Information',
  tls: 'cert-manager',
  'trust-distribution': 'true',
  'auto-upgrade-minor-version': 'true',
  'release-train': 'Stable',
  'release-namespace': 'connected-registry',
  operation: 'deploy',
  timeout: '15m',
  'poll-interval': '10s',
  rotate: 'false',
  'revoke-old-password': 'false',
  'force-delete': 'false',
  'fail-on-changes': 'false',
  'output-connection-string': 'false',
  'client-token-push': 'false',
  'output-client-token-password': 'false',
  'pull-secret-name': 'connected-registry-pull',
  environment: 'AzureCloud'
} as const satisfies Partial<Record<InputName, string>>

/** ARM endpoint, authority host and OIDC audience of each named cloud. */
export const CLOUDS: Record<
  CloudEnvironment,
  { armEndpoint: string; authorityHost: string; audience: string; registryDomain: string }
> = {
  AzureCloud: {
    armEndpoint: 'https://management.azure.com',
    authorityHost: 'https://login.microsoftonline.com',
    audience: 'api://AzureADTokenExchange',
    registryDomain: 'azurecr.io'
  },
  AzureUSGovernment: {
    armEndpoint: 'https://management.usgovcloudapi.net',
    authorityHost: 'https://login.microsoftonline.us',
    audience: 'api://AzureADTokenExchangeUSGov',
    registryDomain: 'azurecr.us'
  },
  AzureChinaCloud: {
    armEndpoint: 'https://management.chinacloudapi.cn',
    authorityHost: 'https://login.chinacloudapi.cn',
    audience: 'api://AzureADTokenExchangeChina',
    registryDomain: 'azurecr.cn'
  }
}

/** One line of at most this many characters, unless INPUT_SHAPES says otherwise: more than any
 * name, URL or setting needs, little enough that nothing huge reaches Azure or the log. */
const ONE_LINE: TextShape = { maxLength: 1024 }
/** PEM certificates (a chain, or base64 of it); keys are smaller. Our bounds. */
const CERTIFICATE_TEXT: TextShape = { maxLength: 65_536, lines: true }

/** Inputs that are lists or PEM text, and their bounds. */
const INPUT_SHAPES: Partial<Record<InputName, TextShape>> = {
  // A name and its separator, for as many names as Azure allows.
  repositories: { maxLength: MAX_REPOSITORIES * (MAX_REPOSITORY_NAME + 2), lines: true },
  'client-tokens': { maxLength: MAX_CLIENT_TOKENS * 52, lines: true },
  'client-token-repositories': {
    maxLength: MAX_REPOSITORIES * (MAX_REPOSITORY_NAME + 2),
    lines: true
  },
  'pull-secret-namespaces': { maxLength: 100 * 65, lines: true },
  notifications: { maxLength: 16_384, lines: true },
  'extension-config': { maxLength: 32_768, lines: true },
  'tls-cert': CERTIFICATE_TEXT,
  'tls-ca-cert': CERTIFICATE_TEXT,
  'tls-key': { maxLength: 32_768, lines: true }
}

const TIMEOUT_RANGE = { minMs: 10_000, maxMs: 6 * 3_600_000 }
const POLL_INTERVAL_RANGE = { minMs: 1_000, maxMs: 10 * 60_000 }
// A custom endpoint (a private cloud, or the local emulator) may be polled faster than Azure's
// throttling limits would allow.
const CUSTOM_ENDPOINT_POLL_INTERVAL_RANGE = { minMs: 100, maxMs: 10 * 60_000 }
const MESSAGE_TTL_RANGE = { min: 'P1D', max: 'P90D', example: 'P2D' }
const SYNC_WINDOW_RANGE = { min: 'PT1H', max: 'P7D', example: 'PT3H' }

/** Operations that deploy (or preview deploying) the extension, and so need its settings. */
const DEPLOYING: readonly Operation[] = ['deploy', 'plan', 'rotate-credentials']

/**
 * Collects errors instead of stopping at the first: each parse returns a fallback on failure so
 * the others still run. The fallbacks never escape: parseSettings throws when any error exists.
 */
class Problems {
  readonly errors: InputError[] = []
  readonly warnings: string[] = []
  private readonly failed = new Set<string>()

  /** The parsed value, or the fallback after recording the InputError the parse threw. */
  check<T>(fallback: T, parse: () => T): T {
    try {
      return parse()
    } catch (error) {
      if (!(error instanceof InputError)) throw error
      this.report(error)
      return fallback
    }
  }

  /** Records an error; only the first one per input, as later ones usually follow from it. */
  report(error: InputError): void {
    if (this.failed.has(error.input)) return
    this.failed.add(error.input)
    this.errors.push(error)
  }

  /** True when none of these inputs has failed: cross-input checks only run on valid values. */
  valid(...inputs: string[]): boolean {
    return inputs.every((input) => !this.failed.has(input))
  }

  warn(message: string): void {
    this.warnings.push(message)
  }
}

interface Context {
  read(name: InputName): string
  problems: Problems
}

/** A required input: reports it missing, or parses it. */
function required<T>(
  ctx: Context,
  name: InputName,
  fallback: T,
  allowed: string,
  parse: (value: string) => T
): T {
  const value = ctx.read(name)
  return ctx.problems.check(fallback, () => {
    if (value === '') throw inputErrors.required(name, allowed)
    return parse(value)
  })
}

/** An optional input: undefined when empty. */
function optional<T>(ctx: Context, name: InputName, parse: (value: string) => T): T | undefined {
  const value = ctx.read(name)
  return value === '' ? undefined : ctx.problems.check(undefined, () => parse(value))
}

/** An input with a default: the default when empty, parsed like a given value. */
function withDefault<T>(
  ctx: Context,
  name: keyof typeof INPUT_DEFAULTS,
  parse: (value: string) => T
): T {
  const value = ctx.read(name) || INPUT_DEFAULTS[name]
  // The default is valid, so it is also a safe fallback.
  return ctx.problems.check(parse(INPUT_DEFAULTS[name]), () => parse(value))
}

const enumInput = <T extends string>(
  ctx: Context,
  name: keyof typeof INPUT_DEFAULTS,
  allowed: readonly T[]
): T => withDefault(ctx, name, (value) => parseEnum(name, value, allowed))

const booleanInput = (ctx: Context, name: keyof typeof INPUT_DEFAULTS): boolean =>
  withDefault(ctx, name, (value) => parseBoolean(name, value))

function parseTarget(ctx: Context, env: NodeJS.ProcessEnv): TargetSettings {
  const name = (input: InputName, rule: NameRule): string =>
    required(ctx, input, '', rule.allowed, (value) => parseName(input, value, rule))

  const fromInput = ctx.read(INPUT.subscriptionId)
  const fromEnvironment = (env.AZURE_SUBSCRIPTION_ID ?? '').trim()
  const subscriptionId = ctx.problems.check('', () => {
    if (fromInput) return parseGuid(INPUT.subscriptionId, fromInput)
    if (!fromEnvironment) {
      throw inputErrors.required(
        INPUT.subscriptionId,
        'expected the subscription GUID, as this input or in the environment variable AZURE_SUBSCRIPTION_ID'
      )
    }
    try {
      return parseGuid(INPUT.subscriptionId, fromEnvironment)
    } catch {
      throw inputErrors.invalidValue(
        INPUT.subscriptionId,
        fromEnvironment,
        'expected a GUID such as 00000000-0000-0000-0000-000000000000',
        'taken from AZURE_SUBSCRIPTION_ID'
      )
    }
  })

  const resourceGroup = name(INPUT.resourceGroup, NAME_RULES.resourceGroup)
  const registry = name(INPUT.registry, NAME_RULES.registry)
  const connectedRegistry = name(INPUT.connectedRegistry, NAME_RULES.connectedRegistry)
  const cluster = name(INPUT.cluster, NAME_RULES.cluster)
  const clusterResourceGroup =
    optional(ctx, INPUT.clusterResourceGroup, (value) =>
      parseName(INPUT.clusterResourceGroup, value, NAME_RULES.resourceGroup)
    ) ?? resourceGroup
  // Arc extension names are lower case; connected registry names may not be.
  const extensionName =
    optional(ctx, INPUT.extensionName, (value) =>
      parseName(INPUT.extensionName, value, NAME_RULES.extension)
    ) ?? connectedRegistry.toLowerCase()

  if (/[A-Z]/.test(connectedRegistry)) {
    ctx.problems.warn(
      `Connected registry name '${connectedRegistry}' has upper-case letters. Lower case is recommended: sync-token gateway actions use the lower-cased name, and runtimes before 0.7.0 failed to activate mixed-case names.`
    )
  }
  return {
    subscriptionId,
    resourceGroup,
    registry,
    connectedRegistry,
    cluster,
    clusterResourceGroup,
    extensionName
  }
}

function parseConnectedRegistry(
  ctx: Context,
  connectedRegistryName: string
): ConnectedRegistrySettings {
  const { problems } = ctx
  const mode = enumInput(ctx, INPUT.mode, MODES)
  const repositories =
    optional(ctx, INPUT.repositories, (value) => parseRepositories(INPUT.repositories, value)) ?? []

  const parent = optional(ctx, INPUT.parent, (value) => {
    const name = parseName(INPUT.parent, value, NAME_RULES.connectedRegistry)
    if (name.toLowerCase() === connectedRegistryName.toLowerCase()) {
      throw inputErrors.invalid(
        INPUT.parent,
        `names the connected registry itself ('${name}')`,
        'expected the name of another connected registry (its parent), or nothing when the cloud registry is the parent'
      )
    }
    return name
  })
  // Whether a ReadWrite child sits under a ReadOnly parent needs Azure data: the plan checks it.

  const parentProtocol = enumInput(ctx, INPUT.parentProtocol, ['https', 'http'] as const)
  const parentGatewayEndpoint = optional(ctx, INPUT.parentGatewayEndpoint, (value) =>
    parseHostPort(INPUT.parentGatewayEndpoint, value)
  )
  if (!parent && problems.valid(INPUT.parent)) {
    if (parentProtocol === 'http') {
      problems.warn(
        "Input 'parent-protocol' is ignored without 'parent': the cloud registry is always reached over https."
      )
    }
    if (parentGatewayEndpoint) {
      problems.warn(
        "Input 'parent-gateway-endpoint' is ignored without 'parent': the cloud registry's data endpoint is used."
      )
    }
  }

  const syncSchedule = withDefault(ctx, INPUT.syncSchedule, (value) =>
    parseCron(INPUT.syncSchedule, value)
  )
  const syncWindow = optional(ctx, INPUT.syncWindow, (value) =>
    parseIsoDuration(INPUT.syncWindow, value, SYNC_WINDOW_RANGE)
  )
  // The CLI documents sync-window as required with a schedule but does not enforce it, and the
  // service accepts its absence: warn rather than fail.
  if (
    syncSchedule !== CONTINUOUS_SYNC_SCHEDULE &&
    !syncWindow &&
    problems.valid(INPUT.syncSchedule, INPUT.syncWindow)
  ) {
    problems.warn(
      `Input 'sync-schedule' is '${syncSchedule}' but 'sync-window' is not set: set how long each sync may run (ISO 8601, ${SYNC_WINDOW_RANGE.min} to ${SYNC_WINDOW_RANGE.max}, such as PT3H), as the Azure CLI documents it as required with a schedule.`
    )
  }
  const messageTtl = withDefault(ctx, INPUT.messageTtl, (value) =>
    parseIsoDuration(INPUT.messageTtl, value, MESSAGE_TTL_RANGE)
  )
  const logLevel = enumInput(ctx, INPUT.logLevel, LOG_LEVELS)
  const clientTokens =
    optional(ctx, INPUT.clientTokens, (value) =>
      parseNames(INPUT.clientTokens, value, NAME_RULES.token, MAX_CLIENT_TOKENS)
    ) ?? []
  const notifications =
    optional(ctx, INPUT.notifications, (value) => parseNotifications(INPUT.notifications, value)) ??
    []
  const clientToken = parseClientToken(ctx, mode, clientTokens)
  const gcEnabled = optional(ctx, INPUT.garbageCollection, (value) =>
    parseBoolean(INPUT.garbageCollection, value)
  )
  const gcSchedule = optional(ctx, INPUT.garbageCollectionSchedule, (value) =>
    parseCron(INPUT.garbageCollectionSchedule, value)
  )
  const auditLogStatus = optional(ctx, INPUT.auditLog, (value) =>
    parseEnum(INPUT.auditLog, value, ['Enabled', 'Disabled'] as const)
  )

  return {
    mode,
    repositories,
    ...(parent ? { parent } : {}),
    parentProtocol,
    ...(parentGatewayEndpoint ? { parentGatewayEndpoint } : {}),
    syncSchedule,
    ...(syncWindow ? { syncWindow } : {}),
    messageTtl,
    logLevel,
    clientTokens,
    notifications,
    ...(clientToken ? { clientToken } : {}),
    garbageCollection: {
      ...(gcEnabled !== undefined ? { enabled: gcEnabled } : {}),
      ...(gcSchedule ? { schedule: gcSchedule } : {})
    },
    ...(auditLogStatus ? { auditLogStatus } : {})
  }
}

/** The client token the action manages (input 'client-token'), with what it may do. */
function parseClientToken(
  ctx: Context,
  mode: ConnectedRegistrySettings['mode'],
  clientTokens: string[]
): ClientTokenSettings | undefined {
  const name = optional(ctx, INPUT.clientToken, (value) =>
    parseName(INPUT.clientToken, value, NAME_RULES.token)
  )
  const repositories =
    optional(ctx, INPUT.clientTokenRepositories, (value) =>
      parseRepositories(INPUT.clientTokenRepositories, value)
    ) ?? []
  const push = booleanInput(ctx, INPUT.clientTokenPush)
  const outputPassword = booleanInput(ctx, INPUT.outputClientTokenPassword)
  if (!name) {
    if (ctx.read(INPUT.clientTokenRepositories))
      ctx.problems.report(
        inputErrors.required(
          INPUT.clientToken,
          'expected the name of the client token the action manages',
          "with 'client-token-repositories'"
        )
      )
    return undefined
  }
  if (clientTokens.some((token) => token.toLowerCase() === name.toLowerCase())) {
    ctx.problems.report(
      inputErrors.invalid(
        INPUT.clientToken,
        `names '${name}', which 'client-tokens' lists too`,
        "expected a token the action manages in 'client-token', and tokens managed elsewhere in 'client-tokens'"
      )
    )
  }
  if (push && mode !== 'ReadWrite') {
    ctx.problems.report(
      inputErrors.invalid(
        INPUT.clientTokenPush,
        `is true but 'mode' is ${mode}`,
        'expected client-token-push: true only with mode: ReadWrite (a ReadOnly connected registry accepts no pushes)'
      )
    )
  }
  return { name, repositories, push, outputPassword }
}

/** Namespaces are DNS labels; secret names may be longer, but a label is what most clusters use. */
const KUBERNETES_NAME: NameRule = {
  pattern: /^(?=.{1,63}$)[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/,
  allowed:
    "expected 1 to 63 lower-case letters, digits or '-', starting and ending with a letter or digit"
}

/** Cluster access and the pull secret's name and namespaces. */
function parseKube(ctx: Context): KubeSettings {
  const kubeconfig = optional(ctx, INPUT.kubeconfig, (value) => value.trim())
  const pullSecretName = withDefault(ctx, INPUT.pullSecretName, (value) =>
    parseName(INPUT.pullSecretName, value, NAME_RULES.kubernetesSecret)
  )
  const pullSecretNamespaces =
    optional(ctx, INPUT.pullSecretNamespaces, (value) =>
      parseList(value).map((namespace) =>
        parseName(INPUT.pullSecretNamespaces, namespace, KUBERNETES_NAME)
      )
    ) ?? []
  return { ...(kubeconfig ? { kubeconfig } : {}), pullSecretName, pullSecretNamespaces }
}

/** The TLS inputs each strategy uses; any other TLS input given is a mistake. */
const TLS_INPUTS_BY_STRATEGY: Record<TlsSettings['strategy'], readonly InputName[]> = {
  'cert-manager': [],
  'existing-cert-manager': [],
  byoc: [INPUT.tlsCert, INPUT.tlsKey, INPUT.tlsCaCert],
  'kubernetes-secret': [INPUT.tlsSecret],
  none: []
}

function parseTls(
  ctx: Context,
  operation: Operation,
  serviceClusterIp: string,
  now: Date
): TlsSettings {
  const { problems } = ctx
  const strategy = enumInput(ctx, INPUT.tls, TLS_STRATEGIES)
  if (!problems.valid(INPUT.tls)) return { strategy: 'cert-manager' }

  for (const input of [INPUT.tlsCert, INPUT.tlsKey, INPUT.tlsCaCert, INPUT.tlsSecret]) {
    if (ctx.read(input) && !TLS_INPUTS_BY_STRATEGY[strategy].includes(input)) {
      const user = input === INPUT.tlsSecret ? 'kubernetes-secret' : 'byoc'
      problems.report(
        inputErrors.notUsedWith(
          input,
          `tls '${strategy}'`,
          `remove '${input}', or set 'tls' to ${user}, the strategy that uses it`
        )
      )
    }
  }

  switch (strategy) {
    case 'byoc': {
      const certificate = ctx.read(INPUT.tlsCert)
      const privateKey = ctx.read(INPUT.tlsKey)
      const missing = ([INPUT.tlsCert, INPUT.tlsKey] as const).filter((input) => !ctx.read(input))
      for (const input of missing) {
        problems.report(
          inputErrors.required(
            input,
            input === INPUT.tlsCert
              ? 'expected the server certificate as PEM or base64 of PEM'
              : 'expected the private key of the certificate as PEM or base64 of PEM (from a secret)',
            "with tls 'byoc'"
          )
        )
      }
      const fallback: TlsSettings = { strategy: 'cert-manager' }
      if (missing.length > 0) return fallback
      const material = problems.check(undefined, () =>
        parseByocMaterial(
          { certificate, privateKey, caCertificate: ctx.read(INPUT.tlsCaCert) },
          { serviceClusterIp, now, checkTime: operation !== 'teardown' }
        )
      )
      material?.warnings.forEach((warning) => problems.warn(warning))
      return material?.tls ?? fallback
    }
    case 'kubernetes-secret': {
      const secretName = problems.check('', () => {
        const value = ctx.read(INPUT.tlsSecret)
        if (!value) {
          throw inputErrors.required(
            INPUT.tlsSecret,
            `${NAME_RULES.kubernetesSecret.allowed}, of a kubernetes.io/tls secret in the release namespace`,
            "with tls 'kubernetes-secret'"
          )
        }
        return parseName(INPUT.tlsSecret, value, NAME_RULES.kubernetesSecret)
      })
      return { strategy, secretName }
    }
    case 'none':
      problems.warn(
        "INSECURE: 'tls: none' serves the connected registry over plain HTTP (the chart's httpEnabled), without TLS and without trust distribution. Images and client credentials cross the network unencrypted. Use it only on isolated test clusters, and configure container runtimes to treat the registry as insecure."
      )
      return { strategy }
    default:
      return { strategy }
  }
}

function parseExtension(ctx: Context, operation: Operation, now: Date): ExtensionSettings {
  const { problems } = ctx
  const serviceClusterIp = problems.check('', () => {
    const value = ctx.read(INPUT.serviceClusterIp)
    if (!value) {
      if (!DEPLOYING.includes(operation)) return ''
      throw inputErrors.required(
        INPUT.serviceClusterIp,
        "expected a free IPv4 or IPv6 address in the cluster's service CIDR, such as 10.0.0.10",
        `for operation '${operation}'`
      )
    }
    return parseIp(INPUT.serviceClusterIp, value)
  })

  const tls = parseTls(ctx, operation, serviceClusterIp, now)
  const trustDistribution = booleanInput(ctx, INPUT.trustDistribution)
  if (
    !trustDistribution &&
    (tls.strategy === 'cert-manager' || tls.strategy === 'existing-cert-manager') &&
    problems.valid(INPUT.tls)
  ) {
    problems.warn(
      `Input 'trust-distribution' is false with tls '${tls.strategy}': nodes will not trust the certificate cert-manager issues unless you distribute its CA yourself. Turning trust distribution off is meant for byoc and kubernetes-secret, whose CA the nodes may already trust.`
    )
  }

  const storageClass = optional(ctx, INPUT.storageClass, (value) =>
    parseName(INPUT.storageClass, value, NAME_RULES.storageClass)
  )
  const storageSize = optional(ctx, INPUT.storageSize, (value) =>
    parseStorageSize(INPUT.storageSize, value)
  )
  const version = optional(ctx, INPUT.extensionVersion, (value) =>
    parseVersion(INPUT.extensionVersion, value)
  )
  const autoUpgradeMinorVersion = booleanInput(ctx, INPUT.autoUpgradeMinorVersion)
  if (version && autoUpgradeMinorVersion && problems.valid(INPUT.autoUpgradeMinorVersion)) {
    // Arc refuses a pinned version with auto-upgrade on; so does the CLI.
    problems.report(
      inputErrors.invalid(
        INPUT.autoUpgradeMinorVersion,
        `is true${ctx.read(INPUT.autoUpgradeMinorVersion) ? '' : ' (the default)'} while 'extension-version' pins version ${version}`,
        "set 'auto-upgrade-minor-version' to false to pin a version, or remove 'extension-version' to follow the release train"
      )
    )
  }
  const releaseTrain = withDefault(ctx, INPUT.releaseTrain, (value) =>
    parseName(INPUT.releaseTrain, value, NAME_RULES.releaseTrain)
  )
  const extraConfig =
    optional(ctx, INPUT.extensionConfig, (value) => {
      const entries = parseKeyValueLines(INPUT.extensionConfig, value)
      for (const key of Object.keys(entries)) {
        const instead = managedSettingInstead(key)
        if (instead) {
          throw inputErrors.invalid(
            INPUT.extensionConfig,
            `sets '${key}', which the action manages`,
            instead
          )
        }
      }
      return entries
    }) ?? {}
  const releaseNamespace = withDefault(ctx, INPUT.releaseNamespace, (value) =>
    parseName(INPUT.releaseNamespace, value, NAME_RULES.namespace)
  )

  return {
    serviceClusterIp,
    tls,
    trustDistribution: tls.strategy === 'none' ? false : trustDistribution,
    ...(storageClass ? { storageClass } : {}),
    ...(storageSize ? { storageSize } : {}),
    ...(version ? { version } : {}),
    autoUpgradeMinorVersion,
    releaseTrain,
    extraConfig,
    releaseNamespace
  }
}

function parseBehaviour(ctx: Context, operation: Operation): BehaviourSettings {
  const { problems } = ctx
  const timeoutMs = withDefault(ctx, INPUT.timeout, (value) =>
    parseDuration(INPUT.timeout, value, TIMEOUT_RANGE)
  )
  const pollIntervalMs = withDefault(ctx, INPUT.pollInterval, (value) =>
    parseDuration(
      INPUT.pollInterval,
      value,
      ctx.read(INPUT.armEndpoint) ? CUSTOM_ENDPOINT_POLL_INTERVAL_RANGE : POLL_INTERVAL_RANGE
    )
  )
  if (pollIntervalMs >= timeoutMs && problems.valid(INPUT.timeout, INPUT.pollInterval)) {
    problems.report(
      inputErrors.invalid(
        INPUT.pollInterval,
        `(${formatDuration(pollIntervalMs)}) is not shorter than 'timeout' (${formatDuration(timeoutMs)})`,
        'expected a poll interval shorter than the timeout, so the state is checked more than once'
      )
    )
  }
  const rotateOnly = optional(ctx, INPUT.rotateOnly, (value) =>
    parseEnum(INPUT.rotateOnly, value, ['sync-token', 'client-token'] as const)
  )
  return {
    operation,
    timeoutMs,
    pollIntervalMs,
    rotate: booleanInput(ctx, INPUT.rotate),
    revokeOldPassword: booleanInput(ctx, INPUT.revokeOldPassword),
    forceDelete: booleanInput(ctx, INPUT.forceDelete),
    failOnChanges: booleanInput(ctx, INPUT.failOnChanges),
    outputConnectionString: booleanInput(ctx, INPUT.outputConnectionString),
    ...(rotateOnly ? { rotateOnly } : {})
  }
}

function parseCloud(ctx: Context): CloudSettings {
  const { problems } = ctx
  const environment = enumInput(ctx, INPUT.environment, ENVIRONMENTS)
  const cloud = CLOUDS[environment]
  const armEndpoint = optional(ctx, INPUT.armEndpoint, (value) =>
    parseHttpsUrl(INPUT.armEndpoint, value, CLOUDS.AzureCloud.armEndpoint)
  )
  const authorityHost = optional(ctx, INPUT.authorityHost, (value) =>
    parseHttpsUrl(INPUT.authorityHost, value, CLOUDS.AzureCloud.authorityHost)
  )
  const clientId = optional(ctx, INPUT.clientId, (value) => parseGuid(INPUT.clientId, value))
  const tenantId = optional(ctx, INPUT.tenantId, (value) => parseGuid(INPUT.tenantId, value))
  // Federated sign-in needs both; one alone is a half-configured sign-in, not a choice.
  const pairs = [
    [INPUT.clientId, INPUT.tenantId],
    [INPUT.tenantId, INPUT.clientId]
  ] as const
  for (const [given, missing] of pairs) {
    if (ctx.read(given) && !ctx.read(missing)) {
      problems.report(
        inputErrors.required(
          missing,
          `expected both 'client-id' and 'tenant-id' (GUIDs) for federated sign-in with the workflow's OIDC token, or neither`,
          `with '${given}'`
        )
      )
    }
  }
  const audience =
    optional(ctx, INPUT.audience, (value) => {
      if (/\s/.test(value)) {
        throw inputErrors.invalidValue(
          INPUT.audience,
          value,
          `expected the audience of the federated credential without spaces, such as ${cloud.audience}`
        )
      }
      return value
    }) ?? cloud.audience

  return {
    environment,
    armEndpoint: armEndpoint ?? cloud.armEndpoint,
    authorityHost: authorityHost ?? cloud.authorityHost,
    customEndpoints: armEndpoint !== undefined || authorityHost !== undefined,
    registryDomain: cloud.registryDomain,
    ...(clientId && tenantId ? { clientId, tenantId } : {}),
    audience
  }
}

/**
 * Parses and validates every input. Throws InputError when one input is invalid, InputErrors
 * (one line per input) when several are; returns the settings and the warnings to show.
 * `env` supplies AZURE_SUBSCRIPTION_ID; `now` is when certificates must be valid.
 */
export function parseSettings(
  reader: InputReader,
  env: NodeJS.ProcessEnv,
  now: Date = new Date()
): { settings: Settings; warnings: string[] } {
  const problems = new Problems()
  const ctx: Context = { read: (name) => reader.get(name), problems }

  // Size and characters first: an input reports only its first problem, so these win.
  for (const name of Object.values(INPUT)) {
    problems.check(undefined, () =>
      checkText(name, reader.get(name), INPUT_SHAPES[name] ?? ONE_LINE)
    )
  }
  const operation = enumInput(ctx, INPUT.operation, OPERATIONS)
  const target = parseTarget(ctx, env)
  const connectedRegistry = parseConnectedRegistry(ctx, target.connectedRegistry)
  const extension = parseExtension(ctx, operation, now)
  const behaviour = parseBehaviour(ctx, operation)
  const cloud = parseCloud(ctx)
  const kube = parseKube(ctx)
  if (kube.pullSecretNamespaces.length && !connectedRegistry.clientToken) {
    problems.report(
      inputErrors.required(
        INPUT.clientToken,
        'expected the client token whose credentials the pull secret carries',
        "with 'pull-secret-namespaces'"
      )
    )
  }
  if (behaviour.rotateOnly === 'client-token' && !connectedRegistry.clientToken) {
    problems.report(
      inputErrors.required(
        INPUT.clientToken,
        'expected the client token to rotate',
        "with 'rotate-only: client-token'"
      )
    )
  }

  if (problems.errors.length === 1) throw problems.errors[0]
  if (problems.errors.length > 1) throw new InputErrors(problems.errors)
  return {
    settings: { target, connectedRegistry, extension, behaviour, cloud, kube },
    warnings: problems.warnings
  }
}

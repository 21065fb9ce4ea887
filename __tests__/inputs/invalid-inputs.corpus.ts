// Invalid inputs, each on top of a valid base set, and what the one resulting message must say.
// Used by invalid-inputs.test.ts (parseSettings directly) and, by the lead, through the bundled
// action against the emulator to prove no request is made before validation passes.

import {
  base64,
  caSignedCertificate,
  certificateForOtherIp,
  expiredCertificate,
  makeCertificate,
  mismatchedKey,
  notYetValidCertificate,
  validCertificate
} from '../../__fixtures__/certificates.js'

export interface InvalidInputCase {
  name: string
  /** input name → value, on top of VALID_BASE_INPUTS ('' removes a base input). */
  inputs: Record<string, string>
  /** Environment for parseSettings (AZURE_SUBSCRIPTION_ID); empty when absent. */
  env?: Record<string, string>
  /** The input the (single) message must name. */
  input: string
  /** Fragments the message must contain: the problem and what is allowed. */
  messageIncludes: string[]
}

export const SERVICE_IP = '10.0.0.10'

/** A complete, valid set of inputs for a deploy with the default TLS strategy. */
export const VALID_BASE_INPUTS: Readonly<Record<string, string>> = {
  'subscription-id': '0b1f6471-1bf0-4dda-aec3-cb9272f09590',
  'resource-group': 'edge-rg',
  registry: 'contosoacr',
  'connected-registry': 'edgeregistry01',
  cluster: 'edge-cluster-01',
  'service-cluster-ip': SERVICE_IP,
  repositories: 'hello-world, app/web'
}

const NAME_OF_41 = `a${'b'.repeat(40)}`
const ALLOWED_CONNECTED_REGISTRY = 'expected 5 to 40 letters and digits, starting with a letter'
const ALLOWED_DURATION = 'a whole number with unit ms, s, m or h'
const ALLOWED_CRON = "expected 5 cron fields 'minute hour day-of-month month day-of-week'"
const ALLOWED_REPOSITORY = 'or a wildcard ending in'
const ALLOWED_GUID = 'expected a GUID'
const ALLOWED_BOOLEAN = 'expected true or false'
const ALLOWED_CONFIG = 'expected key=value lines'

const missing = (input: string, allowed: string): InvalidInputCase => ({
  name: `${input}: missing`,
  inputs: { [input]: '' },
  input,
  messageIncludes: ['is not set but is required', allowed]
})

const invalid = (
  input: string,
  value: string,
  messageIncludes: string[],
  extra: Record<string, string> = {}
): InvalidInputCase => ({
  name: `${input}: ${JSON.stringify(value).slice(0, 60)}`,
  inputs: { [input]: value, ...extra },
  input,
  messageIncludes
})

/** A value over its input's bound: the message gives its length and the limit. */
const tooLong = (
  input: string,
  value: string,
  limit: number,
  extra: Record<string, string> = {}
): InvalidInputCase => ({
  name: `${input}: ${value.length} characters`,
  inputs: { [input]: value, ...extra },
  input,
  messageIncludes: [`is ${value.length} characters long`, `expected at most ${limit} characters`]
})

/** Cases that need no generated certificate. */
export const STATIC_INVALID_INPUT_CASES: readonly InvalidInputCase[] = [
  // --- the client token and pull secrets ---
  {
    name: 'client-token-push: with a ReadOnly connected registry',
    inputs: { 'client-token': 'edge-pods', 'client-token-push': 'true' },
    input: 'client-token-push',
    messageIncludes: ["is true but 'mode' is ReadOnly", 'only with mode: ReadWrite']
  },
  {
    name: 'client-token: also listed in client-tokens',
    inputs: { 'client-token': 'edge-pods', 'client-tokens': 'other-pods, edge-pods' },
    input: 'client-token',
    messageIncludes: ["which 'client-tokens' lists too"]
  },
  {
    name: 'pull-secret-namespaces: without client-token',
    inputs: { 'pull-secret-namespaces': 'apps' },
    input: 'client-token',
    messageIncludes: ["is not set but is required with 'pull-secret-namespaces'"]
  },
  {
    name: 'pull-secret-namespaces: not a namespace name',
    inputs: { 'client-token': 'edge-pods', 'pull-secret-namespaces': 'apps, Web_1' },
    input: 'pull-secret-namespaces',
    messageIncludes: ["lower-case letters, digits or '-'"]
  },
  {
    name: 'rotate-only: neither credential',
    inputs: { 'rotate-only': 'both' },
    input: 'rotate-only',
    messageIncludes: ['expected one of sync-token, client-token']
  },
  {
    name: 'garbage-collection-schedule: not a cron expression',
    inputs: { 'garbage-collection-schedule': 'daily' },
    input: 'garbage-collection-schedule',
    messageIncludes: ['daily']
  },
  // --- missing required inputs ---
  missing('resource-group', "expected 1 to 90 letters, digits, '_', '-', '.', '(' or ')'"),
  missing('registry', 'expected the registry name (not its login server)'),
  missing('connected-registry', ALLOWED_CONNECTED_REGISTRY),
  missing('cluster', "expected 1 to 63 letters, digits, '_' or '-'"),
  {
    name: 'subscription-id: missing, and not in the environment either',
    inputs: { 'subscription-id': '' },
    env: { AZURE_SUBSCRIPTION_ID: '' },
    input: 'subscription-id',
    messageIncludes: ['is not set but is required', 'AZURE_SUBSCRIPTION_ID']
  },
  {
    name: 'service-cluster-ip: missing for deploy',
    inputs: { 'service-cluster-ip': '' },
    input: 'service-cluster-ip',
    messageIncludes: ["is not set but is required for operation 'deploy'", 'IPv4 or IPv6 address']
  },
  {
    name: 'service-cluster-ip: missing for plan',
    inputs: { 'service-cluster-ip': '', operation: 'plan' },
    input: 'service-cluster-ip',
    messageIncludes: ["is not set but is required for operation 'plan'"]
  },
  {
    name: 'service-cluster-ip: missing for rotate-credentials',
    inputs: { 'service-cluster-ip': '', operation: 'Rotate-Credentials' },
    input: 'service-cluster-ip',
    messageIncludes: ["is not set but is required for operation 'rotate-credentials'"]
  },

  // --- names ---
  invalid('connected-registry', 'edge', ["invalid value 'edge'", ALLOWED_CONNECTED_REGISTRY]),
  invalid('connected-registry', 'edge-registry', ["'edge-registry'", ALLOWED_CONNECTED_REGISTRY]),
  invalid('connected-registry', '1edgeregistry', ["'1edgeregistry'", 'starting with a letter']),
  invalid('connected-registry', NAME_OF_41, [ALLOWED_CONNECTED_REGISTRY]),
  invalid('registry', 'contosoacr.azurecr.io', ["'contosoacr.azurecr.io'", 'not its login server']),
  invalid('registry', 'acr', ['5 to 50 letters and digits']),
  invalid('resource-group', 'edge-rg.', ["'edge-rg.'", "not ending in '.'"]),
  invalid('resource-group', 'edge/rg', ["'edge/rg'", '1 to 90']),
  invalid('cluster-resource-group', 'rg with spaces', ["'rg with spaces'", '1 to 90']),
  invalid('cluster', '-edge-cluster', ["'-edge-cluster'", 'starting with a letter or digit']),
  invalid('cluster', `c${'1'.repeat(63)}`, ['1 to 63']),
  invalid('extension-name', 'EdgeExtension', ["'EdgeExtension'", 'lower-case letters, digits']),
  invalid('extension-name', 'edge-extension-', ['starting and ending with a letter or digit']),
  invalid('release-namespace', 'Connected_Registry', ['Kubernetes namespace', 'up to 63']),
  invalid('storage-class', 'Fast_SSD', ["'Fast_SSD'", 'storage class name']),
  invalid('client-tokens', 'reader-token, abc', ["invalid name 'abc'", '5 to 50 letters, digits']),
  invalid('parent', 'parent-registry', ["'parent-registry'", ALLOWED_CONNECTED_REGISTRY]),

  // --- enums (the message lists the allowed values) ---
  invalid('mode', 'Mirror', ["invalid value 'Mirror'", 'expected one of ReadOnly, ReadWrite']),
  invalid('operation', 'destroy', [
    "'destroy'",
    'expected one of deploy, plan, rotate-credentials, teardown'
  ]),
  invalid('tls', 'letsencrypt', [
    "'letsencrypt'",
    'expected one of cert-manager, existing-cert-manager, byoc, kubernetes-secret, none'
  ]),
  invalid('log-level', 'Verbose', ['expected one of Debug, Information, Warning, Error, None']),
  invalid('environment', 'AzureGermanCloud', [
    'expected one of AzureCloud, AzureUSGovernment, AzureChinaCloud'
  ]),
  invalid('parent-protocol', 'ftp', ['expected one of https, http'], { parent: 'parentregistry' }),

  // --- booleans ---
  invalid('rotate', 'yes', ["'yes'", ALLOWED_BOOLEAN]),
  invalid('trust-distribution', '1', ["'1'", ALLOWED_BOOLEAN]),
  invalid('output-connection-string', 'on', [ALLOWED_BOOLEAN]),
  invalid('force-delete', 'TRUE!', [ALLOWED_BOOLEAN]),

  // --- IP addresses ---
  invalid('service-cluster-ip', '10.0.0.256', ["'10.0.0.256'", 'IPv4 or IPv6 address']),
  invalid('service-cluster-ip', '10.0.0.0/24', ["'10.0.0.0/24'", 'IPv4 or IPv6 address']),
  invalid('service-cluster-ip', 'registry.local', ['IPv4 or IPv6 address']),

  // --- IP literals, strictly ---
  invalid('service-cluster-ip', 'fe80::1%eth0', [
    "'fe80::1%eth0' (an IPv6 zone index",
    'no leading zeros, zone index'
  ]),
  invalid('service-cluster-ip', '010.0.0.10', [
    "'010.0.0.10' (leading zeros are ambiguous",
    'IPv4 or IPv6 address'
  ]),
  invalid('service-cluster-ip', '10.0.0.010', ['(leading zeros are ambiguous']),
  invalid('service-cluster-ip', '::ffff:10.0.0.10', [
    '(an IPv4-mapped IPv6 address: give the IPv4 address itself)'
  ]),
  invalid('service-cluster-ip', '127.0.0.1', ["'127.0.0.1' (a loopback address)"]),
  invalid('service-cluster-ip', '0.0.0.0', ['(an unspecified address)']),
  invalid('service-cluster-ip', 'ff02::1', ['(a multicast address)']),
  invalid('service-cluster-ip', '[fd00::10]', ["'[fd00::10]'", 'brackets']),
  invalid('parent-gateway-endpoint', '010.0.0.1:443', ['(leading zeros are ambiguous'], {
    parent: 'parentregistry'
  }),
  invalid('parent-gateway-endpoint', '[fe80::1%eth0]:443', ['(an IPv6 zone index'], {
    parent: 'parentregistry'
  }),

  // --- sizes: bounded before anything reaches Azure ---
  tooLong('registry', 'a'.repeat(120_000), 1024),
  tooLong('extension-config', `big=${'v'.repeat(120_000)}`, 32_768),
  tooLong('tls-cert', `-----BEGIN CERTIFICATE-----\n${'A'.repeat(70_000)}`, 65_536, {
    tls: 'byoc',
    'tls-key': 'placeholder'
  }),
  tooLong('notifications', Array.from({ length: 2000 }, (_, i) => `repo${i}:*`).join(','), 16_384),
  invalid('repositories', `app/${'a'.repeat(120_000)}`, [
    'has a repository name of 120004 characters',
    'expected repository names of at most 255 characters'
  ]),
  invalid('repositories', `hello-world, ${'b'.repeat(256)}`, [
    'has a repository name of 256 characters'
  ]),
  invalid('extension-config', `logLevel=debug\nbig=${'v'.repeat(5000)}`, [
    "sets 'big' to a value of 5000 characters on line 2",
    'expected values of at most 4096 characters'
  ]),
  invalid('client-tokens', Array.from({ length: 51 }, (_, i) => `client-token-${i}`).join(','), [
    'lists 51 names',
    'expected at most 50'
  ]),

  // --- control characters: never a new log line, never a workflow command ---
  invalid('extension-config', 'logLevel=debug\r::error title=injected::pwned', [
    'has a carriage return inside line 1',
    'expected line breaks as LF or CRLF'
  ]),
  invalid('extension-config', 'a.b=1\nlogLevel=\u001b[31mred', [
    'contains the control character U+001B (escape) at line 2, column 10',
    'without control characters other than line breaks'
  ]),
  invalid('registry', 'contosoacr\n::error::injected', [
    'contains the control character U+000A (line feed) at position 11',
    'expected one line of text without control characters'
  ]),
  invalid('cluster', 'edge\rcluster', [
    'contains the control character U+000D (carriage return) at position 5'
  ]),
  invalid('release-train', 'Stable\u202e', ['contains the control character U+202E at position 7']),
  invalid('repositories', 'hello-world\n\u0007app', ['U+0007 at line 2, column 1']),

  // --- durations ---
  invalid('timeout', '15 minutes', ["'15 minutes'", ALLOWED_DURATION, 'between 10s and 6h']),
  invalid('timeout', '5s', ["'5s' (out of range)", 'between 10s and 6h']),
  invalid('timeout', '7h', ['(out of range)', 'between 10s and 6h']),
  invalid('poll-interval', '0s', ['(out of range)', 'between 1s and 10m']),
  invalid('poll-interval', '11m', ['between 1s and 10m']),
  invalid(
    'poll-interval',
    '2m',
    ["(2m) is not shorter than 'timeout' (1m)", 'shorter than the timeout'],
    {
      timeout: '1m'
    }
  ),

  // --- ISO 8601 durations ---
  invalid('message-ttl', 'P100D', ["'P100D' (out of range)", 'between P1D and P90D']),
  invalid('message-ttl', 'PT12H', ['(out of range)', 'between P1D and P90D']),
  invalid('message-ttl', '2 days', ['ISO 8601 duration']),
  invalid('sync-window', 'PT30M', ['(out of range)', 'between PT1H and P7D']),
  invalid('sync-window', 'P8D', ['between PT1H and P7D']),
  invalid('sync-window', 'P1W', ["'P1W'", 'PnDTnHnMnS']),

  // --- cron ---
  invalid('sync-schedule', '* * * *', ['(4 fields)', ALLOWED_CRON]),
  invalid('sync-schedule', '@hourly', ['(1 field)', ALLOWED_CRON]),
  invalid('sync-schedule', '60 * * * *', ["minute '60' is outside 0-59", ALLOWED_CRON]),
  invalid('sync-schedule', '0 24 * * *', ["hour '24' is outside 0-23"]),
  invalid('sync-schedule', '0 0 0 * *', ["day of month '0' is outside 1-31"]),
  invalid('sync-schedule', '0 0 * 13 *', ["month '13' is outside 1-12"]),
  invalid('sync-schedule', '0 0 * * 8', ["day of week '8' is outside 0-7"]),
  invalid('sync-schedule', '*/0 * * * *', ["minute step '0' is outside 1-59"]),
  invalid('sync-schedule', '30-10 * * * *', ["minute range '30-10' is reversed"]),
  invalid('sync-schedule', '0 12 * JAN *', ["month 'JAN' is not valid"]),

  // --- repositories ---
  invalid('repositories', 'Hello-World', ["invalid repository 'Hello-World'", ALLOWED_REPOSITORY]),
  invalid('repositories', 'samples/*/app', ["'samples/*/app'", ALLOWED_REPOSITORY]),
  invalid('repositories', 'hello-world,*', ["invalid repository '*'"]),
  invalid('repositories', Array.from({ length: 501 }, (_, i) => `repo${i}`).join('\n'), [
    'lists 501 repositories',
    'expected up to 500 repository names'
  ]),
  invalid('notifications', 'hello-world:tag:pull', [
    "invalid notification 'hello-world:tag:pull'",
    'push, delete or *'
  ]),

  // --- parent ---
  invalid('parent', 'EdgeRegistry01', [
    "names the connected registry itself ('EdgeRegistry01')",
    'expected the name of another connected registry'
  ]),
  invalid(
    'parent-gateway-endpoint',
    'https://parent.example.com:443',
    ['(has a scheme)', 'host[:port] without a scheme'],
    { parent: 'parentregistry' }
  ),
  invalid('parent-gateway-endpoint', 'parent.example.com:70000', ['(port outside 1-65535)'], {
    parent: 'parentregistry'
  }),

  // --- extension version ---
  invalid('extension-version', '1.2', ["'1.2'", 'expected a version x.y.z']),
  {
    name: 'auto-upgrade-minor-version: on by default with a pinned version',
    inputs: { 'extension-version': '0.11.0' },
    input: 'auto-upgrade-minor-version',
    messageIncludes: [
      "is true (the default) while 'extension-version' pins version 0.11.0",
      "set 'auto-upgrade-minor-version' to false"
    ]
  },
  {
    name: 'auto-upgrade-minor-version: explicitly on with a pinned version',
    inputs: { 'extension-version': '0.11.0', 'auto-upgrade-minor-version': 'True' },
    input: 'auto-upgrade-minor-version',
    messageIncludes: ["is true while 'extension-version' pins version 0.11.0"]
  },
  invalid('storage-size', '250GB', ["'250GB'", 'Kubernetes quantity']),

  // --- extension-config ---
  invalid('extension-config', 'service.clusterIP=10.0.0.11', [
    "sets 'service.clusterIP', which the action manages",
    "use input 'service-cluster-ip' instead"
  ]),
  invalid('extension-config', 'cert-manager.install=false', [
    "sets 'cert-manager.install'",
    "use input 'tls'"
  ]),
  invalid('extension-config', 'trustDistribution.enabled=false', [
    "use input 'trust-distribution' instead"
  ]),
  invalid('extension-config', 'httpEnabled=true', ["use input 'tls' with the value none instead"]),
  invalid('extension-config', 'pvc.storageRequest=10Gi', ["use input 'storage-size' instead"]),
  invalid('extension-config', 'connectionString=ConnectedRegistryName=x', [
    "sets 'connectionString'",
    'remove it: the action builds the connection string'
  ]),
  invalid('extension-config', 'tls.key=c3VwZXJzZWNyZXR2YWx1ZQ==', ["sets 'tls.key'", "'tls-key'"]),
  invalid('extension-config', '# tuning\nlogLevel=debug\njust some garbage', [
    "has no '=' on line 3",
    ALLOWED_CONFIG
  ]),
  invalid('extension-config', 'bad key=1', ["invalid key 'bad key' on line 1", ALLOWED_CONFIG]),
  invalid('extension-config', 'a.b=1\nA.B=2', ["sets 'A.B' twice (lines 1 and 2)"]),

  // --- GUIDs, URLs, sign-in ---
  invalid('subscription-id', 'my-subscription', ["'my-subscription'", ALLOWED_GUID]),
  {
    name: 'subscription-id: invalid in AZURE_SUBSCRIPTION_ID',
    inputs: { 'subscription-id': '' },
    env: { AZURE_SUBSCRIPTION_ID: 'prod' },
    input: 'subscription-id',
    messageIncludes: ["'prod' (taken from AZURE_SUBSCRIPTION_ID)", ALLOWED_GUID]
  },
  invalid('client-id', 'my-app', ["'my-app'", ALLOWED_GUID], {
    'tenant-id': '72f988bf-86f1-41af-91ab-2d7cd011db47'
  }),
  invalid('tenant-id', 'contoso.onmicrosoft.com', [ALLOWED_GUID], {
    'client-id': '5a0e4a0e-53b6-4a4f-9a1f-3c0e3e3c1a11'
  }),
  invalid(
    'tenant-id',
    '',
    ["is not set but is required with 'client-id'", "both 'client-id' and 'tenant-id'"],
    {
      'client-id': '5a0e4a0e-53b6-4a4f-9a1f-3c0e3e3c1a11'
    }
  ),
  invalid('client-id', '', ["is not set but is required with 'tenant-id'", 'or neither'], {
    'tenant-id': '72f988bf-86f1-41af-91ab-2d7cd011db47'
  }),
  invalid('arm-endpoint', 'http://management.azure.com', [
    "(scheme 'http')",
    'expected an https URL'
  ]),
  invalid('authority-host', 'login.microsoftonline.com', ['expected an https URL']),
  invalid('audience', 'api://Azure AD', ['without spaces']),

  // --- TLS combinations that cannot work ---
  {
    name: 'tls-cert: missing with byoc',
    inputs: { tls: 'byoc', 'tls-key': 'placeholder' },
    input: 'tls-cert',
    messageIncludes: [
      "is not set but is required with tls 'byoc'",
      'server certificate as PEM or base64 of PEM'
    ]
  },
  {
    name: 'tls-secret: missing with kubernetes-secret',
    inputs: { tls: 'kubernetes-secret' },
    input: 'tls-secret',
    messageIncludes: [
      "is not set but is required with tls 'kubernetes-secret'",
      'kubernetes.io/tls secret'
    ]
  },
  invalid('tls-secret', 'Registry_TLS', ["'Registry_TLS'", 'Kubernetes secret name'], {
    tls: 'kubernetes-secret'
  }),
  invalid('tls-secret', 'registry-tls', [
    "cannot be used with tls 'cert-manager'",
    "remove 'tls-secret', or set 'tls' to kubernetes-secret"
  ]),
  invalid(
    'tls-cert',
    '-----BEGIN CERTIFICATE-----',
    ["cannot be used with tls 'existing-cert-manager'", "set 'tls' to byoc"],
    { tls: 'existing-cert-manager' }
  ),
  invalid(
    'tls-ca-cert',
    '-----BEGIN CERTIFICATE-----',
    ["cannot be used with tls 'kubernetes-secret'"],
    {
      tls: 'kubernetes-secret',
      'tls-secret': 'registry-tls'
    }
  )
]

/** Cases with generated certificates: expired, not yet valid, wrong IP, wrong key, garbage. */
export async function certificateCases(): Promise<InvalidInputCase[]> {
  const [valid, expired, notYetValid, otherIp, mismatched, signed, otherCa, encrypted] =
    await Promise.all([
      validCertificate(SERVICE_IP),
      expiredCertificate(SERVICE_IP),
      notYetValidCertificate(SERVICE_IP),
      certificateForOtherIp('10.0.0.99'),
      mismatchedKey(SERVICE_IP),
      caSignedCertificate(SERVICE_IP),
      makeCertificate({ isCa: true, commonName: 'Other CA' }),
      makeCertificate({ ip: SERVICE_IP, passphrase: 'correct horse battery staple' })
    ])
  const byoc = (cert: string, key: string, extra: Record<string, string> = {}) => ({
    tls: 'byoc',
    'tls-cert': cert,
    'tls-key': key,
    ...extra
  })
  const garbledCertificate = valid.certPem.replace(
    /(-----BEGIN CERTIFICATE-----\r?\n).{10}/,
    '$1AAAAAAAAAA'
  )
  return [
    {
      name: 'tls-cert: expired',
      inputs: byoc(expired.certPem, expired.keyPem),
      input: 'tls-cert',
      messageIncludes: ['has expired (on ', 'expected a certificate that is valid now; renew it']
    },
    {
      name: 'tls-cert: not valid yet',
      inputs: byoc(notYetValid.certPem, notYetValid.keyPem),
      input: 'tls-cert',
      messageIncludes: ['is not valid yet (valid from ', 'valid now']
    },
    {
      name: 'tls-cert: does not cover the service IP',
      inputs: byoc(otherIp.certPem, otherIp.keyPem),
      input: 'tls-cert',
      messageIncludes: [
        'does not cover the service IP 10.0.0.10 (subject alternative names: IP Address:10.0.0.99)',
        'IP:10.0.0.10'
      ]
    },
    {
      name: 'tls-key: does not match the certificate',
      inputs: byoc(mismatched.certPem, mismatched.keyPem),
      input: 'tls-key',
      messageIncludes: [
        "does not match the certificate in 'tls-cert'",
        'the private key the certificate was issued for'
      ]
    },
    {
      name: 'tls-key: missing with byoc',
      inputs: byoc(valid.certPem, ''),
      input: 'tls-key',
      messageIncludes: ["is not set but is required with tls 'byoc'", 'private key']
    },
    {
      name: 'tls-cert: neither PEM nor base64',
      inputs: byoc('not a certificate!', valid.keyPem),
      input: 'tls-cert',
      messageIncludes: [
        'is neither PEM nor base64',
        'expected the certificate as PEM text (-----BEGIN …) or as base64 of PEM'
      ]
    },
    {
      name: 'tls-cert: base64 of something else',
      inputs: byoc(base64('hello world'), valid.keyPem),
      input: 'tls-cert',
      messageIncludes: ['is base64 but does not decode to PEM']
    },
    {
      name: 'tls-cert: a certificate block that does not parse',
      inputs: byoc(garbledCertificate, valid.keyPem),
      input: 'tls-cert',
      messageIncludes: ['has a certificate that does not parse (certificate 1)']
    },
    {
      name: 'tls-cert: the private key pasted instead of the certificate',
      inputs: byoc(valid.keyPem, valid.keyPem),
      input: 'tls-cert',
      messageIncludes: ['contains a private key', "give the key in 'tls-key'"]
    },
    {
      name: 'tls-key: garbage',
      inputs: byoc(valid.certPem, 'hunter2-is-my-password'),
      input: 'tls-key',
      messageIncludes: ['is neither PEM nor base64', 'expected the private key as PEM text']
    },
    {
      name: 'tls-key: a certificate instead of the key',
      inputs: byoc(valid.certPem, valid.certPem),
      input: 'tls-key',
      messageIncludes: ['contains no PEM private key', 'unencrypted PEM private key']
    },
    {
      name: 'tls-key: encrypted',
      inputs: byoc(encrypted.certPem, encrypted.keyPem),
      input: 'tls-key',
      messageIncludes: ['is an encrypted private key', 'unencrypted']
    },
    {
      name: 'tls-ca-cert: missing for a certificate that is not self-signed',
      inputs: byoc(signed.server.certPem, base64(signed.server.keyPem)),
      input: 'tls-ca-cert',
      messageIncludes: [
        "is not set but is required because 'tls-cert' is not self-signed",
        'only for a self-signed certificate'
      ]
    },
    {
      name: 'tls-ca-cert: another CA',
      inputs: byoc(signed.server.certPem, signed.server.keyPem, { 'tls-ca-cert': otherCa.certPem }),
      input: 'tls-ca-cert',
      messageIncludes: ["did not issue the certificate in 'tls-cert' (issuer: CN=Test Root CA)"]
    },
    {
      name: 'tls-key: a control character inside the PEM text',
      inputs: byoc(valid.certPem, valid.keyPem.replace('\n', '\n\u0007')),
      input: 'tls-key',
      messageIncludes: ['contains the control character U+0007 at line 2, column 1']
    },
    {
      name: 'tls-key: given with tls none',
      inputs: { tls: 'none', 'tls-key': valid.keyPem },
      input: 'tls-key',
      messageIncludes: ["cannot be used with tls 'none'", "remove 'tls-key'"]
    },
    {
      name: 'tls-secret: given with byoc',
      inputs: byoc(valid.certPem, valid.keyPem, { 'tls-secret': 'registry-tls' }),
      input: 'tls-secret',
      messageIncludes: ["cannot be used with tls 'byoc'"]
    }
  ]
}

/** Every invalid input case. */
export async function invalidInputCases(): Promise<InvalidInputCase[]> {
  return [...STATIC_INVALID_INPUT_CASES, ...(await certificateCases())]
}

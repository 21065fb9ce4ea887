// The Arc extension's chart settings for each TLS strategy (connected-registry.md §4.2-4.4).
//
// Every setting the action manages is sent with an explicit value, even where it equals the
// chart default: Arc merges configurationSettings on update, so a setting left out keeps its old
// value, and switching e.g. from byoc back to cert-manager would otherwise leave
// cert-manager.enabled=false behind.

import { createHash } from 'node:crypto'
import type { ExtensionSettings, TlsSettings } from '../settings.js'

/** Chart settings the action computes from its own inputs, and what to do instead. */
const MANAGED_SETTINGS: readonly { key: string; prefix?: true; instead: string }[] = [
  { key: 'service.clusterIP', instead: "use input 'service-cluster-ip' instead" },
  { key: 'cert-manager.', prefix: true, instead: "use input 'tls' instead" },
  { key: 'trustDistribution.enabled', instead: "use input 'trust-distribution' instead" },
  { key: 'httpEnabled', instead: "use input 'tls' with the value none instead" },
  { key: 'pvc.storageClassName', instead: "use input 'storage-class' instead" },
  { key: 'pvc.storageRequest', instead: "use input 'storage-size' instead" },
  { key: 'pvc.', prefix: true, instead: "use inputs 'storage-class' and 'storage-size' instead" },
  {
    key: 'connectionString',
    instead: 'remove it: the action builds the connection string and sends it protected'
  },
  {
    key: 'tls.',
    prefix: true,
    instead:
      "use inputs 'tls-cert', 'tls-key', 'tls-ca-cert' or 'tls-secret' instead (sent protected)"
  },
  // The action records its own state (password slot, protected-settings hash) under this prefix.
  {
    key: 'connectedRegistryAction.',
    prefix: true,
    instead: 'remove it: the action records its own state under this prefix'
  }
]

/** When the action manages this chart setting, what to do instead (keys compared ignoring
 * case, as a near-duplicate would confuse the chart as much as the same key). */
export function managedSettingInstead(key: string): string | undefined {
  const lower = key.toLowerCase()
  return MANAGED_SETTINGS.find((setting) =>
    setting.prefix
      ? lower.startsWith(setting.key.toLowerCase())
      : lower === setting.key.toLowerCase()
  )?.instead
}

const flag = (value: boolean): string => (value ? 'true' : 'false')

/** The chart switches each TLS strategy needs. */
function tlsConfiguration(tls: TlsSettings): Record<string, string> {
  switch (tls.strategy) {
    case 'cert-manager':
      // The extension installs cert-manager and issues its own certificate.
      return {
        'cert-manager.enabled': 'true',
        'cert-manager.install': 'true',
        httpEnabled: 'false'
      }
    case 'existing-cert-manager':
      // A cert-manager already runs on the cluster: installing a second one fails.
      return {
        'cert-manager.enabled': 'true',
        'cert-manager.install': 'false',
        httpEnabled: 'false'
      }
    case 'byoc':
    case 'kubernetes-secret':
      // The certificate comes from protected settings; the chart rejects install=true with
      // enabled=false, so both are off.
      return {
        'cert-manager.enabled': 'false',
        'cert-manager.install': 'false',
        httpEnabled: 'false'
      }
    case 'none':
      // Plain HTTP as the chart's httpEnabled: no certificate, nothing for nodes to trust.
      return {
        'cert-manager.enabled': 'false',
        'cert-manager.install': 'false',
        httpEnabled: 'true'
      }
  }
}

/** The extension's (non-secret) configurationSettings. */
export function buildConfigurationSettings(extension: ExtensionSettings): Record<string, string> {
  if (!extension.serviceClusterIp) {
    throw new Error('Cannot build the extension settings without a service cluster IP.')
  }
  const trustDistribution = extension.tls.strategy !== 'none' && extension.trustDistribution
  return {
    'service.clusterIP': extension.serviceClusterIp,
    ...tlsConfiguration(extension.tls),
    'trustDistribution.enabled': flag(trustDistribution),
    ...(extension.storageClass ? { 'pvc.storageClassName': extension.storageClass } : {}),
    ...(extension.storageSize ? { 'pvc.storageRequest': extension.storageSize } : {}),
    // Parsing refuses managed keys, so extra settings cannot override the ones above.
    ...extension.extraConfig
  }
}

const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64')

/** The extension's configurationProtectedSettings: the connection string and TLS secrets. */
export function buildProtectedSettings(
  tls: TlsSettings,
  connectionString: string
): Record<string, string> {
  if (!connectionString) {
    throw new Error('Cannot build the protected settings without a connection string.')
  }
  switch (tls.strategy) {
    case 'byoc':
      // The chart expects base64 of the PEM text (D-tut-arc).
      return {
        connectionString,
        'tls.crt': base64(tls.certificatePem),
        'tls.key': base64(tls.privateKeyPem),
        'tls.cacrt': base64(tls.caCertificatePem)
      }
    case 'kubernetes-secret':
      return { connectionString, 'tls.secret': tls.secretName }
    default:
      return { connectionString }
  }
}

/** What the protected settings hold besides the connection string, for the strategies that
 * send nothing else (cert-manager, existing-cert-manager, none). */
export const CONNECTION_STRING_ONLY = 'connection-string'

/**
 * Identifies the TLS part of the protected settings (what `buildProtectedSettings` sends besides
 * the connection string) without any secret in it. Azure never returns protected settings, so a
 * run records this and a later run compares it to know whether they must be sent again: it
 * follows their content, not the strategy's name, so switching between strategies that send the
 * same content resends nothing (and needs no new password).
 */
export function protectedSettingsFingerprint(tls: TlsSettings): string {
  switch (tls.strategy) {
    case 'byoc':
      return `byoc:cert=${tls.certificateFingerprint}:ca=${tls.caCertificateFingerprint}:chain=${createHash('sha256').update(tls.certificatePem).digest('hex').slice(0, 16)}`
    case 'kubernetes-secret':
      return `kubernetes-secret:${tls.secretName}`
    default:
      return CONNECTION_STRING_ONLY
  }
}

/** Fingerprints earlier versions of the action recorded for the same content: the strategy's
 * name where only the connection string is sent. */
export function earlierFingerprints(tls: TlsSettings): string[] {
  return protectedSettingsFingerprint(tls) === CONNECTION_STRING_ONLY
    ? ['cert-manager', 'existing-cert-manager', 'none']
    : []
}

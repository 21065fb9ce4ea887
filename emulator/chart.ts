// What the connected-registry Helm chart (and Kubernetes) reject at install or
// upgrade time. Each problem fails the extension with an errorInfo that says
// exactly which setting is wrong, in the style of real Arc extension errors.
import { X509Certificate, createPrivateKey } from 'node:crypto'
import { BlockList, isIP } from 'node:net'
import type { ConnectedCluster, Extension } from './world.js'

const CONNECTED_REGISTRY_EXTENSION_TYPE = 'microsoft.containerregistry.connectedregistry'
export const DEFAULT_CHART_VERSION = '0.11.0'

export function isConnectedRegistryExtension(extensionType: string): boolean {
  return extensionType.toLowerCase() === CONNECTED_REGISTRY_EXTENSION_TYPE
}

export function flag(settings: Record<string, string>, name: string, fallback: boolean): boolean {
  const v = settings[name]
  if (v === undefined) return fallback
  return v.trim().toLowerCase() === 'true'
}

export interface ChartProblem {
  code: string
  message: string
}

/**
 * Returns the first problem the chart would hit, or undefined when it installs.
 * `siblings` are the other extensions on the same cluster: when the cluster has
 * `uniqueServiceIPs`, a service IP another connected-registry release holds is refused
 * (Kubernetes would; off by default so scenarios can reuse one IP per deploy).
 */
export function chartProblem(
  ext: Extension,
  cluster: ConnectedCluster,
  siblings: Extension[],
  operation: 'Installing' | 'Updating'
): ChartProblem | undefined {
  const fail = (detail: string): ChartProblem => ({
    code: 'ExtensionOperationFailed',
    message: `Error: {failed to ${operation === 'Installing' ? 'install' : 'upgrade'} chart from path [] for release [${ext.name}]: err [${detail}]} occurred while doing the operation : {${operation} the extension} on the config`
  })
  const settings = ext.configurationSettings
  const protectedSettings = ext.protectedSettings

  const clusterIP = settings['service.clusterIP']
  if (clusterIP === undefined || clusterIP.trim() === '') {
    return fail(
      "execution error at (connected-registry/templates/service.yaml): service.clusterIP is required: set the configuration setting 'service.clusterIP' to a free IP address inside the cluster's service CIDR"
    )
  }
  const ip = clusterIP.trim()
  const family = isIP(ip)
  if (family === 0) {
    return fail(
      `Service "${ext.name}" is invalid: spec.clusterIPs[0]: Invalid value: "${clusterIP}": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff) (configuration setting 'service.clusterIP')`
    )
  }
  if (cluster.serviceCidr && !inCidr(ip, family, cluster.serviceCidr)) {
    return fail(
      `Service "${ext.name}" is invalid: spec.clusterIPs: Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: the provided IP (${ip}) is not in the valid range. The range of valid IPs is ${cluster.serviceCidr} (configuration setting 'service.clusterIP')`
    )
  }
  const holder =
    cluster.uniqueServiceIPs &&
    siblings.find(
      (s) =>
        s.id !== ext.id &&
        isConnectedRegistryExtension(s.extensionType) &&
        s.provisioningState !== 'Failed' &&
        s.configurationSettings['service.clusterIP']?.trim() === ip
    )
  if (holder) {
    return fail(
      `Service "${ext.name}" is invalid: spec.clusterIPs: Invalid value: []string{"${ip}"}: failed to allocate IP ${ip}: provided IP is already allocated (service of extension '${holder.name}')`
    )
  }

  const certManagerEnabled = flag(settings, 'cert-manager.enabled', true)
  const certManagerInstall = flag(settings, 'cert-manager.install', true)
  if (certManagerInstall && !certManagerEnabled) {
    return fail(
      'execution error at (connected-registry/templates/validation.yaml): cert-manager.install=true requires cert-manager.enabled=true; set cert-manager.install=false when cert-manager.enabled=false'
    )
  }

  const httpEnabled = flag(settings, 'httpEnabled', false)
  if (!certManagerEnabled && !httpEnabled) {
    const tlsProblem = checkTlsMaterial(protectedSettings)
    if (tlsProblem)
      return fail(
        `execution error at (connected-registry/templates/tls-secret.yaml): ${tlsProblem}`
      )
  }

  if (!protectedSettings.connectionString) {
    return fail(
      "execution error at (connected-registry/templates/secret.yaml): the protected setting 'connectionString' is required (the connection string of the connected registry, see 'az acr connected-registry get-settings')"
    )
  }
  return undefined
}

function inCidr(ip: string, family: number, cidr: string): boolean {
  const [network, prefixText] = cidr.split('/')
  const prefix = Number(prefixText)
  const type = family === 6 ? 'ipv6' : 'ipv4'
  if (isIP(network) !== family || !Number.isInteger(prefix)) return false
  const list = new BlockList()
  list.addSubnet(network, prefix, type)
  return list.check(ip, type)
}

function checkTlsMaterial(p: Record<string, string>): string | undefined {
  if (p['tls.secret']?.trim()) return undefined
  const crt = p['tls.crt']
  const keyText = p['tls.key']
  if (!crt || !keyText) {
    return "cert-manager.enabled=false needs TLS material: provide the protected setting 'tls.secret' (name of a kubernetes.io/tls secret) or both 'tls.crt' and 'tls.key' (base64-encoded PEM), or set httpEnabled=true"
  }
  const certPem = decodePem(crt, 'tls.crt')
  if ('error' in certPem) return certPem.error
  const keyPem = decodePem(keyText, 'tls.key')
  if ('error' in keyPem) return keyPem.error
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certPem.pem)
  } catch (e) {
    return `tls.crt does not contain a valid PEM certificate: ${(e as Error).message}`
  }
  try {
    const key = createPrivateKey(keyPem.pem)
    if (!cert.checkPrivateKey(key)) {
      return "tls.key does not match the certificate in tls.crt: the private key does not belong to the certificate's public key"
    }
  } catch (e) {
    return `tls.key does not contain a valid PEM private key: ${(e as Error).message}`
  }
  if (new Date(cert.validTo).getTime() < Date.now()) {
    return `the certificate in tls.crt expired on ${new Date(cert.validTo).toISOString()}`
  }
  return undefined
}

function decodePem(value: string, name: string): { pem: string } | { error: string } {
  if (value.trimStart().startsWith('-----BEGIN')) {
    return { error: `${name} must be the base64 encoding of the PEM text, but raw PEM was given` }
  }
  const pem = Buffer.from(value.trim(), 'base64').toString('utf8')
  if (!pem.includes('-----BEGIN'))
    return { error: `${name} is not the base64 encoding of a PEM document` }
  return { pem }
}

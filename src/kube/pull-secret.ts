// The image pull secret pods use to pull from the connected registry: a
// `kubernetes.io/dockerconfigjson` secret whose server is the connected registry's login server
// in the cluster (its service IP) and whose credentials are the client token's. Written only
// when it differs from what the cluster has, so a re-run with nothing new makes no write.
import { createHash } from 'node:crypto'
import type { Log } from '../ports.js'
import { maskSecret } from '../secrets.js'
import { TEXT } from './messages.js'
import { DOCKER_CONFIG_JSON, type KubernetesCluster, type SecretObject } from './port.js'

export const DOCKER_CONFIG_KEY = '.dockerconfigjson'
/** Marks the secrets the action wrote, so teardown deletes only those. */
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'connected-registry-action' }

export interface PullSecretSpec {
  name: string
  namespaces: string[]
  /** The connected registry's login server in the cluster: its service IP (with a port if any). */
  server: string
  username: string
  /** Secret. */
  password: string
  /** Bookkeeping written with the secret (which password it carries, see passwordRecord). */
  labels?: Record<string, string>
}

/**
 * Labels that say which of the client token's passwords a secret carries: the slot, when Azure
 * made it (Azure lists that, never the value) and a fingerprint of the value. A later run knows
 * from them, without any new password, whether the secret is still current: the same slot made
 * at the same time, and a value that matches the fingerprint.
 */
export const RECORD_LABELS = {
  slot: 'connected-registry-action/password-slot',
  created: 'connected-registry-action/password-created',
  fingerprint: 'connected-registry-action/password-fingerprint'
} as const

const fingerprintOf = (password: string): string =>
  createHash('sha256').update(password, 'utf8').digest('hex').slice(0, 32)

export function passwordRecord(
  slot: string,
  createdMs: number,
  password: string
): Record<string, string> {
  return {
    [RECORD_LABELS.slot]: slot,
    [RECORD_LABELS.created]: String(createdMs),
    [RECORD_LABELS.fingerprint]: fingerprintOf(password)
  }
}

/**
 * The password a secret the action wrote carries, when its record is current: the token's
 * password in the recorded slot was made when the record says, and the value matches.
 * `createdMs` gives, by slot, when Azure made the token's passwords.
 */
export function currentPasswordIn(
  secret: SecretObject,
  username: string,
  createdMs: Partial<Record<string, number>>
): { slot: string; password: string } | undefined {
  const slot = secret.labels[RECORD_LABELS.slot]
  if (!slot || !isManaged(secret)) return undefined
  const made = createdMs[slot]
  if (made === undefined || String(made) !== secret.labels[RECORD_LABELS.created]) return undefined
  const entry = entryOf(secret)
  if (!entry || entry.username !== username || typeof entry.password !== 'string') return undefined
  if (fingerprintOf(entry.password) !== secret.labels[RECORD_LABELS.fingerprint]) return undefined
  return { slot, password: entry.password }
}

export const isManaged = (secret: SecretObject): boolean =>
  Object.entries(MANAGED_BY).every(([k, v]) => secret.labels[k] === v)

/** The one registry entry of a `.dockerconfigjson` secret, with its server. */
function entryOf(secret: SecretObject): (Record<string, unknown> & { server: string }) | undefined {
  if (secret.type !== DOCKER_CONFIG_JSON) return undefined
  let doc: unknown
  try {
    doc = JSON.parse(secret.data[DOCKER_CONFIG_KEY] ?? '')
  } catch {
    return undefined
  }
  const auths = (doc as { auths?: Record<string, Record<string, unknown>> } | null)?.auths
  if (!auths || Object.keys(auths).length !== 1) return undefined
  const [server, entry] = Object.entries(auths)[0]
  return { ...entry, server }
}

export type PullSecretAction = 'created' | 'updated' | 'unchanged'

export interface PullSecretOutcome {
  namespace: string
  name: string
  action: PullSecretAction
}

/** The `.dockerconfigjson` document `kubectl create secret docker-registry` writes. */
export function dockerConfigJson(server: string, username: string, password: string): string {
  const auth = Buffer.from(`${username}:${password}`, 'utf8').toString('base64')
  return JSON.stringify({ auths: { [server]: { username, password, auth } } })
}

/** Masks the password and every document that carries it, in all their encodings. */
export function maskPullSecret(log: Log, spec: PullSecretSpec): void {
  maskSecret(log, spec.password)
  maskSecret(log, Buffer.from(`${spec.username}:${spec.password}`, 'utf8').toString('base64'))
  maskSecret(log, dockerConfigJson(spec.server, spec.username, spec.password))
}

/** What an existing secret holds (an older password, perhaps) is as secret as the new one. */
export function maskExisting(log: Log, secret: SecretObject): void {
  for (const value of Object.values(secret.data)) {
    maskSecret(log, value)
    try {
      const auths = (JSON.parse(value) as { auths?: Record<string, Record<string, unknown>> }).auths
      for (const entry of Object.values(auths ?? {}))
        for (const field of ['password', 'auth', 'identitytoken'])
          if (typeof entry[field] === 'string') maskSecret(log, entry[field])
    } catch {
      // Not JSON: masked as a whole above.
    }
  }
}

/** Whether the secret on the cluster already gives exactly these credentials for this server,
 * with the same bookkeeping. */
export function sameCredentials(existing: SecretObject, spec: PullSecretSpec): boolean {
  const entry = entryOf(existing)
  if (!entry || entry.server !== spec.server) return false
  const auth = Buffer.from(`${spec.username}:${spec.password}`, 'utf8').toString('base64')
  return (
    entry.username === spec.username &&
    entry.password === spec.password &&
    (entry.auth === undefined || entry.auth === auth) &&
    Object.entries(spec.labels ?? {}).every(([k, v]) => existing.labels[k] === v)
  )
}

/**
 * Checks every namespace first (exists, not terminating, no foreign secret of another type in
 * the way), so a bad namespace fails before any write; then writes what differs.
 */
export async function reconcilePullSecrets(
  cluster: KubernetesCluster,
  spec: PullSecretSpec,
  log: Log
): Promise<PullSecretOutcome[]> {
  maskPullSecret(log, spec)
  const existing = new Map<string, SecretObject | undefined>()
  for (const namespace of spec.namespaces) {
    const ns = await cluster.namespace(namespace)
    if (!ns) throw new Error(TEXT.namespaceMissing(namespace))
    if (ns.phase === 'Terminating') throw new Error(TEXT.namespaceTerminating(namespace))
    const secret = await cluster.secret(namespace, spec.name)
    if (secret) maskExisting(log, secret)
    if (secret && secret.type !== DOCKER_CONFIG_JSON)
      throw new Error(TEXT.wrongSecretType(namespace, spec.name, secret.type))
    existing.set(namespace, secret)
  }
  const outcomes: PullSecretOutcome[] = []
  for (const namespace of spec.namespaces) {
    const current = existing.get(namespace)
    if (current && isManaged(current) && sameCredentials(current, spec)) {
      outcomes.push({ namespace, name: spec.name, action: 'unchanged' })
      continue
    }
    await cluster.applySecret({
      namespace,
      name: spec.name,
      type: DOCKER_CONFIG_JSON,
      labels: { ...(current?.labels ?? {}), ...MANAGED_BY, ...spec.labels },
      data: { [DOCKER_CONFIG_KEY]: dockerConfigJson(spec.server, spec.username, spec.password) }
    })
    outcomes.push({ namespace, name: spec.name, action: current ? 'updated' : 'created' })
  }
  return outcomes
}

/** Teardown: deletes the pull secrets the action wrote (labelled as its own), and only those. */
export async function removePullSecrets(
  cluster: KubernetesCluster,
  name: string,
  namespaces: string[]
): Promise<{ namespace: string; deleted: boolean }[]> {
  const out: { namespace: string; deleted: boolean }[] = []
  for (const namespace of namespaces) {
    if (!(await cluster.namespace(namespace))) {
      out.push({ namespace, deleted: false })
      continue
    }
    const secret = await cluster.secret(namespace, name)
    const ours = secret && isManaged(secret)
    out.push({ namespace, deleted: ours ? await cluster.deleteSecret(namespace, name) : false })
  }
  return out
}

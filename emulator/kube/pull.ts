// Image pulls from a connected registry on the cluster: the kubelet presents the pod's
// image pull secret to the registry's login server (the service IP); the registry accepts it
// only for a client token in its `clientTokenIds`, with a current password, whose scope map
// allows reading the repository.
//
// Assumptions (Azure does not document them): the connected registry sees client token and
// scope map changes at once (the real one syncs them from the cloud), and every repository a
// scope map allows is synced and holds the requested tag.
import { key, nameOf } from '../ids.js'
import type { ConnectedRegistry, Token, World } from '../world.js'
import { isRecord } from './objects.js'

export interface ImageRef {
  host: string
  repository: string
  reference: string
}

export function parseImage(image: string): ImageRef {
  const slash = image.indexOf('/')
  const first = slash < 0 ? '' : image.slice(0, slash)
  const hasHost = first.includes('.') || first.includes(':') || first === 'localhost'
  const host = hasHost ? first : 'docker.io'
  let rest = hasHost ? image.slice(slash + 1) : image
  let reference = 'latest'
  const at = rest.indexOf('@')
  if (at >= 0) {
    reference = rest.slice(at + 1)
    rest = rest.slice(0, at)
  } else {
    const colon = rest.lastIndexOf(':')
    if (colon > rest.lastIndexOf('/')) {
      reference = rest.slice(colon + 1)
      rest = rest.slice(0, colon)
    }
  }
  return { host, repository: rest, reference }
}

export interface PullCredentials {
  username: string
  password: string
}

/** Credentials for `host` in a `.dockerconfigjson` document (keys may carry a scheme or path). */
export function credentialsFor(
  dockerConfigJson: string,
  host: string
): PullCredentials | undefined {
  let doc: unknown
  try {
    doc = JSON.parse(dockerConfigJson)
  } catch {
    return undefined
  }
  const auths = isRecord(doc) && isRecord(doc.auths) ? doc.auths : {}
  for (const [server, entry] of Object.entries(auths)) {
    const bare = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '')
    if (bare.toLowerCase() !== host.toLowerCase() || !isRecord(entry)) continue
    if (typeof entry.username === 'string' && typeof entry.password === 'string')
      return { username: entry.username, password: entry.password }
    if (typeof entry.auth === 'string') {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      if (colon > 0)
        return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
    }
  }
  return undefined
}

export type PullDecision = { ok: true } | { ok: false; status: 401 | 403; reason: string }

/** What the connected registry answers to a pull of `repository` with `credentials`. */
export function authorizePull(
  world: World,
  cr: ConnectedRegistry,
  repository: string,
  credentials: PullCredentials | undefined,
  now: number
): PullDecision {
  const unauthorized = (reason: string): PullDecision => ({ ok: false, status: 401, reason })
  if (!credentials) return unauthorized('UNAUTHORIZED: authentication required')
  const token = clientToken(world, cr, credentials.username)
  if (!token)
    return unauthorized(
      `UNAUTHORIZED: token '${credentials.username}' does not exist in registry of connected registry '${cr.name}'`
    )
  if (!cr.clientTokenIds.some((id) => key(id) === key(token.id)))
    return unauthorized(
      `UNAUTHORIZED: client token '${token.name}' is not in the clientTokenIds of connected registry '${cr.name}'`
    )
  if (token.status !== 'enabled')
    return unauthorized(`UNAUTHORIZED: client token '${token.name}' is disabled`)
  const slot = currentPasswordSlot(token, credentials.password, now)
  if (!slot)
    return unauthorized(`UNAUTHORIZED: incorrect password for client token '${token.name}'`)
  const scopeMap = token.scopeMapId ? world.scopeMaps.get(key(token.scopeMapId)) : undefined
  const wanted = `repositories/${repository}/content/read`
  if (!(scopeMap?.actions ?? []).some((a) => actionMatches(a, wanted)))
    return {
      ok: false,
      status: 403,
      reason: `DENIED: requested access to the resource is denied: scope map '${scopeMap?.name ?? nameOf(token.scopeMapId ?? '(none)')}' of client token '${token.name}' does not allow '${wanted}'`
    }
  return { ok: true }
}

/** The password slot whose current, unexpired value is `password` (passwords are read from the token store). */
export function currentPasswordSlot(
  token: Token,
  password: string,
  now: number
): 'password1' | 'password2' | undefined {
  return (['password1', 'password2'] as const).find((slot) => {
    const p = token.passwords[slot]
    return p !== undefined && p.value === password && !(p.expiry && Date.parse(p.expiry) <= now)
  })
}

function clientToken(world: World, cr: ConnectedRegistry, name: string): Token | undefined {
  return [...world.tokens.values()].find(
    (t) => t.registryKey === cr.registryKey && t.name.toLowerCase() === name.toLowerCase()
  )
}

/** Scope map actions may use `*` for a repository segment (as `_repositories_pull` does). */
function actionMatches(pattern: string, action: string): boolean {
  const escaped = pattern
    .toLowerCase()
    .split('*')
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*')
  return new RegExp(`^${escaped}$`).test(action.toLowerCase())
}

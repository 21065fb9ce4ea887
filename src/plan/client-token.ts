// The plan of the client token the action manages for pods (input 'client-token'): its scope
// map, the token, its password and the image pull secrets that carry it. Pure, like every plan.
//
// Azure never returns a password's value, so a run knows the current one only from a pull
// secret the action wrote: its labels record the slot, when Azure made that password and a
// fingerprint of the value (kube/pull-secret.ts). A new password is generated only when no
// current one is known and a secret must be written, when the token is new and its password
// is to be output, or on rotation; always into the slot not in use.

import { ActionError } from '../azure/errors.js'
import {
  clientScopeMapName,
  clientTokenActions,
  repositoriesFromActions
} from '../domain/scope-map.js'
import { TEXT } from '../kube/messages.js'
import { DOCKER_CONFIG_JSON } from '../kube/port.js'
import {
  currentPasswordIn,
  isManaged,
  passwordRecord,
  sameCredentials
} from '../kube/pull-secret.js'
import { nameFromId, type ObservedState } from '../observe.js'
import type { ClientTokenSettings, PasswordSlot, Settings } from '../settings.js'
import {
  clientScopeMapDescription,
  isManagedScopeMap,
  otherSlot,
  resourceIds,
  sameText,
  type FieldChange,
  type PlanStep
} from './model.js'

export interface ClientTokenPlan {
  steps: PlanStep[]
  /** Steps that write pull secrets: after everything else, once the password exists. */
  pullSecretSteps: PlanStep[]
  id: string
  name: string
  slot?: PasswordSlot
  warnings: string[]
}

/** When Azure made each of the token's passwords (ms), by slot. */
export function passwordTimes(observed: ObservedState): Partial<Record<PasswordSlot, number>> {
  const times: Partial<Record<PasswordSlot, number>> = {}
  for (const password of observed.client?.token?.credentials?.passwords ?? []) {
    if (password.name !== 'password1' && password.name !== 'password2') continue
    const made = password.creationTime ? new Date(password.creationTime).getTime() : 0
    times[password.name] = made
  }
  return times
}

/** The repositories the token may read: the input's, else the connected registry's. */
function clientRepositories(
  client: ClientTokenSettings,
  settings: Settings,
  observed: ObservedState
) {
  if (client.repositories.length) return client.repositories
  if (settings.connectedRegistry.repositories.length) return settings.connectedRegistry.repositories
  return repositoriesFromActions(observed.sync.scopeMap?.actions ?? [])
}

export function planClientToken(
  settings: Settings,
  observed: ObservedState,
  options: { rotate: boolean }
): ClientTokenPlan | undefined {
  const client = settings.connectedRegistry.clientToken
  if (!client) return undefined
  const ids = resourceIds(settings)
  const name = client.name
  const warnings: string[] = []
  const steps: PlanStep[] = []
  const token = observed.client?.token
  const scopeMap = observed.client?.scopeMap
  const scopeMapName =
    nameFromId(token?.scopeMapId, 'scopeMaps') ?? scopeMap?.name ?? clientScopeMapName(name)
  const desired = clientTokenActions(clientRepositories(client, settings, observed), client.push)
  const current = scopeMap?.actions ?? []
  const added = desired.filter((a) => !current.some((c) => sameText(c, a)))
  const removed = current.filter((c) => !desired.some((a) => sameText(c, a)))
  const changes: FieldChange[] = [
    ...added.map((a) => ({ field: 'actions', to: `+ ${a}` })),
    ...removed.map((a) => ({ field: 'actions', from: `- ${a}` }))
  ]
  const resource = `Client scope map '${scopeMapName}'`
  steps.push(
    !scopeMap
      ? {
          resource,
          action: 'create',
          changes,
          detail: {
            kind: 'client-scope-map',
            scopeMapName,
            actions: desired,
            description: clientScopeMapDescription(name, settings.target.connectedRegistry)
          }
        }
      : {
          resource,
          action: changes.length ? 'update' : 'unchanged',
          changes,
          // An adopted scope map keeps its description: teardown leaves it, as it leaves
          // everything the action did not create.
          reason:
            changes.length && !isManagedScopeMap(scopeMap.description)
              ? 'adopted: not created by this action'
              : undefined,
          detail: { kind: 'client-scope-map', scopeMapName, actions: desired }
        }
  )
  const scopeMapId = scopeMap?.id ?? ids.scopeMap(scopeMapName)
  const tokenChanges: FieldChange[] = []
  if (token && token.status?.toLowerCase() === 'disabled')
    tokenChanges.push({ field: 'status', from: 'disabled', to: 'enabled' })
  steps.push({
    resource: `Client token '${name}'`,
    action: !token ? 'create' : tokenChanges.length ? 'update' : 'unchanged',
    changes: token ? tokenChanges : [{ field: 'scopeMapId', to: scopeMapName }],
    detail: { kind: 'client-token', tokenName: name, scopeMapId }
  })

  // --- its password and the pull secrets ---
  const times = passwordTimes(observed)
  const secrets = observed.kube?.pullSecrets ?? []
  for (const s of secrets) {
    if (!s.namespacePhase) throw new ActionError(TEXT.namespaceMissing(s.namespace))
    if (s.namespacePhase === 'Terminating')
      throw new ActionError(TEXT.namespaceTerminating(s.namespace))
    if (s.secret && s.secret.type !== DOCKER_CONFIG_JSON)
      throw new ActionError(TEXT.wrongSecretType(s.namespace, s.secret.name, s.secret.type))
  }
  const known = token
    ? secrets
        .map((s) => (s.secret ? currentPasswordIn(s.secret, name, times) : undefined))
        .find((found) => found !== undefined)
    : undefined
  const newest = (Object.entries(times) as [PasswordSlot, number][]).sort(
    (a, b) => b[1] - a[1]
  )[0]?.[0]
  const inUse = (known?.slot as PasswordSlot | undefined) ?? newest
  const reasons: string[] = []
  // A new password nobody receives would only break the clients that hold the old one.
  const delivered = secrets.length > 0 || client.outputPassword
  if (options.rotate && token && delivered) reasons.push('rotation was requested')
  if (options.rotate && token && !delivered) warnings.push(TEXT.clientTokenNotRotated(name))
  if (secrets.length && !known) reasons.push('a pull secret needs it and no current one is known')
  if (!token && client.outputPassword) reasons.push('the token is new')
  const slot: PasswordSlot | undefined = reasons.length
    ? inUse
      ? otherSlot(inUse)
      : 'password1'
    : inUse
  if (reasons.length && slot) {
    steps.push({
      resource: `Client token password (${slot})`,
      action: 'generate',
      changes: [{ field: slot, to: '(sensitive)', sensitive: true }],
      reason: reasons.join('; '),
      detail: { kind: 'client-password', slot }
    })
  }
  const server = settings.extension.serviceClusterIp
  const secretName = settings.kube?.pullSecretName ?? ''
  const pullSecretSteps = secrets.map((s): PlanStep => {
    const step = (action: PlanStep['action'], fields: FieldChange[]): PlanStep => ({
      resource: `Pull secret '${secretName}' in namespace '${s.namespace}'`,
      action,
      changes: fields,
      detail: {
        kind: 'pull-secret',
        namespace: s.namespace,
        name: secretName,
        ...(reasons.length ? {} : { knownPassword: known?.password })
      }
    })
    const credentials: FieldChange[] = [
      { field: 'server', to: server },
      { field: 'username', to: name },
      { field: 'password', to: `(sensitive, ${slot})`, sensitive: true }
    ]
    if (!s.secret) return step('create', credentials)
    const unchanged =
      !reasons.length &&
      known &&
      isManaged(s.secret) &&
      sameCredentials(s.secret, {
        name: secretName,
        namespaces: [],
        server,
        username: name,
        password: known.password,
        labels: passwordRecord(known.slot, times[known.slot as PasswordSlot] ?? 0, known.password)
      })
    return unchanged ? step('unchanged', []) : step('update', credentials)
  })
  if (!secrets.length && !observed.kube && settings.kube?.pullSecretNamespaces.length) {
    warnings.push(TEXT.noClusterAccess(secretName, settings.kube.pullSecretNamespaces))
  }
  return { steps, pullSecretSteps, id: token?.id ?? ids.token(name), name, slot, warnings }
}

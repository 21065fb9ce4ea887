// Microsoft.ContainerRegistry scope maps, tokens and registries/generateCredentials.
// Password values exist only in the generateCredentials result: token GETs list
// the slots (name, creationTime, expiry) without values, as ACR does.
import { X509Certificate, createHash, randomBytes, randomInt } from 'node:crypto'
import { ArmError, conflict, invalidParameter, resourceNotFound } from '../errors.js'
import {
  ACR,
  REGISTRY_TYPE,
  SCOPE_MAP_TYPE,
  TOKEN_TYPE,
  childId,
  key,
  nameOf,
  parseRegistryChildId
} from '../ids.js'
import type { RequestContext, Route } from '../http.js'
import {
  systemData,
  touch,
  type PasswordName,
  type Registry,
  type ScopeMap,
  type Token,
  type TokenCertificate
} from '../world.js'
import { startAcrAction, startAcrDelete, startAcrWrite } from './acr-lro.js'
import { assertUserDefined } from './system-scope-maps.js'
import {
  actor,
  assertNotBusy,
  checkName,
  childById,
  childNamed,
  enumValue,
  jsonBody,
  objectField,
  pagedList,
  requireChild,
  resourceRoutes,
  routeRegistry,
  stringArrayField,
  stringField,
  type ArmEnv
} from './common.js'

const B = `/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/${ACR}/registries/{registryName}`
const MAX_REPOSITORY_ACTIONS = 500
const TOKEN_STATUSES = ['enabled', 'disabled']

/**
 * A fresh password: 48 base64 characters that always contain `+`, `/` and `=`
 * so that clients which mangle them (URL/shell/form encoding) are caught.
 */
export function generatePassword(): string {
  const chars = randomBytes(34).toString('base64').split('') // 48 chars, ends with '=='
  const body = chars.length - 2
  const plus = randomInt(0, body)
  let slash = randomInt(0, body)
  if (slash === plus) slash = (slash + 1) % body
  chars[plus] = '+'
  chars[slash] = '/'
  return chars.join('')
}

export function renderScopeMap(sm: ScopeMap): Record<string, unknown> {
  const properties: Record<string, unknown> = {
    type: sm.systemDefined ? 'SystemDefined' : 'UserDefined',
    creationDate: sm.creationDate,
    provisioningState: sm.provisioningState,
    actions: sm.actions
  }
  if (sm.description !== undefined) properties.description = sm.description
  return { id: sm.id, name: sm.name, type: SCOPE_MAP_TYPE, systemData: sm.systemData, properties }
}

export function renderToken(token: Token): Record<string, unknown> {
  const passwords = (['password1', 'password2'] as const)
    .filter((n) => token.passwords[n])
    .map((n) => {
      const slot = token.passwords[n]!
      return slot.expiry
        ? { name: n, creationTime: slot.creationTime, expiry: slot.expiry }
        : { name: n, creationTime: slot.creationTime }
    })
  const properties: Record<string, unknown> = {
    creationDate: token.creationDate,
    provisioningState: token.provisioningState,
    status: token.status,
    credentials: {
      certificates: token.certificates.map(({ name, thumbprint, expiry }) => ({
        name,
        thumbprint,
        expiry
      })),
      passwords
    }
  }
  if (token.scopeMapId) properties.scopeMapId = token.scopeMapId
  return {
    id: token.id,
    name: token.name,
    type: TOKEN_TYPE,
    systemData: token.systemData,
    properties
  }
}

function checkActions(actions: string[]): void {
  if (actions.length === 0)
    throw invalidParameter(
      "The property 'properties.actions' must contain at least one action.",
      'properties.actions'
    )
  for (const a of actions) {
    if (!/^(repositories|gateway)\/[^/\s]+(\/[^/\s]+)*\/[A-Za-z]+$/.test(a)) {
      throw invalidParameter(
        `The scope map action '${a}' is invalid. Expected 'repositories/<repository>/<action>' or 'gateway/<connected registry>/<action>'.`,
        'properties.actions'
      )
    }
  }
  const repositoryActions = actions.filter((a) => a.startsWith('repositories/')).length
  if (repositoryActions > MAX_REPOSITORY_ACTIONS) {
    throw invalidParameter(
      `A scope map can hold at most ${MAX_REPOSITORY_ACTIONS} repository permissions; got ${repositoryActions}.`,
      'properties.actions'
    )
  }
}

/** Resolves a scope map ID of the same registry, or a 400. */
function scopeMapIn(env: ArmEnv, reg: Registry, scopeMapId: string): ScopeMap {
  const sm = childById(env.world.scopeMaps, reg, 'scopeMaps', scopeMapId)
  if (!sm) {
    throw invalidParameter(
      `The scope map '${scopeMapId}' was not found in registry '${reg.name}'.`,
      'properties.scopeMapId'
    )
  }
  return sm
}

function parseCertificates(value: unknown): TokenCertificate[] {
  if (value === undefined || value === null) return []
  if (!Array.isArray(value))
    throw invalidParameter(
      "'properties.credentials.certificates' must be an array.",
      'properties.credentials.certificates'
    )
  return value.map((c: unknown, i) => {
    const path = `properties.credentials.certificates[${i}]`
    if (typeof c !== 'object' || c === null)
      throw invalidParameter(`'${path}' must be an object.`, path)
    const cert = c as Record<string, unknown>
    const name = enumValue(
      String(cert.name ?? ''),
      ['certificate1', 'certificate2'],
      `${path}.name`
    )
    const encoded =
      typeof cert.encodedPemCertificate === 'string' ? cert.encodedPemCertificate : undefined
    if (!encoded) return { name }
    try {
      const x509 = new X509Certificate(Buffer.from(encoded, 'base64').toString('utf8'))
      return {
        name,
        thumbprint: createHash('sha1').update(x509.raw).digest('hex'),
        expiry: new Date(x509.validTo).toISOString()
      }
    } catch {
      throw invalidParameter(
        `'${path}.encodedPemCertificate' is not a base64-encoded PEM certificate.`,
        `${path}.encodedPemCertificate`
      )
    }
  })
}

/** What PUT and PATCH both may change on a token: its status and its certificates. */
function applyMutable(token: Token, props: Record<string, unknown>): void {
  const statusText = stringField(props, 'status', 'properties.status')
  if (statusText)
    token.status = enumValue(statusText, TOKEN_STATUSES, 'properties.status') as Token['status']
  const credentials = objectField(props, 'credentials', 'properties.credentials')
  if (credentials?.certificates !== undefined)
    token.certificates = parseCertificates(credentials.certificates)
}

export function tokenRoutes(env: ArmEnv): Route[] {
  const { world } = env
  const registry = (ctx: RequestContext): Registry => routeRegistry(world, ctx)
  const findScopeMap = (ctx: RequestContext): ScopeMap =>
    requireChild(world.scopeMaps, registry(ctx), 'scopeMaps', ctx.params.scopeMapName)
  const findToken = (ctx: RequestContext): Token =>
    requireChild(world.tokens, registry(ctx), 'tokens', ctx.params.tokenName)

  // ---- scope maps ----
  const putScopeMap = (ctx: RequestContext) => {
    const reg = registry(ctx)
    const name = ctx.params.scopeMapName
    checkName(
      'scope map',
      name,
      /^[a-zA-Z0-9-_]*$/,
      'alphanumeric characters, dashes and underscores'
    )
    const body = jsonBody(ctx)
    const props = objectField(body, 'properties', 'properties')
    if (!props) throw invalidParameter("The property 'properties' is required.", 'properties')
    const actions = stringArrayField(props, 'actions', 'properties.actions')
    if (!actions)
      throw invalidParameter("The property 'properties.actions' is required.", 'properties.actions')
    checkActions(actions)
    const description = stringField(props, 'description', 'properties.description')
    const id = childId(reg.id, 'scopeMaps', name)
    const existing = world.scopeMaps.get(key(id))
    if (existing) {
      assertUserDefined(existing, 'changed')
      assertNotBusy('scope map', existing)
    }
    const sm: ScopeMap = existing ?? {
      id,
      registryKey: key(reg.id),
      name,
      actions: [],
      creationDate: new Date(ctx.now).toISOString(),
      provisioningState: 'Succeeded',
      systemData: systemData(actor(ctx), ctx.now)
    }
    sm.actions = [...actions]
    sm.description = description
    touch(sm.systemData, actor(ctx), ctx.now)
    world.scopeMaps.set(key(id), sm)
    const headers = startAcrWrite(env, ctx, sm, existing ? 'Updating' : 'Creating', 'scopemaps')
    return { status: existing ? 200 : 201, body: renderScopeMap(sm), headers }
  }

  const patchScopeMap = (ctx: RequestContext) => {
    const sm = findScopeMap(ctx)
    assertUserDefined(sm, 'changed')
    assertNotBusy('scope map', sm)
    const props = objectField(jsonBody(ctx), 'properties', 'properties') ?? {}
    const actions = stringArrayField(props, 'actions', 'properties.actions')
    if (actions) {
      checkActions(actions)
      sm.actions = [...actions]
    }
    const description = stringField(props, 'description', 'properties.description')
    if (description !== undefined) sm.description = description
    touch(sm.systemData, actor(ctx), ctx.now)
    const headers = startAcrWrite(env, ctx, sm, 'Updating', 'scopemaps')
    return { status: 201, body: renderScopeMap(sm), headers }
  }

  const deleteScopeMap = (ctx: RequestContext) => {
    const reg = registry(ctx)
    const sm = childNamed(world.scopeMaps, reg, 'scopeMaps', ctx.params.scopeMapName)
    if (!sm) return { status: 204 }
    assertUserDefined(sm, 'deleted')
    const users = world
      .childrenOf(world.tokens, reg)
      // A token already being deleted no longer holds its scope map (az's `--cleanup` deletes
      // the token and then its scope map without waiting in between).
      .filter(
        (t) =>
          t.scopeMapId && key(t.scopeMapId) === key(sm.id) && t.provisioningState !== 'Deleting'
      )
    if (users.length > 0) {
      throw conflict(
        `The scope map '${sm.name}' is used by token(s) ${users.map((u) => `'${u.name}'`).join(', ')}; delete or re-point them first.`
      )
    }
    assertNotBusy('scope map', sm, '.')
    return startAcrDelete(env, ctx, world.scopeMaps, sm, 'scopemaps')
  }

  // ---- tokens ----
  const putToken = (ctx: RequestContext) => {
    const reg = registry(ctx)
    const name = ctx.params.tokenName
    checkName('token', name, /^[a-zA-Z0-9-]*$/, 'alphanumeric characters and dashes')
    const body = jsonBody(ctx)
    const props = objectField(body, 'properties', 'properties') ?? {}
    const scopeMapId = stringField(props, 'scopeMapId', 'properties.scopeMapId')
    if (!scopeMapId)
      throw invalidParameter(
        "The property 'properties.scopeMapId' is required.",
        'properties.scopeMapId'
      )
    const sm = scopeMapIn(env, reg, scopeMapId)
    const id = childId(reg.id, 'tokens', name)
    const existing = world.tokens.get(key(id))
    if (existing) assertNotBusy('token', existing)
    const token: Token = existing ?? {
      id,
      registryKey: key(reg.id),
      name,
      status: 'enabled',
      creationDate: new Date(ctx.now).toISOString(),
      provisioningState: 'Succeeded',
      passwords: {},
      certificates: [],
      systemData: systemData(actor(ctx), ctx.now)
    }
    applyMutable(token, props)
    token.scopeMapId = sm.id
    touch(token.systemData, actor(ctx), ctx.now)
    world.tokens.set(key(id), token)
    const headers = startAcrWrite(env, ctx, token, existing ? 'Updating' : 'Creating', 'tokens')
    return { status: existing ? 200 : 201, body: renderToken(token), headers }
  }

  const patchToken = (ctx: RequestContext) => {
    const reg = registry(ctx)
    const token = findToken(ctx)
    assertNotBusy('token', token)
    const props = objectField(jsonBody(ctx), 'properties', 'properties') ?? {}
    const scopeMapId = stringField(props, 'scopeMapId', 'properties.scopeMapId')
    if (scopeMapId) token.scopeMapId = scopeMapIn(env, reg, scopeMapId).id
    applyMutable(token, props)
    touch(token.systemData, actor(ctx), ctx.now)
    const headers = startAcrWrite(env, ctx, token, 'Updating', 'tokens')
    return { status: 201, body: renderToken(token), headers }
  }

  const deleteToken = (ctx: RequestContext) => {
    const reg = registry(ctx)
    const token = childNamed(world.tokens, reg, 'tokens', ctx.params.tokenName)
    if (!token) return { status: 204 }
    const syncOf = world
      .childrenOf(world.connectedRegistries, reg)
      .find((c) => key(c.syncTokenId) === key(token.id) && c.provisioningState !== 'Deleting')
    if (syncOf) {
      throw conflict(
        `The token '${token.name}' is the sync token of connected registry '${syncOf.name}' and cannot be deleted until the connected registry is deleted. To disable the connected registry, set the token status to 'disabled'.`
      )
    }
    assertNotBusy('token', token, '.')
    return startAcrDelete(env, ctx, world.tokens, token, 'tokens')
  }

  // ---- generateCredentials ----
  const generateCredentials = (ctx: RequestContext) => {
    const reg = registry(ctx)
    const body = jsonBody(ctx)
    const tokenId = stringField(body, 'tokenId', 'tokenId')
    if (!tokenId) throw invalidParameter("The property 'tokenId' is required.", 'tokenId')
    const token = childById(world.tokens, reg, 'tokens', tokenId)
    if (!token) {
      throw resourceNotFound(
        `${REGISTRY_TYPE}/${reg.name}/tokens`,
        parseRegistryChildId(tokenId)?.name ?? nameOf(tokenId),
        reg.resourceGroup
      )
    }
    const nameText = stringField(body, 'name', 'name')
    const slots: PasswordName[] = nameText
      ? [enumValue(nameText, ['password1', 'password2'], 'name') as PasswordName]
      : ['password1', 'password2']
    const expiry = stringField(body, 'expiry', 'expiry')
    if (expiry !== undefined && Number.isNaN(Date.parse(expiry)))
      throw invalidParameter(
        `The value '${expiry}' of 'expiry' is not a valid date-time.`,
        'expiry'
      )
    const headers = startAcrAction(env, ctx, reg.id, 'registries', (t) => {
      const current = world.tokens.get(key(token.id))
      if (!current)
        return {
          status: 404,
          body: new ArmError(
            404,
            'TokenNotFound',
            `The token '${token.name}' was deleted.`
          ).toBody()
        }
      const creationTime = new Date(t).toISOString()
      const passwords = slots.map((name) => {
        const slot = {
          value: generatePassword(),
          creationTime,
          ...(expiry ? { expiry: new Date(expiry).toISOString() } : {})
        }
        current.passwords[name] = slot
        world.recordEvent(
          t,
          current.id,
          `credentials.${name}`,
          null,
          'regenerated',
          'generateCredentials'
        )
        return { name, ...slot }
      })
      if (expiry)
        world.schedule(
          Date.parse(expiry),
          `token ${current.name}: password expiry`,
          () => undefined
        )
      return { status: 200, body: { username: current.name, passwords } }
    })
    return { status: 202, headers }
  }

  return [
    ...resourceRoutes({
      operation: 'ScopeMaps',
      collection: `${B}/scopeMaps`,
      item: `${B}/scopeMaps/{scopeMapName}`,
      actionType: SCOPE_MAP_TYPE,
      list: (ctx) =>
        pagedList(ctx, world, world.childrenOf(world.scopeMaps, registry(ctx)).map(renderScopeMap)),
      get: (ctx) => ({ status: 200, body: renderScopeMap(findScopeMap(ctx)) }),
      create: putScopeMap,
      update: patchScopeMap,
      remove: deleteScopeMap
    }),
    ...resourceRoutes({
      operation: 'Tokens',
      collection: `${B}/tokens`,
      item: `${B}/tokens/{tokenName}`,
      actionType: TOKEN_TYPE,
      list: (ctx) =>
        pagedList(ctx, world, world.childrenOf(world.tokens, registry(ctx)).map(renderToken)),
      get: (ctx) => ({ status: 200, body: renderToken(findToken(ctx)) }),
      create: putToken,
      update: patchToken,
      remove: deleteToken
    }),
    {
      method: 'POST',
      pattern: `${B}/generateCredentials`,
      operation: 'Registries_GenerateCredentials',
      kind: 'arm',
      write: true,
      action: `${ACR}/registries/generateCredentials/action`,
      handle: generateCredentials
    }
  ]
}

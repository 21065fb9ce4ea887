// Emulated Microsoft Entra ID (enough for @azure/identity / msal-node with
// `authorityHost` + `disableInstanceDiscovery: true`) and the GitHub Actions
// OIDC token endpoint used by `@actions/core` getIDToken().
//
// msal-node first GETs `<authority>/v2.0/.well-known/openid-configuration`
// (authority = `<host>/<tenant>/`), then POSTs a form to its `token_endpoint`:
// grant_type=client_credentials, client_id, scope=<resource>/.default and either
// client_secret or client_assertion(+_type jwt-bearer); it also sends
// `claims` (CAE) and x-client-* telemetry, which are ignored here.
//
// az (MSAL for Python) against a custom cloud skips instance discovery only for an
// AD FS-style authority, so the same grants are also served under `<host>/adfs`
// (`/adfs/.well-known/openid-configuration`, `/adfs/oauth2/token`); az asks the scope
// `<ARM endpoint>//.default`, whose resource keeps its trailing slash.
import { randomUUID } from 'node:crypto'
import { ArmError } from './errors.js'
import type { Principal, Reply, RequestContext, Route } from './http.js'
import {
  createSigningKey,
  decodeJwt,
  jwk,
  signJwt,
  verifySignature,
  type SigningKey
} from './jwt.js'
import type { ServicePrincipal, World } from './world.js'

export const GITHUB_OIDC_ISSUER = 'https://token.actions.githubusercontent.com'
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange'
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/** Audiences ARM accepts, besides the emulator URL itself. */
const ARM_AUDIENCES = [
  'https://management.azure.com',
  'https://management.core.windows.net',
  'https://management.usgovcloudapi.net',
  'https://management.core.usgovcloudapi.net',
  'https://management.chinacloudapi.cn',
  'https://management.core.chinacloudapi.cn'
]

interface IssuedToken {
  token: string
  issuedAtMs: number
  expiresAtMs: number
}

export type AccessTokenCheck =
  | { ok: true; principal: Principal }
  | {
      ok: false
      code:
        | 'AuthenticationFailed'
        | 'InvalidAuthenticationToken'
        | 'ExpiredAuthenticationToken'
        | 'InvalidAuthenticationTokenAudience'
      message: string
      description: string
    }

export class TokenService {
  private readonly armKey: SigningKey = createSigningKey('emulator-entra')
  private readonly githubKey: SigningKey = createSigningKey('emulator-github')
  private readonly accessTokens = new Map<string, IssuedToken>()
  private readonly oidcTokens = new Map<string, IssuedToken>()
  /** Tokens issued at or before this instant count as expired (expireAllTokens). */
  private revokedUpTo = -1

  constructor(
    private readonly world: World,
    private readonly baseUrl: () => string
  ) {}

  expireAll(now: number): void {
    this.revokedUpTo = now
  }

  issuedAccessTokens(): string[] {
    return [...this.accessTokens.values()].map((t) => t.token)
  }

  issuedOidcTokens(): string[] {
    return [...this.oidcTokens.values()].map((t) => t.token)
  }

  /** Mints an ARM access token for a service principal (also used by in-process test credentials). */
  issueAccessToken(
    sp: ServicePrincipal,
    resource: string,
    now: number
  ): { token: string; expiresOnTimestamp: number } {
    const lifetimeMs = this.world.timing.tokenLifetimeSeconds * 1000
    const jti = randomUUID()
    const iat = Math.floor(now / 1000)
    const expiresAtMs = now + lifetimeMs
    const tenantId = this.world.tenantId
    const token = signJwt(this.armKey, {
      aud: resource,
      iss: `${this.baseUrl()}/${tenantId}/`,
      iat,
      nbf: iat,
      exp: Math.floor(expiresAtMs / 1000),
      appid: sp.clientId,
      azp: sp.clientId,
      appidacr: '1',
      idtyp: 'app',
      oid: sp.objectId,
      sub: sp.objectId,
      tid: tenantId,
      uti: jti,
      ver: '1.0'
    })
    this.accessTokens.set(jti, { token, issuedAtMs: now, expiresAtMs })
    return { token, expiresOnTimestamp: expiresAtMs }
  }

  /** Verifies the `Authorization` header of an ARM request. */
  checkAuthorization(header: string | undefined, now: number): AccessTokenCheck {
    if (!header) {
      return {
        ok: false,
        code: 'AuthenticationFailed',
        message: "Authentication failed. The 'Authorization' header is missing.",
        description: "The authentication failed because of missing 'Authorization' header."
      }
    }
    const m = /^Bearer\s+(\S+)$/i.exec(header.trim())
    if (!m) {
      return {
        ok: false,
        code: 'AuthenticationFailed',
        message:
          "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        description:
          "The authentication failed because of an invalid 'Authorization' header format."
      }
    }
    const invalid: AccessTokenCheck = {
      ok: false,
      code: 'InvalidAuthenticationToken',
      message: 'The access token is invalid.',
      description: 'The access token is invalid.'
    }
    const decoded = decodeJwt(m[1])
    if (!decoded || !verifySignature(decoded, this.armKey)) return invalid
    const jti = String(decoded.payload.uti ?? '')
    const issued = this.accessTokens.get(jti)
    if (!issued) return invalid
    const revoked = issued.issuedAtMs <= this.revokedUpTo
    // A revoked token (expireAllTokens) is reported as having expired when it was revoked.
    const expUtc = new Date(revoked ? this.revokedUpTo : issued.expiresAtMs).toISOString()
    if (issued.expiresAtMs <= now || revoked) {
      return {
        ok: false,
        code: 'ExpiredAuthenticationToken',
        message: `The access token expiry UTC time '${expUtc}' is earlier than current UTC time '${new Date(now).toISOString()}'.`,
        description: 'The access token has expired.'
      }
    }
    const aud = String(decoded.payload.aud ?? '').replace(/\/+$/, '')
    const allowed = [this.baseUrl(), ...ARM_AUDIENCES]
    if (!allowed.includes(aud)) {
      return {
        ok: false,
        code: 'InvalidAuthenticationTokenAudience',
        message: `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences ${allowed.map((a) => `'${a}/'`).join(',')}.`,
        description: 'The access token has an invalid audience.'
      }
    }
    return {
      ok: true,
      principal: {
        clientId: String(decoded.payload.appid),
        objectId: String(decoded.payload.oid),
        tenantId: String(decoded.payload.tid)
      }
    }
  }

  /** A GitHub Actions OIDC token, as getIDToken() would return it. */
  issueOidcToken(audience: string, now: number): string {
    const gh = this.world.github
    const iat = Math.floor(now / 1000)
    const expiresAtMs = now + this.world.timing.oidcTokenLifetimeSeconds * 1000
    const jti = randomUUID()
    const owner = gh.repository.split('/')[0] ?? ''
    const claims: Record<string, unknown> = {
      jti,
      sub: gh.subject,
      aud: audience,
      ref: gh.ref,
      sha: gh.sha,
      repository: gh.repository,
      repository_owner: owner,
      run_id: gh.runId,
      run_number: '1',
      run_attempt: '1',
      actor: gh.actor,
      workflow: gh.workflow,
      event_name: gh.eventName,
      ref_type: 'branch',
      job_workflow_ref: `${gh.repository}/.github/workflows/deploy.yml@${gh.ref}`,
      iss: GITHUB_OIDC_ISSUER,
      nbf: iat - 5,
      iat,
      exp: Math.floor(expiresAtMs / 1000)
    }
    if (gh.environment) claims.environment = gh.environment
    const token = signJwt(this.githubKey, claims)
    this.oidcTokens.set(jti, { token, issuedAtMs: now, expiresAtMs })
    return token
  }

  jwks(): { keys: Record<string, unknown>[] } {
    return { keys: [jwk(this.armKey)] }
  }

  /** Checks a federated client assertion; returns an AAD error or undefined when accepted. */
  checkAssertion(sp: ServicePrincipal, assertion: string, now: number): AadError | undefined {
    const decoded = decodeJwt(assertion)
    if (!decoded)
      return aadError(400, 'invalid_client', 50027, 'JWT token is invalid or malformed.')
    const iss = String(decoded.payload.iss ?? '')
    const issued = this.oidcTokens.get(String(decoded.payload.jti ?? ''))
    if (!verifySignature(decoded, this.githubKey) || !issued)
      return noFederatedMatch(700211, 'issuer', iss)
    const nbf = Number(decoded.payload.nbf ?? 0) * 1000
    const exp = Number(decoded.payload.exp ?? 0) * 1000
    if (exp <= now || nbf > now + 300_000) {
      return aadError(
        400,
        'invalid_client',
        700024,
        `Client assertion is not within its valid time range. Current time: ${new Date(now).toISOString()}, assertion valid from ${new Date(nbf).toISOString()}, expiry time of assertion ${new Date(exp).toISOString()}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`
      )
    }
    const byIssuer = sp.federatedCredentials.filter((f) => f.issuer === iss)
    if (byIssuer.length === 0) return noFederatedMatch(700211, 'issuer', iss)
    const sub = String(decoded.payload.sub ?? '')
    const bySubject = byIssuer.filter((f) => f.subject === sub)
    if (bySubject.length === 0) return noFederatedMatch(700213, 'subject', sub)
    const aud = decoded.payload.aud
    const audiences = Array.isArray(aud) ? aud.map(String) : [String(aud ?? '')]
    if (!bySubject.some((f) => f.audiences.some((a) => audiences.includes(a))))
      return noFederatedMatch(700212, 'audience', audiences.join(','))
    return undefined
  }
}

export interface AadError {
  status: number
  error: string
  code: number
  description: string
}

function aadError(status: number, error: string, code: number, description: string): AadError {
  return { status, error, code, description }
}

/** AADSTS700211/700213/700212: no federated credential matches the assertion's issuer, subject or audience. */
function noFederatedMatch(
  code: number,
  claim: 'issuer' | 'subject' | 'audience',
  value: string
): AadError {
  return aadError(
    400,
    'invalid_client',
    code,
    `No matching federated identity record found for presented assertion ${claim} '${value}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`
  )
}

function aadReply(e: AadError, ctx: RequestContext): Reply {
  const timestamp = new Date(ctx.now)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')
  const traceId = randomUUID()
  const correlationId = randomUUID()
  return {
    status: e.status,
    body: {
      error: e.error,
      error_description: `AADSTS${e.code}: ${e.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [e.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `${ctx.baseUrl}/error?code=${e.code}`
    }
  }
}

/** AADSTS7000215: the client secret (or the Basic credentials carrying it) is not valid. */
function invalidClientSecret(clientId: string): AadError {
  return aadError(
    401,
    'invalid_client',
    7000215,
    `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`
  )
}

/**
 * `client_secret_basic` credentials (both parts form-urlencoded); `malformed` carries the raw
 * client id when a part is not valid percent-encoding.
 */
function basicAuth(
  header: string | undefined
): { id: string; secret: string } | { malformed: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '')
  if (!m) return undefined
  const decoded = Buffer.from(m[1], 'base64').toString('utf8')
  const i = decoded.indexOf(':')
  if (i < 0) return undefined
  try {
    return {
      id: decodeURIComponent(decoded.slice(0, i)),
      secret: decodeURIComponent(decoded.slice(i + 1))
    }
  } catch {
    return { malformed: decoded.slice(0, i) }
  }
}

export function identityRoutes(world: World, tokens: TokenService): Route[] {
  const tenantMatches = (tenant: string): boolean =>
    tenant.toLowerCase() === world.tenantId.toLowerCase()
  const unknownTenant = (ctx: RequestContext, tenant: string): Reply =>
    aadReply(
      aadError(
        400,
        'invalid_request',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`
      ),
      ctx
    )

  /**
   * OpenID metadata of an authority: the tenant's v2.0 one (`<host>/<tenant>/v2.0`), or the
   * AD FS-style one (`<host>/adfs`) that az's MSAL reads without instance discovery.
   */
  const openIdMetadata = (ctx: RequestContext, flavour: 'tenant' | 'adfs'): Reply => {
    const authority =
      flavour === 'adfs' ? `${ctx.baseUrl}/adfs` : `${ctx.baseUrl}/${world.tenantId}`
    const v2 = flavour === 'adfs' ? '' : '/v2.0'
    return {
      status: 200,
      body: {
        token_endpoint: `${authority}/oauth2${v2}/token`,
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'private_key_jwt',
          'client_secret_basic'
        ],
        jwks_uri: `${authority}/discovery${v2}/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['ES256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${authority}${v2}`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${authority}/openid/userinfo`,
        authorization_endpoint: `${authority}/oauth2${v2}/authorize`,
        device_authorization_endpoint: `${authority}/oauth2${v2}/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${authority}/oauth2${v2}/logout`,
        claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'nbf', 'tid', 'oid'],
        ...(flavour === 'adfs'
          ? {}
          : {
              tenant_region_scope: 'NA',
              cloud_instance_name: 'emulator.local',
              cloud_graph_host_name: 'graph.emulator.local',
              msgraph_host: 'graph.emulator.local'
            })
      }
    }
  }

  const openIdConfiguration = (ctx: RequestContext): Reply => {
    const tenant = ctx.params.tenant
    if (!tenantMatches(tenant)) return unknownTenant(ctx, tenant)
    return openIdMetadata(ctx, 'tenant')
  }

  const tokenRequest = (ctx: RequestContext): Reply => {
    const tenant = ctx.params.tenant
    if (!tenantMatches(tenant)) return unknownTenant(ctx, tenant)
    return issueToken(ctx)
  }

  /** The client-credentials grant, shared by the tenant and the AD FS-style token endpoints. */
  const issueToken = (ctx: RequestContext): Reply => {
    const form = new URLSearchParams(ctx.rawBody)
    const grantType = form.get('grant_type') ?? ''
    if (grantType !== 'client_credentials') {
      return aadReply(
        aadError(
          400,
          'unsupported_grant_type',
          70003,
          `The app requested an unsupported grant type '${grantType}'. The emulator supports only 'client_credentials'.`
        ),
        ctx
      )
    }
    const basic = basicAuth(ctx.headers.authorization)
    if (basic && 'malformed' in basic)
      return aadReply(invalidClientSecret(form.get('client_id') ?? basic.malformed), ctx)
    const clientId = form.get('client_id') ?? basic?.id ?? ''
    if (!clientId) {
      return aadReply(
        aadError(
          400,
          'invalid_request',
          900144,
          "The request body must contain the following parameter: 'client_id'."
        ),
        ctx
      )
    }
    const sp = world.servicePrincipals.get(clientId.toLowerCase())
    if (!sp) {
      return aadReply(
        aadError(
          400,
          'unauthorized_client',
          700016,
          `Application with identifier '${clientId}' was not found in the directory '${world.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`
        ),
        ctx
      )
    }
    const scopes = (form.get('scope') ?? '').split(/\s+/).filter(Boolean)
    const defaultScope = scopes.find((s) => s.endsWith('/.default'))
    if (!defaultScope) {
      return aadReply(
        aadError(
          400,
          'invalid_scope',
          1002012,
          `The provided value for scope ${scopes.join(' ') || '(none)'} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`
        ),
        ctx
      )
    }
    const secret = form.get('client_secret') ?? basic?.secret
    const assertion = form.get('client_assertion')
    if (assertion !== null) {
      if (form.get('client_assertion_type') !== JWT_BEARER) {
        return aadReply(
          aadError(
            400,
            'invalid_request',
            50027,
            `Invalid client_assertion_type '${form.get('client_assertion_type') ?? ''}'; expected '${JWT_BEARER}'.`
          ),
          ctx
        )
      }
      const problem = tokens.checkAssertion(sp, assertion, ctx.now)
      if (problem) return aadReply(problem, ctx)
    } else if (secret !== undefined && secret !== null) {
      if (secret !== sp.clientSecret) {
        return aadReply(invalidClientSecret(sp.clientId), ctx)
      }
    } else {
      return aadReply(
        aadError(
          401,
          'invalid_client',
          7000218,
          "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
        ),
        ctx
      )
    }
    ctx.principal = { clientId: sp.clientId, objectId: sp.objectId, tenantId: world.tenantId }
    const resource = defaultScope.slice(0, -'/.default'.length)
    const issued = tokens.issueAccessToken(sp, resource, ctx.now)
    const expiresIn = Math.max(0, Math.round((issued.expiresOnTimestamp - ctx.now) / 1000))
    return {
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: expiresIn,
        ext_expires_in: expiresIn,
        access_token: issued.token
      }
    }
  }

  const githubIdToken = (ctx: RequestContext): Reply => {
    const m = /^Bearer\s+(\S+)$/i.exec(ctx.headers.authorization ?? '')
    if (!m || m[1] !== world.github.requestToken) {
      return {
        status: 401,
        body: { message: 'Unauthorized: invalid or missing ACTIONS_ID_TOKEN_REQUEST_TOKEN' }
      }
    }
    // GitHub's default audience is the URL of the repository owner.
    const audience =
      ctx.query.get('audience') ?? `https://github.com/${world.github.repository.split('/')[0]}`
    return { status: 200, body: { count: 1, value: tokens.issueOidcToken(audience, ctx.now) } }
  }

  return [
    // The AD FS-style authority first, so `adfs` is never taken for a tenant.
    {
      method: 'GET',
      pattern: '/adfs/.well-known/openid-configuration',
      operation: 'OpenIdConfiguration_Get',
      kind: 'identity',
      handle: (ctx) => openIdMetadata(ctx, 'adfs')
    },
    {
      method: 'POST',
      pattern: '/adfs/oauth2/token',
      operation: 'Token_Request',
      kind: 'identity',
      handle: issueToken
    },
    {
      method: 'GET',
      pattern: '/adfs/discovery/keys',
      operation: 'Keys_Get',
      kind: 'identity',
      handle: () => ({ status: 200, body: tokens.jwks() })
    },
    {
      method: 'GET',
      pattern: '/{tenant}/v2.0/.well-known/openid-configuration',
      operation: 'OpenIdConfiguration_Get',
      kind: 'identity',
      handle: openIdConfiguration
    },
    {
      method: 'GET',
      pattern: '/{tenant}/.well-known/openid-configuration',
      operation: 'OpenIdConfiguration_Get',
      kind: 'identity',
      handle: openIdConfiguration
    },
    {
      method: 'POST',
      pattern: '/{tenant}/oauth2/v2.0/token',
      operation: 'Token_Request',
      kind: 'identity',
      handle: tokenRequest
    },
    {
      method: 'GET',
      pattern: '/{tenant}/discovery/v2.0/keys',
      operation: 'Keys_Get',
      kind: 'identity',
      handle: () => ({ status: 200, body: tokens.jwks() })
    },
    {
      method: 'GET',
      pattern: '/_github/idtoken',
      operation: 'Oidc_Token',
      kind: 'github',
      handle: githubIdToken
    }
  ]
}

/** 401 for ARM with the WWW-Authenticate challenge ARM sends. */
export function authenticationError(
  check: Exclude<AccessTokenCheck, { ok: true }>,
  baseUrl: string,
  tenantId: string
): ArmError {
  return new ArmError(401, check.code, check.message, {
    headers: {
      'WWW-Authenticate': `Bearer authorization_uri="${baseUrl}/${tenantId}", error="invalid_token", error_description="${check.description}"`
    }
  })
}

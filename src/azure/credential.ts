import fs from 'node:fs'
import path from 'node:path'
import {
  AzureCliCredential,
  ClientAssertionCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type TokenCredential
} from '@azure/identity'
import type { CloudSettings } from '../settings.js'
import type { Log } from '../ports.js'
import { maskSecret } from '../secrets.js'
import { ActionError, messageOf } from './errors.js'

/** A credential whose cached tokens can be dropped (see the bearer policy in clients.ts). */
export interface RefreshableCredential extends TokenCredential {
  /** Forgets every cached token: the next getToken asks the identity provider again. */
  invalidate(): void
}

export interface SignIn {
  credential: RefreshableCredential
  /** Which sign-in was chosen, for the log and the summary (no secret in it). */
  method: string
}

export interface SignInDependencies {
  /** The workflow's GitHub OIDC token for an audience (core.getIDToken). */
  getIdToken(audience: string): Promise<string>
  env: NodeJS.ProcessEnv
  log: Log
}

function isOnPath(command: string, env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '')
    .split(path.delimiter)
    .some((dir) => dir && fs.existsSync(path.join(dir, command)))
}

/**
 * Picks the sign-in, most explicit first: federated (client-id + tenant-id inputs with the
 * workflow's OIDC token), a client secret from the environment, the Azure CLI session left by
 * azure/login, then a managed identity (self-hosted runners). Federated sign-in asks GitHub for
 * a fresh OIDC token on each token request, so long waits survive the token's short life,
 * unlike the CLI session of an OIDC azure/login.
 */
export function chooseSignIn(cloud: CloudSettings, deps: SignInDependencies): SignIn {
  const { env } = deps
  const options = {
    authorityHost: cloud.authorityHost,
    // Instance discovery asks the public cloud about the authority: wrong for custom hosts.
    disableInstanceDiscovery: cloud.customEndpoints
  }
  let signIn: { credential: () => TokenCredential; method: string }
  if (cloud.clientId && cloud.tenantId) {
    if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
      throw new ActionError(
        "Federated sign-in (inputs 'client-id' and 'tenant-id') needs the workflow's OIDC token, " +
          'but ACTIONS_ID_TOKEN_REQUEST_URL is not set. Add `permissions: id-token: write` to the job. ' +
          'A pull request from a fork gets no OIDC token and no secrets: skip the job for forks ' +
          '(if: github.event.pull_request.head.repo.full_name == github.repository), as examples/pr-plan.yml does.'
      )
    }
    const { audience, tenantId, clientId } = cloud
    // core.getIDToken masks the raw token; its other forms are masked here.
    let idTokenFailure: ActionError | undefined
    const idToken = async (): Promise<string> => {
      try {
        const token = await fetchIdToken(() => deps.getIdToken(audience), audience)
        maskSecret(deps.log, token)
        idTokenFailure = undefined
        return token
      } catch (error) {
        idTokenFailure = error as ActionError
        throw error
      }
    }
    signIn = {
      // The credential wraps a failure of its assertion callback in its own error: our message
      // about the OIDC token says more, so it is thrown instead.
      credential: () =>
        explaining(
          new ClientAssertionCredential(tenantId, clientId, idToken, options),
          (error) => idTokenFailure ?? error
        ),
      method: `federated credential (GitHub OIDC) for client ${cloud.clientId}`
    }
  } else if (env.AZURE_CLIENT_ID && env.AZURE_TENANT_ID && env.AZURE_CLIENT_SECRET) {
    const { AZURE_TENANT_ID: tenantId, AZURE_CLIENT_ID: clientId } = env
    const secret = env.AZURE_CLIENT_SECRET
    // The runner masks a secret only in the raw form it was given; mask its encodings too.
    maskSecret(deps.log, secret)
    signIn = {
      credential: () => new ClientSecretCredential(tenantId, clientId, secret, options),
      method: `client secret (AZURE_CLIENT_ID ${env.AZURE_CLIENT_ID})`
    }
  } else if (isOnPath('az', env)) {
    signIn = {
      credential: () =>
        explainUnavailable(
          new AzureCliCredential({ tenantId: cloud.tenantId }),
          'the Azure CLI is not signed in (no azure/login step ran before this one)',
          env
        ),
      method: 'Azure CLI session (azure/login)'
    }
  } else if (env.RUNNER_ENVIRONMENT === 'github-hosted') {
    // GitHub-hosted runners never have a managed identity: trying one only delays the message.
    throw noCredentials('GitHub-hosted runners have no managed identity to fall back on', env)
  } else {
    signIn = {
      credential: () =>
        explainUnavailable(
          new ManagedIdentityCredential(
            env.AZURE_CLIENT_ID ? { clientId: env.AZURE_CLIENT_ID } : {}
          ),
          'the runner has no usable managed identity',
          env
        ),
      method: 'managed identity of the runner'
    }
  }
  return { method: signIn.method, credential: maskingCredential(signIn.credential, deps.log) }
}

/** `inner`, with what its getToken throws replaced by what `explain` makes of it. */
function explaining(inner: TokenCredential, explain: (error: unknown) => unknown): TokenCredential {
  return {
    async getToken(scopes, options) {
      try {
        return await inner.getToken(scopes, options)
      } catch (error) {
        throw explain(error)
      }
    }
  }
}

/** Pauses between attempts to get the workflow's OIDC token. */
export const ID_TOKEN_RETRY_DELAYS_MS = [1_000, 3_000]

/**
 * Asks GitHub for the workflow's OIDC token, again after a failure: @actions/core retries
 * only 502-504, and a token service hiccup should not fail a scheduled deploy.
 */
async function fetchIdToken(get: () => Promise<string>, audience: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await get()
    } catch (error) {
      if (attempt >= ID_TOKEN_RETRY_DELAYS_MS.length) {
        const detail = messageOf(error).replace(/\s+/g, ' ').trim()
        throw new ActionError(
          `Getting the workflow's OIDC token from GitHub (audience ${audience}) failed ${attempt + 1} times: ${detail.replace(/[.,]$/, '')}. If GitHub's token service is unavailable, re-run the step; otherwise check that the job has \`permissions: id-token: write\`.`
        )
      }
      await new Promise((resolve) => setTimeout(resolve, ID_TOKEN_RETRY_DELAYS_MS[attempt]))
    }
  }
}

/** No sign-in was configured and the fallback found nothing: say what to provide. */
function noCredentials(reason: string, env: NodeJS.ProcessEnv): ActionError {
  const fromPullRequest = env.GITHUB_EVENT_NAME === 'pull_request'
  return new ActionError(
    `No Azure credentials to sign in with: ${reason}. Provide one of: the inputs 'client-id' and ` +
      "'tenant-id' for federated sign-in with the workflow's OIDC token (the job needs " +
      '`permissions: id-token: write`); the environment variables AZURE_CLIENT_ID, AZURE_TENANT_ID ' +
      'and AZURE_CLIENT_SECRET; or an azure/login step before this one.' +
      (fromPullRequest
        ? ' This run was triggered by a pull request: GitHub gives runs for pull requests from ' +
          'forks no secrets, no configuration variables and no OIDC token, so they cannot sign in ' +
          'to Azure. Skip the step for forks (if: github.event.pull_request.head.repo.full_name ' +
          '== github.repository).'
        : '')
  )
}

/** The fallback sign-ins are tried only because nothing was configured, so their
 * "unavailable" means no credentials at all: a message naming what to provide says more than
 * the credential's own. Other failures (a real sign-in that Azure refuses) pass unchanged. */
function explainUnavailable(
  inner: TokenCredential,
  reason: string,
  env: NodeJS.ProcessEnv
): TokenCredential {
  return explaining(inner, (error) =>
    error instanceof Error && error.name === 'CredentialUnavailableError'
      ? noCredentials(`${reason} (${error.message.trim().replace(/\.$/, '')})`, env)
      : error
  )
}

/**
 * Registers every access token as a secret before anything could print it. `invalidate`
 * replaces the inner credential with a new one, whose empty cache makes the next request go to
 * the identity provider: the way to replace a token Azure rejected as expired while MSAL still
 * considers it valid. (Concurrent requests are already shared by AccessTokenSource, the only
 * caller.)
 */
function maskingCredential(make: () => TokenCredential, log: Log): RefreshableCredential {
  let inner = make()
  return {
    invalidate() {
      inner = make()
    },
    async getToken(scopes, options) {
      const token = await inner.getToken(scopes, options)
      if (token) maskSecret(log, token.token)
      return token
    }
  }
}

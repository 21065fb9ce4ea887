import fs from 'node:fs'
import path from 'node:path'
import {
  AzureCliCredential,
  ClientAssertionCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type AccessToken,
  type TokenCredential
} from '@azure/identity'
import type { CloudSettings } from '../settings.js'
import type { Log } from '../ports.js'
import { ActionError } from './errors.js'

export interface SignIn {
  credential: TokenCredential
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
  let signIn: SignIn
  if (cloud.clientId && cloud.tenantId) {
    if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN) {
      throw new ActionError(
        "Federated sign-in (inputs 'client-id' and 'tenant-id') needs the workflow's OIDC token, " +
          'but ACTIONS_ID_TOKEN_REQUEST_URL is not set. Add `permissions: id-token: write` to the job. ' +
          'Workflows triggered by a pull request from a fork get no OIDC token and no secrets: run ' +
          "'operation: plan' from a pull_request_target or workflow_run workflow instead."
      )
    }
    const audience = cloud.audience
    signIn = {
      credential: new ClientAssertionCredential(
        cloud.tenantId,
        cloud.clientId,
        () => deps.getIdToken(audience),
        options
      ),
      method: `federated credential (GitHub OIDC) for client ${cloud.clientId}`
    }
  } else if (env.AZURE_CLIENT_ID && env.AZURE_TENANT_ID && env.AZURE_CLIENT_SECRET) {
    signIn = {
      credential: new ClientSecretCredential(
        env.AZURE_TENANT_ID,
        env.AZURE_CLIENT_ID,
        env.AZURE_CLIENT_SECRET,
        options
      ),
      method: `client secret (AZURE_CLIENT_ID ${env.AZURE_CLIENT_ID})`
    }
  } else if (isOnPath('az', env)) {
    signIn = {
      credential: explainUnavailable(
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
      credential: explainUnavailable(
        new ManagedIdentityCredential(
          env.AZURE_CLIENT_ID ? { clientId: env.AZURE_CLIENT_ID } : {}
        ),
        'the runner has no usable managed identity',
        env
      ),
      method: 'managed identity of the runner'
    }
  }
  return { ...signIn, credential: maskingCredential(signIn.credential, deps.log) }
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
  return {
    async getToken(scopes, options) {
      try {
        return await inner.getToken(scopes, options)
      } catch (error) {
        if (error instanceof Error && error.name === 'CredentialUnavailableError') {
          throw noCredentials(`${reason} (${error.message.trim().replace(/\.$/, '')})`, env)
        }
        throw error
      }
    }
  }
}

/**
 * Registers every access token as a secret before anything could print it, and shares one
 * token request among the clients that ask at the same moment (MSAL caches it afterwards).
 */
function maskingCredential(inner: TokenCredential, log: Log): TokenCredential {
  const pending = new Map<string, Promise<AccessToken | null>>()
  return {
    getToken(scopes, options) {
      const key = ([] as string[]).concat(scopes).join(' ')
      let request = pending.get(key)
      if (!request) {
        request = inner.getToken(scopes, options).then((token) => {
          if (token) log.mask(token.token)
          return token
        })
        pending.set(key, request)
        const forget = () => pending.delete(key)
        request.then(forget, forget)
      }
      return request
    }
  }
}

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
      credential: new AzureCliCredential({ tenantId: cloud.tenantId }),
      method: 'Azure CLI session (azure/login)'
    }
  } else {
    signIn = {
      credential: new ManagedIdentityCredential(
        env.AZURE_CLIENT_ID ? { clientId: env.AZURE_CLIENT_ID } : {}
      ),
      method: 'managed identity of the runner'
    }
  }
  return { ...signIn, credential: maskingCredential(signIn.credential, deps.log) }
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

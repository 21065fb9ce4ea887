// Real SDK clients against the emulator, in-process, for arranging and inspecting scenarios.
// NODE_EXTRA_CA_CERTS cannot be set after start-up, so the emulator's CA goes in tlsOptions and
// the token comes from a small client-credentials request that trusts the same CA.

import https from 'node:https'
import { ContainerRegistryManagementClient } from '@azure/arm-containerregistry'
import { SourceControlConfigurationClient } from '@azure/arm-kubernetesconfiguration'
import type { AccessToken, TokenCredential } from '@azure/identity'
import type { PipelinePolicy } from '@azure/core-rest-pipeline'
import type { RunningEmulator } from '../emulator/index.js'

function postForm(url: string, form: Record<string, string>, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const body = new URLSearchParams(form).toString()
    const request = https.request(
      url,
      { method: 'POST', ca, headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      (response) => {
        let text = ''
        response.on('data', (chunk: Buffer) => (text += chunk.toString()))
        response.on('end', () =>
          response.statusCode === 200
            ? resolve(text)
            : reject(new Error(`${response.statusCode} ${text}`))
        )
      }
    )
    request.on('error', reject)
    request.end(body)
  })
}

export function emulatorCredential(emu: RunningEmulator): TokenCredential {
  return {
    async getToken(scopes): Promise<AccessToken> {
      const text = await postForm(
        `${emu.url}/${emu.env.AZURE_TENANT_ID}/oauth2/v2.0/token`,
        {
          grant_type: 'client_credentials',
          client_id: emu.env.AZURE_CLIENT_ID,
          client_secret: emu.env.AZURE_CLIENT_SECRET,
          scope: ([] as string[]).concat(scopes).join(' ')
        },
        emu.caPem
      )
      const body = JSON.parse(text) as { access_token: string; expires_in: number }
      return { token: body.access_token, expiresOnTimestamp: Date.now() + body.expires_in * 1000 }
    }
  }
}

/** A credential that mints tokens in-process (no token endpoint round trip). */
export function testCredential(emu: RunningEmulator): TokenCredential {
  return { getToken: async (): Promise<AccessToken> => emu.admin.issueAccessToken() }
}

export interface ClientOptions {
  credential?: TokenCredential
  maxRetries?: number
  retryDelayInMs?: number
  /** Extensions api-version (default: the SDK's 2023-05-01). */
  extensionsApiVersion?: string
  subscriptionId?: string
  policies?: PipelinePolicy[]
}

export function sdkClients(emu: RunningEmulator, options: ClientOptions = {}) {
  const credential = options.credential ?? testCredential(emu)
  const subscriptionId = options.subscriptionId ?? emu.env.AZURE_SUBSCRIPTION_ID
  const retryOptions = {
    maxRetries: options.maxRetries ?? 3,
    retryDelayInMs: options.retryDelayInMs ?? 50,
    maxRetryDelayInMs: 200
  }
  const additionalPolicies = (options.policies ?? []).map((policy) => ({
    policy,
    position: 'perCall' as const
  }))
  const scope = `${emu.url}/.default`
  const acr = new ContainerRegistryManagementClient(credential, subscriptionId, {
    endpoint: emu.url,
    tlsOptions: { ca: emu.caPem },
    credentials: { scopes: [scope] },
    retryOptions,
    additionalPolicies
  })
  const k8s = new SourceControlConfigurationClient(credential, subscriptionId, {
    endpoint: emu.url,
    tlsOptions: { ca: emu.caPem },
    credentialScopes: [scope],
    retryOptions,
    additionalPolicies,
    ...(options.extensionsApiVersion ? { apiVersion: options.extensionsApiVersion } : {})
  })
  return { acr, k8s, subscriptionId }
}

export type Clients = ReturnType<typeof sdkClients>

/** Clients whose tokens come from the emulator's token endpoint, as a real client's do. */
export const emulatorClients = (emu: RunningEmulator): Clients =>
  sdkClients(emu, { credential: emulatorCredential(emu), maxRetries: 0 })

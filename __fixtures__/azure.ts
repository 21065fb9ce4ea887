// Real SDK clients against the emulator, in-process, for arranging and inspecting scenarios.
// NODE_EXTRA_CA_CERTS cannot be set after start-up, so the emulator's CA goes in tlsOptions and
// the token comes from a small client-credentials request that trusts the same CA.

import https from 'node:https'
import { ContainerRegistryManagementClient } from '@azure/arm-containerregistry'
import { SourceControlConfigurationClient } from '@azure/arm-kubernetesconfiguration'
import type { AccessToken, TokenCredential } from '@azure/identity'
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

export function emulatorClients(emu: RunningEmulator) {
  const credential = emulatorCredential(emu)
  const common = {
    endpoint: emu.url,
    tlsOptions: { ca: emu.caPem },
    retryOptions: { maxRetries: 0 }
  }
  const acr = new ContainerRegistryManagementClient(credential, emu.env.AZURE_SUBSCRIPTION_ID, {
    ...common,
    credentials: { scopes: [`${emu.url}/.default`] }
  })
  const k8s = new SourceControlConfigurationClient(credential, emu.env.AZURE_SUBSCRIPTION_ID, {
    ...common,
    credentialScopes: [`${emu.url}/.default`]
  })
  return { acr, k8s }
}

import { ContainerRegistryManagementClient } from '@azure/arm-containerregistry'
import { SourceControlConfigurationClient } from '@azure/arm-kubernetesconfiguration'
import { createPipelineRequest, RestError } from '@azure/core-rest-pipeline'
import type { TokenCredential } from '@azure/identity'
import type { CloudSettings } from '../settings.js'

const USER_AGENT = 'connected-registry-arc-action/0.1.0'
const CONNECTED_CLUSTERS_API_VERSION = '2024-01-01'

export interface ConnectedClusterResource {
  id: string
  name: string
  location?: string
  properties?: { connectivityStatus?: string; provisioningState?: string; distribution?: string }
}

export interface AzureClients {
  acr: ContainerRegistryManagementClient
  extensions: SourceControlConfigurationClient['extensions']
  getConnectedCluster(resourceGroup: string, name: string): Promise<ConnectedClusterResource>
  /** Polling interval for Azure's long-running operations. */
  lroIntervalMs: number
}

export function createAzureClients(
  credential: TokenCredential,
  subscriptionId: string,
  cloud: CloudSettings,
  lroIntervalMs: number
): AzureClients {
  const endpoint = cloud.armEndpoint.replace(/\/+$/, '')
  const scopes = [`${endpoint}/.default`]
  const common = {
    endpoint,
    userAgentOptions: { userAgentPrefix: USER_AGENT },
    // Transient faults (429 with Retry-After, 5xx, dropped connections) are retried by the SDK.
    retryOptions: { maxRetries: 5, retryDelayInMs: 800, maxRetryDelayInMs: 30_000 }
  }
  const acr = new ContainerRegistryManagementClient(credential, subscriptionId, {
    ...common,
    credentials: { scopes }
  })
  const k8s = new SourceControlConfigurationClient(credential, subscriptionId, {
    ...common,
    credentialScopes: scopes
  })

  // No SDK on the design card covers Microsoft.Kubernetes, so its one GET goes through the
  // same authenticated, retrying pipeline as the extension calls.
  async function getConnectedCluster(
    resourceGroup: string,
    name: string
  ): Promise<ConnectedClusterResource> {
    const url =
      `${endpoint}/subscriptions/${encodeURIComponent(subscriptionId)}/resourceGroups/${encodeURIComponent(resourceGroup)}` +
      `/providers/Microsoft.Kubernetes/connectedClusters/${encodeURIComponent(name)}?api-version=${CONNECTED_CLUSTERS_API_VERSION}`
    const request = createPipelineRequest({ url, method: 'GET' })
    const response = await k8s.sendRequest(request)
    const body = response.bodyAsText ? JSON.parse(response.bodyAsText) : {}
    if (response.status >= 400) {
      throw new RestError(body?.error?.message ?? `Unexpected status code: ${response.status}`, {
        code: body?.error?.code,
        statusCode: response.status,
        response
      })
    }
    return body as ConnectedClusterResource
  }

  return { acr, extensions: k8s.extensions, getConnectedCluster, lroIntervalMs }
}

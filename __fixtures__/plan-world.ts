// What the plan tests decide from, without any request: settings parsed from a set of inputs, and
// the state Azure reports before a first deploy and after a deploy that converged.

import type { ConnectedRegistry } from '@azure/arm-containerregistry'
import type { Extension } from '@azure/arm-kubernetesconfiguration'
import { buildConfigurationSettings } from '../src/domain/extension-settings.js'
import { syncScopeMapActions } from '../src/domain/scope-map.js'
import { fromRecord } from '../src/inputs/input-reader.js'
import { parseSettings } from '../src/inputs/parse-settings.js'
import type { ObservedState } from '../src/observe.js'
import { protectedSettingsHash } from '../src/plan/deploy.js'
import {
  PASSWORD_SLOT_SETTING,
  PROTECTED_HASH_SETTING,
  scopeMapDescription
} from '../src/plan/model.js'
import type { Settings } from '../src/settings.js'

export const SUB = '0b1f6471-1bf0-4dda-aec3-cb9272f09590'
export const REGISTRY_ID = `/subscriptions/${SUB}/resourceGroups/edge-rg/providers/Microsoft.ContainerRegistry/registries/contosoacr`
export const DATA_ENDPOINT = 'contosoacr.eastus.data.azurecr.io'

/** The settings of a deploy of 'edge01reg' onto 'edge-cluster-01', with `extra` inputs. */
export function settingsFor(extra: Record<string, string> = {}): Settings {
  return parseSettings(
    fromRecord({
      'subscription-id': SUB,
      'resource-group': 'edge-rg',
      registry: 'contosoacr',
      'connected-registry': 'edge01reg',
      cluster: 'edge-cluster-01',
      'service-cluster-ip': '10.0.0.10',
      repositories: 'hello-world',
      ...extra
    }),
    {}
  ).settings
}

/** A Premium registry with its data endpoint on and a Connected cluster: nothing deployed yet. */
export const emptyWorld = (): ObservedState => ({
  registry: {
    id: REGISTRY_ID,
    location: 'eastus',
    sku: 'Premium',
    dataEndpointEnabled: true,
    dataEndpointHostNames: [DATA_ENDPOINT]
  },
  cluster: { id: 'cluster-id', connectivityStatus: 'Connected' },
  ancestors: [],
  sync: {}
})

/** A world where a previous deploy with `settings` converged: Online, the instance on `slot`. */
export function deployedWorld(settings: Settings, slot = 'password1'): ObservedState {
  const name = settings.target.connectedRegistry
  const connectedRegistry: ConnectedRegistry = {
    id: `${REGISTRY_ID}/connectedRegistries/${name}`,
    name,
    mode: 'ReadOnly',
    activation: { status: 'Active' },
    connectionState: 'Online',
    logging: { logLevel: 'Information', auditLogStatus: 'Disabled' },
    clientTokenIds: [],
    notificationsList: [],
    parent: {
      syncProperties: {
        tokenId: `${REGISTRY_ID}/tokens/${name}`,
        schedule: '* * * * *',
        messageTtl: 'P2D',
        gatewayEndpoint: DATA_ENDPOINT
      }
    }
  }
  const extension: Extension = {
    id: 'extension-id',
    extensionType: 'Microsoft.ContainerRegistry.ConnectedRegistry',
    provisioningState: 'Succeeded',
    autoUpgradeMinorVersion: true,
    releaseTrain: 'Stable',
    scope: { cluster: { releaseNamespace: 'connected-registry' } },
    configurationSettings: {
      ...buildConfigurationSettings(settings.extension),
      [PASSWORD_SLOT_SETTING]: slot,
      [PROTECTED_HASH_SETTING]: protectedSettingsHash(settings, name, DATA_ENDPOINT)
    }
  }
  return {
    ...emptyWorld(),
    connectedRegistry,
    extension,
    sync: {
      token: {
        id: `${REGISTRY_ID}/tokens/${name}`,
        name,
        scopeMapId: `${REGISTRY_ID}/scopeMaps/${name}`,
        status: 'enabled'
      },
      scopeMap: {
        id: `${REGISTRY_ID}/scopeMaps/${name}`,
        name,
        description: scopeMapDescription(name),
        actions: syncScopeMapActions('ReadOnly', ['hello-world'], name)
      }
    }
  }
}

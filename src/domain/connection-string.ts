// The connection string the connected-registry instance uses to reach its parent, in the exact
// format of `az acr connected-registry get-settings` (key order fixed, ';'-separated, no
// trailing ';'). Unlike the CLI, it refuses to emit placeholders: a string with
// '<parent gateway endpoint>' or a placeholder password deploys an instance that never syncs.

import type { ConnectedRegistrySettings } from '../settings.js'

export type ParentEndpointProtocol = 'https' | 'http'

export interface ConnectionStringParts {
  connectedRegistryName: string
  /** The sync token's name (the username generateCredentials returns). */
  syncTokenName: string
  syncTokenPassword: string
  /** Host[:port] of the parent: the registry's data endpoint, or a parent connected registry. */
  parentGatewayEndpoint: string
  parentEndpointProtocol: ParentEndpointProtocol
}

/** Placeholders the CLI prints when it lacks a value (connected_registry.py get-settings). */
const CLI_PLACEHOLDERS = [
  '<parent gateway endpoint>',
  '<use --generate-password to generate a new password>'
]

export function buildConnectionString(parts: ConnectionStringParts): string {
  const fields: [string, string][] = [
    ['ConnectedRegistryName', parts.connectedRegistryName],
    ['SyncTokenName', parts.syncTokenName],
    ['SyncTokenPassword', parts.syncTokenPassword],
    ['ParentGatewayEndpoint', parts.parentGatewayEndpoint],
    ['ParentEndpointProtocol', parts.parentEndpointProtocol]
  ]
  for (const [key, value] of fields) {
    // Messages name the field only: the password must never reach a log.
    if (value.trim() === '' || CLI_PLACEHOLDERS.includes(value.trim())) {
      throw new Error(`Cannot build the connection string: ${key} is empty.`)
    }
    if (value.includes(';')) {
      throw new Error(`Cannot build the connection string: ${key} contains ';'.`)
    }
  }
  if (!['https', 'http'].includes(parts.parentEndpointProtocol)) {
    throw new Error(
      'Cannot build the connection string: ParentEndpointProtocol must be https or http.'
    )
  }
  return fields.map(([key, value]) => `${key}=${value}`).join(';')
}

/**
 * The protocol towards the parent: as configured for a parent connected registry (nested), and
 * always https for the cloud registry, as get-settings forces it.
 */
export function parentEndpointProtocol(
  settings: Pick<ConnectedRegistrySettings, 'parentProtocol'>,
  isNested: boolean
): ParentEndpointProtocol {
  return isNested ? settings.parentProtocol : 'https'
}

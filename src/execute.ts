// Applies a plan through the SDK clients, step by step, in the plan's order. Secrets made
// here (the sync-token password, the connection string) are masked the moment they exist
// and live only in memory.

import type { AzureClients } from './azure/clients.js'
import { ActionError, explainAzureFailure, isNotFound } from './azure/errors.js'
import { buildConnectionString } from './domain/connection-string.js'
import { buildProtectedSettings } from './domain/extension-settings.js'
import { expectedGatewayEndpoint } from './plan/deploy.js'
import type { Plan, PlanStep } from './plan/model.js'
import { clusterScope, readConnectedRegistry, type ObservedState } from './observe.js'
import type { Log } from './ports.js'
import { maskSecret } from './secrets.js'
import type { PasswordSlot, Settings } from './settings.js'

export interface ExecutionResult {
  /** The connection string sent to the extension in this run (masked), if one was. */
  connectionString?: string
  passwordSlot?: PasswordSlot
}

interface Context {
  settings: Settings
  observed: ObservedState
  clients: AzureClients
  log: Log
  plan: Plan
  password?: string
}

const lro = (ctx: Context) => ({ updateIntervalInMs: ctx.clients.lroIntervalMs })

async function generatePassword(ctx: Context, slot: PasswordSlot): Promise<string> {
  const { resourceGroup, registry } = ctx.settings.target
  const result = await ctx.clients.acr.registries.generateCredentials(
    resourceGroup,
    registry,
    { tokenId: ctx.plan.syncTokenId, name: slot },
    lro(ctx)
  )
  const password = result.passwords?.find((p) => p.name === slot)?.value
  if (!password) {
    throw new ActionError(
      `Azure generated no ${slot} for sync token '${ctx.plan.syncTokenId}'. Re-run the step.`
    )
  }
  maskSecret(ctx.log, password)
  return password
}

/** The connection string for the extension, from the connected registry as Azure now reports it. */
async function connectionStringFor(ctx: Context, password: string): Promise<string> {
  const connectedRegistry = await readConnectedRegistry(ctx.clients, ctx.settings)
  const gatewayEndpoint = expectedGatewayEndpoint(ctx.settings, {
    ...ctx.observed,
    connectedRegistry
  })
  if (!gatewayEndpoint) {
    throw new ActionError(
      `Azure reports no gateway endpoint for connected registry '${ctx.settings.target.connectedRegistry}'. Set input 'parent-gateway-endpoint'.`
    )
  }
  const tokenName = ctx.plan.syncTokenId.split('/tokens/')[1]
  const connectionString = buildConnectionString({
    connectedRegistryName: ctx.settings.target.connectedRegistry,
    syncTokenName: tokenName,
    syncTokenPassword: password,
    parentGatewayEndpoint: gatewayEndpoint,
    parentEndpointProtocol: ctx.settings.connectedRegistry.parent
      ? ctx.settings.connectedRegistry.parentProtocol
      : 'https'
  })
  maskSecret(ctx.log, connectionString)
  return connectionString
}

async function protectedSettings(ctx: Context): Promise<Record<string, string>> {
  if (!ctx.password) {
    throw new ActionError('Internal error: the extension needs a password that was not generated.')
  }
  const connectionString = await connectionStringFor(ctx, ctx.password)
  const settings = buildProtectedSettings(ctx.settings.extension.tls, connectionString)
  for (const value of Object.values(settings)) maskSecret(ctx.log, value)
  return settings
}

async function applyStep(ctx: Context, step: PlanStep, result: ExecutionResult): Promise<void> {
  const { resourceGroup, registry, connectedRegistry, cluster, extensionName } = ctx.settings.target
  const { acr, extensions } = ctx.clients
  const detail = step.detail
  switch (detail.kind) {
    case 'data-endpoint': {
      const updated = await acr.registries.update(
        resourceGroup,
        registry,
        { dataEndpointEnabled: true },
        lro(ctx)
      )
      // The gateway endpoint of a top-level registry is its new data endpoint.
      if (ctx.observed.registry) {
        ctx.observed = {
          ...ctx.observed,
          registry: {
            ...ctx.observed.registry,
            dataEndpointEnabled: true,
            dataEndpointHostNames: updated.dataEndpointHostNames ?? []
          }
        }
      }
      return
    }
    case 'ancestor-scope-map':
    case 'scope-map':
      if (step.action === 'delete') {
        await acr.scopeMaps.delete(resourceGroup, registry, detail.scopeMapName, lro(ctx))
      } else if (step.action === 'create') {
        await acr.scopeMaps.create(
          resourceGroup,
          registry,
          detail.scopeMapName,
          {
            actions: detail.actions,
            description: 'description' in detail ? detail.description : undefined
          },
          lro(ctx)
        )
      } else {
        await acr.scopeMaps.update(
          resourceGroup,
          registry,
          detail.scopeMapName,
          { actions: detail.actions },
          lro(ctx)
        )
      }
      return
    case 'sync-token':
      if (step.action === 'delete') {
        await acr.tokens.delete(resourceGroup, registry, detail.tokenName, lro(ctx))
      } else if (step.action === 'create') {
        await acr.tokens.create(
          resourceGroup,
          registry,
          detail.tokenName,
          { scopeMapId: detail.scopeMapId, status: 'enabled' },
          lro(ctx)
        )
      } else {
        await acr.tokens.update(
          resourceGroup,
          registry,
          detail.tokenName,
          { scopeMapId: detail.scopeMapId, status: 'enabled' },
          lro(ctx)
        )
      }
      return
    case 'connected-registry':
      if (step.action === 'delete') {
        await acr.connectedRegistries.delete(resourceGroup, registry, connectedRegistry, lro(ctx))
      } else if (detail.create) {
        await acr.connectedRegistries.create(
          resourceGroup,
          registry,
          connectedRegistry,
          detail.create,
          lro(ctx)
        )
      } else if (detail.update) {
        await acr.connectedRegistries.update(
          resourceGroup,
          registry,
          connectedRegistry,
          detail.update,
          lro(ctx)
        )
      }
      return
    case 'activation':
      await acr.connectedRegistries.deactivate(resourceGroup, registry, connectedRegistry, lro(ctx))
      return
    case 'sync-password':
      ctx.password = await generatePassword(ctx, detail.slot)
      result.passwordSlot = detail.slot
      return
    case 'extension': {
      if (step.action === 'delete') {
        const poller = await extensions.beginDelete(...clusterScope(ctx.settings), extensionName, {
          forceDelete: ctx.settings.behaviour.forceDelete || undefined,
          ...lro(ctx)
        })
        const deadline = AbortSignal.timeout(ctx.settings.behaviour.timeoutMs)
        try {
          await poller.pollUntilDone({ abortSignal: deadline })
        } catch (error) {
          if (!deadline.aborted) throw error
          // Azure removes the extension only once the cluster's agents confirm it.
          throw new ActionError(
            `Extension '${extensionName}' on cluster '${cluster}' was still being deleted after ${Math.round(ctx.settings.behaviour.timeoutMs / 1000)}s. Azure waits for the cluster to remove it: check that the cluster is Connected (az connectedk8s show) and re-run, or set 'force-delete: true' to remove the extension from Azure without the cluster (its release then stays on the cluster until you uninstall it there).`
          )
        }
        return
      }
      if (detail.create) {
        const configurationProtectedSettings = await protectedSettings(ctx)
        result.connectionString = configurationProtectedSettings.connectionString
        // Only the initial request: the waiter follows provisioning with its own timeout and
        // explains a failure better than the LRO's one-line error.
        await extensions.beginCreate(
          ...clusterScope(ctx.settings),
          extensionName,
          { ...detail.create, configurationProtectedSettings },
          lro(ctx)
        )
      } else if (detail.patch) {
        const patch = { ...detail.patch }
        if (detail.resendProtectedSettings) {
          // Protected settings are all-or-nothing: every key is sent again.
          patch.configurationProtectedSettings = await protectedSettings(ctx)
          result.connectionString = patch.configurationProtectedSettings.connectionString
        }
        await extensions.beginUpdate(...clusterScope(ctx.settings), extensionName, patch, lro(ctx))
      }
      return
    }
  }
}

const VERBS: Record<string, string> = {
  create: 'Creating',
  update: 'Updating',
  delete: 'Deleting',
  deactivate: 'Deactivating',
  generate: 'Generating'
}

/** Applies the steps that change something; a step that fails names itself and Azure's reason. */
export async function applyPlan(
  plan: Plan,
  settings: Settings,
  observed: ObservedState,
  clients: AzureClients,
  log: Log
): Promise<ExecutionResult> {
  const ctx: Context = { settings, observed, clients, log, plan }
  const result: ExecutionResult = { passwordSlot: plan.passwordSlot }
  for (const step of plan.steps) {
    const verb = VERBS[step.action]
    if (!verb) continue
    log.info(`${verb} ${step.resource}${step.reason ? ` (${step.reason})` : ''}`)
    try {
      await applyStep(ctx, step, result)
    } catch (error) {
      // Deleting what is already gone (a concurrent teardown) is success.
      if (step.action === 'delete' && isNotFound(error)) continue
      throw explainAzureFailure(`${verb} ${step.resource}`, error)
    }
  }
  return result
}

/** Makes a password nobody knows in the slot that is no longer used, so the old one stops working. */
export async function revokePassword(
  settings: Settings,
  plan: Plan,
  clients: AzureClients,
  log: Log,
  slot: PasswordSlot
): Promise<void> {
  const ctx: Context = { settings, observed: { ancestors: [], sync: {} }, clients, log, plan }
  try {
    await generatePassword(ctx, slot)
  } catch (error) {
    throw explainAzureFailure(`Revoking the old password (${slot})`, error)
  }
}

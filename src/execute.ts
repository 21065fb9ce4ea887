// Applies a plan through Azure's port, step by step, in the plan's order. Secrets made
// here (the sync-token password, the connection string) are masked the moment they exist
// and live only in memory.

import { ActionError, explainAzureFailure, isNotFound } from './azure/errors.js'
import { buildConnectionString } from './domain/connection-string.js'
import { buildProtectedSettings } from './domain/extension-settings.js'
import { expectedGatewayEndpoint } from './plan/deploy.js'
import type { Plan, PlanStep } from './plan/model.js'
import { extensionStillDeleting, notFinished } from './messages.js'
import { clusterOf, readConnectedRegistry, type ObservedState } from './observe.js'
import type { WriteOptions } from './ports.js'
import type { RunContext } from './run-context.js'
import { maskSecret } from './secrets.js'
import type { PasswordSlot } from './settings.js'

export interface ExecutionResult {
  /** The connection string sent to the extension in this run (masked), if one was. */
  connectionString?: string
  passwordSlot?: PasswordSlot
  /** When the extension write was sent (the deadline's clock, ms), if the run made one. */
  extensionWrittenAt?: number
}

interface Context extends RunContext {
  observed: ObservedState
  plan: Plan
  password?: string
}

/** Every write ends with the step's deadline. */
const lro = (ctx: Context): WriteOptions => ({ abortSignal: ctx.deadline.signal })

async function generatePassword(ctx: Context, slot: PasswordSlot): Promise<string> {
  const { resourceGroup, registry } = ctx.settings.target
  const result = await ctx.azure.generateCredentials(
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
  const connectedRegistry = await readConnectedRegistry(ctx)
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
  const { azure } = ctx
  const detail = step.detail
  switch (detail.kind) {
    case 'data-endpoint': {
      const updated = await azure.enableDataEndpoint(resourceGroup, registry, lro(ctx))
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
        await azure.deleteScopeMap(resourceGroup, registry, detail.scopeMapName, lro(ctx))
      } else if (step.action === 'create') {
        await azure.createScopeMap(
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
        await azure.updateScopeMap(
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
        await azure.deleteToken(resourceGroup, registry, detail.tokenName, lro(ctx))
      } else if (step.action === 'create') {
        await azure.createToken(
          resourceGroup,
          registry,
          detail.tokenName,
          { scopeMapId: detail.scopeMapId, status: 'enabled' },
          lro(ctx)
        )
      } else {
        await azure.updateToken(
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
        await azure.deleteConnectedRegistry(resourceGroup, registry, connectedRegistry, lro(ctx))
      } else if (detail.create) {
        await azure.createConnectedRegistry(
          resourceGroup,
          registry,
          connectedRegistry,
          detail.create,
          lro(ctx)
        )
      } else if (detail.update) {
        await azure.updateConnectedRegistry(
          resourceGroup,
          registry,
          connectedRegistry,
          detail.update,
          lro(ctx)
        )
      }
      return
    case 'activation':
      await azure.deactivateConnectedRegistry(resourceGroup, registry, connectedRegistry, lro(ctx))
      return
    case 'sync-password':
      ctx.password = await generatePassword(ctx, detail.slot)
      result.passwordSlot = detail.slot
      return
    case 'extension': {
      if (step.action === 'delete') {
        try {
          await azure.deleteExtension(clusterOf(ctx.settings), extensionName, {
            ...lro(ctx),
            forceDelete: ctx.settings.behaviour.forceDelete
          })
        } catch (error) {
          if (!ctx.deadline.expired()) throw error
          // Azure removes the extension only once the cluster's agents confirm it.
          throw ctx.deadline.exceeded(
            extensionStillDeleting(extensionName, cluster, ctx.settings.behaviour.forceDelete)
          )
        }
        return
      }
      if (detail.create) {
        const configurationProtectedSettings = await protectedSettings(ctx)
        result.connectionString = configurationProtectedSettings.connectionString
        result.extensionWrittenAt = ctx.deadline.clock.now()
        // Only the initial request: the waiter follows provisioning with its own timeout and
        // explains a failure better than the LRO's one-line error.
        await azure.startExtensionCreate(
          clusterOf(ctx.settings),
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
        result.extensionWrittenAt = ctx.deadline.clock.now()
        await azure.startExtensionUpdate(clusterOf(ctx.settings), extensionName, patch, lro(ctx))
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

/**
 * Applies the steps that change something; a step that fails names itself and Azure's reason.
 * `applied` receives each step once Azure has done it, so a failure can say what was applied.
 */
export async function applyPlan(
  run: RunContext,
  plan: Plan,
  observed: ObservedState,
  applied: PlanStep[] = []
): Promise<ExecutionResult> {
  const ctx: Context = { ...run, observed, plan }
  const result: ExecutionResult = { passwordSlot: plan.passwordSlot }
  for (const step of plan.steps) {
    const verb = VERBS[step.action]
    if (!verb) continue
    run.log.info(`${verb} ${step.resource}${step.reason ? ` (${step.reason})` : ''}`)
    try {
      await applyStep(ctx, step, result)
    } catch (error) {
      // Deleting what is already gone (a concurrent teardown) is success.
      if (step.action === 'delete' && isNotFound(error)) {
        applied.push(step)
        continue
      }
      if (ctx.deadline.expired() && !(error instanceof ActionError)) {
        throw ctx.deadline.exceeded(notFinished(`${verb} ${step.resource}`))
      }
      throw explainAzureFailure(`${verb} ${step.resource}`, error)
    }
    applied.push(step)
  }
  return result
}

/** Makes a password nobody knows in the slot that is no longer used, so the old one stops working. */
export async function revokePassword(
  run: RunContext,
  plan: Plan,
  slot: PasswordSlot
): Promise<void> {
  const ctx: Context = { ...run, observed: { ancestors: [], sync: {} }, plan }
  try {
    await generatePassword(ctx, slot)
  } catch (error) {
    if (ctx.deadline.expired())
      throw ctx.deadline.exceeded(notFinished(`Revoking the old password (${slot})`))
    throw explainAzureFailure(`Revoking the old password (${slot})`, error)
  }
}

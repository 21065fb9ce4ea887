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
import { passwordRecord, reconcilePullSecrets } from './kube/pull-secret.js'
import { passwordTimes } from './plan/client-token.js'

export interface ExecutionResult {
  /** The connection string sent to the extension in this run (masked), if one was. */
  connectionString?: string
  passwordSlot?: PasswordSlot
  /** When the extension write was sent (the deadline's clock, ms), if the run made one. */
  extensionWrittenAt?: number
  /** The managed client token's new password (masked), when the run generated one. */
  clientPassword?: string
}

interface Context extends RunContext {
  observed: ObservedState
  plan: Plan
  password?: string
  client?: { password: string; slot: PasswordSlot; createdMs: number }
}

/** Every write ends with the step's deadline. */
const lro = (ctx: Context): WriteOptions => ({ abortSignal: ctx.deadline.signal })

/** A new password in `slot` of the token, masked at once, with when Azure made it (ms). */
async function generateTokenPassword(
  ctx: Context,
  tokenId: string,
  slot: PasswordSlot
): Promise<{ password: string; createdMs: number }> {
  const { resourceGroup, registry } = ctx.settings.target
  const result = await ctx.azure.generateCredentials(
    resourceGroup,
    registry,
    { tokenId, name: slot },
    lro(ctx)
  )
  const made = result.passwords?.find((p) => p.name === slot)
  const password = made?.value
  if (!password) {
    throw new ActionError(`Azure generated no ${slot} for token '${tokenId}'. Re-run the step.`)
  }
  maskSecret(ctx.log, password)
  return { password, createdMs: made.creationTime ? new Date(made.creationTime).getTime() : 0 }
}

const generatePassword = async (ctx: Context, slot: PasswordSlot): Promise<string> =>
  (await generateTokenPassword(ctx, ctx.plan.syncTokenId, slot)).password

/** When Azure made the password in `slot`, as a token read lists it (what later runs compare). */
async function creationTimeOf(ctx: Context, tokenName: string, slot: PasswordSlot) {
  const { resourceGroup, registry } = ctx.settings.target
  const token = await ctx.azure.getToken(resourceGroup, registry, tokenName)
  const made = token.credentials?.passwords?.find((p) => p.name === slot)?.creationTime
  return made ? new Date(made).getTime() : 0
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
    case 'client-scope-map':
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
    case 'client-token':
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
    case 'client-password': {
      const token = ctx.plan.clientToken
      if (!token) throw new ActionError('Internal error: a client password without a client token.')
      const made = await generateTokenPassword(ctx, token.id, detail.slot)
      // Azure's list is what later runs compare the record with: take its time when the answer
      // to the generation carries none.
      const createdMs = made.createdMs || (await creationTimeOf(ctx, token.name, detail.slot))
      ctx.client = { password: made.password, slot: detail.slot, createdMs }
      result.clientPassword = made.password
      return
    }
    case 'pull-secret': {
      const token = ctx.plan.clientToken
      if (!ctx.kube) throw new ActionError('Internal error: a pull secret without cluster access.')
      if (step.action === 'delete') {
        await ctx.kube.deleteSecret(detail.namespace, detail.name)
        return
      }
      if (!token?.slot) {
        throw new ActionError('Internal error: a pull secret without a client token password.')
      }
      const known = detail.knownPassword
      const credentials = known
        ? {
            password: known,
            slot: token.slot,
            createdMs: passwordTimes(ctx.observed)[token.slot] ?? 0
          }
        : ctx.client
      if (!credentials) {
        throw new ActionError(
          'Internal error: the pull secret needs a password that was not generated.'
        )
      }
      const spec = {
        name: detail.name,
        namespaces: [detail.namespace],
        server: ctx.settings.extension.serviceClusterIp,
        username: token.name,
        password: credentials.password,
        labels: passwordRecord(credentials.slot, credentials.createdMs, credentials.password)
      }
      // Masks the password and the documents that carry it before anything else.
      await reconcilePullSecrets(ctx.kube, spec, ctx.log)
      return
    }
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

/** Makes a password nobody knows in the slot that is no longer used, so the old one stops
 * working; of the sync token, or of the token `tokenId` names. */
export async function revokePassword(
  run: RunContext,
  plan: Plan,
  slot: PasswordSlot,
  tokenId = plan.syncTokenId
): Promise<void> {
  const ctx: Context = { ...run, observed: { ancestors: [], sync: {} }, plan }
  const what = `Revoking the old password (${slot}) of token '${tokenId.split('/tokens/')[1] ?? tokenId}'`
  try {
    await generateTokenPassword(ctx, tokenId, slot)
  } catch (error) {
    if (ctx.deadline.expired()) throw ctx.deadline.exceeded(notFinished(what))
    throw explainAzureFailure(what, error)
  }
}

// How ACR runs its writes: PUT/PATCH answer 201 + Azure-AsyncOperation and the
// resource shows Creating/Updating until the operation lands; DELETE and POST
// actions answer 202 + Location, polled until the final result. Every 201/202
// carries the Retry-After hint.
import type { Reply, RequestContext } from '../http.js'
import { key } from '../ids.js'
import type { ProvisioningState } from '../world.js'
import type { ArmEnv } from './common.js'
import { retryAfter } from './retry-after.js'

interface Provisioned {
  id: string
  provisioningState: ProvisioningState
}

/** Starts a PUT/PATCH operation; returns the Azure-AsyncOperation header. */
export function startAcrWrite(
  env: ArmEnv,
  ctx: RequestContext,
  resource: Provisioned,
  transitional: 'Creating' | 'Updating',
  idPrefix: string
): Record<string, string> {
  const { world, ops } = env
  const op = ops.start(ctx, {
    provider: 'acr',
    style: 'azure-async-operation',
    resourceId: resource.id,
    statusParent: `${resource.id}/operationStatuses`,
    idPrefix
  })
  const from = resource.provisioningState
  resource.provisioningState = transitional
  world.recordEvent(ctx.now, resource.id, 'provisioningState', from, transitional, ctx.operation)
  world.schedule(ctx.now + world.timing.lroMs, `${ctx.operation} ${resource.id}`, (t) => {
    if (op.forcedFailure) {
      resource.provisioningState = 'Failed'
      ops.fail(op, t, { code: op.forcedFailure.code, message: op.forcedFailure.message })
    } else {
      resource.provisioningState = 'Succeeded'
      ops.succeed(op, t)
    }
    world.recordEvent(
      t,
      resource.id,
      'provisioningState',
      transitional,
      resource.provisioningState,
      ctx.operation
    )
  })
  return { ...ops.headers(op, ctx), ...retryAfter(world) }
}

/**
 * Starts a DELETE or POST action answered through a Location URL. `complete`
 * runs when the operation lands and returns the final answer of the poll.
 */
export function startAcrAction(
  env: ArmEnv,
  ctx: RequestContext,
  resourceId: string,
  idPrefix: string,
  complete: (t: number) => { status: number; body?: unknown }
): Record<string, string> {
  const { world, ops } = env
  const op = ops.start(ctx, {
    provider: 'acr',
    style: 'location',
    resourceId,
    statusParent: `${resourceId}/operationStatuses`,
    idPrefix
  })
  world.schedule(ctx.now + world.timing.lroMs, `${ctx.operation} ${resourceId}`, (t) => {
    if (op.forcedFailure) {
      ops.fail(op, t, { code: op.forcedFailure.code, message: op.forcedFailure.message })
      return
    }
    const result = complete(t)
    ops.succeed(op, t, result.status, result.body)
  })
  return { ...ops.headers(op, ctx), ...retryAfter(world) }
}

/**
 * Starts the DELETE of a resource kept in `store`: it shows Deleting at once and is
 * gone when the operation lands (the Location poll then answers 204). Answers 202.
 */
export function startAcrDelete<T extends Provisioned>(
  env: ArmEnv,
  ctx: RequestContext,
  store: Map<string, T>,
  resource: T,
  idPrefix: string
): Reply {
  const { world } = env
  const from = resource.provisioningState
  resource.provisioningState = 'Deleting'
  world.recordEvent(ctx.now, resource.id, 'provisioningState', from, 'Deleting', ctx.operation)
  const headers = startAcrAction(env, ctx, resource.id, idPrefix, (t) => {
    store.delete(key(resource.id))
    world.recordEvent(t, resource.id, 'provisioningState', 'Deleting', null, 'deleted')
    return { status: 204 }
  })
  return { status: 202, headers }
}

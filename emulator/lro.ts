// ARM asynchronous operations and the status URLs clients poll (their state lives in world.ts).
//
// Two styles, as in the 2025-11-01 / 2023-05-01 specs:
// - 'azure-async-operation': the status URL always answers 200 with
//   `{ status: InProgress|Succeeded|Failed, error? }` (PUT/PATCH, all extension ops);
// - 'location': the URL answers 202 while running, then the final result
//   (200 with a body, or 204), or the error status (DELETE and POST actions).
import { randomUUID } from 'node:crypto'
import type { RequestContext, Reply } from './http.js'
import type { AsyncOperation, OperationError, OperationStyle, World } from './world.js'

export interface StartOptions {
  provider: 'acr' | 'extension'
  style: OperationStyle
  resourceId: string
  /** Where the status resource lives: `<resource>/operationStatuses` (ACR) or `<extension>/operations`. */
  statusParent: string
  /** ACR operation IDs are prefixed with the resource kind, e.g. `connectedregistries-<guid>`. */
  idPrefix?: string
}

const INJECTED_FAILURE: OperationError = {
  code: 'InternalServerError',
  message: 'The operation failed because of an internal server error (injected by the emulator).'
}

export class Operations {
  constructor(
    private readonly world: World,
    /** Counts one use of an armed 'lro-failure' fault. */
    private readonly consumeLroFailure: (ctx: RequestContext) => void
  ) {}

  start(ctx: RequestContext, options: StartOptions): AsyncOperation {
    const guid = randomUUID()
    const id = options.idPrefix ? `${options.idPrefix}-${guid}` : guid
    const op: AsyncOperation = {
      id,
      statusPath: `${options.statusParent}/${id}`,
      style: options.style,
      provider: options.provider,
      operation: ctx.operation,
      resourceId: options.resourceId,
      status: 'InProgress',
      startTime: ctx.now
    }
    if (ctx.lroFailure) {
      op.forcedFailure = {
        code: ctx.lroFailure.code ?? INJECTED_FAILURE.code,
        message: ctx.lroFailure.message ?? INJECTED_FAILURE.message,
        status: ctx.lroFailure.status
      }
      this.consumeLroFailure(ctx)
      // One request starts at most one operation.
      ctx.lroFailure = undefined
    }
    this.world.operations.set(id.toLowerCase(), op)
    return op
  }

  /** Registers an operation that already finished (seeded history). */
  seedFinished(op: AsyncOperation): void {
    this.world.operations.set(op.id.toLowerCase(), op)
  }

  succeed(op: AsyncOperation, t: number, finalStatus = 200, finalBody?: unknown): void {
    op.status = 'Succeeded'
    op.endTime = t
    op.finalStatus = finalStatus
    op.finalBody = finalBody
  }

  fail(op: AsyncOperation, t: number, error: OperationError): void {
    op.status = 'Failed'
    op.endTime = t
    op.error = error
  }

  find(operationId: string): AsyncOperation | undefined {
    return this.world.operations.get(operationId.toLowerCase())
  }

  /** Absolute status URL; header name depends on the style. */
  headers(op: AsyncOperation, ctx: RequestContext): Record<string, string> {
    const url = `${ctx.baseUrl}${op.statusPath}?api-version=${encodeURIComponent(ctx.apiVersion ?? '')}`
    return op.style === 'location' ? { Location: url } : { 'Azure-AsyncOperation': url }
  }

  /** The answer of a poll on the status URL. */
  render(op: AsyncOperation, ctx: RequestContext): Reply {
    if (op.provider === 'extension') {
      return {
        status: 200,
        body: {
          id: op.statusPath,
          name: op.id,
          status: op.status,
          properties: {},
          error: op.error ?? null
        }
      }
    }
    if (op.style === 'location') {
      if (op.status === 'InProgress') return { status: 202, headers: this.headers(op, ctx) }
      if (op.status === 'Succeeded') return { status: op.finalStatus ?? 200, body: op.finalBody }
      return {
        status: op.forcedFailure?.status ?? 500,
        body: { error: op.error ?? INJECTED_FAILURE }
      }
    }
    const body: Record<string, unknown> = {
      id: op.statusPath,
      name: op.id,
      status: op.status,
      startTime: new Date(op.startTime).toISOString()
    }
    if (op.endTime !== undefined) body.endTime = new Date(op.endTime).toISOString()
    if (op.error) body.error = op.error
    return { status: 200, body }
  }
}

// The `Retry-After` hint of async operations: when a client should poll again.
// Without one, az waits its default 30 s; it polls the status URL once right after
// the first answer, so the hint matters on the status answers too.
import type { Reply } from '../http.js'
import type { AsyncOperation, World } from '../world.js'

/** `{ 'Retry-After': n }` from the `lroRetryAfterSeconds` knob, or nothing when it is 0. */
export function retryAfter(world: World): Record<string, string> {
  const seconds = world.timing.lroRetryAfterSeconds
  return seconds > 0 ? { 'Retry-After': String(Math.round(seconds)) } : {}
}

/** A status poll's answer, with the hint while the operation is still running. */
export function statusWithRetryAfter(world: World, op: AsyncOperation, reply: Reply): Reply {
  if (op.status !== 'InProgress') return reply
  return { ...reply, headers: { ...reply.headers, ...retryAfter(world) } }
}

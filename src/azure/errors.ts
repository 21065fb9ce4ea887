// Turns whatever the Azure SDKs throw into one actionable sentence: what failed, the Azure
// error code and request id, and what to do. Only code, message and ids are read from an
// error: never its request (which may carry a connection string in its body).

export interface AzureErrorInfo {
  statusCode?: number
  code?: string
  message: string
  requestId?: string
  correlationId?: string
  /** A long-running operation that ended Failed (its code is Azure's, not an HTTP one). */
  operationFailed?: boolean
}

interface HeaderBag {
  get(name: string): string | undefined
}

function headerOf(error: Record<string, unknown>, name: string): string | undefined {
  const response = error.response as { headers?: HeaderBag } | undefined
  const value = response?.headers?.get?.(name)
  return typeof value === 'string' && value ? value : undefined
}

// "The long-running operation has failed. <code>. <message>" (core-lro) carries the code in the text.
const LRO_FAILURE = /^The long-running operation has failed\.?\s*(?:([A-Za-z][\w.]*)\.\s*)?(.*)$/s

/**
 * What the pipeline saw last (see clients.ts): an error without a response of its own, such as
 * core-lro's "The long-running operation has failed", is reported with the request id of the
 * last answer (the status poll that reported the failure, as steps run one at a time) and the
 * correlation id every request of this run carries.
 */
export const requestTrail: { correlationId?: string; lastRequestId?: string } = {}

export function azureErrorInfo(error: unknown): AzureErrorInfo {
  if (!(error instanceof Error)) return { message: String(error) }
  const fields = error as unknown as Record<string, unknown>
  const info: AzureErrorInfo = { message: error.message }
  if (typeof fields.statusCode === 'number') info.statusCode = fields.statusCode
  if (typeof fields.code === 'string') info.code = fields.code
  info.requestId = headerOf(fields, 'x-ms-request-id')
  info.correlationId = headerOf(fields, 'x-ms-correlation-request-id')
  const lro = LRO_FAILURE.exec(error.message)
  if (lro) {
    info.code ??= lro[1] ?? 'OperationFailed'
    info.message = lro[2]?.trim() || 'the operation ended with status Failed'
    info.requestId ??= requestTrail.lastRequestId
    info.operationFailed = true
  }
  if (!fields.response) info.correlationId ??= requestTrail.correlationId
  return info
}

/** What to do about a failure, by Azure error code (or HTTP status when there is no code). */
export const FIXES: Record<string, string> = {
  AuthorizationFailed:
    'Grant the signed-in identity the missing action on that scope (see docs/reference.md#permissions), then re-run.',
  AuthenticationFailed:
    'Check the sign-in: client-id/tenant-id and the federated credential subject, or the client secret.',
  InvalidAuthenticationToken:
    'The access token was rejected. Check that arm-endpoint and authority-host belong to the same cloud.',
  ExpiredAuthenticationToken:
    'The access token expired during the run and a fresh one was rejected too. Check the clock of the runner and re-run the step.',
  InvalidAuthenticationTokenAudience:
    'The access token is for another cloud or resource. Check that arm-endpoint, authority-host and environment belong to the same cloud.',
  ResourceNotFound: 'Check the resource name, resource group and subscription-id inputs.',
  ResourceGroupNotFound: 'Check resource-group, cluster-resource-group and subscription-id.',
  TooManyRequests:
    'Azure Resource Manager is throttling this identity. Wait a few minutes and re-run; spread fleet deployments over time (matrix max-parallel).',
  Conflict:
    'Another operation holds this resource (another run of this workflow, or a deletion). Wait for it to finish and re-run; a concurrency group on the workflow avoids overlapping runs.',
  OperationFailed:
    'Azure reported the operation as failed; the message above says why. Correct the cause and re-run: the action continues from what already exists.',
  ServiceUnavailable: 'Azure was unavailable after several retries. Re-run the step.',
  InternalServerError: 'Azure failed after several retries. Re-run the step.',
  REQUEST_SEND_ERROR:
    'The request could not be sent (network error). Check connectivity to the Azure endpoint and re-run.'
}
// Connections dropped or refused after every retry: the same advice as a send error.
for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']) {
  FIXES[code] = FIXES.REQUEST_SEND_ERROR
}

const FIX_BY_STATUS: Record<number, string> = {
  400: 'Azure rejected the request; the message above says why. Correct the cause and re-run the step.',
  401: FIXES.AuthenticationFailed,
  403: FIXES.AuthorizationFailed,
  404: FIXES.ResourceNotFound,
  409: FIXES.Conflict,
  429: FIXES.TooManyRequests,
  500: FIXES.InternalServerError,
  502: FIXES.ServiceUnavailable,
  503: FIXES.ServiceUnavailable,
  504: FIXES.ServiceUnavailable
}

/** An error whose message is already written for the person reading the log. */
export class ActionError extends Error {
  constructor(
    message: string,
    readonly azure?: AzureErrorInfo
  ) {
    super(message)
    this.name = 'ActionError'
  }
}

/** "<what> failed: <message> (Azure error <code>, HTTP <status>, request id <id>). <fix>" */
export function explainAzureFailure(what: string, error: unknown, fix?: string): ActionError {
  if (error instanceof ActionError) return error
  const info = azureErrorInfo(error)
  const facts = [
    info.code && `Azure error ${info.code}`,
    info.statusCode && `HTTP ${info.statusCode}`,
    info.requestId && `request id ${info.requestId}`,
    info.correlationId && `correlation id ${info.correlationId}`
  ].filter(Boolean)
  const advice =
    fix ??
    (info.code ? FIXES[info.code] : undefined) ??
    (info.statusCode ? FIX_BY_STATUS[info.statusCode] : undefined) ??
    (info.operationFailed ? FIXES.OperationFailed : '')
  const text = `${what} failed: ${info.message.trim()}${facts.length ? ` (${facts.join(', ')})` : ''}.${advice ? ` ${advice}` : ''}`
  return new ActionError(text.replace(/\.\.( |$)/g, '.$1'), info)
}

/**
 * A failure read from Azure's state (an extension Failed, a registry Unhealthy, a timeout) has
 * no failed request of its own: it is given the id of the last request, which saw that state,
 * and the run's correlation id, with which Azure support finds every request of the run.
 */
export function withRequestIds(message: string): string {
  const { lastRequestId, correlationId } = requestTrail
  if (!correlationId || /request id /.test(message)) return message
  const ids = [
    lastRequestId && `last request id ${lastRequestId}`,
    `correlation id ${correlationId}`
  ].filter(Boolean)
  return `${message} (${ids.join(', ')})`
}

/** The message of anything thrown. */
export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error)

export function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number } | undefined)?.statusCode === 404
}

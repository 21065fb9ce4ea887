// ARM-shaped errors. Handlers throw ArmError; the server turns it into
// `{ error: { code, message, target?, details? } }` with the right status.

export interface ErrorDetail {
  code: string
  message: string
  target?: string
  details?: ErrorDetail[]
}

export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly options: {
      target?: string
      details?: ErrorDetail[]
      headers?: Record<string, string>
      /** A body of another shape (Entra ID's OAuth errors); ARM's `{ error }` otherwise. */
      body?: unknown
    } = {}
  ) {
    super(message)
    this.name = 'ArmError'
  }

  toBody(): unknown {
    if (this.options.body !== undefined) return this.options.body
    const error: ErrorDetail = { code: this.code, message: this.message }
    if (this.options.target !== undefined) error.target = this.options.target
    if (this.options.details !== undefined) error.details = this.options.details
    return { error }
  }
}

const NOT_FOUND_HINT = 'For more details please go to https://aka.ms/ARMResourceNotFoundFix'

/** 404 exactly as ARM words it, e.g. for `Microsoft.ContainerRegistry/registries/x`. */
export function resourceNotFound(
  resourceType: string,
  name: string,
  resourceGroup: string
): ArmError {
  return new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${resourceType}/${name}' under resource group '${resourceGroup}' was not found. ${NOT_FOUND_HINT}`
  )
}

export function resourceGroupNotFound(resourceGroup: string): ArmError {
  return new ArmError(
    404,
    'ResourceGroupNotFound',
    `Resource group '${resourceGroup}' could not be found.`
  )
}

export function subscriptionNotFound(subscriptionId: string): ArmError {
  return new ArmError(
    404,
    'SubscriptionNotFound',
    `The subscription '${subscriptionId}' could not be found.`
  )
}

export function invalidParameter(message: string, target?: string): ArmError {
  return new ArmError(400, 'InvalidParameter', message, target === undefined ? {} : { target })
}

export function badRequest(code: string, message: string, target?: string): ArmError {
  return new ArmError(400, code, message, target === undefined ? {} : { target })
}

export function conflict(message: string, code = 'Conflict'): ArmError {
  return new ArmError(409, code, message)
}

/** Default `code` for a bare status injected by a fault rule. */
export function defaultCodeForStatus(status: number): string {
  const codes: Record<number, string> = {
    400: 'BadRequest',
    401: 'AuthenticationFailed',
    403: 'AuthorizationFailed',
    404: 'NotFound',
    408: 'RequestTimeout',
    409: 'Conflict',
    429: 'TooManyRequests',
    500: 'InternalServerError',
    502: 'BadGateway',
    503: 'ServiceUnavailable',
    504: 'GatewayTimeout'
  }
  return codes[status] ?? `Http${status}`
}

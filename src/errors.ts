/**
 * Every error the server can answer, as data (reference-behaviour.md §2, §7).
 *
 * The envelope is `{"error":{"message":<code>,"type":<type>,"args":{...}}}`; `message` is a stable
 * machine code. Code, tests and the OpenAPI document are all checked against this one table.
 */

/** The error codes of the contract, with the HTTP status and `type` each one answers. */
export const ERRORS = {
  'err-resource-not-found': { status: 404, type: 'ResourceNotFound' },
  'err-method-not-allowed': { status: 405, type: 'ClientRequest' },
  'err-invalid-org': { status: 403, type: 'Authorization' },
  'err-invalid-token': { status: 403, type: 'Authorization' },
  'err-expired-token': { status: 403, type: 'Authorization' },
  'err-invalid-accept-header': { status: 406, type: 'ClientRequest' },
  'err-internal-server-error': { status: 500, type: 'Runtime' },
  'err-admin-unauthorized': { status: 401, type: 'Authorization' },
  'err-invalid-request': { status: 400, type: 'ClientRequest' },
  'err-task-exists': { status: 409, type: 'ClientRequest' },
  'err-invalid-transition': { status: 409, type: 'ClientRequest' },
  'err-clock-backwards': { status: 409, type: 'ClientRequest' },
  'err-wait-timeout': { status: 408, type: 'ClientRequest' },
  'err-payload-too-large': { status: 413, type: 'ClientRequest' },
  'err-task-limit': { status: 507, type: 'Runtime' },
  'err-too-many-requests': { status: 429, type: 'ClientRequest' },
  'err-bad-gateway': { status: 502, type: 'Runtime' },
  'err-service-unavailable': { status: 503, type: 'Runtime' },
  'err-unsupported-media-type': { status: 415, type: 'ClientRequest' },
  'err-operation-exists': { status: 409, type: 'ClientRequest' },
  'err-operation-built-in': { status: 409, type: 'ClientRequest' },
  'err-issue-with-parameter': { status: 400, type: 'ClientRequest' },
  'err-invalid-credentials': { status: 401, type: 'Authorization' },
  'err-user-exists': { status: 409, type: 'ClientRequest' }
} as const satisfies Record<string, { status: number; type: string }>

/** One of the contract's error codes. */
export type ErrorCode = keyof typeof ERRORS

/** The JSON body of an error answer. */
export interface ErrorBody {
  error: { message: ErrorCode; type: string; args: Record<string, unknown> }
}

/** Builds the exact error body for `code`, with `args` (default `{}`). */
export function errorBody(code: ErrorCode, args: Record<string, unknown> = {}): ErrorBody {
  return { error: { message: code, type: ERRORS[code].type, args } }
}

/**
 * An error that answers with one of the contract's bodies. Routes throw it; the app's error
 * handler turns it into the response. Branch on `code`, never on the message.
 */
export class ContractError extends Error {
  readonly status: number
  /**
   * @param code the contract code (`err-...`)
   * @param args the envelope's `args` (values echoed from the request)
   * @param headers extra response headers (e.g. `Allow`, `Retry-After`)
   */
  constructor(
    readonly code: ErrorCode,
    readonly args: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {}
  ) {
    super(code)
    this.name = 'ContractError'
    this.status = ERRORS[code].status
  }

  /** The JSON body to send. */
  get body(): ErrorBody {
    return errorBody(this.code, this.args)
  }
}

/** The body of rule 1 (`404` with `args: {}`): no route, or an inactive version. */
export const routeNotFound = (): ContractError => new ContractError('err-resource-not-found')

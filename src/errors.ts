/**
 * Every error the server can answer, as data (docs/behaviour.md §1), and the one mapping
 * from the errors the code throws to those answers ({@link answerOf}).
 *
 * The envelope is `{"error":{"message":<code>,"type":<type>,"args":{...}}}`; `message` is a stable
 * machine code. Code, tests and the OpenAPI document are all checked against this one table.
 */
import type { InvalidSpecError } from './validation.js'

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
  'err-store-full': { status: 507, type: 'Runtime' },
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
 * The base of every error the mock throws on purpose (undici's pattern): a stable `code` to branch
 * on (never the message) and a `name` that says which error it is (the subclass's).
 */
export class MockError extends Error {
  /**
   * @param code the stable code: `ERR_...`, or a {@link ContractError}'s contract code
   * @param message for people and logs only
   */
  constructor(
    readonly code: string,
    message: string
  ) {
    super(message)
    this.name = new.target.name
  }
}

/**
 * An error that answers with one of the contract's bodies. Routes throw it; the app's error
 * handler turns it into the response. Branch on `code`, never on the message.
 */
export class ContractError extends MockError {
  readonly status: number
  /**
   * @param code the contract code (`err-...`)
   * @param args the envelope's `args` (values echoed from the request)
   * @param headers extra response headers (e.g. `Allow`, `Retry-After`)
   */
  constructor(
    override readonly code: ErrorCode,
    readonly args: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {}
  ) {
    super(code, code)
    this.status = ERRORS[code].status
  }

  /** The JSON body to send. */
  get body(): ErrorBody {
    return errorBody(this.code, this.args)
  }
}

/** The body of rule 1 (`404` with `args: {}`): no route, or an inactive version. */
export const routeNotFound = (): ContractError => new ContractError('err-resource-not-found')

/** What an error answers: its status, extra response headers and JSON body. */
export interface ErrorAnswer {
  status: number
  headers: Record<string, string>
  body: object
}

/** Errors the code throws (by their stable `code`) that answer a contract error as they are (§4, §12, §13, §19). */
const INTERNAL_ERRORS: Record<string, ErrorCode> = {
  ERR_TASK_EXISTS: 'err-task-exists',
  ERR_TASK_LIMIT: 'err-task-limit',
  ERR_STORE_FULL: 'err-store-full',
  ERR_INVALID_TRANSITION: 'err-invalid-transition',
  ERR_CLOCK_BACKWARDS: 'err-clock-backwards',
  ERR_OPERATION_EXISTS: 'err-operation-exists',
  ERR_OPERATION_BUILT_IN: 'err-operation-built-in',
  ERR_USER_EXISTS: 'err-user-exists'
}

/**
 * The upstream's answer to an 11th live session of one user (§4): `401` with a body outside the
 * envelope (no `type`).
 */
const SESSION_LIMIT: ErrorAnswer = { status: 401, headers: {}, body: { error: { message: 'err-active-tokens-limit-exceeded', args: {} } } }

/** A `400 err-invalid-request` with one detail about the whole body (path `''`). */
const invalidBody = (message: string): ContractError => new ContractError('err-invalid-request', { details: [{ path: '', message }] })

/**
 * The answer an error gets: a {@link ContractError} answers as it says; the mock's other errors
 * and Fastify's body errors map to their contract errors by `code` (§12, §16, §4).
 * @param error anything thrown while answering a request
 * @returns undefined for anything else: a bug, answered `500 err-internal-server-error` with its
 *   details in the log only ({@link internalError})
 */
export function answerOf(error: unknown): ErrorAnswer | undefined {
  if (error instanceof ContractError) return error
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown }
  // §16: the store is away; nothing was written. Clients retry after a second.
  if (code === 'ERR_STORE_UNAVAILABLE') return new ContractError('err-service-unavailable', {}, { 'retry-after': '1' })
  const internal = typeof code === 'string' ? INTERNAL_ERRORS[code] : undefined
  if (internal) return new ContractError(internal)
  if (code === 'ERR_INVALID_SPEC') return new ContractError('err-invalid-request', { details: (error as InvalidSpecError).details })
  if (code === 'ERR_ACTIVE_TOKENS_LIMIT') return SESSION_LIMIT
  // Fastify's, while reading a body: over the route's limit, a content type with no parser.
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new ContractError('err-payload-too-large')
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return invalidBody('content type must be application/json')
  // The JSON parser's errors (syntax, prototype poisoning) and other malformed requests.
  if (statusCode === 400) return invalidBody('must be valid JSON')
  return undefined
}

/** What a bug answers (`500`; its details go to the log only). */
export const internalError = (): ContractError => new ContractError('err-internal-server-error')

/**
 * Request logging through Fastify's pino: one line per request, labelled with the request's
 * `X-CALL-ID` (`callId`), giving method, route, url, status and time. No headers are logged, so no
 * token can leak; the redaction paths guard any header that a future log line might carry.
 */
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

/**
 * Header names whose values never reach logs, the journal or error bodies: the contract's two
 * (§1) and the other credentials a client may send.
 */
export const SECRET_HEADERS = ['x-flynn-n-user-token', 'authorization', 'proxy-authorization', 'cookie'] as const

/** What replaces a secret wherever one would be shown. */
export const REDACTED = '[redacted]'

/** pino's `redact` option for {@link SECRET_HEADERS}, wherever a request's headers are logged. */
export const redact = {
  paths: SECRET_HEADERS.flatMap((h) => [`req.headers["${h}"]`, `headers["${h}"]`]),
  censor: REDACTED
}

/**
 * The route (its URL pattern) that refused a request with a method it does not serve (see
 * plugins/not-found.ts): the route its log line names, as for any request that route answers.
 */
export const refusedBy = new WeakMap<FastifyRequest, string>()

/** Logs one line when a request completes and nothing when it arrives. */
export class RequestLogController extends LogController {
  constructor() {
    super({ requestIdLogLabel: 'callId' })
  }

  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = {
      method: request.method,
      route: refusedBy.get(request) ?? request.routeOptions.url,
      url: request.url,
      statusCode: reply.statusCode,
      responseTimeMs: Math.round(reply.elapsedTime * 100) / 100
    }
    if (error) reply.log.error({ ...line, err: error }, 'request errored')
    else reply.log.info(line, 'request completed')
  }
}

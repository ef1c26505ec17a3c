/**
 * Parts of the server that most processes never serve (the documentation UI, the console) are
 * Fastify apps of their own, built on their first request and answering through `inject`, so that
 * start-up loads none of their modules: @fastify/swagger (and `yaml`), @fastify/swagger-ui and
 * @fastify/static cost about 70 ms of a 500 ms start, which every test that starts a server pays.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { routeNotFound } from '../errors.js'

/**
 * Headers of the inner answer not sent on: its own connection's, and `Accept-Ranges` (no `Range`
 * reaches the inner app, so no range is offered).
 */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date', 'accept-ranges'])

/** A handler of GET and HEAD routes that answers with an app built on first use. */
export type ForwardingHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>

/**
 * A bare Fastify app for {@link lazyApp}'s `build`, with the routing of the outer app (no trailing
 * or duplicate slash folded, no HEAD route made for each GET: the routes say which they answer).
 */
export function innerApp(): FastifyInstance {
  return Fastify({ logger: false, exposeHeadRoutes: false, routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false } })
}

/** Request headers not passed on: these files are sent whole and as they are (docs/behaviour.md §18). */
const IGNORED_HEADERS = new Set(['range', 'if-range', 'if-match', 'if-unmodified-since'])

/**
 * The request target as the router reads it: its path (of an absolute URL, `http://host/p`, the
 * path part) up to the query or a fragment, and its query (`?...`, or '').
 */
export function routedTarget(url: string): { path: string; query: string } {
  const start = url.charCodeAt(0) === 47 ? 0 : url.indexOf('/', url.indexOf('://') + 3)
  const [target = ''] = url.slice(Math.max(start, 0)).split('#', 1)
  const queryAt = target.indexOf('?')
  return queryAt < 0 ? { path: target, query: '' } : { path: target.slice(0, queryAt), query: target.slice(queryAt) }
}

/**
 * Makes a handler that answers each request as the app `build` makes would, with the same method,
 * path and query (as the router read them) and headers. Conditional GETs by `If-None-Match` or
 * `If-Modified-Since` answer 304; `Range`, `If-Range`, `If-Match` and `If-Unmodified-Since` are not
 * passed on (these files are sent whole, docs/behaviour.md §18). Its status, headers and body are
 * sent as they are, but for an error: any 4xx of the inner app (its 404, @fastify/send's 403 for a
 * path it will not serve, `static//x`) is rule 1's 404 (§1), no file there; a 5xx is the `500`.
 * A path that `inject` would change is the 404 too: it parses URLs as browsers do (`./` and `../`
 * segments resolved, `\` read as `/`), and the path as sent names no file.
 * The app is built on the first request (a build that fails is tried again on the next) and closed
 * with `app`.
 * @param app the app whose routes use the handler
 * @param build makes the inner app, ready; start from {@link innerApp}
 */
export function lazyApp(app: FastifyInstance, build: () => Promise<FastifyInstance>): ForwardingHandler {
  let inner: Promise<FastifyInstance> | undefined
  app.addHook('onClose', async () => {
    if (inner) await (await inner.catch(() => undefined))?.close()
  })
  return async (request, reply) => {
    inner ??= build().catch((error: unknown) => {
      inner = undefined
      throw error
    })
    const { path, query } = routedTarget(request.url)
    if (new URL(path, 'http://inner').pathname !== path) throw routeNotFound()
    const headers: Record<string, string | string[] | undefined> = {}
    for (const [name, value] of Object.entries(request.headers)) if (!IGNORED_HEADERS.has(name)) headers[name] = value
    const answer = await (await inner).inject({ method: request.method as 'GET' | 'HEAD', url: path + query, headers })
    if (answer.statusCode >= 500) throw new Error(`${request.method} ${path}: the inner app answered ${answer.statusCode}: ${answer.body.slice(0, 200)}`)
    if (answer.statusCode >= 400) throw routeNotFound()
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !NOT_FORWARDED.has(name)) reply.header(name, value)
    }
    // No body (a HEAD, a 304, a redirect): none is sent, so Fastify adds no type or length of its own.
    return reply.code(answer.statusCode).send(answer.rawPayload.length > 0 ? answer.rawPayload : undefined)
  }
}

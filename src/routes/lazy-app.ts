/**
 * Parts of the server that most processes never serve (the documentation UI, the console) are
 * Fastify apps of their own, built on their first request and answering through `inject`, so that
 * start-up loads none of their modules: @fastify/swagger (and `yaml`), @fastify/swagger-ui and
 * @fastify/static cost about 70 ms of a 500 ms start, which every test that starts a server pays.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { routeNotFound } from '../errors.js'

/** Headers of the inner answer that belong to its own connection, not to the forwarded answer. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date'])

/** A handler of GET and HEAD routes that answers with an app built on first use. */
export type ForwardingHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>

/**
 * A bare Fastify app for {@link lazyApp}'s `build`, with the routing of the outer app (no trailing
 * or duplicate slash folded, no HEAD route made for each GET: the routes say which they answer).
 */
export function innerApp(): FastifyInstance {
  return Fastify({ logger: false, exposeHeadRoutes: false, routerOptions: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false } })
}

/**
 * Makes a handler that answers each request as the app `build` makes would: the same method, URL
 * and headers (a `Range` header aside: these files are sent whole, docs/behaviour.md §18), and its
 * status, headers and body as they are. The inner app's 404, and the 403 @fastify/send gives a path
 * it will not serve (`static//x`), are rule 1's 404 (§1): no file there. So is a path that `inject`
 * would change (it parses URLs as browsers do: `./` and `../` segments resolved, `\\` read as
 * `/`), which names no file as sent. The app is
 * built on the first request (a build that fails is tried again on the next) and closed with `app`.
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
    const path = request.url.split('?', 1)[0] as string
    if (new URL(path, 'http://inner').pathname !== path) throw routeNotFound()
    const { range: _range, ...headers } = request.headers
    const answer = await (await inner).inject({ method: request.method as 'GET' | 'HEAD', url: request.url, headers })
    if (answer.statusCode === 404 || answer.statusCode === 403) throw routeNotFound()
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value !== undefined && !HOP_HEADERS.has(name)) reply.header(name, value)
    }
    return reply.code(answer.statusCode).send(answer.rawPayload)
  }
}

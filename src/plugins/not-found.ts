/**
 * Rule 1 (docs/behaviour.md §1, §2 rule 1) for a request no route takes, answered before any body is
 * read: the 405 of a task, producer or login route at its path when only its method is wrong, else
 * the 404; under /__admin, after the admin token check (routes/admin.ts answers those).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import FindMyWay from 'find-my-way'
import type { Settings } from '../config.js'
import { ContractError, routeNotFound } from '../errors.js'
import { refusedBy } from '../logging.js'
import { tokenMatches } from '../routes/admin.js'
import { appWide } from './app-wide.js'

/**
 * Whether a URL is under the control API's prefix, whose unknown paths routes/admin.ts answers:
 * its first path segment, percent-decoded on its own, is `__admin`. The router matches decoded
 * paths, so `/__%61dmin/...` is under `/__admin` too; a first segment that cannot be decoded is
 * not (the router cannot place it under any prefix).
 */
export function inAdminScope(url: string): boolean {
  try {
    return decodeURIComponent(String(url.split(/[/?]/, 2)[1])) === '__admin'
  } catch {
    return false
  }
}

/** A route's onRequest hook, which refuses a method the route does not answer (it throws the 405, or its own 404 first). */
export type RefusingHook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>

/**
 * The routes that answer every other method with their own 405 (task, producer and login routes).
 * They are registered for the methods they serve only: one router entry for each of Node's 35
 * methods was about 20 ms of every start-up. A request with another method finds no route (or only
 * the custom operations' `/enriched/*`), and is given to the onRequest hook of the route at its path.
 */
export interface OtherMethods {
  /** Adds a route, by its URL pattern (Fastify syntax, the prefix included) and its onRequest hook. */
  add(url: string, onRequest: RefusingHook): void
  /**
   * Refuses `request` by the onRequest hook of the route at its path (its params set as that route
   * would set them).
   * @returns the hook's promise, which rejects with the answer; undefined when no such route is at this path
   */
  refuse(request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The routes that answer every other method with 405 (see {@link OtherMethods}). */
    otherMethods: OtherMethods
  }
}

/** find-my-way's handler of a route, which this router never calls: it is only searched (`find`). */
/* c8 ignore next */
const notCalled = (): void => {}

/**
 * The routes for {@link OtherMethods}, matched as Fastify's router matches (`app`'s router options).
 */
function otherMethods(app: FastifyInstance): OtherMethods {
  // (A `;` is part of the path for both: find-my-way's useSemicolonDelimiter is off by default.)
  const { caseSensitive, ignoreTrailingSlash, ignoreDuplicateSlashes, maxParamLength } = { ...app.initialConfig, ...app.initialConfig.routerOptions }
  const router = FindMyWay<FindMyWay.HTTPVersion.V1>({ caseSensitive, ignoreTrailingSlash, ignoreDuplicateSlashes, maxParamLength })
  return {
    add(url, onRequest) {
      // One entry per path, whatever the method (find-my-way keeps a tree per method).
      router.on('GET', url, notCalled, { url, onRequest })
    },
    refuse(request, reply) {
      const match = router.find('GET', request.url)
      if (!match) return undefined
      const { url, onRequest } = match.store as { url: string; onRequest: RefusingHook }
      request.params = match.params
      refusedBy.set(request, url)
      return onRequest(request, reply).then(() => {
        /* c8 ignore next 2 */
        throw new Error(`${request.method} ${request.url}: the route did not refuse a method it is not registered for`)
      })
    }
  }
}

/**
 * Answers a request no route takes outside /__admin: the 405 of a route at its path, else the 404 of
 * rule 1. Decorates `app.otherMethods`. Register it before any route.
 */
export const notFound = appWide('not-found', async (app) => {
  const other = otherMethods(app)
  app.decorate('otherMethods', other)
  // A callback hook, not an async one: no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    if (!request.is404 || inAdminScope(request.url)) return done()
    const refused = other.refuse(request, reply)
    if (refused) refused.catch(done)
    else done(routeNotFound())
  })

  // Unreachable: the onRequest hook above answers every unknown path before body parsing. Kept
  // so that Fastify's default 404 body can never be sent.
  /* c8 ignore start */
  app.setNotFoundHandler(() => {
    throw routeNotFound()
  })
  /* c8 ignore stop */
})

/**
 * Fastify's `frameworkErrors`: errors met while routing (a path that cannot be percent-decoded,
 * FST_ERR_BAD_URL; and, were they configured, over-long parameters or async constraints) all mean
 * the path matches no route: rule 1's 404. Under /__admin the token is checked first, as for every
 * other path there (§12).
 */
export function answerRoutingError(settings: Settings, request: FastifyRequest, reply: FastifyReply): void {
  const token = settings.adminToken
  const locked = token !== undefined && inAdminScope(request.url) && !tokenMatches(request.headers.authorization, token)
  const answer = locked ? new ContractError('err-admin-unauthorized') : routeNotFound()
  void reply.header('x-call-id', request.id).code(answer.status).send(answer.body)
}

/**
 * Rule 1's 404 (docs/behaviour.md §1, §2 rule 1) for a path no route matches, answered before any body
 * is read; under /__admin, after the admin token check (routes/admin.ts answers those).
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Settings } from '../config.js'
import { ContractError, routeNotFound } from '../errors.js'
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

/** Answers an unknown path outside /__admin with the 404 of rule 1. Register it before any route. */
export const notFound = appWide('not-found', async (app) => {
  // A callback hook, not an async one: no promise per request.
  app.addHook('onRequest', (request, _reply, done) => {
    done(request.is404 && !inAdminScope(request.url) ? routeNotFound() : undefined)
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

/**
 * Operational endpoints (docs/behaviour.md §18): liveness and readiness. No auth, and never
 * written to the request journal.
 */
import type { FastifyInstance } from 'fastify'

/** Registers `GET /healthz` and `GET /readyz`, with HEAD (the same status, no body: RFC 9110 §9.3.2). */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.route({ method: ['GET', 'HEAD'], url: '/healthz', handler: async () => ({ status: 'ok' }) })
  app.route({ method: ['GET', 'HEAD'], url: '/readyz', handler: async (_request, reply) => {
    if (!app.mock.ready) return reply.code(503).send({ status: 'shutting-down' })
    if (!(await app.mock.store.ready())) return reply.code(503).send({ status: 'store-unavailable' })
    return { status: 'ready' }
  } })
}

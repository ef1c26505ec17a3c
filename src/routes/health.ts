/**
 * Operational endpoints (reference-behaviour.md §9): liveness and readiness. No auth, and never
 * written to the request journal.
 */
import type { FastifyInstance } from 'fastify'

/** Registers `GET /healthz` and `GET /readyz`. */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_request, reply) => {
    if (!app.mock.ready) return reply.code(503).send({ status: 'shutting-down' })
    if (!(await app.mock.store.ready())) return reply.code(503).send({ status: 'store-unavailable' })
    return { status: 'ready' }
  })
}

/**
 * The published contract (reference-behaviour.md §9): `GET /openapi.yaml` (the document's exact
 * bytes), `GET /openapi.json` (the same document as JSON, from @fastify/swagger in static mode)
 * and `GET /documentation` (@fastify/swagger-ui). No auth; read once at start-up. js-yaml parses
 * the document (a few times faster than `yaml` for this 100 KiB file, which start-up time shows).
 */
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import { load } from 'js-yaml'
import type { OpenAPIV3 } from 'openapi-types'

/** Where the OpenAPI document lives, beside `src/` and `dist/`. */
export const OPENAPI_FILE = fileURLToPath(new URL('../../openapi/openapi.yaml', import.meta.url))

/** Registers the document's routes and the interactive UI. */
export async function openapiRoutes(app: FastifyInstance): Promise<void> {
  const bytes = await readFile(OPENAPI_FILE)
  await app.register(swagger, { mode: 'static', specification: { document: load(bytes.toString('utf8')) as OpenAPIV3.Document } })
  await app.register(swaggerUi, { routePrefix: '/documentation' })
  // HEAD answers as GET without the body (RFC 9110 §9.3.2; Node drops a HEAD answer's body).
  app.route({ method: ['GET', 'HEAD'], url: '/openapi.yaml', handler: async (_request, reply) => reply.type('application/yaml').send(bytes) })
  app.route({ method: ['GET', 'HEAD'], url: '/openapi.json', handler: async () => app.swagger() })
}

/**
 * The app factory: builds a ready Fastify instance without listening. Tests drive it with
 * `inject`; `server.ts` and `startMockServer` make it listen.
 */
import { randomUUID } from 'node:crypto'
import type { Server } from 'node:http'
import { createRequire } from 'node:module'
import type { ValidatorFactory } from '@fastify/ajv-compiler'
import type { SerializerFactory } from '@fastify/fast-json-stringify-compiler'
import Fastify, { type FastifyHttpOptions, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import { ControlledClock, FollowedTime } from './clock.js'
import { defaultSettings, type Settings } from './config.js'
import { loadFixtures, type Fixtures } from './fixtures.js'
import { redact, RequestLogController } from './logging.js'
import { answerClientError, edges } from './plugins/edges.js'
import { errors } from './plugins/errors.js'
import { mockState, openMockState } from './plugins/mock-state.js'
import { answerRoutingError, notFound } from './plugins/not-found.js'
import { routeList } from './plugins/route-list.js'
import { sweep } from './plugins/sweep.js'
import { adminRoutes } from './routes/admin.js'
import { authRoutes } from './routes/auth.js'
import { consoleRoutes } from './routes/console.js'
import { healthRoutes } from './routes/health.js'
import { openapiRoutes } from './routes/openapi.js'
import { producerRoutes } from './routes/producers.js'
import { taskRoutes } from './routes/tasks.js'

export type { RouteEntry } from './plugins/route-list.js'

/** The start-up log line, given to `listen({ listenTextResolver })`: the one line with the URL. */
export const listeningText = (address: string): string => `enriched-tasks-mock listening on ${address}`

/** Options of {@link buildApp}. Every field is optional. */
export interface AppOptions {
  /** Settings over the defaults of §17. */
  settings?: Partial<Settings>
  /** The clock (default: a system-mode clock). Tests pass `new ControlledClock({ mode: 'manual' })`. */
  clock?: ControlledClock
  /** Preloaded fixtures (default: read from `settings.fixturesDir`). */
  fixtures?: Fixtures
  /**
   * The logger: `false` for none, a pino options object, or a pino instance (`loggerInstance`).
   * Default: pino at `settings.logLevel`, writing JSON lines to stdout.
   */
  logger?: FastifyServerOptions['logger']
  /** How often expired tasks are swept, in ms (default 60 s; 0 turns the timer off). */
  sweepIntervalMs?: number
}

/**
 * Builds the app: loads the fixtures, opens the store and seeds it, and registers every plugin
 * and route (plugins/ for what acts on the whole app, routes/ for the routes).
 * @returns a ready instance (not listening)
 * @throws {FixtureError} when the fixtures folder is missing or invalid
 */
export async function buildApp(options: AppOptions = {}): Promise<FastifyInstance> {
  const settings: Settings = { ...defaultSettings(), ...options.settings }
  // With Redis, replicas agree on time (§16): the system time is Redis's TIME, followed locally.
  const time = options.clock || settings.store === 'memory' ? undefined : new FollowedTime()
  const clock = options.clock ?? new ControlledClock(time ? { system: time.now } : {})
  const fixtures = options.fixtures ?? (await loadFixtures(settings.fixturesDir))

  const app = Fastify(serverOptions(settings, options.logger))
  // Before any route: they see every method, are listed, and find the mock's state.
  await app.register(edges)
  await app.register(routeList)
  await app.register(mockState, { mock: await openMockState({ settings, clock, time, fixtures, log: app.log }) })
  await app.register(notFound)
  await app.register(errors)

  await app.register(taskRoutes)
  await app.register(producerRoutes)
  await app.register(authRoutes, { prefix: '/theodore/apis/v1' })
  await app.register(adminRoutes, { prefix: '/__admin' })
  await app.register(healthRoutes)
  await app.register(openapiRoutes)
  await app.register(consoleRoutes)

  await app.register(sweep, { intervalMs: options.sweepIntervalMs ?? 60_000 })
  await app.ready()
  return app
}

/** `require` as Fastify's own module: its schema compilers are its dependencies, not this package's. */
const fastifyRequire = createRequire(createRequire(import.meta.url).resolve('fastify'))

/**
 * Fastify's own schema compilers (Fastify's `schemaController.compilersFactory`), each loaded when a
 * route first declares a schema. No route of this app does (request bodies are checked by
 * validation.ts, with validators compiled at build time), so a start-up loads neither Ajv nor
 * fast-json-stringify, about 45 ms of CPU.
 */
export const lazyCompilers: { buildValidator: ValidatorFactory; buildSerializer: SerializerFactory } = {
  buildValidator: (externalSchemas, options) => (fastifyRequire('@fastify/ajv-compiler') as () => ValidatorFactory)()(externalSchemas, options),
  buildSerializer: (externalSchemas, options) => (fastifyRequire('@fastify/fast-json-stringify-compiler') as () => SerializerFactory)()(externalSchemas, options)
}

/** Fastify's options: the limits and timeouts of §19, request ids, routing, and the edges' own answers. */
function serverOptions(settings: Settings, logger: FastifyServerOptions['logger']): FastifyHttpOptions<Server> {
  return {
    logger: logger ?? { level: settings.logLevel, redact },
    logController: new RequestLogController(),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    exposeHeadRoutes: false,
    schemaController: { compilersFactory: lazyCompilers },
    bodyLimit: settings.maxBodySize,
    connectionTimeout: settings.connectionTimeoutMs,
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    http: {
      maxHeaderSize: settings.maxHeaderSize,
      // Node enforces the request and header timeouts on this interval (30 s by default), so a
      // short REQUEST_TIMEOUT needs a shorter one to bite on time.
      connectionsCheckingInterval: Math.min(1_000, Math.max(100, settings.requestTimeoutMs / 4)),
      headersTimeout: Math.min(60_000, settings.requestTimeoutMs || 60_000)
    },
    routerOptions: {
      // Long enough that any id or page number within the header limit reaches rules 4 and 5.
      maxParamLength: settings.maxHeaderSize,
      ignoreTrailingSlash: false,
      ignoreDuplicateSlashes: false
    },
    // While closing, requests on open connections are still answered (readyz says 503 itself).
    return503OnClosing: false,
    frameworkErrors: (_error, request, reply) => answerRoutingError(settings, request as FastifyRequest, reply as FastifyReply),
    clientErrorHandler: answerClientError
  }
}

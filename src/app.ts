/**
 * The app factory: builds a ready Fastify instance without listening. Tests drive it with
 * `inject`; `server.ts` and `startMockServer` make it listen.
 */
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyServerOptions } from 'fastify'
import { ControlledClock, FollowedTime } from './clock.js'
import { defaultSettings, type Settings } from './config.js'
import { answerOf, ContractError, internalError, routeNotFound } from './errors.js'
import { loadFixtures, type Fixtures } from './fixtures.js'
import { redact, RequestLogController } from './logging.js'
import { MockState } from './mock-state.js'
import { adminRoutes, tokenMatches } from './routes/admin.js'
import { authRoutes } from './routes/auth.js'
import { openapiRoutes } from './routes/openapi.js'
import { healthRoutes } from './routes/health.js'
import { producerRoutes } from './routes/producers.js'
import { taskRoutes } from './routes/tasks.js'
import { BUILT_IN_OPERATIONS } from './operations/index.js'
import { SharedState } from './shared-state.js'
import { Signer } from './signing.js'
import { MemoryStore } from './store/memory.js'
import type { Store, TaskRebuilder } from './store/store.js'

/** One registered route: its methods and its URL pattern (Fastify syntax, `:param`). */
export interface RouteEntry {
  methods: string[]
  url: string
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The mock's state (mock-state.ts): settings, store, fixtures and signer, and the steps that change them. */
    mock: MockState
    /** Every route the app answers (the contract test compares it with the OpenAPI document). */
    routeList: readonly RouteEntry[]
  }
}

/** The start-up log line, given to `listen({ listenTextResolver })`: the one line with the URL. */
export const listeningText = (address: string): string => `enriched-tasks-mock listening on ${address}`

/** Options of {@link buildApp}. Every field is optional. */
export interface AppOptions {
  /** Settings over the defaults of §8. */
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
 * Builds the app: loads the fixtures, seeds the tasks and registers every route.
 * @returns a ready instance (not listening)
 * @throws {FixtureError} when the fixtures folder is missing or invalid
 */
export async function buildApp(options: AppOptions = {}): Promise<FastifyInstance> {
  const settings: Settings = { ...defaultSettings(), ...options.settings }
  // With Redis, replicas agree on time (§11): the system time is Redis's TIME, followed locally.
  const time = options.clock || settings.store === 'memory' ? undefined : new FollowedTime()
  const clock = options.clock ?? new ControlledClock(time ? { system: time.now } : {})
  const fixtures = options.fixtures ?? (await loadFixtures(settings.fixturesDir))

  const app = Fastify({
    logger: options.logger ?? { level: settings.logLevel, redact },
    logController: new RequestLogController(),
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    exposeHeadRoutes: false,
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
    // Errors met while routing (a path that cannot be percent-decoded, FST_ERR_BAD_URL; and, were
    // they configured, over-long parameters or async constraints) all mean the path matches no
    // route: rule 1's 404.
    frameworkErrors: (_error, request, reply) => {
      // Under /__admin the token is checked first, as for every other path there (§7).
      const token = settings.adminToken
      const locked = token !== undefined && ADMIN_SCOPE.test(request.url) && !tokenMatches(request.headers.authorization, token)
      const answer = locked ? new ContractError('err-admin-unauthorized') : routeNotFound()
      void (reply as FastifyReply).header('x-call-id', request.id).code(answer.status).send(answer.body)
    },
    clientErrorHandler: answerClientError
  })

  // Every method Node parses reaches the router, so a task route can answer 405 to all of them.
  // CONNECT included: Node hands it to a 'connect' listener instead, which passes it on below.
  for (const method of http.METHODS) {
    if (!app.supportedMethods.includes(method)) app.addHttpMethod(method, { hasBody: true })
  }
  app.server.on('connect', (request: http.IncomingMessage, socket: Socket) => {
    const response = new http.ServerResponse(request)
    // The socket is closed after this one answer (Node has handed it over): say so.
    response.shouldKeepAlive = false
    response.assignSocket(socket)
    response.once('finish', () => socket.destroySoon())
    app.server.emit('request', request, response)
  })

  const routes: RouteEntry[] = []
  app.addHook('onRoute', (route) => {
    routes.push({ methods: ([] as string[]).concat(route.method), url: route.url })
  })
  app.decorate('routeList', routes)

  const shared = new SharedState({ builtIn: BUILT_IN_OPERATIONS, fixtureOperations: fixtures.operations }, clock)
  // The mock rebuilds tasks a shared store read back; it exists by the time the store reads any.
  let mock: MockState | undefined
  const store = await createStore(settings, shared, app.log, time, (id, orgId, createdAt, source) => (mock as MockState).rebuild(id, orgId, createdAt, source))
  mock = new MockState(settings, store, fixtures, await Signer.fromPem(fixtures.signingKey))
  app.decorate('mock', mock)
  app.addHook('onClose', async () => store.close())
  try {
    await mock.open()
  } catch (error) {
    await store.close()
    throw error
  }
  app.decorateRequest('fault', null)

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-call-id', request.id)
    // An unknown path answers rule 1's 404 before any body is read or parsed (under /__admin,
    // after the admin token check: see routes/admin.ts).
    if (request.is404) {
      if (!ADMIN_SCOPE.test(request.url)) throw routeNotFound()
    }
  })

  app.setErrorHandler((error: FastifyError, request, reply) => sendError(error, reply, (err) => request.log.error({ err }, 'unexpected error')))
  // Unreachable: the onRequest hook above answers every unknown path before body parsing. Kept
  // so that Fastify's default 404 body can never be sent.
  /* c8 ignore start */
  app.setNotFoundHandler(() => {
    throw routeNotFound()
  })
  /* c8 ignore stop */

  await app.register(taskRoutes)
  await app.register(producerRoutes)
  await app.register(authRoutes, { prefix: '/theodore/apis/v1' })
  await app.register(adminRoutes, { prefix: '/__admin' })
  await app.register(healthRoutes)
  await app.register(openapiRoutes)

  const sweepIntervalMs = options.sweepIntervalMs ?? 60_000
  if (sweepIntervalMs > 0) {
    const sweep = setInterval(() => {
      // A store that is away is swept once it is back.
      ;(mock as MockState).sweep().catch((error: unknown) => app.log.warn({ err: error }, 'sweep failed'))
    }, sweepIntervalMs)
    sweep.unref()
    app.addHook('onClose', async () => clearInterval(sweep))
  }

  app.addHook('preClose', async () => {
    mock.ready = false
  })
  await app.ready()
  mock.ready = true
  return app
}

/**
 * The store `STORE` names (§11): memory, or Redis (loaded only then).
 * @param time the clock's system time, kept on Redis's `TIME` (absent: the clock was given)
 * @param rebuild builds a task from what a shared store kept
 */
async function createStore(settings: Settings, shared: SharedState, log: FastifyBaseLogger, time: FollowedTime | undefined, rebuild: TaskRebuilder): Promise<Store> {
  const options = { ttlMs: settings.taskTtlMs, maxTasks: settings.maxTasks, journalSize: settings.journalSize }
  if (settings.store === 'memory') return new MemoryStore(shared, options)
  const { RedisStore } = await import('./store/redis.js')
  return new RedisStore(shared, { ...options, url: settings.store, prefix: settings.storePrefix, rebuild, log, ...(time ? { time } : {}) })
}

/** URLs under the control API's prefix, whose unknown paths routes/admin.ts answers. */
const ADMIN_SCOPE = /^\/__admin(?:[/?]|$)/

/**
 * Answers an error with its body (errors.ts says which); anything it does not know is a `500`
 * whose details go to the log only.
 */
function sendError(error: FastifyError, reply: FastifyReply, logUnexpected: (error: unknown) => void): FastifyReply {
  // Headers a success would have carried must not survive into an error.
  reply.removeHeader('content-disposition')
  reply.removeHeader('retry-after')
  reply.removeHeader('content-length')
  const answer = answerOf(error)
  if (answer) return reply.code(answer.status).headers(answer.headers).type('application/json; charset=utf-8').send(answer.body)
  logUnexpected(error)
  // The type is left to Fastify, as it always was here: after a zip stream fails before its first
  // byte, the raw response still says application/zip, and Fastify answers with its own 500.
  return reply.code(500).send(internalError().body)
}

/**
 * Answers a request Node's parser refused (malformed, headers over MAX_HEADER_SIZE, too slow) the
 * way Node itself does: a bare status line and `Connection: close`, no body (§2 rule 1: "Node's
 * 431"), instead of Fastify's JSON body.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
  if (socket.writable) socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`)
  socket.destroy()
}

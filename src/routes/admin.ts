/**
 * The control API under `/__admin` (docs/behaviour.md §12): tasks, credentials, the clock,
 * the request journal, faults, the client report and scenarios (§21), and reset. JSON in and
 * out; every body is validated by a schema and answers `400 err-invalid-request` with details
 * when it is wrong.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import { Readable } from 'node:stream'
import { setImmediate as turn } from 'node:timers/promises'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { loadArchive } from '../archive-loader.js'
import { parseDuration } from '../config.js'
import { ContractError, routeNotFound } from '../errors.js'
import { credentialFromSpec, credentialSchema, type CredentialSpec } from '../credentials.js'
import { MAX_TIME_MS } from '../clock.js'
import { SCENARIOS, scenarioView } from '../scenarios.js'
import { taskFromSpec } from '../task-spec.js'
import type { Task, TaskStatus } from '../task.js'
import type { JournalEntry } from '../journal.js'
import { validateUser } from '../users.js'
import { clockView, iso, scheduleView, taskView, type TaskView } from '../views.js'
import { InvalidSpecError, ISO_8601, notADateTime, parseDateTime, UUID_PATTERN, validator } from '../validation.js'

const STATUSES = ['queued', 'processing', 'completed', 'failed'] as const

const validateTransition = validator<{ status: 'processing' | 'completed' | 'failed' }>({
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: { status: { enum: ['processing', 'completed', 'failed'] } }
})
const validateCredential = validator<CredentialSpec>(credentialSchema)
const validateClock = validator<{ advance?: string | number; set?: string; mode?: 'system' | 'manual' }>({
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  maxProperties: 1,
  properties: {
    advance: { anyOf: [{ type: 'string', pattern: '^\\d+(ms|s|m|h|d)?$' }, { type: 'integer', minimum: 0 }] },
    set: { type: 'string', pattern: ISO_8601 },
    mode: { enum: ['system', 'manual'] }
  }
})
const INTEGER = '^[0-9]{1,9}$'
const validateTaskQuery = validator<{ orgId?: string; status?: TaskStatus; limit?: string; cursor?: string }>({
  type: 'object',
  additionalProperties: false,
  properties: { orgId: { type: 'string' }, status: { enum: STATUSES }, limit: { type: 'string', pattern: INTEGER }, cursor: { type: 'string' } }
})
const validateRequestsQuery = validator<{ path?: string; limit?: string; cursor?: string }>({
  type: 'object',
  additionalProperties: false,
  properties: { path: { type: 'string' }, limit: { type: 'string', pattern: INTEGER }, cursor: { type: 'string' } }
})

/** A page of the control API's lists (§19): `limit` entries by default, at most {@link MAX_PAGE}. */
export const DEFAULT_PAGE = 100
export const MAX_PAGE = 1000

/**
 * The opaque `cursor` of a list's next page: base64url of `<kind>:<position>` (the task list: a
 * creation position; the journal: the id of the oldest request already listed).
 */
const cursorOf = (kind: 't' | 'r', position: string | number): string => Buffer.from(`${kind}:${position}`).toString('base64url')

/**
 * Reads a cursor this API gave for the same list.
 * @throws {InvalidSpecError} (`400` naming `/cursor`) for anything else
 */
function positionOf(cursor: string, kind: 't' | 'r'): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8')
  const valid = kind === 't' ? /^t:[1-9][0-9]{0,15}$/ : /^r:[0-9a-f-]{36}$/
  if (!valid.test(text) || Buffer.from(text).toString('base64url') !== cursor) {
    throw new InvalidSpecError([{ path: '/cursor', message: 'must be the next cursor of an earlier answer of this list' }])
  }
  return text.slice(2)
}
const validateReportQuery = validator<{ orgId?: string; taskId?: string }>({
  type: 'object',
  additionalProperties: false,
  // An empty orgId names no org (ids are 1 to 200 characters): refused, not read as no filter.
  properties: { orgId: { type: 'string', minLength: 1, maxLength: 200 }, taskId: { type: 'string', pattern: UUID_PATTERN } }
})
/** `DELETE /__admin/report` forgets the whole report (or the namespace's): it takes no filter. */
const validateNoQuery = validator<Record<string, never>>({ type: 'object', additionalProperties: false, properties: {} })
const validateWaitQuery = validator<{ path?: string; count?: string; timeoutMs?: string }>({
  type: 'object',
  additionalProperties: false,
  properties: {
    path: { type: 'string' },
    count: { type: 'string', pattern: INTEGER },
    timeoutMs: { type: 'string', pattern: INTEGER }
  }
})

/** Longest wait `GET /__admin/requests/wait` allows, in ms. */
export const MAX_WAIT_MS = 300_000
/** Its default timeout and count. */
const DEFAULT_WAIT_MS = 5_000

/**
 * Whether `Authorization` carries the bearer token (the scheme name in any case, RFC 9110 §11.1),
 * compared in constant time (hashing first, so lengths leak nothing either).
 */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const digest = (value: string): Buffer => createHash('sha256').update(value).digest()
  const sent = /^bearer +(.*)$/i.exec(header ?? '')?.[1] ?? ''
  return timingSafeEqual(digest(sent), digest(token))
}

/** The parts, each in its own turn of the event loop. */
async function* eachTurn(parts: Iterable<string>): AsyncGenerator<string> {
  for (const part of parts) {
    yield part
    await turn()
  }
}

/** A positive integer query value within bounds, or a 400. */
function bounded(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (n < min || n > max) throw new InvalidSpecError([{ path: `/${name}`, message: `must be from ${min} to ${max}` }])
  return n
}

/** Registers the control API; register it with `{ prefix: '/__admin' }` (its own scope). */
export async function adminRoutes(app: FastifyInstance): Promise<void> {
  const mock = app.mock

  // JSON only; an empty body counts as {} (§12). Other content types are refused as 400.
  const parseJson = app.getDefaultJsonParser('error', 'error')
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, {})
    parseJson(request, body as string, done)
  })

  app.addHook('onRequest', async (request) => {
    const token = mock.settings.adminToken
    if (token !== undefined && !tokenMatches(request.headers.authorization, token)) {
      throw new ContractError('err-admin-unauthorized')
    }
    // An unknown /__admin path: the route 404, before any body is parsed.
    if (request.is404) throw routeNotFound()
    // A namespace names an org (§15): an empty one must not fall back to acting on every org.
    const org = request.headers['x-flynn-n-org-id']
    if (org !== undefined && (org === '' || org.length > 200)) throw new InvalidSpecError([{ path: 'X-FLYNN-N-ORG-ID', message: 'must be an org id of 1 to 200 characters' }])
    // Routes that take no body ignore one (as GET routes do): with no content type or length
    // left, Fastify reads nothing, and Node discards the unread bytes.
    if (request.method === 'DELETE' || request.routeOptions.url === '/__admin/reset') {
      delete request.headers['content-type']
      delete request.headers['transfer-encoding']
      request.headers['content-length'] = '0'
    }
    await mock.store.sync()
  })

  /** The org whose namespace a control call acts in (§15: its `X-FLYNN-N-ORG-ID`), or null: global. */
  const namespace = (request: FastifyRequest): string | null => (request.headers['x-flynn-n-org-id'] as string | undefined) || null

  // Unreachable: the onRequest hook above answers unknown /__admin paths (after the token check)
  // before body parsing. Kept so that Fastify's default 404 body can never be sent.
  /* c8 ignore start */
  app.setNotFoundHandler(() => {
    throw routeNotFound()
  })
  /* c8 ignore stop */

  const taskOf = async (request: FastifyRequest<{ Params: { id: string } }>): Promise<Task> => {
    // Another org's task is not there for a namespace (§15).
    const task = await mock.store.tasks.find(request.params.id, namespace(request))
    if (!task) throw routeNotFound()
    return task
  }
  // No body at all counts as {}; a JSON null is a body, and not an object.
  const body = (request: FastifyRequest): unknown => (request.body === undefined ? {} : request.body)

  app.post('/tasks', async (request, reply) => {
    const org = namespace(request)
    const spec = body(request)
    const given = (spec as { orgId?: unknown } | null)?.orgId
    if (org && given !== undefined && given !== org) throw new InvalidSpecError([{ path: '/orgId', message: "must be the namespace's org (X-FLYNN-N-ORG-ID)" }])
    const task = taskFromSpec(spec, mock.specDefaults(typeof given === 'string' ? given : org))
    await mock.addTask(task, org)
    return reply.code(201).send({ task: taskView(mock, task) })
  })

  app.get('/tasks', async (request) => {
    const query = validateTaskQuery({ ...(request.query as object) })
    const limit = bounded(query.limit, 'limit', DEFAULT_PAGE, 1, MAX_PAGE)
    const after = query.cursor === undefined ? 0 : Number(positionOf(query.cursor, 't'))
    const org = namespace(request)
    // Only the tasks of one page are viewed (a view reads the task's state on its org's clock).
    const views = new Map<Task, TaskView>()
    const page = await mock.store.tasks.page(after, limit, (task) => {
      if ((query.orgId !== undefined && task.orgId !== query.orgId) || (org && task.orgId !== org)) return false
      const view = taskView(mock, task)
      views.set(task, view)
      return query.status === undefined || view.status === query.status
    })
    return { tasks: page.tasks.map((task) => views.get(task)), next: page.next === null ? null : cursorOf('t', page.next) }
  })

  app.get<{ Params: { id: string } }>('/tasks/:id', async (request) => ({ task: taskView(mock, await taskOf(request)) }))

  app.post<{ Params: { id: string } }>('/tasks/:id/transition', async (request) => {
    const task = await taskOf(request)
    const { status } = validateTransition(body(request))
    if (!(await mock.move(task, status))) throw routeNotFound()
    return { task: taskView(mock, task) }
  })

  app.get<{ Params: { id: string } }>('/tasks/:id/timeline', async (request) => {
    const task = await taskOf(request)
    return { timeline: scheduleView(task.schedule(mock.clockFor(task.orgId).now())) }
  })

  // The task routes' content for the console (§12): no org credentials, not journaled, no faults,
  // not a poll. A task not completed answers rule 6's 400 body, as the task routes do.
  type Completed = { task: Task; finishedAt: number }
  const completed = async (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): Promise<Completed | null> => {
    const task = await taskOf(request)
    const state = task.observe(mock.clockFor(task.orgId).now())
    if (state.status === 'completed') return { task, finishedAt: state.finishedAt as number }
    await reply.code(400).send({ data: { id: task.id, jobs: state.jobs, status: state.status } })
    return null
  }
  app.get<{ Params: { id: string } }>('/tasks/:id/result', async (request, reply) => {
    const done = await completed(request, reply)
    if (!done) return reply
    return { data: done.task.result }
  })
  app.get<{ Params: { id: string; k: string } }>('/tasks/:id/pages/:k', async (request, reply) => {
    const done = await completed(request, reply)
    if (!done) return reply
    const { k } = request.params
    const pages = done.task.pages
    if (!pages || !/^[0-9]{1,15}$/.test(k) || Number(k) >= pages.count) throw routeNotFound()
    return { data: pages.page(Number(k)) }
  })
  app.get<{ Params: { id: string } }>('/tasks/:id/download', async (request, reply) => {
    const done = await completed(request, reply)
    if (!done) return reply
    const { taskArchive } = await loadArchive()
    // The same bound as the task route's downloads (§19): each zip in flight holds memory.
    if (mock.downloads.size >= mock.settings.maxDownloads) throw new ContractError('err-service-unavailable', {}, { 'retry-after': '1' })
    reply.type('application/zip').header('content-disposition', `attachment; filename="${done.task.id}.zip"`)
    return reply.send(mock.trackDownload(taskArchive(done.task, done.finishedAt)))
  })

  app.delete<{ Params: { id: string } }>('/tasks/:id', async (request, reply) => {
    if (!(await mock.deleteTask((await taskOf(request)).id))) throw routeNotFound()
    return reply.code(204).send()
  })

  app.delete('/tasks', async (request, reply) => {
    await mock.deleteTasks(namespace(request))
    return reply.code(204).send()
  })

  app.post('/orgs', async (request, reply) => {
    const credential = credentialFromSpec(validateCredential(body(request)))
    await mock.store.update(['auth'], (state) => state.credentials.add(credential))
    const expiresAt = credential.expiresAt === null ? null : iso(credential.expiresAt)
    return reply.code(201).send({ credential: { orgId: credential.orgId, expiresAt } })
  })

  app.get('/clock', async (request) => clockView(mock.clockFor(namespace(request))))
  app.post('/clock', async (request) => {
    const change = validateClock(body(request))
    // In a namespace, the org's own clock (§15); globally, the global one, with every org's along.
    const org = namespace(request)
    /**
     * Moves the clock to `to(now)`, refused with a 400 on `path` past {@link MAX_TIME_MS} (judged
     * on this replica's copy, then applied to the shared one).
     */
    const moveTo = async (path: string, to: (now: number) => number): Promise<void> => {
      if (to(mock.clockFor(org).now()) > MAX_TIME_MS) throw new InvalidSpecError([{ path, message: `must keep the clock at or before ${iso(MAX_TIME_MS)}` }])
      await mock.store.update(['clock'], (state) => {
        const at = to(state.clocks.for(org).now())
        if (org) state.clocks.own(org).set(at)
        else state.clocks.setGlobal(at)
      })
    }
    if (change.advance !== undefined) {
      const ms = typeof change.advance === 'number' ? change.advance : parseDuration(change.advance)
      if (ms === undefined) throw new InvalidSpecError([{ path: '/advance', message: 'must be a duration such as 90s, 15m, 7d, or milliseconds' }])
      await moveTo('/advance', (now) => now + ms)
    } else if (change.set !== undefined) {
      const at = parseDateTime(change.set)
      if (at === undefined) throw new InvalidSpecError([notADateTime('/set')])
      await moveTo('/set', () => at)
    } else {
      const mode = change.mode as 'system' | 'manual'
      await mock.store.update(['clock'], (state) => (org ? state.clocks.own(org) : state.clock).setMode(mode))
    }
    return clockView(mock.clockFor(org))
  })

  app.get('/requests', async (request) => {
    const query = validateRequestsQuery({ ...(request.query as object) })
    const limit = bounded(query.limit, 'limit', DEFAULT_PAGE, 1, MAX_PAGE)
    const before = query.cursor === undefined ? undefined : positionOf(query.cursor, 'r')
    // Pages run from the newest requests back, each oldest first. The journal is bounded
    // (JOURNAL_SIZE): a cursor whose request has left it has nothing older left either.
    const requests = await mock.store.journal.list({ path: query.path, orgId: namespace(request) })
    const end = before === undefined ? requests.length : Math.max(0, requests.findIndex((entry) => entry.id === before))
    const start = Math.max(0, end - limit)
    return { requests: requests.slice(start, end), next: start > 0 ? cursorOf('r', (requests[start] as JournalEntry).id) : null }
  })
  app.delete('/requests', async (request, reply) => {
    await mock.store.journal.clear(namespace(request))
    return reply.code(204).send()
  })
  app.get('/requests/wait', async (request, reply) => {
    const query = validateWaitQuery({ ...(request.query as object) })
    const count = bounded(query.count, 'count', 1, 1, 1_000_000)
    const timeoutMs = bounded(query.timeoutMs, 'timeoutMs', DEFAULT_WAIT_MS, 0, MAX_WAIT_MS)
    // A client that goes away stops its wait.
    const gone = new AbortController()
    reply.raw.once('close', () => gone.abort())
    const requests = await mock.store.journal.waitFor({ path: query.path, orgId: namespace(request) }, count, timeoutMs, gone.signal)
    if (!requests) throw new ContractError('err-wait-timeout')
    return { requests }
  })

  app.post('/faults', async (request, reply) => {
    const spec = body(request)
    const org = namespace(request)
    const fault = await mock.store.update(['faults', 'operations'], (state) => state.faults.add(spec, (name) => state.operations.get(name) !== undefined, org))
    return reply.code(201).send({ fault })
  })
  app.get('/faults', async (request) => ({ faults: mock.faults.list(namespace(request)) }))
  app.delete('/faults', async (request, reply) => {
    const org = namespace(request)
    await mock.store.update(['faults'], (state) => state.faults.clear(org))
    return reply.code(204).send()
  })

  // The client report and the scenarios (§21).
  app.get('/report', async (request, reply) => {
    const query = validateReportQuery({ ...(request.query as object) })
    const parts = await mock.report({ namespace: namespace(request), orgId: query.orgId, taskId: query.taskId?.toLowerCase() })
    // Sent a part at a time, the event loop free between parts (§19: no answer holds it long).
    return reply.type('application/json; charset=utf-8').send(Readable.from(eachTurn(parts)))
  })
  app.delete('/report', async (request, reply) => {
    // A filter would read as "forget only these": refused rather than ignored (it forgets all).
    validateNoQuery({ ...(request.query as object) })
    await mock.store.report.clear(namespace(request))
    return reply.code(204).send()
  })
  app.get('/scenarios', async () => ({ scenarios: SCENARIOS.map((scenario) => scenarioView(scenario, mock.settings.retryAfterS)) }))

  // Operations that create tasks (§13): settings, the one-shot next queue, custom operations.
  type Named = FastifyRequest<{ Params: { name: string } }>
  const known = <T>(value: T | undefined): T => {
    if (value === undefined) throw routeNotFound()
    return value
  }
  app.get('/operations', async (request) => ({ operations: mock.operations.list(namespace(request)) }))
  app.get('/operations/:name', async (request: Named) => ({ operation: known(mock.operations.view(request.params.name, namespace(request))) }))
  app.put('/operations/:name', async (request: Named) => ({
    operation: known(await mock.store.update(['operations'], (state) => state.operations.configure(request.params.name, body(request), namespace(request))))
  }))
  app.post('/operations/:name/next', async (request: Named, reply) => {
    const spec = body(request)
    const id = (spec as { id?: unknown } | null)?.id
    const taken = typeof id === 'string' && (await mock.store.tasks.find(id)) !== undefined
    const next = known(await mock.store.update(['operations'], (state) => state.operations.queueNext(request.params.name, spec, () => taken, namespace(request))))
    return reply.code(201).send({ next })
  })
  app.post('/operations', async (request, reply) => {
    const spec = body(request)
    return reply.code(201).send({ operation: await mock.store.update(['operations'], (state) => state.operations.addCustom(spec)) })
  })
  app.delete('/operations/:name', async (request: Named, reply) => {
    if (!(await mock.store.update(['operations'], (state) => state.operations.removeCustom(request.params.name)))) throw routeNotFound()
    return reply.code(204).send()
  })

  // Users who log in through the auth API (§4).
  app.post('/users', async (request, reply) => reply.code(201).send({ user: await mock.addUser(validateUser(body(request))) }))
  app.get('/users', async () => ({ users: mock.state.users.list() }))
  app.delete<{ Params: { id: string } }>('/users/:id', async (request, reply) => {
    const userId = request.params.id.toLowerCase()
    if (!(await mock.store.update(['auth'], (state) => state.users.delete(userId)))) throw routeNotFound()
    return reply.code(204).send()
  })

  app.post('/reset', async (request, reply) => {
    const org = namespace(request)
    await (org ? mock.resetOrg(org) : mock.reset())
    return reply.code(204).send()
  })
}

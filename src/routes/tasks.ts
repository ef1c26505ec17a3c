/**
 * The four task routes (docs/behaviour.md §2): status, download, result and pages.
 *
 * Every request runs the rules of §2 in order, each throwing the first failure as a
 * {@link ContractError}: route (version, method) -> auth -> accept -> task -> page number ->
 * task status -> page bounds. Only then is the answer built.
 */
import { pipeline, Readable, Transform } from 'node:stream'
import { loadArchive } from '../archive-loader.js'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { accepts } from '../accept.js'
import type { StatusShape } from '../config.js'
import { ContractError, routeNotFound } from '../errors.js'
import type { MockState } from '../mock-state.js'
import { isTerminal, type Task, type TaskState } from '../task.js'
import type { RefusingHook } from '../plugins/not-found.js'
import { applyFault, journalRequest, noteError, noteTask, reportRequest, type ReportNotes } from './hooks.js'

/** The only active `flynn-version` (§2). */
export const ACTIVE_VERSION = 'v1.0'

/** The task routes' names, as faults and the journal scope them. */
export type TaskRouteName = 'status' | 'download' | 'result' | 'page'

interface TaskRoute {
  name: TaskRouteName
  url: string
  /** The media type the `accept` header must allow (§2). */
  mediaType: 'application/json' | 'application/zip'
}

/** The routes of §2, with Fastify's parameter syntax. */
export const TASK_ROUTES: readonly TaskRoute[] = [
  { name: 'status', url: '/enriched/tasks/:version/status/:taskId', mediaType: 'application/json' },
  { name: 'download', url: '/enriched/tasks/:version/download/:taskId', mediaType: 'application/zip' },
  { name: 'result', url: '/enriched/tasks/:version/result/:taskId', mediaType: 'application/json' },
  { name: 'page', url: '/enriched/tasks/:version/result/:taskId/page/:pageNumber', mediaType: 'application/json' }
]

interface TaskParams {
  version: string
  taskId: string
  pageNumber?: string
}

type TaskRequest = FastifyRequest<{ Params: TaskParams }>

/** A task read started before the sync, judged for the caller's org (rule 4), or for any org. */
type TaskRead = (orgId?: string) => Promise<Task | undefined>

declare module 'fastify' {
  interface FastifyRequest {
    /** The task route's read of its task, started before the sync (see TaskRepository.prefetch). */
    taskRead: TaskRead | null
  }
}

const ALLOW = 'GET, HEAD'
const PAGE_NUMBER = /^[0-9]+$/

/** Registers the task routes; GET and HEAD answer, every other method gets the `405` of rule 1. */
export async function taskRoutes(app: FastifyInstance): Promise<void> {
  const mock = app.mock
  app.decorateRequest('taskRead', null)
  app.decorateRequest('report', null)

  for (const route of TASK_ROUTES) {
    // Rule 1 runs in onRequest so that the 405 is sent before any body is read or parsed. Other
    // methods reach it through app.otherMethods (plugins/not-found.ts).
    const onRequest = async (request: TaskRequest, reply: FastifyReply): Promise<void> => {
      reply.header('vary', 'Accept').header('cache-control', 'no-store')
      journalRequest(mock, request, reply)
      if (request.params.version !== ACTIVE_VERSION) throw routeNotFound()
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        throw new ContractError('err-method-not-allowed', {}, { allow: ALLOW })
      }
      // From here on, mock state as every replica wrote it (§16). The task is read in the same
      // round trip as the sync (with Redis), and judged after it.
      const read = mock.store.tasks.prefetch(request.params.taskId)
      request.taskRead = read
      await mock.store.sync()
      // Arrival, for the client report (§21): what it keeps of the request once answered.
      reportRequest(mock, request, reply, route.name, read)
      const faulted = applyFault(mock, route.name, request.params.taskId, request, reply, read)
      if (faulted) await faulted
    }

    app.route<{ Params: TaskParams }>({
      method: ['GET', 'HEAD'],
      url: route.url,
      onRequest,
      onError: noteError,
      onSend: noteTask,
      handler: async (request, reply) => checkRulesAndAnswer(mock, route, request, reply)
    })
    app.otherMethods.add(route.url, onRequest as RefusingHook)
  }
}

/**
 * The evaluation order of §2 from rule 2 on (rule 1 ran in onRequest): auth -> accept -> task ->
 * page number -> task status -> page bounds, each throwing its error; then the success answer of §2.
 */
async function checkRulesAndAnswer(mock: MockState, route: TaskRoute, request: TaskRequest, reply: FastifyReply): Promise<unknown> {
  const { settings } = mock
  const headers = request.headers
  // Node joins a repeated custom header into one string, so these are never arrays.
  const orgHeader = headers['x-flynn-n-org-id'] as string | undefined
  const orgId = mock.credentials.authenticate(
    settings.authMode,
    orgHeader,
    headers['x-flynn-n-user-token'] as string | undefined,
    // A token's expiry is judged on the clock of the org it is used for (§15).
    mock.clockFor(orgHeader)
  )

  const accept = headers.accept
  if (!accepts(accept, route.mediaType, settings.acceptMode)) {
    throw new ContractError('err-invalid-accept-header', { accept: accept ?? '', expected: route.mediaType })
  }

  const { taskId, pageNumber } = request.params
  // Unknown, expired and another org's tasks are indistinguishable (rule 4).
  const task = await (request.taskRead as TaskRead)(orgId)
  if (!task) throw taskNotFound(taskId)
  const notes = request.report as ReportNotes
  notes.task = task

  let page = 0
  if (pageNumber !== undefined) {
    page = Number(pageNumber)
    if (!PAGE_NUMBER.test(pageNumber) || !Number.isSafeInteger(page)) throw pageNotFound(taskId, pageNumber)
  }

  const now = mock.clockFor(orgId).now()
  if (route.name === 'status') {
    // A poll is a status read that answers 200 (§5): a client already gone gets no answer.
    const state = request.raw.socket.destroyed ? task.observe(now) : await mock.store.tasks.poll(task, now)
    // Deleted or expired on another replica meanwhile.
    if (!state) throw taskNotFound(taskId)
    notes.saw = state.status
    const retryAfter = retryAfterSeconds(settings.retryAfterS, state, now)
    if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter))
    return statusBody(task, state, settings.statusShape)
  }

  const state = task.observe(now)
  notes.saw = state.status
  if (state.status !== 'completed') {
    return reply.code(400).send({ data: { id: task.id, jobs: state.jobs, status: state.status } })
  }

  switch (route.name) {
    case 'result':
      return { data: task.result }
    case 'page':
      if (!task.pages || page >= task.pages.count) throw pageNotFound(taskId, pageNumber as string)
      return { data: task.pages.page(page) }
    case 'download':
      // HEAD answers the headers without building the archive.
      if (request.method === 'HEAD') return reply.type('application/zip').header('content-disposition', `attachment; filename="${task.id}.zip"`).send(Readable.from([]))
      return sendZip(mock, task, state, request, reply)
  }
}

/** The Download API's `200`: the task's zip, streamed, unless MAX_DOWNLOADS zips are in flight. */
async function sendZip(mock: MockState, task: Task, state: TaskState, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  // The zip writer loads on the first download, not at start-up (archive-loader.ts). Loaded
  // before the check below, so that nothing runs between the check and the tracking.
  const { taskArchive } = await loadArchive()
  // Each zip in flight holds memory: past MAX_DOWNLOADS, a clear 503 before any byte (§2 rule 8).
  if (mock.downloads.size >= mock.settings.maxDownloads) throw new ContractError('err-service-unavailable', {}, { 'retry-after': '1' })
  reply.type('application/zip').header('content-disposition', `attachment; filename="${task.id}.zip"`)
  return reply.send(zipStream(mock, taskArchive(task, state.finishedAt as number), request))
}

/** Rule 4's 404: unknown, expired and another org's tasks are indistinguishable. */
function taskNotFound(taskId: string): ContractError {
  return new ContractError('err-resource-not-found', { 'task-id': taskId })
}

/** Rule 5's and rule 7's 404 for a page number. */
function pageNotFound(taskId: string, pageNumber: string): ContractError {
  return new ContractError('err-resource-not-found', { 'task-id': taskId, 'page-number': pageNumber })
}

/** The task's zip (archive.ts), cut midway when a `mid-download` fault says so. */
function zipStream(mock: MockState, zip: Readable, request: FastifyRequest): Readable {
  const tracked = mock.trackDownload(zip)
  if (request.fault?.drop !== 'mid-download') return tracked
  // pipeline destroys the archive too when the cut connection destroys the last stream.
  return pipeline(tracked, cutMidway(request), () => {})
}

/**
 * Passes the first half of the zip's first chunk, then ends the connection once that is flushed,
 * so the client sees a truncated body (§10 `drop: mid-download`), however small the zip.
 */
function cutMidway(request: FastifyRequest): Transform {
  let passed = false
  const cut = (): void => {
    setImmediate(() => request.raw.socket.destroySoon())
  }
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (passed) return cut()
      passed = true
      callback(null, chunk.subarray(0, Math.ceil(chunk.length / 2)))
    },
    flush: cut
  })
}

/**
 * The Status API's `Retry-After` (§2), in seconds: `RETRY_AFTER_S`, or the time left in the
 * current phase when that is shorter (at least 1).
 * @param now epoch ms
 * @returns undefined once the task is terminal (no header)
 */
function retryAfterSeconds(retryAfterS: number, state: TaskState, now: number): number | undefined {
  if (isTerminal(state.status)) return undefined
  if (state.phaseEndsAt === null) return retryAfterS
  return Math.min(retryAfterS, Math.max(1, Math.ceil((state.phaseEndsAt - now) / 1000)))
}

/** The Status API's `200` body (§2), in the configured shape (`STATUS_SHAPE`). */
function statusBody(task: Task, state: TaskState, shape: StatusShape): object {
  if (shape === 'atlas') return { data: { id: task.id, status: state.status, jobs: state.jobs } }
  const paged = state.status === 'completed' && task.pages !== null
  return { data: { task: { id: task.id, status: state.status, ...(paged ? { pages: task.pages?.count } : {}) } } }
}

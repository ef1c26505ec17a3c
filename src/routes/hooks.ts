/**
 * What every journaled route shares (task routes, §2; producer routes, §13): the request journal
 * and the faults, applied in `onRequest` after routing and before auth; and, for the task routes,
 * what the client report (§21) keeps of each request.
 */
import type { ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { DEFAULT_ORG_ID } from '../credentials.js'
import { ContractError } from '../errors.js'
import { FAULT_RESPONSES, type Fault } from '../faults.js'
import { RecordedRequest } from '../journal.js'
import type { MockState } from '../mock-state.js'
import { quotedAccept, quotedPage, REPORT_TIMELINE_PHASES, type ReportRoute, type ReportTask } from '../report.js'
import type { Task, TaskStatus } from '../task.js'

/** What the client report learns of a task-route request while it is answered (§21). */
export interface ReportNotes {
  /** Arrival on the mock clock of the org the request acts as, epoch ms. */
  at: number
  /** Arrival in real time, ms. */
  real: number
  /** The task the request read, once rule 4 found it for the request's org. */
  task: Task | null
  /** The task its id names, whatever its org, when rule 4 did not read it (see {@link noteTask}). */
  named: Task | undefined
  /** Reads the task its id names, whatever its org. */
  read: () => Promise<Task | undefined>
  /** The task's state the answer shows. */
  saw: TaskStatus | null
  /** The error code answered. */
  error: string | null
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The fault taken for this request, if any. */
    fault: Fault | null
    /** What the client report keeps of this task-route request (null until it reached the task routes' checks). */
    report: ReportNotes | null
  }
}

/** A task that cannot be read (the store is away) counts as none. */
const none = (): undefined => undefined

/** The org a task-route request acts as (§4): the one it names, or org 1 when auth is off. */
function actingOrg(mock: MockState, request: FastifyRequest): string | undefined {
  return mock.settings.authMode === 'off' ? DEFAULT_ORG_ID : (request.headers['x-flynn-n-org-id'] as string | undefined) || undefined
}

/** What the report keeps of each task, made once per task content (a Redis read shares its source). */
const reportTasks = new WeakMap<object, ReportTask>()

/** What the report keeps of a task (report.ts). */
export function reportTask(mock: MockState, task: Task): ReportTask {
  const key = task.source ?? task
  let made = reportTasks.get(key)
  if (!made) {
    made = reportTaskOf(mock, task)
    reportTasks.set(key, made)
  }
  return made
}

/** Its task, its expiry, and what judging it once it is gone needs (its timeline, report.ts). */
function reportTaskOf(mock: MockState, task: Task): ReportTask {
  return {
    id: task.id,
    orgId: task.orgId,
    kind: task.kind,
    createdAt: task.createdAt,
    expiresAt: mock.expiresAt(task),
    jobs: task.jobs,
    timeline: task.timeline.length <= REPORT_TIMELINE_PHASES ? task.timeline.map((phase) => ({ ...phase })) : null,
    outcome: task.outcome,
    pages: task.pages?.count ?? null
  }
}

/**
 * Starts the client report's notes on a task-route request (§21), at its arrival; the journal's
 * listener ({@link journalRequest}, which must have been called for the request) records it for its
 * task once its answer is over (sent whole, or cut). A request counts for a task when it names the
 * task's org (or no org: an auth failure), or acts as org 1 with auth off, and the task was held
 * when it arrived.
 * @param read reads the task the request names, whatever its org
 */
export function reportRequest(mock: MockState, request: FastifyRequest, reply: FastifyReply, route: ReportRoute, read: () => Promise<Task | undefined>): void {
  const org = actingOrg(mock, request)
  const notes: ReportNotes = { at: mock.clockFor(org).now(), real: mock.realNow(), task: null, named: undefined, read, saw: null, error: null }
  request.report = notes
  const pending = (reply.raw as JournaledResponse)[PENDING] as PendingEntry
  pending.report = { route, org, reply }
}

/** Records a task-route request in the client report once its answer is over (see {@link reportRequest}). */
async function recordReport(mock: MockState, request: FastifyRequest, res: ServerResponse, whole: boolean, { route, org, reply }: PendingReport): Promise<void> {
  const notes = request.report as ReportNotes
  const code = res.headersSent ? res.statusCode : 0
  // Read for the org (rule 4), or else as any org: a refused request counts for a task of the org it
  // named. Read before the answer (noteTask), but for a connection cut before any answer.
  const task = notes.task ?? notes.named ?? (res.headersSent ? undefined : await notes.read().catch(none))
  if (!task || (notes.task === null && org !== undefined && task.orgId !== org)) return
  const retryAfter = reply.getHeader('retry-after')
  await mock.store.report.record(reportTask(mock, task), {
    id: request.id,
    route,
    head: request.method === 'HEAD',
    code,
    retryAfter: retryAfter === undefined ? null : Number(retryAfter),
    error: notes.error,
    saw: notes.saw,
    whole,
    accept: quotedAccept(request.headers.accept),
    page: quotedPage((request.params as { pageNumber?: string }).pageNumber),
    at: notes.at,
    real: notes.real
  })
}

/**
 * Fastify `onSend` hook of the task routes: reads the task a refused request names (its read
 * started at arrival) before the answer is sent, so that the request is recorded as its answer
 * ends, before the client can ask for the report. A request that read its task goes on at once.
 */
export function noteTask(request: FastifyRequest, _reply: FastifyReply, payload: unknown, done: (error: null, payload: unknown) => void): void {
  const notes = request.report
  if (!notes || notes.task) return done(null, payload)
  void notes.read().catch(none).then((task) => {
    notes.named = task
    done(null, payload)
  })
}

/** Fastify `onError` hook of the task routes: notes the error code answered, for the client report (§21). */
export function noteError(request: FastifyRequest, _reply: FastifyReply, error: unknown, done: () => void): void {
  if (request.report && error instanceof ContractError) request.report.error = error.code
  done()
}

/** What a response still to be journaled carries until its answer is over. */
interface PendingEntry {
  mock: MockState
  request: FastifyRequest
  orgId: string | undefined
  /** The mock clock's time at arrival, in epoch ms. */
  at: number
  /** performance.now() at arrival. */
  started: number
  /** A task-route request, which the client report records too ({@link reportRequest}). */
  report?: PendingReport
}

/** What the client report needs of a task-route request besides its notes. */
interface PendingReport {
  route: ReportRoute
  /** The org the request acts as. */
  org: string | undefined
  reply: FastifyReply
}

const PENDING = Symbol('pending journal entry')

type JournaledResponse = ServerResponse & { [PENDING]?: PendingEntry | undefined }

/**
 * Records the request in the journal once its answer is over (sent, or the connection cut). The
 * entry's ISO time and redacted headers are made only if someone reads it ({@link RecordedRequest}),
 * and the two listeners are one shared function, not closures made per request.
 */
export function journalRequest(mock: MockState, request: FastifyRequest, reply: FastifyReply): void {
  const orgId = request.headers['x-flynn-n-org-id'] as string | undefined
  const res = reply.raw as JournaledResponse
  // On the clock of the org the request names (§15), as the report reads it.
  res[PENDING] = { mock, request, orgId, at: mock.clockFor(orgId).now(), started: performance.now() }
  res.on('finish', onFinish)
  res.on('close', onClose)
}

/** The listeners of {@link journalRequest}: one pair of functions shared by every request. */
function onFinish(this: JournaledResponse): void {
  recordEntry(this, true)
}
function onClose(this: JournaledResponse): void {
  recordEntry(this, this.writableFinished)
}

/** Records the answer whose 'finish' or 'close' came first; `whole`: it was sent whole. */
function recordEntry(res: JournaledResponse, whole: boolean): void {
  const pending = res[PENDING]
  if (!pending) return
  res[PENDING] = undefined
  const { request } = pending
  const durationMs = Math.round((performance.now() - pending.started) * 100) / 100
  const entry = new RecordedRequest(request.id, pending.at, request.method, request.url, res.headersSent ? res.statusCode : 0, durationMs, request.headers, pending.orgId)
  void pending.mock.store.journal.record(entry)
  if (pending.report) void recordReport(pending.mock, request, res, whole, pending.report)
}

/**
 * Takes the fault that applies to this request, if any (§10: after routing, before auth): waits
 * its delay, then cuts the connection, answers its error, or marks the download to be cut.
 * Reads the faults as of the caller's `mock.store.sync()`.
 * @param readTask reads the task the request names (task routes; asked only when a fault bound to a task matches, whether it is held)
 */
export function applyFault(
  mock: MockState,
  route: string,
  taskId: string | undefined,
  request: FastifyRequest,
  reply: FastifyReply,
  readTask?: () => Promise<Task | undefined>
): Promise<void> | undefined {
  // Most requests meet no fault: only then is one taken, atomically across replicas (§16), and
  // only then is a promise made.
  // Faults come before auth (§10): an org's fault (§15) matches the org the request names.
  const orgId = request.headers['x-flynn-n-org-id'] as string | undefined
  if (!mock.faults.matches(route, taskId, orgId)) return undefined
  return takeFault(mock, route, taskId, orgId, request, reply, readTask)
}

/** Takes the fault {@link applyFault} found (unless another replica took it first) and applies it. */
async function takeFault(
  mock: MockState,
  route: string,
  taskId: string | undefined,
  orgId: string | undefined,
  request: FastifyRequest,
  reply: FastifyReply,
  readTask: (() => Promise<Task | undefined>) | undefined
): Promise<void> {
  // A scenario's fault is its task's (§21): it does nothing once the task has expired.
  // (Only a task route's fault is bound to a task: those routes say whether it is held.)
  const liveTask = !mock.faults.matchesBound(route, taskId, orgId) || (await (readTask as () => Promise<Task | undefined>)()) !== undefined
  const fault = await mock.store.update(['faults'], (state) => state.faults.take(route, taskId, orgId, liveTask))
  if (!fault) return
  request.fault = fault
  if (fault.delayMs) await sleep(fault.delayMs)
  if (fault.drop === 'before-response') {
    reply.hijack()
    request.raw.socket.destroy()
    return
  }
  if (fault.respond) {
    const { status, retryAfter } = fault.respond
    throw new ContractError(FAULT_RESPONSES[status], {}, retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) })
  }
}


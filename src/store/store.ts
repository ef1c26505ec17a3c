/**
 * The store seam (docs/behaviour.md §16): every piece of mock state lives behind the
 * {@link Store} interface, in memory (`memory.ts`, the default) or in Redis (`redis.ts`, shared by
 * replicas and durable across restarts).
 *
 * State comes in two kinds:
 * - **Shared documents** ({@link DocName}): the clock, the faults, the credentials with users and
 *   sessions, and the operations' settings, queues and custom operations. They are small and read
 *   by nearly every request, so each replica keeps a copy ({@link Store.state}) that
 *   {@link Store.sync} brings up to date at the start of a request; every change is one atomic
 *   {@link Store.update}.
 * - **Records**: tasks (content built from a JSON {@link TaskSource} plus {@link TaskFacts} that
 *   change), issued IRNs, the request journal and the client report's facts, each behind its own
 *   repository.
 */
import { MockError } from '../errors.js'
import type { JournalEntry, JournalFilter } from '../journal.js'
import type { IssuedIrn } from '../operations/operation.js'
import type { ReportEvent, ReportFacts, ReportTask } from '../report.js'
import type { SharedState } from '../shared-state.js'
import { StoreFullError } from '../task-store.js'
import type { Task, TaskFacts, TaskSource, TaskState, TaskStatus } from '../task.js'
import { isUuid } from '../validation.js'

/** Builds a task's content again from what a shared store kept (the mock's `rebuild`). */
export type TaskRebuilder = (id: string, orgId: string, createdAt: number, source: TaskSource) => Task

/** The shared documents (see the module comment). */
export type DocName = 'clock' | 'faults' | 'auth' | 'operations'

/** Every shared document, for {@link Store.update} calls that may touch any of them. */
export const ALL_DOCS: readonly DocName[] = ['clock', 'faults', 'auth', 'operations']

/**
 * Thrown by any store call when the store cannot be reached (Redis down, §16): answered `503`
 * `err-service-unavailable` with `Retry-After: 1`. Nothing was written.
 */
export class StoreUnavailableError extends MockError {
  constructor(readonly reason: string) {
    super('ERR_STORE_UNAVAILABLE', `the store is unavailable: ${reason}`)
  }
}

/** The byte budgets of both stores (§19): `MAX_STORE_BYTES` for the tasks held together, `MAX_TASK_BYTES` for one. */
export interface ByteBudget {
  maxStoreBytes: number
  maxTaskBytes: number
}

/**
 * What a store keeps of a task's content (§16): its org, kind and {@link TaskSource} (the spec
 * with its id, org and creation time, or an operation's checked request) as JSON, from which any
 * replica builds the same task again. Its length in UTF-8 bytes is the task's size against the
 * byte budgets (§19), counted once, at creation, the same way by both stores.
 */
export function storedSource(task: Task): string {
  return JSON.stringify({ orgId: task.orgId, kind: task.kind, source: task.source })
}

/**
 * A new task's {@link storedSource} and its size in bytes, checked against what one task may take
 * before any store is touched.
 * @throws {StoreFullError} over `MAX_TASK_BYTES`, or over `MAX_STORE_BYTES` (which no store then holds)
 */
export function measure(task: Task, budget: ByteBudget): { json: string; bytes: number } {
  const json = storedSource(task)
  const bytes = Buffer.byteLength(json)
  checkTaskBytes(bytes, budget, task.id)
  return { json, bytes }
}

/**
 * Refuses a task of `bytes` (or of at least that many) that no store within the budget holds.
 * @param taskId the task's id, when it has one yet (for the error's message)
 * @throws {StoreFullError} over `MAX_TASK_BYTES`, or over `MAX_STORE_BYTES` alone
 */
export function checkTaskBytes(bytes: number, budget: ByteBudget, taskId?: string): void {
  if (bytes > budget.maxTaskBytes) throw new StoreFullError('MAX_TASK_BYTES', budget.maxTaskBytes, bytes, taskId)
  if (bytes > budget.maxStoreBytes) throw new StoreFullError('MAX_STORE_BYTES', budget.maxStoreBytes, bytes, taskId)
}

/** What a new task does to the issued IRNs (§14): applied in the same atomic step as its creation. */
export interface TaskEffects {
  issue?: readonly IssuedIrn[]
  /** IRNs of the task's org cancelled at `at` (epoch ms). */
  cancel?: ReadonlyArray<{ irn: string; at: number }>
}

/** The tasks (§5, §7): content made once, facts changed atomically. Times in epoch ms. */
export interface TaskRepository {
  /** How long a task can be read after its creation, in ms (§7 `TASK_TTL`), unless it has its own TTL. */
  readonly ttlMs: number
  /**
   * Adds a task and applies its effects, all or nothing; the task's size (see {@link measure})
   * joins the bytes held in the same step, and leaves them when the task is removed, deleted,
   * cleared or swept.
   * @throws {StoreFullError} over `MAX_TASK_BYTES` (checked first, without the store), or when
   *   the tasks held (what has expired freed first) and this one would take more than
   *   `MAX_STORE_BYTES`; {TaskExistsError} when a live task has the id; {TaskLimitError} at
   *   `MAX_TASKS`; {@link StoreUnavailableError}
   */
  add(task: Task, effects?: TaskEffects): Promise<void>
  /**
   * The live task a task id names (§2 rule 4, see {@link findTask}): a UUID in any case, of
   * `orgId` when one is given (else of any org).
   * @returns undefined when the id is no UUID, or its task is unknown, expired or another org's
   */
  find(id: string, orgId?: string | null): Promise<Task | undefined>
  /**
   * Starts {@link find} now, so that with Redis the read shares a round trip with the request's
   * {@link Store.sync} issued right after it (the status route's hot path).
   * @returns what {@link find} answers for an org (any org when none is given), judged when called (after the sync)
   */
  prefetch(id: string): (orgId?: string | null) => Promise<Task | undefined>
  /** Every live task, in creation order. */
  list(): Promise<Task[]>
  /**
   * The creation time and facts of the live task each id (lower-case) names, whatever its org,
   * without building its content (the client report judges many tasks at once, §21).
   * @returns one entry per id, undefined for an id no live task has
   */
  held(ids: readonly string[]): Promise<Array<{ createdAt: number; facts: TaskFacts } | undefined>>
  /**
   * One page of live tasks in creation order (the control API's list, §12): those created after
   * position `after` (0: from the first), at most `limit` that `keep` accepts.
   * @returns the tasks, and the position of the last one when more tasks may follow (the next
   *   page's `after`), else null
   */
  page(after: number, limit: number, keep: (task: Task) => boolean): Promise<{ tasks: Task[]; next: number | null }>
  /**
   * Records a status read that answered 200 at `now` (§5), exactly once even with replicas.
   * @returns the state that read sees, or undefined when the task is gone meanwhile
   */
  poll(task: Task, now: number): Promise<TaskState | undefined>
  /**
   * Moves a task through the control API (§5, §12).
   * @returns the state after the move, or undefined when the task is gone meanwhile
   * @throws {InvalidTransitionError} for a move backwards or out of a terminal state
   */
  move(task: Task, status: TaskStatus, now: number): Promise<TaskState | undefined>
  /** Removes a task, by its id as the task holds it (lower-case); true when a live one was removed. */
  delete(id: string): Promise<boolean>
  /** Removes every task. */
  clear(): Promise<void>
  /** Frees every task expired, each on its org's clock (§15). @returns the ids freed */
  sweep(): Promise<string[]>
}

/**
 * Rule 4 of §2, the one place a task id is judged: an id that is not a UUID names no task; a UUID
 * names the task held under its lower-case form; another org's task reads as absent, as an unknown
 * or expired one does. Both stores' {@link TaskRepository.find} and {@link TaskRepository.prefetch}.
 * @param read starts reading the live task held under a lower-case id, whatever its org
 * @returns the task for an org (any org when none is given), read when called
 */
export function findTask(id: string, read: (lowerId: string) => () => Promise<Task | undefined>): (orgId?: string | null) => Promise<Task | undefined> {
  const reading = isUuid(id) ? read(id.toLowerCase()) : undefined
  return async (orgId) => {
    const task = await reading?.()
    return task && (!orgId || task.orgId === orgId) ? task : undefined
  }
}

/** The IRNs issued by tasks still held (§14); issuing and cancelling come with {@link TaskRepository.add}. */
export interface IrnRepository {
  /**
   * The issued IRNs among `wanted` (`[orgId, irn]` pairs) whose task is still held.
   * @returns a map keyed `orgId|irn` (IRN lower-case)
   */
  lookup(wanted: ReadonlyArray<readonly [string, string]>): Promise<Map<string, IssuedIrn>>
  /** Forgets every IRN, or an org's (§15). */
  clear(orgId?: string | null): Promise<void>
  /** Frees the IRNs whose task is no longer held. */
  sweep(): Promise<void>
}

/** The request journal (§11): the newest `size` requests, shared by replicas. */
export interface JournalRepository {
  /** Records an entry (never throws: a journal entry lost to a store outage is only logged). */
  record(entry: JournalEntry): Promise<void>
  /** Matching entries, oldest first (the control API cuts them into pages). */
  list(filter?: JournalFilter): Promise<JournalEntry[]>
  /** Forgets every entry, or an org's view of them (§15). */
  clear(orgId?: string | null): Promise<void>
  /**
   * Resolves with the matching entries once at least `count` are recorded on any replica, or
   * with null after `timeoutMs` (real time) or when `signal` aborts.
   */
  waitFor(filter: JournalFilter, count: number, timeoutMs: number, signal?: AbortSignal): Promise<JournalEntry[] | null>
  /** Waits in progress on this replica (for tests and shutdown). */
  readonly waiting: number
}

/** How many tasks the client report keeps (§21): past it, the task whose first request came first goes. */
export const MAX_REPORT_TASKS = 10_000

/** Which tasks a report covers: an org's (§15), one task (lower-case id), or every one. */
export interface ReportFilter {
  orgId?: string | null
  taskId?: string
}

/**
 * The client report's facts (§21): for each task that saw a task-route request, its requests
 * folded in the order they were recorded (report.ts), shared by replicas. At most
 * {@link MAX_REPORT_TASKS} tasks are kept.
 */
export interface ReportRepository {
  /**
   * Records one request a task saw, once its answer is over (never throws: a request lost to a
   * store outage is only logged). A task made again under the same id (another `createdAt`)
   * starts afresh.
   */
  record(task: ReportTask, event: ReportEvent): Promise<void>
  /** The facts of the tasks the filter selects, in the order of their first recorded request. */
  list(filter?: ReportFilter): Promise<ReportFacts[]>
  /** Forgets every task, or an org's (§15). */
  clear(orgId?: string | null): Promise<void>
}

/** When start-up seeds the fixtures (§16 `SEED`). */
export type SeedPolicy = 'if-empty' | 'always' | 'never'

/** All mock state (see the module comment). */
export interface Store {
  readonly kind: 'memory' | 'redis'
  /** This replica's copy of the shared documents, current as of the last {@link sync} or {@link update}. */
  readonly state: SharedState
  readonly tasks: TaskRepository
  readonly irns: IrnRepository
  readonly journal: JournalRepository
  readonly report: ReportRepository
  /** Whether the store answers right now (`/readyz`): with Redis, connected, and answering (a ping when the last command timed out). */
  ready(): Promise<boolean>
  /** Connects and reads the shared documents. @throws {StoreUnavailableError} */
  open(): Promise<void>
  /** Disconnects (the data stays, in Redis). */
  close(): Promise<void>
  /** Brings {@link state} up to date with what any replica wrote. @throws {StoreUnavailableError} */
  sync(): Promise<void>
  /**
   * Changes shared documents in one atomic step: `fn` runs on current documents (with Redis, on a
   * fresh copy, again if another replica wrote them meanwhile, so it must be pure apart from its
   * changes to the state it is given). Its changes to the documents named are kept.
   * @returns what `fn` returned
   * @throws what `fn` throws (nothing is written then); {@link StoreUnavailableError}
   */
  update<R>(names: readonly DocName[], fn: (state: SharedState) => R): Promise<R>
  /** Replaces the named documents with `state`'s, for every replica (start-up seeding). */
  replace(names: readonly DocName[], state: SharedState): Promise<void>
  /**
   * Whether start-up should seed (§16 `SEED`): `always`; `never`; `if-empty` the first time a
   * keyspace is seeded (a marker key, claimed atomically by one replica).
   */
  claimSeed(policy: SeedPolicy): Promise<boolean>
}

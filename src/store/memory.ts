/**
 * The in-memory store (docs/behaviour.md §16 `STORE=memory`, the default): one process's
 * state, for the sandbox and for tests. Every call completes without I/O; the shared documents
 * are the live objects, changed in place (one event loop makes each change atomic).
 */
import { IssuedIrns } from '../issued-irns.js'
import { entryOrg, refused, RequestJournal, type JournalEntry, type JournalFilter } from '../journal.js'
import type { IssuedIrn } from '../operations/operation.js'
import { foldEvent, type ReportEvent, type ReportFacts, type ReportTask } from '../report.js'
import type { SharedState } from '../shared-state.js'
import { TaskStore } from '../task-store.js'
import type { Task, TaskFacts, TaskState, TaskStatus } from '../task.js'
import {
  findTask,
  MAX_REPORT_TASKS,
  measure,
  type ByteBudget,
  type DocName,
  type IrnRepository,
  type JournalRepository,
  type ReportFilter,
  type ReportRepository,
  type SeedPolicy,
  type Store,
  type TaskEffects,
  type TaskRepository
} from './store.js'

/** Options of a {@link MemoryStore}. */
export interface MemoryStoreOptions extends ByteBudget {
  /** How long a task can be read after its creation, in ms (§7). */
  ttlMs: number
  /** The most tasks held at once (§17 `MAX_TASKS`). */
  maxTasks: number
  /** Journal entries kept (§17 `JOURNAL_SIZE`). */
  journalSize: number
}

class MemoryTasks implements TaskRepository {
  readonly ttlMs: number

  constructor(
    readonly store: TaskStore,
    readonly irns: IssuedIrns,
    readonly budget: ByteBudget
  ) {
    this.ttlMs = store.ttlMs
  }

  async add(task: Task, effects: TaskEffects = {}): Promise<void> {
    this.store.add(task, measure(task, this.budget).bytes)
    this.irns.issue(effects.issue ?? [])
    for (const { irn, at } of effects.cancel ?? []) this.irns.cancel(task.orgId, irn, at)
  }

  find(id: string, orgId?: string | null): Promise<Task | undefined> {
    return this.prefetch(id)(orgId)
  }

  prefetch(id: string): (orgId?: string | null) => Promise<Task | undefined> {
    return findTask(id, (lowerId) => async () => this.store.get(lowerId))
  }

  async list(): Promise<Task[]> {
    return this.store.list()
  }

  async held(ids: readonly string[]): Promise<Array<{ createdAt: number; facts: TaskFacts } | undefined>> {
    return ids.map((id) => {
      const task = this.store.get(id)
      return task && { createdAt: task.createdAt, facts: task.facts }
    })
  }

  async page(after: number, limit: number, keep: (task: Task) => boolean): Promise<{ tasks: Task[]; next: number | null }> {
    return this.store.page(after, limit, keep)
  }

  async poll(task: Task, now: number): Promise<TaskState> {
    return task.recordPoll(now)
  }

  async move(task: Task, status: TaskStatus, now: number): Promise<TaskState> {
    return task.moveTo(status, now)
  }

  async delete(id: string): Promise<boolean> {
    return this.store.delete(id)
  }

  async clear(): Promise<void> {
    this.store.clear()
  }

  async sweep(): Promise<string[]> {
    return this.store.sweep()
  }
}

class MemoryIrns implements IrnRepository {
  constructor(readonly irns: IssuedIrns) {}

  async lookup(wanted: ReadonlyArray<readonly [string, string]>): Promise<Map<string, IssuedIrn>> {
    const found = new Map<string, IssuedIrn>()
    for (const [orgId, irn] of wanted) {
      const issued = this.irns.get(orgId, irn)
      if (issued) found.set(`${orgId}|${irn.toLowerCase()}`, issued)
    }
    return found
  }

  async clear(orgId?: string | null): Promise<void> {
    this.irns.clear(orgId)
  }

  async sweep(): Promise<void> {
    this.irns.sweep()
  }
}

/** Orgs whose journal view is kept (§11); past it, the one used least recently (and not waited on) is dropped. */
const MAX_ORG_JOURNALS = 100

class MemoryJournal implements JournalRepository {
  /** Each org's own journal (§11: `JOURNAL_SIZE` each, so one team cannot evict another's). */
  readonly #orgs = new Map<string, RequestJournal>()
  /** The org last made the most recently used (the last key of #orgs, unless cleared since). */
  #last: string | undefined

  constructor(readonly journal: RequestJournal) {}

  async record(entry: JournalEntry): Promise<void> {
    this.journal.record(entry)
    const orgId = entryOrg(entry)
    if (orgId === undefined) return
    if (refused(entry)) this.#orgs.get(orgId)?.record(entry)
    else this.#org(orgId).record(entry)
  }

  /** An org's journal, made when it has none; the most recently used last. */
  #org(orgId: string): RequestJournal {
    let journal = this.#orgs.get(orgId)
    // Most requests come from the org of the last one: it is the most recently used already.
    if (journal && orgId === this.#last) return journal
    this.#last = orgId
    if (journal) this.#orgs.delete(orgId)
    else {
      journal = new RequestJournal(this.journal.size)
      for (const [org, held] of this.#orgs) {
        if (this.#orgs.size < MAX_ORG_JOURNALS) break
        if (held.waiting === 0) this.#orgs.delete(org)
      }
    }
    this.#orgs.set(orgId, journal)
    return journal
  }

  async list(filter: JournalFilter = {}): Promise<JournalEntry[]> {
    // Reading an org's view makes none: only requests and waits do.
    const journal = filter.orgId ? this.#orgs.get(filter.orgId) : this.journal
    return journal ? journal.list(filter) : []
  }

  async clear(orgId?: string | null): Promise<void> {
    if (orgId) return this.#orgs.get(orgId)?.clear()
    this.journal.clear()
    this.#orgs.clear()
  }

  waitFor(filter: JournalFilter, count: number, timeoutMs: number, signal?: AbortSignal): Promise<JournalEntry[] | null> {
    return (filter.orgId ? this.#org(filter.orgId) : this.journal).waitFor(filter, count, timeoutMs, signal)
  }

  get waiting(): number {
    let waiting = this.journal.waiting
    for (const journal of this.#orgs.values()) waiting += journal.waiting
    return waiting
  }
}

/** The client report's facts (§21), each request folded in as it is recorded. */
class MemoryReport implements ReportRepository {
  /** By task id, in the order of their first request. */
  readonly #tasks = new Map<string, ReportFacts>()

  async record(task: ReportTask, event: ReportEvent): Promise<void> {
    const held = this.#tasks.get(task.id)
    // A creation is the task's createdAt and org: another org making a task again under the same
    // id at the same instant starts afresh, and never reads the first org's facts (§15).
    if (held && held.task.createdAt === task.createdAt && held.task.orgId === task.orgId) {
      foldEvent(held, task, event)
      return
    }
    // A task made again under the same id starts afresh, last in order.
    this.#tasks.delete(task.id)
    for (const id of this.#tasks.keys()) {
      if (this.#tasks.size < MAX_REPORT_TASKS) break
      this.#tasks.delete(id)
    }
    this.#tasks.set(task.id, foldEvent(undefined, task, event))
  }

  async list(filter: ReportFilter = {}): Promise<ReportFacts[]> {
    const { orgId, taskId } = filter
    const facts = taskId === undefined ? [...this.#tasks.values()] : [this.#tasks.get(taskId)].filter((f) => f !== undefined)
    return orgId ? facts.filter((f) => f.task.orgId === orgId) : facts
  }

  async clear(orgId?: string | null): Promise<void> {
    if (!orgId) return this.#tasks.clear()
    for (const [id, facts] of this.#tasks) if (facts.task.orgId === orgId) this.#tasks.delete(id)
  }
}

/** All state in this process. */
export class MemoryStore implements Store {
  readonly kind = 'memory'
  readonly tasks: MemoryTasks
  readonly irns: MemoryIrns
  readonly journal: MemoryJournal
  readonly report = new MemoryReport()
  #seeded = false

  constructor(
    readonly state: SharedState,
    options: MemoryStoreOptions
  ) {
    const tasks = new TaskStore({ clockFor: (orgId) => state.clocks.for(orgId), ttlMs: options.ttlMs, maxTasks: options.maxTasks, maxStoreBytes: options.maxStoreBytes })
    const irns = new IssuedIrns((id) => tasks.get(id) !== undefined)
    this.tasks = new MemoryTasks(tasks, irns, options)
    this.irns = new MemoryIrns(irns)
    this.journal = new MemoryJournal(new RequestJournal(options.journalSize))
  }

  async open(): Promise<void> {}

  async close(): Promise<void> {}

  async sync(): Promise<void> {}

  async update<R>(_names: readonly DocName[], fn: (state: SharedState) => R): Promise<R> {
    return fn(this.state)
  }

  async replace(names: readonly DocName[], state: SharedState): Promise<void> {
    for (const name of names) this.state.restore(name, state.snapshot(name))
  }

  async ready(): Promise<boolean> {
    return true
  }

  /** A process starts empty: `if-empty` seeds once, at start-up. */
  async claimSeed(policy: SeedPolicy): Promise<boolean> {
    const first = !this.#seeded
    this.#seeded = true
    return policy === 'always' || (policy === 'if-empty' && first)
  }
}

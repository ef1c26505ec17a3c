/**
 * The in-memory task store (docs/behaviour.md §2 rule 4, §7, §19).
 *
 * O(1) lookup by lower-case id; a task past its TTL reads as absent and is freed by
 * {@link TaskStore.sweep}, which the app runs on an unref'd timer. It keeps a running total of the
 * bytes its tasks take (each counted once, when added), checked and changed in the same step as
 * the task is added or removed.
 */
import type { Clock } from './clock.js'
import { MockError } from './errors.js'
import type { Task } from './task.js'

/** Thrown by {@link TaskStore.add} when the id is taken (§12 `409 err-task-exists`). */
export class TaskExistsError extends MockError {
  constructor(readonly id: string) {
    super('ERR_TASK_EXISTS', `task ${id} exists`)
  }
}

/** Thrown by {@link TaskStore.add} when the store holds `maxTasks` live tasks (§7 `507`). */
export class TaskLimitError extends MockError {
  constructor(readonly max: number) {
    super('ERR_TASK_LIMIT', `the store holds its maximum of ${max} tasks`)
  }
}

/** The byte budget a task would break (§19 `507 err-store-full`). */
export type BudgetSetting = 'MAX_TASK_BYTES' | 'MAX_STORE_BYTES'

/**
 * Thrown when a task does not fit the byte budgets (§19 `507 err-store-full`): over
 * `MAX_TASK_BYTES`, or past `MAX_STORE_BYTES` with the tasks held (expired ones freed first).
 */
export class StoreFullError extends MockError {
  /**
   * @param setting the budget it breaks
   * @param max that budget, in bytes
   * @param bytes the task's size (or what it takes at least), in bytes
   * @param taskId the task's id, when it has one yet
   */
  constructor(
    readonly setting: BudgetSetting,
    readonly max: number,
    readonly bytes: number,
    readonly taskId?: string
  ) {
    super('ERR_STORE_FULL', `${taskId === undefined ? 'a task' : `task ${taskId}`} of ${bytes} bytes does not fit in ${setting} (${max})${setting === 'MAX_STORE_BYTES' ? ' with the tasks held' : ''}`)
  }
}

/** Options of a {@link TaskStore}. */
export interface TaskStoreOptions {
  /** The clock of an org's tasks (§15: each org may have its own). */
  clockFor: (orgId: string) => Clock
  /** How long a task can be read after its creation, in ms (§7; default 7 days). */
  ttlMs: number
  /** The most tasks held at once (§17 `MAX_TASKS`). */
  maxTasks: number
  /** The most bytes the tasks held take together (§19 `MAX_STORE_BYTES`). */
  maxStoreBytes: number
}

/**
 * A task held, with the bytes it was added with and its position in creation order (1, 2, ...,
 * {@link TaskStore.page}'s cursor): one record per task in one map, rather than an entry in each of
 * three tables.
 */
class Held {
  constructor(
    readonly task: Task,
    readonly bytes: number,
    readonly position: number
  ) {}
}

/** Holds every task, keyed by its id (lower-case), with the bytes each takes. */
export class TaskStore {
  readonly #held = new Map<string, Held>()
  #createdCount = 0
  /** The sum of the bytes of the tasks held. */
  #bytes = 0
  readonly #clockFor: (orgId: string) => Clock
  readonly ttlMs: number
  readonly maxTasks: number
  readonly maxStoreBytes: number

  constructor(options: TaskStoreOptions) {
    this.#clockFor = options.clockFor
    this.ttlMs = options.ttlMs
    this.maxTasks = options.maxTasks
    this.maxStoreBytes = options.maxStoreBytes
  }

  /** Tasks held, expired ones not yet swept included. */
  get size(): number {
    return this.#held.size
  }

  /** Bytes the tasks held take (§19), expired ones not yet swept included. */
  get bytes(): number {
    return this.#bytes
  }

  /**
   * Adds a task that takes `bytes`; what has expired is freed first when it would not fit.
   * @throws {TaskExistsError} when a live task has the same id (an expired one is replaced)
   * @throws {TaskLimitError} when `maxTasks` live tasks are held
   * @throws {StoreFullError} when the tasks held and this one would take more than `maxStoreBytes`
   */
  add(task: Task, bytes: number): void {
    const existing = this.#held.get(task.id)?.task
    if (existing && !this.#expired(existing)) throw new TaskExistsError(task.id)
    if (!existing && this.#held.size >= this.maxTasks) {
      this.sweep()
      if (this.#held.size >= this.maxTasks) throw new TaskLimitError(this.maxTasks)
    }
    if (!this.#fits(task.id, bytes)) {
      this.sweep()
      if (!this.#fits(task.id, bytes)) throw new StoreFullError('MAX_STORE_BYTES', this.maxStoreBytes, bytes, task.id)
    }
    // An expired task held under the id gives way (and its bytes), and the new one comes last.
    this.#remove(task.id)
    this.#held.set(task.id, new Held(task, bytes, ++this.#createdCount))
    this.#bytes += bytes
  }

  /**
   * Live tasks in creation order created after position `after` (0: from the first), at most
   * `limit` of those `keep` accepts. Tasks before `after` are skipped without being looked at.
   * @returns the tasks, and the position of the last one when more tasks may follow, else null
   */
  page(after: number, limit: number, keep: (task: Task) => boolean): { tasks: Task[]; next: number | null } {
    const tasks: Task[] = []
    let last = 0
    for (const { task, position } of this.#held.values()) {
      if (position <= after || this.#expired(task) || !keep(task)) continue
      if (tasks.length === limit) return { tasks, next: last }
      tasks.push(task)
      last = position
    }
    return { tasks, next: null }
  }

  /** Whether a task of `bytes` fits, in place of any task held under its id. */
  #fits(id: string, bytes: number): boolean {
    return this.#bytes - (this.#held.get(id)?.bytes ?? 0) + bytes <= this.maxStoreBytes
  }

  /** Forgets the task held under an id, and its bytes. */
  #remove(id: string): void {
    this.#bytes -= this.#held.get(id)?.bytes ?? 0
    this.#held.delete(id)
  }

  /**
   * The live task held under this id (lower-case, as tasks hold it), whatever its org; undefined
   * when unknown or expired. Rule 4 (any case, the org) is the store's `find` (store/store.ts).
   */
  get(id: string): Task | undefined {
    const task = this.#held.get(id)?.task
    return task && !this.#expired(task) ? task : undefined
  }

  /** Every live task, in creation order. */
  list(): Task[] {
    const live: Task[] = []
    for (const { task } of this.#held.values()) if (!this.#expired(task)) live.push(task)
    return live
  }

  /** Removes the task held under this id (lower-case); true when a live one was removed. */
  delete(id: string): boolean {
    const task = this.get(id)
    this.#remove(id)
    return task !== undefined
  }

  /** Removes every task. */
  clear(): void {
    this.#held.clear()
    this.#bytes = 0
  }

  /** Frees every expired task. @returns the ids freed */
  sweep(): string[] {
    const freed: string[] = []
    for (const [id, { task }] of this.#held) {
      if (this.#expired(task)) {
        this.#remove(id)
        freed.push(id)
      }
    }
    return freed
  }

  #expired(task: Task): boolean {
    return task.isExpired(this.#clockFor(task.orgId).now(), this.ttlMs)
  }
}

/**
 * The in-memory task store (docs/behaviour.md §2 rule 4, §7).
 *
 * O(1) lookup by lower-case id; a task past its TTL reads as absent and is freed by
 * {@link TaskStore.sweep}, which the app runs on an unref'd timer.
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

/** Options of a {@link TaskStore}. */
export interface TaskStoreOptions {
  /** The clock of an org's tasks (§15: each org may have its own). */
  clockFor: (orgId: string) => Clock
  /** How long a task can be read after its creation, in ms (§7; default 7 days). */
  ttlMs: number
  /** The most tasks held at once (§17 `MAX_TASKS`). */
  maxTasks: number
}

/** Holds every task, keyed by its id (lower-case). */
export class TaskStore {
  readonly #tasks = new Map<string, Task>()
  /** Each task's position in creation order (1, 2, ...), for {@link TaskStore.page}'s cursor. */
  readonly #created = new WeakMap<Task, number>()
  #createdCount = 0
  readonly #clockFor: (orgId: string) => Clock
  readonly ttlMs: number
  readonly maxTasks: number

  constructor(options: TaskStoreOptions) {
    this.#clockFor = options.clockFor
    this.ttlMs = options.ttlMs
    this.maxTasks = options.maxTasks
  }

  /** Tasks held, expired ones not yet swept included. */
  get size(): number {
    return this.#tasks.size
  }

  /**
   * Adds a task.
   * @throws {TaskExistsError} when a live task has the same id (an expired one is replaced)
   * @throws {TaskLimitError} when `maxTasks` live tasks are held
   */
  add(task: Task): void {
    const existing = this.#tasks.get(task.id)
    if (existing && !this.#expired(existing)) throw new TaskExistsError(task.id)
    if (!existing && this.#tasks.size >= this.maxTasks) {
      this.sweep()
      if (this.#tasks.size >= this.maxTasks) throw new TaskLimitError(this.maxTasks)
    }
    // Map order is creation order: an expired task replaced under its id moves to the end.
    this.#tasks.delete(task.id)
    this.#tasks.set(task.id, task)
    this.#created.set(task, ++this.#createdCount)
  }

  /**
   * Live tasks in creation order created after position `after` (0: from the first), at most
   * `limit` of those `keep` accepts. Tasks before `after` are skipped without being looked at.
   * @returns the tasks, and the position of the last one when more tasks may follow, else null
   */
  page(after: number, limit: number, keep: (task: Task) => boolean): { tasks: Task[]; next: number | null } {
    const tasks: Task[] = []
    for (const task of this.#tasks.values()) {
      const position = this.#created.get(task) as number
      if (position <= after || this.#expired(task) || !keep(task)) continue
      if (tasks.length === limit) return { tasks, next: this.#created.get(tasks[limit - 1] as Task) as number }
      tasks.push(task)
    }
    return { tasks, next: null }
  }

  /**
   * The live task held under this id (lower-case, as tasks hold it), whatever its org; undefined
   * when unknown or expired. Rule 4 (any case, the org) is the store's `find` (store/store.ts).
   */
  get(id: string): Task | undefined {
    const task = this.#tasks.get(id)
    return task && !this.#expired(task) ? task : undefined
  }

  /** Every live task, in creation order. */
  list(): Task[] {
    return [...this.#tasks.values()].filter((task) => !this.#expired(task))
  }

  /** Removes the task held under this id (lower-case); true when a live one was removed. */
  delete(id: string): boolean {
    const task = this.get(id)
    this.#tasks.delete(id)
    return task !== undefined
  }

  /** Removes every task. */
  clear(): void {
    this.#tasks.clear()
  }

  /** Frees every expired task. @returns the ids freed */
  sweep(): string[] {
    const freed: string[] = []
    for (const [id, task] of this.#tasks) {
      if (this.#expired(task)) {
        this.#tasks.delete(id)
        freed.push(id)
      }
    }
    return freed
  }

  #expired(task: Task): boolean {
    return task.isExpired(this.#clockFor(task.orgId).now(), this.ttlMs)
  }
}

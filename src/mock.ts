/**
 * The mock's state, shared by every route: settings, clock, credentials, tasks, the operations
 * that create tasks with the IRNs they issued, and the seeded fixtures. Knows nothing of HTTP.
 */
import { createHash, randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import { ControlledClock } from './clock.js'
import type { Settings } from './config.js'
import { Credentials, DEFAULT_ORG_ID } from './credentials.js'
import { FaultStore } from './faults.js'
import { seedTasks, type Fixtures } from './fixtures.js'
import { IssuedIrns } from './issued-irns.js'
import { RequestJournal } from './journal.js'
import { BUILT_IN_OPERATIONS } from './operations/index.js'
import type { Operation } from './operations/operation.js'
import { OperationRegistry } from './operations/registry.js'
import type { Signer } from './signing.js'
import { prng, syntheticGstin } from './synthetic.js'
import { TaskExistsError, TaskStore } from './task-store.js'
import type { SpecDefaults } from './task-spec.js'
import { Task } from './task.js'
import { Users } from './users.js'

/** Everything the routes act on. */
export class Mock {
  readonly store: TaskStore
  readonly credentials = new Credentials()
  readonly faults = new FaultStore()
  readonly journal: RequestJournal
  /** Every operation that creates tasks, with its settings and `next` queue (§10). */
  readonly operations: OperationRegistry
  /** IRNs issued by generation tasks still held (§10). */
  readonly irns: IssuedIrns
  /** Users who log in, and their sessions (§14). */
  readonly users: Users
  /** False once shutdown has begun (`/readyz` answers 503). */
  ready = false
  /** Zip streams being sent right now; each leaves the set when it closes (ends or is destroyed). */
  readonly downloads = new Set<Readable>()

  /**
   * @param signer the demo IRP's key (signing.ts)
   * @throws {OperationExistsError} or {InvalidSpecError} when a fixture operation is invalid
   */
  constructor(
    readonly settings: Settings,
    readonly clock: ControlledClock,
    readonly fixtures: Fixtures,
    readonly signer: Signer
  ) {
    this.store = new TaskStore({ clock, ttlMs: settings.taskTtlMs, maxTasks: settings.maxTasks })
    this.journal = new RequestJournal(settings.journalSize)
    this.operations = new OperationRegistry(BUILT_IN_OPERATIONS, fixtures.operations)
    this.irns = new IssuedIrns((id) => this.store.get(id) !== undefined)
    this.users = new Users(this.credentials, clock)
  }

  /** Defaults for a task spec at the clock's now: org 1 of §6 and a fresh UUID. */
  specDefaults(): SpecDefaults {
    return { orgId: DEFAULT_ORG_ID, now: this.clock.now(), newId: randomUUID }
  }

  /**
   * Adds a task made through the control API.
   * @throws {TaskExistsError} when its id is taken or reserved by a `next` override
   * @throws {TaskLimitError} at `MAX_TASKS`
   */
  addTask(task: Task): void {
    if (this.operations.reserved(task.id)) throw new TaskExistsError(task.id)
    this.store.add(task)
  }

  /**
   * Creates the task of a producer call (§10): the caller's org, the operation's timeline and
   * outcome (or the next queued override's), content derived from the checked request. IRNs it
   * issues or cancels are recorded only once the task exists, so a refused task changes nothing.
   * @param input what `operation.check` returned
   * @throws {TaskLimitError} at `MAX_TASKS`
   */
  produce(operation: Operation, input: unknown, orgId: string): Task {
    const now = this.clock.now()
    const next = this.operations.peekNext(operation.name)
    const settings = this.operations.settings(operation.name)
    const id = next?.id ?? randomUUID()
    const derived = operation.derive(input, {
      orgId,
      now,
      taskId: id,
      orgGstin: (org) => this.orgGstin(org),
      issuedIrn: (org, irn) => this.irns.get(org, irn),
      sign: (data) => this.signer.sign(data)
    })
    const task = new Task({
      id,
      orgId,
      kind: operation.name,
      jobs: derived.jobs,
      createdAt: now,
      timeline: structuredClone(next?.timeline ?? settings.timeline),
      outcome: next?.outcome ?? settings.outcome,
      result: derived.result ?? {},
      pages: derived.pages ?? null,
      files: derived.files ?? []
    })
    this.store.add(task)
    this.operations.shiftNext(operation.name)
    this.irns.issue(derived.issue ?? [])
    for (const { irn, at } of derived.cancel ?? []) this.irns.cancel(orgId, irn, at)
    return task
  }

  /** The org's GSTIN: the one its credentials fixture gives, else a synthetic one derived from its id. */
  orgGstin(orgId: string): string {
    return this.credentials.org(orgId).gstin ?? syntheticGstin(prng(createHash('sha256').update(orgId).digest().readUInt32BE(0)))
  }

  /** Tracks a download stream in {@link Mock.downloads} until it closes. */
  trackDownload<T extends Readable>(stream: T): T {
    this.downloads.add(stream)
    stream.once('close', () => this.downloads.delete(stream))
    return stream
  }

  /** Frees expired tasks, the IRNs they issued, and sessions long expired. */
  sweep(): void {
    this.store.sweep()
    this.irns.sweep()
    this.users.sweep()
  }

  /**
   * Seeds the fixtures' credentials, users and tasks at the clock's now (§6, §14), replacing
   * whatever the store, the credential registry and the users held (sessions end).
   */
  seed(): void {
    this.store.clear()
    this.credentials.clear()
    this.users.clear()
    for (const credential of this.fixtures.credentials) this.credentials.add(credential)
    for (const user of this.fixtures.users) this.users.add(user)
    for (const task of seedTasks(this.fixtures, this.specDefaults())) this.store.add(task)
  }

  /**
   * Back to the start-up state (§7 `POST /__admin/reset`): the clock in system mode without
   * offset, the fixtures re-seeded at its now, the journal, faults and issued IRNs cleared, the
   * operations back to their defaults (§10).
   */
  reset(): void {
    this.clock.reset()
    this.journal.clear()
    this.faults.clear()
    this.irns.clear()
    this.operations.reset()
    this.seed()
  }
}

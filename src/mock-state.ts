/**
 * The mock's state, shared by every route: settings, the store (store/store.ts) with the clock,
 * credentials, users, faults, operations, tasks, issued IRNs, journal and the client report's
 * facts, and the seeded fixtures. Knows nothing of HTTP.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { ControlledClock } from './clock.js'
import type { Settings } from './config.js'
import type { Credentials } from './credentials.js'
import { DEFAULT_ORG_ID } from './credentials.js'
import type { FaultStore } from './faults.js'
import { seedTasks, type Fixtures } from './fixtures.js'
import type { Derived, IssuedIrn, Operation } from './operations/operation.js'
import type { OperationRegistry } from './operations/registry.js'
import { judgeTask, reportJson, type ReportFacts } from './report.js'
import { scenarioNamed, scenarioTtlMs, type Scenario } from './scenarios.js'
import { customOperation, type CustomOperationSpec } from './operations/registry.js'
import type { SharedState } from './shared-state.js'
import type { Signer } from './signing.js'
import { checkTaskBytes, type ReportFilter, type Store, type TaskEffects } from './store/store.js'
import { prng, syntheticGstin } from './synthetic.js'
import { TaskExistsError } from './task-store.js'
import { taskFromSpec, type SpecDefaults } from './task-spec.js'
import { Task, type TaskSource, type TaskState, type TaskStatus } from './task.js'
import { makeUser, type LoginData, type User, type UserSpec, type UserView } from './users.js'

/**
 * The mock's state and the steps that change it, everything the routes act on: the settings, the
 * store (the shared documents — clock, credentials, users, faults, operations — and the tasks,
 * issued IRNs and journal), the fixtures it seeds, the demo IRP's signer, whether the server is
 * ready, and the downloads in flight. The app decorates itself with it as `app.mock`.
 */
export class MockState {
  /** False once shutdown has begun (`/readyz` answers 503). */
  ready = false
  /** Zip streams being sent right now; each leaves the set when it closes (ends or is destroyed). */
  readonly downloads = new Set<Readable>()
  /** The fixture users, their passwords hashed once (seeding reuses them). */
  #fixtureUsers: Promise<User[]> | undefined
  readonly #fixtureTaskIds: Set<string>

  /**
   * @param store where all state lives (its shared documents over this replica's clock)
   * @param signer the demo IRP's key (signing.ts)
   * @param realNow real time in ms, never going back, that replicas agree on (the client report's,
   *   §21): with Redis, its `TIME` followed locally; else this process's monotonic clock
   */
  constructor(
    readonly settings: Settings,
    readonly store: Store,
    readonly fixtures: Fixtures,
    readonly signer: Signer,
    readonly realNow: () => number = () => performance.timeOrigin + performance.now()
  ) {
    this.#fixtureTaskIds = new Set(seedTasks(fixtures, this.specDefaults()).map((task) => task.id))
  }

  /** The shared documents as of this request's sync. */
  get state(): SharedState {
    return this.store.state
  }

  /** The global clock (this replica's, following the shared clock document). */
  get clock(): ControlledClock {
    return this.store.state.clock
  }

  /** The clock of an org's requests and tasks: its own (§15), else the global one. */
  clockFor(orgId: string | null | undefined): ControlledClock {
    return this.store.state.clocks.for(orgId)
  }

  get credentials(): Credentials {
    return this.store.state.credentials
  }

  get faults(): FaultStore {
    return this.store.state.faults
  }

  /** Every operation that creates tasks, with its settings and `next` queue (§13). */
  get operations(): OperationRegistry {
    return this.store.state.operations
  }

  /** Defaults for a task spec: the org (default: org 1 of §9) at its clock's now, a fresh UUID, and `RETRY_AFTER_S` (a scenario's TTL, §21). */
  specDefaults(orgId: string | null = null): SpecDefaults {
    const org = orgId ?? DEFAULT_ORG_ID
    return { orgId: org, now: this.clockFor(org).now(), newId: randomUUID, retryAfterS: this.settings.retryAfterS }
  }

  /**
   * Adds a task made through the control API, with the faults its scenario binds to it (§21).
   * @param faultOrg the namespace the call acts in (§15): the scenario's faults are that org's, as
   *   `POST /__admin/faults` there would add them
   * @throws {TaskExistsError} when its id is taken or reserved by a `next` override
   * @throws {StoreFullError} past `MAX_TASK_BYTES` or `MAX_STORE_BYTES`, or at `MAX_FAULTS` (no
   *   task is then added); {TaskLimitError} at `MAX_TASKS`; {StoreUnavailableError}
   */
  async addTask(task: Task, faultOrg: string | null = null): Promise<void> {
    if (this.operations.reserved(task.id)) throw new TaskExistsError(task.id)
    await this.#add(task, {}, faultOrg)
  }

  /**
   * Adds a task, then the faults its scenario binds to it (§21) in place of any bound to a task
   * held before under its id; when the faults cannot be added, the task is removed again.
   */
  async #add(task: Task, effects: TaskEffects, faultOrg: string | null): Promise<void> {
    await this.store.tasks.add(task, effects)
    const faults = task.scenario === undefined ? [] : (scenarioNamed(task.scenario) as Scenario).faults
    if (faults.length === 0 && !this.faults.bound([task.id])) return
    try {
      await this.store.update(['faults'], (state) => {
        state.faults.unbind([task.id])
        for (const fault of faults) state.faults.add({ ...fault, taskId: task.id }, undefined, faultOrg, task.scenario)
      })
    } catch (error) {
      await this.store.tasks.delete(task.id).catch(() => {})
      throw error
    }
  }

  /** Removes the faults bound to tasks that are gone (§21). */
  async #unbind(taskIds: readonly string[]): Promise<void> {
    if (this.faults.bound(taskIds)) await this.store.update(['faults'], (state) => state.faults.unbind(taskIds))
  }

  /**
   * Removes a task (by its lower-case id) and the faults its scenario bound to it (§21).
   * @returns whether a live task was removed
   */
  async deleteTask(id: string): Promise<boolean> {
    const deleted = await this.store.tasks.delete(id)
    await this.#unbind([id])
    return deleted
  }

  /** Removes every task, or an org's (§15), with the faults bound to them (§21). */
  async deleteTasks(orgId: string | null): Promise<void> {
    if (!orgId) {
      await this.store.tasks.clear()
      // Every task is gone, so is every fault a scenario bound.
      return this.#unbind(this.faults.list().flatMap((fault) => (fault.scenario ? [fault.taskId as string] : [])))
    }
    const ids = (await this.store.tasks.list()).filter((task) => task.orgId === orgId).map((task) => task.id)
    for (const id of ids) await this.store.tasks.delete(id)
    await this.#unbind(ids)
  }

  /**
   * The client report (§21) of the tasks the filter selects, as JSON text a part at a time (see
   * report.ts `reportJson`): each task judged on its org's clock, the ones still held on their
   * state now, the others on what their answers showed. Every store read is done before the first
   * part; judging happens as the parts are taken.
   * @param filter.namespace the namespace the call acts in (§15): only its org's tasks
   * @throws {StoreUnavailableError}
   */
  async report(filter: ReportFilter & { namespace?: string | null } = {}): Promise<Generator<string>> {
    const { namespace, orgId, taskId } = filter
    // In a namespace, another org named in the query selects nothing.
    const none = namespace && orgId !== undefined && orgId !== namespace
    const all = none ? [] : await this.store.report.list({ orgId: namespace || orgId, taskId })
    const held = await this.store.tasks.held(all.map((facts) => facts.task.id))
    const heldOf = new Map(all.map((facts, i) => [facts, held[i]]))
    // A held task whose timeline the report did not copy (a long one) is read whole.
    const whole = new Map<ReportFacts, Task | undefined>()
    for (const facts of all) {
      if (facts.task.timeline === null && heldOf.get(facts)?.createdAt === facts.task.createdAt) whole.set(facts, await this.store.tasks.find(facts.task.id, facts.task.orgId))
    }
    const realNow = this.realNow()
    return reportJson(all, (facts) => {
      const { task } = facts
      const now = this.clockFor(task.orgId).now()
      const live = heldOf.get(facts)
      // The task as it is now: its timeline with the facts the store holds (no content is built).
      let state: TaskState | undefined
      if (task.timeline === null) state = whole.get(facts)?.observe(now)
      else if (live && live.createdAt === task.createdAt) state = new Task({ ...task, timeline: task.timeline, result: null, pages: null, files: [] }).restore(live.facts).observe(now)
      return judgeTask(facts, { now, realNow, retryAfterS: this.settings.retryAfterS, state })
    })
  }

  /** When a task stops being readable, in epoch ms (§7). */
  expiresAt(task: Task): number {
    return task.expiresAt(this.store.tasks.ttlMs)
  }

  /**
   * Moves a task through the control API (§12 transition), at the clock's now.
   * @returns false when the task is gone meanwhile
   * @throws {InvalidTransitionError}
   */
  async move(task: Task, status: TaskStatus): Promise<boolean> {
    return (await this.store.tasks.move(task, status, this.clockFor(task.orgId).now())) !== undefined
  }

  /**
   * Creates the task of a producer call (§13): the caller's org, the operation's timeline and
   * outcome (or the next queued override's, taken atomically), content derived from the checked
   * request. IRNs it issues or cancels are recorded in the same step as the task, so a refused
   * task changes nothing (a refused task's override is queued again). A request whose task would
   * be over `MAX_TASK_BYTES` whatever is derived from it is refused before anything else (§19).
   * @param input what `operation.check` returned
   * @throws {StoreFullError} past `MAX_TASK_BYTES` or `MAX_STORE_BYTES`; {TaskLimitError} at
   *   `MAX_TASKS`; {StoreUnavailableError}
   */
  async produce(operation: Operation, input: unknown, orgId: string): Promise<Task> {
    const name = operation.name
    const custom = this.operations.customSpec(name)
    // §19: a request too large for one task is refused before an override is taken or anything is
    // derived. The task's stored source holds all of this, so it takes at least these bytes.
    checkTaskBytes(Buffer.byteLength(JSON.stringify({ operation: name, custom, input })), this.settings)
    const taken = this.operations.peekNext(name, orgId) === undefined ? undefined : await this.store.update(['operations'], (s) => s.operations.takeNext(name, orgId))
    const next = taken?.next
    const settings = this.operations.settings(name, orgId)
    const now = this.clockFor(orgId).now()
    const id = next?.id ?? randomUUID()
    // A derivation may read issued IRNs: the first one finds out which (it sees none issued).
    const wanted: Array<[string, string]> = []
    const gstins: Record<string, string> = {}
    const context = { orgId, now, taskId: id, sign: (data: unknown) => this.signer.sign(data) }
    const orgGstin = (org: string): string => (gstins[org] ??= this.orgGstin(org))
    let derived = operation.derive(input, { ...context, orgGstin, issuedIrn: (org, irn) => void wanted.push([org, irn]) })
    const irns: Record<string, IssuedIrn> = {}
    // Only a derivation that read issued IRNs (a cancellation, an e-way bill by IRN) runs again with them.
    if (wanted.length > 0) {
      Object.assign(irns, Object.fromEntries(await this.store.irns.lookup(wanted)))
      derived = operation.derive(input, { ...context, orgGstin, issuedIrn: (org, irn) => irns[`${org}|${irn.toLowerCase()}`] })
    }
    // A scenario (§21) sets the timeline, the outcome, the task's TTL and its faults.
    const scenario = next?.scenario === undefined ? undefined : (scenarioNamed(next.scenario) as Scenario)
    const timeline = structuredClone([...(scenario?.timeline ?? next?.timeline ?? settings.timeline)])
    const outcome = scenario?.outcome ?? next?.outcome ?? settings.outcome
    const ttlMs = scenario && scenarioTtlMs(scenario, this.settings.retryAfterS)
    const source: ProducedSource = {
      operation: name,
      ...(custom ? { custom } : {}),
      input,
      gstins,
      irns,
      timeline,
      outcome,
      ...(scenario ? { scenario: scenario.name } : {}),
      ...(ttlMs === undefined ? {} : { ttlMs })
    }
    const task = producedTask(id, orgId, now, derived, source)
    try {
      // The faults are those of the queue the override came from (an org's namespace, §15, or global).
      await this.#add(task, { issue: derived.issue ?? [], cancel: derived.cancel ?? [] }, taken?.from ?? null)
    } catch (error) {
      if (taken) await this.store.update(['operations'], (s) => s.operations.requeueNext(name, taken)).catch(() => {})
      throw error
    }
    return task
  }

  /**
   * Builds a task again from its {@link TaskSource} (a shared store keeps only that, §16): the
   * same content, with no facts yet.
   * @throws {Error} for an operation no longer known (a built-in one is always known)
   */
  rebuild(id: string, orgId: string, createdAt: number, source: TaskSource): Task {
    // The spec kept has its id (task-spec.ts), so no new one is made.
    if ('spec' in source) return taskFromSpec(source.spec, { orgId, now: createdAt, newId: randomUUID })
    const operation = source.custom ? customOperation(source.custom as CustomOperationSpec).operation : this.operations.builtIn.find((op) => op.name === source.operation)
    if (!operation) throw new Error(`unknown operation ${source.operation}`)
    const irns = source.irns as Record<string, IssuedIrn>
    const derived = operation.derive(source.input, {
      orgId,
      now: createdAt,
      taskId: id,
      // The derivation asks for the same orgs as when it was made (it is deterministic).
      orgGstin: (org) => source.gstins[org] as string,
      issuedIrn: (org, irn) => irns[`${org}|${irn.toLowerCase()}`],
      sign: (data) => this.signer.sign(data)
    })
    return producedTask(id, orgId, createdAt, derived, source)
  }

  /** The org's GSTIN: the one its credentials fixture gives, else a synthetic one derived from its id. */
  orgGstin(orgId: string): string {
    return this.credentials.org(orgId).gstin ?? syntheticGstin(prng(createHash('sha256').update(orgId).digest().readUInt32BE(0)))
  }

  /** Adds a user (§12 `POST /__admin/users`). @throws {UserExistsError} */
  async addUser(spec: UserSpec): Promise<UserView> {
    const user = await makeUser(spec, this.clock.now())
    return this.store.update(['auth'], (s) => s.users.insert(user))
  }

  /**
   * Logs in (§4): checks the credentials, then starts a session in one atomic step.
   * @throws {ContractError} `400`/`401`; {SessionLimitError}
   */
  async login(body: unknown): Promise<LoginData> {
    const login = await this.state.users.verify(body)
    const token = randomBytes(32).toString('base64url')
    return this.store.update(['auth'], (s) => s.users.startSession(login, token))
  }

  /** Tracks a download stream in {@link MockState.downloads} until it closes. */
  trackDownload<T extends Readable>(stream: T): T {
    this.downloads.add(stream)
    stream.once('close', () => this.downloads.delete(stream))
    return stream
  }

  /**
   * Frees expired tasks, the IRNs they issued, and sessions long expired; a seeded task that
   * expired is seeded again at now (§7), so the README's walk-through always works. A shared
   * store that lost its data (a Redis restarted empty) is reset, by one replica (unless `SEED=never`).
   */
  async sweep(): Promise<void> {
    if (this.settings.seed !== 'never' && (await this.store.claimSeed('if-empty'))) return this.reset()
    await this.store.sync()
    const freed = await this.store.tasks.sweep()
    await this.#unbind(freed)
    await this.store.irns.sweep()
    if (this.state.users.sweepable()) await this.store.update(['auth'], (s) => s.users.sweep())
    const again = freed.filter((id) => this.#fixtureTaskIds.has(id))
    if (again.length === 0) return
    // Each made again at its own org's now (§15).
    for (const task of this.#fixtureTasks()) {
      if (again.includes(task.id)) await this.#add(task, {}, null).catch(() => {})
    }
  }

  /**
   * Seeds the fixtures' credentials, users and tasks at the clock's now (§9, §4), replacing
   * whatever the store, the credential registry and the users held (sessions end).
   */
  async seed(): Promise<void> {
    this.#fixtureUsers ??= Promise.all(this.fixtures.users.map((spec) => makeUser(spec, 0)))
    const users = await this.#fixtureUsers
    await this.store.tasks.clear()
    const now = this.clock.now()
    await this.store.update(['auth'], (s) => {
      s.credentials.clear()
      s.users.clear()
      for (const credential of this.fixtures.credentials) s.credentials.add(credential)
      for (const user of users) s.users.insert({ ...user, createdAt: now })
    })
    for (const task of seedTasks(this.fixtures, this.specDefaults())) await this.#add(task, {}, null)
  }

  /**
   * Back to the start-up state (§12 `POST /__admin/reset`): the clock in system mode without
   * offset, the fixtures re-seeded at its now, the journal, the client report, faults and issued
   * IRNs cleared, the operations back to their defaults (§12). With Redis, for every replica (§16).
   */
  async reset(): Promise<void> {
    await this.store.update(['clock', 'faults', 'operations'], (s) => {
      s.clocks.reset()
      s.faults.clear()
      s.operations.reset()
    })
    await this.store.journal.clear()
    await this.store.report.clear()
    await this.store.irns.clear()
    await this.seed()
    // A keyspace that lost its marker (Redis restarted empty) is seeded again: mark it.
    await this.store.claimSeed('always')
  }

  /**
   * Back to the start for one org (§15 `POST /__admin/reset` in its namespace): its tasks removed
   * (with the faults their scenarios bound) and its seeded ones made again, its own clock, faults,
   * journal entries, client report, operation settings and `next` queues, and issued IRNs
   * forgotten. Other orgs are untouched.
   */
  async resetOrg(orgId: string): Promise<void> {
    await this.store.update(['clock', 'faults', 'operations'], (s) => {
      s.clocks.resetOrg(orgId)
      s.faults.clear(orgId)
      s.operations.resetOrg(orgId)
    })
    await this.store.journal.clear(orgId)
    await this.store.report.clear(orgId)
    await this.store.irns.clear(orgId)
    const seeded = this.#fixtureTasks().filter((task) => task.orgId === orgId)
    // The org's fixture ids are its own: a task another org made with one of them goes too.
    const ids = new Set(seeded.map((task) => task.id))
    const removed = (await this.store.tasks.list()).filter((task) => task.orgId === orgId || ids.has(task.id)).map((task) => task.id)
    for (const id of removed) await this.store.tasks.delete(id)
    await this.#unbind(removed)
    for (const task of seeded) await this.#add(task, {}, null)
  }

  /** The fixture tasks, each made at its org's now (org 1 when a fixture names none). */
  #fixtureTasks(): Task[] {
    const byOrg = new Map<string, Task[]>()
    for (const task of seedTasks(this.fixtures, this.specDefaults())) byOrg.set(task.orgId, [...(byOrg.get(task.orgId) ?? []), task])
    return [...byOrg].flatMap(([orgId, tasks]) => {
      const now = this.clockFor(orgId).now()
      if (now === this.clock.now()) return tasks
      const ids = new Set(tasks.map((task) => task.id))
      return seedTasks(this.fixtures, { ...this.specDefaults(), now }).filter((task) => ids.has(task.id))
    })
  }

  /**
   * Opens the store and seeds it as `SEED` says (§16): a new Redis keyspace or a new process
   * is seeded; with `if-empty`, a keyspace some replica seeded already is left as it is.
   * @throws {StoreUnavailableError}
   */
  async open(): Promise<void> {
    // This replica's clock as built (a test's manual clock stays), no faults, default operations:
    // what a seeded keyspace starts with (opening reads the documents the keyspace holds).
    const fresh = this.state.copy(['clock', 'faults', 'operations'])
    await this.store.open()
    if (!(await this.store.claimSeed(this.settings.seed))) return
    await this.store.replace(['clock', 'faults', 'operations'], fresh)
    await this.store.journal.clear()
    await this.store.irns.clear()
    await this.seed()
  }
}

/** A producer's source (§13): what {@link MockState.rebuild} builds a task from. */
type ProducedSource = Exclude<TaskSource, { spec: unknown }>

/** The task an operation's derivation describes, made from its source (the one shape for making and rebuilding it). */
function producedTask(id: string, orgId: string, createdAt: number, derived: Derived, source: ProducedSource): Task {
  return new Task({
    id,
    orgId,
    kind: source.operation,
    jobs: derived.jobs,
    createdAt,
    timeline: source.timeline,
    outcome: source.outcome,
    result: derived.result ?? {},
    pages: derived.pages ?? null,
    files: derived.files ?? [],
    source,
    ...(source.ttlMs === undefined ? {} : { ttlMs: source.ttlMs }),
    ...(source.scenario === undefined ? {} : { scenario: source.scenario })
  })
}

/**
 * Embedding the mock in tests: {@link startMockServer} starts a listening server (port 0 and a
 * manual clock by default) and hands back a typed {@link AdminClient} over its control API. The
 * client also drives a remote instance: `new AdminClient('https://stub.example', { token })`,
 * and, on a stub shared between teams, only one org's namespace (§15):
 * `new AdminClient('https://stub.example', { token, orgId })`.
 */
import type { FastifyInstance } from 'fastify'
import { buildApp, listeningText, type AppOptions } from './app.js'
import { ControlledClock, type ClockMode } from './clock.js'
import type { Settings } from './config.js'
import { MockError, type ErrorBody } from './errors.js'
import type { Fault, FaultSpec } from './faults.js'
import type { JournalEntry } from './journal.js'
import { MAX_PAGE } from './routes/admin.js'
import type { CustomOperationSpec, NextOverride, OperationSettings, OperationView } from './operations/registry.js'
import { describeFindings, type Report } from './report.js'
import type { ScenarioView } from './scenarios.js'
import type { ClockView, TaskView } from './views.js'
import type { TaskSpec } from './task-spec.js'
import type { TaskStatus } from './task.js'
import type { UserSpec, UserView } from './users.js'

/** A control-API call that did not succeed: the HTTP status and the error envelope. */
export class AdminError extends MockError {
  constructor(readonly status: number, readonly body: ErrorBody | null, method: string, path: string) {
    super('ERR_ADMIN', `${method} ${path} answered ${status}${body ? ` ${body.error.message}` : ''}`)
  }
}

/** A fault as sent to `POST /__admin/faults` (§10). */
export type { FaultSpec }

/**
 * Thrown by {@link AdminClient.assertWellBehaved} when the client report (§21) has findings: its
 * message lists them, one line each (rule, task, time, request id, what happened); `report` is
 * the whole report.
 */
export class ClientReportError extends MockError {
  constructor(readonly report: Report) {
    super('ERR_CLIENT_REPORT', describeFindings(report))
  }
}

/** Which tasks a report covers: one org's, one task, or (by default) every task the client sees. */
export interface ReportFilter {
  orgId?: string
  taskId?: string
}

/** An org credential as sent to `POST /__admin/orgs`; `expiresAt` ISO-8601 or epoch ms; `gstin` the org's GSTIN (§14). */
export interface OrgSpec {
  orgId: string
  token: string
  expiresAt?: string | number | null
  gstin?: string
}

/** Options of an {@link AdminClient}. */
export interface AdminClientOptions {
  /** The `ADMIN_TOKEN` when the server has one. */
  token?: string
  /**
   * Acts only in this org's namespace (§15): every call sends `X-FLYNN-N-ORG-ID: <orgId>`, so the
   * clock, faults, request journal, tasks, operation settings and `next` queues, and `reset` are
   * that org's alone, and another org's task answers `404`. Users, org credentials and custom
   * operations stay global. Without it the client acts globally (§12).
   */
  orgId?: string
}

/**
 * A typed client of the control API (§12), over `fetch`. Every method throws {@link AdminError}.
 * Global by default; with `orgId` it acts only in that org's namespace (§15), as a test suite on
 * a shared stub should: see {@link AdminClientOptions.orgId} and {@link AdminClient.forOrg}.
 */
export class AdminClient {
  readonly #base: string
  readonly #token: string | undefined
  /** The org whose namespace every call acts in (§15), or undefined: global. */
  readonly orgId: string | undefined

  /**
   * @param baseUrl the server's URL, e.g. `http://127.0.0.1:8080` (no `/__admin`)
   * @param options.token the `ADMIN_TOKEN` when the server has one
   * @param options.orgId act only in this org's namespace (§15): every call sends `X-FLYNN-N-ORG-ID`
   * @throws {TypeError} when `orgId` is given empty (the header must be non-empty)
   */
  constructor(baseUrl: string, options: AdminClientOptions = {}) {
    if (options.orgId === '') throw new TypeError('AdminClient: orgId must not be empty')
    this.#base = baseUrl.replace(/\/+$/, '')
    this.#token = options.token
    this.orgId = options.orgId
  }

  /**
   * A client with the same server and token that acts only in `orgId`'s namespace (§15).
   * @example const team = mock.admin.forOrg('00000000-0000-4000-8000-000000000002')
   */
  forOrg(orgId: string): AdminClient {
    return new AdminClient(this.#base, { token: this.#token, orgId })
  }

  /**
   * Creates a task (defaults of §6 for everything left out). In a namespace, `orgId` defaults to
   * the client's org and must equal it (a 400 AdminError otherwise).
   */
  async createTask(spec: TaskSpec = {}): Promise<TaskView> {
    return (await this.#call<{ task: TaskView }>('POST', '/tasks', spec)).task
  }

  /** One task by id; in a namespace, another org's task is a 404 AdminError. */
  async getTask(id: string): Promise<TaskView> {
    return (await this.#call<{ task: TaskView }>('GET', `/tasks/${encodeURIComponent(id)}`)).task
  }

  /** Every live task, optionally filtered by org and status; in a namespace, only the client's org's. */
  async listTasks(filter: { orgId?: string; status?: TaskStatus } = {}): Promise<TaskView[]> {
    // The list is paged (§12): follow `next` to its end.
    const tasks: TaskView[] = []
    for (let cursor: string | undefined, more = true; more;) {
      const page = await this.#call<{ tasks: TaskView[]; next: string | null }>('GET', `/tasks${query({ ...filter, limit: MAX_PAGE, cursor })}`)
      tasks.push(...page.tasks)
      cursor = page.next ?? undefined
      more = page.next !== null
    }
    return tasks
  }

  /** Moves a task forward (§5); throws a 409 AdminError for an illegal move (in a namespace, a 404 one for another org's task). */
  async transition(id: string, status: 'processing' | 'completed' | 'failed'): Promise<TaskView> {
    return (await this.#call<{ task: TaskView }>('POST', `/tasks/${encodeURIComponent(id)}/transition`, { status })).task
  }

  /** Deletes one task; in a namespace, another org's task is a 404 AdminError. */
  async deleteTask(id: string): Promise<void> {
    await this.#call('DELETE', `/tasks/${encodeURIComponent(id)}`)
  }

  /**
   * Deletes every task, the seeded ones too (`reset()` brings those back); in a namespace, only
   * that org's tasks.
   */
  async deleteTasks(): Promise<void> {
    await this.#call('DELETE', '/tasks')
  }

  /** Registers credentials for strict auth (global, even in a namespace). */
  async addOrg(org: OrgSpec): Promise<void> {
    await this.#call('POST', '/orgs', org)
  }

  /** The mock clock; in a namespace, the org's own (§15). */
  async getClock(): Promise<ClockView> {
    return this.#call<ClockView>('GET', '/clock')
  }

  /**
   * Moves the clock forward by a duration (`'7d'`, `'90s'`) or ms, freezing it there. In a namespace
   * only the org's clock moves; globally every org's clock moves with it (§15).
   */
  async advanceClock(by: string | number): Promise<ClockView> {
    return this.#call<ClockView>('POST', '/clock', { advance: by })
  }

  /** Sets the clock (never backwards: 409), freezing it there; in a namespace, the org's clock only. */
  async setClock(at: string | number | Date): Promise<ClockView> {
    return this.#call<ClockView>('POST', '/clock', { set: new Date(at).toISOString() })
  }

  /** Switches the clock between system pace and manual; in a namespace, the org's clock only. */
  async setClockMode(mode: ClockMode): Promise<ClockView> {
    return this.#call<ClockView>('POST', '/clock', { mode })
  }

  /** Adds a fault; returns it with its id and defaults. In a namespace it matches only the org's requests and carries `orgId`. */
  async addFault(fault: FaultSpec): Promise<Fault> {
    return (await this.#call<{ fault: Fault }>('POST', '/faults', fault)).fault
  }

  /** The faults in force; in a namespace, only the org's. */
  async faults(): Promise<Fault[]> {
    return (await this.#call<{ faults: Fault[] }>('GET', '/faults')).faults
  }

  /** Removes every fault; in a namespace, only the org's. */
  async clearFaults(): Promise<void> {
    await this.#call('DELETE', '/faults')
  }

  /** The request journal, oldest first (`limit`: only the newest n); in a namespace, only requests made with the org's id. */
  async requests(filter: { path?: string; limit?: number } = {}): Promise<JournalEntry[]> {
    // The journal is paged from the newest back (§11): follow `next` until `limit` (or all) are read.
    const wanted = filter.limit ?? Infinity
    const pages: JournalEntry[][] = []
    let read = 0
    for (let cursor: string | undefined, more = true; more && read < wanted;) {
      const limit = Math.min(MAX_PAGE, wanted - read)
      const page = await this.#call<{ requests: JournalEntry[]; next: string | null }>('GET', `/requests${query({ path: filter.path, limit, cursor })}`)
      pages.unshift(page.requests)
      read += page.requests.length
      cursor = page.next ?? undefined
      more = page.next !== null
    }
    return pages.flat()
  }

  /** Waits until `count` matching requests are recorded (in a namespace, the org's); a 408 AdminError at the timeout. */
  async waitForRequests(filter: { path?: string; count?: number; timeoutMs?: number } = {}): Promise<JournalEntry[]> {
    return (await this.#call<{ requests: JournalEntry[] }>('GET', `/requests/wait${query(filter)}`)).requests
  }

  /** Empties the journal; in a namespace, only the org's requests. */
  async clearRequests(): Promise<void> {
    await this.#call('DELETE', '/requests')
  }

  /**
   * The client report (§21): for each task that saw task-route requests, how many and the rules
   * its clients broke, with a summary. In a namespace, only the org's tasks.
   */
  async report(filter: ReportFilter = {}): Promise<Report> {
    return this.#call<Report>('GET', `/report${query({ ...filter })}`)
  }

  /**
   * Fails when the client report (§21) has any finding: throws a {@link ClientReportError} whose
   * message lists them (rule, task, time, request id, detail), for a test to fail with.
   * @returns the report, when it is clean
   */
  async assertWellBehaved(filter: ReportFilter = {}): Promise<Report> {
    const report = await this.report(filter)
    if (report.summary.clean < report.summary.tasks) throw new ClientReportError(report)
    return report
  }

  /** Forgets what the client report saw; in a namespace, only the org's tasks. */
  async clearReport(): Promise<void> {
    await this.#call('DELETE', '/report')
  }

  /** The ready-made scenarios (§21) a task spec or a `next` override can name. */
  async scenarios(): Promise<ScenarioView[]> {
    return (await this.#call<{ scenarios: ScenarioView[] }>('GET', '/scenarios')).scenarios
  }

  /** Adds a user who can log in through the auth API (§4); a 409 AdminError when the handle is taken. Global, even in a namespace. */
  async addUser(user: UserSpec): Promise<UserView> {
    return (await this.#call<{ user: UserView }>('POST', '/users', user)).user
  }

  /** Every user, with its live session count (no passwords); global, even in a namespace. */
  async users(): Promise<UserView[]> {
    return (await this.#call<{ users: UserView[] }>('GET', '/users')).users
  }

  /** Removes a user and ends its sessions; global, even in a namespace. */
  async deleteUser(userId: string): Promise<void> {
    await this.#call('DELETE', `/users/${encodeURIComponent(userId)}`)
  }

  /** Every operation that creates tasks, with its settings and `next` queue (§13); in a namespace, as the org sees them (§15). */
  async operations(): Promise<OperationView[]> {
    return (await this.#call<{ operations: OperationView[] }>('GET', '/operations')).operations
  }

  /** One operation (in a namespace, as the org sees it); a 404 AdminError for an unknown name. */
  async getOperation(name: string): Promise<OperationView> {
    return (await this.#call<{ operation: OperationView }>('GET', `/operations/${encodeURIComponent(name)}`)).operation
  }

  /**
   * Changes the timeline and/or outcome of the tasks an operation creates from now on. In a
   * namespace these are the org's own settings, used only by its submits (§15).
   */
  async configureOperation(name: string, settings: Partial<OperationSettings>): Promise<OperationView> {
    return (await this.#call<{ operation: OperationView }>('PUT', `/operations/${encodeURIComponent(name)}`, settings)).operation
  }

  /**
   * Queues a one-shot override for the operation's next call; give `id` to know the task id
   * before the client under test submits (a 409 AdminError when it is taken). In a namespace
   * only the org's submits take it (§15).
   * @example await admin.nextTask('einvoice-bulk-generation', { outcome: 'failed' })
   */
  async nextTask(name: string, override: NextOverride = {}): Promise<NextOverride> {
    return (await this.#call<{ next: NextOverride }>('POST', `/operations/${encodeURIComponent(name)}/next`, override)).next
  }

  /** Registers a custom producer route for an upstream operation that is not built in (global, even in a namespace). */
  async addOperation(spec: CustomOperationSpec): Promise<OperationView> {
    return (await this.#call<{ operation: OperationView }>('POST', '/operations', spec)).operation
  }

  /** Removes a custom operation (a 409 AdminError for a built-in one); global, even in a namespace. */
  async deleteOperation(name: string): Promise<void> {
    await this.#call('DELETE', `/operations/${encodeURIComponent(name)}`)
  }

  /**
   * Back to the start-up state: fixtures re-seeded, clock in system mode, journal, faults and
   * issued IRNs cleared, operations at their defaults. In a namespace only the org is reset (§15):
   * its tasks (its seeded ones re-created), clock, faults, journal entries, operation settings
   * and issued IRNs; other orgs are untouched.
   */
  async reset(): Promise<void> {
    await this.#call('POST', '/reset')
  }

  async #call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (this.#token !== undefined) headers.authorization = `Bearer ${this.#token}`
    if (this.orgId !== undefined) headers['x-flynn-n-org-id'] = this.orgId
    const res = await fetch(`${this.#base}/__admin${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const text = await res.text()
    const parsed = text === '' ? null : (JSON.parse(text) as unknown)
    if (!res.ok) throw new AdminError(res.status, parsed as ErrorBody | null, method, path)
    return parsed as T
  }
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value))
  // `?` alone is an empty query.
  return `?${search.toString()}`
}

/** Options of {@link startMockServer}. */
export interface MockServerOptions {
  /** Settings over the defaults of §17 (`port` 0 and `host` 127.0.0.1 unless given). */
  settings?: Partial<Settings>
  /** `manual` (default: frozen at the current time until moved) or `system`. */
  clock?: ClockMode
  /** The logger (default: none). */
  logger?: AppOptions['logger']
}

/** A running mock server. */
export interface MockServer {
  /** Its base URL, e.g. `http://127.0.0.1:41234`. */
  url: string
  port: number
  /** A control-API client for this server, acting globally; `admin.forOrg(orgId)` gives one scoped to an org's namespace (§15). */
  admin: AdminClient
  /** The Fastify instance (for `inject`, or to reach `app.mock`). */
  app: FastifyInstance
  /** Stops the server. */
  close(): Promise<void>
}

/**
 * Starts a mock server for a test: port 0, a manual clock and no logs unless told otherwise.
 * @throws {FixtureError} when the fixtures are invalid; listen errors as Node gives them
 */
export async function startMockServer(options: MockServerOptions = {}): Promise<MockServer> {
  const settings: Partial<Settings> = { port: 0, host: '127.0.0.1', ...options.settings }
  const app = await buildApp({
    settings,
    clock: new ControlledClock({ mode: options.clock ?? 'manual' }),
    logger: options.logger ?? false
  })
  await app.listen({ port: settings.port, host: settings.host, listenTextResolver: listeningText })
  const { port } = app.server.address() as { port: number }
  const host = settings.host?.includes(':') ? `[${settings.host}]` : settings.host
  const url = `http://${host}:${port}`
  return { url, port, app, admin: new AdminClient(url, { token: settings.adminToken }), close: () => app.close() }
}

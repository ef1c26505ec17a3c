/**
 * Injected faults (docs/behaviour.md §10 `/__admin/faults`): a delay, a forced error status,
 * or a dropped connection, scoped to a task route (and optionally a task) or to an operation that
 * creates tasks (§13, by its name), used up after `times` requests, or hitting every `every`th
 * matching request. Faults apply after routing and before auth. A scenario's faults (§21) are
 * bound to their task: they go when it goes.
 */
import { randomUUID } from 'node:crypto'
import { MockError, type ErrorCode } from './errors.js'
import { InvalidSpecError, UUID_PATTERN, validator } from './validation.js'

/**
 * The routes a fault can be scoped to: a task route, `*` (any of the four task routes, never a
 * producer route), or the name of an operation that creates tasks (§13).
 */
export type FaultRoute = 'status' | 'download' | 'result' | 'page' | '*' | (string & {})

const TASK_ROUTES = new Set(['status', 'download', 'result', 'page', '*'])

/** The statuses a `respond` fault can force, with the error code each answers. */
export const FAULT_RESPONSES: Record<429 | 500 | 502 | 503, ErrorCode> = {
  429: 'err-too-many-requests',
  500: 'err-internal-server-error',
  502: 'err-bad-gateway',
  503: 'err-service-unavailable'
}

/** A fault as stored and shown: the spec with its defaults and an id. */
export interface Fault {
  id: string
  route: FaultRoute
  /** Lower-case task id, or absent for every task. */
  taskId?: string
  /** The org whose requests it matches (added in that org's namespace, §15), or absent for every request. */
  orgId?: string
  /**
   * Uses left; absent for an `every` fault given no `times`, which hits until it is removed (or
   * its task goes, for a scenario's fault).
   */
  times?: number
  /** Hits every `every`th matching request (the `every`th, the 2 × `every`th, ...) instead of the next ones. */
  every?: number
  /** Matching requests seen so far (an `every` fault's count). */
  matched?: number
  /** The scenario (§21) whose task this fault is bound to: it goes when the task goes. */
  scenario?: string
  /** Real-time delay before anything else, in ms. */
  delayMs?: number
  /** Answer this error status instead (with `Retry-After: retryAfter` seconds when given). */
  respond?: { status: 429 | 500 | 502 | 503; retryAfter?: number }
  /** Cut the connection before any answer, or after the first bytes of a zip. */
  drop?: 'before-response' | 'mid-download'
}

/** The JSON Schema of `POST /__admin/faults`. */
export const faultSpecSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['route'],
  properties: {
    route: { type: 'string', minLength: 1, maxLength: 100 },
    taskId: { type: 'string', pattern: UUID_PATTERN },
    times: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    every: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    delayMs: { type: 'integer', minimum: 0, maximum: 300_000 },
    respond: {
      type: 'object',
      additionalProperties: false,
      required: ['status'],
      properties: {
        status: { enum: [429, 500, 502, 503] },
        retryAfter: { type: 'integer', minimum: 0, maximum: 86_400 }
      }
    },
    drop: { enum: ['before-response', 'mid-download'] }
  }
} as const

/** A fault as `POST /__admin/faults` takes it (and as a scenario lists its own, without `taskId`). */
export type FaultSpec = Omit<Fault, 'id' | 'orgId' | 'matched' | 'scenario'>

const validateFault = validator<FaultSpec>(faultSpecSchema)

/** Thrown by {@link FaultStore.add} when `MAX_FAULTS` faults are held (§10): `507 err-store-full`. */
export class FaultLimitError extends MockError {
  constructor(readonly maxFaults: number) {
    super('ERR_STORE_FULL', `${maxFaults} faults are held (MAX_FAULTS)`)
  }
}

/** The faults in force, in the order they were added. */
export class FaultStore {
  readonly #faults: Fault[] = []

  /** @param maxFaults most faults held at once, of all orgs together (`MAX_FAULTS`) */
  constructor(readonly maxFaults = Infinity) {}

  /**
   * Validates a fault spec and adds it.
   * @param isOperation whether a name is an operation that creates tasks (a valid `route`)
   * @throws {InvalidSpecError} for a bad spec, an unknown route, `respond` with `drop`, a fault
   *   that does nothing, `mid-download` scoped to a route that sends no zip, or `taskId` with an
   *   operation (its task does not exist yet)
   * @throws {FaultLimitError} for a valid fault when `maxFaults` are held
   * @param scenario binds the fault to its task (`taskId`): a scenario's fault (§21)
   */
  add(body: unknown, isOperation: (name: string) => boolean = () => false, orgId?: string | null, scenario?: string): Fault {
    const spec = validateFault(body)
    const details = []
    const taskRoute = TASK_ROUTES.has(spec.route)
    if (!taskRoute && !isOperation(spec.route)) {
      details.push({ path: '/route', message: 'must be status, download, result, page, * or the name of an operation' })
    }
    if (!taskRoute && spec.taskId !== undefined) details.push({ path: '/taskId', message: 'must not be given for an operation' })
    if (spec.respond && spec.drop) details.push({ path: '/drop', message: 'must not be given with respond' })
    if (!spec.respond && !spec.drop && spec.delayMs === undefined) {
      details.push({ path: '', message: 'must have delayMs, respond or drop' })
    }
    if (spec.drop === 'mid-download' && spec.route !== 'download' && spec.route !== '*') {
      details.push({ path: '/drop', message: 'mid-download applies to the download route only' })
    }
    if (details.length > 0) throw new InvalidSpecError(details)
    if (this.#faults.length >= this.maxFaults) throw new FaultLimitError(this.maxFaults)
    // An `every` fault hits until removed unless given `times`; any other is used up after 1 by default.
    const times = spec.times ?? (spec.every === undefined ? 1 : undefined)
    const fault: Fault = {
      id: randomUUID(),
      ...spec,
      ...(orgId ? { orgId } : {}),
      ...(times === undefined ? {} : { times }),
      ...(spec.every === undefined ? {} : { matched: 0 }),
      ...(scenario ? { scenario } : {})
    }
    if (fault.taskId) fault.taskId = fault.taskId.toLowerCase()
    this.#faults.push(fault)
    return fault
  }

  /** Every fault in force, or an org's (§15). */
  list(orgId?: string | null): Fault[] {
    return this.#faults.filter((f) => !orgId || f.orgId === orgId).map((f) => ({ ...f }))
  }

  /** The faults as plain JSON (a shared store keeps them, §16). */
  snapshot(): Fault[] {
    return this.list()
  }

  /** Replaces the faults with a {@link snapshot}. */
  restore(faults: readonly Fault[]): void {
    this.#faults.length = 0
    for (const fault of faults) this.#faults.push({ ...fault })
  }

  /** Whether {@link take} would find a fault for this request, or count one (changes nothing). */
  matches(route: string, taskId: string | undefined, orgId: string | undefined): boolean {
    // The common case: no fault at all, nothing to lower-case or scan.
    return this.#faults.length !== 0 && this.#faults.some((f) => applies(f, route, taskId, orgId))
  }

  /** Whether a fault bound to a task (a scenario's) matches this request (see {@link take}'s `liveTask`). */
  matchesBound(route: string, taskId: string | undefined, orgId: string | undefined): boolean {
    return this.#faults.some((f) => f.scenario !== undefined && applies(f, route, taskId, orgId))
  }

  /** Whether any fault is bound to one of these (lower-case) task ids. */
  bound(taskIds: readonly string[]): boolean {
    return this.#faults.some((f) => f.scenario !== undefined && taskIds.includes(f.taskId as string))
  }

  /** Removes the faults bound to these (lower-case) task ids: their tasks are gone (§21). */
  unbind(taskIds: readonly string[]): void {
    this.restore(this.#faults.filter((f) => f.scenario === undefined || !taskIds.includes(f.taskId as string)))
  }

  /** Removes every fault, or an org's (§15). */
  clear(orgId?: string | null): void {
    if (!orgId) this.#faults.length = 0
    else this.restore(this.#faults.filter((f) => f.orgId !== orgId))
  }

  /**
   * Takes one use of the first fault that hits this request, removing it when used up. Every
   * matching `every` fault counts the request, and hits it when its count is a multiple of
   * `every`. A `mid-download` fault applies to downloads only; `*` to the task routes only.
   * @param route the task route or operation the request matched
   * @param taskId the task id as received (task routes only)
   * @param orgId the request's `X-FLYNN-N-ORG-ID` as received (a fault of an org matches only its requests, §15)
   * @param liveTask whether the task the id names is held: a fault bound to a task that is gone
   *   (expired, not yet swept) neither counts nor hits
   */
  take(route: string, taskId: string | undefined, orgId: string | undefined, liveTask = true): Fault | undefined {
    let taken: Fault | undefined
    for (const fault of this.#faults) {
      if (!applies(fault, route, taskId, orgId) || (fault.scenario !== undefined && !liveTask)) continue
      let hits = true
      if (fault.every !== undefined) {
        fault.matched = (fault.matched as number) + 1
        hits = fault.matched % fault.every === 0
      }
      if (!hits || taken) continue
      if (fault.times !== undefined) fault.times -= 1
      taken = { ...fault }
    }
    if (taken?.times === 0) this.restore(this.#faults.filter((f) => f.id !== taken.id))
    return taken
  }
}

/** Whether a fault matches a request (see {@link FaultStore.take}). */
function applies(fault: Fault, route: string, taskId: string | undefined, orgId: string | undefined): boolean {
  const id = taskId?.toLowerCase()
  const taskRoute = id !== undefined
  return (
    (fault.route === route || (fault.route === '*' && taskRoute)) &&
    (fault.taskId === undefined || fault.taskId === id) &&
    (fault.orgId === undefined || fault.orgId === orgId) &&
    (fault.drop !== 'mid-download' || route === 'download')
  )
}

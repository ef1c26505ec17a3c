/**
 * Injected faults (docs/behaviour.md §10 `/__admin/faults`): a delay, a forced error status,
 * or a dropped connection, scoped to a task route (and optionally a task) or to an operation that
 * creates tasks (§13, by its name), used up after `times` requests. Faults apply after routing
 * and before auth.
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
  /** Uses left. */
  times: number
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

const validateFault = validator<Omit<Fault, 'id' | 'times'> & { times?: number }>(faultSpecSchema)

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
   */
  add(body: unknown, isOperation: (name: string) => boolean = () => false, orgId?: string | null): Fault {
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
    const fault: Fault = { id: randomUUID(), ...spec, ...(orgId ? { orgId } : {}), times: spec.times ?? 1 }
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

  /** Whether {@link take} would find a fault for this request (changes nothing). */
  matches(route: string, taskId: string | undefined, orgId: string | undefined): boolean {
    // The common case: no fault at all, nothing to lower-case or scan.
    return this.#faults.length !== 0 && this.#find(route, taskId, orgId) !== -1
  }

  /** Removes every fault, or an org's (§15). */
  clear(orgId?: string | null): void {
    if (!orgId) this.#faults.length = 0
    else this.restore(this.#faults.filter((f) => f.orgId !== orgId))
  }

  /**
   * Takes one use of the first fault that applies to this request, removing it when used up.
   * A `mid-download` fault applies to downloads only; `*` to the task routes only.
   * @param route the task route or operation the request matched
   * @param taskId the task id as received (task routes only)
   * @param orgId the request's `X-FLYNN-N-ORG-ID` as received (a fault of an org matches only its requests, §15)
   */
  take(route: string, taskId: string | undefined, orgId: string | undefined): Fault | undefined {
    const index = this.#find(route, taskId, orgId)
    if (index === -1) return undefined
    const fault = this.#faults[index] as Fault
    fault.times -= 1
    if (fault.times === 0) this.#faults.splice(index, 1)
    return { ...fault }
  }

  #find(route: string, taskId: string | undefined, orgId: string | undefined): number {
    const id = taskId?.toLowerCase()
    const taskRoute = id !== undefined
    return this.#faults.findIndex(
      (f) =>
        (f.route === route || (f.route === '*' && taskRoute)) &&
        (f.taskId === undefined || f.taskId === id) &&
        (f.orgId === undefined || f.orgId === orgId) &&
        (f.drop !== 'mid-download' || route === 'download')
    )
  }
}

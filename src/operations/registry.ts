/**
 * The operations registry (docs/behaviour.md §13): every operation that creates tasks,
 * built-in and custom, with the settings tests steer (default timeline and outcome, the one-shot
 * `next` queue) and the custom producer routes. The producer routes, the control API and the
 * fixtures all go through it, so built-in and custom operations take the same path.
 */
import { randomUUID } from 'node:crypto'
import { MockError } from '../errors.js'
import { taskFromSpec, taskSpecSchema, timelineOrder, DEFAULT_TIMELINE, type TaskSpec } from '../task-spec.js'
import { InvalidSpecError, validator } from '../validation.js'
import { TaskExistsError } from '../task-store.js'
import type { Outcome, Phase } from '../task.js'
import { MAX_ITEMS, type Derived, type Envelope, type Operation, type OperationRequest, type ProducerMethod } from './operation.js'

/** What an operation's tasks get unless a `next` override says otherwise. */
export interface OperationSettings {
  timeline: Phase[]
  outcome: Outcome
}

/** A one-shot override queued for the next task an operation creates (§13 `next`). */
export interface NextOverride {
  /** The id the task will have (lower case), reserved at once. */
  id?: string
  timeline?: Phase[]
  outcome?: Outcome
  /** A ready-made scenario (§21) for the next task: its timeline, outcome, TTL and bound faults. */
  scenario?: string
}

/** A custom operation as `POST /__admin/operations` and `fixtures/operations/*.json` give it. */
export interface CustomOperationSpec {
  name: string
  method: ProducerMethod
  /** `/enriched/...`; a segment `{name}` matches any one segment. */
  path: string
  envelope: Envelope
  /** The task each call creates: a task spec without `id`, `orgId`, `createdAt` or `kind`. */
  task: TaskSpec
  description?: string
}

/** An {@link OperationRegistry}'s state as plain JSON: custom operations, settings and `next` queues by name. */
export interface OperationsState {
  custom: CustomOperationSpec[]
  settings: Array<[string, OperationSettings]>
  queues: Array<[string, NextOverride[]]>
  /** Each org's own settings and queues (§15), by org id. */
  orgs?: Array<[string, { settings: Array<[string, OperationSettings]>; queues: Array<[string, NextOverride[]]> }]>
}

/** An org's own operation settings and `next` queues (§15), by operation name. */
interface OrgOperations {
  settings: Map<string, OperationSettings>
  queues: Map<string, NextOverride[]>
}

/** An operation as the control API shows it. */
export interface OperationView {
  name: string
  builtIn: boolean
  method: ProducerMethod
  /** Path templates (`{param}`), with the values each listed parameter allows. */
  routes: Array<{ path: string; params: Record<string, readonly string[]> }>
  description: string
  timeline: Phase[]
  outcome: Outcome
  /** Overrides queued for the next calls, first in first out. */
  next: NextOverride[]
}

/** Thrown when a name or route is taken (§13 `409`). */
export class OperationExistsError extends MockError {
  constructor(readonly what: string) {
    super('ERR_OPERATION_EXISTS', `${what} is taken`)
  }
}

/** Thrown when asked to remove a built-in operation (§13 `409`). */
export class BuiltInOperationError extends MockError {
  constructor(readonly operation: string) {
    super('ERR_OPERATION_BUILT_IN', `${operation} is built in`)
  }
}

const timelineSchema = taskSpecSchema.properties.timeline
const outcomeSchema = taskSpecSchema.properties.outcome
const NAME_PATTERN = '^[a-z0-9][a-z0-9-]{0,99}$'
/** `/enriched/` then segments of URL-safe characters or `{param}`. */
const PATH_PATTERN = '^/enriched(/((?!\\.\\.?(/|$))[A-Za-z0-9._~-]+|\\{[A-Za-z][A-Za-z0-9_]{0,49}\\})){1,20}$'

const validateSettings = validator<Partial<OperationSettings>>({
  type: 'object',
  additionalProperties: false,
  properties: { timeline: timelineSchema, outcome: outcomeSchema }
})
const validateNext = validator<NextOverride>({
  type: 'object',
  additionalProperties: false,
  properties: { id: taskSpecSchema.properties.id, timeline: timelineSchema, outcome: outcomeSchema, scenario: taskSpecSchema.properties.scenario }
})
const validateCustom = validator<CustomOperationSpec>({
  type: 'object',
  additionalProperties: false,
  required: ['name', 'method', 'path', 'envelope', 'task'],
  properties: {
    name: { type: 'string', pattern: NAME_PATTERN },
    method: { enum: ['POST', 'GET', 'PUT'] },
    path: { type: 'string', maxLength: 1000, pattern: PATH_PATTERN },
    envelope: { enum: ['v1', 'v3'] },
    task: { type: 'object' },
    description: { type: 'string', maxLength: 500 }
  }
})

/** Checks the timeline order rule, with paths under `prefix`. */
function checkTimeline(timeline: Phase[] | undefined, prefix = ''): void {
  const details = timeline ? timelineOrder(timeline).map((d) => ({ ...d, path: prefix + d.path })) : []
  if (details.length > 0) throw new InvalidSpecError(details)
}

/** A route of a custom operation: its segments, `null` where a parameter goes. */
interface CustomRoute {
  operation: Operation
  segments: Array<string | { param: string }>
}

/** The task routes' names, which faults use: no operation may take them. */
const RESERVED_NAMES = new Set(['status', 'download', 'result', 'page'])

/** The segments of a path template, `:p` (Fastify) and `{p}` (custom) both read as parameters. */
function templateSegments(path: string): Array<string | { param: string }> {
  return path
    .split('/')
    .slice(1)
    .map((segment) => {
      const param = /^(?::(.+)|\{(.+)\})$/.exec(segment)
      return param ? { param: (param[1] ?? param[2]) as string } : segment
    })
}

/** Whether two path templates can match the same path. */
function overlaps(a: Array<string | { param: string }>, b: Array<string | { param: string }>): boolean {
  return a.length === b.length && a.every((segment, i) => typeof segment !== 'string' || typeof b[i] !== 'string' || segment === b[i])
}

const toTemplate = (url: string): string => url.replace(/:([A-Za-z]\w*)/g, '{$1}')

/**
 * Builds the {@link Operation} of a custom spec and the settings its task spec gives (validated:
 * the task spec is built once here).
 */
export function customOperation(spec: CustomOperationSpec): { operation: Operation<{ jobs: number }>; defaults: OperationSettings } {
  const { task } = spec
  // Each call makes a new task of the caller's org, at the clock's now, of the operation's kind (§13).
  for (const field of ['id', 'orgId', 'createdAt', 'kind'] as const) {
    if (field in task) throw new InvalidSpecError([{ path: `/task/${field}`, message: 'must not be given: each call makes a new task of the caller, now, of the operation\'s kind' }])
  }
  for (const field of ['scenario', 'ttl'] as const) {
    if (field in task) throw new InvalidSpecError([{ path: `/task/${field}`, message: 'must not be given for a custom operation (a next override can name a scenario)' }])
  }
  let template
  try {
    template = taskFromSpec(task, { orgId: 'template', now: 0, newId: randomUUID })
  } catch (error) {
    const details = (error as InvalidSpecError).details.map((d) => ({ ...d, path: `/task${d.path}` }))
    throw new InvalidSpecError(details)
  }
  const { pages, files } = template
  // For a paged template, `result` is ignored: the Result API answers the page count.
  const result = template.result
  const operation: Operation<{ jobs: number }> = {
    name: spec.name,
    method: spec.method,
    routes: [{ url: spec.path, params: {}, envelope: () => spec.envelope }],
    description: spec.description ?? `Custom operation: ${spec.method} ${spec.path}`,
    check: (request: OperationRequest) => {
      // jobs counts the body's payload array, or the body when it is an array (§13).
      const body = request.body as { payload?: unknown } | undefined
      const items = Array.isArray(body) ? body : Array.isArray(body?.payload) ? body.payload : undefined
      if (items === undefined) return { jobs: template.jobs }
      const path = Array.isArray(body) ? '' : '/payload'
      if (items.length === 0 || items.length > MAX_ITEMS) throw new InvalidSpecError([{ path, message: `must have 1 to ${MAX_ITEMS} items` }])
      return { jobs: items.length }
    },
    derive: ({ jobs }): Derived => ({ jobs, result, ...(pages ? { pages } : {}), files: [...files] })
  }
  return { operation, defaults: { timeline: [...template.timeline], outcome: template.outcome } }
}

/** Every operation, its settings and its queue. */
export class OperationRegistry {
  readonly #builtIn: readonly Operation[]
  readonly #fixtureSpecs: readonly CustomOperationSpec[]
  readonly #operations = new Map<string, { operation: Operation; builtIn: boolean }>()
  readonly #settings = new Map<string, OperationSettings>()
  readonly #queues = new Map<string, NextOverride[]>()
  /** Orgs' own settings and queues (§15): an org without its own uses the global ones. */
  readonly #orgs = new Map<string, OrgOperations>()
  /** The specs of the custom operations, by name, in the order added. */
  readonly #customSpecs = new Map<string, CustomOperationSpec>()
  #customRoutes: CustomRoute[] = []
  /** Patterns of the built-in producer routes, which no custom route may overlap. */
  readonly #fixedRoutes: Array<Array<string | { param: string }>>

  /**
   * @param builtIn the built-in operations (their routes are registered by the app)
   * @param fixtureSpecs custom operations from `fixtures/operations/*.json` (kept across resets)
   * @throws {InvalidSpecError} or {@link OperationExistsError} for a bad fixture operation
   */
  constructor(builtIn: readonly Operation[], fixtureSpecs: readonly CustomOperationSpec[] = []) {
    this.#builtIn = builtIn
    this.#fixtureSpecs = fixtureSpecs
    this.#fixedRoutes = builtIn.flatMap((operation) => operation.routes.map((route) => templateSegments(route.url)))
    this.reset()
  }

  /** The built-in operations, whose routes the app registers itself. */
  get builtIn(): readonly Operation[] {
    return this.#builtIn
  }

  /** The operation with this name, or undefined. */
  get(name: string): Operation | undefined {
    return this.#operations.get(name)?.operation
  }

  /** The operation's current settings, for an org (§15: its own, if it set them) or globally. */
  settings(name: string, orgId?: string | null): OperationSettings {
    return (orgId && this.#orgs.get(orgId)?.settings.get(name)) || (this.#settings.get(name) as OperationSettings)
  }

  /** The org's own settings and queues, made when it has none. */
  #org(orgId: string): OrgOperations {
    let org = this.#orgs.get(orgId)
    if (!org) {
      org = { settings: new Map(), queues: new Map() }
      this.#orgs.set(orgId, org)
    }
    return org
  }

  /** The queue of `next` overrides in a scope (an org's, or the global one). */
  #queue(name: string, orgId: string | null | undefined): NextOverride[] | undefined {
    return orgId ? this.#orgs.get(orgId)?.queues.get(name) : this.#queues.get(name)
  }

  /** Forgets an org's own settings and queues (§15 reset of one org). */
  resetOrg(orgId: string): void {
    this.#orgs.delete(orgId)
  }

  /** Every operation as the control API shows it (built-in first, then custom in order added), globally or for an org. */
  list(orgId?: string | null): OperationView[] {
    return [...this.#operations.keys()].map((name) => this.view(name, orgId) as OperationView)
  }

  /** One operation's view, globally or as an org sees it (its settings and its own queue), or undefined for an unknown name. */
  view(name: string, orgId?: string | null): OperationView | undefined {
    const entry = this.#operations.get(name)
    if (!entry) return undefined
    const { operation, builtIn } = entry
    return {
      name,
      builtIn,
      method: operation.method,
      routes: operation.routes.map((route) => ({ path: toTemplate(route.url), params: route.params })),
      description: operation.description,
      ...structuredClone(this.settings(name, orgId)),
      next: structuredClone(this.#queue(name, orgId) ?? [])
    }
  }

  /**
   * Changes the defaults of the tasks an operation creates from now on (§13 `PUT`).
   * @returns undefined for an unknown name
   * @throws {InvalidSpecError} for a bad body
   */
  configure(name: string, body: unknown, orgId?: string | null): OperationView | undefined {
    if (!this.#operations.has(name)) return undefined
    const change = validateSettings(body)
    checkTimeline(change.timeline)
    const settings = { ...this.settings(name, orgId), ...change }
    if (orgId) this.#org(orgId).settings.set(name, settings)
    else this.#settings.set(name, settings)
    return this.view(name, orgId)
  }

  /**
   * Queues a one-shot override for the operation's next call (§13 `next`).
   * @param isTaken whether a live task has this id
   * @returns the override as queued, or undefined for an unknown name
   * @throws {InvalidSpecError} for a bad body; {TaskExistsError} when the id is taken or reserved
   */
  queueNext(name: string, body: unknown, isTaken: (id: string) => boolean, orgId?: string | null): NextOverride | undefined {
    if (!this.#operations.has(name)) return undefined
    const next = validateNext(body)
    checkTimeline(next.timeline)
    // A scenario sets the timeline and the outcome (§21).
    const both = next.scenario === undefined ? [] : (['timeline', 'outcome'] as const).filter((field) => next[field] !== undefined)
    if (both.length > 0) throw new InvalidSpecError(both.map((field) => ({ path: `/${field}`, message: 'must not be given with a scenario, which sets it' })))
    if (next.id !== undefined) {
      next.id = next.id.toLowerCase()
      if (isTaken(next.id) || this.reserved(next.id)) throw new TaskExistsError(next.id)
    }
    const queues = orgId ? this.#org(orgId).queues : this.#queues
    const queue = queues.get(name) ?? []
    queue.push(next)
    queues.set(name, queue)
    return structuredClone(next)
  }

  /**
   * The override an org's next task of the operation takes, without taking it: the org's own
   * queue first (§15: a team's override is consumed only by its org), then the global one.
   */
  peekNext(name: string, orgId: string): NextOverride | undefined {
    return this.#queue(name, orgId)?.[0] ?? this.#queues.get(name)?.[0]
  }

  /**
   * Takes the override {@link peekNext} shows.
   * @returns it with the org whose queue held it (null: the global queue), or undefined when none is queued
   */
  takeNext(name: string, orgId: string): { next: NextOverride; from: string | null } | undefined {
    const own = this.#queue(name, orgId)
    const from = own?.length ? orgId : null
    const next = (from ? own : this.#queues.get(name))?.shift()
    return next && { next, from }
  }

  /** Puts back an override {@link takeNext} took, first in the queue it came from (its task was refused). */
  requeueNext(name: string, taken: { next: NextOverride; from: string | null }): void {
    this.#queue(name, taken.from)?.unshift(taken.next)
  }

  /** Whether a queued override (of any org) reserves this (lower-case) task id. */
  reserved(id: string): boolean {
    const queues = [...this.#queues.values(), ...[...this.#orgs.values()].flatMap((org) => [...org.queues.values()])]
    return queues.some((queue) => queue.some((next) => next.id === id))
  }

  /**
   * Registers a custom operation (§13 `POST /__admin/operations`).
   * @throws {InvalidSpecError} for a bad definition; {@link OperationExistsError} when its name or route is taken
   */
  addCustom(body: unknown): OperationView {
    const spec = validateCustom(body)
    const { operation, defaults } = customOperation(spec)
    if (this.#operations.has(spec.name) || RESERVED_NAMES.has(spec.name)) throw new OperationExistsError(`operation ${spec.name}`)
    const segments = templateSegments(spec.path)
    const taken =
      // The tasks API's own routes live under /enriched/tasks/.
      segments[1] === 'tasks' ||
      this.#fixedRoutes.some((fixed) => overlaps(fixed, segments)) ||
      this.#customRoutes.some((route) => route.operation.method === spec.method && overlaps(route.segments, segments))
    if (taken) throw new OperationExistsError(`route ${spec.method} ${spec.path}`)
    this.#add(operation, false, defaults)
    this.#customRoutes.push({ operation, segments })
    this.#customSpecs.set(spec.name, spec)
    return this.view(spec.name) as OperationView
  }

  /**
   * Removes a custom operation.
   * @returns false for an unknown name
   * @throws {BuiltInOperationError} for a built-in one
   */
  removeCustom(name: string): boolean {
    const entry = this.#operations.get(name)
    if (!entry) return false
    if (entry.builtIn) throw new BuiltInOperationError(name)
    this.#operations.delete(name)
    this.#settings.delete(name)
    this.#queues.delete(name)
    for (const org of this.#orgs.values()) {
      org.settings.delete(name)
      org.queues.delete(name)
    }
    this.#customSpecs.delete(name)
    this.#customRoutes = this.#customRoutes.filter((route) => route.operation !== entry.operation)
    return true
  }

  /**
   * The custom operation serving `method` on `segments` (a path split on `/`, percent-decoded).
   * @returns the operation and its path parameters; `{allow}` when the path is served by other
   *   methods only (for the `405`); undefined when no custom route has this path
   */
  matchCustom(method: string, segments: readonly string[]): { operation: Operation; params: Record<string, string> } | { allow: string } | undefined {
    const methods: string[] = []
    for (const route of this.#customRoutes) {
      const params = matchSegments(route.segments, segments)
      if (!params) continue
      const { operation } = route
      if (operation.method === method || (operation.method === 'GET' && method === 'HEAD')) return { operation, params }
      methods.push(operation.method === 'GET' ? 'GET, HEAD' : operation.method)
    }
    return methods.length > 0 ? { allow: methods.join(', ') } : undefined
  }

  /** The spec a custom operation was added with, or undefined (unknown or built in). */
  customSpec(name: string): CustomOperationSpec | undefined {
    return this.#customSpecs.get(name)
  }

  /** Back to the start-up state: built-in and fixture operations with their defaults, queues empty. */
  reset(): void {
    this.#clear()
    for (const spec of this.#fixtureSpecs) this.addCustom(spec)
  }

  /** Settings, queues and custom operations as plain JSON (a shared store keeps them, §16). */
  snapshot(): OperationsState {
    return {
      custom: [...this.#customSpecs.values()].map((spec) => structuredClone(spec)),
      settings: [...this.#settings].map(([name, settings]) => [name, structuredClone(settings)]),
      queues: [...this.#queues].map(([name, queue]) => [name, structuredClone(queue)]),
      ...(this.#orgs.size > 0
        ? { orgs: [...this.#orgs].map(([orgId, org]) => [orgId, { settings: structuredClone([...org.settings]), queues: structuredClone([...org.queues]) }]) }
        : {})
    }
  }

  /**
   * Replaces the settings, queues and custom operations with a {@link snapshot}.
   * @throws {InvalidSpecError} or {@link OperationExistsError} when the snapshot's custom operations are invalid
   */
  restore(state: OperationsState): void {
    this.#clear()
    for (const spec of state.custom) this.addCustom(spec)
    for (const [name, settings] of state.settings) if (this.#operations.has(name)) this.#settings.set(name, structuredClone(settings))
    for (const [name, queue] of state.queues) if (this.#operations.has(name)) this.#queues.set(name, structuredClone(queue))
    for (const [orgId, org] of state.orgs ?? []) {
      const own = this.#org(orgId)
      for (const [name, settings] of org.settings) own.settings.set(name, structuredClone(settings))
      for (const [name, queue] of org.queues) own.queues.set(name, structuredClone(queue))
    }
  }

  /** Only the built-in operations, with their defaults. */
  #clear(): void {
    this.#operations.clear()
    this.#settings.clear()
    this.#queues.clear()
    this.#orgs.clear()
    this.#customSpecs.clear()
    this.#customRoutes = []
    for (const operation of this.#builtIn) this.#add(operation, true, { timeline: [...DEFAULT_TIMELINE], outcome: 'completed' })
  }

  #add(operation: Operation, builtIn: boolean, defaults: OperationSettings): void {
    this.#operations.set(operation.name, { operation, builtIn })
    this.#settings.set(operation.name, structuredClone(defaults))
  }
}

/** Path parameters when `segments` matches the template, else undefined. */
function matchSegments(template: ReadonlyArray<string | { param: string }>, segments: readonly string[]): Record<string, string> | undefined {
  if (template.length !== segments.length) return undefined
  const params: Record<string, string> = {}
  for (let i = 0; i < template.length; i++) {
    const part = template[i] as string | { param: string }
    const segment = segments[i] as string
    if (typeof part === 'string') {
      if (part !== segment) return undefined
    } else {
      if (segment === '') return undefined
      params[part.param] = segment
    }
  }
  return params
}

/**
 * The operations registry (reference-behaviour.md §10): every operation that creates tasks,
 * built-in and custom, with the settings tests steer (default timeline and outcome, the one-shot
 * `next` queue) and the custom producer routes. The producer routes, the control API and the
 * fixtures all go through it, so built-in and custom operations take the same path.
 */
import { randomUUID } from 'node:crypto'
import { InvalidSpecError, isUuid, taskFromSpec, taskSpecSchema, timelineOrder, validator, DEFAULT_TIMELINE, type TaskSpec } from '../task-spec.js'
import { TaskExistsError } from '../task-store.js'
import type { Outcome, Phase } from '../task.js'
import { MAX_ITEMS, type Derived, type Envelope, type Operation, type OperationRequest, type ProducerMethod } from './operation.js'

/** What an operation's tasks get unless a `next` override says otherwise. */
export interface OperationSettings {
  timeline: Phase[]
  outcome: Outcome
}

/** A one-shot override queued for the next task an operation creates (§10 `next`). */
export interface NextOverride {
  /** The id the task will have (lower case), reserved at once. */
  id?: string
  timeline?: Phase[]
  outcome?: Outcome
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

/** Thrown when a name or route is taken (§10 `409`). */
export class OperationExistsError extends Error {
  readonly code = 'ERR_OPERATION_EXISTS'
  constructor(readonly what: string) {
    super(`${what} is taken`)
  }
}

/** Thrown when asked to remove a built-in operation (§10 `409`). */
export class BuiltInOperationError extends Error {
  readonly code = 'ERR_OPERATION_BUILT_IN'
  constructor(readonly operation: string) {
    super(`${operation} is built in`)
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
  properties: { id: taskSpecSchema.properties.id, timeline: timelineSchema, outcome: outcomeSchema }
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
  // Each call makes a new task of the caller's org, at the clock's now, of the operation's kind (§10).
  for (const field of ['id', 'orgId', 'createdAt', 'kind'] as const) {
    if (field in task) throw new InvalidSpecError([{ path: `/task/${field}`, message: 'must not be given: each call makes a new task of the caller, now, of the operation\'s kind' }])
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
      // jobs counts the body's payload array, or the body when it is an array (§10).
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

  /** The operation's current settings. @throws never for a known name */
  settings(name: string): OperationSettings {
    return this.#settings.get(name) as OperationSettings
  }

  /** Every operation as the control API shows it (built-in first, then custom in order added). */
  list(): OperationView[] {
    return [...this.#operations.keys()].map((name) => this.view(name) as OperationView)
  }

  /** One operation's view, or undefined for an unknown name. */
  view(name: string): OperationView | undefined {
    const entry = this.#operations.get(name)
    if (!entry) return undefined
    const { operation, builtIn } = entry
    return {
      name,
      builtIn,
      method: operation.method,
      routes: operation.routes.map((route) => ({ path: toTemplate(route.url), params: route.params })),
      description: operation.description,
      ...structuredClone(this.settings(name)),
      next: structuredClone(this.#queues.get(name) ?? [])
    }
  }

  /**
   * Changes the defaults of the tasks an operation creates from now on (§10 `PUT`).
   * @returns undefined for an unknown name
   * @throws {InvalidSpecError} for a bad body
   */
  configure(name: string, body: unknown): OperationView | undefined {
    if (!this.#operations.has(name)) return undefined
    const change = validateSettings(body)
    checkTimeline(change.timeline)
    this.#settings.set(name, { ...this.settings(name), ...change })
    return this.view(name)
  }

  /**
   * Queues a one-shot override for the operation's next call (§10 `next`).
   * @param isTaken whether a live task has this id
   * @returns the override as queued, or undefined for an unknown name
   * @throws {InvalidSpecError} for a bad body; {TaskExistsError} when the id is taken or reserved
   */
  queueNext(name: string, body: unknown, isTaken: (id: string) => boolean): NextOverride | undefined {
    if (!this.#operations.has(name)) return undefined
    const next = validateNext(body)
    checkTimeline(next.timeline)
    if (next.id !== undefined) {
      next.id = next.id.toLowerCase()
      if (isTaken(next.id) || this.reserved(next.id)) throw new TaskExistsError(next.id)
    }
    const queue = this.#queues.get(name) ?? []
    queue.push(next)
    this.#queues.set(name, queue)
    return structuredClone(next)
  }

  /** The override the operation's next task takes, without taking it. */
  peekNext(name: string): NextOverride | undefined {
    return this.#queues.get(name)?.[0]
  }

  /** Takes the override the operation's next task takes (undefined when none is queued). */
  takeNext(name: string): NextOverride | undefined {
    return this.#queues.get(name)?.shift()
  }

  /** Puts back an override {@link takeNext} took, first in the queue (its task was refused). */
  requeueNext(name: string, next: NextOverride): void {
    this.#queues.get(name)?.unshift(next)
  }

  /** Whether a queued override reserves this (lower-case) task id. */
  reserved(id: string): boolean {
    for (const queue of this.#queues.values()) if (queue.some((next) => next.id === id)) return true
    return false
  }

  /**
   * Registers a custom operation (§10 `POST /__admin/operations`).
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

  /** Settings, queues and custom operations as plain JSON (a shared store keeps them, §11). */
  snapshot(): OperationsState {
    return {
      custom: [...this.#customSpecs.values()].map((spec) => structuredClone(spec)),
      settings: [...this.#settings].map(([name, settings]) => [name, structuredClone(settings)]),
      queues: [...this.#queues].map(([name, queue]) => [name, structuredClone(queue)])
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
  }

  /** Only the built-in operations, with their defaults. */
  #clear(): void {
    this.#operations.clear()
    this.#settings.clear()
    this.#queues.clear()
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

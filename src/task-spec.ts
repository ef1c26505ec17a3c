/**
 * The JSON spec a task is made from (reference-behaviour.md §7 `POST /__admin/tasks`), used by the
 * control API and by the fixtures alike: its schema, the checks a schema cannot express, and the
 * step from a valid spec to a {@link Task}.
 */
import { Ajv, type ErrorObject } from 'ajv'
import { ISO_8601, MAX_TIME_MS, parseDateTime } from './clock.js'
import { generatedPage } from './synthetic.js'
import { Task, type PageSource, type Phase, type TaskFile } from './task.js'

/** Canonical 8-4-4-4-12 hex UUID, any case (§2 rule 4). */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
const UUID = new RegExp(UUID_PATTERN)

/** True when `value` is a UUID in canonical form (any case). */
export function isUuid(value: string): boolean {
  return UUID.test(value)
}

/** How deep JSON given for a result, a page or a file may nest (deeper is refused with 400). */
export const MAX_JSON_DEPTH = 64

/**
 * Most pages a generated task may have: enough to pass 65,535 zip entries (ZIP64), few enough
 * that archiver's central directory (kept whole until the zip ends, about 5 KiB an entry at its
 * peak) stays within a few hundred MiB.
 */
export const MAX_GENERATED_PAGES = 70_000

/** True when `value` nests arrays and objects deeper than `max` levels (checked without recursion). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]]
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number]
    if (node === null || typeof node !== 'object') continue
    if (depth >= max) return true
    for (const child of Object.values(node)) stack.push([child, depth + 1])
  }
  return false
}

/** The JSON Schema of a task spec (the body of `POST /__admin/tasks`). */
export const taskSpecSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    id: { type: 'string', pattern: UUID_PATTERN },
    orgId: { type: 'string', minLength: 1, maxLength: 200 },
    kind: { type: 'string', minLength: 1, maxLength: 200 },
    jobs: { type: 'integer', minimum: 1, maximum: 1_000_000_000 },
    createdAt: {
      anyOf: [
        { type: 'string', pattern: ISO_8601 },
        { type: 'integer', minimum: 0, maximum: MAX_TIME_MS }
      ]
    },
    timeline: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['status'],
        properties: {
          status: { enum: ['queued', 'processing'] },
          ms: { type: 'integer', minimum: 1, maximum: 8.64e15 },
          polls: { type: 'integer', minimum: 1, maximum: 1_000_000_000 }
        },
        not: { required: ['ms', 'polls'] }
      }
    },
    outcome: { enum: ['completed', 'failed'] },
    result: {},
    pages: { type: 'array', minItems: 1 },
    generate: {
      type: 'object',
      additionalProperties: false,
      required: ['pages'],
      properties: {
        pages: { type: 'integer', minimum: 1, maximum: MAX_GENERATED_PAGES },
        itemsPerPage: { type: 'integer', minimum: 1, maximum: 1000 },
        seed: { type: 'integer', minimum: 0, maximum: 4294967295 }
      }
    },
    files: {
      type: 'array',
      maxItems: 10_000,
      items: {
        type: 'object',
        required: ['name'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 1000 },
          json: {},
          text: { type: 'string' },
          base64: { type: 'string', pattern: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$' }
        },
        oneOf: [{ required: ['json'] }, { required: ['text'] }, { required: ['base64'] }]
      }
    }
  }
} as const

/** A task spec as sent (all fields optional, §7). */
export interface TaskSpec {
  id?: string
  orgId?: string
  kind?: string
  jobs?: number
  createdAt?: string | number
  timeline?: Phase[]
  outcome?: 'completed' | 'failed'
  result?: unknown
  pages?: unknown[]
  generate?: { pages: number; itemsPerPage?: number; seed?: number }
  files?: Array<{ name: string; json?: unknown; text?: string; base64?: string }>
}

/** One reason a body is invalid: a JSON pointer into the body and what is wrong there. */
export interface ValidationDetail {
  path: string
  message: string
}

/** Thrown when a spec or other control-API body is invalid (§7 `400 err-invalid-request`). */
export class InvalidSpecError extends Error {
  readonly code = 'ERR_INVALID_SPEC'
  constructor(readonly details: ValidationDetail[]) {
    super(details.map((d) => `${d.path || '/'} ${d.message}`).join('; '))
  }
}

// strictRequired is off: `not: { required: [...] }` names properties defined beside it, not inside.
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true })

/**
 * Compiles a JSON Schema into a function that returns the body typed as `T`.
 * @throws {InvalidSpecError} listing every violation
 */
export function validator<T>(schema: object): (body: unknown) => T {
  const validate = ajv.compile(schema)
  return (body) => {
    if (validate(body)) return body as T
    // A failed oneOf/anyOf reports each branch's errors too; its own error says it all.
    const errors = (validate.errors as ErrorObject[]).filter((e) => !/\/(oneOf|anyOf)\/\d+\//.test(e.schemaPath))
    throw new InvalidSpecError(errors.map(toDetail))
  }
}

function toDetail(error: ErrorObject): ValidationDetail {
  const path = error.instancePath
  if (error.keyword === 'additionalProperties') {
    return { path, message: `must not have property '${String(error.params.additionalProperty)}'` }
  }
  if (error.keyword === 'not' && path.startsWith('/timeline/')) {
    return { path, message: 'must not have both ms and polls' }
  }
  if (error.keyword === 'oneOf' && path.startsWith('/files/')) {
    return { path, message: 'must have exactly one of json, text or base64' }
  }
  return { path, message: String(error.message) }
}

const validateShape = validator<TaskSpec>(taskSpecSchema)

/** Defaults the spec leaves out (§7). */
export interface SpecDefaults {
  /** The org a task belongs to when the spec names none (org 1 of §6). */
  orgId: string
  /** Creation time in epoch ms when the spec gives none (the clock's now). */
  now: number
  /** A fresh task id when the spec gives none. */
  newId: () => string
}

/** The timeline a task gets when none is given: the first status read answers processing (§7). */
export const DEFAULT_TIMELINE: readonly Phase[] = [{ status: 'processing', polls: 1 }]

/**
 * The rule of §7 a schema cannot state: `queued` phases only before `processing` ones.
 * @returns one detail per phase out of order (paths under `/timeline`)
 */
export function timelineOrder(timeline: readonly Phase[]): ValidationDetail[] {
  const firstProcessing = timeline.findIndex((p) => p.status === 'processing')
  const details: ValidationDetail[] = []
  timeline.forEach((phase, i) => {
    if (phase.status === 'queued' && firstProcessing !== -1 && i > firstProcessing) {
      details.push({ path: `/timeline/${i}/status`, message: 'queued must come before processing' })
    }
  })
  return details
}

/**
 * Checks a spec (schema and the rules of §7 a schema cannot state) and builds the task.
 * @param body the parsed JSON body (anything)
 * @throws {InvalidSpecError} listing what is wrong
 */
export function taskFromSpec(body: unknown, defaults: SpecDefaults): Task {
  const spec = validateShape(body)
  const details: ValidationDetail[] = []
  if ('result' in spec && (spec.pages || spec.generate)) {
    details.push({ path: '/result', message: 'must not be given with pages or generate' })
  }
  if (spec.pages && spec.generate) details.push({ path: '/generate', message: 'must not be given with pages' })
  const timeline = spec.timeline ?? DEFAULT_TIMELINE
  details.push(...timelineOrder(timeline))
  let createdAt = defaults.now
  if (typeof spec.createdAt === 'string') {
    const parsed = parseDateTime(spec.createdAt)
    if (parsed === undefined || parsed > MAX_TIME_MS) details.push({ path: '/createdAt', message: 'must be a valid ISO-8601 date-time' })
    else createdAt = parsed
  } else if (typeof spec.createdAt === 'number') {
    createdAt = spec.createdAt
  }
  // Deeply nested JSON would overflow the stack when serialised for an answer or a zip entry.
  const deep = (value: unknown, path: string): void => {
    if (nestsDeeperThan(value, MAX_JSON_DEPTH)) details.push({ path, message: `must not nest deeper than ${MAX_JSON_DEPTH} levels` })
  }
  deep(spec.result, '/result')
  spec.pages?.forEach((page, i) => deep(page, `/pages/${i}`))
  spec.files?.forEach((file, i) => deep(file.json, `/files/${i}/json`))
  checkFileNames(spec.files ?? [], details)
  // Only a valid spec is built: a file's JSON is written out only once its depth is known safe.
  if (details.length > 0) throw new InvalidSpecError(details)
  const files = (spec.files ?? []).map(fileFromSpec)

  const id = (spec.id ?? defaults.newId()).toLowerCase()
  const orgId = spec.orgId ?? defaults.orgId
  return new Task({
    id,
    orgId,
    kind: spec.kind ?? 'generic',
    jobs: spec.jobs ?? 1,
    createdAt,
    timeline: timeline.map((p) => ({ ...p })),
    outcome: spec.outcome ?? 'completed',
    result: 'result' in spec ? spec.result : {},
    pages: pagesFromSpec(spec),
    files,
    // Enough to build the same task again anywhere (§11): the spec with what defaults chose.
    source: { spec: { ...spec, id, orgId, createdAt } }
  })
}

function pagesFromSpec(spec: TaskSpec): PageSource | null {
  if (spec.pages) {
    const pages = spec.pages
    return { count: pages.length, page: (k) => pages[k] }
  }
  if (spec.generate) {
    const { pages, itemsPerPage = 10, seed = 1 } = spec.generate
    return { count: pages, page: (k) => generatedPage(seed, k, itemsPerPage) }
  }
  return null
}

function checkFileNames(files: NonNullable<TaskSpec['files']>, details: ValidationDetail[]): void {
  const seen = new Set<string>()
  files.forEach((file, i) => {
    const path = `/files/${i}/name`
    const segments = file.name.split('/')
    // archiver rewrites names with a drive letter (`x:`) or a backslash; control characters have
    // no place in a file name. Refusing them keeps the zip's names exactly the spec's.
    if (segments.some((s) => s === '..' || s === '.' || s === '') || /[\\:\u0000-\u001f\u007f]/.test(file.name)) {
      details.push({ path, message: 'must be a relative path of non-empty segments other than . and .., without \\, : or control characters' })
    } else if (file.name === 'result.json' || segments[0] === 'pages') {
      details.push({ path, message: 'must not be result.json or under pages/' })
    } else if (seen.has(file.name)) {
      details.push({ path, message: 'must not be given twice' })
    }
    seen.add(file.name)
  })
}

function fileFromSpec(file: NonNullable<TaskSpec['files']>[number]): TaskFile {
  const content =
    file.base64 !== undefined
      ? Buffer.from(file.base64, 'base64')
      : Buffer.from(file.text ?? JSON.stringify(file.json, null, 2), 'utf8')
  return { name: file.name, content }
}

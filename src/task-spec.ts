/**
 * The JSON spec a task is made from (docs/behaviour.md §6 `POST /__admin/tasks`), used by the
 * control API and by the fixtures alike: its schema, the checks a schema cannot express, and the
 * step from a valid spec to a {@link Task}.
 */
import { MAX_TIME_MS } from './clock.js'
import { MAX_TTL_MS, parseDuration } from './config.js'
import { SCENARIO_NAMES, scenarioNamed, scenarioTtlMs, type Scenario } from './scenarios.js'
import { generatedPage } from './synthetic.js'
import { Task, type PageSource, type Phase, type TaskFile } from './task.js'
import { instantOf, InvalidSpecError, ISO_8601, MAX_JSON_DEPTH, nestsDeeperThan, notADateTime, UUID_PATTERN, validator, type ValidationDetail } from './validation.js'

/**
 * Most pages a generated task may have: far past 65,535 zip entries (ZIP64). Its download keeps a
 * compact central directory (src/compact-zip.ts: about 15 bytes a page), so even this many pages
 * stream with the server's RSS under 150 MB (bench/zip-downloads.mjs `one-huge`).
 */
export const MAX_GENERATED_PAGES = 1_000_000

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
    scenario: { enum: SCENARIO_NAMES },
    ttl: {
      anyOf: [
        { type: 'string', pattern: '^\\d{1,16}(ms|s|m|h|d)?$' },
        { type: 'integer', minimum: 1, maximum: MAX_TTL_MS }
      ]
    },
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

/** A task spec as sent (all fields optional, §6). */
export interface TaskSpec {
  id?: string
  orgId?: string
  kind?: string
  jobs?: number
  createdAt?: string | number
  timeline?: Phase[]
  outcome?: 'completed' | 'failed'
  /** A ready-made scenario (§21): it sets the timeline, the outcome and bound faults (then give neither `timeline` nor `outcome`). */
  scenario?: string
  /** How long the task can be read after its creation, when not `TASK_TTL`: a duration (`90s`, `7d`) or ms. */
  ttl?: string | number
  result?: unknown
  pages?: unknown[]
  generate?: { pages: number; itemsPerPage?: number; seed?: number }
  files?: Array<{ name: string; json?: unknown; text?: string; base64?: string }>
}

const validateShape = validator<TaskSpec>(taskSpecSchema)

/** Defaults the spec leaves out (§6). */
export interface SpecDefaults {
  /** The org a task belongs to when the spec names none (org 1 of §9). */
  orgId: string
  /** Creation time in epoch ms when the spec gives none (the clock's now). */
  now: number
  /** A fresh task id when the spec gives none. */
  newId: () => string
  /** `RETRY_AFTER_S`, which a scenario's TTL is counted in (default 5, §17). */
  retryAfterS?: number
}

/** `RETRY_AFTER_S`'s default (§17). */
const DEFAULT_RETRY_AFTER_S = 5

/** The timeline a task gets when none is given: the first status read answers processing (§6). */
export const DEFAULT_TIMELINE: readonly Phase[] = Object.freeze([Object.freeze<Phase>({ status: 'processing', polls: 1 })])

/**
 * The rule of §6 a schema cannot state: `queued` phases only before `processing` ones.
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

// What a spec leaves out is shared by the tasks made from it, frozen, not made again for each held task.
const NO_FILES: TaskFile[] = Object.freeze([]) as unknown as TaskFile[]
const EMPTY_RESULT = Object.freeze({})

/**
 * Checks a spec (schema and the rules of §6 a schema cannot state) and builds the task.
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
  // The schema allows only known names.
  const scenario = spec.scenario === undefined ? undefined : (scenarioNamed(spec.scenario) as Scenario)
  for (const field of ['timeline', 'outcome'] as const) {
    if (scenario && spec[field] !== undefined) details.push({ path: `/${field}`, message: 'must not be given with a scenario, which sets it' })
  }
  let ttlMs = scenario && scenarioTtlMs(scenario, defaults.retryAfterS ?? DEFAULT_RETRY_AFTER_S)
  if (spec.ttl !== undefined) {
    ttlMs = typeof spec.ttl === 'number' ? spec.ttl : parseDuration(spec.ttl)
    if (ttlMs === undefined || ttlMs < 1 || ttlMs > MAX_TTL_MS) details.push({ path: '/ttl', message: 'must be a duration from 1 ms to 36500d, such as 90s, 15m, 7d, or milliseconds' })
  }
  const timeline = scenario?.timeline ?? spec.timeline ?? DEFAULT_TIMELINE
  details.push(...timelineOrder(timeline))
  let createdAt = defaults.now
  if (typeof spec.createdAt === 'string') {
    const parsed = instantOf(spec.createdAt)
    if (parsed === undefined) details.push(notADateTime('/createdAt'))
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
  const files = spec.files ? spec.files.map(fileFromSpec) : NO_FILES

  const id = (spec.id ?? defaults.newId()).toLowerCase()
  const orgId = spec.orgId ?? defaults.orgId
  return new Task({
    id,
    orgId,
    kind: spec.kind ?? 'generic',
    jobs: spec.jobs ?? scenario?.jobs ?? 1,
    createdAt,
    timeline: timeline.map((p) => ({ ...p })),
    outcome: scenario?.outcome ?? spec.outcome ?? 'completed',
    result: 'result' in spec ? spec.result : EMPTY_RESULT,
    pages: pagesFromSpec(spec),
    files,
    // Enough to build the same task again anywhere (§16): the spec with what defaults chose (a
    // scenario's TTL too, so that no replica's RETRY_AFTER_S changes it).
    source: { spec: { ...spec, id, orgId, createdAt, ...(ttlMs === undefined ? {} : { ttl: ttlMs }) } },
    ...(ttlMs === undefined ? {} : { ttlMs }),
    ...(scenario ? { scenario: scenario.name } : {})
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
    // zip-stream (archiver's zip engine) rewrites names with a drive letter (`x:`) or a backslash; control characters have
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

/**
 * Request validation, shared by the control API, the producer routes and the fixtures: the one
 * Ajv instance and the validators it compiles, the error every invalid body answers (§12
 * `400 err-invalid-request`, with details), and the formats checked by hand (UUIDs, ISO-8601
 * date-times, nesting depth).
 */
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Ajv, ErrorObject, ValidateFunction } from 'ajv'
import { MAX_TIME_MS } from './clock.js'
import { MockError } from './errors.js'
import { PACKAGE_ROOT } from './package-root.js'

/** Canonical 8-4-4-4-12 hex UUID, any case (§2 rule 4). */
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
const UUID = new RegExp(UUID_PATTERN)

/** True when `value` is a UUID in canonical form (any case). */
export function isUuid(value: string): boolean {
  return UUID.test(value)
}

/** An ISO-8601 date-time with a zone (`2026-01-15T10:00:00Z`, `2026-01-15T15:30:00.5+05:30`). */
export const ISO_8601 = '^(\\d{4})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,3}))?)?(Z|[+-]\\d{2}:\\d{2})$'
const ISO_8601_RE = new RegExp(ISO_8601)

/**
 * Parses an ISO-8601 date-time (see {@link ISO_8601}) that names a real instant: no 30 February,
 * no hour 24, no offset past ±23:59.
 * @returns epoch ms, or undefined when the text is not such a date-time
 */
export function parseDateTime(text: string): number | undefined {
  const match = ISO_8601_RE.exec(text)
  if (!match) return undefined
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number]
  const ms = Number((match[7] ?? '0').padEnd(3, '0'))
  const zone = match[8] as string
  const wallClock = Date.UTC(year, month - 1, day, hour, minute, second, ms)
  const check = new Date(wallClock)
  const real =
    check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === day &&
    check.getUTCHours() === hour && check.getUTCMinutes() === minute && check.getUTCSeconds() === second
  if (!real) return undefined
  if (zone === 'Z') return wallClock
  const [zoneHours, zoneMinutes] = zone.slice(1).split(':').map(Number) as [number, number]
  if (zoneHours > 23 || zoneMinutes > 59) return undefined
  return wallClock - (zone.startsWith('-') ? -1 : 1) * (zoneHours * 60 + zoneMinutes) * 60_000
}

/**
 * The instant a date-time field names (`createdAt`, `expiresAt`), in epoch ms, when it is a real
 * ISO-8601 instant at or before {@link MAX_TIME_MS}; else undefined (see {@link notADateTime}).
 */
export function instantOf(text: string): number | undefined {
  const at = parseDateTime(text)
  return at === undefined || at > MAX_TIME_MS ? undefined : at
}

/** The detail of a date-time field at `path` that names no such instant. */
export const notADateTime = (path: string): ValidationDetail => ({ path, message: 'must be a valid ISO-8601 date-time' })

/** How deep JSON given for a result, a page, a file or a producer's body may nest (deeper is refused with 400). */
export const MAX_JSON_DEPTH = 64

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

/** One reason a body is invalid: a JSON pointer into the body and what is wrong there. */
export interface ValidationDetail {
  path: string
  message: string
}

/** Thrown when a spec or other control-API body is invalid (§12 `400 err-invalid-request`). */
export class InvalidSpecError extends MockError {
  constructor(readonly details: ValidationDetail[]) {
    super('ERR_INVALID_SPEC', details.map((d) => `${d.path || '/'} ${d.message}`).join('; '))
  }
}

/**
 * The one Ajv's options. strictRequired is off: `not: { required: [...] }` names properties defined
 * beside it, not inside. Every schema is a constant of this code base, so Ajv does not check it
 * against the JSON Schema meta-schema when compiling (compiling the meta-schema costs ~70 ms of CPU at
 * each start); the test suite checks every declared schema against it instead ({@link declaredSchemas}).
 */
export const AJV_OPTIONS = { allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true } as const

/**
 * Where `npm run build` writes the validators compiled ahead of time (scripts/compile-validators.mjs),
 * so that a start-up neither loads Ajv (~55 ms of CPU) nor compiles the fixtures' schemas.
 */
export const PRECOMPILED_FILE = join(PACKAGE_ROOT, 'dist', 'validators.cjs')

const require = createRequire(import.meta.url)

/** The validators compiled at build time, by {@link schemaKey}; read on the first check (null: none). */
let precompiled: Record<string, ValidateFunction> | null | undefined
/** Ajv itself, loaded only for a schema the build did not compile. */
let ajv: Ajv | undefined

/** The key a validator compiled at build time is exported under: a hash of its schema as JSON. */
export function schemaKey(schema: object): string {
  return `v${createHash('sha256').update(JSON.stringify(schema)).digest('hex').slice(0, 24)}`
}

/**
 * Reads the validators compiled ahead of time from `file`.
 * @returns them by {@link schemaKey}, or null when there is no such file
 */
export function loadPrecompiled(file: string): Record<string, ValidateFunction> | null {
  try {
    return require(file) as Record<string, ValidateFunction>
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return null
    throw error
  }
}

/** The check of `schema`: compiled at build time when the build saw this very schema, else now. */
export function compileSchema(schema: object, compiled: Record<string, ValidateFunction> | null): ValidateFunction {
  const built = compiled?.[schemaKey(schema)]
  if (built) return built
  if (!ajv) {
    const { Ajv: AjvClass } = require('ajv') as typeof import('ajv')
    ajv = new AjvClass({ ...AJV_OPTIONS, validateSchema: false })
  }
  return ajv.compile(schema)
}

const declared: object[] = []

/** Every schema given to {@link validator} so far (by the modules loaded), for the test that checks them. */
export function declaredSchemas(): readonly object[] {
  return declared
}

/**
 * Makes a function that checks a body against a JSON Schema and returns it typed as `T`. The
 * schema is compiled on the first check, not here: modules declare their validators at load time,
 * and compiling them all there would cost every process start (the server's, each test's) what
 * most of it never uses.
 * @throws {InvalidSpecError} listing every violation
 */
export function validator<T>(schema: object): (body: unknown) => T {
  declared.push(schema)
  let validate: ValidateFunction | undefined
  return (body) => {
    if (!validate) {
      if (precompiled === undefined) precompiled = loadPrecompiled(PRECOMPILED_FILE)
      validate = compileSchema(schema, precompiled)
    }
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

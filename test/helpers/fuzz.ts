/**
 * Arbitraries (fast-check) for the fuzz suite (test/fuzz.test.ts): request bodies generated from
 * the OpenAPI document's request schemas, and whole requests (method, path, query, headers, body)
 * aimed at the documented routes and at random paths.
 */
import http from 'node:http'
import fc from 'fast-check'
import { document } from './contract.js'
import { ORG1, ORG2, TASK, TOKEN1, TOKEN2 } from './app.js'

type Json = Record<string, unknown>

/** The admin token of the fuzz apps that have one. */
export const ADMIN_TOKEN = 'sekrit-admin-0b7e'

/**
 * Credentials the fuzz sends in headers and bodies; none may come back in an answer. Every
 * made-up one starts with `sekrit-`, a string used nowhere else, so finding it is an echo.
 */
export const SECRETS = [
  ADMIN_TOKEN,
  'sekrit-bearer-1',
  'sekrit-token-1',
  `sekrit-huge-${'h'.repeat(5000)}`,
  'sekrit-cookie-1',
  'sekrit-proxy-1',
  'sekrit-password-1',
  'sekrit-otp-1',
  'sekrit-credential-1'
]
/** The demo credentials (§9): secrets too, except in the published document, whose examples show them. */
export const DEMO_SECRETS = [TOKEN1, TOKEN2, 'demo-password']

/** Task ids a fuzz task spec or override may take, so that later requests of a run can reach them. */
export const FUZZ_IDS = ['f0000000-0000-4000-8000-000000000001', 'f0000000-0000-4000-8000-000000000002']
const TASK_IDS = [...Object.values(TASK), ...FUZZ_IDS]
const DEMO_USER_ID = 'ae561595-be3b-4532-864d-ef3de9744e09'
const OPERATIONS = [
  'einvoice-bulk-generation',
  'einvoice-bulk-cancellation',
  'gst-einvoice-download',
  'gst-returns-download',
  'ims-invoices-download',
  'einvoice-ewb-by-irn',
  'ewaybill-consolidated-pdf',
  'gcs-generate',
  'ewaybill-bulk-generation'
]

/** One request as the fuzz sends it. `url` is already as the server sees it (see {@link asSeen}). */
export interface FuzzRequest {
  method: string
  url: string
  headers: Record<string, string>
  payload?: string
}

/**
 * The URL as `inject` hands it to the server: light-my-request parses it with WHATWG URL rules,
 * which resolve `.` and `..` segments and escape what a request line may not hold. The contract
 * check must judge the path the server saw.
 */
export function asSeen(url: string): string {
  const parsed = new URL(url.startsWith('//') ? `http://localhost${url}` : url, 'http://localhost')
  return parsed.pathname + parsed.search
}

// ---------------------------------------------------------------------------------------------
// Bodies from the document's schemas

/** Follows `$ref`s; answers the schema and the name of the last component it went through. */
function deref(schema: unknown): { schema: unknown; name?: string } {
  let current = schema
  let name: string | undefined
  while (current && typeof current === 'object' && typeof (current as Json).$ref === 'string') {
    const pointer = ((current as Json).$ref as string).replace(/^#\//, '').split('/')
    name = pointer[pointer.length - 1]
    current = pointer.reduce<Json>((node, key) => node[key] as Json, document)
  }
  return name === undefined ? { schema: current } : { schema: current, name }
}

/** A schema with its `allOf` parts folded in (properties and `required` united, siblings first). */
function flatten(schema: Json): Json {
  if (!Array.isArray(schema.allOf)) return schema
  const out: Json = { ...schema }
  delete out.allOf
  for (const raw of schema.allOf as unknown[]) {
    const part = flatten(deref(raw).schema as Json)
    out.properties = { ...(part.properties as Json | undefined), ...(out.properties as Json | undefined) }
    out.required = [...new Set([...((part.required as string[] | undefined) ?? []), ...((out.required as string[] | undefined) ?? [])])]
    for (const [key, value] of Object.entries(part)) if (!(key in out)) out[key] = value
  }
  return out
}

const smallJson = fc.jsonValue({ maxDepth: 2 })

/** Values of components and properties that matter more than random ones: known ids, secrets, bounded sizes. */
const COMPONENT_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  Uuid: fc.oneof(fc.constantFrom(...TASK_IDS, DEMO_USER_ID), fc.uuid(), fc.uuid().map((id) => id.toUpperCase()), fc.constantFrom('not-a-uuid', '')),
  // Generated pages are made when read: keep a download of them small.
  GeneratePages: fc.oneof(
    fc.record({ pages: fc.integer({ min: 1, max: 3 }), itemsPerPage: fc.integer({ min: 1, max: 20 }), seed: fc.nat() }, { requiredKeys: ['pages'] }),
    fc.constantFrom({}, { pages: 0 }, { pages: 1_000_001 }, { pages: 1, itemsPerPage: 1001 }, { pages: 1, seed: -1 }, { pages: '1' })
  )
}
const PROPERTY_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  password: fc.constantFrom('demo-password', 'sekrit-password-1', `sekrit-password-1${'p'.repeat(1000)}`),
  otp: fc.constantFrom('sekrit-otp-1', 'sekrit-otp-1-too-long-for-an-otp'),
  token: fc.constantFrom('sekrit-credential-1', TOKEN1),
  handle: fc.constantFrom('demo@example.com', 'DEMO@EXAMPLE.COM', '9800000001', 'nobody@example.com'),
  orgId: fc.constantFrom(ORG1, ORG2, 'org-fuzz'),
  orgIds: fc.constantFrom([ORG1], [ORG2, ORG1], ['org-fuzz'], []),
  route: fc.constantFrom('status', 'download', 'result', 'page', '*', ...OPERATIONS),
  // A fault is cleared as soon as it is added (test/fuzz.test.ts), but never let one sleep long.
  delayMs: fc.constantFrom(0, 1, -1, 300_001),
  timeoutMs: fc.constantFrom(0, 1)
}

const int32 = (n: number): number => Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, n))

/** Tries a pattern as fast-check's regex generator; lookarounds and the like fall back to strings. */
function matching(pattern: string): fc.Arbitrary<string> {
  try {
    return fc.stringMatching(new RegExp(pattern))
  } catch {
    return fc.string({ maxLength: 30 })
  }
}

/**
 * An arbitrary of JSON values shaped by a schema of the document: mostly valid, with boundary
 * values just past each limit. Unsupported keywords (`not`, `uniqueItems`, ...) are ignored, so
 * some values break them: that is fine, the server must refuse them properly.
 */
export function fromSchema(raw: unknown, depth = 0): fc.Arbitrary<unknown> {
  const { schema: resolved, name } = deref(raw)
  if (name && COMPONENT_VALUES[name]) return fc.oneof({ weight: 3, arbitrary: COMPONENT_VALUES[name] }, { weight: 1, arbitrary: fromResolved(resolved, depth) })
  return fromResolved(resolved, depth)
}

function fromResolved(resolved: unknown, depth: number): fc.Arbitrary<unknown> {
  if (resolved === true || resolved === false || depth > 8) return smallJson
  const schema = flatten(resolved as Json)
  if ('const' in schema) return fc.constant(schema.const)
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]))
  const alternatives = (schema.anyOf ?? schema.oneOf) as unknown[] | undefined
  if (alternatives) {
    const siblings: Json = { ...schema }
    delete siblings.anyOf
    delete siblings.oneOf
    return fc.oneof(
      ...alternatives.map((alternative) => {
        const branch = flatten(deref(alternative).schema as Json)
        const joined: Json = { ...siblings, ...branch }
        if (siblings.properties || branch.properties) joined.properties = { ...(siblings.properties as Json), ...(branch.properties as Json) }
        if (siblings.required || branch.required) joined.required = [...((siblings.required as string[]) ?? []), ...((branch.required as string[]) ?? [])]
        return fromResolved(joined, depth + 1)
      })
    )
  }
  if (Array.isArray(schema.type)) return fc.oneof(...(schema.type as string[]).map((type) => fromResolved({ ...schema, type }, depth + 1)))
  const type = (schema.type as string | undefined) ?? (schema.properties ? 'object' : schema.items ? 'array' : undefined)
  switch (type) {
    case 'object':
      return objectOf(schema, depth)
    case 'array': {
      const min = (schema.minItems as number | undefined) ?? 0
      const max = Math.min((schema.maxItems as number | undefined) ?? min + 3, min + 3)
      const items = schema.items === undefined ? smallJson : fromSchema(schema.items, depth + 1)
      const valid = fc.array(items, { minLength: min, maxLength: max })
      return min > 0 ? fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: fc.constant([]) }) : valid
    }
    case 'string':
      return stringOf(schema)
    case 'integer': {
      const min = (schema.minimum as number | undefined) ?? -1000
      const max = (schema.maximum as number | undefined) ?? min + 1000
      const bounds = [min, max, min - 1, max + 1].filter(Number.isSafeInteger)
      return fc.oneof({ weight: 4, arbitrary: fc.integer({ min: int32(min), max: int32(Math.min(max, min + 1000)) }) }, { weight: 1, arbitrary: fc.constantFrom(...bounds, 1.5) })
    }
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true })
    case 'boolean':
      return fc.boolean()
    case 'null':
      return fc.constant(null)
    default:
      return smallJson
  }
}

function objectOf(schema: Json, depth: number): fc.Arbitrary<unknown> {
  const properties = Object.entries((schema.properties as Json | undefined) ?? {}).filter(([, value]) => value !== false)
  if (properties.length === 0) return fc.dictionary(fc.string({ maxLength: 8 }), smallJson, { maxKeys: 3 })
  const model: Record<string, fc.Arbitrary<unknown>> = {}
  for (const [key, value] of properties) {
    const generated = fromSchema(value, depth + 1)
    const special = PROPERTY_VALUES[key]
    model[key] = special ? fc.oneof({ weight: 2, arbitrary: special }, { weight: 1, arbitrary: generated }) : generated
  }
  const required = ((schema.required as string[] | undefined) ?? []).filter((key) => key in model)
  return fc.record(model, { requiredKeys: required })
}

function stringOf(schema: Json): fc.Arbitrary<string> {
  const min = (schema.minLength as number | undefined) ?? 0
  const max = schema.maxLength as number | undefined
  const main = typeof schema.pattern === 'string' ? matching(schema.pattern) : schema.format === 'uuid' ? fc.uuid() : fc.string({ minLength: min, maxLength: Math.min(max ?? min + 20, min + 20) })
  const edges = [...(max === undefined ? [] : ['x'.repeat(max), 'x'.repeat(max + 1)]), ...(min > 0 ? ['x'.repeat(min - 1)] : [])]
  return edges.length ? fc.oneof({ weight: 6, arbitrary: main }, { weight: 1, arbitrary: fc.constantFrom(...edges) }) : main
}

/**
 * JSON text that `JSON.stringify` never writes but a parser accepts (or nearly): huge and negative
 * zero numbers, lone surrogates, control escapes, duplicate keys. A mutated value holds one as a
 * marker string, which {@link jsonText} writes out raw.
 */
const RAW_TOKENS = ['1e400', '-1e400', '-0', '1.0', '1E2', '0.1e-400', '9007199254740993', '"\\ud800"', '"\\u0000"', '"a\\u0000b"', '{"a":1,"a":2}', '{"__proto__":{"x":1}}', '[]', '{}', '""']
const RAW_MARK = '\u0001raw:'
const RAW_TOKEN_OF = (n: number): string => `${RAW_MARK}${RAW_TOKENS[n % RAW_TOKENS.length] as string}\u0001`
const RAW_TOKEN = fc.nat().map(RAW_TOKEN_OF)

/** A generated value as JSON text, its raw-token markers written out as they are. */
export function jsonText(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null'
  return text.replace(/"\\u0001raw:(.*?)\\u0001"/g, (_all, token: string) => JSON.parse(`"${token}"`) as string)
}

/** A value changed a little: a member dropped, replaced (maybe by raw JSON) or added, or the whole wrapped. */
export function mutated(arbitrary: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const change = fc.tuple(fc.constantFrom('drop', 'set', 'add', 'wrap', 'null', 'raw'), fc.nat(), fc.oneof(smallJson, RAW_TOKEN))
  // One value in four is changed.
  const maybe = fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: change })
  return fc.tuple(arbitrary, maybe).map(([value, how]) => {
    if (!how) return value
    const [op, n, generated] = how
    // A raw token replaces a member, or the whole value.
    const replacement = op === 'raw' ? RAW_TOKEN_OF(n) : generated
    if (op === 'wrap') return [value]
    if (op === 'null') return null
    if (Array.isArray(value)) {
      const copy = [...value]
      if (copy.length && op !== 'add') copy.splice(n % copy.length, 1, ...(op === 'set' ? [replacement] : []))
      else copy.push(replacement)
      return copy
    }
    if (value && typeof value === 'object') {
      const copy: Json = { ...(value as Json) }
      const keys = Object.keys(copy)
      if (op === 'add' || keys.length === 0) copy[`fuzz${n % 5}`] = replacement
      else if (op === 'drop') delete copy[keys[n % keys.length] as string]
      else copy[keys[n % keys.length] as string] = replacement
      return copy
    }
    return replacement
  })
}

// ---------------------------------------------------------------------------------------------
// Requests

type Operation = { requestBody?: Json }
const HTTP_VERBS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace']

/** The JSON request schema and examples of each documented `METHOD template`. */
const requestBodies = new Map<string, fc.Arbitrary<unknown>>()
for (const [template, item] of Object.entries(document.paths)) {
  for (const verb of HTTP_VERBS) {
    const operation = (item as Json)[verb] as Operation | undefined
    const media = (deref(operation?.requestBody).schema as Json | undefined)?.content as Record<string, Json> | undefined
    const json = media?.['application/json']
    if (!json) continue
    const examples = Object.values((json.examples as Json | undefined) ?? {}).map((example) => (deref(example).schema as Json).value)
    const generated = fromSchema(json.schema)
    requestBodies.set(`${verb.toUpperCase()} ${template}`, mutated(examples.length ? fc.oneof(fc.constantFrom(...examples), generated) : generated))
  }
}
const anyRequestBody = fc.oneof(...requestBodies.values())

/** The documented path templates, and each one's documented methods. */
export const TEMPLATES = Object.keys(document.paths)
const methodsOf = (template: string): string[] => HTTP_VERBS.filter((verb) => verb in (document.paths[template] as Json)).map((verb) => verb.toUpperCase())

const COMMON_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']
/** Every method Node's parser accepts, but CONNECT, which `inject` cannot send (test/malformed.test.ts sends it). */
const ODD_METHODS = http.METHODS.filter((method) => method !== 'CONNECT')
function methodFor(template: string | undefined): fc.Arbitrary<string> {
  const documented = template ? methodsOf(template) : []
  return fc.oneof(
    ...(documented.length ? [{ weight: 6, arbitrary: fc.constantFrom(...documented) }] : []),
    { weight: 3, arbitrary: fc.constantFrom(...COMMON_METHODS) },
    { weight: 1, arbitrary: fc.constantFrom(...ODD_METHODS) }
  )
}

const URL_CHARS = "abcxyzABZ0129-._~!$&'()*+,;=:@".split('')
/** Segments a router must cope with: odd characters, any text percent-encoded, undecodable escapes, long ones. */
const oddSegment: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: fc.constantFrom(...URL_CHARS), maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }).map(encodeURIComponent),
  fc.constantFrom('%zz', '%', '%2', '%E0%A4%A', '%C0%AF', '%FF', '%00', '%2F', '%2f..', '%2e%2e', '.', '..', '', '%20', '+', '__proto__', 'constructor', '0', '-1', '1e3', '0x10', 'NaN'),
  // Up to the router's longest parameter (MAX_HEADER_SIZE, 16384 by default): a longer one cannot
  // arrive over a socket, whose request line is held to MAX_HEADER_SIZE (431), only by inject.
  fc.constantFrom(101, 1000, 5000, 16_000).map((n) => 'a'.repeat(n))
)
const uuidSegment = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TASK_IDS) },
  { weight: 2, arbitrary: fc.constantFrom(...TASK_IDS).map((id) => id.toUpperCase()) },
  { weight: 1, arbitrary: fc.uuid() },
  { weight: 1, arbitrary: fc.constantFrom(...TASK_IDS).map((id) => id.replace(/-/g, '')) },
  { weight: 1, arbitrary: fc.constantFrom(...TASK_IDS).map((id) => encodeURIComponent(id).replace(/a/g, '%61')) }
)
const PARAM_VALUES: Record<string, fc.Arbitrary<string>> = {
  'flynn-version': fc.constantFrom('v1.0', 'v1.0', 'v3.0', 'V1.0', 'v2.0', 'v1', 'v1%2E0'),
  irp: fc.constantFrom('ni1', 'ni2', 'NI1', 'ni3'),
  ewb: fc.constantFrom('ew1', 'ew2', 'EW1'),
  'task-id': uuidSegment,
  id: uuidSegment,
  userId: fc.oneof(fc.constantFrom(DEMO_USER_ID, DEMO_USER_ID.toUpperCase()), fc.uuid()),
  'page-number': fc.oneof(fc.nat(5).map(String), fc.constantFrom('012', '-1', '+1', '1.0', '%201', '1e1', '9007199254740991', '9007199254740992', '9'.repeat(30))),
  'trip-sheet-number': fc.oneof(fc.nat().map(String), fc.constantFrom('007', '1'.repeat(20), '1'.repeat(21), '12a', '-5')),
  name: fc.oneof(fc.constantFrom(...OPERATIONS), fc.constantFrom('status', 'EINVOICE-BULK-GENERATION')),
  file: fc.constantFrom('index.html', 'swagger-ui.css', 'logo.svg', 'favicon-32x32.png', 'oauth2-redirect.html', 'nope.js', '..%2F..%2Fpackage.json', 'csp.json')
}

/** The values the document allows for a path parameter of a template (`enum`), if it lists them. */
function allowedValues(template: string, name: string): string[] {
  const item = document.paths[template] as Json
  const declared = [item, ...HTTP_VERBS.map((verb) => item[verb] as Json | undefined)].flatMap((holder) => (holder?.parameters as unknown[] | undefined) ?? [])
  for (const raw of declared) {
    const parameter = deref(raw).schema as Json
    const schema = deref(parameter.schema).schema as Json | undefined
    if (parameter.name === name && parameter.in === 'path' && Array.isArray(schema?.enum)) return schema.enum as string[]
  }
  return []
}

/** A path parameter's value: mostly one the document allows or a telling one, sometimes anything. */
function parameterValue(template: string, name: string): fc.Arbitrary<string> {
  const allowed = allowedValues(template, name)
  return fc.oneof(
    ...(allowed.length ? [{ weight: 6, arbitrary: fc.constantFrom(...allowed) }] : []),
    { weight: 3, arbitrary: PARAM_VALUES[name] ?? oddSegment },
    { weight: 1, arbitrary: oddSegment }
  )
}

function segmentFor(template: string, part: string): fc.Arbitrary<string> {
  const param = /^\{(.+)\}$/.exec(part)?.[1]
  if (param) return parameterValue(template, param)
  if (part === '') return fc.constant('')
  // A literal segment: as written, one character percent-encoded (the same path), or upper case.
  return fc.oneof(
    { weight: 12, arbitrary: fc.constant(part) },
    { weight: 1, arbitrary: fc.nat(part.length - 1).map((i) => part.slice(0, i) + '%' + part.charCodeAt(i).toString(16).toUpperCase().padStart(2, '0') + part.slice(i + 1)) },
    { weight: 1, arbitrary: fc.constant(part.toUpperCase()) }
  )
}

/** In a query, stands for the run's latest `next` cursor (test/fuzz.test.ts). */
export const CURSOR = 'CURSOR_OF_THE_RUN'
const QUERY_VALUES = fc.oneof(
  fc.constantFrom('0', '1', '5', '1000', '1001', '-1', '1.5', '', 'abc', 'processing', 'completed', 'B2B', 'b2bcn', 'A', 'x', ORG1, '/enriched', '/theodore', '%zz', 'dDo4', 'null', CURSOR),
  fc.string({ maxLength: 10 }).map(encodeURIComponent)
)
const QUERY_KEYS = fc.constantFrom('limit', 'cursor', 'orgId', 'status', 'path', 'count', 'section', 'foo', '__proto__', 'limit[]')
const query: fc.Arbitrary<string> = fc.array(fc.tuple(QUERY_KEYS, QUERY_VALUES), { maxLength: 4 }).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&'))

/**
 * A query made of the parameters the document lists for an operation (values from their schemas,
 * some of them broken), or else the random one. `timeoutMs` is left to {@link shortWait}.
 */
function documentedQuery(template: string, method: string): fc.Arbitrary<string> {
  const item = document.paths[template] as Json
  const declared = [item, item[method.toLowerCase()] as Json | undefined].flatMap((holder) => (holder?.parameters as unknown[] | undefined) ?? [])
  const model: Record<string, fc.Arbitrary<string>> = {}
  const required: string[] = []
  for (const raw of declared) {
    const parameter = deref(raw).schema as Json
    const name = parameter.name as string
    if (parameter.in !== 'query' || name === 'timeoutMs') continue
    const value = fromSchema(parameter.schema).map((v) => encodeURIComponent(typeof v === 'string' ? v : (JSON.stringify(v) ?? '')))
    model[name] = fc.oneof({ weight: 4, arbitrary: value }, { weight: 1, arbitrary: name === 'cursor' ? fc.constant(CURSOR) : QUERY_VALUES })
    if (parameter.required) required.push(name)
  }
  if (Object.keys(model).length === 0) return query
  const documented = fc.record(model, { requiredKeys: required }).map((values) => Object.entries(values).map(([k, v]) => `${k}=${v}`).join('&'))
  return fc.oneof({ weight: 4, arbitrary: documented }, { weight: 1, arbitrary: query })
}

/** How a path is bent: left alone, a trailing slash, a doubled slash, dot segments, an empty query. */
const bend = fc.constantFrom('', '', '', '', '', '', 'trailing', 'double', 'dot', 'dotdot', '?')
function bent(path: string, how: string): string {
  switch (how) {
    case 'trailing':
      return `${path}/`
    case 'double':
      return path.replace(/\/(?=[^/]*$)/, '//')
    case 'dot':
      return `${path}/.`
    case 'dotdot':
      return `${path}/x/..`
    case '?':
      return `${path}?`
    default:
      return path
  }
}

/** A journal wait answers after `timeoutMs` of real time (default 5 s): keep every wait short. */
function shortWait(url: string): string {
  const [pathname = '', search] = url.split('?', 2)
  let decoded = pathname
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    // Undecodable: no route matches it.
  }
  if (!decoded.endsWith('/requests/wait')) return url
  return `${url}${search === undefined ? '?' : '&'}timeoutMs=1`
}

/** A path under a documented template, its parameters filled with valid and invalid values. */
const documentedPath: fc.Arbitrary<{ template: string; path: string }> = fc.constantFrom(...TEMPLATES).chain((template) =>
  fc.tuple(...template.split('/').map((part) => segmentFor(template, part))).map((segments) => ({ template, path: segments.join('/') }))
)
/** A path nowhere in particular, or somewhere near the routes. */
const randomPath: fc.Arbitrary<{ template: undefined; path: string }> = fc
  .tuple(
    fc.constantFrom('/enriched/', '/theodore/', '/__admin/', '/__admin', '/', '/documentation/', '/enriched/ewb/v1.0/ni1/', '/enriched/tasks/v1.0/', '/theodore/apis/v1/'),
    fc.array(oddSegment, { maxLength: 4 })
  )
  .map(([prefix, segments]) => ({ template: undefined, path: prefix + segments.join('/') }))

const ACCEPTS = [
  'application/json',
  'application/zip',
  '*/*',
  'application/*',
  'application/json;q=0',
  'application/json; q=0.5, application/zip;q=1',
  'APPLICATION/JSON',
  'application/json;q=1.0001',
  'application/zip;q="1"',
  'text/html',
  'garbage',
  ';;;',
  '',
  'application/json, */*;q=0.1',
  '*/json',
  'application/json;charset="a,b", text/plain'
]
const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'APPLICATION/JSON',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'garbage',
  '',
  'application/jsonx',
  'application/vnd.api+json',
  'application/json; charset=latin1'
]
/** In an authorization header, stands for the token of the run's latest login (test/fuzz.test.ts). */
export const SESSION = '{session}'
const AUTHORIZATIONS = [
  `Bearer ${ADMIN_TOKEN}`,
  `Bearer ${SESSION}`,
  `bearer ${ADMIN_TOKEN}`,
  `BEARER   ${ADMIN_TOKEN}`,
  `Bearer ${ADMIN_TOKEN} `,
  ADMIN_TOKEN,
  'Bearer sekrit-bearer-1',
  `Bearer ${TOKEN1}`,
  'Basic c2Vrcml0LWJlYXJlci0xOng=',
  'Bearer',
  'Bearer '
]
/** Header text: printable ASCII, and the Latin-1 bytes Node also takes in a header value (obs-text). */
const headerText = fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((c) => String.fromCharCode(c)), maxLength: 30 })
const ORG_IDS = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(ORG1, ORG2) },
  { weight: 2, arbitrary: fc.constantFrom(ORG1.toUpperCase(), '', ' ', 'org-fuzz', '00000000-0000-4000-8000-000000000009', 'o'.repeat(200), 'o'.repeat(201), 'o'.repeat(10_000)) },
  { weight: 1, arbitrary: headerText }
)
const USER_TOKENS = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(TOKEN1, TOKEN2) }, { weight: 2, arbitrary: fc.constantFrom('', 'sekrit-token-1', SECRETS[3] as string) })

/** A header set: accept, org id and user token, content type, authorization and a few others. */
const headers: fc.Arbitrary<Record<string, string>> = fc
  .record(
    {
      accept: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ACCEPTS) }, { weight: 1, arbitrary: headerText }),
      'x-flynn-n-org-id': ORG_IDS,
      'x-flynn-n-user-token': USER_TOKENS,
      'content-type': fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...CONTENT_TYPES) }, { weight: 1, arbitrary: headerText }),
      authorization: fc.oneof({ weight: 6, arbitrary: fc.constant(`Bearer ${ADMIN_TOKEN}`) }, { weight: 3, arbitrary: fc.constantFrom(...AUTHORIZATIONS) }),
      cookie: fc.constant('session=sekrit-cookie-1'),
      'proxy-authorization': fc.constant('Basic sekrit-proxy-1'),
      'x-http-method-override': fc.constantFrom('DELETE', 'GET'),
      'x-forwarded-for': fc.constantFrom('10.0.0.1', 'garbage')
    },
    { requiredKeys: [] }
  )
  // Most requests carry the demo credentials and the admin token, so they get past the first checks.
  .chain((set) =>
    fc.boolean().map((usual) =>
      usual ? { accept: 'application/json', 'x-flynn-n-org-id': ORG1, 'x-flynn-n-user-token': TOKEN1, authorization: `Bearer ${ADMIN_TOKEN}`, ...set } : set
    )
  )

const HUGE = 'x'.repeat(1_100_000)
const MALFORMED = ['{', '{"a":', '[1,]', 'nul', '"unterminated', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', `${'['.repeat(200)}${']'.repeat(200)}`, '\u0000', '{}garbage', 'a=1&b=2', '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--']
function bodyFor(key: string | undefined): fc.Arbitrary<string | undefined> {
  const documented = (key && requestBodies.get(key)) || anyRequestBody
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 8, arbitrary: documented.map(jsonText) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)) },
    { weight: 2, arbitrary: fc.constantFrom(...MALFORMED) },
    { weight: 1, arbitrary: fc.constantFrom('', `{"a":"${'y'.repeat(1100)}"}`, HUGE) }
  )
}

/** One request: a documented route (most often) or a random path, with a method, headers and maybe a body. */
export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc
  .oneof({ weight: 4, arbitrary: documentedPath }, { weight: 1, arbitrary: randomPath })
  .chain(({ template, path }) =>
    fc.tuple(methodFor(template), bend, headers).chain(([method, how, set]) =>
      fc.tuple(template ? documentedQuery(template, method) : query, bodyFor(template && `${method} ${template}`)).map(([q, payload]) => {
        const request: FuzzRequest = { method, url: shortWait(asSeen(q ? `${bent(path, how)}?${q}` : bent(path, how))), headers: set }
        if (payload !== undefined) request.payload = payload
        return request
      })
    )
  )

/**
 * The usual headers of a request that means to get past authentication, accept and the admin
 * token; on the login routes, mostly the bearer of the run's latest login.
 */
const usualHeaders = (template: string): fc.Arbitrary<Record<string, string>> => fc
  .record(
    {
      accept: fc.oneof({ weight: 8, arbitrary: fc.constant(template.includes('/download/') ? 'application/zip' : 'application/json') }, { weight: 1, arbitrary: fc.constantFrom(...ACCEPTS) }),
      credentials: fc.oneof(
        { weight: 8, arbitrary: fc.constantFrom<string[]>([ORG1, TOKEN1], [ORG2, TOKEN2]) },
        { weight: 1, arbitrary: fc.tuple(ORG_IDS, USER_TOKENS).map((pair): string[] => pair) },
        { weight: 1, arbitrary: fc.constant<string[]>([]) }
      ),
      'content-type': fc.oneof({ weight: 8, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
      authorization: fc.oneof(
        { weight: 8, arbitrary: fc.constant(`Bearer ${template.startsWith('/theodore/') ? SESSION : ADMIN_TOKEN}`) },
        { weight: 1, arbitrary: fc.constantFrom(...AUTHORIZATIONS) }
      )
    },
    { requiredKeys: ['accept', 'credentials', 'content-type', 'authorization'] }
  )
  .map(({ credentials: [org, token], ...set }): Record<string, string> => ({
    ...set,
    ...(org === undefined ? {} : { 'x-flynn-n-org-id': org }),
    ...(token === undefined ? {} : { 'x-flynn-n-user-token': token })
  }))

/**
 * A request that reaches a body: a documented route under one of `prefixes` with its documented
 * method, the usual credentials, its own parameters and a body from its schema (or arbitrary JSON,
 * malformed JSON, another content type).
 */
export function bodyRequest(prefixes: string[]): fc.Arbitrary<FuzzRequest> {
  const templates = TEMPLATES.filter((template) => prefixes.some((prefix) => template.startsWith(prefix)))
  return fc.constantFrom(...templates).chain((template) =>
    fc
      .tuple(
        fc.tuple(...template.split('/').map((part) => (/^\{(.+)\}$/.test(part) ? parameterValue(template, part.slice(1, -1)) : fc.constant(part)))),
        fc.constantFrom(...methodsOf(template)),
        usualHeaders(template)
      )
      .chain(([segments, method, set]) =>
        fc.tuple(documentedQuery(template, method), bodyFor(`${method} ${template}`)).map(([q, payload]) => {
          const path = segments.join('/')
          const request: FuzzRequest = { method, url: shortWait(asSeen(q ? `${path}?${q}` : path)), headers: set }
          if (payload !== undefined) request.payload = payload
          return request
        })
      )
  )
}

/** The demo user's login (§4), which a run may start with so that its refreshes and logouts find a session. */
export const DEMO_LOGIN: FuzzRequest = {
  method: 'POST',
  url: '/theodore/apis/v1/authtokens',
  headers: { 'content-type': 'application/json' },
  payload: JSON.stringify({ handle: 'demo@example.com', handleType: 'email', password: 'demo-password' })
}

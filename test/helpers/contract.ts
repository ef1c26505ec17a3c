/**
 * The contract check: every response a test sees (through `send`, the fetch wrapper or
 * `rawRequest`) is compared with `openapi/openapi.yaml`. The status must be listed for the route
 * and method, the content type listed, a JSON body valid against the schema (Ajv 2020, strict),
 * and every required header present and valid. A violation throws, failing the test that made
 * the request. Each process also records which documented operations it saw; `contract-after.ts`
 * fails the run when one was never called.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import { load } from 'js-yaml'
import { OPENAPI_FILE } from '../../src/routes/openapi.js'
import { routedTarget } from '../../src/routes/lazy-app.js'

type Json = Record<string, unknown>

/** Where each test process writes the operations it saw. */
export const SEEN_DIR = join(process.cwd(), '.tap', 'contract-seen')

/** The parsed OpenAPI document. */
export const document = load(readFileSync(OPENAPI_FILE, 'utf8')) as Json & { paths: Record<string, Json>; components: Json }

const SCHEMAS = 'https://contract.invalid/schemas/'
// Strict, but for strictTypes and strictRequired: the document's allOf parts leave `type: object`
// and `properties` to their siblings.
const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allErrors: true, allowUnionTypes: true })
addFormats.default(ajv)
// OpenAPI's own annotation keywords inside schemas.
ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs'])
for (const [name, schema] of Object.entries((document.components as { schemas: Json }).schemas)) {
  ajv.addSchema(rebase(schema) as object, SCHEMAS + name)
}

/** Follows an OpenAPI `$ref` (`#/components/...`) to the object it names. */
function deref<T>(value: T): T {
  let current = value as unknown as Json
  while (current && typeof current.$ref === 'string') {
    const pointer = (current.$ref as string).replace(/^#\//, '').split('/')
    current = pointer.reduce<Json>((node, key) => node[key.replace(/~1/g, '/').replace(/~0/g, '~')] as Json, document)
  }
  return current as unknown as T
}

/** A copy of a schema whose refs to component schemas point at their registered ids. */
function rebase(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/schemas/', `"${SCHEMAS}`))
}

const validators = new Map<object, ValidateFunction>()
function validatorFor(schema: object): ValidateFunction {
  let validate = validators.get(schema)
  if (!validate) {
    validate = ajv.compile(rebase(schema) as object)
    validators.set(schema, validate)
  }
  return validate
}

/** The documented path template a request path falls under, or undefined. */
export function templateOf(pathname: string): string | undefined {
  const segments = pathname.split('/')
  for (const template of Object.keys(document.paths)) {
    const parts = template.split('/')
    if (parts.length !== segments.length) continue
    // A segment that cannot be percent-decoded matches nothing (rule 1).
    const matches = parts.every((part, i) => {
      try {
        const segment = decodeURIComponent(segments[i] as string)
        return /^\{[^}]+\}$/.test(part) || segment === part
      } catch {
        return false
      }
    })
    if (matches) return template
  }
  return undefined
}

/** Every documented operation, as `METHOD template`. */
export function documentedOperations(): string[] {
  const methods = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options', 'trace']
  return Object.entries(document.paths).flatMap(([template, item]) =>
    methods.filter((m) => m in item).map((m) => `${m.toUpperCase()} ${template}`)
  )
}

const seen = new Set<string>()
process.on('exit', () => {
  if (seen.size === 0) return
  mkdirSync(SEEN_DIR, { recursive: true })
  writeFileSync(join(SEEN_DIR, `${process.pid}.json`), JSON.stringify([...seen]))
})

/** A response as the check sees it. */
export interface CheckedResponse {
  method: string
  url: string
  status: number
  headers: Record<string, string | string[] | number | undefined>
  body: Buffer
}

/** A response that disagrees with the OpenAPI document. */
export class ContractViolation extends Error {
  constructor(response: CheckedResponse, problem: string) {
    super(`contract: ${response.method} ${response.url} answered ${response.status}: ${problem}`)
  }
}

const ROUTE_NOT_FOUND = '{"error":{"message":"err-resource-not-found","type":"ResourceNotFound","args":{}}}'
const ADMIN_UNAUTHORIZED = '{"error":{"message":"err-admin-unauthorized","type":"Authorization","args":{}}}'
/**
 * The control API's scope, where ADMIN_TOKEN is checked before anything else, routing included:
 * paths whose first segment, percent-decoded on its own, is `__admin` (the rest may not decode).
 */
function underAdmin(pathname: string): boolean {
  try {
    return decodeURIComponent(pathname.split('/')[1] as string) === '__admin'
  } catch {
    return false
  }
}
/** Routes that answer 405 to other methods (task, producer and auth routes). */
const METHOD_CHECKED_ROUTE = /^\/(enriched|theodore)\//
/** Paths a custom operation (§13, registered at run time) may serve: under /enriched/, not the tasks API. */
const CUSTOM_OPERATION = /^\/enriched\/(?!tasks\/)/

/**
 * A custom operation's answer, which no path template can describe: a task id in the v1 or v3
 * envelope, an empty HEAD answer, or an error envelope with the task routes' headers.
 */
function checkCustomOperation(response: CheckedResponse, fail: (problem: string) => never): void {
  if (response.headers['cache-control'] !== 'no-store' || response.headers.vary !== 'Accept') fail('a custom operation answered without the task-route headers')
  if (response.method === 'HEAD') return
  const schema = response.status === 200
    ? { anyOf: [{ $ref: '#/components/schemas/TaskCreatedV1' }, { $ref: '#/components/schemas/TaskCreatedV3' }] }
    : { $ref: '#/components/schemas/ErrorEnvelope' }
  const validate = validatorFor(schema)
  if (!validate(JSON.parse(response.body.toString('utf8')))) fail(`custom operation body: ${ajv.errorsText(validate.errors)}`)
}

/**
 * Checks one response against the document.
 * @throws {ContractViolation} naming what disagrees
 */
export function checkResponse(response: CheckedResponse): void {
  const { method, status } = response
  // The path as the router reads it: an absolute target's path, without a fragment.
  const pathname = routedTarget(response.url).path
  const fail = (problem: string): never => {
    throw new ContractViolation(response, problem)
  }
  // Node's own 431 comes before any route and carries nothing of ours.
  if (status === 431) return
  // The router compares paths after percent-decoding (§1).
  let decoded = pathname
  try {
    decoded = decodeURIComponent(pathname)
  } catch {
    // Undecodable: it matches no route, and no pattern below is about it.
  }
  // An error body as answered (HEAD: without its body).
  const answered = (body: string): boolean => response.body.toString() === (method === 'HEAD' ? '' : body)
  const routeNotFound = status === 404 && answered(ROUTE_NOT_FOUND)
  // Behind ADMIN_TOKEN, any path under /__admin answers 401 first, even an unknown one or an
  // undocumented method.
  const adminLocked = underAdmin(pathname) && status === 401 && answered(ADMIN_UNAUTHORIZED)
  const template = templateOf(pathname)
  if (!template) {
    if (adminLocked) return
    if (CUSTOM_OPERATION.test(decoded) && !routeNotFound) return checkCustomOperation(response, fail)
    if (!routeNotFound) fail('an undocumented path that is not the route 404')
    return
  }
  const item = document.paths[template] as Json
  let operation = item[method.toLowerCase()] as Json | undefined
  if (!operation) {
    // Other methods: a task or producer route's 405 (and rule-1 404) is documented on the
    // path's own operation; elsewhere the route 404.
    const own = Object.keys(item).find((m) => ((item[m] as Json).responses as Json | undefined)?.['405'])
    if (METHOD_CHECKED_ROUTE.test(decoded) && (status === 405 || status === 404) && own) operation = item[own] as Json
    else if (routeNotFound || adminLocked) return
    else fail(`${method} is not documented for ${template}`)
  }
  seen.add(`${operation === item[method.toLowerCase()] ? method : (Object.keys(item).find((m) => item[m] === operation) as string).toUpperCase()} ${template}`)
  const responses = (operation as Json).responses as Json
  const documented = deref((responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses.default) as Json | undefined)
  if (!documented) return fail(`status ${status} is not documented for ${method} ${template}`)

  for (const [name, header] of Object.entries((documented.headers ?? {}) as Json)) {
    const spec = deref(header as Json)
    const value = response.headers[name.toLowerCase()]
    if (value === undefined) {
      if (spec.required) fail(`required header ${name} is missing`)
      continue
    }
    if (spec.schema) {
      const schema = deref(spec.schema as Json)
      const typed = schema.type === 'integer' && /^\d+$/.test(String(value)) ? Number(value) : String(value)
      const validate = validatorFor(schema)
      if (!validate(typed)) fail(`header ${name}: ${ajv.errorsText(validate.errors)}`)
    }
  }

  const content = documented.content as Record<string, Json> | undefined
  if (method === 'HEAD' || response.body.length === 0) {
    if (response.body.length > 0) fail('a HEAD answer has a body')
    if (content && method !== 'HEAD' && status !== 204) fail('an empty body where the document promises content')
    return
  }
  if (!content) return fail('a body where the document promises none')
  const contentType = String(response.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() as string
  const media = content[contentType]
  if (!media) return fail(`content type ${contentType || '(none)'} is not documented (${Object.keys(content).join(', ')})`)
  if (contentType.endsWith('json') && media.schema) {
    let body: unknown
    try {
      body = JSON.parse(response.body.toString('utf8'))
    } catch {
      return fail('the body is not JSON')
    }
    const validate = validatorFor(deref(media.schema as Json))
    if (!validate(body)) fail(`body ${response.body.toString('utf8').slice(0, 300)}: ${ajv.errorsText(validate.errors)}`)
  }
}

/** A fetch that checks every complete response against the document before handing it back. */
export function checkedFetch(original: typeof fetch): typeof fetch {
  return async (input, init) => {
    const res = await original(input, init)
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url)
    const headers: Record<string, string> = {}
    res.headers.forEach((value, name) => (headers[name] = value))
    const body = Buffer.from(await res.clone().arrayBuffer())
    // A client may pass a Request (openapi-fetch does): its method, unless init overrides it.
    const method = init?.method ?? (input instanceof Request ? input.method : 'GET')
    checkResponse({ method: method.toUpperCase(), url: url.pathname + url.search, status: res.status, headers, body })
    return res
  }
}

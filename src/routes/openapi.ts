/**
 * The published contract (docs/behaviour.md §18): `GET /openapi.yaml` (the document's exact
 * bytes), `GET /openapi.json` (the same document as JSON) and `GET /documentation`
 * (@fastify/swagger-ui over @fastify/swagger in static mode, an app of its own built on the first
 * request to it: see lazy-app.ts). No auth; read once per process, when first asked for, and
 * shared by every app built after it (tests and embedders build many). `npm run
 * build` parses the document ahead of time (scripts/compile-openapi.mjs, `dist/openapi.json`); when
 * that file is missing or was made from other bytes, js-yaml parses the YAML (a few times faster
 * than `yaml` for this 100 KiB file, which start-up time shows), loaded only then.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { FastifySwaggerUiOptions } from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import type { OpenAPIV3 } from 'openapi-types'
import { PACKAGE_ROOT } from '../package-root.js'
import { innerApp, lazyApp } from './lazy-app.js'

/** Swagger UI's hook on each "Try it out" request (it takes and returns the request). */
type RequestInterceptor = NonNullable<NonNullable<FastifySwaggerUiOptions['uiConfig']>['requestInterceptor']>

/** Where the OpenAPI document lives, in the package's root. */
export const OPENAPI_FILE = join(PACKAGE_ROOT, 'openapi', 'openapi.yaml')

/** The document parsed at build time: `{ sha256, document }` (see {@link parseDocument}). */
export const COMPILED_FILE = join(PACKAGE_ROOT, 'dist', 'openapi.json')

/** The text of the document parsed at build time, or undefined when there is none at `file`. */
export async function readCompiled(file: string): Promise<string | undefined> {
  return readFile(file, 'utf8').catch(() => undefined)
}

/**
 * The document the YAML `bytes` hold: the build's parse when it was made from these very bytes
 * (its SHA-256), else the YAML parsed now.
 * @param compiled the text of {@link COMPILED_FILE}, if any
 */
export async function parseDocument(bytes: Buffer, compiled: string | undefined): Promise<OpenAPIV3.Document> {
  if (compiled !== undefined) {
    const { sha256, document } = JSON.parse(compiled) as { sha256: string; document: OpenAPIV3.Document }
    if (sha256 === createHash('sha256').update(bytes).digest('hex')) return document
  }
  const { load } = await import('js-yaml')
  return load(bytes.toString('utf8')) as OpenAPIV3.Document
}

/** The document's bytes and their parse, once read (see {@link readDocument}). */
let read: Promise<{ bytes: Buffer; document: OpenAPIV3.Document }> | undefined

/** Reads and parses the document on the first call; later calls share that result (read-only). */
function readDocument(): Promise<{ bytes: Buffer; document: OpenAPIV3.Document }> {
  read ??= Promise.all([readFile(OPENAPI_FILE), readCompiled(COMPILED_FILE)]).then(async ([bytes, compiled]) => ({ bytes, document: await parseDocument(bytes, compiled) }))
  return read
}

/**
 * Registers the document's routes and the interactive UI. The document is read on the first request
 * that needs it, not at start-up (a process that never serves it never reads it).
 */
export async function openapiRoutes(app: FastifyInstance): Promise<void> {
  let json: string | undefined
  // HEAD answers as GET without the body (RFC 9110 §9.3.2; Node drops a HEAD answer's body).
  app.route({ method: ['GET', 'HEAD'], url: '/openapi.yaml', handler: async (_request, reply) => reply.type('application/yaml').send((await readDocument()).bytes) })
  app.route({
    method: ['GET', 'HEAD'],
    url: '/openapi.json',
    handler: async (_request, reply) => reply.type('application/json; charset=utf-8').send((json ??= JSON.stringify((await readDocument()).document)))
  })

  // The UI's routes, as @fastify/swagger-ui declares them under /documentation (GET; its files GET and HEAD).
  const ui = lazyApp(app, async () => documentationApp((await readDocument()).document))
  for (const url of ['/documentation', '/documentation/', '/documentation/json', '/documentation/yaml']) app.get(url, ui)
  app.route({ method: ['GET', 'HEAD'], url: '/documentation/static/*', handler: ui })
}

/** The interactive UI over `document`: @fastify/swagger in static mode and @fastify/swagger-ui, at /documentation. */
async function documentationApp(document: OpenAPIV3.Document): Promise<FastifyInstance> {
  const [{ default: swagger }, { default: swaggerUi }] = await Promise.all([import('@fastify/swagger'), import('@fastify/swagger-ui')])
  const ui = innerApp()
  await ui.register(swagger, { mode: 'static', specification: { document } })
  await ui.register(swaggerUi, { routePrefix: '/documentation', uiConfig: { requestInterceptor: acceptInterceptor(document) } })
  await ui.ready()
  return ui
}

/**
 * "Try it out" on `/documentation` sends the media type each operation declares.
 *
 * OpenAPI tooling ignores a header parameter named `accept`, so Swagger UI sends the wildcard accept
 * (any type) unless a person picks a response media type, and the strict accept check (§2 rule 3) answers
 * `406`. This builds a Swagger UI `requestInterceptor` (serialized into the page by
 * @fastify/swagger-ui, so it is built from source text with the table inlined): a request whose
 * `accept` is missing or the wildcard gets the first media type of its operation's `200` answer (a
 * HEAD operation: its GET's). An `accept` a person chose is left alone.
 *
 * @param document the OpenAPI document the UI shows.
 * @returns a function `(request) => request` for the browser.
 */
export function acceptInterceptor(document: OpenAPIV3.Document): RequestInterceptor {
  // A local `$ref` ('#/components/responses/StatusOk') stands for what it points at.
  const resolve = (node: unknown): unknown => {
    const ref = (node as { $ref?: unknown } | undefined)?.$ref
    if (typeof ref !== 'string' || !ref.startsWith('#/')) return node
    return resolve(ref.slice(2).split('/').reduce<unknown>((at, key) => (at as Record<string, unknown> | undefined)?.[key], document))
  }
  const table: Array<[string, string, string]> = []
  for (const [path, item] of Object.entries(document.paths)) {
    const mediaType = (method: string) => {
      const answer = resolve((item as Record<string, OpenAPIV3.OperationObject | undefined>)[method]?.responses?.['200']) as OpenAPIV3.ResponseObject | undefined
      return Object.keys(answer?.content ?? {})[0]
    }
    for (const method of ['get', 'head', 'post', 'put', 'delete']) {
      if (!(item as Record<string, unknown>)[method]) continue
      const type = mediaType(method) ?? (method === 'head' ? mediaType('get') : undefined)
      // A path template's `{name}` matches one segment.
      const pattern = '^' + path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+') + '$'
      if (type) table.push([pattern, method.toUpperCase(), type])
    }
  }
  return new Function('request', `
    var table = ${JSON.stringify(table)};
    var accept = request.headers.accept || request.headers.Accept;
    if (accept && accept !== '*/*') return request;
    var path = new URL(request.url, window.location.href).pathname;
    for (var i = 0; i < table.length; i++) {
      if (table[i][1] === request.method && new RegExp(table[i][0]).test(path)) {
        delete request.headers.Accept;
        request.headers.accept = table[i][2];
        break;
      }
    }
    return request;`) as RequestInterceptor
}

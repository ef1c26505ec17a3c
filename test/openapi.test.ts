import { readFileSync } from 'node:fs'
import t from 'tap'
import { JSON_SCHEMA, load } from 'js-yaml'
import { Validator } from '@seriousme/openapi-schema-validator'
import { ERRORS, errorBody, type ErrorCode } from '../src/errors.js'
import { acceptInterceptor, COMPILED_FILE, OPENAPI_FILE, parseDocument, readCompiled } from '../src/routes/openapi.js'
import { document, templateOf } from './helpers/contract.js'
import { listen, makeApp, TASK } from './helpers/app.js'
import { rawRequest } from './helpers/http.js'

t.test('GET /openapi.yaml answers the document\'s exact bytes', async (t) => {
  const { send } = await makeApp(t)
  const res = await send({ url: '/openapi.yaml' })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'application/yaml')
  t.ok(res.rawPayload.equals(readFileSync(OPENAPI_FILE)), 'byte for byte')
})

t.test('GET /openapi.json answers the same document as JSON', async (t) => {
  const { send } = await makeApp(t)
  const res = await send({ url: '/openapi.json' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^application\/json/)
  t.same(res.json(), document)
})

t.test('GET /documentation serves the interactive UI, its assets included', async (t) => {
  const { send } = await makeApp(t)
  const res = await send({ url: '/documentation' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/html/)
  t.match(res.body, /swagger/i)
  const asset = await send({ url: '/documentation/static/swagger-initializer.js' })
  t.equal(asset.statusCode, 200)
  t.match(asset.body, /requestInterceptor/, 'the page sends each operation\'s declared accept')
  const head = await send({ method: 'HEAD', url: '/documentation/static/swagger-ui.css' })
  t.equal(head.statusCode, 200)
  t.match(head.headers['content-type'], /^text\/css/)
  const index = await send({ url: '/documentation/static/index.html' })
  t.equal(index.statusCode, 302)
  t.equal(index.headers.location, '/documentation/')
  const target = await send({ url: '/documentation/' })
  t.equal(target.statusCode, 200, 'where index.html redirects: the page')
  t.match(target.body, /swagger/i)
  const missing = await send({ url: '/documentation/static/nope.js' })
  t.equal(missing.statusCode, 404)
  t.same(missing.json(), { error: { message: 'err-resource-not-found', type: 'ResourceNotFound', args: {} } })
})

t.test('a non-canonical path under /documentation/static/ matches no route: the route 404, not a 500', async (t) => {
  const { send, app } = await makeApp(t)
  for (const url of ['/documentation/static//favicon-32x32.png', '/documentation/static//index.html']) {
    const res = await send({ url })
    t.same([res.statusCode, res.json()], [404, { error: { message: 'err-resource-not-found', type: 'ResourceNotFound', args: {} } }], url)
  }
  const port = await listen(app, t)
  // As sent, these name no file; a URL parser would make some of them name one.
  for (const path of ['/documentation/static/./favicon-32x32.png', '/documentation/static/%2e/favicon-32x32.png', '/documentation/static/x/../favicon-32x32.png', '/documentation/static/x\\..\\favicon-32x32.png', '/console/x/../console.js']) {
    const res = await rawRequest(port, `GET ${path} HTTP/1.1`)
    t.same([res.status, JSON.parse(res.body)], [404, { error: { message: 'err-resource-not-found', type: 'ResourceNotFound', args: {} } }], path)
  }
})

t.test('the page loads the document from /documentation/json and /documentation/yaml', async (t) => {
  const { send } = await makeApp(t)
  const json = await send({ url: '/documentation/json' })
  t.equal(json.statusCode, 200)
  t.same(json.json(), document)
  const yaml = await send({ url: '/documentation/yaml' })
  t.equal(yaml.statusCode, 200)
  t.equal(yaml.headers['content-type'], 'application/x-yaml')
  // YAML 1.2's JSON schema: its writer leaves date-like strings unquoted.
  t.same(load(yaml.body, { schema: JSON_SCHEMA }), document)
})

t.test('"Try it out" sends the media type each operation declares (the accept check is strict)', async (t) => {
  const interceptor = acceptInterceptor(document as never) as unknown as (request: { url: string, method: string, headers: Record<string, string> }) => { headers: Record<string, string> }
  const base = 'http://127.0.0.1:8080'
  ;(globalThis as { window?: unknown }).window = { location: { href: `${base}/documentation` } }
  t.teardown(() => { delete (globalThis as { window?: unknown }).window })
  const accept = (method: string, path: string, headers: Record<string, string> = { accept: '*/*' }) => interceptor({ url: base + path, method, headers }).headers.accept
  t.equal(accept('GET', `/enriched/tasks/v1.0/status/${TASK.returns}`), 'application/json')
  t.equal(accept('HEAD', `/enriched/tasks/v1.0/status/${TASK.returns}`), 'application/json', 'HEAD: its GET\'s media type')
  t.equal(accept('GET', `/enriched/tasks/v1.0/download/${TASK.returns}`), 'application/zip')
  t.equal(accept('GET', `/enriched/tasks/v1.0/result/${TASK.returns}/page/0`), 'application/json')
  t.equal(accept('POST', '/enriched/einv/v1.0/ni1/invoices', {}), 'application/json', 'no accept at all')
  t.equal(accept('GET', `/enriched/tasks/v1.0/download/${TASK.returns}`, { accept: 'application/json' }), 'application/json', 'a chosen media type is kept')
  t.equal(accept('GET', '/not/documented'), '*/*')
})

t.test('the document is valid OpenAPI 3.1', async (t) => {
  const validator = new Validator()
  const result = await validator.validate(OPENAPI_FILE)
  t.same(result.errors ?? [], [])
  t.equal(result.valid, true)
  t.equal(validator.version, '3.1')
})

t.test('every route the server answers is in the document', async (t) => {
  const { app } = await makeApp(t)
  const placeholder = (url: string) => url.replace(/:[^/]+|\{[^}]+\}/g, '{}')
  const documented = new Set(Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item).filter((k) => ['get', 'head', 'post', 'put', 'delete'].includes(k)).map((m) => `${m.toUpperCase()} ${placeholder(path)}`)))
  const undocumented: string[] = []
  for (const route of app.routeList) {
    // The dispatcher of custom operations, registered at run time: no fixed path to document.
    if (route.url === '/enriched/*') continue
    // A route at a fixed file under a documented template (`/documentation/static/index.html`
    // under `/documentation/static/{file}`), or a wildcard route (`static/*`), is that template.
    const url = templateOf(route.url.replace(/\*$/, 'any')) ?? route.url
    for (const method of route.methods) {
      const key = `${method} ${placeholder(url)}`
      if (!documented.has(key)) undocumented.push(key)
    }
  }
  t.same(undocumented, [])
  t.ok(app.routeList.length > 20, `${app.routeList.length} routes compared`)
  t.equal(templateOf('/enriched/tasks/v1.0/status/%zz'), undefined, 'an undecodable segment matches no route')
})

/** Every example value in the document, by name. */
const examples = (document.components as { examples: Record<string, { value: unknown }> }).examples

t.test('every error code has a named example holding its exact body', async (t) => {
  for (const code of Object.keys(ERRORS) as ErrorCode[]) {
    const example = examples[code]
    t.ok(example, `example ${code}`)
    const value = example?.value as ReturnType<typeof errorBody>
    t.same({ message: value?.error.message, type: value?.error.type }, { message: code, type: ERRORS[code].type }, code)
  }
})

t.test('the document parsed at build time is used only when made from the same bytes; else the YAML is parsed', async (t) => {
  const bytes = readFileSync(OPENAPI_FILE)
  const compiled = await readCompiled(COMPILED_FILE)
  t.type(compiled, 'string', 'npm run build wrote it')
  t.same(await parseDocument(bytes, compiled), document)
  const stale = JSON.stringify({ sha256: 'other bytes', document: { openapi: '3.0.3' } })
  t.same(await parseDocument(bytes, stale), document, 'a stale parse is ignored')
  t.same(await parseDocument(bytes, undefined), document, 'no parse at all')
  t.equal(await readCompiled(`${COMPILED_FILE}.missing`), undefined)
})

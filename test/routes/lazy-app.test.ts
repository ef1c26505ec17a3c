// src/routes/lazy-app.ts: an app of its own, built on the first request to its routes, answering
// through inject. The documentation UI and the console are its users (test/openapi.test.ts,
// test/console.test.ts); this checks what they do not show: when it is built, a failed build, the
// headers it forwards and keeps back, and that it is closed with the app.
import Fastify from 'fastify'
import t from 'tap'
import { errors } from '../../src/plugins/errors.js'
import { innerApp, lazyApp, routedTarget } from '../../src/routes/lazy-app.js'
import { errorOf, listen, NOT_FOUND, type Teardown } from '../helpers/app.js'
import { rawRequest } from '../helpers/http.js'

/** An outer app whose GET and HEAD `/files/*` answer from an inner app made by `build`. */
async function outerApp(t: Teardown, build: () => Promise<ReturnType<typeof innerApp>>) {
  const app = Fastify({ logger: false })
  await app.register(errors)
  app.route({ method: ['GET', 'HEAD'], url: '/files/*', handler: lazyApp(app, build) })
  await app.ready()
  t.teardown(() => app.close())
  return app
}

t.test('built on the first request, once; its answer forwarded as it is, but for its connection headers', async (t) => {
  let builds = 0
  let inner: ReturnType<typeof innerApp> | undefined
  const app = await outerApp(t, async () => {
    builds++
    inner = innerApp()
    inner.get('/files/a', async (request, reply) => reply.code(203).header('etag', '"1"').header('connection', 'close').header('x-range', String(request.headers.range)).send('a'))
    inner.head('/files/a', async (_request, reply) => reply.header('content-length', '1').send())
    await inner.ready()
    return inner
  })
  t.equal(builds, 0, 'not built at start-up')
  const res = await app.inject({ url: '/files/a?x=1', headers: { range: 'bytes=0-0' } })
  t.same([res.statusCode, res.headers.etag, res.headers['x-range'], res.headers.connection, res.body], [203, '"1"', 'undefined', 'keep-alive', 'a'], 'no Range sent on; its own connection header kept back')
  const head = await app.inject({ method: 'HEAD', url: '/files/a' })
  t.same([head.statusCode, head.headers['content-length'], head.body], [200, '1', ''], 'HEAD: the inner length, no body')
  t.equal(builds, 1, 'built once')
  await app.close()
  t.equal((inner?.server as { listening?: boolean } | undefined)?.listening, false)
  await t.rejects(inner!.inject({ url: '/files/a' }), 'closed with the outer app')
})

t.test('the inner 404 and 403 are the route 404; a path the inner app would read otherwise is too', async (t) => {
  const app = await outerApp(t, async () => {
    const inner = innerApp()
    inner.get('/files/secret', async (_request, reply) => reply.code(403).send('no'))
    inner.get('/files/b', async () => 'b')
    await inner.ready()
    return inner
  })
  for (const url of ['/files/none', '/files/secret']) {
    const res = await app.inject({ url })
    t.same([res.statusCode, res.json()], [404, NOT_FOUND], url)
  }
  t.equal((await app.inject({ url: '/files/b' })).body, 'b')
  // inject would read these as /files/b before the app saw them: sent over a socket, as they are.
  const port = await listen(app, t)
  for (const url of ['/files/x/../b', '/files/./b', '/files/%2E/b', '/files/x\\..\\b']) {
    const res = await rawRequest(port, `GET ${url} HTTP/1.1`)
    t.same([res.status, JSON.parse(res.body)], [404, NOT_FOUND], url)
  }
})

t.test('a build that fails fails that request, and the next request builds again', async (t) => {
  let builds = 0
  const app = await outerApp(t, async () => {
    if (++builds === 1) throw new Error('first build fails')
    const inner = innerApp()
    inner.get('/files/c', async () => 'c')
    await inner.ready()
    return inner
  })
  const failed = await app.inject({ url: '/files/c' })
  t.same([failed.statusCode, failed.json()], [500, errorOf('err-internal-server-error', 'Runtime')])
  const res = await app.inject({ url: '/files/c' })
  t.same([res.statusCode, res.body, builds], [200, 'c', 2])
})

t.test('closing before any request, or after a build that failed, closes nothing', async (t) => {
  const never = Fastify({ logger: false })
  never.get('/files/*', lazyApp(never, async () => {
    throw new Error('never built')
  }))
  await never.ready()
  await never.close()
  const failed = Fastify({ logger: false })
  failed.get('/files/*', lazyApp(failed, async () => {
    throw new Error('fails')
  }))
  t.equal((await failed.inject({ url: '/files/x' })).statusCode, 500)
  await failed.close()
  t.pass('closed')
})

t.test('routedTarget: the path and query as the router reads a request target', async (t) => {
  const cases: Array<[string, { path: string; query: string }]> = [
    ['/console', { path: '/console', query: '' }],
    ['/console?v=1#x', { path: '/console', query: '?v=1' }],
    ['/console#x?v=1', { path: '/console', query: '' }],
    ['http://127.0.0.1:8080/documentation/json?x', { path: '/documentation/json', query: '?x' }],
    ['HTTPS://h/console', { path: '/console', query: '' }],
    ['http://h', { path: 'http://h', query: '' }]
  ]
  for (const [url, target] of cases) t.same(routedTarget(url), target, url)
})

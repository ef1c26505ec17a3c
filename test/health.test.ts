import t from 'tap'
import { makeApp } from './helpers/app.js'

t.test('GET /healthz answers 200 while the process serves', async (t) => {
  const { send } = await makeApp(t)
  const res = await send({ url: '/healthz' })
  t.same([res.statusCode, res.json()], [200, { status: 'ok' }])
  t.match(res.headers['content-type'], /^application\/json/)
})

t.test('GET /readyz: ready once started, 503 shutting-down once closing begins', async (t) => {
  const { send, app } = await makeApp(t)
  const res = await send({ url: '/readyz' })
  t.same([res.statusCode, res.json()], [200, { status: 'ready' }])
  app.mock.ready = false
  const closing = await send({ url: '/readyz' })
  t.same([closing.statusCode, closing.json()], [503, { status: 'shutting-down' }])
  app.mock.ready = true
  await app.close()
  t.equal(app.mock.ready, false, 'closing the app marks it not ready')
})

t.test('HEAD on /healthz, /readyz and the document answers as GET without the body (RFC 9110 §9.3.2)', async (t) => {
  const { send, app } = await makeApp(t)
  for (const url of ['/healthz', '/readyz', '/openapi.yaml', '/openapi.json']) {
    const [get, head] = [await send({ url }), await send({ method: 'HEAD', url })]
    t.same([head.statusCode, head.body, head.headers['content-type']], [200, '', get.headers['content-type']], `HEAD ${url}`)
  }
  app.mock.ready = false
  const closing = await send({ method: 'HEAD', url: '/readyz' })
  t.same([closing.statusCode, closing.body], [503, ''], 'HEAD /readyz while shutting down')
  app.mock.ready = true
})

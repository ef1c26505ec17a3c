import t from 'tap'
import { makeApp } from './helpers/app.js'

t.test('GET /healthz answers 200 while the process serves', async (t) => {
  const { send } = await makeApp()
  const res = await send({ url: '/healthz' })
  t.same([res.statusCode, res.json()], [200, { status: 'ok' }])
  t.match(res.headers['content-type'], /^application\/json/)
})

t.test('GET /readyz: ready once started, 503 shutting-down once closing begins', async (t) => {
  const { send, app } = await makeApp()
  const res = await send({ url: '/readyz' })
  t.same([res.statusCode, res.json()], [200, { status: 'ready' }])
  app.mock.ready = false
  const closing = await send({ url: '/readyz' })
  t.same([closing.statusCode, closing.json()], [503, { status: 'shutting-down' }])
  app.mock.ready = true
  await app.close()
  t.equal(app.mock.ready, false, 'closing the app marks it not ready')
})

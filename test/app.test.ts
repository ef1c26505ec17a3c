// src/app.ts: Fastify's schema compilers, loaded on first use. No route of the app declares a
// schema; a route that does (an embedder's, on a Fastify of its own with these compilers) is
// validated and serialized as with Fastify's defaults.
import Fastify from 'fastify'
import t from 'tap'
import { lazyCompilers } from '../src/app.js'

t.test('a route with a schema is checked and serialized by Fastify\'s own compilers, loaded on first use', async (t) => {
  const app = Fastify({ logger: false, schemaController: { compilersFactory: lazyCompilers } })
  t.teardown(() => app.close())
  app.post('/echo', {
    schema: {
      body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } },
      response: { 200: { type: 'object', properties: { n: { type: 'integer' } } } }
    }
  }, async (request) => ({ ...(request.body as object), extra: 'dropped by the serializer' }))
  const ok = await app.inject({ method: 'POST', url: '/echo', payload: { n: 1 } })
  t.same([ok.statusCode, ok.body], [200, '{"n":1}'])
  const bad = await app.inject({ method: 'POST', url: '/echo', payload: { n: 'x' } })
  t.equal(bad.statusCode, 400)
  t.match(bad.json(), { code: 'FST_ERR_VALIDATION', message: 'body/n must be integer' })
})

import t from 'tap'
import { RequestLogController } from '../src/logging.js'
import { makeApp, AUTH1, JSON_ACCEPT, path, TASK } from './helpers/app.js'

/** A pino-like destination that keeps each JSON line. */
function sink() {
  const lines: Array<Record<string, unknown>> = []
  return { lines, stream: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } }
}

t.test('one log line per request, with the X-CALL-ID, method, route, status and time; no secrets', async (t) => {
  const { lines, stream } = sink()
  const { send } = await makeApp(t, {}, { logger: { level: 'info', stream } })
  const res = await send({ url: path.status(TASK.returns), headers: { ...AUTH1, ...JSON_ACCEPT, authorization: 'Bearer x' } })
  t.equal(lines.length, 1)
  t.match(lines[0], {
    level: 30, msg: 'request completed', callId: res.headers['x-call-id'], method: 'GET',
    route: '/enriched/tasks/:version/status/:taskId', url: path.status(TASK.returns), statusCode: 200, responseTimeMs: Number
  })
  t.notMatch(JSON.stringify(lines), /demo-token|Bearer x/)
})

t.test('a method a route does not serve is logged with that route, as the route answers it (405, or its 404 first)', async (t) => {
  const { lines, stream } = sink()
  const { send } = await makeApp(t, {}, { logger: { level: 'info', stream } })
  const asked: Array<[string, string, number, string]> = [
    ['PROPFIND', path.status(TASK.returns), 405, '/enriched/tasks/:version/status/:taskId'],
    ['POST', path.status(TASK.returns, 'v2.0'), 404, '/enriched/tasks/:version/status/:taskId'],
    ['GET', '/enriched/gcs/v1.0/generate', 405, '/enriched/gcs/:version/generate'],
    ['DELETE', '/theodore/apis/v1/logout', 405, '/theodore/apis/v1/logout']
  ]
  for (const [method, url, status] of asked) t.equal((await send({ method: method as 'GET', url })).statusCode, status, `${method} ${url}`)
  t.same(lines.map((line) => [line.method, line.url, line.statusCode, line.route]), asked)
})

t.test('a request that ends in an error is logged at error level', async (t) => {
  const logged: Array<[string, Record<string, unknown>, string]> = []
  const log = (level: string) => (obj: Record<string, unknown>, msg: string) => void logged.push([level, obj, msg])
  const controller = new RequestLogController()
  controller.incomingRequest()
  const request = { method: 'GET', url: '/x', routeOptions: { url: undefined } }
  const reply = { statusCode: 500, elapsedTime: 1.234, log: { info: log('info'), error: log('error') } }
  const error = new Error('boom')
  controller.requestCompleted(error, request as never, reply as never)
  controller.requestCompleted(null, request as never, reply as never)
  t.same(logged, [
    ['error', { method: 'GET', route: undefined, url: '/x', statusCode: 500, responseTimeMs: 1.23, err: error }, 'request errored'],
    ['info', { method: 'GET', route: undefined, url: '/x', statusCode: 500, responseTimeMs: 1.23 }, 'request completed']
  ])
})

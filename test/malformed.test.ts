/**
 * Requests that are wrong before any rule of the contract: refused by Node's parser, sent with a
 * method Node routes elsewhere (CONNECT), or aimed at no route with a body that cannot be parsed.
 */
import t from 'tap'
import { AUTH1, errorOf, listen, makeApp, NOT_FOUND, path, TASK } from './helpers/app.js'
import { rawExchange, rawRequest } from './helpers/http.js'

async function listening(t: Parameters<typeof listen>[1]) {
  const test = await makeApp(t)
  return { ...test, port: await listen(test.app, t) }
}

t.test('requests Node refuses get its bare answer: status line, Connection: close, no body', async (t) => {
  const { port } = await listening(t)
  const cases: Array<[string, string, string]> = [
    ['lowercase method', 'get /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['no leading slash', 'GET healthz HTTP/1.1\r\nHost: x\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['Content-Length with Transfer-Encoding', 'POST /__admin/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'HTTP/1.1 400 Bad Request'],
    ['bad chunk size', 'POST /__admin/tasks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', 'HTTP/1.1 400 Bad Request'],
    ['headers over 16 KiB', `GET /healthz HTTP/1.1\r\nHost: x\r\nx-big: ${'b'.repeat(17_000)}\r\n\r\n`, 'HTTP/1.1 431 Request Header Fields Too Large']
  ]
  for (const [name, bytes, statusLine] of cases) {
    t.equal(await rawExchange(port, bytes), `${statusLine}\r\nConnection: close\r\n\r\n`, name)
  }
  t.equal((await rawRequest(port, 'GET /healthz HTTP/1.1')).status, 200, 'the server goes on')
})

t.test('CONNECT on a task route gets the 405 of rule 1; elsewhere the route 404', async (t) => {
  const { port } = await listening(t)
  const task = await rawRequest(port, `CONNECT ${path.status(TASK.returns)} HTTP/1.1`)
  t.equal(task.status, 405)
  t.equal(task.headers.allow, 'GET, HEAD')
  t.equal(task.headers.connection, 'close')
  t.same(JSON.parse(task.body), errorOf('err-method-not-allowed', 'ClientRequest'))
  const other = await rawRequest(port, 'CONNECT /elsewhere HTTP/1.1')
  t.same([other.status, JSON.parse(other.body)], [404, NOT_FOUND])
})

t.test('a path that matches no route answers 404 before its body is parsed', async (t) => {
  const { send } = await makeApp(t, { maxBodySize: 1024 })
  const cases: Array<[string, string, Record<string, string>, string]> = [
    ['POST', '/nope', { 'content-type': 'application/json' }, '{x'],
    ['POST', '/healthz', { 'content-type': 'application/json' }, '{"__proto__":{}}'],
    ['PUT', `${path.status(TASK.returns)}/`, { 'content-type': 'application/json' }, '{x'],
    ['POST', '/nope', { 'content-type': 'application/json' }, 'x'.repeat(5000)],
    ['POST', '/nope', { 'content-type': 'text/xml' }, '<x'],
    ['POST', '/__adminx', { 'content-type': 'application/json' }, '{x']
  ]
  for (const [method, url, headers, payload] of cases) {
    const res = await send({ method: method as 'POST', url, headers, payload })
    t.same([res.statusCode, res.json()], [404, NOT_FOUND], `${method} ${url}`)
  }
})

t.test('a status read whose client left before the answer is not a poll', async (t) => {
  const { port, send } = await listening(t)
  const created = await send({ method: 'POST', url: '/__admin/tasks', headers: { 'content-type': 'application/json' }, payload: { timeline: [{ status: 'processing', polls: 1 }] } })
  const id = (created.json() as { task: { id: string } }).task.id
  await send({ method: 'POST', url: '/__admin/faults', headers: { 'content-type': 'application/json' }, payload: { route: 'status', taskId: id, delayMs: 300 } })
  const controller = new AbortController()
  const gone = fetch(`http://127.0.0.1:${port}${path.status(id)}`, { headers: { ...AUTH1, accept: 'application/json' }, signal: controller.signal }).catch(() => 'aborted')
  setTimeout(() => controller.abort(), 50)
  t.equal(await gone, 'aborted')
  await new Promise((r) => setTimeout(r, 400))
  const view = (await send({ url: `/__admin/tasks/${id}` })).json() as { task: { polls: number; status: string } }
  t.same([view.task.polls, view.task.status], [0, 'processing'], 'not counted')
  const read = await send({ url: path.status(id), headers: { ...AUTH1, accept: 'application/json' } })
  t.same(read.json(), { data: { task: { id, status: 'processing' } } }, 'the next read is the first poll')
})

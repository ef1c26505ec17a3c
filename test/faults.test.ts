import { request } from 'node:http'
import t from 'tap'
import { FaultStore } from '../src/faults.js'
import { AUTH1, errorOf, JSON_ACCEPT, listen, makeApp, ORG1, path, TASK, UUID_RE, ZIP_ACCEPT, until } from './helpers/app.js'

const json = { 'content-type': 'application/json' }
const headers = { ...AUTH1, ...JSON_ACCEPT }

t.test('fault specs are validated', async (t) => {
  const store = new FaultStore()
  const cases: Array<[unknown, string, string]> = [
    [{}, '', "must have required property 'route'"],
    [{ route: 'x', delayMs: 1 }, '/route', 'must be status, download, result, page, * or the name of an operation'],
    [{ route: '*' }, '', 'must have delayMs, respond or drop'],
    [{ route: '*', respond: { status: 404 } }, '/respond/status', 'must be equal to one of the allowed values'],
    [{ route: '*', respond: { status: 503 }, drop: 'before-response' }, '/drop', 'must not be given with respond'],
    [{ route: 'status', drop: 'mid-download' }, '/drop', 'mid-download applies to the download route only'],
    [{ route: '*', times: 0, delayMs: 1 }, '/times', 'must be >= 1'],
    [{ route: '*', taskId: 'x', delayMs: 1 }, '/taskId', 'must match pattern "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"']
  ]
  for (const [spec, path, message] of cases) {
    t.throws(() => store.add(spec), { code: 'ERR_INVALID_SPEC', details: [{ path, message }] }, JSON.stringify(spec))
  }
})

t.test('faults are scoped, consumed after times uses, first added first', async (t) => {
  const store = new FaultStore()
  const a = store.add({ route: 'status', taskId: TASK.returns.toUpperCase(), times: 2, delayMs: 1 })
  const b = store.add({ route: '*', respond: { status: 503 } })
  t.equal(a.taskId, TASK.returns, 'task id stored in lower case')
  t.equal(store.take('status', TASK.returns, ORG1)?.id, a.id)
  t.equal(store.take('status', TASK.einvoices, ORG1)?.id, b.id, 'another task: the wildcard fault')
  t.equal(store.take('status', TASK.returns.toUpperCase(), ORG1)?.times, 0, 'second and last use')
  t.equal(store.take('status', TASK.returns, ORG1), undefined, 'all used up')
  const c = store.add({ route: '*', drop: 'mid-download' })
  t.equal(store.take('status', TASK.returns, ORG1), undefined, 'mid-download applies to downloads only')
  t.equal(store.take('download', TASK.returns, ORG1)?.id, c.id)
  store.add({ route: 'page', delayMs: 5 })
  t.equal(store.list().length, 1)
  store.clear()
  t.same(store.list(), [])
})

t.test('POST, GET and DELETE /__admin/faults', async (t) => {
  const { send } = await makeApp(t)
  const res = await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'status', respond: { status: 429, retryAfter: 7 } } })
  t.equal(res.statusCode, 201)
  const { fault } = res.json() as { fault: { id: string } }
  t.match(fault.id, UUID_RE)
  t.same(fault, { id: fault.id, route: 'status', respond: { status: 429, retryAfter: 7 }, times: 1 })
  t.same((await send({ url: '/__admin/faults' })).json(), { faults: [fault] })
  const bad = await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'status' } })
  t.same([bad.statusCode, bad.json()], [400, errorOf('err-invalid-request', 'ClientRequest', { details: [{ path: '', message: 'must have delayMs, respond or drop' }] })])
  t.equal((await send({ method: 'DELETE', url: '/__admin/faults' })).statusCode, 204)
  t.same((await send({ url: '/__admin/faults' })).json(), { faults: [] })
})

t.test('respond faults answer the error envelope with Retry-After, before auth, without counting a poll', async (t) => {
  const { send, app } = await makeApp(t)
  const cases: Array<[number, string, string, number | undefined]> = [
    [429, 'err-too-many-requests', 'ClientRequest', 30],
    [500, 'err-internal-server-error', 'Runtime', undefined],
    [502, 'err-bad-gateway', 'Runtime', 0],
    [503, 'err-service-unavailable', 'Runtime', 120]
  ]
  const before = (await app.mock.store.tasks.find(TASK.processing))?.polls
  for (const [status, message, type, retryAfter] of cases) {
    await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'status', taskId: TASK.processing, respond: { status, retryAfter } } })
    const res = await send({ url: path.status(TASK.processing), headers: JSON_ACCEPT })
    t.equal(res.statusCode, status, `${status}, even without credentials`)
    t.same(res.json(), errorOf(message, type), String(status))
    t.equal(res.headers['retry-after'], retryAfter === undefined ? undefined : String(retryAfter))
    t.equal(res.headers.vary, 'Accept')
    t.equal(res.headers['cache-control'], 'no-store')
    t.match(res.headers['x-call-id'], UUID_RE)
  }
  t.equal((await app.mock.store.tasks.find(TASK.processing))?.polls, before, 'no poll counted')
  const after = await send({ url: path.status(TASK.processing), headers })
  t.equal(after.statusCode, 200, 'faults used up: normal answers again')
})

t.test('faults scope: route and task; times; no fault on 404/405 of rule 1', async (t) => {
  const { send } = await makeApp(t)
  await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'result', taskId: TASK.returns, times: 2, respond: { status: 503 } } })
  t.equal((await send({ url: path.status(TASK.returns), headers })).statusCode, 200, 'another route')
  t.equal((await send({ url: path.result(TASK.cancellation), headers })).statusCode, 200, 'another task')
  t.equal((await send({ method: 'POST', url: path.result(TASK.returns) })).statusCode, 405, 'routing comes first')
  t.equal((await send({ url: path.result(TASK.returns, 'v2'), headers })).statusCode, 404)
  t.equal((await send({ url: path.result(TASK.returns.toUpperCase()), headers })).statusCode, 503, 'task id in any case')
  t.equal((await send({ url: path.result(TASK.returns), headers })).statusCode, 503)
  t.equal((await send({ url: path.result(TASK.returns), headers })).statusCode, 200, 'used up after times')
  await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'page', respond: { status: 500 } } })
  t.equal((await send({ url: path.page(TASK.returns, 0), headers })).statusCode, 500, 'page route')
})

t.test('a delay fault waits, then answers normally', async (t) => {
  const { send } = await makeApp(t)
  await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'status', delayMs: 150 } })
  const started = performance.now()
  const res = await send({ url: path.status(TASK.returns), headers })
  t.equal(res.statusCode, 200)
  t.ok(performance.now() - started >= 140, 'delayed')
})

/** GETs a task route over a real socket; resolves with what the client saw. */
function get(port: number, url: string, accept: string): Promise<{ status?: number; bytes: number; error?: string; complete: boolean }> {
  return new Promise((resolve) => {
    const req = request({ port, host: '127.0.0.1', path: url, headers: { ...AUTH1, accept } }, (res) => {
      let bytes = 0
      res.on('data', (c: Buffer) => (bytes += c.length))
      res.on('end', () => resolve({ status: res.statusCode, bytes, complete: res.complete }))
      res.on('error', (e) => resolve({ status: res.statusCode, bytes, error: (e as NodeJS.ErrnoException).code ?? e.message, complete: res.complete }))
      res.on('aborted', () => resolve({ status: res.statusCode, bytes, error: 'aborted', complete: false }))
    })
    req.on('error', (e) => resolve({ bytes: 0, error: (e as NodeJS.ErrnoException).code ?? e.message, complete: false }))
    req.end()
  })
}

t.test('drop faults over a real socket: before the response, and in the middle of a zip', async (t) => {
  const { app, send } = await makeApp(t)
  const port = await listen(app, t)

  await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'status', drop: 'before-response' } })
  const dropped = await get(port, path.status(TASK.returns), 'application/json')
  t.equal(dropped.status, undefined, 'no answer at all')
  t.equal(dropped.error, 'ECONNRESET')

  const whole = await get(port, path.download(TASK.einvoices), 'application/zip')
  t.same([whole.status, whole.complete], [200, true])
  await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'download', drop: 'mid-download' } })
  const cut = await get(port, path.download(TASK.einvoices), 'application/zip')
  t.equal(cut.status, 200, 'the download started')
  t.ok(cut.bytes > 0 && cut.bytes < whole.bytes, `truncated body: ${cut.bytes} of ${whole.bytes} bytes`)
  t.equal(cut.complete, false)
  await until(() => app.mock.downloads.size === 0)
  t.equal(app.mock.downloads.size, 0, 'the cut archive is released')

  const ok = await get(port, path.status(TASK.returns), 'application/json')
  t.same([ok.status, ok.complete], [200, true], 'the server answers as usual afterwards')
  const journal = (await send({ url: '/__admin/requests' })).json() as { requests: Array<{ status: number; url: string }> }
  t.same(journal.requests.map((r) => r.status), [0, 200, 200, 200], 'a dropped request is journalled with status 0')

  // A zip of many chunks is cut as well.
  const big = await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { timeline: [], generate: { pages: 300, itemsPerPage: 50 } } })
  const bigId = (big.json() as { task: { id: string } }).task.id
  const bigWhole = await get(port, path.download(bigId), 'application/zip')
  await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'download', taskId: bigId, drop: 'mid-download' } })
  const bigCut = await get(port, path.download(bigId), 'application/zip')
  t.ok(bigCut.bytes > 0 && bigCut.bytes < bigWhole.bytes / 2, `truncated: ${bigCut.bytes} of ${bigWhole.bytes} bytes`)
  t.equal(bigCut.complete, false)
  await until(() => app.mock.downloads.size === 0)
  t.equal(app.mock.downloads.size, 0)
})

t.test('MAX_FAULTS faults are held, all orgs together; one more answers 507 err-store-full (§10)', async (t) => {
  const { send } = await makeApp(t, { maxFaults: 3 })
  const add = (org?: string) => send({ method: 'POST', url: '/__admin/faults', headers: { ...json, ...(org ? { 'x-flynn-n-org-id': org } : {}) }, payload: JSON.stringify({ route: 'status', delayMs: 1 }) })
  t.same([(await add()).statusCode, (await add(ORG1)).statusCode, (await add('org-2')).statusCode], [201, 201, 201])
  for (const org of [undefined, ORG1, 'org-3']) {
    const full = await add(org)
    t.same([full.statusCode, full.json()], [507, errorOf('err-store-full', 'Runtime')], `full for ${org ?? 'the global namespace'}`)
  }
  const invalid = await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: '{}' })
  t.equal(invalid.statusCode, 400, 'a bad spec is still a 400 when full')
  t.equal((await send({ url: '/__admin/faults' })).json().faults.length, 3)
  // Clearing one org's faults frees their places.
  t.equal((await send({ method: 'DELETE', url: '/__admin/faults', headers: { 'x-flynn-n-org-id': ORG1 } })).statusCode, 204)
  t.equal((await add('org-3')).statusCode, 201)
  t.equal((await add()).statusCode, 507)
  // A fault used up frees its place too.
  await send({ method: 'DELETE', url: '/__admin/faults' })
  await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: JSON.stringify({ route: 'status', respond: { status: 503 } }) })
  await add()
  await add()
  t.equal((await add()).statusCode, 507)
  t.equal((await send({ url: path.status(TASK.returns), headers })).statusCode, 503, 'the first fault fires and is used up')
  t.equal((await add()).statusCode, 201)
})

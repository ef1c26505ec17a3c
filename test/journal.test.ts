import t from 'tap'
import { RequestJournal, redactHeaders, type JournalEntry } from '../src/journal.js'
import { AUTH1, JSON_ACCEPT, listen, makeApp, path, T0, TASK, UUID_RE, errorOf, until } from './helpers/app.js'

const entry = (n: number, url = `/x/${n}`): JournalEntry => ({ id: String(n), at: '', method: 'GET', url, status: 200, durationMs: 0, headers: {} })

t.test('the ring buffer keeps the newest entries, oldest first', async (t) => {
  const journal = new RequestJournal(3)
  for (let n = 1; n <= 5; n++) journal.record(entry(n))
  t.same(journal.list().map((e) => e.id), ['3', '4', '5'])
  t.same(journal.list({}, 2).map((e) => e.id), ['4', '5'], 'limit: the newest n, oldest first')
  t.same(journal.list({ path: '/x/4' }).map((e) => e.id), ['4'])
  journal.clear()
  t.same(journal.list(), [])
  journal.record(entry(6))
  t.same(journal.list().map((e) => e.id), ['6'])
  const none = new RequestJournal(0)
  none.record(entry(1))
  t.same(none.list(), [], 'size 0 keeps nothing')
})

t.test('redaction replaces secret header values', async (t) => {
  t.same(redactHeaders({ 'x-flynn-n-user-token': 'tok', authorization: 'Bearer x', 'x-flynn-n-org-id': 'org', accept: ['a', 'b'], skipped: undefined }), {
    'x-flynn-n-user-token': '[redacted]', authorization: '[redacted]', 'x-flynn-n-org-id': 'org', accept: 'a, b'
  })
})

t.test('waits resolve at once, later, at the timeout, or on abort', async (t) => {
  const journal = new RequestJournal(10)
  journal.record(entry(1, '/a'))
  t.same((await journal.waitFor({ path: '/a' }, 1, 1000))?.map((e) => e.id), ['1'], 'already recorded ones count')
  const later = journal.waitFor({ path: '/b' }, 2, 5000)
  journal.record(entry(2, '/b'))
  journal.record(entry(3, '/a'))
  t.equal(journal.waiting, 1)
  journal.record(entry(4, '/b'))
  t.same((await later)?.map((e) => e.id), ['2', '4'])
  t.equal(journal.waiting, 0)
  t.equal(await journal.waitFor({}, 99, 10), null, 'timeout')
  const controller = new AbortController()
  const aborted = journal.waitFor({}, 99, 60_000, controller.signal)
  controller.abort()
  t.equal(await aborted, null, 'abort')
  t.equal(journal.waiting, 0)
})

t.test('over HTTP: task-route requests are recorded, redacted; admin and health ones are not', async (t) => {
  const { send } = await makeApp(t)
  await send({ url: path.status(TASK.returns), headers: { ...AUTH1, ...JSON_ACCEPT, authorization: 'Basic abc', 'proxy-authorization': 'Basic cHJveHk6c2VjcmV0', cookie: 'session=s3cret' } })
  await send({ method: 'POST', url: path.result('nope') })
  await send({ url: path.status(TASK.returns, 'v9') })
  await send({ url: '/__admin/tasks' })
  await send({ url: '/healthz' })
  await send({ url: '/not/a/route' })
  const res = await send({ url: '/__admin/requests' })
  const { requests } = res.json() as { requests: JournalEntry[] }
  t.same(requests.map((r) => [r.method, r.url, r.status]), [
    ['GET', path.status(TASK.returns), 200],
    ['POST', path.result('nope'), 405],
    ['GET', path.status(TASK.returns, 'v9'), 404]
  ])
  const first = requests[0] as JournalEntry
  t.match(first.id, UUID_RE)
  t.equal(first.at, new Date(T0).toISOString())
  t.type(first.durationMs, 'number')
  t.equal(first.headers['x-flynn-n-user-token'], '[redacted]')
  t.equal(first.headers.authorization, '[redacted]')
  t.equal(first.headers['proxy-authorization'], '[redacted]')
  t.equal(first.headers.cookie, '[redacted]')
  t.equal(first.headers['x-flynn-n-org-id'], AUTH1['x-flynn-n-org-id'])
  t.notMatch(res.body, 'demo-token')
  const limited = (await send({ url: '/__admin/requests?limit=1&path=/enriched/tasks/v1.0/' })).json() as { requests: JournalEntry[] }
  t.same(limited.requests.map((r) => r.url), [path.result('nope')])
  const bad = await send({ url: '/__admin/requests?limit=0' })
  t.same([bad.statusCode, bad.json()], [400, errorOf('err-invalid-request', 'ClientRequest', { details: [{ path: '/limit', message: 'must be from 1 to 1000' }] })])
  const badPattern = await send({ url: '/__admin/requests?limit=x' })
  t.equal(badPattern.statusCode, 400)
  const cleared = await send({ method: 'DELETE', url: '/__admin/requests' })
  t.equal(cleared.statusCode, 204)
  t.same((await send({ url: '/__admin/requests' })).json(), { requests: [], next: null })
})

t.test('JOURNAL_SIZE bounds the journal', async (t) => {
  const { send } = await makeApp(t, { journalSize: 2 })
  for (const id of [TASK.returns, TASK.einvoices, TASK.failed]) await send({ url: path.status(id), headers: { ...AUTH1, ...JSON_ACCEPT } })
  const { requests } = (await send({ url: '/__admin/requests' })).json() as { requests: JournalEntry[] }
  t.same(requests.map((r) => r.url), [path.status(TASK.einvoices), path.status(TASK.failed)])
})

t.test('GET /__admin/requests/wait answers early, or 408 at its timeout', async (t) => {
  const { send } = await makeApp(t)
  const waiting = send({ url: `/__admin/requests/wait?path=${encodeURIComponent(path.status(TASK.returns))}&count=2&timeoutMs=5000` })
  await send({ url: path.status(TASK.returns), headers: { ...AUTH1, ...JSON_ACCEPT } })
  await send({ url: path.status(TASK.returns), headers: JSON_ACCEPT })
  const res = await waiting
  t.equal(res.statusCode, 200)
  t.same((res.json() as { requests: JournalEntry[] }).requests.map((r) => r.status), [200, 403])
  const timeout = await send({ url: '/__admin/requests/wait?count=50&timeoutMs=20' })
  t.same([timeout.statusCode, timeout.json()], [408, errorOf('err-wait-timeout', 'ClientRequest')])
  const already = await send({ url: '/__admin/requests/wait' })
  t.equal(already.statusCode, 200, 'defaults: count 1')
  for (const q of ['count=0', 'timeoutMs=300001', 'count=x', 'other=1']) {
    t.equal((await send({ url: `/__admin/requests/wait?${q}` })).statusCode, 400, q)
  }
})

t.test('a client that leaves stops its wait', async (t) => {
  const { app } = await makeApp(t)
  const port = await listen(app, t)
  const controller = new AbortController()
  const pending = fetch(`http://127.0.0.1:${port}/__admin/requests/wait?count=5&timeoutMs=60000`, { signal: controller.signal }).catch(() => 'aborted')
  await until(() => app.mock.store.journal.waiting > 0)
  t.equal(app.mock.store.journal.waiting, 1)
  controller.abort()
  t.equal(await pending, 'aborted')
  await until(() => app.mock.store.journal.waiting === 0)
  t.equal(app.mock.store.journal.waiting, 0)
})

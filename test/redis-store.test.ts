/**
 * The Redis store (§16) with a real redis-server: replicas that share it agree on tasks, polls,
 * faults, the clock, the journal, users, operations and issued IRNs; a restart loses nothing; a
 * Redis that goes away answers 503 and comes back by itself. (`npm run test:redis` runs the rest
 * of the behaviour suite on Redis too.)
 */
import { randomUUID } from 'node:crypto'
import t, { type Test } from 'tap'
import { buildApp } from '../src/app.js'
import { ControlledClock, FollowedTime } from '../src/clock.js'
import type { Settings } from '../src/config.js'
import { RedisStore } from '../src/store/redis.js'
import { SharedState } from '../src/shared-state.js'
import type { Task } from '../src/task.js'
import { StoreUnavailableError } from '../src/store/store.js'
import { AUTH1, errorOf, JSON_ACCEPT, makeApp, ORG1, ORG2, path, T0, TASK, type TestApp } from './helpers/app.js'
import { NO_TASKS, specOf } from './helpers/budget.js'
import { invoice, producerPath, SUBMIT, submit } from './helpers/producers.js'
import { startRedis } from './helpers/redis.js'

const redis = await startRedis(t)
const json = { 'content-type': 'application/json' }
const DAY = 86_400_000
const UNAVAILABLE = errorOf('err-service-unavailable', 'Runtime')
const STATUS = { ...AUTH1, ...JSON_ACCEPT }

/** Settings of a replica on the test Redis under `prefix`. */
const onRedis = (prefix: string, settings: Partial<Settings> = {}): Partial<Settings> => ({ store: redis.url, storePrefix: prefix, ...settings })

/** `n` replicas sharing one fresh keyspace (the first one seeds it), closed when the test ends (makeApp). */
async function replicas(t: Test, n = 2, settings: Partial<Settings> = {}): Promise<TestApp[]> {
  const prefix = `rs:${randomUUID()}:`
  const apps: TestApp[] = []
  for (let i = 0; i < n; i++) apps.push(await makeApp(t, onRedis(prefix, settings)))
  return apps
}

/** A task's control-API view on one replica. */
const view = async (send: TestApp['send'], id: string) => (await send({ url: `/__admin/tasks/${id}` })).json().task

t.test('a task created on one replica is served by the other; concurrent polls on both count exactly once', async (t) => {
  const [a, b] = (await replicas(t)) as [TestApp, TestApp]
  t.equal(a.app.mock.store.kind, 'redis')
  t.same((await b.send({ url: path.status(TASK.returns), headers: STATUS })).json(), (await a.send({ url: path.status(TASK.returns), headers: STATUS })).json(), 'the seeded tasks are the same')

  const spec = { timeline: [{ status: 'queued', polls: 40 }, { status: 'processing', polls: 60 }], outcome: 'completed', pages: [{ n: 1 }, { n: 2 }] }
  const created = await a.send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: spec })
  t.equal(created.statusCode, 201)
  const id = created.json().task.id as string
  t.same(await view(b.send, id), created.json().task, 'the other replica sees the same task')

  // The same 200 reads in memory, one at a time, give the reference answers.
  const memory = await makeApp(t, { store: 'memory' })
  await memory.send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { ...spec, id } })
  const expected: string[] = []
  for (let i = 0; i < 200; i++) expected.push((await memory.send({ url: path.status(id), headers: STATUS })).json().data.task.status)

  const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? a : b).send({ url: path.status(id), headers: STATUS })))
  t.same(answers.map((res) => res.statusCode), Array(200).fill(200))
  const seen = answers.map((res) => res.json().data.task.status as string)
  const count = (list: string[]) => Object.fromEntries(['queued', 'processing', 'completed'].map((s) => [s, list.filter((x) => x === s).length]))
  t.same(count(seen), count(expected), 'each read counted once: the same answers as 200 reads in a row')
  t.same([(await view(a.send, id)).polls, (await view(b.send, id)).polls], [200, 200])

  // A move on one replica is never undone by the other.
  t.equal((await b.send({ method: 'POST', url: `/__admin/tasks/${id}/transition`, headers: json, payload: { status: 'failed' } })).statusCode, 409, 'completed is terminal on both')
  const page = await a.send({ url: path.page(id, 1), headers: STATUS })
  t.same([page.statusCode, page.json()], [200, { data: { n: 2 } }])
})

t.test('ids, MAX_TASKS, deletes and lists are shared', async (t) => {
  const [a, b] = (await replicas(t, 2, { maxTasks: 10 })) as [TestApp, TestApp]
  const id = randomUUID()
  t.equal((await a.send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { id } })).statusCode, 201)
  const taken = await b.send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { id: id.toUpperCase() } })
  t.same([taken.statusCode, taken.json()], [409, errorOf('err-task-exists', 'ClientRequest')])
  const listed = (await b.send({ url: '/__admin/tasks' })).json().tasks as Array<{ id: string }>
  t.equal(listed.length, 9, 'eight seeded tasks and the new one')
  t.equal(listed.at(-1)?.id, id)
  t.equal((await b.send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: {} })).statusCode, 201)
  const full = await a.send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: {} })
  t.same([full.statusCode, full.json()], [507, errorOf('err-task-limit', 'Runtime')])
  t.equal((await b.send({ method: 'DELETE', url: `/__admin/tasks/${id}` })).statusCode, 204)
  t.equal((await a.send({ method: 'DELETE', url: `/__admin/tasks/${id}` })).statusCode, 404, 'already gone for the other replica')
  t.equal((await a.send({ url: path.status(id), headers: STATUS })).statusCode, 404)
  t.equal((await a.send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { id } })).statusCode, 201, 'the id is free again')
  t.equal((await b.send({ method: 'DELETE', url: '/__admin/tasks' })).statusCode, 204)
  t.same((await a.send({ url: '/__admin/tasks' })).json(), { tasks: [], next: null })
})

t.test('the task list pages alike on every replica, in creation order; a task whose data Redis lost is skipped', async (t) => {
  const [a, b] = (await replicas(t, 2)) as [TestApp, TestApp]
  const created: string[] = []
  for (let i = 0; i < 5; i++) created.push((await (i % 2 === 0 ? a : b).send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: {} })).json().task.id)
  const pages = async (app: TestApp): Promise<string[][]> => {
    const found: string[][] = []
    let next: string | null = null
    do {
      const body = (await app.send({ url: `/__admin/tasks?limit=3${next === null ? '' : `&cursor=${next}`}` })).json() as { tasks: Array<{ id: string }>; next: string | null }
      found.push(body.tasks.map((task) => task.id))
      next = body.next
    } while (next !== null)
    return found
  }
  const onA = await pages(a)
  t.same(onA.map((page) => page.length), [3, 3, 3, 3, 1], 'eight seeded tasks and five new ones, three a page')
  t.same(onA.flat().slice(8), created)
  t.same(await pages(b), onA, 'the same pages on the other replica')
  const store = a.app.mock.store as unknown as { run: <T>(fn: (r: { del: (key: string) => Promise<number> }) => Promise<T>) => Promise<T>; key: (name: string) => string }
  await store.run((r) => r.del(store.key(`task:${created[1]}`)))
  t.same((await pages(b)).flat().slice(8), [created[0], ...created.slice(2)], 'the lost task is left out')
})

t.test('MAX_STORE_BYTES is one budget for every replica: one of two creates at its edge is stored; deletes, clears and the sweep anywhere free it', async (t) => {
  const size = 1500
  const prefix = `rs:${randomUUID()}:`
  const [a, b] = [await makeApp(t, onRedis(prefix, { maxStoreBytes: 3 * size - 1 }), { fixtures: NO_TASKS }), await makeApp(t, onRedis(prefix, { maxStoreBytes: 3 * size - 1 }), { fixtures: NO_TASKS })]
  const store = a.app.mock.store as RedisStore
  const total = async () => Number(await store.run((r) => r.get(store.key('tasks:bytes'))))
  const create = (send: TestApp['send']) => send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: specOf(size) })
  t.equal((await create(a.send)).statusCode, 201)
  const answers = await Promise.all([create(a.send), create(b.send)])
  t.same(answers.map((res) => res.statusCode).sort(), [201, 507], 'room for one more: exactly one replica stores it')
  t.same(answers.find((res) => res.statusCode === 507)?.json(), errorOf('err-store-full', 'Runtime'))
  t.equal(await total(), 2 * size, 'the total in the keyspace')
  const [first] = (await b.send({ url: '/__admin/tasks' })).json().tasks as Array<{ id: string }>
  t.equal((await b.send({ method: 'DELETE', url: `/__admin/tasks/${first?.id}` })).statusCode, 204)
  t.equal((await create(a.send)).statusCode, 201, 'a delete on one replica frees room on the other')
  t.equal((await b.send({ method: 'DELETE', url: '/__admin/tasks' })).statusCode, 204)
  t.equal(await total(), 0, 'DELETE /__admin/tasks frees everything')

  // Expiry is the mock clock's: the sweep of any replica frees the bytes, even of a task whose
  // hash Redis itself expired meanwhile (its size is kept apart, and never expires by itself).
  t.same([(await create(a.send)).statusCode, (await create(b.send)).statusCode], [201, 201])
  const [gone] = (await a.send({ url: '/__admin/tasks' })).json().tasks as Array<{ id: string }>
  await store.run((r) => r.pexpire(store.key(`task:${gone?.id}`), 1))
  await new Promise((resolve) => setTimeout(resolve, 20))
  t.equal((await a.send({ url: `/__admin/tasks/${gone?.id}` })).statusCode, 404, 'its hash expired by Redis')
  t.equal(await total(), 2 * size, 'its bytes still counted')
  await a.send({ method: 'POST', url: '/__admin/clock', headers: json, payload: { advance: '7d' } })
  await b.app.mock.sweep()
  t.equal(await total(), 0, 'the sweep frees every expired task\'s bytes')
  t.same([(await create(a.send)).statusCode, (await create(b.send)).statusCode, (await create(a.send)).statusCode], [201, 201, 507])

  // Fixtures over the budget stop a replica's start-up, as in memory.
  await t.rejects(makeApp(t, onRedis(`rs:${randomUUID()}:`, { maxStoreBytes: 1024 })), { code: 'ERR_STORE_FULL', setting: 'MAX_STORE_BYTES' })
})

t.test('faults, the clock and operations are shared; a fault\'s times are used up once across replicas', async (t) => {
  const [a, b] = (await replicas(t)) as [TestApp, TestApp]
  // Created on both at once: neither write is lost.
  const made = await Promise.all([a, b].map(({ send }) => send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'status', taskId: TASK.returns, respond: { status: 503 }, times: 3 } })))
  t.same(made.map((res) => res.statusCode), [201, 201])
  t.equal((await a.send({ url: '/__admin/faults' })).json().faults.length, 2)
  await b.send({ method: 'DELETE', url: '/__admin/faults' })
  await a.send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'status', taskId: TASK.returns, respond: { status: 503 }, times: 3 } })
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).send({ url: path.status(TASK.returns), headers: STATUS })))
  t.equal(answers.filter((res) => res.statusCode === 503).length, 3, 'three faulted answers in all')
  t.equal(answers.filter((res) => res.statusCode === 200).length, 7)
  t.same((await b.send({ url: '/__admin/faults' })).json(), { faults: [] })

  const moved = await a.send({ method: 'POST', url: '/__admin/clock', headers: json, payload: { advance: '1h' } })
  t.same(moved.json(), { now: new Date(T0 + 3_600_000).toISOString(), mode: 'manual' })
  t.same((await b.send({ url: '/__admin/clock' })).json(), moved.json(), 'the other replica reads the same time')
  await b.send({ method: 'POST', url: '/__admin/clock', headers: json, payload: { advance: '7d' } })
  t.equal((await a.send({ url: path.status(TASK.returns), headers: STATUS })).statusCode, 404, 'a virtual jump expires tasks at once, for every replica')

  const put = await a.send({ method: 'PUT', url: '/__admin/operations/einvoice-bulk-generation', headers: json, payload: { outcome: 'failed' } })
  t.equal(put.statusCode, 200)
  t.same((await b.send({ url: '/__admin/operations/einvoice-bulk-generation' })).json(), put.json())
  const nextId = randomUUID()
  t.equal((await a.send({ method: 'POST', url: '/__admin/operations/einvoice-bulk-generation/next', headers: json, payload: { id: nextId, timeline: [], outcome: 'completed' } })).statusCode, 201)
  t.equal(await submit(b.send, producerPath.generate(), { payload: [invoice('R-1')] }), nextId, 'the queued override is taken by the other replica')
  t.match(await view(a.send, nextId), { status: 'completed' })
  t.equal((await a.send({ url: '/__admin/operations/einvoice-bulk-generation' })).json().operation.next.length, 0)
})

t.test('a producer task is built again, byte for byte, by the replica that did not create it', async (t) => {
  const [a, b] = (await replicas(t)) as [TestApp, TestApp]
  const zip = { ...AUTH1, accept: 'application/zip' }
  const generated = await submit(a.send, producerPath.generate(), { payload: [invoice('Z-1')], meta: { generatePdf: true } })
  await a.send({ method: 'POST', url: `/__admin/tasks/${generated}/transition`, headers: json, payload: { status: 'completed' } })
  const [fromA, fromB] = [await a.send({ url: path.download(generated), headers: zip }), await b.send({ url: path.download(generated), headers: zip })]
  t.same([fromA.statusCode, fromB.statusCode], [200, 200])
  t.ok(fromA.rawPayload.equals(fromB.rawPayload), 'the same zip, signatures and PDF included')
  const returns = await submit(a.send, producerPath.returns, [{ fromRetPeriod: '112025', toRetPeriod: '012026', returns: { gstr1: { b2b: {} } } }])
  await a.send({ method: 'POST', url: `/__admin/tasks/${returns}/transition`, headers: json, payload: { status: 'completed' } })
  const [pageA, pageB] = [await a.send({ url: path.page(returns, 0), headers: STATUS }), await b.send({ url: path.page(returns, 0), headers: STATUS })]
  t.equal(pageB.statusCode, 200)
  t.equal(pageB.body, pageA.body, 'the org\'s GSTIN in the pages is the one the task was made with')
})

t.test('IRNs issued on one replica are cancelled on the other; users and logins are shared', async (t) => {
  const [a, b] = (await replicas(t)) as [TestApp, TestApp]
  const generated = await submit(a.send, producerPath.generate(), { payload: [invoice('X-1')] })
  await b.send({ method: 'POST', url: `/__admin/tasks/${generated}/transition`, headers: json, payload: { status: 'completed' } })
  const irn = (await b.send({ url: path.result(generated), headers: STATUS })).json().data.invoices[0].Irn as string
  const cancel = await submit(b.send, producerPath.cancel(), { payload: [{ Irn: irn, CnlRsn: '1' }] })
  await a.send({ method: 'POST', url: `/__admin/tasks/${cancel}/transition`, headers: json, payload: { status: 'completed' } })
  t.same((await a.send({ url: path.result(cancel), headers: STATUS })).json().data[0].status, true)
  const again = await submit(a.send, producerPath.cancel(), { payload: [{ Irn: irn, CnlRsn: '1' }] })
  await a.send({ method: 'POST', url: `/__admin/tasks/${again}/transition`, headers: json, payload: { status: 'completed' } })
  t.equal((await b.send({ url: path.result(again), headers: STATUS })).json().data[0].error.message, 'err-irn-already-cancelled')

  const user = { handle: 'ops@example.com', handleType: 'email', password: 'a-long-password', orgIds: [AUTH1['x-flynn-n-org-id']] }
  t.equal((await a.send({ method: 'POST', url: '/__admin/users', headers: json, payload: user })).statusCode, 201)
  const login = await b.send({ method: 'POST', url: '/theodore/apis/v1/authtokens', headers: json, payload: { handle: user.handle, handleType: 'email', password: user.password } })
  t.equal(login.statusCode, 200)
  const token = login.json().data.token as string
  const read = await a.send({ url: path.status(TASK.returns), headers: { 'x-flynn-n-org-id': user.orgIds[0] as string, 'x-flynn-n-user-token': token, ...JSON_ACCEPT } })
  t.equal(read.statusCode, 200, 'a token from one replica works on the other')
})

t.test('the journal is shared: a wait on one replica resolves when a request lands on the other', async (t) => {
  const [a, b] = (await replicas(t, 2, { journalSize: 3 })) as [TestApp, TestApp]
  await a.send({ method: 'DELETE', url: '/__admin/requests' })
  const wait = b.send({ url: '/__admin/requests/wait?path=/enriched/&count=1&timeoutMs=5000' })
  await new Promise((resolve) => setTimeout(resolve, 50))
  await a.send({ url: path.status(TASK.returns), headers: STATUS })
  const res = await wait
  t.equal(res.statusCode, 200)
  t.same(res.json().requests.map((e: { url: string }) => e.url), [path.status(TASK.returns)])
  for (let i = 0; i < 4; i++) await (i % 2 ? a : b).send({ url: path.status(TASK.einvoices), headers: STATUS })
  t.equal((await a.send({ url: '/__admin/requests?path=/enriched/' })).json().requests.length, 3, 'capped at JOURNAL_SIZE across replicas')
  t.same((await b.send({ url: '/__admin/requests?path=/enriched/&limit=2' })).json().requests.map((e: { url: string }) => e.url), [path.status(TASK.einvoices), path.status(TASK.einvoices)])
  // A refused request enters its org's view when the org has one, and makes none for a made-up org.
  await b.send({ url: path.status(TASK.returns), headers: { ...STATUS, 'x-flynn-n-user-token': 'wrong' } })
  await b.send({ url: path.status(TASK.returns), headers: { ...STATUS, 'x-flynn-n-org-id': 'made-up' } })
  t.same((await a.app.mock.store.journal.list({ orgId: AUTH1['x-flynn-n-org-id'] })).at(-1)?.status, 403)
  t.same(await a.app.mock.store.journal.list({ orgId: 'made-up' }), [])
  const timedOut = await a.send({ url: '/__admin/requests/wait?path=/nowhere&timeoutMs=30' })
  t.equal(timedOut.statusCode, 408)
  // The client leaves while the wait sleeps between two polls (not at a fixed time, which a busy
  // machine can move to a Redis round trip): it aborts as soon as the wait listens for that.
  const left = new AbortController()
  const listen = left.signal.addEventListener.bind(left.signal)
  left.signal.addEventListener = (...args: Parameters<typeof listen>) => {
    listen(...args)
    left.abort()
  }
  t.equal(await a.app.mock.store.journal.waitFor({ path: '/nowhere' }, 1, 5_000, left.signal), null, 'a wait whose client left ends')
  t.equal(a.app.mock.store.journal.waiting, 0)

  const [none] = (await replicas(t, 1, { journalSize: 0 })) as [TestApp]
  await none.send({ url: path.status(TASK.returns), headers: STATUS })
  t.same((await none.send({ url: '/__admin/requests' })).json(), { requests: [], next: null }, 'JOURNAL_SIZE=0 keeps nothing')
})

t.test('the client report (§21) is shared: requests answered by either replica are judged together, as in memory; it stays bounded', async (t) => {
  const [a, b] = (await replicas(t)) as [TestApp, TestApp]
  const memory = await makeApp(t, { store: 'memory' })
  const spec = { timeline: [{ status: 'processing' }] }
  const id = (await a.send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: spec })).json().task.id as string
  await memory.send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { ...spec, id } })
  // 250 status reads in a tight loop, on both replicas: past 100 pending, the events are folded into the stored state.
  for (let i = 0; i < 250; i++) {
    await (i % 2 === 0 ? a : b).send({ url: path.status(id), headers: STATUS })
    await memory.send({ url: path.status(id), headers: STATUS })
  }
  await b.send({ url: path.download(id), headers: { ...AUTH1, accept: '*/*' } })
  await memory.send({ url: path.download(id), headers: { ...AUTH1, accept: '*/*' } })
  await new Promise((resolve) => setTimeout(resolve, 100))
  const store = a.app.mock.store as RedisStore
  t.ok(await store.run((r) => r.hget(store.key(`report:${id}`), 'state')), 'folded into its state')
  t.ok((await store.run((r) => r.llen(store.key(`report:${id}:events`)))) < 250, 'the folded events left the list')
  const report = async (send: TestApp['send'], query = '') => (await send({ url: `/__admin/report${query}` })).json()
  const [onA, onB, inMemory] = [await report(a.send), await report(b.send), await report(memory.send)]
  t.same(onA, onB, 'the same report on both replicas')
  t.same(onA.summary, inMemory.summary, 'and the same judgement as in memory')
  t.match(onA.tasks, [{ id, requests: 251 }])
  t.same([onA.summary.findings['early-poll'], onA.tasks[0].findings.length], [249, 11], 'every finding counted, 10 of each rule listed')

  // A namespace's report and DELETE on one replica; the other sees it.
  await b.send({ url: path.status(TASK.org2), headers: { 'x-flynn-n-org-id': ORG2, 'x-flynn-n-user-token': 'demo-token-2', ...JSON_ACCEPT } })
  t.same((await report(a.send, `?orgId=${ORG2}`)).tasks.map((task: { id: string }) => task.id), [TASK.org2])
  t.equal((await b.send({ method: 'DELETE', url: '/__admin/report', headers: { 'x-flynn-n-org-id': 'an org with no task' } })).statusCode, 204)
  t.equal((await b.send({ method: 'DELETE', url: '/__admin/report', headers: { 'x-flynn-n-org-id': ORG2 } })).statusCode, 204)
  t.same((await report(a.send)).tasks.map((task: { id: string }) => task.id), [id])
  t.same((await report(a.send, `?taskId=${TASK.org2}`)).tasks, [], 'a task it no longer holds')
  t.equal((await a.send({ method: 'DELETE', url: '/__admin/report' })).statusCode, 204)
  t.same((await report(b.send)).tasks, [])

  // At most 10,000 tasks: the first seen goes first (one turn of records, written in chunks).
  const task = (n: number) => ({ id: `e0000000-0000-4000-8000-${String(n).padStart(12, '0')}`, orgId: ORG1, kind: 'generic', createdAt: T0, expiresAt: T0 + DAY, jobs: 1, timeline: [], outcome: 'completed' as const, pages: null })
  const event = { id: randomUUID(), route: 'result' as const, head: false, code: 200, retryAfter: null, error: null, saw: 'completed' as const, whole: true, accept: null, page: null, at: T0, real: 0 }
  await Promise.all(Array.from({ length: 10_001 }, (_, n) => store.report.record(task(n), event)))
  const kept = await store.report.list()
  t.same([kept.length, kept[0]?.task.id, kept.at(-1)?.task.id], [10_000, task(1).id, task(10_000).id])
  await store.report.clear()

  // Compactions: one at a time per task on a replica; a task no longer held; the store away.
  const many = Array.from({ length: 150 }, () => store.report.record(task(1), event))
  await Promise.all(many) // each record from the 100th on asks for a compaction: one runs
  await store.report.record(task(3), event)
  await store.report.compact(task(2).id)
  const run = store.run.bind(store)
  store.run = async () => {
    throw new StoreUnavailableError('away')
  }
  await store.report.compact(task(3).id)
  store.run = run
  t.match(await store.report.list({ taskId: task(1).id }), [{ requests: 150 }])
  t.match(await store.report.list({ taskId: task(3).id }), [{ requests: 1 }], 'a compaction without the store leaves the events')
})

t.test('reset on one replica re-seeds for all; a restarted replica finds everything; SEED', async (t) => {
  const prefix = `rs:${randomUUID()}:`
  const a = await makeApp(t, onRedis(prefix))
  const b = await makeApp(t, onRedis(prefix))
  const id = randomUUID()
  await a.send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { id, timeline: [{ status: 'processing', polls: 5 }], outcome: 'completed' } })
  for (let i = 0; i < 3; i++) await a.send({ url: path.status(id), headers: STATUS })
  await a.send({ method: 'POST', url: '/__admin/clock', headers: json, payload: { advance: '2h' } })
  await a.app.close()

  const restarted = await makeApp(t, onRedis(prefix))
  t.match(await view(restarted.send, id), { polls: 3, status: 'processing' }, 'a restart loses nothing (SEED=if-empty leaves a seeded keyspace alone)')
  t.equal((await restarted.send({ url: '/__admin/clock' })).json().now, new Date(T0 + 2 * 3_600_000).toISOString())

  t.equal((await b.send({ method: 'POST', url: '/__admin/reset' })).statusCode, 204)
  t.equal((await restarted.send({ url: path.status(id), headers: STATUS })).statusCode, 404, 'reset on one replica clears tasks for all')
  t.equal((await restarted.send({ url: path.status(TASK.returns), headers: STATUS })).statusCode, 200, 'and re-seeds them')
  t.same((await restarted.send({ url: '/__admin/clock' })).json().mode, 'system', 'the clock is back in system mode')

  await restarted.send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { id } })
  const never = await makeApp(t, onRedis(prefix, { seed: 'never' }))
  t.equal((await never.send({ url: path.status(id), headers: STATUS })).statusCode, 200, 'SEED=never keeps what is there')
  await never.send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'result', delayMs: 1 } })
  const always = await makeApp(t, onRedis(prefix, { seed: 'always' }))
  t.equal((await never.send({ url: path.status(id), headers: STATUS })).statusCode, 404, 'SEED=always seeds again, for every replica')
  t.same((await never.send({ url: '/__admin/faults' })).json(), { faults: [] }, 'with no faults')
  t.same((await never.send({ url: '/__admin/clock' })).json(), { now: new Date(T0).toISOString(), mode: 'manual' }, 'and the seeding replica\'s clock')
})

t.test('namespaces (§15) are shared by replicas: org clocks, operation settings, scoped resets', async (t) => {
  const [a, b] = (await replicas(t)) as [TestApp, TestApp]
  const in2 = { 'x-flynn-n-org-id': ORG2 }
  await a.app.mock.sweep()
  t.equal((await a.send({ url: '/__admin/tasks' })).json().tasks.length, 8, 'a sweep with nothing expired frees nothing')
  await a.send({ method: 'POST', url: '/__admin/clock', headers: { ...in2, ...json }, payload: { advance: '8d' } })
  t.same((await b.send({ url: '/__admin/clock', headers: in2 })).json(), { now: new Date(T0 + 8 * DAY).toISOString(), mode: 'manual' }, 'the other replica reads org 2\'s clock')
  t.same((await b.send({ url: '/__admin/clock' })).json().now, new Date(T0).toISOString())
  await b.app.mock.sweep()
  t.same((await a.send({ url: `/__admin/tasks/${TASK.org2}` })).json().task.createdAt, new Date(T0 + 8 * DAY).toISOString(), 'swept on org 2\'s clock, and seeded again at its now')
  t.equal((await a.send({ url: `/__admin/tasks/${TASK.returns}` })).statusCode, 200, 'not org 1\'s')
  await a.send({ method: 'POST', url: '/__admin/operations', headers: json, payload: { name: 'team-op', method: 'POST', path: '/enriched/team/v1/run', envelope: 'v3', task: { result: {} } } })
  await a.send({ method: 'PUT', url: '/__admin/operations/team-op', headers: { ...in2, ...json }, payload: { outcome: 'failed' } })
  await a.send({ method: 'POST', url: '/__admin/operations/team-op/next', headers: { ...in2, ...json }, payload: {} })
  t.match((await b.send({ url: '/__admin/operations/team-op', headers: in2 })).json().operation, { outcome: 'failed', next: [{}] }, 'org 2\'s settings and queue, on the other replica')
  t.equal((await b.send({ method: 'DELETE', url: '/__admin/operations/team-op' })).statusCode, 204)
  t.equal((await a.send({ url: '/__admin/operations/team-op', headers: in2 })).statusCode, 404, 'a custom operation removed takes every org\'s settings with it')
  await submit((o) => a.send({ ...o, headers: { ...o.headers, 'x-flynn-n-org-id': ORG2, 'x-flynn-n-user-token': 'demo-token-2' } }), producerPath.generate(), { payload: [invoice('O2-1')] })
  t.equal((await b.send({ method: 'POST', url: '/__admin/reset', headers: in2 })).statusCode, 204)
  t.same((await a.send({ url: '/__admin/requests', headers: in2 })).json(), { requests: [], next: null }, 'org 2\'s journal view cleared for every replica')
  t.same((await a.send({ url: '/__admin/clock', headers: in2 })).json().now, new Date(T0).toISOString())
  t.equal((await a.send({ url: `/__admin/tasks/${TASK.org2}` })).statusCode, 200, 'its seeded task made again')
})

t.test('the sweep frees expired tasks and their IRNs, and seeds expired fixture tasks again', async (t) => {
  const [a, b] = (await replicas(t)) as [TestApp, TestApp]
  const generated = await submit(a.send, producerPath.generate(), { payload: [invoice('W-1')] })
  await a.send({ method: 'POST', url: '/__admin/clock', headers: json, payload: { advance: DAY } })
  const live = await submit(a.send, producerPath.generate(), { payload: [invoice('W-2')] })
  await a.send({ method: 'POST', url: '/__admin/clock', headers: json, payload: { advance: 6 * DAY } })
  await b.app.mock.sweep()
  t.equal((await a.send({ url: `/__admin/tasks/${generated}` })).statusCode, 404)
  t.equal((await a.send({ url: `/__admin/tasks/${live}` })).statusCode, 200)
  await a.send({ method: 'POST', url: '/__admin/clock', headers: json, payload: { advance: DAY } })
  await b.app.mock.sweep()
  await a.app.mock.sweep()
  t.same(await (b.app.mock.store as RedisStore).run((r) => r.smembers(`${(b.app.mock.store as RedisStore).options.prefix}irn-orgs`)), [], 'an org whose IRNs are all freed leaves the list')
  const ids = ((await a.send({ url: '/__admin/tasks' })).json().tasks as Array<{ id: string; createdAt: string }>).map((task) => task.id)
  t.ok(ids.includes(TASK.returns), 'the seeded tasks are back')
  t.equal((await a.send({ url: path.status(TASK.returns), headers: STATUS })).statusCode, 200)
})

t.test('Redis going away: 503 with Retry-After: 1, /readyz 503, /healthz 200; it reconnects by itself', async (t) => {
  const own = await startRedis(t)
  const { send, app } = await makeApp(t, { store: own.url, storePrefix: 'down:' })
  const held = await app.mock.store.tasks.find(TASK.returns)
  await own.stop()
  await t.rejects(app.mock.store.tasks.poll(held as Task, T0), { code: 'ERR_STORE_UNAVAILABLE' }, 'a write without the store fails whole')
  for (const request of [
    { url: path.status(TASK.returns), headers: STATUS },
    { method: 'POST' as const, url: producerPath.generate(), headers: SUBMIT, payload: JSON.stringify({ payload: [invoice('D-1')] }) },
    { method: 'POST' as const, url: '/theodore/apis/v1/authtokens', headers: json, payload: { handle: 'demo@example.com', handleType: 'email', password: 'demo-password' } },
    { url: '/__admin/tasks' },
    { method: 'POST' as const, url: '/__admin/clock', headers: json, payload: { advance: '1s' } }
  ]) {
    const res = await send(request)
    t.same([res.statusCode, res.headers['retry-after'], res.json()], [503, '1', UNAVAILABLE], `${request.method ?? 'GET'} ${request.url}`)
  }
  t.same([(await send({ url: '/readyz' })).statusCode, (await send({ url: '/readyz' })).json()], [503, { status: 'store-unavailable' }])
  t.equal((await send({ url: '/healthz' })).statusCode, 200)
  const reported = { id: TASK.returns, orgId: ORG1, kind: 'generic', createdAt: T0, expiresAt: T0 + DAY, jobs: 1, timeline: [], outcome: 'completed' as const, pages: 3 }
  await app.mock.store.report.record(reported, { id: randomUUID(), route: 'status', head: false, code: 200, retryAfter: null, error: null, saw: 'completed', whole: true, accept: null, page: null, at: T0, real: 0 })
  await app.mock.sweep().then(
    () => t.fail('a sweep without the store fails'),
    (error: unknown) => t.ok(error instanceof StoreUnavailableError)
  )
  await own.start()
  for (let i = 0; i < 100 && (await send({ url: '/readyz' })).statusCode !== 200; i++) await new Promise((resolve) => setTimeout(resolve, 50))
  t.same((await send({ url: '/readyz' })).json(), { status: 'ready' })
  // The new Redis is empty: a status read answers as for any unknown task, until a sweep of
  // one replica finds the keyspace unseeded and resets it.
  t.equal((await send({ url: path.status(TASK.returns), headers: STATUS })).statusCode, 404)
  await app.mock.sweep()
  t.equal((await send({ url: path.status(TASK.returns), headers: STATUS })).statusCode, 200)
  await app.mock.sweep()
  t.equal((await send({ url: '/__admin/tasks' })).json().tasks.length, 8, 'once')
})

t.test('a Redis that hangs (paused): 503 after the command timeout, /readyz 503 until it answers again', async (t) => {
  const own = await startRedis(t)
  const { send, app } = await makeApp(t, { store: own.url, storePrefix: 'paused:' })
  t.teardown(() => own.resume())
  own.pause()
  const res = await send({ url: path.status(TASK.returns), headers: STATUS })
  t.same([res.statusCode, res.headers['retry-after'], res.json()], [503, '1', UNAVAILABLE])
  const readyz = await send({ url: '/readyz' })
  t.same([readyz.statusCode, readyz.json()], [503, { status: 'store-unavailable' }], 'connected, but not answering')
  own.resume()
  t.same((await send({ url: '/readyz' })).json(), { status: 'ready' }, 'ready once it answers a ping, with no other traffic')
  t.equal((await send({ url: path.status(TASK.returns), headers: STATUS })).statusCode, 200)
})

t.test('start-up: an unreachable Redis stops it with a message without the password', async (t) => {
  const dead = `redis://:s3cret@127.0.0.1:${redis.port + 1}`
  const error = await buildApp({ logger: false, sweepIntervalMs: 0, settings: { store: dead } }).catch((e: unknown) => e)
  t.ok(error instanceof StoreUnavailableError)
  t.match((error as Error).message, /^the store is unavailable: cannot reach redis:\/\/:\[redacted\]@127\.0\.0\.1:\d+: /)
  t.notMatch((error as Error).message, /s3cret/)
})

t.test('the system time of a replica follows Redis TIME, read again periodically', async (t) => {
  const app = await buildApp({ logger: false, sweepIntervalMs: 0, settings: onRedis(`rs:${randomUUID()}:`) })
  t.teardown(() => app.close())
  t.equal(app.mock.clock.mode, 'system')
  t.ok(Math.abs(app.mock.clock.now() - Date.now()) < 5_000, 'Redis on this machine: its TIME is close to this host\'s')

  // A replica whose host clock is far behind reads Redis's time at start, then every refresh.
  const time = new FollowedTime(0)
  const store = new RedisStore(new SharedState({ builtIn: [], fixtureOperations: [] }, new ControlledClock({ system: time.now })), {
    url: redis.url, prefix: `rs:${randomUUID()}:`, ttlMs: DAY, maxTasks: 10, maxStoreBytes: 1_000_000, maxTaskBytes: 1_000_000, journalSize: 10, log: app.log,
    rebuild: () => { throw new Error('no tasks here') }, time, timeRefreshMs: 20
  })
  t.teardown(() => store.close())
  await store.open()
  t.ok(Math.abs(time.now() - Date.now()) < 5_000, 'read at start')
  const read = time.now()
  time.update(0)
  await new Promise((resolve) => setTimeout(resolve, 60))
  t.ok(time.now() >= read, 'and again later, never back')
})

t.test('store internals: conflicts, errors from Redis, the content cache', async (t) => {
  const { app } = await makeApp(t, onRedis(`rs:${randomUUID()}:`))
  const store = app.mock.store as RedisStore
  await t.rejects(store.run((r) => r.incr(store.key('doc:clock'))), { name: 'ReplyError' }, 'a Redis error that is not an outage is not a 503')
  // Two updates of one document racing from two stores: both land.
  const other = new RedisStore(app.mock.state.copy(['clock', 'faults', 'auth', 'operations']), { ...store.options })
  t.teardown(() => other.close())
  await other.open()
  await Promise.all([
    store.update(['faults'], (s) => s.faults.add({ route: 'status', delayMs: 1 }, () => false)),
    other.update(['faults'], (s) => s.faults.add({ route: 'result', delayMs: 1 }, () => false))
  ])
  await store.sync()
  t.equal(store.state.faults.list().length, 2)

  // A login whose user is deleted (on another replica) between the password check and the session.
  const login = await store.state.users.verify({ handle: 'demo@example.com', handleType: 'email', password: 'demo-password' })
  await other.update(['auth'], (s) => s.users.clear())
  await t.rejects(store.update(['auth'], (s) => s.users.startSession(login, 'token')), { message: 'err-invalid-credentials' })

  // A turn with more journal entries than one script call takes goes in chunks.
  await Promise.all(Array.from({ length: 1_001 }, (_, i) => store.journal.record({ id: String(i), at: '', method: 'GET', url: `/x/${i}`, status: 200, durationMs: 0, headers: {} })))
  const journal = await store.journal.list({ path: '/x/' })
  t.same([journal.length, journal[0]?.url, journal.at(-1)?.url], [1_000, '/x/1', '/x/1000'], 'in order, capped at JOURNAL_SIZE')

  // The content cache is bounded by the size of the sources: the oldest built go first, and a
  // task larger than the budget is built on every read.
  ;(store.options as { contentCacheBytes?: number }).contentCacheBytes = 10_000
  const sized = async (chars: number) => {
    const id = randomUUID()
    await store.tasks.add(app.mock.rebuild(id, AUTH1['x-flynn-n-org-id'], T0, { spec: { id, result: { pad: 'x'.repeat(chars) } } }))
    return id
  }
  const ids = [await sized(6_000), await sized(6_000), await sized(20_000)]
  for (const id of [...ids, ...ids]) t.equal((await store.tasks.find(id))?.id, id)

  // Data in Redis that cannot be read (written by hand or by a bug) is skipped, not a 500 everywhere.
  const broken = randomUUID()
  await store.tasks.add(app.mock.rebuild(broken, AUTH1['x-flynn-n-org-id'], T0, { spec: { id: broken } }))
  await store.run((r) => r.hset(store.key(`task:${broken}`), 'facts', '{'))
  t.equal(await store.tasks.find(broken), undefined, 'a task with bad facts reads as absent')
  await store.run((r) => r.hset(store.key(`task:${broken}`), 'facts', '{"polls":"lots"}', 'uid', 'another'))
  t.equal(await store.tasks.find(broken), undefined, 'facts of the wrong shape too')
  await store.run((r) => r.hset(store.key(`task:${broken}`), 'facts', '{"polls":0,"readsInPhase":0,"pollPhaseEnds":[]}', 'src', 'not json', 'uid', 'yet another'))
  t.equal(await store.tasks.find(broken), undefined, 'and a source that is not JSON')
  t.same(await store.tasks.held([broken]), [{ createdAt: T0, facts: { polls: 0, readsInPhase: 0, pollPhaseEnds: [] } }], 'the report reads facts without the content')
  await store.run((r) => r.hset(store.key(`task:${broken}`), 'facts', '{'))
  t.same(await store.tasks.held([broken, randomUUID()]), [undefined, undefined], 'bad facts, or no task')
  await store.run((r) => r.hset(store.key(`task:${broken}`), 'facts', '{"polls":0,"readsInPhase":0,"pollPhaseEnds":[]}', 'src', '{}'))
  await store.run((r) => r.hdel(store.key(`task:${broken}`), 'exp'))
  t.same(await store.tasks.held([broken]), [undefined], 'a task written without its expiry (an earlier version) reads as expired')
  t.ok((await store.tasks.list()).length > 0, 'the list holds the others')
  await store.run((r) => r.mset(store.key('doc:faults'), 'not json', store.key('ver:faults'), 'changed by hand'))
  await store.sync()
  t.same(store.state.faults.list().length, 2, 'a shared document that cannot be read leaves this replica\'s copy')
  await store.update(['faults'], (s) => s.faults.clear())
  t.same(JSON.parse((await store.run((r) => r.get(store.key('doc:faults')))) as string), [], 'and the next write replaces it')

  // Races with another replica (B), in the order Redis sees the commands of one connection.
  const b = new RedisStore(app.mock.state.copy(['clock']), { ...store.options })
  t.teardown(() => b.close())
  await b.open()
  const id = randomUUID()
  // Each add is a new creation of the same id (a new uid in Redis).
  const add = () => b.tasks.add(app.mock.rebuild(id, AUTH1['x-flynn-n-org-id'], T0, { spec: { id, timeline: [{ status: 'processing', polls: 100 }], outcome: 'completed' } }))
  await add()
  const first = (await store.tasks.find(id)) as Task
  t.equal(await store.tasks.poll(first, T0).then((s) => s?.status), 'processing')
  await b.tasks.poll((await b.tasks.find(id)) as Task, T0)
  t.equal((await store.tasks.poll(first, T0))?.status, 'processing', 'a conflict with the other replica: read again, applied once')
  t.equal(((await b.tasks.find(id)) as Task).polls, 3)
  await b.tasks.delete(id)
  t.equal(await store.tasks.poll(first, T0), undefined, 'deleted on the other replica: gone')
  await add()
  const second = (await store.tasks.find(id)) as Task
  const polls = [store.tasks.poll(second, T0), store.tasks.poll(first, T0), store.tasks.poll(second, T0)]
  t.same((await Promise.all(polls)).map((s) => s?.status), ['processing', undefined, 'processing'], 'a batch answers each caller for the task it read')
  t.equal(((await b.tasks.find(id)) as Task).polls, 2)
  await b.tasks.delete(id)
  await add()
  await store.tasks.find(id)
  t.equal(await store.tasks.poll(second, T0), undefined, 'created again since it was read: gone')
  await b.tasks.delete(id)
  t.equal(await store.tasks.poll(second, T0), undefined, 'created again and deleted since it was read: gone')
  // One connection: the delete reaches Redis between the read of the facts and that of the content.
  const uncached = store.tasks.find(TASK.processing)
  void store.tasks.delete(TASK.processing)
  t.equal(await uncached, undefined, 'removed between reading its facts and its content: absent')
  await add()
  const third = (await store.tasks.find(id)) as Task
  await t.rejects(store.tasks.move(third, 'queued', T0), { code: 'ERR_INVALID_TRANSITION' }, 'a change that fails changes nothing')
  t.equal(((await b.tasks.find(id)) as Task).polls, 0)

  // A task deleted on another replica between a status read's lookup and its poll.
  const send = (await makeApp(t, onRedis(`rs:${randomUUID()}:`)))
  send.app.mock.store.tasks.poll = async () => undefined
  const gone = await send.send({ url: path.status(TASK.returns), headers: STATUS })
  t.same([gone.statusCode, gone.json()], [404, errorOf('err-resource-not-found', 'ResourceNotFound', { 'task-id': TASK.returns })])
})

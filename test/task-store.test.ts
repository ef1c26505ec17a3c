import { taskFromSpec } from '../src/task-spec.js'
import t from 'tap'
import { ControlledClock } from '../src/clock.js'
import { findTask } from '../src/store/store.js'
import { TaskStore } from '../src/task-store.js'
import { Task } from '../src/task.js'
import { TASK, T0, makeApp, path, AUTH1, JSON_ACCEPT, taskNotFound } from './helpers/app.js'

const DAY = 86_400_000

function task(id: string, orgId = 'org-a', createdAt = T0): Task {
  return new Task({ id, orgId, kind: 'generic', jobs: 1, createdAt, timeline: [], outcome: 'completed', result: {}, pages: null, files: [] })
}

function setup(maxTasks = 10, maxStoreBytes = 1_000) {
  const clock = new ControlledClock({ mode: 'manual', start: T0 })
  return { clock, store: new TaskStore({ clockFor: () => clock, ttlMs: 7 * DAY, maxTasks, maxStoreBytes }) }
}

const ID1 = 'c0000000-0000-4000-8000-00000000000a'
const ID2 = 'c0000000-0000-4000-8000-00000000000b'

t.test('rule 4: a UUID in any case finds its task, scoped by org; anything else finds none, unread', async (t) => {
  const { store } = setup()
  store.add(task(ID1), 10)
  const reads: string[] = []
  const find = (id: string, orgId?: string | null) =>
    findTask(id, (lowerId) => {
      reads.push(lowerId)
      return async () => store.get(lowerId)
    })(orgId)
  t.equal((await find(ID1.toUpperCase(), 'org-a'))?.id, ID1)
  t.equal(await find(ID1, 'org-b'), undefined, 'another org: absent')
  t.equal((await find(ID1))?.orgId, 'org-a', 'no org: any org')
  t.equal((await find(ID1, null))?.orgId, 'org-a')
  t.equal(await find(ID2, 'org-a'), undefined, 'unknown: absent')
  t.same(reads, [ID1, ID1, ID1, ID1, ID2], 'read by the lower-case id')
  t.equal(await find(`${ID1}x`), undefined, 'not a UUID: absent')
  t.equal(await find('../etc'), undefined)
  t.equal(reads.length, 5, 'and never read')
  t.equal(store.get(ID1)?.orgId, 'org-a')
})

t.test('a task expires exactly at createdAt + TTL', async (t) => {
  const { store, clock } = setup()
  store.add(task(ID1), 10)
  clock.set(T0 + 7 * DAY - 1)
  t.ok(store.get(ID1), '1 ms before the TTL')
  t.equal(store.list().length, 1)
  clock.set(T0 + 7 * DAY)
  t.equal(store.get(ID1), undefined, 'at the TTL')
  t.equal(store.list().length, 0)
  t.equal(store.size, 1, 'still held until swept')
})

t.test('the sweep frees expired tasks only', async (t) => {
  const { store, clock } = setup()
  store.add(task(ID1, 'org-a', T0), 10)
  store.add(task(ID2, 'org-a', T0 + DAY), 10)
  clock.set(T0 + 7 * DAY)
  t.equal(store.sweep().length, 1)
  t.equal(store.size, 1)
  t.ok(store.get(ID2))
  t.equal(store.sweep().length, 0)
})

t.test('ids are unique among live tasks; an expired id can be reused', async (t) => {
  const { store, clock } = setup()
  store.add(task(ID1), 10)
  t.throws(() => store.add(task(ID1), 10), { code: 'ERR_TASK_EXISTS', id: ID1 })
  clock.advance(7 * DAY)
  store.add(task(ID1, 'org-b', clock.now()), 10)
  t.equal(store.get(ID1)?.orgId, 'org-b')
})

t.test('the store holds at most maxTasks live tasks, sweeping before refusing', async (t) => {
  const { store, clock } = setup(2)
  store.add(task(ID1), 10)
  store.add(task(ID2), 10)
  const third = 'c0000000-0000-4000-8000-00000000000c'
  t.throws(() => store.add(task(third), 10), { code: 'ERR_TASK_LIMIT', max: 2 })
  clock.advance(7 * DAY)
  store.add(task(third, 'org-a', clock.now()), 10)
  t.equal(store.size, 1, 'expired tasks were swept to make room')
})

t.test('the store holds at most maxStoreBytes; removing a task in any way frees its bytes', async (t) => {
  const { store, clock } = setup(10, 100)
  const ID3 = 'c0000000-0000-4000-8000-00000000000c'
  store.add(task(ID1), 60)
  store.add(task(ID2), 40)
  t.equal(store.bytes, 100, 'exactly the budget')
  t.throws(() => store.add(task(ID3), 1), { code: 'ERR_STORE_FULL', setting: 'MAX_STORE_BYTES', max: 100, bytes: 1, taskId: ID3 })
  t.throws(() => store.add(task(ID1), 1), { code: 'ERR_TASK_EXISTS' }, 'a live id is taken, whatever its size')
  t.equal(store.delete(ID1), true)
  t.equal(store.bytes, 40, 'a delete frees its bytes')
  store.add(task(ID3), 60)
  t.equal(store.bytes, 100)
  clock.advance(DAY)
  store.add(task(ID1, 'org-a', clock.now()), 0)
  clock.advance(6 * DAY)
  t.equal(store.bytes, 100, 'expired tasks hold their bytes until freed')
  store.add(task(ID2, 'org-a', clock.now()), 30)
  t.equal(store.bytes, 90, 'an expired task under the id gives way, with its bytes')
  t.equal(store.size, 3, 'the other expired one is still held: there was room')
  const ID4 = 'c0000000-0000-4000-8000-00000000000d'
  store.add(task(ID4, 'org-a', clock.now()), 70)
  t.equal(store.bytes, 100, 'what has expired is swept to make room')
  t.same(store.list().map((held) => held.id), [ID1, ID2, ID4], 'in creation order: a replaced task comes last')
  t.throws(() => store.add(task(ID3, 'org-a', clock.now()), 1), { code: 'ERR_STORE_FULL' }, 'full, with nothing expired')
  clock.advance(DAY)
  t.same(store.sweep(), [ID1], 'the sweep frees the expired task')
  t.equal(store.bytes, 100, 'which took no bytes')
  store.clear()
  t.equal(store.bytes, 0, 'clear frees everything')
})

t.test('delete and clear', async (t) => {
  const { store, clock } = setup()
  store.add(task(ID1), 10)
  store.add(task(ID2), 10)
  t.equal(store.delete(ID1), true)
  t.equal(store.delete(ID1), false)
  clock.advance(7 * DAY)
  t.equal(store.delete(ID2), false, 'an expired task reads as absent')
  t.equal(store.size, 0, 'but is freed')
  store.add(task(ID1, 'org-a', clock.now()), 10)
  store.clear()
  t.equal(store.size, 0)
})

t.test('over HTTP: every route answers the rule-4 404 from the TTL on', async (t) => {
  const { send, clock } = await makeApp(t)
  const routes = [path.status(TASK.returns), path.result(TASK.returns), path.page(TASK.returns, 0), path.download(TASK.returns)]
  clock.advance(7 * DAY - 1)
  for (const url of routes) {
    const res = await send({ url, headers: { ...AUTH1, accept: url.includes('download') ? 'application/zip' : 'application/json' } })
    t.equal(res.statusCode, 200, `1 ms before: ${url}`)
  }
  clock.advance(1)
  for (const url of routes) {
    const res = await send({ url, headers: { ...AUTH1, accept: url.includes('download') ? 'application/zip' : 'application/json' } })
    t.equal(res.statusCode, 404, `at the TTL: ${url}`)
    t.same(res.json(), taskNotFound(TASK.returns))
  }
  const custom = await makeApp(t, { taskTtlMs: 1000 })
  custom.clock.advance(1000)
  const res = await custom.send({ url: path.status(TASK.returns), headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.equal(res.statusCode, 404, 'TASK_TTL is honoured')
})

t.test('the app sweeps on an unref\'d timer', async (t) => {
  const { buildApp } = await import('../src/app.js')
  const clock = new ControlledClock({ mode: 'manual', start: T0 })
  const app = await buildApp({ logger: false, clock, sweepIntervalMs: 5 })
  t.teardown(() => app.close())
  t.equal((await app.mock.store.tasks.list()).length, 8)
  await app.mock.addTask(taskFromSpec({ id: 'e0000000-0000-4000-8000-000000000001' }, app.mock.specDefaults()))
  clock.advance(7 * DAY)
  await new Promise((resolve) => setTimeout(resolve, 50))
  const held = await app.mock.store.tasks.list()
  t.equal(held.length, 8, 'the added task freed by the timer')
  t.ok(held.every((task) => task.createdAt === T0 + 7 * DAY), 'the seeded tasks seeded again at now (§7)')
})

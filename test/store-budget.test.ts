/**
 * The byte budgets of docs/behaviour.md §7 and §19: `MAX_TASK_BYTES`
 * bounds one task and `MAX_STORE_BYTES` the tasks held, each task counted once, at its creation,
 * by the size of its spec as the store keeps it; past either, `507 err-store-full`. Every way a
 * task is made honours them, and every way a task goes frees its bytes. (`npm run test:redis`
 * runs this file on Redis too; test/redis-store.test.ts adds replicas sharing one budget.)
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { EXIT_CONFIG, main } from '../src/cli.js'
import type { Settings } from '../src/config.js'
import { storedSource } from '../src/store/store.js'
import { AUTH1, errorOf, makeApp, ORG1, ORG2, TASK, type Teardown, type TestApp } from './helpers/app.js'
import { NO_TASKS, sizeOf, SOME_ID, specOf } from './helpers/budget.js'
import { expectedIrn, invoice, producerPath, SELLER, SUBMIT, submit } from './helpers/producers.js'
import { startServer, stopServer } from './helpers/server.js'

const json = { 'content-type': 'application/json' }
const DAY = 86_400_000
const STORE_FULL = errorOf('err-store-full', 'Runtime')
const GENERATION = 'einvoice-bulk-generation'

/** A test app seeded with no tasks. */
const bareApp = (t: Teardown, settings: Partial<Settings>): Promise<TestApp> => makeApp(t, settings, { fixtures: NO_TASKS })

/** The bytes each seeded task takes, by id (its stored source, which the first test holds to the rule). */
async function seededSizes(t: Teardown): Promise<Map<string, number>> {
  const { app } = await makeApp(t)
  return new Map((await app.mock.store.tasks.list()).map((task) => [task.id, Buffer.byteLength(storedSource(task))]))
}
const sum = (sizes: Iterable<number>): number => [...sizes].reduce((a, b) => a + b, 0)

/** Creates tasks from `spec` through the control API until the store refuses one; the answers of the last. */
async function fill(send: TestApp['send'], spec: object, headers: Record<string, string> = {}): Promise<{ accepted: number; refusal: unknown }> {
  for (let accepted = 0; accepted < 100; accepted++) {
    const res = await send({ method: 'POST', url: '/__admin/tasks', headers: { ...json, ...headers }, payload: spec })
    if (res.statusCode !== 201) return { accepted, refusal: [res.statusCode, res.json()] }
  }
  throw new Error('the store never filled up')
}

t.test('the size of a task is the UTF-8 length of its spec as the store keeps it, with its id, org and creation time', async (t) => {
  const { app, send } = await makeApp(t)
  const spec = { result: { é: 'ü'.repeat(10) }, jobs: 3, timeline: [] }
  const res = await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { ...spec, id: SOME_ID } })
  t.equal(res.statusCode, 201)
  const task = await app.mock.store.tasks.find(SOME_ID)
  t.equal(Buffer.byteLength(storedSource(task as NonNullable<typeof task>)), sizeOf({ ...spec, id: SOME_ID }), 'bytes of UTF-8, not characters')
})

t.test('MAX_TASK_BYTES: a task over it answers 507 err-store-full from the control API, in an empty store too', async (t) => {
  const { send } = await bareApp(t, { maxTaskBytes: 2048 })
  const at = await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: specOf(2048) })
  t.equal(at.statusCode, 201, 'a task of exactly MAX_TASK_BYTES fits')
  const over = await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: specOf(2049) })
  t.same([over.statusCode, over.json()], [507, STORE_FULL], 'one byte more is refused')
  const created = await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { id: SOME_ID } })
  t.equal(created.statusCode, 201)
  const taken = await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { ...specOf(2049), id: SOME_ID } })
  t.same([taken.statusCode, taken.json()], [507, STORE_FULL], 'judged before the tasks held are: before a taken id\'s 409')
  t.equal((await send({ url: '/__admin/tasks' })).json().tasks.length, 2, 'and not stored')
})

t.test('MAX_STORE_BYTES: tasks fit up to the budget exactly; then 507 err-store-full (err-task-limit stays for MAX_TASKS)', async (t) => {
  const size = 1500
  const { send } = await bareApp(t, { maxStoreBytes: 3 * size + size - 1 })
  t.same(await fill(send, specOf(size)), { accepted: 3, refusal: [507, STORE_FULL] }, 'floor(budget / size) tasks')
  const small = await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: specOf(size - 1) })
  t.equal(small.statusCode, 201, 'a smaller task takes the last bytes')
  t.same(await fill(send, specOf(1024)), { accepted: 0, refusal: [507, STORE_FULL] }, 'nothing is left')
  const alone = await bareApp(t, { maxStoreBytes: 2048 })
  const tooBig = await alone.send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: specOf(2049) })
  t.same([tooBig.statusCode, tooBig.json()], [507, STORE_FULL], 'a task larger than the whole store (MAX_TASK_BYTES above MAX_STORE_BYTES)')
  const counted = await bareApp(t, { maxStoreBytes: 1 << 20, maxTasks: 2 })
  t.same(await fill(counted.send, specOf(1024)), { accepted: 2, refusal: [507, errorOf('err-task-limit', 'Runtime')] }, 'MAX_TASKS keeps its own error')
})

t.test('a delete, DELETE /__admin/tasks (global or a namespace\'s) and a reset free the bytes their tasks took', async (t) => {
  const size = 1500
  const three = { accepted: 3, refusal: [507, STORE_FULL] }
  const { send } = await bareApp(t, { maxStoreBytes: 3 * size + size - 1 })
  t.same(await fill(send, specOf(size)), three)
  const ids = ((await send({ url: '/__admin/tasks' })).json().tasks as Array<{ id: string }>).map((task) => task.id)
  t.equal((await send({ method: 'DELETE', url: `/__admin/tasks/${ids[1]}` })).statusCode, 204)
  t.same(await fill(send, specOf(size)), { accepted: 1, refusal: [507, STORE_FULL] }, 'a delete frees exactly one task\'s bytes')
  t.equal((await send({ method: 'POST', url: '/__admin/reset' })).statusCode, 204)
  t.same(await fill(send, specOf(size)), three, 'a reset frees them all')
  t.equal((await send({ method: 'DELETE', url: '/__admin/tasks' })).statusCode, 204)
  const in2 = { 'x-flynn-n-org-id': ORG2 }
  t.same(await fill(send, specOf(size), in2), three, 'DELETE /__admin/tasks frees them all')
  t.equal((await send({ method: 'DELETE', url: `/__admin/tasks/${ids[0]}` })).statusCode, 404, 'long gone')
  t.equal((await send({ method: 'DELETE', url: '/__admin/tasks', headers: in2 })).statusCode, 204)
  t.same(await fill(send, specOf(size)), three, 'and so does a namespace\'s')
})

t.test('expired tasks give their bytes back: at the sweep, or at once when a new task needs them', async (t) => {
  const size = 1500
  const { app, send } = await bareApp(t, { maxStoreBytes: 3 * size })
  t.same(await fill(send, specOf(size)), { accepted: 3, refusal: [507, STORE_FULL] })
  await send({ method: 'POST', url: '/__admin/clock', headers: json, payload: { advance: '7d' } })
  t.same(await fill(send, specOf(size)), { accepted: 3, refusal: [507, STORE_FULL] }, 'a create past TASK_TTL frees what has expired first')
  await send({ method: 'POST', url: '/__admin/clock', headers: json, payload: { advance: 7 * DAY - 1 } })
  t.same(await fill(send, specOf(size)), { accepted: 0, refusal: [507, STORE_FULL] }, '1 ms before their TTL, the tasks hold their bytes')
  await send({ method: 'POST', url: '/__admin/clock', headers: json, payload: { advance: 1 } })
  await app.mock.sweep()
  t.same((await send({ url: '/__admin/tasks' })).json(), { tasks: [], next: null }, 'the sweep freed them')
  t.same(await fill(send, specOf(size)), { accepted: 3, refusal: [507, STORE_FULL] }, 'and their bytes')
})

t.test('two creates at the edge of the budget at once: exactly one is stored', async (t) => {
  const size = 1500
  const { send } = await bareApp(t, { maxStoreBytes: 2 * size + size - 1 })
  t.equal((await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: specOf(size) })).statusCode, 201)
  const answers = await Promise.all([0, 1].map(() => send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: specOf(size) })))
  t.same(answers.map((res) => res.statusCode).sort(), [201, 507])
  t.equal((await send({ url: '/__admin/tasks' })).json().tasks.length, 2)
})

t.test('operations: a request too large for one task, or a full store, answers 507 err-store-full; no IRN is issued and the override stays queued', async (t) => {
  const id = 'c0000000-0000-4000-8000-00000000000a'
  const irn = expectedIrn(SELLER, '2025-26', 'INV', 'B-1')
  const { app, send } = await bareApp(t, { maxTaskBytes: 4096, maxStoreBytes: 8192 })
  await send({ method: 'POST', url: `/__admin/operations/${GENERATION}/next`, headers: json, payload: { id } })
  const many = Array.from({ length: 8 }, (_, i) => invoice(`B-${i + 1}`))
  const tooLarge = await send({ method: 'POST', url: producerPath.generate(), headers: SUBMIT, payload: JSON.stringify({ payload: many }) })
  t.same([tooLarge.statusCode, tooLarge.json()], [507, STORE_FULL], 'eight invoices are more than MAX_TASK_BYTES')
  t.same((await send({ url: `/__admin/operations/${GENERATION}` })).json().operation.next, [{ id }], 'the override is still queued')
  t.same([...(await app.mock.store.irns.lookup([[ORG1, irn]])).keys()], [], 'no IRN issued')

  // The store full: two tasks leave 192 bytes, less than any submit takes.
  for (const taskId of [SOME_ID, id.replace(/a$/, 'b')]) {
    t.equal((await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { ...specOf(4000), id: taskId } })).statusCode, 201)
  }
  const full = await send({ method: 'POST', url: producerPath.generate(), headers: SUBMIT, payload: JSON.stringify({ payload: [invoice('B-1')] }) })
  t.same([full.statusCode, full.json()], [507, STORE_FULL])
  t.same((await send({ url: `/__admin/operations/${GENERATION}` })).json().operation.next, [{ id }], 'the override went back to its queue')
  t.same([...(await app.mock.store.irns.lookup([[ORG1, irn]])).keys()], [], 'no IRN issued')
  const ims = await send({ url: producerPath.ims('section=B2B'), headers: { ...AUTH1, accept: 'application/json' } })
  t.same([ims.statusCode, ims.json()], [507, STORE_FULL], 'a GET operation too')

  await send({ method: 'DELETE', url: `/__admin/tasks/${SOME_ID}` })
  t.equal(await submit(send, producerPath.generate(), { payload: [invoice('B-1')] }), id, 'room again: the override\'s task')
  t.same([...(await app.mock.store.irns.lookup([[ORG1, irn]])).keys()], [`${ORG1}|${irn}`], 'and its IRN')
})

t.test('a custom operation\'s task counts its spec: over MAX_TASK_BYTES it answers 507 err-store-full', async (t) => {
  const { send } = await bareApp(t, { maxTaskBytes: 2048 })
  const custom = (name: string, bytes: number) => ({ name, method: 'POST', path: `/enriched/custom/v1.0/${name}`, envelope: 'v1', task: { result: 'x'.repeat(bytes) } })
  t.equal((await send({ method: 'POST', url: '/__admin/operations', headers: json, payload: custom('small', 100) })).statusCode, 201)
  t.equal((await send({ method: 'POST', url: '/__admin/operations', headers: json, payload: custom('large', 2048) })).statusCode, 201, 'registering makes no task')
  t.equal((await send({ method: 'POST', url: '/enriched/custom/v1.0/small', headers: SUBMIT, payload: '{}' })).statusCode, 200)
  const large = await send({ method: 'POST', url: '/enriched/custom/v1.0/large', headers: SUBMIT, payload: '{}' })
  t.same([large.statusCode, large.json()], [507, STORE_FULL])
})

t.test('a namespace\'s reset whose seeded tasks no longer fit beside other orgs\' answers 507 err-store-full', async (t) => {
  const sizes = await seededSizes(t)
  const budget = sum(sizes.values()) + 1000
  const { send } = await makeApp(t, { maxStoreBytes: budget })
  const in1 = { 'x-flynn-n-org-id': ORG1 }
  await send({ method: 'DELETE', url: '/__admin/tasks', headers: in1 })
  const org2 = sizes.get(TASK.org2) as number
  t.same(await fill(send, specOf(1024), { 'x-flynn-n-org-id': ORG2 }), { accepted: Math.floor((budget - org2) / 1024), refusal: [507, STORE_FULL] }, 'org 2 takes what org 1 freed')
  const reset = await send({ method: 'POST', url: '/__admin/reset', headers: in1 })
  t.same([reset.statusCode, reset.json()], [507, STORE_FULL])
  t.equal((await send({ url: `/__admin/tasks/${TASK.einvoices}` })).statusCode, 404, 'its seeded task did not fit')
  t.equal((await send({ method: 'POST', url: '/__admin/reset' })).statusCode, 204, 'a global reset fits: every task goes first')
  t.equal((await send({ url: '/__admin/tasks' })).json().tasks.length, sizes.size)
})

t.test('fixtures over a byte budget stop start-up with one line and exit code 2', async (t) => {
  const sizes = await seededSizes(t)
  const lines: string[] = []
  const output = { out: () => {}, err: (line: string) => void lines.push(line) }
  t.equal(await main(['--port', '0', '--max-store-bytes', String(sum(sizes.values()) - 1), '--log-level', 'silent'], {}, output), EXIT_CONFIG)
  t.equal(await main(['--port', '0', '--max-task-bytes', '4096', '--log-level', 'silent'], {}, output), EXIT_CONFIG)
  t.equal(await main(['--port', '0', '--max-store-bytes', String(sum(sizes.values())), '--log-level', 'silent'], {}, output).then((app) => typeof app !== 'number' && app.close().then(() => true)), true, 'exactly their size fits')
  t.same(lines, [
    `enriched-tasks-mock: invalid MAX_STORE_BYTES=${sum(sizes.values()) - 1}: the fixtures' tasks take more bytes than that`,
    `enriched-tasks-mock: invalid MAX_TASK_BYTES=4096: fixture task ${TASK.einvoices} takes ${sizes.get(TASK.einvoices)} bytes`
  ])
})

/** The resident set size of a process, in bytes (Linux), or undefined. */
function rssOf(pid: number): number | undefined {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kb === undefined ? undefined : Number(kb) * 1024
  } catch {
    return undefined
  }
}

t.test('the real server: 1 MB tasks until the budget is reached, then 507; the process stays up', async (t) => {
  const budget = 64 * 1024 * 1024
  const server = await startServer({ MAX_STORE_BYTES: String(budget) })
  t.teardown(() => stopServer(server))
  t.equal((await fetch(`${server.url}/__admin/tasks`, { method: 'DELETE' })).status, 204, 'no seeded tasks: the whole budget is free')
  const result = 'x'.repeat(1_000_000)
  // The creation time is the server's now: epoch ms of 13 digits, as T0's.
  const size = sizeOf({ result })
  let accepted = 0
  let last: Response | undefined
  for (let i = 0; i < 200; i++) {
    last = await fetch(`${server.url}/__admin/tasks`, { method: 'POST', headers: json, body: JSON.stringify({ result }) })
    if (last.status !== 201) break
    await last.arrayBuffer()
    accepted++
  }
  t.equal(accepted, Math.floor(budget / size), `floor(${budget} / ${size}) tasks of 1 MB`)
  t.same([last?.status, await last?.json()], [507, STORE_FULL])
  for (let i = 0; i < 10; i++) {
    const again = await fetch(`${server.url}/__admin/tasks`, { method: 'POST', headers: json, body: JSON.stringify({ result }) })
    t.equal(again.status, 507, 'still full')
    await again.arrayBuffer()
  }
  t.equal((await fetch(`${server.url}/healthz`)).status, 200, 'the process is up')
  t.equal(server.child.exitCode, null)
  const rss = rssOf(server.child.pid as number)
  t.comment(`RSS with ${accepted} tasks of ${size} bytes held (budget ${budget}): ${rss === undefined ? 'unknown' : `${(rss / 1024 / 1024).toFixed(1)} MiB`}`)
})

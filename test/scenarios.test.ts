/**
 * Ready-made scenarios (docs/behaviour.md §21): each produces exactly its documented sequence of
 * answers; a task spec, a `next` override and a fixture file name them; their faults are bound to
 * the task and go with it. Also a spec's own `ttl` (§6, §7) and a fault's `every` (§10), which the
 * scenarios are made of. (`npm run test:redis` runs this file on Redis too.)
 */
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { BUNDLED_FIXTURES_DIR } from '../src/config.js'
import { loadFixtures } from '../src/fixtures.js'
import { AUTH1, errorOf, JSON_ACCEPT, listen, makeApp, ORG2, path, T0, TOKEN2, ZIP_ACCEPT, type TestApp } from './helpers/app.js'
import { getOverSocket } from './helpers/http.js'
import { invoice, producerPath, SUBMIT, submit } from './helpers/producers.js'
import { unzip } from './helpers/zip.js'

const json = { 'content-type': 'application/json' }
const STATUS = { ...AUTH1, ...JSON_ACCEPT }
const ZIP = { ...AUTH1, ...ZIP_ACCEPT }
const UNAVAILABLE = errorOf('err-service-unavailable', 'Runtime')
const TOO_MANY = errorOf('err-too-many-requests', 'ClientRequest')

/** Creates a task; returns its view (throws unless 201). */
async function create(send: TestApp['send'], spec: object, headers: Record<string, string> = {}): Promise<{ id: string; createdAt: string; expiresAt: string; jobs: { total: number; pending: number } }> {
  const res = await send({ method: 'POST', url: '/__admin/tasks', headers: { ...json, ...headers }, payload: spec })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json().task
}

/** One answer as [status, Retry-After, body]: what a client sees. */
async function seen(send: TestApp['send'], url: string, headers: Record<string, string> = STATUS): Promise<[number, string | undefined, unknown]> {
  const res = await send({ url, headers })
  const body = String(res.headers['content-type']).startsWith('application/json') ? res.json() : `${res.rawPayload.length} bytes`
  return [res.statusCode, res.headers['retry-after'] as string | undefined, body]
}

const statusBody = (id: string, status: string) => ({ data: { task: { id, status } } })

t.test('GET /__admin/scenarios lists each preset with a one-line description, its TTL for this RETRY_AFTER_S', async (t) => {
  const { send } = await makeApp(t, { retryAfterS: 2 })
  const res = await send({ url: '/__admin/scenarios' })
  t.equal(res.statusCode, 200)
  const scenarios = res.json().scenarios as Array<{ name: string; description: string; ttl?: number }>
  t.same(scenarios.map((s) => s.name), ['happy', 'slow', 'retry-error', 'fails-midway', 'expires-before-download', 'truncated-download', 'rate-limited'])
  for (const scenario of scenarios) t.match(scenario.description, /^[^\n]{10,120}$/, `${scenario.name}: one line`)
  t.same(scenarios.find((s) => s.name === 'expires-before-download'), {
    name: 'expires-before-download',
    description: 'Completed at creation, and gone RETRY_AFTER_S seconds later (its own TTL): collect it at once.',
    timeline: [],
    outcome: 'completed',
    ttl: 2_000,
    faults: []
  })
  t.same(scenarios.find((s) => s.name === 'rate-limited'), {
    name: 'rate-limited',
    description: 'As happy; every third request to the task answers 429 with Retry-After: 2.',
    timeline: [{ status: 'processing', polls: 1 }],
    outcome: 'completed',
    faults: [{ route: '*', every: 3, respond: { status: 429, retryAfter: 2 } }]
  })
})

t.test('happy: processing with Retry-After, then completed, then the zip', async (t) => {
  const { send } = await makeApp(t)
  const { id } = await create(send, { scenario: 'happy' })
  t.same(await seen(send, path.status(id)), [200, '5', statusBody(id, 'processing')])
  t.same(await seen(send, path.status(id)), [200, undefined, statusBody(id, 'completed')])
  t.same((await seen(send, path.download(id), ZIP)).slice(0, 2), [200, undefined])
})

t.test('slow: queued for 2 status reads, processing for 5, completed from the 8th', async (t) => {
  const { send } = await makeApp(t)
  const { id } = await create(send, { scenario: 'slow', jobs: 3 })
  const answers = []
  for (let i = 0; i < 9; i++) answers.push(await seen(send, path.status(id)))
  t.same(answers, [
    ...Array(2).fill([200, '5', statusBody(id, 'queued')]),
    ...Array(5).fill([200, '5', statusBody(id, 'processing')]),
    ...Array(2).fill([200, undefined, statusBody(id, 'completed')])
  ])
})

t.test('retry-error: the first status read answers 503 with Retry-After: 1 (not a poll), then as happy', async (t) => {
  const { send } = await makeApp(t)
  const { id } = await create(send, { scenario: 'retry-error' })
  t.same(await seen(send, path.status(id)), [503, '1', UNAVAILABLE])
  t.equal((await send({ url: `/__admin/tasks/${id}` })).json().task.polls, 0)
  t.same(await seen(send, path.status(id)), [200, '5', statusBody(id, 'processing')])
  t.same(await seen(send, path.status(id)), [200, undefined, statusBody(id, 'completed')])
  t.same(await seen(send, path.status(id)), [200, undefined, statusBody(id, 'completed')])
  t.same((await send({ url: '/__admin/faults' })).json(), { faults: [] }, 'its fault is used up')
})

t.test('fails-midway: processing for 2 status reads, then failed with 1 of 4 jobs pending', async (t) => {
  const { send } = await makeApp(t)
  const task = await create(send, { scenario: 'fails-midway' })
  t.same(task.jobs, { total: 4, pending: 4 })
  t.same(await seen(send, path.status(task.id)), [200, '5', statusBody(task.id, 'processing')])
  t.same(await seen(send, path.result(task.id)), [400, undefined, { data: { id: task.id, jobs: { total: 4, pending: 2 }, status: 'processing' } }])
  t.same(await seen(send, path.status(task.id)), [200, '5', statusBody(task.id, 'processing')])
  t.same(await seen(send, path.status(task.id)), [200, undefined, statusBody(task.id, 'failed')])
  t.same(await seen(send, path.download(task.id), ZIP), [400, undefined, { data: { id: task.id, jobs: { total: 4, pending: 1 }, status: 'failed' } }])
  const ten = await create(send, { scenario: 'fails-midway', jobs: 10 })
  t.same(ten.jobs, { total: 10, pending: 10 }, 'a spec\'s jobs wins')
})

t.test('expires-before-download: completed at once, gone RETRY_AFTER_S seconds later', async (t) => {
  const { send, clock } = await makeApp(t)
  const task = await create(send, { scenario: 'expires-before-download' })
  t.equal(task.expiresAt, new Date(T0 + 5_000).toISOString())
  t.same(await seen(send, path.status(task.id)), [200, undefined, statusBody(task.id, 'completed')])
  clock.advance(4_999)
  t.equal((await send({ url: path.result(task.id), headers: STATUS })).statusCode, 200)
  clock.advance(1)
  t.same(await seen(send, path.download(task.id), ZIP), [404, undefined, errorOf('err-resource-not-found', 'ResourceNotFound', { 'task-id': task.id })])
  const longer = await create(send, { scenario: 'expires-before-download', ttl: '1m' })
  t.equal(longer.expiresAt, new Date(T0 + 5_000 + 60_000).toISOString(), 'a spec\'s ttl wins')
})

t.test('truncated-download: the first download is cut part-way, the second is whole', async (t) => {
  const { send, app } = await makeApp(t)
  const port = await listen(app, t)
  const { id } = await create(send, { scenario: 'truncated-download', result: { ok: true } })
  t.same(await seen(send, path.status(id)), [200, '5', statusBody(id, 'processing')])
  t.same(await seen(send, path.status(id)), [200, undefined, statusBody(id, 'completed')])
  const cut = await getOverSocket(port, path.download(id), ZIP)
  const whole = await getOverSocket(port, path.download(id), ZIP)
  t.same([cut.status, cut.complete, whole.status, whole.complete], [200, false, 200, true])
  t.ok(cut.body.length > 0 && cut.body.length < whole.body.length, `cut at ${cut.body.length} of ${whole.body.length} bytes`)
  t.same((await unzip(whole.body)).map((entry) => [entry.name, entry.content.toString()]), [['result.json', '{"ok":true}']])
})

t.test('rate-limited: every third request to the task, on any task route, answers 429 with Retry-After: 2', async (t) => {
  const { send } = await makeApp(t)
  const { id } = await create(send, { scenario: 'rate-limited' })
  const other = await create(send, {})
  const answers = [
    await seen(send, path.status(id)),
    await seen(send, path.status(other.id)), // another task: not counted
    await seen(send, path.status(id)),
    await seen(send, path.result(id)),
    await seen(send, path.result(id)),
    await seen(send, path.download(id), ZIP),
    await seen(send, path.status(id))
  ]
  t.same(answers.map(([status, retryAfter]) => [status, retryAfter]), [[200, '5'], [200, '5'], [200, undefined], [429, '2'], [200, undefined], [200, undefined], [429, '2']])
  t.same(answers[3]?.[2], TOO_MANY)
  t.match((await send({ url: '/__admin/faults' })).json().faults, [{ route: '*', taskId: id, every: 3, matched: 6, scenario: 'rate-limited', respond: { status: 429, retryAfter: 2 } }])
})

t.test('a spec that names a scenario gives neither timeline nor outcome; an unknown scenario or a bad ttl is refused', async (t) => {
  const { send } = await makeApp(t)
  const refused = async (spec: object) => {
    const res = await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: spec })
    t.equal(res.statusCode, 400, JSON.stringify(spec))
    return res.json().error.args.details
  }
  t.same(await refused({ scenario: 'slow', timeline: [] }), [{ path: '/timeline', message: 'must not be given with a scenario, which sets it' }])
  t.same(await refused({ scenario: 'slow', outcome: 'failed' }), [{ path: '/outcome', message: 'must not be given with a scenario, which sets it' }])
  t.same(await refused({ scenario: 'sunny' }), [{ path: '/scenario', message: 'must be equal to one of the allowed values' }])
  for (const ttl of ['0', '0s', 'soon', 0, 3_153_600_000_001, '36501d', '9999999999999999d']) t.equal((await refused({ ttl }))[0].path, '/ttl', JSON.stringify(ttl))
  t.same((await send({ url: '/__admin/tasks?limit=1000' })).json().tasks.length, 8, 'nothing created')
})

t.test('a spec\'s ttl: a duration or ms, instead of TASK_TTL', async (t) => {
  const { send, clock } = await makeApp(t)
  const short = await create(send, { timeline: [], ttl: '90s' })
  const ms = await create(send, { timeline: [], ttl: 1_500 })
  t.same([short.expiresAt, ms.expiresAt], [new Date(T0 + 90_000).toISOString(), new Date(T0 + 1_500).toISOString()])
  clock.advance(1_500)
  t.same([(await send({ url: path.status(short.id), headers: STATUS })).statusCode, (await send({ url: path.status(ms.id), headers: STATUS })).statusCode], [200, 404])
  t.equal((await send({ url: `/__admin/tasks/${ms.id}` })).statusCode, 404)
})

t.test('a next override names a scenario for the task an operation creates: its timeline, TTL and faults', async (t) => {
  const { send, clock } = await makeApp(t)
  const id = 'c0000000-0000-4000-8000-0000000005c1'
  const queued = await send({ method: 'POST', url: '/__admin/operations/einvoice-bulk-generation/next', headers: json, payload: { id, scenario: 'retry-error' } })
  t.same([queued.statusCode, queued.json()], [201, { next: { id, scenario: 'retry-error' } }])
  t.equal(await submit(send, producerPath.generate(), { payload: [invoice('SCN/1')], meta: null }), id)
  t.same(await seen(send, path.status(id)), [503, '1', UNAVAILABLE])
  t.same(await seen(send, path.status(id)), [200, '5', statusBody(id, 'processing')])

  // In org 2's namespace: the override is org 2's, and so is its task's fault.
  const team = { 'x-flynn-n-org-id': ORG2 }
  await send({ method: 'POST', url: '/__admin/operations/gst-returns-download/next', headers: { ...json, ...team }, payload: { scenario: 'rate-limited' } })
  await send({ method: 'POST', url: '/__admin/operations/gst-returns-download/next', headers: { ...json, ...team }, payload: { scenario: 'expires-before-download' } })
  const body = [{ fromRetPeriod: '012026', toRetPeriod: '012026', returns: { gstr1: { b2b: {} } } }]
  const submitAs2 = async () => {
    const res = await send({ method: 'POST', url: producerPath.returns, headers: { ...SUBMIT, 'x-flynn-n-org-id': ORG2, 'x-flynn-n-user-token': TOKEN2 }, payload: body })
    t.equal(res.statusCode, 200, res.body)
    return res.json().data['task-id'] as string
  }
  const limited = await submitAs2()
  t.match((await send({ url: '/__admin/faults', headers: team })).json().faults, [{ taskId: limited, orgId: ORG2, scenario: 'rate-limited', every: 3 }])
  const expiring = await submitAs2()
  t.equal((await send({ url: `/__admin/tasks/${expiring}` })).json().task.expiresAt, new Date(clock.now() + 5_000).toISOString())

  const both = await send({ method: 'POST', url: '/__admin/operations/gcs-generate/next', headers: json, payload: { scenario: 'slow', timeline: [], outcome: 'failed' } })
  t.same([both.statusCode, both.json().error.args.details], [400, [{ path: '/timeline', message: 'must not be given with a scenario, which sets it' }, { path: '/outcome', message: 'must not be given with a scenario, which sets it' }]])
  const custom = await send({ method: 'POST', url: '/__admin/operations', headers: json, payload: { name: 'x-scenario', method: 'POST', path: '/enriched/x/v1.0/go', envelope: 'v1', task: { scenario: 'happy' } } })
  t.same([custom.statusCode, custom.json().error.args.details], [400, [{ path: '/task/scenario', message: 'must not be given for a custom operation (a next override can name a scenario)' }]])
})

t.test('a fixture file names a scenario: seeded with its faults, again at each reset', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'etm-scenario-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  await mkdir(join(dir, 'tasks'))
  await writeFile(join(dir, 'credentials.json'), await readFile(join(BUNDLED_FIXTURES_DIR, 'credentials.json')))
  const id = 'c0000000-0000-4000-8000-0000000005c2'
  await writeFile(join(dir, 'tasks', 'limited.json'), JSON.stringify({ id, scenario: 'rate-limited', ttl: '1d' }))
  const { send } = await makeApp(t, {}, { fixtures: await loadFixtures(dir) })
  const statuses = async () => [(await send({ url: path.status(id), headers: STATUS })).statusCode, (await send({ url: path.status(id), headers: STATUS })).statusCode, (await send({ url: path.status(id), headers: STATUS })).statusCode]
  t.same(await statuses(), [200, 200, 429])
  t.equal((await send({ url: `/__admin/tasks/${id}` })).json().task.expiresAt, new Date(T0 + 86_400_000).toISOString())
  await send({ method: 'POST', url: '/__admin/reset' })
  t.same(await statuses(), [200, 200, 429], 'the reset seeds the task and its fault again')
  await writeFile(join(dir, 'tasks', 'bad.json'), JSON.stringify({ scenario: 'happy', timeline: [] }))
  await t.rejects(loadFixtures(dir), { code: 'ERR_FIXTURE', message: /bad\.json.*must not be given with a scenario/ })
})

t.test('a scenario\'s faults go with their task: deleted, cleared, swept, reset, or made again', async (t) => {
  const { send, clock, app } = await makeApp(t)
  const bound = async (headers: Record<string, string> = {}) => ((await send({ url: '/__admin/faults', headers })).json().faults as Array<{ taskId: string }>).map((f) => f.taskId)
  const a = (await create(send, { scenario: 'rate-limited' })).id
  const b = (await create(send, { scenario: 'truncated-download', ttl: '1s' })).id
  const mine = await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'status', taskId: a, delayMs: 1 } })
  t.equal(mine.statusCode, 201)
  t.same(await bound(), [a, b, a])
  await send({ method: 'DELETE', url: `/__admin/tasks/${a}` })
  t.same(await bound(), [b, a], 'the scenario\'s fault went; one added by hand stays')

  // Expired, and made again under its id without a scenario.
  clock.advance(1_000)
  await create(send, { id: b })
  t.same(await bound(), [a])
  await send({ method: 'DELETE', url: '/__admin/faults' })

  // DELETE /__admin/tasks, globally and in a namespace.
  const c = (await create(send, { scenario: 'retry-error' })).id
  const d = (await create(send, { scenario: 'retry-error' }, { 'x-flynn-n-org-id': ORG2 })).id
  t.same(await bound(), [c, d])
  t.same(await bound({ 'x-flynn-n-org-id': ORG2 }), [d], 'made in org 2\'s namespace: org 2\'s fault')
  await send({ method: 'DELETE', url: '/__admin/tasks', headers: { 'x-flynn-n-org-id': ORG2 } })
  t.same(await bound(), [c])
  const kept = (await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'page', delayMs: 1 } })).json().fault
  await send({ method: 'DELETE', url: '/__admin/tasks' })
  t.same(await bound(), [undefined], 'a fault no scenario bound stays')
  t.equal((await send({ url: '/__admin/faults' })).json().faults[0].id, kept.id)
  await send({ method: 'DELETE', url: '/__admin/faults' })

  // Expired: it no longer hits or counts; the sweep removes it.
  const e = (await create(send, { scenario: 'rate-limited', ttl: '10s' })).id
  await send({ url: path.status(e), headers: STATUS })
  clock.advance(10_000)
  for (let i = 0; i < 3; i++) t.equal((await send({ url: path.status(e), headers: STATUS })).statusCode, 404)
  t.match((await send({ url: '/__admin/faults' })).json().faults, [{ taskId: e, matched: 1 }])
  await app.mock.sweep()
  t.same(await bound(), [])

  // An org's reset removes its tasks' faults, even ones added globally.
  const f = (await create(send, { scenario: 'retry-error', orgId: ORG2 })).id
  const g = (await create(send, { scenario: 'retry-error' })).id
  await send({ method: 'POST', url: '/__admin/reset', headers: { 'x-flynn-n-org-id': ORG2 } })
  t.same(await bound(), [g], `org 2's ${f} went`)
  await send({ method: 'POST', url: '/__admin/reset' })
  t.same(await bound(), [])
})

t.test('a scenario whose faults do not fit MAX_FAULTS creates no task', async (t) => {
  const { send } = await makeApp(t, { maxFaults: 1 })
  await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'page', delayMs: 1 } })
  const id = 'c0000000-0000-4000-8000-0000000005c3'
  const res = await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { id, scenario: 'rate-limited' } })
  t.same([res.statusCode, res.json()], [507, errorOf('err-store-full', 'Runtime')])
  t.equal((await send({ url: `/__admin/tasks/${id}` })).statusCode, 404)
  t.equal((await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { id, scenario: 'happy' } })).statusCode, 201, 'one without faults fits')
})

t.test('faults with every: the every-th matching request, counted whether it hits or not; with times, that many', async (t) => {
  const { send } = await makeApp(t)
  const added = await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'result', every: 2, times: 2, respond: { status: 503, retryAfter: 4 } } })
  t.match(added.json().fault, { route: 'result', every: 2, times: 2, matched: 0 })
  const forever = (await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'result', every: 3, respond: { status: 500 } } })).json().fault
  t.notOk('times' in forever, 'no times: until removed')
  const codes = []
  for (let i = 0; i < 10; i++) codes.push((await send({ url: path.result('a0000000-0000-4000-8000-000000000004'), headers: STATUS })).statusCode)
  // Every 2nd, twice: the 2nd and 4th; every 3rd: the 3rd, 6th and 9th.
  t.same(codes, [200, 503, 500, 503, 200, 500, 200, 200, 500, 200])
  t.match((await send({ url: '/__admin/faults' })).json().faults, [{ id: forever.id, matched: 10 }])
})

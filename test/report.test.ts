/**
 * The client report (docs/behaviour.md §21): each rule fires on a client that breaks it and stays
 * silent on one that does not; `Retry-After` is judged with 10% tolerance, on the mock clock or in
 * real time, whichever says more time passed; the report covers what §21 says it covers.
 * (`npm run test:redis` runs this file on Redis too.)
 */
import { Readable } from 'node:stream'
import { setImmediate as turn, setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { InjectOptions } from 'fastify'
import { REPORT_TIMELINE_PHASES, RULES, type Report, type Rule } from '../src/report.js'
import { getOverSocket } from './helpers/http.js'
import { AUTH1, errorOf, JSON_ACCEPT, listen, makeApp, ORG1, ORG2, path, T0, TASK, TOKEN2, ZIP_ACCEPT, type TestApp } from './helpers/app.js'

const json = { 'content-type': 'application/json' }
const STATUS = { ...AUTH1, ...JSON_ACCEPT }
const ZIP = { ...AUTH1, ...ZIP_ACCEPT }
const AUTH2 = { 'x-flynn-n-org-id': ORG2, 'x-flynn-n-user-token': TOKEN2 }
const iso = (ms: number): string => new Date(ms).toISOString()

/** Findings counted by rule, every rule 0 but those given. */
const counts = (found: Partial<Record<Rule, number>> = {}): Record<Rule, number> => Object.fromEntries(RULES.map((rule) => [rule, found[rule] ?? 0])) as Record<Rule, number>

/** Creates a task through the control API. @returns its id */
async function create(send: TestApp['send'], spec: object = {}, headers: Record<string, string> = {}): Promise<string> {
  const res = await send({ method: 'POST', url: '/__admin/tasks', headers: { ...json, ...headers }, payload: spec })
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json().task.id as string
}

/** The report as the control API answers it (checked against the document by `send`). */
async function report(send: TestApp['send'], query = '', headers: Record<string, string> = {}): Promise<Report> {
  const res = await send({ url: `/__admin/report${query}`, headers })
  if (res.statusCode !== 200) throw new Error(res.body)
  return res.json() as Report
}

/** The rules of a task's findings, in order. */
const rulesOf = (r: Report, id: string): Rule[] => (r.tasks.find((task) => task.id === id)?.findings ?? []).map((f) => f.rule)

t.test('a careful client against the default timeline: one task, clean', async (t) => {
  const { send, clock } = await makeApp(t)
  const id = await create(send, { pages: [{ n: 0 }, { n: 1 }] })
  const first = await send({ url: path.status(id), headers: STATUS })
  t.equal(first.headers['retry-after'], '5')
  clock.advance(5_000) // it waits the Retry-After it was given
  t.equal((await send({ url: path.status(id), headers: STATUS })).json().data.task.status, 'completed')
  t.equal((await send({ url: path.result(id), headers: STATUS })).statusCode, 200)
  t.equal((await send({ url: path.page(id, 1), headers: STATUS })).statusCode, 200)
  t.equal((await send({ url: path.download(id), headers: ZIP })).statusCode, 200)
  clock.advance(86_400_000) // a day later: collected, nothing is missing
  const r = await report(send)
  t.same(r, { tasks: [{ id, kind: 'generic', orgId: ORG1, requests: 5, findings: [] }], summary: { tasks: 1, clean: 1, findings: counts() } })
})

t.test('a careless client breaks each rule a request can break, and its findings say how', async (t) => {
  const { send, clock } = await makeApp(t)
  const id = await create(send, { timeline: [{ status: 'processing', polls: 2 }], pages: [{ n: 0 }] })
  const ids: string[] = []
  const go = async (options: InjectOptions): Promise<number> => {
    const res = await send(options)
    ids.push(res.headers['x-call-id'] as string)
    return res.statusCode
  }
  t.equal(await go({ url: path.status(id), headers: STATUS }), 200) // processing, Retry-After: 5
  clock.advance(1_000)
  t.equal(await go({ url: path.status(id), headers: STATUS }), 200) // 1 s later: early
  t.equal(await go({ url: path.download(id), headers: ZIP }), 400) // before completion
  t.equal(await go({ url: path.download(id), headers: STATUS }), 406) // the zip route with a JSON accept
  t.equal(await go({ url: path.result(id), headers: { ...JSON_ACCEPT, 'x-flynn-n-org-id': ORG1 } }), 403) // no token
  clock.advance(5_000)
  t.equal(await go({ url: path.status(id), headers: STATUS }), 200) // completed
  t.equal(await go({ url: path.page(id, 1), headers: STATUS }), 404) // page 1 of 1 page
  t.equal(await go({ url: path.page(id, 'x'), headers: STATUS }), 404)
  clock.advance(5_000)
  t.equal(await go({ url: path.status(id), headers: STATUS }), 200) // again, after completed
  const at = (ms: number) => iso(T0 + ms)
  const r = await report(send)
  t.same(r.tasks, [
    {
      id,
      kind: 'generic',
      orgId: ORG1,
      requests: 9,
      findings: [
        { rule: 'early-poll', at: at(1_000), requestId: ids[1], detail: 'status read 1 s after the previous one answered Retry-After: 5' },
        { rule: 'fetch-before-completed', at: at(1_000), requestId: ids[2], detail: 'download answered 400: the task was processing' },
        { rule: 'wrong-accept', at: at(1_000), requestId: ids[3], detail: 'accept "application/json" on the download route, which needs application/zip' },
        { rule: 'auth-failure', at: at(1_000), requestId: ids[4], detail: 'result answered 403 err-invalid-token' },
        { rule: 'page-out-of-range', at: at(6_000), requestId: ids[6], detail: 'page 1 of a task with 1 pages (0 to 0)' },
        { rule: 'page-out-of-range', at: at(6_000), requestId: ids[7], detail: 'page "x" is not a page number' },
        { rule: 'poll-after-terminal', at: at(11_000), requestId: ids[8], detail: 'status read after a status read answered completed' },
        // Completed at 6 s, never collected: judged when the report is read, 5 s (RETRY_AFTER_S) on.
        { rule: 'never-collected', at: at(11_000), requestId: ids[8], detail: `completed at ${at(6_000)}; neither the result, a page nor the whole zip was fetched within 5 s (RETRY_AFTER_S)` }
      ]
    }
  ])
  t.same(r.summary, { tasks: 1, clean: 0, findings: counts({ 'early-poll': 1, 'fetch-before-completed': 1, 'wrong-accept': 1, 'auth-failure': 1, 'page-out-of-range': 2, 'poll-after-terminal': 1, 'never-collected': 1 }) })
  // The finding's request is the journal's.
  const journal = (await send({ url: '/__admin/requests' })).json().requests as Array<{ id: string; status: number }>
  t.same(journal.map((entry) => entry.id), ids)
})

t.test('Retry-After with 10% tolerance, on a manual clock: exactly honoured and 90% are on time, 1 ms less is early', async (t) => {
  const { send, clock } = await makeApp(t)
  const id = await create(send, { timeline: [{ status: 'processing' }] })
  await send({ url: path.status(id), headers: STATUS })
  clock.advance(5_000) // Retry-After exactly honoured
  await send({ url: path.status(id), headers: STATUS })
  clock.advance(4_500) // 10% early: within the tolerance
  await send({ url: path.status(id), headers: STATUS })
  t.same((await report(send)).summary.findings, counts(), 'on time')
  clock.advance(4_499) // past the tolerance by 1 ms
  await send({ url: path.status(id), headers: STATUS })
  const r = await report(send)
  t.same(rulesOf(r, id), ['early-poll'])
  t.equal(r.tasks[0]?.findings[0]?.detail, 'status read 4.5 s after the previous one answered Retry-After: 5')
})

t.test('a client that sleeps Retry-After against a frozen clock is judged on real time: fair', async (t) => {
  const { send } = await makeApp(t, { retryAfterS: 1 })
  const id = await create(send, { timeline: [{ status: 'processing', polls: 2 }] })
  t.equal((await send({ url: path.status(id), headers: STATUS })).headers['retry-after'], '1')
  await sleep(1_000) // the mock clock stands still; a second passes for real
  await send({ url: path.status(id), headers: STATUS })
  t.same(rulesOf(await report(send), id), [], 'one real second after Retry-After: 1')
  await send({ url: path.status(id), headers: STATUS }) // at once
  t.same(rulesOf(await report(send), id), ['early-poll'])
})

t.test('retry-too-soon: any request sooner than the Retry-After of a 429 or 503; a client that waits is silent', async (t) => {
  const { send, clock } = await makeApp(t)
  const id = await create(send, { timeline: [] })
  await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: '*', taskId: id, times: 2, respond: { status: 503, retryAfter: 2 } } })
  t.equal((await send({ url: path.result(id), headers: STATUS })).statusCode, 503)
  clock.advance(2_000) // waits as told
  t.equal((await send({ url: path.result(id), headers: STATUS })).statusCode, 503)
  t.equal((await send({ url: path.result(id), headers: STATUS })).statusCode, 200, 'at once: too soon')
  await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'status', taskId: id, respond: { status: 429, retryAfter: 3 } } })
  clock.advance(5_000)
  t.equal((await send({ url: path.status(id), headers: STATUS })).statusCode, 429)
  clock.advance(2_000)
  t.equal((await send({ url: path.download(id), headers: ZIP })).statusCode, 200, '2 s after Retry-After: 3')
  const r = await report(send)
  t.same(rulesOf(r, id), ['retry-too-soon', 'retry-too-soon'])
  t.match(r.tasks[0]?.findings.map((f) => f.detail), [/^result request \d+ ms after a 503 with Retry-After: 2$/, 'download request 2 s after a 429 with Retry-After: 3'])
  t.same(r.summary.findings, counts({ 'retry-too-soon': 2 }), 'the status read after a 429 is not an early poll as well')
})

t.test('never-collected: once completed for RETRY_AFTER_S, or expired; a download cut part-way collects nothing', async (t) => {
  const { send, clock, app } = await makeApp(t)
  const quick = await create(send, { timeline: [] })
  const late = await create(send, { timeline: [], ttl: '1h' })
  const cut = await create(send, { timeline: [] })
  const reads = []
  for (const id of [quick, late, cut]) reads.push((await send({ url: path.status(id), headers: STATUS })).headers['x-call-id'])
  clock.advance(4_999)
  t.same((await report(send)).summary.findings, counts(), 'not yet: completed 4,999 ms ago')
  t.equal((await send({ url: path.result(quick), headers: STATUS })).statusCode, 200)
  clock.advance(1)
  t.same((await report(send)).summary.findings, counts({ 'never-collected': 2 }), 'the other two, 5 s on')

  // Expired before anyone collected it: judged on what its answers showed.
  clock.advance(3_600_000)
  const r = await report(send, `?taskId=${late.toUpperCase()}`)
  t.same(r.tasks.map((task) => task.findings), [[{ rule: 'never-collected', at: iso(T0 + 5_000), requestId: reads[1], detail: `completed at ${iso(T0)}; neither the result, a page nor the whole zip was fetched before it expired at ${iso(T0 + 3_600_000)}` }]])

  // A download cut part-way (a real socket: inject always finishes).
  const port = await listen(app, t)
  const other = await create(send, { timeline: [] })
  await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'download', taskId: other, drop: 'mid-download' } })
  const cut2 = await getOverSocket(port, path.download(other), ZIP)
  t.same([cut2.status, cut2.complete], [200, false], 'the zip is cut')
  // Recorded as the server sees the connection close (the journal in the same step).
  await send({ url: `/__admin/requests/wait?path=${path.download(other)}&count=1` })
  clock.advance(5_000)
  t.same(rulesOf(await report(send, `?taskId=${other}`), other), ['never-collected'])
})

t.test('abandoned: not terminal and no status read for 10 × RETRY_AFTER_S, up to its expiry', async (t) => {
  const { send, clock } = await makeApp(t)
  const polled = await create(send, { timeline: [{ status: 'processing', polls: 3 }], ttl: '10m' })
  const refused = await create(send, { timeline: [{ status: 'queued' }] })
  const done = await create(send, { timeline: [{ status: 'processing', polls: 1 }] })
  const poll = await send({ url: path.status(polled), headers: STATUS })
  const fetched = await send({ url: path.download(refused), headers: ZIP_ACCEPT }) // no credentials, and its status never read
  await send({ url: path.status(done), headers: STATUS })
  clock.advance(5_000)
  await send({ url: path.status(done), headers: STATUS }) // completed
  await send({ url: path.download(done), headers: ZIP })
  clock.advance(44_999)
  t.same((await report(send)).summary.findings, counts({ 'auth-failure': 1 }), '49,999 ms after its last status read')
  clock.advance(1)
  let r = await report(send)
  t.same(r.tasks.map((task) => task.findings.filter((f) => f.rule === 'abandoned')), [
    [{ rule: 'abandoned', at: iso(T0 + 50_000), requestId: poll.headers['x-call-id'], detail: `processing, and the last status read was at ${iso(T0)}: no status read for 50 s (10 × RETRY_AFTER_S)` }],
    [{ rule: 'abandoned', at: iso(T0 + 50_000), requestId: fetched.headers['x-call-id'], detail: `queued, and its status was never read (last request at ${iso(T0)}): no status read for 50 s (10 × RETRY_AFTER_S)` }],
    []
  ])
  // Expired (10 minutes) and swept: still abandoned, on what its answers showed.
  clock.advance(600_000)
  await send({ method: 'DELETE', url: `/__admin/tasks/${refused}` })
  r = await report(send)
  t.same(r.summary.findings, counts({ 'auth-failure': 1, abandoned: 2 }))
})

t.test('what counts for a task: its org, or no org; never another org, a wrong version, an unknown id or the control API', async (t) => {
  const { send } = await makeApp(t)
  const id = await create(send)
  await send({ url: path.status(id), headers: { ...AUTH2, ...JSON_ACCEPT } }) // org 2: 404, not its task
  await send({ url: path.status(id, 'v2.0'), headers: STATUS })
  await send({ method: 'POST', url: path.status(id), headers: STATUS })
  await send({ url: path.status('c0000000-0000-4000-8000-00000000ffff'), headers: STATUS })
  await send({ url: `/__admin/tasks/${id}` })
  t.same(await report(send), { tasks: [], summary: { tasks: 0, clean: 0, findings: counts() } })
  await send({ url: path.status(id.toUpperCase()), headers: JSON_ACCEPT }) // no org: an auth failure, counted
  t.same((await report(send)).tasks.map((task) => [task.id, task.requests]), [[id, 1]])
})

t.test('with AUTH_MODE=off every request acts as org 1: org 1 tasks count, other orgs\' do not', async (t) => {
  const { send } = await makeApp(t, { authMode: 'off' })
  const mine = await create(send)
  const theirs = await create(send, { orgId: ORG2 })
  await send({ url: path.status(mine), headers: { ...AUTH2, ...JSON_ACCEPT } })
  await send({ url: path.status(theirs), headers: { ...AUTH2, ...JSON_ACCEPT } })
  t.same((await report(send)).tasks.map((task) => task.id), [mine])
})

t.test('filters, namespaces, DELETE and reset', async (t) => {
  const { send } = await makeApp(t)
  const one = await create(send)
  const two = await create(send, {}, { 'x-flynn-n-org-id': ORG2 })
  await send({ url: path.status(one), headers: STATUS })
  await send({ url: path.status(TASK.org2), headers: { ...AUTH2, ...JSON_ACCEPT } })
  await send({ url: path.status(two), headers: { ...AUTH2, ...JSON_ACCEPT } })
  const ids = async (query = '', headers: Record<string, string> = {}) => (await report(send, query, headers)).tasks.map((task) => task.id)
  t.same(await ids(), [one, TASK.org2, two], 'in the order of their first request')
  t.same(await ids(`?orgId=${ORG2}`), [TASK.org2, two])
  t.same(await ids(`?taskId=${two}`), [two])
  t.same(await ids(`?taskId=${two}&orgId=${ORG1}`), [])
  t.same(await ids('', { 'x-flynn-n-org-id': ORG2 }), [TASK.org2, two], 'a namespace: its org only')
  t.same(await ids(`?orgId=${ORG1}`, { 'x-flynn-n-org-id': ORG2 }), [], 'another org named in a namespace')
  const bad = await send({ url: '/__admin/report?taskId=nope' })
  t.same([bad.statusCode, bad.json().error.args.details[0].path], [400, '/taskId'])
  const empty = await send({ url: '/__admin/report?orgId=' })
  t.same([empty.statusCode, empty.json().error.args.details[0].path], [400, '/orgId'], 'an empty orgId names no org')
  const unknown = await send({ url: '/__admin/report?status=x' })
  t.equal(unknown.statusCode, 400)

  // DELETE takes no filter: one would read as "forget only this task", and it forgets all.
  for (const [query, name] of [[`?taskId=${one}`, 'taskId'], [`?orgId=${ORG1}`, 'orgId'], ['?taskId=bad', 'taskId']]) {
    const refused = await send({ method: 'DELETE', url: `/__admin/report${query}` })
    t.same([refused.statusCode, refused.json()], [400, errorOf('err-invalid-request', 'ClientRequest', { details: [{ path: '', message: `must not have property '${name}'` }] })], `DELETE ${query}`)
  }
  t.same(await ids(), [one, TASK.org2, two], 'a refused DELETE forgets nothing')
  t.equal((await send({ method: 'DELETE', url: '/__admin/report', headers: { 'x-flynn-n-org-id': ORG2 } })).statusCode, 204)
  t.same(await ids(), [one], 'org 2 forgotten, org 1 kept')
  await send({ url: path.status(two), headers: { ...AUTH2, ...JSON_ACCEPT } })
  t.equal((await send({ method: 'POST', url: '/__admin/reset', headers: { 'x-flynn-n-org-id': ORG2 } })).statusCode, 204)
  t.same(await ids(), [one], 'an org reset forgets its tasks')
  t.equal((await send({ method: 'DELETE', url: '/__admin/report' })).statusCode, 204)
  t.same(await ids(), [])
  await send({ url: path.status(one), headers: STATUS })
  t.equal((await send({ method: 'POST', url: '/__admin/reset' })).statusCode, 204)
  t.same(await ids(), [], 'a reset forgets everything')
})

t.test('a task made again under its id starts afresh; a deleted one is judged on what it showed', async (t) => {
  const { send, clock } = await makeApp(t)
  const id = await create(send, { timeline: [{ status: 'processing' }] })
  await send({ url: path.status(id), headers: STATUS })
  await send({ url: path.status(id), headers: STATUS })
  t.same(rulesOf(await report(send), id), ['early-poll'])
  t.equal((await send({ method: 'DELETE', url: `/__admin/tasks/${id}` })).statusCode, 204)
  clock.advance(1)
  await create(send, { id, timeline: [] })
  await send({ url: path.result(id), headers: STATUS })
  t.same((await report(send)).tasks, [{ id, kind: 'generic', orgId: ORG1, requests: 1, findings: [] }])
})

t.test('a task lists the first 10 findings of each rule; the summary counts every one', async (t) => {
  const { send } = await makeApp(t)
  const id = await create(send, { timeline: [{ status: 'processing' }] })
  for (let i = 0; i < 13; i++) await send({ url: path.status(id), headers: STATUS })
  for (let i = 0; i < 2; i++) await send({ url: path.download(id), headers: ZIP })
  const r = await report(send)
  t.same(rulesOf(r, id), [...Array(10).fill('early-poll'), 'fetch-before-completed', 'fetch-before-completed'])
  t.same(r.summary.findings, counts({ 'early-poll': 12, 'fetch-before-completed': 2 }))
  t.equal(r.tasks[0]?.requests, 15)
})

t.test('the MAX_DOWNLOADS 503 asks the client to wait like a fault does', async (t) => {
  const { send, app } = await makeApp(t, { maxDownloads: 1 })
  const id = await create(send, { timeline: [] })
  const hold = app.mock.trackDownload(Readable.from([]))
  t.teardown(() => void hold.destroy())
  const busy = await send({ url: path.download(id), headers: ZIP })
  t.same([busy.statusCode, busy.headers['retry-after'], busy.json()], [503, '1', errorOf('err-service-unavailable', 'Runtime')])
  hold.destroy()
  await turn()
  await send({ url: path.download(id), headers: ZIP })
  t.same(rulesOf(await report(send), id), ['retry-too-soon'])
})

/** A well-behaved client, written with fetch: waits Retry-After (by moving the test's clock), collects once. */
async function carefulClient(base: string, id: string, wait: (seconds: number) => Promise<void>): Promise<void> {
  for (;;) {
    const res = await fetch(`${base}/enriched/tasks/v1.0/status/${id}`, { headers: STATUS })
    const retryAfter = res.headers.get('retry-after')
    if (res.status === 200) {
      const status = ((await res.json()) as { data: { task: { status: string } } }).data.task.status
      if (status === 'completed' || status === 'failed') break
    } else await res.body?.cancel()
    await wait(Number(retryAfter ?? 1))
  }
  const zip = await fetch(`${base}/enriched/tasks/v1.0/download/${id}`, { headers: ZIP })
  await zip.arrayBuffer()
}

/** A careless client, written with fetch: polls in a tight loop, downloads once with curl's accept. */
async function carelessClient(base: string, id: string): Promise<void> {
  for (let status = ''; status !== 'completed';) {
    const res = await fetch(`${base}/enriched/tasks/v1.0/status/${id}`, { headers: STATUS })
    status = res.ok ? ((await res.json()) as { data: { task: { status: string } } }).data.task.status : ''
  }
  await (await fetch(`${base}/enriched/tasks/v1.0/download/${id}`, { headers: { ...AUTH1, accept: '*/*' } })).arrayBuffer()
}

t.test('clients written with fetch against a listening server: the careful one is clean, the careless one is not', async (t) => {
  const { send, clock, app } = await makeApp(t)
  const base = `http://127.0.0.1:${await listen(app, t)}`
  const careful = await create(send, { scenario: 'retry-error' })
  const careless = await create(send, { scenario: 'slow' })
  await carefulClient(base, careful, async (seconds) => void clock.advance(seconds * 1_000))
  await carelessClient(base, careless)
  clock.advance(5_000)
  const r = await report(send)
  t.same(r.tasks.map((task) => [task.id, task.requests, task.findings.length]), [[careful, 4, 0], [careless, 9, 9]])
  t.same(r.summary, { tasks: 2, clean: 1, findings: counts({ 'early-poll': 7, 'wrong-accept': 1, 'never-collected': 1 }) })
})

t.test('a task completed that no answer showed completed, and one that expired before RETRY_AFTER_S passed', async (t) => {
  const { send, clock } = await makeApp(t)
  const unseen = await create(send, { timeline: [] })
  const refused = await send({ url: path.result(unseen), headers: { ...JSON_ACCEPT, 'x-flynn-n-org-id': ORG1 } })
  const brief = await create(send, { timeline: [], ttl: '2s' })
  const read = await send({ url: path.status(brief), headers: STATUS })
  clock.advance(5_000)
  const r = await report(send)
  t.same(r.tasks.map((task) => task.findings.at(-1)), [
    { rule: 'never-collected', at: iso(T0 + 5_000), requestId: refused.headers['x-call-id'], detail: `completed at ${iso(T0)}; neither the result, a page nor the whole zip was fetched within 5 s (RETRY_AFTER_S)` },
    { rule: 'never-collected', at: iso(T0 + 2_000), requestId: read.headers['x-call-id'], detail: `completed at ${iso(T0)}; neither the result, a page nor the whole zip was fetched before it expired at ${iso(T0 + 2_000)}` }
  ])
})

t.test('a request whose task the store cannot read is not counted; nor is one cut before any answer', async (t) => {
  const { send, app } = await makeApp(t)
  const id = await create(send)
  const { StoreUnavailableError } = await import('../src/store/store.js')
  const tasks = app.mock.store.tasks
  const prefetch = tasks.prefetch.bind(tasks)
  tasks.prefetch = () => async () => {
    throw new StoreUnavailableError('away')
  }
  t.teardown(() => {
    tasks.prefetch = prefetch
  })
  const away = await send({ url: path.status(id), headers: STATUS })
  t.same([away.statusCode, away.json()], [503, errorOf('err-service-unavailable', 'Runtime')])
  const port = await listen(app, t)
  await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'status', drop: 'before-response' } })
  const dropped = await getOverSocket(port, path.status(id), STATUS)
  t.equal(dropped.status, undefined)
  await send({ url: `/__admin/requests/wait?path=${path.status(id)}&count=2` })
  tasks.prefetch = prefetch
  t.same((await report(send)).tasks, [])
  // With the store back, a request cut before any answer counts (with status 0), read after the fact.
  await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: 'status', drop: 'before-response' } })
  await getOverSocket(port, path.status(id), STATUS)
  await send({ url: `/__admin/requests/wait?path=${path.status(id)}&count=3` })
  t.same((await report(send)).tasks.map((task) => [task.id, task.requests, task.findings]), [[id, 1, []]])
})

t.test('a task made again under its id, not yet asked for again, is judged as gone', async (t) => {
  const { send, clock } = await makeApp(t)
  const id = await create(send, { timeline: [{ status: 'processing' }] })
  await send({ url: path.status(id), headers: STATUS })
  await send({ method: 'DELETE', url: `/__admin/tasks/${id}` })
  clock.advance(1)
  await create(send, { id, timeline: [] })
  clock.advance(50_000)
  // The new task is completed, but the report still judges the old one: processing when last seen.
  t.same(rulesOf(await report(send), id), ['abandoned'])
})

t.test('the report\'s pure parts: details of odd answers, judging by real time, what is listed and what is counted', async (t) => {
  const { foldEvent, judgeTask, describeFindings, quotedAccept, reportJson } = await import('../src/report.js')
  const task = { id: 'c0000000-0000-4000-8000-0000000000d1', orgId: ORG1, kind: 'generic', createdAt: T0, expiresAt: T0 + 86_400_000, jobs: 1, timeline: [], outcome: 'completed' as const, pages: null }
  const event = { id: 'r', route: 'result' as const, head: false, code: 200, retryAfter: null, error: null, saw: null, whole: true, accept: null, page: null, at: T0, real: 0 }
  let facts = foldEvent(undefined, task, { ...event, code: 403 })
  facts = foldEvent(facts, task, { ...event, code: 400 })
  facts = foldEvent(facts, task, { ...event, route: 'page', code: 404 })
  facts = foldEvent(facts, task, { ...event, code: 406 })
  t.same(facts.findings.map((f) => f.detail), ['result answered 403', 'result answered 400: the task was not completed', 'page "" is not a page number', 'accept (none) on the result route, which needs application/json'])
  t.equal(quotedAccept('x'.repeat(300))?.length, 200)
  t.equal(quotedAccept(undefined), null)

  // Judged now: by real time when more of it passed than on the mock clock.
  const polled = foldEvent(undefined, task, { ...event, route: 'status', saw: 'processing', retryAfter: 5, real: 1_000 })
  const late = judgeTask(polled, { now: T0 + 10, realNow: 61_000, retryAfterS: 5, state: { status: 'processing', finishedAt: null } })
  t.same(late.report.findings, [{ rule: 'abandoned', at: iso(T0 + 10), requestId: 'r', detail: `processing, and the last status read was at ${iso(T0)}: no status read for 50 s (10 × RETRY_AFTER_S)` }])
  const done = foldEvent(undefined, task, { ...event, route: 'status', saw: 'completed', real: 1_000 })
  t.equal(judgeTask(done, { now: T0, realNow: 7_000, retryAfterS: 5 }).report.findings[0]?.at, iso(T0), 'never-collected by real time: now')

  // One finding: no plural; more than a task lists: said so.
  const one = { tasks: [{ id: task.id, kind: 'generic', orgId: ORG1, requests: 1, findings: [{ rule: 'auth-failure' as const, at: iso(T0), requestId: 'r', detail: 'result answered 403' }] }], summary: { tasks: 1, clean: 0, findings: counts({ 'auth-failure': 1 }) } }
  t.equal(describeFindings(one), `1 finding in the client report (1 of 1 tasks):\n- auth-failure: task ${task.id} (generic) at ${iso(T0)}, request r: result answered 403`)
  t.match(describeFindings({ ...one, summary: { ...one.summary, findings: counts({ 'auth-failure': 12 }) } }), /\n- and 11 more \(a task lists the first 10 of each rule\)$/)
  // The JSON, a part at a time: 50 tasks each.
  const many = Array.from({ length: 120 }, () => facts)
  const parts = [...reportJson(many, (f) => judgeTask(f, { now: T0, realNow: 0, retryAfterS: 5 }))]
  t.equal(parts.length, 5)
  t.equal(JSON.parse(parts.join('')).tasks.length, 120)
})

t.test('the report keeps at most 10,000 tasks: the first seen goes first', async (t) => {
  const { app } = await makeApp(t)
  const task = (n: number) => ({ id: `e0000000-0000-4000-8000-${String(n).padStart(12, '0')}`, orgId: ORG1, kind: 'generic', createdAt: T0, expiresAt: T0 + 86_400_000, jobs: 1, timeline: [], outcome: 'completed' as const, pages: null })
  const event = { id: 'r', route: 'result' as const, head: false, code: 200, retryAfter: null, error: null, saw: 'completed' as const, whole: true, accept: null, page: null, at: T0, real: 0 }
  await Promise.all(Array.from({ length: 10_001 }, (_, n) => app.mock.store.report.record(task(n), event)))
  const kept = await app.mock.store.report.list()
  t.same([kept.length, kept[0]?.task.id, kept.at(-1)?.task.id], [10_000, task(1).id, task(10_000).id])
})

t.test('a page number as received is quoted in part: a finding does not grow with the URL', async (t) => {
  const { send } = await makeApp(t)
  const long = '9'.repeat(20) + 'x'.repeat(5_000)
  await send({ url: path.page(TASK.returns, long), headers: STATUS })
  const [task] = (await report(send, `?taskId=${TASK.returns}`)).tasks
  t.same(task?.findings.map((f) => [f.rule, f.detail]), [['page-out-of-range', `page ${JSON.stringify(long.slice(0, 32))}... (cut) is not a page number`]])
})

t.test("a task made again by another org under the same id and createdAt is another task's report (§15)", async (t) => {
  const { send } = await makeApp(t)
  const spec = { id: '99999999-9999-4999-8999-999999999999', createdAt: iso(T0) }
  const id = await create(send, spec, { 'x-flynn-n-org-id': ORG1 })
  await send({ url: path.status(id), headers: { ...AUTH1, accept: 'text/org1' } })
  t.equal((await send({ method: 'DELETE', url: `/__admin/tasks/${id}` })).statusCode, 204)
  await create(send, spec, { 'x-flynn-n-org-id': ORG2 })
  const second = await send({ url: path.status(id), headers: { ...AUTH2, accept: 'text/org2-private' } })
  t.equal(second.statusCode, 406)
  t.same((await report(send, '', { 'x-flynn-n-org-id': ORG1 })).tasks, [], "org 1's namespace sees none of org 2's requests")
  const [theirs] = (await report(send, '', { 'x-flynn-n-org-id': ORG2 })).tasks
  t.same([theirs?.orgId, theirs?.requests, theirs?.findings.map((f) => f.requestId)], [ORG2, 1, [second.headers['x-call-id']]], 'org 2 sees its own request only')
})

t.test('a long timeline is not copied into the report: a held task is judged on its state read from the store', async (t) => {
  const { send, clock, app } = await makeApp(t)
  // More phases than the report copies (REPORT_TIMELINE_PHASES): forty seconds of processing.
  const timeline = Array.from({ length: REPORT_TIMELINE_PHASES + 24 }, () => ({ status: 'processing', ms: 1_000 }))
  const id = await create(send, { timeline })
  t.equal((await send({ url: path.status(id), headers: STATUS })).json().data.task.status, 'processing')
  const [kept] = await app.mock.store.report.list({ taskId: id })
  t.equal(kept?.task.timeline, null, 'the report keeps no copy of it')
  clock.advance(60_000)
  // Completed 40 s in (read from the store, not from what the client saw: processing), and not
  // collected within RETRY_AFTER_S; judged on what it showed, it would be "abandoned" instead.
  const [judged] = (await report(send, `?taskId=${id}`)).tasks
  t.same(judged?.findings.map((f) => f.rule), ['never-collected'])
  t.equal((await send({ method: 'DELETE', url: `/__admin/tasks/${id}` })).statusCode, 204)
  const [gone] = (await report(send, `?taskId=${id}`)).tasks
  t.same(gone?.findings.map((f) => f.rule), ['abandoned'], 'once deleted, judged on what it showed: processing, and no status read for 50 s')
})

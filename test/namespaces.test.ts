/**
 * Per-org namespaces in the control API (§15): a control call with `X-FLYNN-N-ORG-ID` acts only
 * in that org's namespace (clock, faults, journal, tasks, operations, reset); without it, globally.
 * Runs on both stores (`npm run test:redis` runs it on Redis).
 */
import t from 'tap'
import { AdminClient } from '../src/index.js'
import { AUTH1, errorOf, JSON_ACCEPT, listen, makeApp, ORG1, ORG2, path, T0, TASK, TOKEN2, type TestApp } from './helpers/app.js'
import { invoice, producerPath, SUBMIT, submit } from './helpers/producers.js'

const json = { 'content-type': 'application/json' }
const AUTH2 = { 'x-flynn-n-org-id': ORG2, 'x-flynn-n-user-token': TOKEN2 }
const STATUS1 = { ...AUTH1, ...JSON_ACCEPT }
const STATUS2 = { ...AUTH2, ...JSON_ACCEPT }
const in1 = { 'x-flynn-n-org-id': ORG1 }
const in2 = { 'x-flynn-n-org-id': ORG2 }
const HOUR = 3_600_000
const DAY = 24 * HOUR
const iso = (ms: number) => new Date(ms).toISOString()

/** A control call in a namespace (or globally, with `ns` undefined). */
const admin = (send: TestApp['send'], ns: Record<string, string> | undefined, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
  send({ method, url: `/__admin${url}`, headers: { ...(ns ?? {}), ...(payload === undefined ? {} : json) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) })

t.test('an org\'s clock: its move expires only its tasks; a global move keeps every offset', async (t) => {
  const { send } = await makeApp(t)
  const moved = await admin(send, in2, 'POST', '/clock', { advance: '8d' })
  t.same(moved.json(), { now: iso(T0 + 8 * DAY), mode: 'manual' })
  t.same((await admin(send, in2, 'GET', '/clock')).json(), { now: iso(T0 + 8 * DAY), mode: 'manual' })
  t.same((await admin(send, undefined, 'GET', '/clock')).json(), { now: iso(T0), mode: 'manual' }, 'the global clock did not move')
  t.same((await admin(send, in1, 'GET', '/clock')).json(), { now: iso(T0), mode: 'manual' }, 'nor did org 1\'s')
  t.equal((await send({ url: path.status(TASK.org2), headers: STATUS2 })).statusCode, 404, 'org 2\'s seeded task expired on its clock')
  t.equal((await send({ url: path.status(TASK.returns), headers: STATUS1 })).statusCode, 200, 'org 1\'s did not')
  t.equal((await admin(send, in2, 'POST', '/clock', { set: iso(T0 + DAY) })).statusCode, 409, 'never backwards, per org')
  t.equal((await admin(send, in1, 'POST', '/clock', { set: iso(T0 + DAY) })).statusCode, 200, 'while org 1 may go there')
  await admin(send, in1, 'POST', '/reset')

  await admin(send, undefined, 'POST', '/clock', { advance: '2h' })
  t.same((await admin(send, in2, 'GET', '/clock')).json().now, iso(T0 + 8 * DAY + 2 * HOUR), 'a global move carries a frozen org clock along')
  t.same((await admin(send, in1, 'GET', '/clock')).json().now, iso(T0 + 2 * HOUR))
  t.same((await admin(send, in2, 'POST', '/clock', { mode: 'system' })).json().mode, 'system')
  t.same((await admin(send, undefined, 'POST', '/reset')).statusCode, 204)
  const [global, org2] = [(await admin(send, undefined, 'GET', '/clock')).json(), (await admin(send, in2, 'GET', '/clock')).json()]
  t.equal(org2.mode, 'system', 'a global reset resets every org clock')
  t.ok(Math.abs(Date.parse(org2.now) - Date.parse(global.now)) < 1_000, 'to the global one')
})

t.test('faults, journal and tasks are scoped both ways', async (t) => {
  const { send } = await makeApp(t)
  await admin(send, undefined, 'DELETE', '/requests')
  const fault = (await admin(send, in2, 'POST', '/faults', { route: 'status', respond: { status: 503 }, times: 5 })).json().fault
  t.same(fault, { id: fault.id, route: 'status', respond: { status: 503 }, orgId: ORG2, times: 5 })
  t.same((await admin(send, in1, 'GET', '/faults')).json(), { faults: [] }, 'org 1 sees none of org 2\'s faults')
  t.same((await admin(send, undefined, 'GET', '/faults')).json(), { faults: [fault] }, 'globally, every fault')
  t.equal((await send({ url: path.status(TASK.returns), headers: STATUS1 })).statusCode, 200, 'org 1\'s requests are not hit')
  t.equal((await send({ url: path.status(TASK.org2), headers: STATUS2 })).statusCode, 503, 'org 2\'s are')
  await admin(send, in1, 'DELETE', '/faults')
  t.equal((await admin(send, in2, 'GET', '/faults')).json().faults.length, 1, 'org 1 cannot clear org 2\'s faults')

  const urls = async (ns: Record<string, string> | undefined) => (await admin(send, ns, 'GET', '/requests')).json().requests.map((e: { url: string }) => e.url)
  t.same(await urls(in1), [path.status(TASK.returns)])
  t.same(await urls(in2), [path.status(TASK.org2)])
  t.same(await urls(undefined), [path.status(TASK.returns), path.status(TASK.org2)])
  await admin(send, in1, 'DELETE', '/requests')
  t.same([await urls(in1), await urls(in2)], [[], [path.status(TASK.org2)]], 'org 1 clears only its own view')
  const wait = admin(send, in1, 'GET', '/requests/wait?count=1&timeoutMs=2000')
  await new Promise((resolve) => setTimeout(resolve, 30))
  await send({ url: path.status(TASK.org2), headers: STATUS2 })
  await send({ url: path.status(TASK.einvoices), headers: STATUS1 })
  t.same((await wait).json().requests.map((e: { url: string }) => e.url), [path.status(TASK.einvoices)], 'a wait in org 1 is not answered by org 2\'s request')

  const listed = async (ns: Record<string, string> | undefined) => (await admin(send, ns, 'GET', '/tasks')).json().tasks.map((task: { id: string }) => task.id)
  t.same(await listed(in2), [TASK.org2])
  t.notOk((await listed(in1)).includes(TASK.org2))
  const created = await admin(send, in2, 'POST', '/tasks', {})
  t.same([created.statusCode, created.json().task.orgId], [201, ORG2], 'orgId defaults to the namespace\'s org')
  const wrong = await admin(send, in1, 'POST', '/tasks', { orgId: ORG2 })
  t.same([wrong.statusCode, wrong.json()], [400, errorOf('err-invalid-request', 'ClientRequest', { details: [{ path: '/orgId', message: "must be the namespace's org (X-FLYNN-N-ORG-ID)" }] })])
  t.equal((await admin(send, in1, 'GET', `/tasks/${TASK.org2}`)).statusCode, 404, 'another org\'s task is not there')
  t.equal((await admin(send, in1, 'POST', `/tasks/${TASK.org2}/transition`, { status: 'completed' })).statusCode, 404)
  t.equal((await admin(send, in1, 'DELETE', `/tasks/${TASK.org2}`)).statusCode, 404)
  await admin(send, in2, 'DELETE', '/tasks')
  t.same(await listed(in2), [], 'org 2 deleted its own tasks')
  t.ok((await listed(in1)).includes(TASK.returns), 'and none of org 1\'s')
})

t.test('operations: an org\'s settings and next queue serve only its submits', async (t) => {
  const { send } = await makeApp(t)
  const name = 'einvoice-bulk-generation'
  t.equal((await admin(send, in2, 'PUT', `/operations/${name}`, { outcome: 'failed', timeline: [] })).statusCode, 200)
  t.same((await admin(send, in2, 'GET', `/operations/${name}`)).json().operation.outcome, 'failed')
  t.same((await admin(send, undefined, 'GET', `/operations/${name}`)).json().operation.outcome, 'completed', 'the global settings are unchanged')
  const ID = 'c0000000-0000-4000-8000-0000000000e1'
  t.equal((await admin(send, in1, 'POST', `/operations/${name}/next`, { id: ID })).statusCode, 201)
  const by2 = await submit((o) => send({ ...o, headers: { ...o.headers, ...AUTH2 } }), producerPath.generate(), { payload: [invoice('N-1')] })
  t.not(by2, ID, 'org 1\'s override is not taken by org 2')
  t.same((await admin(send, in2, 'GET', `/tasks/${by2}`)).json().task.status, 'failed', 'org 2\'s submit follows org 2\'s settings')
  t.equal(await submit(send, producerPath.generate(), { payload: [invoice('N-2')] }), ID, 'org 1\'s submit takes it')
  t.same((await admin(send, in1, 'GET', `/tasks/${ID}`)).json().task.status, 'processing', 'with the global settings')
  t.same((await admin(send, in1, 'GET', '/operations')).json().operations.find((o: { name: string }) => o.name === name).outcome, 'completed')
})

t.test('reset in a namespace resets only that org; logins expire on each org\'s clock', async (t) => {
  const { send } = await makeApp(t)
  await admin(send, in1, 'POST', '/faults', { route: 'result', delayMs: 1 })
  await admin(send, in2, 'POST', '/faults', { route: 'result', delayMs: 1 })
  const mine = (await admin(send, in1, 'POST', '/tasks', {})).json().task.id
  const theirs = (await admin(send, in2, 'POST', '/tasks', {})).json().task.id
  await admin(send, in1, 'POST', '/clock', { advance: '1h' })
  await admin(send, in2, 'POST', '/clock', { advance: '1h' })
  await admin(send, in2, 'PUT', '/operations/einvoice-bulk-generation', { outcome: 'failed' })
  await send({ url: path.status(TASK.org2), headers: STATUS2 })
  t.equal((await admin(send, in2, 'POST', '/reset')).statusCode, 204)
  t.same((await admin(send, in2, 'GET', '/faults')).json(), { faults: [] })
  t.equal((await admin(send, in1, 'GET', '/faults')).json().faults.length, 1, 'org 1\'s fault stays')
  t.same((await admin(send, in2, 'GET', '/clock')).json().now, iso(T0), 'org 2\'s clock follows the global one again')
  t.same((await admin(send, in1, 'GET', '/clock')).json().now, iso(T0 + HOUR), 'org 1\'s clock stays')
  t.equal((await admin(send, in2, 'GET', `/tasks/${theirs}`)).statusCode, 404, 'org 2\'s tasks are gone')
  t.same((await admin(send, in2, 'GET', `/tasks/${TASK.org2}`)).json().task.polls, 0, 'and its seeded ones made again')
  t.equal((await admin(send, in1, 'GET', `/tasks/${mine}`)).statusCode, 200, 'org 1\'s task stays')
  t.same((await admin(send, in2, 'GET', '/requests')).json(), { requests: [], next: null })
  t.same((await admin(send, in2, 'GET', '/operations/einvoice-bulk-generation')).json().operation.outcome, 'completed')

  const login = await send({ method: 'POST', url: '/theodore/apis/v1/authtokens', headers: json, payload: JSON.stringify({ handle: 'demo@example.com', handleType: 'email', password: 'demo-password', tokenDurationInMins: 30 }) })
  const token = login.json().data.token as string
  await admin(send, in2, 'POST', '/clock', { advance: '30m' })
  const as = (orgId: string, id: string) => send({ url: path.status(id), headers: { 'x-flynn-n-org-id': orgId, 'x-flynn-n-user-token': token, ...JSON_ACCEPT } })
  t.same((await as(ORG2, TASK.org2)).json(), errorOf('err-expired-token', 'Authorization'), 'expired for org 2, on its clock')
  t.equal((await as(ORG1, TASK.returns)).statusCode, 200, 'still good for org 1')
})

t.test('the journal keeps JOURNAL_SIZE entries per org: one team cannot evict another\'s', async (t) => {
  const { send, app } = await makeApp(t, { journalSize: 3 })
  await send({ url: path.status(TASK.org2), headers: STATUS2 })
  for (let i = 0; i < 5; i++) await send({ url: path.status(TASK.returns), headers: STATUS1 })
  t.equal((await admin(send, in1, 'GET', '/requests')).json().requests.length, 3)
  t.same((await admin(send, in2, 'GET', '/requests')).json().requests.map((e: { url: string }) => e.url), [path.status(TASK.org2)], 'org 2\'s entry is still there')
  t.equal((await admin(send, undefined, 'GET', '/requests')).json().requests.length, 3, 'the global view holds the newest')
  // Many orgs: the memory store keeps the views of the latest 1,000.
  for (let i = 0; i < 1_001; i++) await app.mock.store.journal.record({ id: String(i), at: iso(T0), method: 'GET', url: `/x/${i}`, status: 200, durationMs: 0, headers: { 'x-flynn-n-org-id': `org-${i}` } })
  t.same((await app.mock.store.journal.list({ orgId: 'org-1000' })).map((e) => e.url), ['/x/1000'])
  // A team waiting on its view keeps it while many others come and go; refused requests enter no view.
  const waiting = admin(send, in2, 'GET', '/requests/wait?count=1&timeoutMs=3000&path=/enriched/')
  await new Promise((resolve) => setTimeout(resolve, 30))
  for (let i = 0; i < 150; i++) await app.mock.store.journal.record({ id: String(i), at: iso(T0), method: 'GET', url: `/y/${i}`, status: 200, durationMs: 0, headers: { 'x-flynn-n-org-id': `more-${i}` } })
  const held = (await app.mock.store.journal.list({ orgId: ORG2 })).length
  await send({ url: path.status(TASK.org2), headers: { ...STATUS2, 'x-flynn-n-user-token': 'wrong' } })
  t.equal((await app.mock.store.journal.list({ orgId: ORG2 })).length, held + 1, 'a team sees its own refused requests')
  await send({ url: path.status(TASK.org2), headers: { ...STATUS2, 'x-flynn-n-org-id': 'made-up' } })
  t.same(await app.mock.store.journal.list({ orgId: 'made-up' }), [], 'a refused request makes no view for a made-up org')
  await send({ url: path.status(TASK.org2), headers: STATUS2 })
  t.equal((await waiting).statusCode, 200, 'the wait is answered')
  t.equal(await admin(send, undefined, 'DELETE', '/requests').then((res) => res.statusCode), 204)
  t.same((await app.mock.store.journal.list({ orgId: 'org-1000' })), [], 'a global clear clears every org\'s view')
})

t.test('bad namespaces, fixture ids taken by another org, clocks at the end of time', async (t) => {
  const { send, app } = await makeApp(t)
  for (const org of ['', 'x'.repeat(201)]) {
    const res = await admin(send, { 'x-flynn-n-org-id': org }, 'POST', '/reset')
    t.same([res.statusCode, res.json()], [400, errorOf('err-invalid-request', 'ClientRequest', { details: [{ path: 'X-FLYNN-N-ORG-ID', message: 'must be an org id of 1 to 200 characters' }] })], `${org.length} characters: not a global reset`)
  }
  // Org 1 takes org 2's fixture id while org 2's task has expired; org 2's reset takes it back.
  await admin(send, in2, 'POST', '/clock', { advance: '8d' })
  t.equal((await admin(send, in1, 'POST', '/tasks', { id: TASK.org2 })).statusCode, 201)
  t.equal((await admin(send, in2, 'POST', '/reset')).statusCode, 204)
  t.same((await admin(send, in2, 'GET', `/tasks/${TASK.org2}`)).json().task.orgId, ORG2)
  // The sweep makes an expired fixture task again at its own org's now.
  await admin(send, in2, 'POST', '/clock', { advance: '8d' })
  await app.mock.sweep()
  t.same((await admin(send, in2, 'GET', `/tasks/${TASK.org2}`)).json().task.createdAt, iso(T0 + 8 * DAY), 'on org 2\'s clock')
  // An org clock following the global one at an offset stops at the end of time, and never goes back.
  await admin(send, in2, 'POST', '/clock', { mode: 'system' })
  await admin(send, undefined, 'POST', '/clock', { set: '9999-12-31T00:00:00.000Z' })
  t.same((await admin(send, in2, 'GET', '/clock')).json().now, '9999-12-31T23:59:59.999Z')
  await admin(send, in2, 'POST', '/clock', { mode: 'manual' })
  await admin(send, undefined, 'POST', '/clock', { advance: '1s' })
  t.same((await admin(send, in2, 'GET', '/clock')).json().now, '9999-12-31T23:59:59.999Z')
})

t.test('AdminClient with orgId acts only in its org\'s namespace', async (t) => {
  const { app } = await makeApp(t)
  const url = `http://127.0.0.1:${await listen(app, t)}`
  t.throws(() => new AdminClient(url, { orgId: '' }), TypeError, 'an empty org is no namespace')
  const team2 = new AdminClient(url, { orgId: ORG2 })
  const everyone = new AdminClient(url)
  await team2.advanceClock('8d')
  t.same((await everyone.getClock()).now, iso(T0))
  t.same((await team2.listTasks()).map((task) => task.id), [])
  t.same((await everyone.forOrg(ORG1).listTasks()).length, 7)
})

t.test('two teams at once, in random interleavings, see exactly what each sees alone', async (t) => {
  // Each team runs a fixed script of control and task calls in its namespace. Alone on a fresh
  // server, and then interleaved with the other team at random, it must get the same answers.
  type Step = (send: TestApp['send']) => Promise<string>
  const team = (orgId: string, auth: Record<string, string>, seeded: string): Step[] => {
    const ns = { 'x-flynn-n-org-id': orgId }
    const id = orgId === ORG1 ? 'd1000000-0000-4000-8000-000000000001' : 'd2000000-0000-4000-8000-000000000001'
    const show = async (res: Promise<{ statusCode: number; body: string }>) => {
      const { statusCode, body } = await res
      return `${statusCode} ${body.replace(/"id":"[0-9a-f-]{36}"/g, '"id":"-"').replace(/"durationMs":[0-9.]+/g, '').replace(/"x-call-id":"[^"]+"/g, '').replace(/"at":"[^"]+"/g, '')}`
    }
    return [
      (send) => show(admin(send, ns, 'POST', '/tasks', { id, timeline: [{ status: 'processing', polls: 2 }] })),
      (send) => show(send({ url: path.status(id), headers: { ...auth, ...JSON_ACCEPT } })),
      (send) => show(admin(send, ns, 'POST', '/faults', { route: 'status', respond: { status: 429, retryAfter: 3 } })),
      (send) => show(send({ url: path.status(id), headers: { ...auth, ...JSON_ACCEPT } })),
      (send) => show(send({ url: path.status(id), headers: { ...auth, ...JSON_ACCEPT } })),
      (send) => show(admin(send, ns, 'POST', '/clock', { advance: '7d' })),
      (send) => show(send({ url: path.status(seeded), headers: { ...auth, ...JSON_ACCEPT } })),
      (send) => show(admin(send, ns, 'GET', '/tasks')),
      (send) => show(admin(send, ns, 'GET', '/faults')),
      (send) => show(admin(send, ns, 'GET', '/requests?path=/enriched/')),
      (send) => show(admin(send, ns, 'POST', '/reset')),
      (send) => show(send({ url: path.status(seeded), headers: { ...auth, ...JSON_ACCEPT } })),
      (send) => show(admin(send, ns, 'GET', '/clock'))
    ]
  }
  const teams = [team(ORG1, AUTH1, TASK.returns), team(ORG2, AUTH2, TASK.org2)]
  const alone: string[][] = []
  for (const steps of teams) {
    const { send } = await makeApp(t)
    const seen: string[] = []
    for (const step of steps) seen.push(await step(send))
    alone.push(seen)
  }
  let seed = 42
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31
  for (let run = 0; run < 10; run++) {
    const { send } = await makeApp(t)
    const seen: string[][] = [[], []]
    const next = [0, 0]
    // One step at a time, the team chosen at random; some steps of both run at once.
    while (next[0]! < teams[0]!.length || next[1]! < teams[1]!.length) {
      const both = next[0]! < teams[0]!.length && next[1]! < teams[1]!.length && random() < 0.3
      const which = next[0]! >= teams[0]!.length ? 1 : next[1]! >= teams[1]!.length ? 0 : random() < 0.5 ? 0 : 1
      const picks = both ? [0, 1] : [which]
      const answers = await Promise.all(picks.map((i) => (teams[i] as Step[])[next[i]!]!(send)))
      picks.forEach((i, k) => {
        seen[i]!.push(answers[k]!)
        next[i]!++
      })
    }
    t.same(seen, alone, `interleaving ${run}: no cross-effect`)
  }
})

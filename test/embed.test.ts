import t from 'tap'
import { AdminClient, AdminError, ClientReportError, startMockServer } from '../src/index.js'
import { ORG1, TASK } from './helpers/app.js'

/** What a promise rejected with (fails the test if it resolved). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('resolved'),
    (error: unknown) => error
  )
}

t.test('startMockServer: port 0, manual clock, no logs; every AdminClient call', async (t) => {
  const mock = await startMockServer()
  t.teardown(() => mock.close())
  t.match(mock.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal(mock.url, `http://127.0.0.1:${mock.port}`)
  const { admin } = mock
  const clock = await admin.getClock()
  t.equal(clock.mode, 'manual', 'manual by default')

  const created = await admin.createTask({ id: 'f0000000-0000-4000-8000-000000000001', jobs: 2, timeline: [{ status: 'processing' }] })
  t.match(created, { id: 'f0000000-0000-4000-8000-000000000001', status: 'processing', jobs: { total: 2, pending: 2 } })
  t.same(await admin.getTask(created.id), created)
  t.same((await admin.listTasks({ status: 'processing', orgId: ORG1 })).map((x) => x.id), [TASK.processing, TASK.thirtySeconds, created.id])
  t.match(await admin.transition(created.id, 'completed'), { status: 'completed' })
  const refused = await admin.transition(created.id, 'failed').catch((e: unknown) => e)
  t.ok(refused instanceof AdminError)
  t.match(refused, { code: 'ERR_ADMIN', status: 409, body: { error: { message: 'err-invalid-transition' } }, message: `POST /tasks/${created.id}/transition answered 409 err-invalid-transition` })
  await admin.deleteTask(created.id)
  t.match(await rejection(admin.getTask(created.id)), { code: 'ERR_ADMIN', status: 404 })

  await admin.addOrg({ orgId: 'org-z', token: 'tok-z' })
  t.match(await admin.advanceClock('1h'), { now: new Date(Date.parse(clock.now) + 3_600_000).toISOString() })
  t.match(await admin.setClock(Date.parse(clock.now) + 7_200_000), { now: new Date(Date.parse(clock.now) + 7_200_000).toISOString(), mode: 'manual' })
  t.equal((await admin.setClockMode('system')).mode, 'system')

  const fault = await admin.addFault({ route: 'status', taskId: TASK.returns, respond: { status: 503, retryAfter: 2 } })
  t.same(await admin.faults(), [fault])
  const res = await fetch(`${mock.url}/enriched/tasks/v1.0/status/${TASK.returns}`)
  t.equal(res.status, 503)
  t.equal(res.headers.get('retry-after'), '2')
  await admin.clearFaults()
  t.same(await admin.faults(), [])

  t.equal((await admin.requests()).length, 1)
  t.equal((await admin.waitForRequests({ count: 1, timeoutMs: 100 })).length, 1)
  t.match(await rejection(admin.waitForRequests({ count: 2, timeoutMs: 10 })), { code: 'ERR_ADMIN', status: 408 })
  await admin.clearRequests()
  t.same(await admin.requests({ limit: 5 }), [])

  await admin.deleteTasks()
  t.same(await admin.listTasks(), [], 'every task deleted, the seeded ones too')
  await admin.reset()
  t.equal((await admin.listTasks()).length, 8)
  t.equal((await admin.getClock()).mode, 'system', 'reset: system mode')
})

t.test('AdminClient against a remote instance with ADMIN_TOKEN', async (t) => {
  const mock = await startMockServer({ settings: { adminToken: 'tkn' }, clock: 'system' })
  t.teardown(() => mock.close())
  t.equal((await mock.admin.getClock()).mode, 'system')
  const remote = new AdminClient(`${mock.url}/`, { token: 'tkn' })
  t.equal((await remote.listTasks()).length, 8)
  const anonymous = new AdminClient(mock.url)
  t.match(await rejection(anonymous.listTasks()), { code: 'ERR_ADMIN', status: 401, body: { error: { message: 'err-admin-unauthorized', type: 'Authorization', args: {} } } })
})

t.test('an AdminError without a body', async (t) => {
  const error = new AdminError(502, null, 'GET', '/tasks')
  t.equal(error.message, 'GET /tasks answered 502')
  t.equal(error.name, 'AdminError')
})

t.test('startMockServer on IPv6 loopback brackets the host in its URL', async (t) => {
  const mock = await startMockServer({ settings: { host: '::1' } })
  t.teardown(() => mock.close())
  t.equal(mock.url, `http://[::1]:${mock.port}`)
  t.equal((await mock.admin.getClock()).mode, 'manual')
})

t.test('AdminClient: the client report, assertWellBehaved and the scenarios (§21)', async (t) => {
  const mock = await startMockServer()
  t.teardown(() => mock.close())
  const { admin } = mock
  t.same((await admin.scenarios()).map((s) => s.name), ['happy', 'slow', 'retry-error', 'fails-midway', 'expires-before-download', 'truncated-download', 'rate-limited'])
  t.same(await admin.assertWellBehaved(), { tasks: [], summary: { tasks: 0, clean: 0, findings: { 'early-poll': 0, 'poll-after-terminal': 0, 'fetch-before-completed': 0, 'wrong-accept': 0, 'auth-failure': 0, 'retry-too-soon': 0, 'page-out-of-range': 0, 'never-collected': 0, abandoned: 0 } } }, 'nothing seen: clean')
  const task = await admin.createTask({ scenario: 'happy' })
  const res = await fetch(`${mock.url}/enriched/tasks/v1.0/result/${task.id}`, { headers: { 'x-flynn-n-org-id': ORG1, 'x-flynn-n-user-token': 'demo-token', accept: 'application/json' } })
  t.equal(res.status, 400)
  const failure = await rejection(admin.assertWellBehaved({ taskId: task.id }))
  t.ok(failure instanceof ClientReportError)
  t.match(failure, { code: 'ERR_CLIENT_REPORT', name: 'ClientReportError', report: { summary: { tasks: 1, clean: 0 } } })
  const { report, message } = failure as ClientReportError
  t.equal(message, `1 finding in the client report (1 of 1 tasks):\n- fetch-before-completed: task ${task.id} (generic) at ${report.tasks[0]?.findings[0]?.at}, request ${res.headers.get('x-call-id')}: result answered 400: the task was processing`)
  t.same(await admin.report({ orgId: 'another org' }), { ...report, tasks: [], summary: { ...report.summary, tasks: 0, clean: 0, findings: { ...report.summary.findings, 'fetch-before-completed': 0 } } })
  await admin.clearReport()
  t.same((await admin.report()).tasks, [])
})

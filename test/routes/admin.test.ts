import t from 'tap'
import { AUTH1, errorOf, JSON_ACCEPT, makeApp, NOT_FOUND, ORG1, path, T0, TASK, UUID_RE, ZIP_ACCEPT, taskNotFound } from '../helpers/app.js'

const DAY = 86_400_000
const iso = (ms: number) => new Date(ms).toISOString()
const invalid = (details: Array<{ path: string; message: string }>) => errorOf('err-invalid-request', 'ClientRequest', { details })
const json = { 'content-type': 'application/json' }

t.test('POST /__admin/tasks with an empty body creates a task with every default', async (t) => {
  const { send } = await makeApp(t)
  for (const headers of [{}, json]) {
    const res = await send({ method: 'POST', url: '/__admin/tasks', headers })
    t.equal(res.statusCode, 201)
    const { task } = res.json() as { task: { id: string } }
    t.match(task.id, UUID_RE)
    t.same(task, {
      id: task.id, orgId: ORG1, kind: 'generic', status: 'processing', jobs: { total: 1, pending: 1 },
      createdAt: iso(T0), expiresAt: iso(T0 + 7 * DAY), pages: null, polls: 0
    })
    // The default timeline: the first status read answers processing, later reads completed.
    const status = async () => (await send({ url: path.status(task.id), headers: { ...AUTH1, ...JSON_ACCEPT } })).json()
    t.same(await status(), { data: { task: { id: task.id, status: 'processing' } } })
    t.same(await status(), { data: { task: { id: task.id, status: 'completed' } } })
    const result = await send({ url: path.result(task.id), headers: { ...AUTH1, ...JSON_ACCEPT } })
    t.same(result.json(), { data: {} }, 'default result {}')
  }
})

t.test('POST /__admin/tasks with every field', async (t) => {
  const { send, clock } = await makeApp(t)
  const id = 'E0000000-0000-4000-8000-000000000001'
  const res = await send({
    method: 'POST', url: '/__admin/tasks', headers: json,
    payload: {
      id, orgId: 'org-x', kind: 'gst-returns-download', jobs: 8, createdAt: '2026-01-15T09:00:00.000Z',
      timeline: [{ status: 'queued', ms: 1000 }, { status: 'processing', polls: 2 }, { status: 'processing' }],
      outcome: 'failed', pages: [{ a: 1 }, { b: 2 }], files: [{ name: 'a/b.json', json: { x: 1 } }, { name: 'c.txt', text: 'hi' }, { name: 'd.bin', base64: 'AAEC' }]
    }
  })
  t.equal(res.statusCode, 201)
  t.same(res.json(), { task: {
    id: id.toLowerCase(), orgId: 'org-x', kind: 'gst-returns-download', status: 'processing', jobs: { total: 8, pending: 8 },
    createdAt: '2026-01-15T09:00:00.000Z', expiresAt: iso(Date.parse('2026-01-15T09:00:00.000Z') + 7 * DAY), pages: 2, polls: 0
  } })
  const epoch = await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { createdAt: clock.now() - 5, generate: { pages: 3 } } })
  t.match(epoch.json(), { task: { createdAt: iso(T0 - 5), pages: 3 } })
})

t.test('POST /__admin/tasks rejects invalid specs with details', async (t) => {
  const { send } = await makeApp(t)
  const cases: Array<[string, unknown, Array<{ path: string; message: string }>]> = [
    ['not an object', [1], [{ path: '', message: 'must be object' }]],
    ['unknown field', { colour: 'red' }, [{ path: '', message: "must not have property 'colour'" }]],
    ['bad id', { id: 'x' }, [{ path: '/id', message: 'must match pattern "' + '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' + '"' }]],
    ['jobs 0', { jobs: 0 }, [{ path: '/jobs', message: 'must be >= 1' }]],
    ['jobs 1.5', { jobs: 1.5 }, [{ path: '/jobs', message: 'must be integer' }]],
    ['result with pages', { result: 1, pages: [1] }, [{ path: '/result', message: 'must not be given with pages or generate' }]],
    ['result with generate', { result: null, generate: { pages: 1 } }, [{ path: '/result', message: 'must not be given with pages or generate' }]],
    ['pages with generate', { pages: [1], generate: { pages: 1 } }, [{ path: '/generate', message: 'must not be given with pages' }]],
    ['empty pages', { pages: [] }, [{ path: '/pages', message: 'must NOT have fewer than 1 items' }]],
    ['generate.pages 0', { generate: { pages: 0 } }, [{ path: '/generate/pages', message: 'must be >= 1' }]],
    ['ms 0', { timeline: [{ status: 'processing', ms: 0 }] }, [{ path: '/timeline/0/ms', message: 'must be >= 1' }]],
    ['polls 1.5', { timeline: [{ status: 'processing', polls: 1.5 }] }, [{ path: '/timeline/0/polls', message: 'must be integer' }]],
    ['ms and polls', { timeline: [{ status: 'processing', ms: 1, polls: 1 }] }, [{ path: '/timeline/0', message: 'must not have both ms and polls' }]],
    ['completed phase', { timeline: [{ status: 'completed' }] }, [{ path: '/timeline/0/status', message: 'must be equal to one of the allowed values' }]],
    ['timeline backwards', { timeline: [{ status: 'processing', ms: 5 }, { status: 'queued' }] }, [{ path: '/timeline/1/status', message: 'queued must come before processing' }]],
    ['bad outcome', { outcome: 'cancelled' }, [{ path: '/outcome', message: 'must be equal to one of the allowed values' }]],
    ['bad createdAt', { createdAt: '2026-13-45T10:00:00Z' }, [{ path: '/createdAt', message: 'must be a valid ISO-8601 date-time' }]],
    ['file named result.json', { files: [{ name: 'result.json', text: '' }] }, [{ path: '/files/0/name', message: 'must not be result.json or under pages/' }]],
    ['file under pages/', { files: [{ name: 'pages/0.json', text: '' }] }, [{ path: '/files/0/name', message: 'must not be result.json or under pages/' }]],
    ['file given twice', { files: [{ name: 'a', text: '' }, { name: 'a', json: 1 }] }, [{ path: '/files/1/name', message: 'must not be given twice' }]],
    ['file with ..', { files: [{ name: 'a/../b', text: '' }] }, [{ path: '/files/0/name', message: 'must be a relative path of non-empty segments other than . and .., without \\, : or control characters' }]],
    ['absolute file', { files: [{ name: '/etc/passwd', text: '' }] }, [{ path: '/files/0/name', message: 'must be a relative path of non-empty segments other than . and .., without \\, : or control characters' }]],
    ['file without content', { files: [{ name: 'a' }] }, [{ path: '/files/0', message: 'must have exactly one of json, text or base64' }]],
    ['file with two contents', { files: [{ name: 'a', text: '', json: 1 }] }, [{ path: '/files/0', message: 'must have exactly one of json, text or base64' }]],
    ['createdAt of the wrong type', { createdAt: true }, [{ path: '/createdAt', message: 'must match a schema in anyOf' }]],
    ['bad base64', { files: [{ name: 'a', base64: '!!' }] }, [{ path: '/files/0/base64', message: 'must match pattern "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"' }]]
  ]
  for (const [name, payload, details] of cases) {
    const res = await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: JSON.stringify(payload) })
    t.equal(res.statusCode, 400, name)
    t.same(res.json(), invalid(details), name)
  }
})

t.test('POST /__admin/tasks: 409 for a taken id, 507 at MAX_TASKS', async (t) => {
  const { send } = await makeApp(t, { maxTasks: 9 })
  const taken = await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { id: TASK.returns.toUpperCase() } })
  t.same([taken.statusCode, taken.json()], [409, errorOf('err-task-exists', 'ClientRequest')])
  t.equal((await send({ method: 'POST', url: '/__admin/tasks' })).statusCode, 201, 'the ninth task fits')
  const full = await send({ method: 'POST', url: '/__admin/tasks' })
  t.same([full.statusCode, full.json()], [507, errorOf('err-task-limit', 'Runtime')])
})

t.test('control-API bodies: JSON only, malformed JSON, over the size limit', async (t) => {
  const { send } = await makeApp(t, { maxBodySize: 2048 })
  const cases: Array<[string, Record<string, string>, string, number, unknown]> = [
    ['text/plain', { 'content-type': 'text/plain' }, '{}', 400, invalid([{ path: '', message: 'content type must be application/json' }])],
    ['form', { 'content-type': 'application/x-www-form-urlencoded' }, 'a=1', 400, invalid([{ path: '', message: 'content type must be application/json' }])],
    ['malformed', json, '{"jobs":', 400, invalid([{ path: '', message: 'must be valid JSON' }])],
    ['prototype poisoning', json, '{"__proto__":{"x":1}}', 400, invalid([{ path: '', message: 'must be valid JSON' }])],
    ['too large', json, JSON.stringify({ result: 'x'.repeat(3000) }), 413, errorOf('err-payload-too-large', 'ClientRequest')]
  ]
  for (const [name, headers, payload, status, body] of cases) {
    const res = await send({ method: 'POST', url: '/__admin/tasks', headers, payload })
    t.equal(res.statusCode, status, name)
    t.same(res.json(), body, name)
  }
  const charset = await send({ method: 'POST', url: '/__admin/tasks', headers: { 'content-type': 'application/json; charset=utf-8' }, payload: '{"jobs":2}' })
  t.equal(charset.statusCode, 201, 'a charset parameter is fine')
})

t.test('GET /__admin/tasks lists live tasks, filtered by org and status', async (t) => {
  const { send, clock } = await makeApp(t)
  const all = (await send({ url: '/__admin/tasks' })).json() as { tasks: Array<{ id: string; status: string }> }
  t.same(all.tasks.map((x) => x.id), Object.values(TASK))
  const processing = (await send({ url: '/__admin/tasks?status=processing' })).json() as { tasks: Array<{ id: string }> }
  t.same(processing.tasks.map((x) => x.id), [TASK.processing, TASK.thirtySeconds])
  const org2 = (await send({ url: '/__admin/tasks?orgId=00000000-0000-4000-8000-000000000002' })).json() as { tasks: Array<{ id: string }> }
  t.same(org2.tasks.map((x) => x.id), [TASK.org2])
  const bad = await send({ url: '/__admin/tasks?status=done' })
  t.same([bad.statusCode, bad.json()], [400, invalid([{ path: '/status', message: 'must be equal to one of the allowed values' }])])
  const extra = await send({ url: '/__admin/tasks?colour=red' })
  t.equal(extra.statusCode, 400)
  clock.advance(7 * DAY)
  t.same((await send({ url: '/__admin/tasks' })).json(), { tasks: [], next: null }, 'expired tasks are not listed')
})

t.test('GET and DELETE /__admin/tasks/{id}', async (t) => {
  const { send } = await makeApp(t)
  const one = await send({ url: `/__admin/tasks/${TASK.returns.toUpperCase()}` })
  t.same(one.json(), { task: { id: TASK.returns, orgId: ORG1, kind: 'gst-returns-download', status: 'completed', jobs: { total: 1, pending: 0 }, createdAt: iso(T0), expiresAt: iso(T0 + 7 * DAY), pages: 3, polls: 0 } })
  for (const id of ['nope', 'c0000000-0000-4000-8000-000000000000']) {
    const res = await send({ url: `/__admin/tasks/${id}` })
    t.same([res.statusCode, res.json()], [404, NOT_FOUND], id)
    const del = await send({ method: 'DELETE', url: `/__admin/tasks/${id}` })
    t.same([del.statusCode, del.json()], [404, NOT_FOUND], id)
  }
  const del = await send({ method: 'DELETE', url: `/__admin/tasks/${TASK.returns}` })
  t.same([del.statusCode, del.body], [204, ''])
  const gone = await send({ url: path.status(TASK.returns), headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.same(gone.json(), taskNotFound(TASK.returns))
  const all = await send({ method: 'DELETE', url: '/__admin/tasks' })
  t.equal(all.statusCode, 204)
  t.same((await send({ url: '/__admin/tasks' })).json(), { tasks: [], next: null })
})

t.test('POST /__admin/tasks/{id}/transition moves forward only', async (t) => {
  const { send, clock } = await makeApp(t)
  const move = (id: string, status: unknown) => send({ method: 'POST', url: `/__admin/tasks/${id}/transition`, headers: json, payload: JSON.stringify({ status }) })
  clock.advance(1000)
  const res = await move(TASK.processing, 'completed')
  t.equal(res.statusCode, 200)
  t.match(res.json(), { task: { id: TASK.processing, status: 'completed', jobs: { total: 10, pending: 0 } } })
  const zip = await send({ url: path.download(TASK.processing), headers: { ...AUTH1, ...ZIP_ACCEPT } })
  t.equal(zip.statusCode, 200, 'a completed task downloads')
  for (const status of ['processing', 'failed', 'completed']) {
    const again = await move(TASK.processing, status)
    t.same([again.statusCode, again.json()], [409, errorOf('err-invalid-transition', 'ClientRequest')], `completed -> ${status}`)
  }
  const same = await move(TASK.thirtySeconds, 'processing')
  t.match(same.json(), { task: { status: 'processing', jobs: { total: 4, pending: 4 } } }, 'same state: open-ended')
  clock.advance(60_000)
  t.match((await send({ url: `/__admin/tasks/${TASK.thirtySeconds}` })).json(), { task: { status: 'processing' } }, 'no longer completes by time')
  const failed = await move(TASK.thirtySeconds, 'failed')
  t.match(failed.json(), { task: { status: 'failed', jobs: { total: 4, pending: 4 } } })
  const queued = await move(TASK.thirtySeconds, 'queued')
  t.same([queued.statusCode, queued.json()], [400, invalid([{ path: '/status', message: 'must be equal to one of the allowed values' }])])
  const missing = await move('c0000000-0000-4000-8000-000000000000', 'completed')
  t.same([missing.statusCode, missing.json()], [404, NOT_FOUND])
})

t.test('POST /__admin/orgs registers credentials for strict auth', async (t) => {
  const { send, clock } = await makeApp(t)
  const headers = { 'x-flynn-n-org-id': 'org-new', 'x-flynn-n-user-token': 'tok', ...JSON_ACCEPT }
  const before = await send({ url: path.status(TASK.returns), headers })
  t.same(before.json(), errorOf('err-invalid-org', 'Authorization'))
  const res = await send({ method: 'POST', url: '/__admin/orgs', headers: json, payload: { orgId: 'org-new', token: 'tok', expiresAt: iso(T0 + 1000) } })
  t.same([res.statusCode, res.json()], [201, { credential: { orgId: 'org-new', expiresAt: iso(T0 + 1000) } }])
  t.notMatch(res.body, 'tok"', 'the token is never echoed')
  const task = await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { orgId: 'org-new', timeline: [] } })
  const id = (task.json() as { task: { id: string } }).task.id
  t.equal((await send({ url: path.status(id), headers })).statusCode, 200)
  clock.advance(1000)
  t.same((await send({ url: path.status(id), headers })).json(), errorOf('err-expired-token', 'Authorization'))
  const forever = await send({ method: 'POST', url: '/__admin/orgs', headers: json, payload: { orgId: 'org-new', token: 'tok2' } })
  t.same(forever.json(), { credential: { orgId: 'org-new', expiresAt: null } })
  const bad = await send({ method: 'POST', url: '/__admin/orgs', headers: json, payload: { orgId: 'x' } })
  t.same([bad.statusCode, bad.json()], [400, invalid([{ path: '', message: "must have required property 'token'" }])])
})

t.test('the clock: get, advance, set, mode; never backwards', async (t) => {
  const { send } = await makeApp(t)
  const post = (payload: unknown) => send({ method: 'POST', url: '/__admin/clock', headers: json, payload: JSON.stringify(payload) })
  t.same((await send({ url: '/__admin/clock' })).json(), { now: iso(T0), mode: 'manual' })
  t.same((await post({ advance: '90s' })).json(), { now: iso(T0 + 90_000), mode: 'manual' })
  t.same((await post({ advance: 500 })).json(), { now: iso(T0 + 90_500), mode: 'manual' })
  t.same((await post({ advance: '7d' })).json(), { now: iso(T0 + 90_500 + 7 * DAY), mode: 'manual' })
  const target = T0 + 8 * DAY
  t.same((await post({ set: iso(target) })).json(), { now: iso(target), mode: 'manual' })
  const back = await post({ set: iso(target - 1) })
  t.same([back.statusCode, back.json()], [409, errorOf('err-clock-backwards', 'ClientRequest')])
  const system = await post({ mode: 'system' })
  t.equal((system.json() as { mode: string }).mode, 'system')
  t.ok(Date.parse((system.json() as { now: string }).now) >= target, 'resumes from the current now')
  const manual = await post({ mode: 'manual' })
  t.equal((manual.json() as { mode: string }).mode, 'manual')
  const bad: Array<[unknown, string]> = [
    [{}, 'must NOT have fewer than 1 properties'],
    [{ advance: '1s', mode: 'manual' }, 'must NOT have more than 1 properties'],
    [{ advance: -1 }, ''],
    [{ advance: 'soon' }, ''],
    [{ advance: '99999999999999999d' }, 'must be a duration such as 90s, 15m, 7d, or milliseconds'],
    [{ set: 'yesterday' }, ''],
    [{ set: '2026-02-31T99:00:00Z' }, 'must be a valid ISO-8601 date-time'],
    [{ mode: 'fast' }, 'must be equal to one of the allowed values']
  ]
  for (const [payload, message] of bad) {
    const res = await post(payload)
    t.equal(res.statusCode, 400, JSON.stringify(payload))
    if (message) t.match(res.json(), { error: { message: 'err-invalid-request', args: { details: [{ message }] } } }, JSON.stringify(payload))
  }
})

t.test('moving the clock 7 days expires the seeded tasks at exactly the TTL', async (t) => {
  const { send } = await makeApp(t)
  await send({ method: 'POST', url: '/__admin/clock', headers: json, payload: { advance: 7 * DAY - 1 } })
  t.equal((await send({ url: path.status(TASK.returns), headers: { ...AUTH1, ...JSON_ACCEPT } })).statusCode, 200)
  await send({ method: 'POST', url: '/__admin/clock', headers: json, payload: { advance: 1 } })
  t.equal((await send({ url: path.status(TASK.returns), headers: { ...AUTH1, ...JSON_ACCEPT } })).statusCode, 404)
})

t.test('POST /__admin/reset restores the start-up state', async (t) => {
  const { send, app } = await makeApp(t)
  await send({ method: 'POST', url: '/__admin/tasks' })
  await send({ method: 'DELETE', url: `/__admin/tasks/${TASK.returns}` })
  await send({ method: 'POST', url: '/__admin/orgs', headers: json, payload: { orgId: 'o', token: 't' } })
  await send({ method: 'POST', url: '/__admin/faults', headers: json, payload: { route: '*', delayMs: 1, times: 5 } })
  await send({ url: path.status(TASK.returns), headers: JSON_ACCEPT })
  await send({ method: 'POST', url: '/__admin/clock', headers: json, payload: { advance: '1d' } })
  const res = await send({ method: 'POST', url: '/__admin/reset', headers: json, payload: '' })
  t.same([res.statusCode, res.body], [204, ''])
  t.equal(app.mock.clock.mode, 'system')
  t.ok(Math.abs(app.mock.clock.now() - Date.now()) < 5_000, 'offset cleared')
  t.equal((await app.mock.store.tasks.list()).length, 8)
  t.equal((await app.mock.store.tasks.find(TASK.returns))?.createdAt, (await app.mock.store.tasks.find(TASK.org2))?.createdAt, 're-seeded at one now')
  t.same(await app.mock.store.journal.list(), [])
  t.same(app.mock.faults.list(), [])
  const org = await send({ url: path.status(TASK.returns), headers: { 'x-flynn-n-org-id': 'o', 'x-flynn-n-user-token': 't', ...JSON_ACCEPT } })
  t.equal(org.statusCode, 403, 'registered orgs are forgotten')
})

t.test('unknown /__admin paths answer the route 404', async (t) => {
  const { send } = await makeApp(t)
  for (const url of ['/__admin', '/__admin/nope', '/__admin/tasks/x/y']) {
    const res = await send({ url })
    t.same([res.statusCode, res.json()], [404, NOT_FOUND], url)
  }
})

t.test('ADMIN_TOKEN: every /__admin call needs the bearer token', async (t) => {
  const { send } = await makeApp(t, { adminToken: 's3cret' })
  const unauthorized = errorOf('err-admin-unauthorized', 'Authorization')
  const calls: Array<{ method: 'GET' | 'POST' | 'DELETE'; url: string }> = [
    { method: 'GET', url: '/__admin/tasks' }, { method: 'POST', url: '/__admin/tasks' }, { method: 'DELETE', url: '/__admin/tasks' },
    { method: 'GET', url: '/__admin/clock' }, { method: 'POST', url: '/__admin/reset' }, { method: 'GET', url: '/__admin/requests' },
    { method: 'GET', url: '/__admin/faults' }, { method: 'GET', url: '/__admin/unknown' },
    // A path that cannot be percent-decoded is still under /__admin: the token comes first.
    { method: 'GET', url: '/__admin/tasks/%zz' }, { method: 'DELETE', url: '/__admin/%E0%A4%A' },
    // The router decodes the path: a percent-encoded prefix is the same prefix.
    { method: 'GET', url: '/__%61dmin/nope' }, { method: 'GET', url: '/%5F%5Fadmin/tasks/%zz' }, { method: 'GET', url: '/__%61dmin' }
  ]
  for (const call of calls) {
    for (const authorization of [undefined, 'Bearer wrong', 's3cret', 'Bearer s3cret ', 'Basic s3cret', 'Bearer']) {
      const headers: Record<string, string> = authorization === undefined ? {} : { authorization }
      const res = await send({ ...call, headers })
      t.same([res.statusCode, res.json()], [401, unauthorized], `${call.method} ${call.url} with ${authorization}`)
    }
  }
  for (const authorization of ['Bearer s3cret', 'bearer s3cret', 'BEARER  s3cret']) {
    const ok = await send({ url: '/__admin/clock', headers: { authorization } })
    t.equal(ok.statusCode, 200, `${authorization}: the scheme name in any case`)
  }
  const unknown = await send({ method: 'POST', url: '/__admin/nope', headers: { authorization: 'Bearer s3cret', 'content-type': 'application/json' }, payload: '{bad' })
  t.same([unknown.statusCode, unknown.json()], [404, NOT_FOUND], 'an unknown admin path: 404 before the body is parsed')
  const undecodable = await send({ url: '/__admin/tasks/%zz', headers: { authorization: 'Bearer s3cret' } })
  t.same([undecodable.statusCode, undecodable.json()], [404, NOT_FOUND], 'with the token, a path that cannot be decoded is a 404')
  const encoded = await send({ url: '/__%61dmin/clock', headers: { authorization: 'Bearer s3cret' } })
  t.equal(encoded.statusCode, 200, 'a percent-encoded prefix reaches the control API')
  for (const url of ['/__%61dmin%zz/tasks', '/__adminx/tasks', '/%zz/__admin']) {
    const outside = await send({ url })
    t.same([outside.statusCode, outside.json()], [404, NOT_FOUND], `${url}: not under /__admin, rule 1's 404 without a token`)
  }
  const task = await send({ url: path.status(TASK.returns), headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.equal(task.statusCode, 200, 'task routes need no admin token')
})

t.test('bodies that would break later answers are refused at creation', async (t) => {
  const { send } = await makeApp(t)
  // Raw JSON text: JSON.stringify itself cannot write 5,000 levels.
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n)
  const cases: Array<[string, string | object | null, Array<{ path: string; message: string }>]> = [
    ['null body', null, [{ path: '', message: 'must be object' }]],
    ['deep result', `{"result":${deep(65)}}`, [{ path: '/result', message: 'must not nest deeper than 64 levels' }]],
    ['deep page', `{"pages":[1,${deep(5000)}]}`, [{ path: '/pages/1', message: 'must not nest deeper than 64 levels' }]],
    ['deep file', `{"files":[{"name":"a.json","json":${deep(100)}}]}`, [{ path: '/files/0/json', message: 'must not nest deeper than 64 levels' }]],
    ['very deep file', `{"files":[{"name":"a.json","json":${deep(5000)}}]}`, [{ path: '/files/0/json', message: 'must not nest deeper than 64 levels' }]],
    ['too many generated pages', { generate: { pages: 1_000_001 } }, [{ path: '/generate/pages', message: 'must be <= 1000000' }]],
    ['createdAt past year 9999', { createdAt: 8_640_000_000_000_000 }, [{ path: '/createdAt', message: 'must match a schema in anyOf' }]],
    ['an impossible date', { createdAt: '2026-02-30T00:00:00Z' }, [{ path: '/createdAt', message: 'must be a valid ISO-8601 date-time' }]],
    ['an offset past 23:59', { createdAt: '2026-02-01T00:00:00+24:00' }, [{ path: '/createdAt', message: 'must be a valid ISO-8601 date-time' }]],
    ['drive letter', { files: [{ name: 'x:result.json', text: '' }] }, [{ path: '/files/0/name', message: 'must be a relative path of non-empty segments other than . and .., without \\, : or control characters' }]],
    ['control character', { files: [{ name: 'a\nb', text: '' }] }, [{ path: '/files/0/name', message: 'must be a relative path of non-empty segments other than . and .., without \\, : or control characters' }]],
    ['base64 of a bad length', { files: [{ name: 'a', base64: 'abc' }] }, [{ path: '/files/0/base64', message: 'must match pattern "^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"' }]]
  ]
  for (const [name, payload, details] of cases) {
    const res = await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) })
    t.equal(res.statusCode, 400, name)
    t.same(res.json(), invalid(details), name)
  }
  const okDepth = await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: `{"result":${deep(64)}}` })
  t.equal(okDepth.statusCode, 201, '64 levels are fine')
  const offset = await send({ method: 'POST', url: '/__admin/tasks', headers: json, payload: { createdAt: '2026-01-15T15:30:00.5+05:30' } })
  t.match(offset.json(), { task: { createdAt: '2026-01-15T10:00:00.500Z' } }, 'offsets and fractions are honoured')
})

t.test('the clock stays within writable dates', async (t) => {
  const { send } = await makeApp(t)
  const post = (payload: unknown) => send({ method: 'POST', url: '/__admin/clock', headers: json, payload: JSON.stringify(payload) })
  const late = [{ path: '/advance', message: 'must keep the clock at or before 9999-12-31T23:59:59.999Z' }]
  for (const advance of [1e308, '100000000d', 8_640_000_000_000_000]) {
    const res = await post({ advance })
    t.same([res.statusCode, res.json()], [400, invalid(late)], String(advance))
  }
  const set = await post({ set: '+275760-09-13T00:00:00Z' })
  t.equal(set.statusCode, 400)
  const pastLast = await post({ set: '9999-12-31T23:59:59.999-01:00' })
  t.same([pastLast.statusCode, pastLast.json()], [400, invalid([{ path: '/set', message: 'must keep the clock at or before 9999-12-31T23:59:59.999Z' }])])
  const impossible = await post({ set: '2099-02-30T00:00:00Z' })
  t.same([impossible.statusCode, impossible.json()], [400, invalid([{ path: '/set', message: 'must be a valid ISO-8601 date-time' }])])
  const last = await post({ set: '9999-12-31T23:59:59.999Z' })
  t.same(last.json(), { now: '9999-12-31T23:59:59.999Z', mode: 'manual' }, 'the last instant is fine')
  const beyond = await post({ advance: 1 })
  t.same([beyond.statusCode, beyond.json()], [400, invalid(late)])
  t.equal((await send({ url: '/__admin/tasks' })).statusCode, 200, 'task views still answer')
  t.equal((await send({ url: path.status(TASK.returns), headers: { ...AUTH1, ...JSON_ACCEPT } })).statusCode, 404, 'tasks expired, routes answer')
})

t.test('routes that take no body ignore a stray one, whatever its type or size (as GET routes do)', async (t) => {
  const { send } = await makeApp(t, { maxBodySize: 1024 })
  const stray = [
    { 'content-type': 'application/json', payload: '{bad' },
    { 'content-type': 'text/plain', payload: 'hello' },
    { 'content-type': 'application/json', payload: JSON.stringify({ pad: 'x'.repeat(4096) }) }
  ]
  for (const { payload, ...headers } of stray) {
    for (const [method, url] of [['POST', '/__admin/reset'], ['DELETE', '/__admin/faults'], ['DELETE', '/__admin/requests'], ['DELETE', `/__admin/tasks/${TASK.failed}`]] as const) {
      const res = await send({ method, url, headers, payload })
      t.same([res.statusCode, res.body], [204, ''], `${method} ${url} with ${headers['content-type']} (${payload.length} bytes)`)
    }
  }
})

t.test('a task made near the end of time shows that end as its expiry (a four-digit year)', async (t) => {
  const { send } = await makeApp(t)
  const res = await send({ method: 'POST', url: '/__admin/tasks', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ createdAt: '9999-12-30T00:00:00.000Z' }) })
  t.same([res.statusCode, res.json().task.createdAt, res.json().task.expiresAt], [201, '9999-12-30T00:00:00.000Z', '9999-12-31T23:59:59.999Z'])
})

import t from 'tap'
import { errorOf, JSON_ACCEPT, makeApp, ORG1, ORG2, path, T0, TASK, type TestApp } from '../helpers/app.js'

const LOGIN = '/theodore/apis/v1/authtokens'
const LOGOUT = '/theodore/apis/v1/logout'
const DEMO = { handle: 'demo@example.com', handleType: 'email', password: 'demo-password' }
const json = { 'content-type': 'application/json' }
const parameter = (name: string) => errorOf('err-issue-with-parameter', 'ClientRequest', { 'parameter-name': name })
const INVALID_CREDENTIALS = errorOf('err-invalid-credentials', 'Authorization')

async function login(send: TestApp['send'], body: Record<string, unknown> = DEMO) {
  return send({ method: 'POST', url: LOGIN, headers: json, payload: JSON.stringify(body) })
}

/** A status read of a seeded task as `orgId` with `token`. */
const statusAs = (send: TestApp['send'], orgId: string, token: string, id: string = TASK.returns) =>
  send({ url: path.status(id), headers: { 'x-flynn-n-org-id': orgId, 'x-flynn-n-user-token': token, ...JSON_ACCEPT } })

t.test('login answers the upstream fields; the token works for each of the user\'s orgs until its expiry on the mock clock', async (t) => {
  const { send, clock } = await makeApp(t)
  const res = await login(send)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  const data = res.json().data
  t.same(Object.keys(data), ['token', 'userId', 'expiry', 'email', 'mobile', 'givenName', 'lastName', 'state', 'verificationStatus', 'passwordLastModified', 'timezone', 'locale', 'createdOn', 'lastUpdated', 'associatedOrgs'])
  t.same([data.expiry, data.email, data.mobile, data.givenName, data.lastName, data.createdOn], [T0 + 20 * 60_000, 'demo@example.com', '9800000001', 'Demo', 'User', T0])
  t.same(data.associatedOrgs[0], {
    organisation: {
      id: ORG1,
      name: 'Acme Traders Pvt Ltd',
      taxIdentifier: 'AABCA4821K',
      taxIdentifierType: 'PAN',
      country: 'IN',
      services: [
        { serviceCode: 'EINV', serviceName: 'E-Invoicing' },
        { serviceCode: 'EWB', serviceName: 'E-Way Bill' },
        { serviceCode: 'GST', serviceName: 'GST Returns' }
      ]
    },
    userAccessInfo: { primary: true, admin: true }
  })
  t.same([data.associatedOrgs[1].organisation.id, data.associatedOrgs[1].userAccessInfo.primary], [ORG2, false])
  const again = await login(send)
  t.equal(again.json().data.userId, data.userId, 'the same user id every time')
  t.not(again.json().data.token, data.token, 'a new session, a new token')

  t.equal((await statusAs(send, ORG1, data.token)).statusCode, 200)
  t.equal((await statusAs(send, ORG2, data.token, TASK.org2)).statusCode, 200)
  t.same((await statusAs(send, '00000000-0000-4000-8000-000000000009', data.token)).json(), errorOf('err-invalid-org', 'Authorization'), 'no other org')
  clock.advance(20 * 60_000 - 1)
  t.equal((await statusAs(send, ORG1, data.token)).statusCode, 200, 'valid until the last ms')
  clock.advance(1)
  t.same((await statusAs(send, ORG1, data.token)).json(), errorOf('err-expired-token', 'Authorization'))
})

t.test('tokenDurationInMins: default 20, capped at 360, refused below 1 or not an integer', async (t) => {
  const { send } = await makeApp(t)
  t.equal((await login(send, { ...DEMO, tokenDurationInMins: 45 })).json().data.expiry, T0 + 45 * 60_000)
  t.equal((await login(send, { ...DEMO, tokenDurationInMins: 1000 })).json().data.expiry, T0 + 360 * 60_000)
  for (const bad of [0, 1.5, '20', null]) {
    const res = await login(send, { ...DEMO, tokenDurationInMins: bad })
    t.same([res.statusCode, res.json()], [400, parameter('tokenDurationInMins')], JSON.stringify(bad))
  }
})

t.test('a missing or malformed field is a 400 naming it, in order', async (t) => {
  const { send } = await makeApp(t)
  const cases: Array<[unknown, string]> = [
    [{}, 'handle'],
    [{ handle: '' }, 'handle'],
    [{ handle: 5, handleType: 'email', password: 'x' }, 'handle'],
    [{ handle: 'a', handleType: 'phone', password: 'x' }, 'handleType'],
    [{ handle: 'a', handleType: 'email' }, 'password'],
    [{ handle: 'a', handleType: 'email', password: 7 }, 'password'],
    [{ handle: 'a', handleType: 'email', otp: '' }, 'otp'],
    [[1], 'body'],
    [null, 'body']
  ]
  for (const [body, name] of cases) {
    const res = await send({ method: 'POST', url: LOGIN, headers: json, payload: JSON.stringify(body) })
    t.same([res.statusCode, res.json()], [400, parameter(name)], JSON.stringify(body))
  }
  const notJson = await send({ method: 'POST', url: LOGIN, headers: { 'content-type': 'text/plain' }, payload: 'handle=demo' })
  t.same([notJson.statusCode, notJson.json()], [400, parameter('body')])
  const empty = await send({ method: 'POST', url: LOGIN })
  t.same(empty.json(), parameter('handle'), 'no body at all: the first field is missing')
})

t.test('a body is read as text whatever its content type, even one that is not a media type; the journal shows the type as sent', async (t) => {
  const { send } = await makeApp(t)
  for (const type of ['garbage', 'text', '', ';', 'application/']) {
    const none = await send({ method: 'POST', url: LOGIN, headers: { 'content-type': type } })
    t.same([none.statusCode, none.json()], [400, parameter('handle')], `${JSON.stringify(type)}, no body`)
    const demo = await send({ method: 'POST', url: LOGIN, headers: { 'content-type': type }, payload: JSON.stringify(DEMO) })
    t.equal(demo.statusCode, 200, `${JSON.stringify(type)}, the demo user`)
    const refresh = await send({ method: 'PUT', url: LOGIN, headers: { 'content-type': type, authorization: `Bearer ${demo.json().data.token}` }, payload: '{"tokenDurationInMins":5}' })
    t.equal(refresh.statusCode, 200, `${JSON.stringify(type)}, a refresh`)
  }
  const journal = (await send({ url: '/__admin/requests?path=/theodore/&limit=1' })).json().requests
  t.equal(journal[0].headers['content-type'], 'application/', 'as sent')
})

t.test('an unknown handle and a wrong password are indistinguishable; emails match in any case; OTPs from the fixtures', async (t) => {
  const { send } = await makeApp(t)
  const wrong = await login(send, { ...DEMO, password: 'nope' })
  const unknown = await login(send, { ...DEMO, handle: 'nobody@example.com' })
  t.same([wrong.statusCode, wrong.json()], [401, INVALID_CREDENTIALS])
  t.same([unknown.statusCode, unknown.json(), unknown.headers['content-type']], [401, INVALID_CREDENTIALS, wrong.headers['content-type']])
  t.equal((await login(send, { ...DEMO, handle: 'Demo@Example.COM' })).statusCode, 200)
  t.same((await login(send, { ...DEMO, handleType: 'mobile' })).json(), INVALID_CREDENTIALS, 'the handle type is part of the handle')
  const added = await send({ method: 'POST', url: '/__admin/users', payload: { handle: '9800000002', handleType: 'mobile', password: 'pw', otp: '123456', orgIds: [ORG2] } })
  t.equal(added.statusCode, 201)
  t.equal((await login(send, { handle: '9800000002', handleType: 'mobile', otp: '123456' })).statusCode, 200)
  t.same((await login(send, { handle: '9800000002', handleType: 'mobile', otp: '654321' })).json(), INVALID_CREDENTIALS)
  t.same((await login(send, { handle: '9800000002', handleType: 'mobile', otp: '12345' })).json(), INVALID_CREDENTIALS)
  t.same((await login(send, { ...DEMO, otp: '123456', password: undefined })).json(), INVALID_CREDENTIALS, 'no otp in the fixture: passwords only')
})

t.test('the 11th live session of one user is refused with the upstream body; an expired one frees a place', async (t) => {
  const { send, clock } = await makeApp(t)
  for (let i = 0; i < 9; i++) await login(send)
  clock.advance(60_000)
  t.equal((await login(send)).statusCode, 200, 'the 10th')
  const eleventh = await login(send)
  t.same([eleventh.statusCode, eleventh.json()], [401, { error: { message: 'err-active-tokens-limit-exceeded', args: {} } }])
  clock.advance(19 * 60_000)
  t.equal((await login(send)).statusCode, 200, 'the first nine expired')
})

t.test('refresh keeps the token with a new expiry; logout ends it everywhere; unknown or expired bearers are the §4 403s', async (t) => {
  const { send, clock, app } = await makeApp(t)
  const token = (await login(send)).json().data.token
  clock.advance(15 * 60_000)
  const refreshed = await send({ method: 'PUT', url: LOGIN, headers: { authorization: `Bearer ${token}` } })
  t.same([refreshed.statusCode, refreshed.json().data.token, refreshed.json().data.expiry], [200, token, T0 + 35 * 60_000])
  const longer = await send({ method: 'PUT', url: LOGIN, headers: { authorization: `bearer ${token}`, ...json }, payload: '{"tokenDurationInMins": 60}' })
  t.equal(longer.json().data.expiry, T0 + 75 * 60_000)
  const bad = await send({ method: 'PUT', url: LOGIN, headers: { authorization: `Bearer ${token}`, ...json }, payload: '"x"' })
  t.same([bad.statusCode, bad.json()], [400, parameter('body')])
  clock.advance(40 * 60_000)
  t.equal((await statusAs(send, ORG1, token)).statusCode, 200, 'still valid past the first expiry')

  // Logout takes no body: one sent, even past MAX_BODY_SIZE and not JSON, is ignored (§4).
  const out = await send({ method: 'POST', url: LOGOUT, headers: { authorization: `Bearer ${token}`, ...json }, payload: '{'.repeat(2 * 1024 * 1024) })
  t.same([out.statusCode, out.body], [200, ''])
  t.same((await statusAs(send, ORG1, token)).json(), errorOf('err-invalid-token', 'Authorization'))
  t.same((await statusAs(send, ORG2, token, TASK.org2)).json(), errorOf('err-invalid-token', 'Authorization'))
  t.same((await send({ method: 'POST', url: LOGOUT, headers: { authorization: `Bearer ${token}` } })).json(), errorOf('err-invalid-token', 'Authorization'))
  t.same((await send({ method: 'PUT', url: LOGIN })).json(), errorOf('err-invalid-token', 'Authorization'), 'no bearer')
  const badBoth = await send({ method: 'PUT', url: LOGIN, headers: { authorization: 'Bearer nope', ...json }, payload: '{' })
  t.same([badBoth.statusCode, badBoth.json()], [403, errorOf('err-invalid-token', 'Authorization')], 'the bearer is judged before the body')

  const expiring = (await login(send, { ...DEMO, tokenDurationInMins: 1 })).json().data.token
  clock.advance(60_000)
  t.same((await send({ method: 'PUT', url: LOGIN, headers: { authorization: `Bearer ${expiring}` } })).json(), errorOf('err-expired-token', 'Authorization'))
  t.same((await send({ method: 'POST', url: LOGOUT, headers: { authorization: `Bearer ${expiring}` } })).json(), errorOf('err-expired-token', 'Authorization'))
  clock.advance(86_400_000)
  await app.mock.sweep()
  t.same((await statusAs(send, ORG1, expiring)).json(), errorOf('err-invalid-token', 'Authorization'), 'a day after expiry the session is freed')
})

t.test('other methods answer 405; login requests are journaled without body and with the bearer redacted; no token in logs', async (t) => {
  const lines: string[] = []
  const { send } = await makeApp(t, {}, { logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } } })
  const get = await send({ url: LOGIN })
  t.same([get.statusCode, get.headers.allow, get.json()], [405, 'POST, PUT', errorOf('err-method-not-allowed', 'ClientRequest')])
  t.equal((await send({ method: 'GET', url: LOGOUT })).headers.allow, 'POST')
  const token = (await login(send)).json().data.token
  await send({ method: 'POST', url: LOGOUT, headers: { authorization: `Bearer ${token}` } })
  const journal = (await send({ url: '/__admin/requests?path=/theodore/' })).json().requests
  t.same(journal.map((r: { method: string; status: number }) => [r.method, r.status]), [['GET', 405], ['GET', 405], ['POST', 200], ['POST', 200]])
  t.equal(journal[3].headers.authorization, '[redacted]')
  t.notOk(JSON.stringify(journal).includes('demo-password'), 'no password in the journal')
  const logs = lines.join('')
  t.notOk(logs.includes('demo-password') || logs.includes(token), 'no password or token in the logs')
})

t.test('users through the control API: add, list, delete (sessions end); a taken handle is 409; reset restores the fixtures', async (t) => {
  const { send } = await makeApp(t)
  const spec = { handle: 'ops@example.com', handleType: 'email', password: 'secret', orgIds: [ORG2], givenName: 'Ops' }
  const added = await send({ method: 'POST', url: '/__admin/users', payload: spec })
  t.equal(added.statusCode, 201)
  const user = added.json().user
  t.same(user, { userId: user.userId, handle: 'ops@example.com', handleType: 'email', orgIds: [ORG2], givenName: 'Ops', lastName: null, email: 'ops@example.com', mobile: null, sessions: 0 })
  t.same((await send({ method: 'POST', url: '/__admin/users', payload: { ...spec, handle: 'OPS@example.com' } })).json(), errorOf('err-user-exists', 'ClientRequest'))
  t.equal((await send({ method: 'POST', url: '/__admin/users', payload: { ...spec, orgIds: [] } })).statusCode, 400)
  const sameId = await send({ method: 'POST', url: '/__admin/users', payload: { ...spec, handle: 'other@example.com', userId: user.userId.toUpperCase() } })
  t.same([sameId.statusCode, sameId.json()], [409, errorOf('err-user-exists', 'ClientRequest')], 'a user id is taken too')
  const token = (await login(send, { handle: 'ops@example.com', handleType: 'email', password: 'secret' })).json().data.token
  const listed = (await send({ url: '/__admin/users' })).json().users
  t.same(listed.map((u: { handle: string; sessions: number }) => [u.handle, u.sessions]), [['demo@example.com', 0], ['ops@example.com', 1]])
  t.notOk(JSON.stringify(listed).includes('secret'), 'no password shown')
  t.equal((await send({ method: 'DELETE', url: `/__admin/users/${user.userId.toUpperCase()}` })).statusCode, 204)
  t.same((await statusAs(send, ORG2, token, TASK.org2)).json(), errorOf('err-invalid-token', 'Authorization'), 'its sessions ended')
  t.equal((await send({ method: 'DELETE', url: `/__admin/users/${user.userId}` })).statusCode, 404)
  await send({ method: 'POST', url: '/__admin/users', payload: spec })
  await send({ method: 'POST', url: '/__admin/reset' })
  t.same((await send({ url: '/__admin/users' })).json().users.map((u: { handle: string }) => u.handle), ['demo@example.com'])
})

t.test('an org the credentials say little of: its name and PAN are made up, or the PAN comes from its GSTIN', async (t) => {
  const { send } = await makeApp(t)
  const bare = '00000000-0000-4000-8000-000000000009'
  const withGstin = '00000000-0000-4000-8000-00000000000a'
  await send({ method: 'POST', url: '/__admin/orgs', payload: { orgId: withGstin, token: 't', gstin: '33AAGCS5127Q1ZY' } })
  await send({ method: 'POST', url: '/__admin/users', payload: { handle: 'x@example.com', handleType: 'email', password: 'pw', orgIds: [bare, withGstin] } })
  const orgs = (await login(send, { handle: 'x@example.com', handleType: 'email', password: 'pw' })).json().data.associatedOrgs
  t.equal(orgs[0].organisation.name, `Organisation ${bare}`)
  t.match(orgs[0].organisation.taxIdentifier, /^[A-Z]{3}C[A-Z][0-9]{4}[A-Z]$/)
  t.equal(orgs[1].organisation.taxIdentifier, 'AAGCS5127Q')
})

t.test('users.json: optional; a bad one or a handle given twice stops start-up naming the file', async (t) => {
  const { mkdtemp, cp, writeFile, rm, mkdir } = await import('node:fs/promises')
  const { tmpdir } = await import('node:os')
  const { join } = await import('node:path')
  const { BUNDLED_FIXTURES_DIR } = await import('../../src/config.js')
  const { loadFixtures } = await import('../../src/fixtures.js')
  const dir = await mkdtemp(join(tmpdir(), 'etm-fixtures-'))
  await cp(BUNDLED_FIXTURES_DIR, dir, { recursive: true })
  t.same((await loadFixtures(dir)).users.map((u) => u.handle), ['demo@example.com'])
  await writeFile(join(dir, 'users.json'), JSON.stringify([{ ...DEMO, orgIds: [ORG1] }, { ...DEMO, handle: 'DEMO@example.com', orgIds: [ORG1] }]))
  await t.rejects(loadFixtures(dir), { code: 'ERR_FIXTURE', message: /users\.json: handle DEMO@example\.com is given twice/ })
  await writeFile(join(dir, 'users.json'), '[{"handle":"x"}]')
  await t.rejects(loadFixtures(dir), { code: 'ERR_FIXTURE', message: /users\.json: .*must have required property/ })
  await writeFile(join(dir, 'users.json'), '{')
  await t.rejects(loadFixtures(dir), { code: 'ERR_FIXTURE', message: /users\.json: / })
  await rm(join(dir, 'users.json'))
  t.same((await loadFixtures(dir)).users, [], 'absent: nobody logs in')
  await mkdir(join(dir, 'users.json'))
  await t.rejects(loadFixtures(dir), { code: 'ERR_FIXTURE', message: /users\.json: EISDIR/ })
})

t.test('AdminClient manages users: addUser, users, deleteUser', async (t) => {
  const { startMockServer } = await import('../../src/embed.js')
  const server = await startMockServer()
  t.teardown(() => server.close())
  const user = await server.admin.addUser({ handle: '9800000003', handleType: 'mobile', password: 'pw', orgIds: [ORG1] })
  t.same([user.mobile, user.email, user.sessions], ['9800000003', null, 0])
  t.same((await server.admin.users()).map((u) => u.handle), ['demo@example.com', '9800000003'])
  await server.admin.deleteUser(user.userId)
  t.equal((await server.admin.users()).length, 1)
})

t.test('a client that only knows the upstream routes: log in, submit, poll, download, see its token expire', async (t) => {
  const { startMockServer } = await import('../../src/embed.js')
  const { invoice } = await import('../helpers/producers.js')
  const mock = await startMockServer()
  t.teardown(() => mock.close())
  const loggedIn = (await (await fetch(`${mock.url}${LOGIN}`, { method: 'POST', body: JSON.stringify(DEMO) })).json()) as any
  const headers = { 'x-flynn-n-org-id': loggedIn.data.associatedOrgs[0].organisation.id, 'x-flynn-n-user-token': loggedIn.data.token }
  const submitted = await fetch(`${mock.url}/enriched/einv/v1.0/ni1/invoices`, {
    method: 'POST',
    headers: { ...headers, accept: 'application/json', 'content-type': 'application/json' },
    body: JSON.stringify({ payload: [invoice('FLOW-1')], meta: null })
  })
  const id = ((await submitted.json()) as any).data['task-id']
  const status = async () => fetch(`${mock.url}${path.status(id)}`, { headers: { ...headers, accept: 'application/json' } })
  const statuses = []
  for (let i = 0; i < 2; i++) statuses.push(((await (await status()).json()) as any).data.task.status)
  t.same(statuses, ['processing', 'completed'])
  const zip = await fetch(`${mock.url}${path.download(id)}`, { headers: { ...headers, accept: 'application/zip' } })
  t.same([zip.status, zip.headers.get('content-type')], [200, 'application/zip'])
  await zip.arrayBuffer()
  await mock.admin.advanceClock('20m')
  const expired = await status()
  t.same([expired.status, await expired.json()], [403, errorOf('err-expired-token', 'Authorization')])
})

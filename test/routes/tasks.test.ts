import t, { type Test } from 'tap'
import {
  AUTH1,
  JSON_ACCEPT,
  listen,
  makeApp,
  NOT_FOUND,
  ONLY_MEMORY,
  ORG1,
  ORG2,
  TASK,
  TOKEN1,
  TOKEN2,
  UUID_RE,
  ZIP_ACCEPT,
  errorOf,
  type TestApp,
  pageNotFound,
  path,
  taskNotFound
} from '../helpers/app.js'
import { rawRequest } from '../helpers/http.js'

const json = { ...AUTH1, ...JSON_ACCEPT }

t.test('every task-route answer carries X-CALL-ID, Vary and Cache-Control, a fresh id each time', async (t) => {
  const { send } = await makeApp(t)
  const urls = [path.status(TASK.returns), path.result(TASK.processing), path.status('nope'), path.status(TASK.returns, 'v2.0')]
  const seen = new Set<string>()
  for (const url of urls) {
    const res = await send({ url, headers: { ...json, 'x-call-id': 'client-sent', 'request-id': 'r1' } })
    t.match(res.headers['x-call-id'], UUID_RE, url)
    seen.add(res.headers['x-call-id'] as string)
    if (!url.includes('v2.0')) {
      t.equal(res.headers.vary, 'Accept', url)
      t.equal(res.headers['cache-control'], 'no-store', url)
    }
  }
  t.equal(seen.size, urls.length, 'ignores any request id the client sends')
})

t.test('rule 1: routes and versions', async (t) => {
  const { send } = await makeApp(t)
  const cases: Array<[string, string]> = [
    ['unknown path', '/enriched/tasks/v1.0/nothing/' + TASK.returns],
    ['root', '/'],
    ['inactive version', path.status(TASK.returns, 'v2.0')],
    ['version case', path.status(TASK.returns, 'V1.0')],
    ['trailing slash', path.status(TASK.returns) + '/'],
    ['doubled slash', `/enriched/tasks/v1.0//status/${TASK.returns}`],
    ['static parts are case-sensitive', `/enriched/tasks/v1.0/STATUS/${TASK.returns}`],
    ['undecodable path', '/enriched/tasks/v1.0/status/%zz'],
    ['undecodable version', '/enriched/tasks/v1%E0/status/x'],
    ['page route without number', `/enriched/tasks/v1.0/result/${TASK.returns}/page`]
  ]
  for (const [name, url] of cases) {
    const res = await send({ url, headers: json })
    t.equal(res.statusCode, 404, name)
    t.same(res.json(), NOT_FOUND, name)
    t.match(res.headers['content-type'], /^application\/json(; charset=utf-8)?$/, name)
  }
  // A wrong version beats a wrong method, and needs no auth.
  for (const method of ['GET', 'DELETE', 'POST'] as const) {
    const res = await send({ method, url: path.status(TASK.returns, 'v0.9') })
    t.equal(res.statusCode, 404, `inactive version, ${method}`)
    t.same(res.json(), NOT_FOUND)
    t.notOk(res.headers.allow)
  }
})

t.test('rule 1: percent-encoded path parameters and static parts are decoded', async (t) => {
  const { send } = await makeApp(t)
  const res = await send({ url: `/enriched/tasks/v1%2E0/st%61tus/${TASK.returns.replace('a', '%61')}`, headers: json })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { data: { task: { id: TASK.returns, status: 'completed', pages: 3 } } })
})

t.test('rule 1: any other method gets 405 with Allow, before auth and without reading the body', async (t) => {
  const { send } = await makeApp(t)
  const methods = ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND', 'PURGE', 'QUERY', 'M-SEARCH'] as const
  for (const route of [path.status(TASK.returns), path.download(TASK.returns), path.result(TASK.returns), path.page(TASK.returns, 0)]) {
    for (const method of methods) {
      const res = await send({
        method: method as 'POST',
        url: route,
        headers: { 'content-type': 'text/xml' },
        payload: '<not-json'
      })
      t.equal(res.statusCode, 405, `${method} ${route}`)
      t.equal(res.headers.allow, 'GET, HEAD')
      t.same(res.json(), errorOf('err-method-not-allowed', 'ClientRequest'))
    }
  }
  const bad = await send({ method: 'POST', url: path.status('not-a-uuid'), headers: { 'content-type': 'application/json' }, payload: '{bad' })
  t.equal(bad.statusCode, 405, 'invalid JSON body is never parsed')
})

t.test('rule 2: strict auth, each failure', async (t) => {
  const { send, clock, app } = await makeApp(t)
  const url = path.status(TASK.returns)
  const cases: Array<[string, Record<string, string>, string]> = [
    ['org missing', { 'x-flynn-n-user-token': TOKEN1 }, 'err-invalid-org'],
    ['org empty', { 'x-flynn-n-org-id': '', 'x-flynn-n-user-token': TOKEN1 }, 'err-invalid-org'],
    ['org unknown', { 'x-flynn-n-org-id': 'f0000000-0000-4000-8000-000000000001', 'x-flynn-n-user-token': TOKEN1 }, 'err-invalid-org'],
    ['org id compared exactly (case)', { 'x-flynn-n-org-id': ORG1.toUpperCase().replace('0000000', '0000000'), 'x-flynn-n-user-token': TOKEN1 }, 'ok'],
    ['token missing', { 'x-flynn-n-org-id': ORG1 }, 'err-invalid-token'],
    ['token empty', { 'x-flynn-n-org-id': ORG1, 'x-flynn-n-user-token': '' }, 'err-invalid-token'],
    ['token unknown', { 'x-flynn-n-org-id': ORG1, 'x-flynn-n-user-token': 'nope' }, 'err-invalid-token'],
    ['token of another org', { 'x-flynn-n-org-id': ORG1, 'x-flynn-n-user-token': TOKEN2 }, 'err-invalid-token'],
    ['header names are case-insensitive', { 'X-Flynn-N-Org-Id': ORG1, 'X-FLYNN-N-USER-TOKEN': TOKEN1 }, 'ok']
  ]
  for (const [name, headers, code] of cases) {
    const res = await send({ url, headers: { ...headers, ...JSON_ACCEPT } })
    if (code === 'ok') {
      t.equal(res.statusCode, 200, name)
      continue
    }
    t.equal(res.statusCode, 403, name)
    t.same(res.json(), errorOf(code, 'Authorization'), name)
  }
  const upper = await send({ url, headers: { 'x-flynn-n-org-id': 'A' + ORG1.slice(1), 'x-flynn-n-user-token': TOKEN1, ...JSON_ACCEPT } })
  t.equal(upper.statusCode, 403, 'a different org id string is another org')

  // An expired token: registered with an expiry, read at and after it.
  app.mock.credentials.add({ orgId: ORG1, token: 'short-lived', expiresAt: clock.now() + 1000 })
  const headers = { 'x-flynn-n-org-id': ORG1, 'x-flynn-n-user-token': 'short-lived', ...JSON_ACCEPT }
  t.equal((await send({ url, headers })).statusCode, 200, 'valid before its expiry')
  clock.advance(999)
  t.equal((await send({ url, headers })).statusCode, 200, 'valid 1 ms before')
  clock.advance(1)
  const expired = await send({ url, headers })
  t.equal(expired.statusCode, 403)
  t.same(expired.json(), errorOf('err-expired-token', 'Authorization'))
})

t.test('rule 2: auth mode any accepts any non-empty pair and scopes by org', async (t) => {
  const { send } = await makeApp(t, { authMode: 'any' })
  const anyone = { 'x-flynn-n-org-id': 'someone', 'x-flynn-n-user-token': 'whatever', ...JSON_ACCEPT }
  const res = await send({ url: path.status(TASK.returns), headers: anyone })
  t.equal(res.statusCode, 404, 'another org sees nothing')
  t.same(res.json(), taskNotFound(TASK.returns))
  const own = await send({ url: path.status(TASK.returns), headers: { ...anyone, 'x-flynn-n-org-id': ORG1 } })
  t.equal(own.statusCode, 200, 'the org id still scopes the tasks')
  const noOrg = await send({ url: path.status(TASK.returns), headers: { 'x-flynn-n-user-token': 'x', ...JSON_ACCEPT } })
  t.same([noOrg.statusCode, noOrg.json()], [403, errorOf('err-invalid-org', 'Authorization')])
  const noToken = await send({ url: path.status(TASK.returns), headers: { 'x-flynn-n-org-id': ORG1, 'x-flynn-n-user-token': '', ...JSON_ACCEPT } })
  t.same([noToken.statusCode, noToken.json()], [403, errorOf('err-invalid-token', 'Authorization')])
})

t.test('rule 2: auth mode off ignores the headers and acts as org 1', async (t) => {
  const { send } = await makeApp(t, { authMode: 'off' })
  const res = await send({ url: path.status(TASK.returns), headers: JSON_ACCEPT })
  t.equal(res.statusCode, 200)
  const org2 = await send({ url: path.status(TASK.org2), headers: { 'x-flynn-n-org-id': ORG2, 'x-flynn-n-user-token': TOKEN2, ...JSON_ACCEPT } })
  t.equal(org2.statusCode, 404, 'org 2 headers are ignored: org 1 cannot see org 2 tasks')
})

const acceptError = (accept: string, expected: string) =>
  errorOf('err-invalid-accept-header', 'ClientRequest', { accept, expected })

/** Asks a status with each Accept header (undefined: none): 200 when `ok`, else the exact 406. */
async function checkAccept(t: Test, send: TestApp['send'], cases: Array<[string, string | undefined, boolean]>): Promise<void> {
  for (const [name, accept, ok] of cases) {
    const headers: Record<string, string> = { ...AUTH1 }
    if (accept !== undefined) headers.accept = accept
    const res = await send({ url: path.status(TASK.returns), headers })
    t.equal(res.statusCode, ok ? 200 : 406, name)
    if (!ok) t.same(res.json(), acceptError(accept ?? '', 'application/json'), name)
  }
}

t.test('rule 3: strict accept mode', async (t) => {
  const { send } = await makeApp(t)
  const cases: Array<[string, string | undefined, boolean]> = [
    ['missing', undefined, false],
    ['empty', '', false],
    ['*/*', '*/*', false],
    ['application/*', 'application/*', false],
    ['other type', 'text/html', false],
    ['exact', 'application/json', true],
    ['odd casing', 'Application/JSON', true],
    ['with parameters', 'application/json; charset=utf-8', true],
    ['in a list', 'text/html, application/json;q=0.9, */*;q=0.1', true],
    ['q=0', 'application/json;q=0', false],
    ['q=0.000', 'application/json; q=0.000', false],
    ['Q parameter name in capitals', 'application/json; Q=0', false],
    ['q=0.001', 'application/json;q=0.001', true],
    ['invalid q is ignored', 'application/json;q=2', false],
    ['invalid q ignored, another range passes', 'application/json;q=abc, application/json;q=0.5', true],
    ['tab as whitespace', 'application/json;\tq=1', true],
    ['empty parameter', 'application/json;', true],
    ['empty parameters', 'application/json;;q=1', true],
    ['whitespace before ;', 'application/json ; q=0.5', true],
    ['quoted q is not a weight', 'application/json;q="1"', false],
    ['the first q is the weight', 'application/json;q=0;q=1', false],
    ['a parameter without a value', 'application/json;charset', false],
    ['unparseable', 'garbage', false],
    ['only commas', ' , ,', false],
    ['wildcard type with subtype is invalid', '*/json', false],
    ['quoted comma in a parameter', 'text/plain;x="a,application/json", application/json', true],
    ['escaped quote in a quoted parameter', 'text/plain;x="a\\",b", application/json', true],
    ['escaped quote hides no range', 'text/plain;x="a\\",application/json"', false],
    ['backslash at the very end', 'application/json, text/plain;x="a\\', true]
  ]
  await checkAccept(t, send, cases)
  const zip = await send({ url: path.download(TASK.returns), headers: { ...AUTH1, accept: 'application/json' } })
  t.same([zip.statusCode, zip.json()], [406, acceptError('application/json', 'application/zip')], 'download needs application/zip')
})

t.test('rule 3: lenient accept mode negotiates', async (t) => {
  const { send } = await makeApp(t, { acceptMode: 'lenient' })
  const cases: Array<[string, string | undefined, boolean]> = [
    ['missing', undefined, true],
    ['empty', '', false],
    ['*/*', '*/*', true],
    ['application/*', 'application/*', true],
    ['other type', 'text/html', false],
    ['*/* with q=0', '*/*;q=0', false],
    ['exact q=0 beats wildcard', 'application/json;q=0, */*', false],
    ['specific subtype wildcard q=0 beats */*', 'application/*;q=0, */*;q=1', false],
    ['exact beats wildcard q=0', '*/*;q=0, application/json', true],
    ['invalid q ignored', 'application/json;q=1.5', false]
  ]
  await checkAccept(t, send, cases)
})

t.test('rule 3: repeated accept headers are read as one, joined with ", "', async (t) => {
  const { app } = await makeApp(t)
  const port = await listen(app, t)
  const res = await rawRequest(
    port,
    `GET ${path.status(TASK.returns)} HTTP/1.1\r\nx-flynn-n-org-id: ${ORG1}\r\nx-flynn-n-user-token: ${TOKEN1}\r\naccept: text/html\r\naccept: text/plain`
  )
  t.equal(res.status, 406)
  t.same(JSON.parse(res.body), acceptError('text/html, text/plain', 'application/json'))
})

t.test('rule 4: task lookup', async (t) => {
  const { send } = await makeApp(t)
  const cases: Array<[string, string]> = [
    ['not a UUID', 'not-a-uuid'],
    ['UUID without dashes', TASK.returns.replaceAll('-', '')],
    ['UUID in braces', `{${TASK.returns}}`],
    ['unknown', 'c0000000-0000-4000-8000-000000000001'],
    ['another org', TASK.org2],
    ['very long', 'x'.repeat(5000)],
    ['unicode', 'tâche'],
    ['empty segment', '']
  ]
  for (const [name, id] of cases) {
    for (const route of [path.status, path.result, path.download]) {
      const res = await send({ url: route(encodeURIComponent(id)), headers: { ...AUTH1, accept: route === path.download ? 'application/zip' : 'application/json' } })
      t.equal(res.statusCode, 404, name)
      t.same(res.json(), taskNotFound(id), name)
      t.notOk(res.headers['content-disposition'])
    }
  }
  const upper = await send({ url: path.status(TASK.returns.toUpperCase()), headers: json })
  t.equal(upper.statusCode, 200, 'ids are case-insensitive')
  t.same(upper.json(), { data: { task: { id: TASK.returns, status: 'completed', pages: 3 } } }, 'success uses the lower-case id')
  const missing = await send({ url: path.status('C0000000-0000-4000-8000-00000000000A'), headers: json })
  t.same(missing.json(), taskNotFound('C0000000-0000-4000-8000-00000000000A'), '404 echoes the id as received')
})

t.test('rule 5: page numbers', async (t) => {
  const { send } = await makeApp(t)
  const bad = ['-1', '+1', '1.0', '1e2', ' 1', 'one', '0x1', '９', '99999999999999999999', '']
  for (const page of bad) {
    const res = await send({ url: path.page(TASK.returns, encodeURIComponent(page)), headers: json })
    t.equal(res.statusCode, 404, JSON.stringify(page))
    t.same(res.json(), pageNotFound(TASK.returns, page), JSON.stringify(page))
  }
  for (const [page, index] of [['0', 0], ['2', 2], ['002', 2]] as const) {
    const res = await send({ url: path.page(TASK.returns, page), headers: json })
    t.equal(res.statusCode, 200, page)
    t.equal((res.json() as { data: { page: number } }).data.page, index, page)
  }
})

t.test('rule 6: download, result and pages need a completed task', async (t) => {
  const { send } = await makeApp(t)
  const cases: Array<[string, string, string, object]> = [
    ['processing', TASK.processing, 'processing', { total: 10, pending: 10 }],
    ['failed', TASK.failed, 'failed', { total: 5, pending: 5 }],
    ['processing for 30 s', TASK.thirtySeconds, 'processing', { total: 4, pending: 4 }]
  ]
  for (const [name, id, status, jobs] of cases) {
    for (const [url, accept] of [[path.result(id), 'application/json'], [path.page(id, 0), 'application/json'], [path.download(id), 'application/zip'], [path.page(id, 99), 'application/json']] as const) {
      const res = await send({ url, headers: { ...AUTH1, accept } })
      t.equal(res.statusCode, 400, `${name} ${url}`)
      t.equal(res.body, JSON.stringify({ data: { id, jobs, status } }), `${name} ${url}: exact body and key order`)
      t.notOk(res.headers['retry-after'], 'no Retry-After on the rule-6 400')
      t.notOk(res.headers['content-disposition'])
    }
  }
  const upper = await send({ url: path.result(TASK.processing.toUpperCase()), headers: json })
  t.equal((upper.json() as { data: { id: string } }).data.id, TASK.processing, 'the 400 uses the lower-case id')
})

t.test('rule 7: page bounds', async (t) => {
  const { send } = await makeApp(t)
  const res = await send({ url: path.page(TASK.returns, 3), headers: json })
  t.same([res.statusCode, res.json()], [404, pageNotFound(TASK.returns, '3')])
  const huge = await send({ url: path.page(TASK.returns, '9007199254740991'), headers: json })
  t.same([huge.statusCode, huge.json()], [404, pageNotFound(TASK.returns, '9007199254740991')])
  const unpaged = await send({ url: path.page(TASK.cancellation, 0), headers: json })
  t.same([unpaged.statusCode, unpaged.json()], [404, pageNotFound(TASK.cancellation, '0')], 'a task with no pages')
})

t.test('the order of the rules holds when two fail at once', async (t) => {
  const { send } = await makeApp(t)
  const cases: Array<[string, { method?: 'GET' | 'POST'; url: string; headers: Record<string, string> }, number, unknown]> = [
    ['version beats method', { method: 'POST', url: path.status('x', 'v9') , headers: {} }, 404, NOT_FOUND],
    ['method beats auth', { method: 'POST', url: path.status('x'), headers: {} }, 405, errorOf('err-method-not-allowed', 'ClientRequest')],
    ['auth beats accept', { url: path.status(TASK.returns), headers: { accept: 'text/html' } }, 403, errorOf('err-invalid-org', 'Authorization')],
    ['accept beats lookup', { url: path.status('nope'), headers: { ...AUTH1, accept: 'text/html' } }, 406, acceptError('text/html', 'application/json')],
    ['lookup beats page number', { url: path.page('nope', 'x'), headers: json }, 404, taskNotFound('nope')],
    ['page number beats status', { url: path.page(TASK.processing, 'x'), headers: json }, 404, pageNotFound(TASK.processing, 'x')],
    ['status beats bounds', { url: path.page(TASK.processing, 500), headers: json }, 400, { data: { id: TASK.processing, jobs: { total: 10, pending: 10 }, status: 'processing' } }]
  ]
  for (const [name, req, status, body] of cases) {
    const res = await send(req)
    t.equal(res.statusCode, status, name)
    t.same(res.json(), body, name)
  }
})

t.test('§2 status: docs shape, pages when completed and paged, Retry-After only while not terminal', async (t) => {
  const { send } = await makeApp(t)
  const cases: Array<[string, object, string | undefined]> = [
    [TASK.einvoices, { id: TASK.einvoices, status: 'completed' }, undefined],
    [TASK.returns, { id: TASK.returns, status: 'completed', pages: 3 }, undefined],
    [TASK.processing, { id: TASK.processing, status: 'processing' }, '5'],
    [TASK.failed, { id: TASK.failed, status: 'failed' }, undefined],
    [TASK.thirtySeconds, { id: TASK.thirtySeconds, status: 'processing' }, '5']
  ]
  for (const [id, task, retryAfter] of cases) {
    const res = await send({ url: path.status(id), headers: json })
    t.equal(res.statusCode, 200, id)
    t.match(res.headers['content-type'], /^application\/json(; charset=utf-8)?$/)
    t.equal(res.body, JSON.stringify({ data: { task } }), id)
    t.equal(res.headers['retry-after'], retryAfter, id)
  }
})

t.test('§2 status: atlas shape', async (t) => {
  const { send } = await makeApp(t, { statusShape: 'atlas' })
  const done = await send({ url: path.status(TASK.returns), headers: json })
  t.equal(done.body, JSON.stringify({ data: { id: TASK.returns, status: 'completed', jobs: { total: 1, pending: 0 } } }))
  const running = await send({ url: path.status(TASK.processing), headers: json })
  t.equal(running.body, JSON.stringify({ data: { id: TASK.processing, status: 'processing', jobs: { total: 10, pending: 10 } } }))
  t.equal(running.headers['retry-after'], '5')
})

t.test('§2 Retry-After: the interval, capped by the end of an ms phase', async (t) => {
  const { send, clock } = await makeApp(t, { retryAfterS: 10 })
  const url = path.status(TASK.thirtySeconds)
  const retryAfter = async () => (await send({ url, headers: json })).headers['retry-after']
  t.equal(await retryAfter(), '10', '30 s left: the interval')
  clock.advance(25_000)
  t.equal(await retryAfter(), '5', '5 s left')
  clock.advance(4_001)
  t.equal(await retryAfter(), '1', '0.999 s left rounds up to 1')
  clock.advance(998)
  t.equal(await retryAfter(), '1', '1 ms left is still 1')
  clock.advance(1)
  t.equal(await retryAfter(), undefined, 'completed: none')
  const open = await send({ url: path.status(TASK.processing), headers: json })
  t.equal(open.headers['retry-after'], '10', 'open-ended phase: the interval')
})

t.test('§2 result and pages', async (t) => {
  const { send, app } = await makeApp(t)
  const paged = await send({ url: path.result(TASK.returns), headers: json })
  t.equal(paged.body, JSON.stringify({ data: { pages: 3 } }))
  const plain = await send({ url: path.result(TASK.cancellation), headers: json })
  const task = (await app.mock.store.tasks.find(TASK.cancellation))
  t.equal(plain.statusCode, 200)
  t.same(plain.json(), { data: task?.result })
  const entries = (plain.json() as { data: Array<{ status: boolean; details?: string; error?: object }> }).data
  t.ok(entries.some((e) => e.status === true && typeof e.details === 'string' && typeof JSON.parse(e.details) === 'object'), 'a success with JSON text details')
  t.ok(entries.some((e) => e.status === false && typeof e.error === 'object'), 'a failure with an error')
  for (let k = 0; k < 3; k++) {
    const page = await send({ url: path.page(TASK.returns, k), headers: json })
    t.equal(page.statusCode, 200)
    t.same(page.json(), { data: (await app.mock.store.tasks.find(TASK.returns))?.pages?.page(k) })
  }
})

t.test('§2 download headers; HEAD answers the same status and headers with no body', async (t) => {
  const { send } = await makeApp(t)
  const get = await send({ url: path.download(TASK.ewaybill), headers: { ...AUTH1, ...ZIP_ACCEPT } })
  t.equal(get.statusCode, 200)
  t.equal(get.headers['content-type'], 'application/zip')
  t.equal(get.headers['content-disposition'], `attachment; filename="${TASK.ewaybill}.zip"`)
  t.equal(get.rawPayload.subarray(0, 4).toString('latin1'), 'PK\u0003\u0004')
  const head = await send({ method: 'HEAD', url: path.download(TASK.ewaybill.toUpperCase()), headers: { ...AUTH1, ...ZIP_ACCEPT } })
  t.equal(head.statusCode, 200)
  t.equal(head.headers['content-type'], 'application/zip')
  t.equal(head.headers['content-disposition'], `attachment; filename="${TASK.ewaybill}.zip"`, 'lower-case id in the file name')
  t.equal(head.body, '')
  for (const url of [path.status(TASK.processing), path.result(TASK.returns), path.page(TASK.returns, 1), path.result(TASK.processing), path.status('nope')]) {
    const g = await send({ url, headers: json })
    const h = await send({ method: 'HEAD', url, headers: json })
    t.equal(h.statusCode, g.statusCode, `HEAD ${url}`)
    t.equal(h.body, '', `HEAD ${url} has no body`)
    for (const name of ['content-type', 'content-length', 'vary', 'cache-control', 'retry-after']) {
      t.equal(h.headers[name], g.headers[name], `HEAD ${url} ${name}`)
    }
  }
})

t.test('a request body and Content-Type on a task route are ignored', async (t) => {
  const { send } = await makeApp(t)
  const res = await send({ url: path.status(TASK.returns), headers: { ...json, 'content-type': 'text/xml' }, payload: '<x' })
  t.equal(res.statusCode, 200)
})

t.test('an unexpected failure answers the contract 500 without details', { skip: ONLY_MEMORY }, async (t) => {
  const { send, app } = await makeApp(t)
  const task = (await app.mock.store.tasks.find(TASK.returns))
  t.ok(task)
  Object.defineProperty(task, 'result', { get: () => { throw new Error('boom at /secret/path.ts') } })
  const res = await send({ url: path.result(TASK.returns), headers: json })
  t.equal(res.statusCode, 500)
  t.equal(res.body, JSON.stringify(errorOf('err-internal-server-error', 'Runtime')))
  t.equal(res.headers.vary, 'Accept')
  t.match(res.headers['x-call-id'], UUID_RE)
})

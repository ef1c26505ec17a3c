// The console (docs/behaviour.md §18) and the control routes made for it (§12): a task's timeline,
// result, pages and zip without org credentials, not journaled and not polls; GET and HEAD of the
// page and its two files, and the route 404 for any other file. The page itself is tested in a
// real browser (test/browser/console.browser.ts).
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import t from 'tap'
import { CONSOLE_ASSETS, CONSOLE_CSP, CONSOLE_DIR } from '../src/routes/console.js'
import { AUTH1, errorOf, JSON_ACCEPT, listen, makeApp, ORG1, ORG2, path, T0, TASK } from './helpers/app.js'
import { rawRequest } from './helpers/http.js'
import { download, unzip } from './helpers/zip.js'

const NOT_FOUND = errorOf('err-resource-not-found', 'ResourceNotFound')
const iso = (ms: number): string => new Date(ms).toISOString()

t.test('GET /__admin/tasks/{id}/timeline: the phases with their times where known, and where now is', async (t) => {
  const { clock, send } = await makeApp(t)
  const timeline = async (id: string) => (await send({ url: `/__admin/tasks/${id}/timeline` })).json()

  // An ms phase: its end is known from the start; now is in it, then past it.
  t.same(await timeline(TASK.thirtySeconds), {
    timeline: { phases: [{ status: 'processing', ms: 30_000, startedAt: iso(T0), endsAt: iso(T0 + 30_000) }], outcome: 'completed', current: 0, outcomeAt: iso(T0 + 30_000), move: null }
  })
  clock.advance(30_000)
  t.equal((await timeline(TASK.thirtySeconds)).timeline.current, 1, 'the outcome reached')

  // A polls phase: its end is known once the read that ends it is made; what follows it waits.
  const created = await send({ method: 'POST', url: '/__admin/tasks', payload: { id: 'c0000000-0000-4000-8000-000000000001', timeline: [{ status: 'queued', polls: 1 }, { status: 'processing', ms: 1000 }], outcome: 'failed' } })
  t.equal(created.statusCode, 201)
  const id = 'c0000000-0000-4000-8000-000000000001'
  const now = T0 + 30_000
  t.same(await timeline(id), {
    timeline: {
      phases: [{ status: 'queued', polls: 1, startedAt: iso(now), endsAt: null }, { status: 'processing', ms: 1000, startedAt: null, endsAt: null }],
      outcome: 'failed',
      current: 0,
      outcomeAt: null,
      move: null
    }
  })
  await send({ url: path.status(id), headers: { ...AUTH1, ...JSON_ACCEPT } })
  clock.advance(500)
  await send({ url: path.status(id), headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.same((await timeline(id)).timeline, {
    phases: [{ status: 'queued', polls: 1, startedAt: iso(now), endsAt: iso(now + 500) }, { status: 'processing', ms: 1000, startedAt: iso(now + 500), endsAt: iso(now + 1500) }],
    outcome: 'failed',
    current: 1,
    outcomeAt: iso(now + 1500),
    move: null
  })

  // An open-ended phase, then a move: the timeline stays as it was, the move is shown.
  t.same((await timeline(TASK.processing)).timeline.phases, [{ status: 'processing', startedAt: iso(T0), endsAt: null }])
  await send({ method: 'POST', url: `/__admin/tasks/${TASK.processing}/transition`, payload: { status: 'completed' } })
  t.same((await timeline(TASK.processing)).timeline, {
    phases: [{ status: 'processing', startedAt: iso(T0), endsAt: null }],
    outcome: 'completed',
    current: 0,
    outcomeAt: null,
    move: { status: 'completed', at: iso(now + 500) }
  })

  const unknown = await send({ url: '/__admin/tasks/c0000000-0000-4000-8000-00000000ffff/timeline' })
  t.equal(unknown.statusCode, 404)
  t.same(unknown.json(), NOT_FOUND)
  const otherOrg = await send({ url: `/__admin/tasks/${TASK.org2}/timeline`, headers: { 'x-flynn-n-org-id': ORG1 } })
  t.equal(otherOrg.statusCode, 404, "another org's task is not there in a namespace (§15)")
})

t.test('GET /__admin/tasks/{id}/result, /pages/{k} and /download: the task routes\' content, not journaled, not polls', async (t) => {
  const { send } = await makeApp(t)

  const result = await send({ url: `/__admin/tasks/${TASK.einvoices}/result` })
  t.equal(result.statusCode, 200)
  t.equal(result.headers['content-type'], 'application/json; charset=utf-8')
  t.same(result.json(), (await send({ url: path.result(TASK.einvoices), headers: { ...AUTH1, ...JSON_ACCEPT } })).json(), 'the Result API\'s body')
  t.same((await send({ url: `/__admin/tasks/${TASK.returns}/result` })).json(), { data: { pages: 3 } })

  const page = await send({ url: `/__admin/tasks/${TASK.returns}/pages/2` })
  t.equal(page.statusCode, 200)
  t.same(page.json(), (await send({ url: path.page(TASK.returns, 2), headers: { ...AUTH1, ...JSON_ACCEPT } })).json(), 'the Pages API\'s body')
  for (const k of ['3', '-1', 'x', '1.0', '9999999999999999']) {
    const res = await send({ url: `/__admin/tasks/${TASK.returns}/pages/${k}` })
    t.equal(res.statusCode, 404, `page ${k}`)
    t.same(res.json(), NOT_FOUND)
  }
  t.same((await send({ url: `/__admin/tasks/${TASK.einvoices}/pages/0` })).json(), NOT_FOUND, 'an unpaged task has no pages')

  const zip = await send({ url: `/__admin/tasks/${TASK.ewaybill}/download` })
  t.equal(zip.statusCode, 200)
  t.equal(zip.headers['content-type'], 'application/zip')
  t.equal(zip.headers['content-disposition'], `attachment; filename="${TASK.ewaybill}.zip"`)
  t.same((await unzip(zip.rawPayload)).map((e) => [e.name, e.content.length]), (await unzip(await download(send, TASK.ewaybill))).map((e) => [e.name, e.content.length]), 'the Download API\'s entries')

  // Not completed: rule 6's body, on all three.
  for (const route of ['result', 'pages/0', 'download']) {
    const res = await send({ url: `/__admin/tasks/${TASK.processing}/${route}` })
    t.equal(res.statusCode, 400, route)
    t.same(res.json(), { data: { id: TASK.processing, jobs: { total: 10, pending: 10 }, status: 'processing' } })
    const failed = await send({ url: `/__admin/tasks/${TASK.failed}/${route}` })
    t.same(failed.json(), { data: { id: TASK.failed, jobs: { total: 5, pending: 5 }, status: 'failed' } })
  }
  for (const route of ['result', 'pages/0', 'download']) {
    const res = await send({ url: `/__admin/tasks/c0000000-0000-4000-8000-00000000ffff/${route}` })
    t.equal(res.statusCode, 404)
    t.same(res.json(), NOT_FOUND)
    t.equal((await send({ url: `/__admin/tasks/${TASK.org2}/${route}`, headers: { 'x-flynn-n-org-id': ORG2 } })).statusCode, route === 'pages/0' ? 404 : 200, 'its own org sees it (an unpaged task: no page 0)')
    t.equal((await send({ url: `/__admin/tasks/${TASK.org2}/${route}`, headers: { 'x-flynn-n-org-id': ORG1 } })).statusCode, 404, 'another org does not (§15)')
  }

  // None of it was journaled, and the polls are the test's own status reads.
  const journal = (await send({ url: '/__admin/requests' })).json().requests as Array<{ url: string }>
  t.same(journal.filter((entry) => entry.url.startsWith('/__admin')), [])
  t.notOk(journal.some((entry) => entry.url.includes(TASK.processing)))
  t.equal((await send({ url: `/__admin/tasks/${TASK.processing}` })).json().task.polls, 0, 'not polls')
})

t.test('no fault applies to the console\'s routes, and the zip respects MAX_DOWNLOADS', async (t) => {
  const { app, send } = await makeApp(t, { maxDownloads: 1 })
  await send({ method: 'POST', url: '/__admin/faults', payload: { route: '*', times: 5, respond: { status: 500 } } })
  t.equal((await send({ url: `/__admin/tasks/${TASK.einvoices}/result` })).statusCode, 200)
  t.equal((await send({ url: `/__admin/tasks/${TASK.ewaybill}/download` })).statusCode, 200)
  t.equal((await send({ url: '/__admin/faults' })).json().faults[0].times, 5, 'the fault is untouched')

  // A zip already in flight: the next one is refused before any byte.
  const inFlight = new PassThrough()
  app.mock.downloads.add(inFlight)
  const refused = await send({ url: `/__admin/tasks/${TASK.ewaybill}/download` })
  t.equal(refused.statusCode, 503)
  t.equal(refused.headers['retry-after'], '1')
  t.equal(refused.headers['content-disposition'], undefined)
  t.same(refused.json(), errorOf('err-service-unavailable', 'Runtime'))
  app.mock.downloads.delete(inFlight)
})

t.test('with ADMIN_TOKEN, the console\'s control routes need it too', async (t) => {
  const { send } = await makeApp(t, { adminToken: 'tkn' })
  for (const route of ['timeline', 'result', 'pages/0', 'download']) {
    const res = await send({ url: `/__admin/tasks/${TASK.returns}/${route}` })
    t.equal(res.statusCode, 401, route)
    t.same(res.json(), errorOf('err-admin-unauthorized', 'Authorization'))
    t.equal((await send({ url: `/__admin/tasks/${TASK.returns}/${route}`, headers: { authorization: 'Bearer tkn' } })).statusCode, 200)
  }
})

t.test('GET and HEAD /console: the built page, with its headers; no token asked by the server', async (t) => {
  const { send } = await makeApp(t, { adminToken: 'tkn' })
  const page = await send({ url: '/console' })
  t.equal(page.statusCode, 200)
  t.equal(page.headers['content-type'], 'text/html; charset=utf-8')
  t.equal(page.headers['content-security-policy'], CONSOLE_CSP)
  t.equal(page.headers['cache-control'], 'no-cache')
  t.equal(page.headers['x-content-type-options'], 'nosniff')
  t.match(page.headers.etag, /^W\/"/)
  t.equal(page.body, readFileSync(join(CONSOLE_DIR, 'index.html'), 'utf8'))
  t.match(page.body, /<script type="module" src="console\/console\.js"><\/script>/, 'its files, relative to the page')

  const head = await send({ method: 'HEAD', url: '/console' })
  t.equal(head.statusCode, 200)
  t.equal(head.body, '')
  t.equal(head.headers['content-length'], page.headers['content-length'])
  t.equal(head.headers['content-security-policy'], CONSOLE_CSP)
})

t.test('GET and HEAD /console/{file}: the script and the styles; any other name is the route 404', async (t) => {
  const { send } = await makeApp(t)
  const types: Record<string, string> = { 'console.js': 'application/javascript; charset=utf-8', 'console.css': 'text/css; charset=utf-8' }
  t.same([...CONSOLE_ASSETS].sort(), Object.keys(types).sort())
  for (const file of CONSOLE_ASSETS) {
    const res = await send({ url: `/console/${file}` })
    t.equal(res.statusCode, 200, file)
    t.equal(res.headers['content-type'], types[file])
    t.equal(res.headers['cache-control'], 'no-cache')
    t.equal(res.headers['content-security-policy'], undefined)
    t.same(res.rawPayload, readFileSync(join(CONSOLE_DIR, file)))
    const head = await send({ method: 'HEAD', url: `/console/${file}` })
    t.equal(head.statusCode, 200)
    t.equal(head.body, '')
    t.equal(head.headers['content-type'], types[file])
  }
  for (const file of ['index.html', 'main.ts', '..%2Fpackage.json', 'console.js.map', 'x']) {
    const res = await send({ url: `/console/${file}` })
    t.equal(res.statusCode, 404, file)
    t.same(res.json(), NOT_FOUND)
    const head = await send({ method: 'HEAD', url: `/console/${file}` })
    t.equal(head.statusCode, 404)
    t.equal(head.body, '')
  }
  for (const url of ['/console/', '/console/x/y', '/Console']) t.same((await send({ url })).json(), NOT_FOUND, url)
  const post = await send({ method: 'POST', url: '/console' })
  t.equal(post.statusCode, 404, 'only GET and HEAD')
  t.same(post.json(), NOT_FOUND)
})

t.test('a Range header is ignored: the page, its files and the documentation UI are sent whole', async (t) => {
  const { send } = await makeApp(t)
  const urls = ['/console', '/console/console.js', '/console/console.css', '/documentation/static/index.css']
  for (const url of urls) {
    const whole = await send({ url })
    t.equal(whole.statusCode, 200, url)
    for (const range of ['bytes=abc', 'bytes=999999999-', 'bytes=5-1', 'bytes=-1', 'bytes=0-0']) {
      const res = await send({ url, headers: { range } })
      t.same([res.statusCode, res.headers['content-range']], [200, undefined], `${url} with ${range}`)
      t.equal(res.headers['accept-ranges'], undefined, 'no range offered')
      t.same(res.rawPayload, whole.rawPayload)
    }
  }
})

t.test('conditional requests: a matching ETag or date answers 304 with no body, type or length; If-Match and If-Unmodified-Since are ignored', async (t) => {
  const { send, app } = await makeApp(t)
  for (const url of ['/console', '/console/console.js', '/documentation/static/index.css']) {
    const whole = await send({ url })
    for (const headers of [{ 'if-none-match': whole.headers.etag as string }, { 'if-none-match': '*' }, { 'if-modified-since': 'Fri, 01 Jan 2100 00:00:00 GMT' }]) {
      for (const method of ['GET', 'HEAD'] as const) {
        const res = await send({ method, url, headers })
        t.same([res.statusCode, res.headers['content-type'], res.headers['content-length'], res.body], [304, undefined, undefined, ''], `${method} ${url} ${JSON.stringify(headers)}`)
      }
    }
    for (const headers of [{ 'if-match': '"nope"' }, { 'if-unmodified-since': 'Tue, 01 Jan 1980 00:00:00 GMT' }, { 'if-range': '"nope"', range: 'bytes=0-0' }]) {
      const res = await send({ url, headers })
      t.same([res.statusCode, res.headers['content-type']], [200, whole.headers['content-type']], `${url} ${JSON.stringify(headers)}`)
      t.same(res.rawPayload, whole.rawPayload)
    }
  }
  const redirect = await send({ url: '/documentation/static/index.html' })
  t.same([redirect.statusCode, redirect.headers.location, redirect.headers['content-type'], redirect.headers['content-length']], [302, '/documentation/', undefined, '0'])

  // The request target as the router reads it: a fragment is not part of the path, and an
  // absolute URL's path is the path.
  const port = await listen(app, t)
  for (const target of ['/console#x', '/console/console.css#', '/documentation#x', 'http://127.0.0.1/console', 'http://127.0.0.1/console/console.js?v=1', 'http://127.0.0.1/documentation/json']) {
    const res = await rawRequest(port, `GET ${target} HTTP/1.1`)
    t.equal(res.status, 200, target)
  }
})

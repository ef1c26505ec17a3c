import { mkdtemp, mkdir, writeFile, cp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { BUNDLED_FIXTURES_DIR } from '../../src/config.js'
import { loadFixtures } from '../../src/fixtures.js'
import { AUTH1, errorOf, JSON_ACCEPT, listen, makeApp, NOT_FOUND, path, ORG1 } from '../helpers/app.js'
import { invoice, producerPath, submit, SUBMIT } from '../helpers/producers.js'
import { startMockServer } from '../../src/embed.js'

const invalid = (details: Array<{ path: string; message: string }>) => errorOf('err-invalid-request', 'ClientRequest', { details })
const GENERATION = 'einvoice-bulk-generation'
const ID = 'c0000000-0000-4000-8000-00000000000a'

t.test('GET /__admin/operations lists the eight built-in operations with their routes and defaults', async (t) => {
  const { send } = await makeApp(t)
  const res = await send({ url: '/__admin/operations' })
  t.equal(res.statusCode, 200)
  const operations = res.json().operations
  t.same(operations.map((o: { name: string; method: string }) => [o.name, o.method]), [
    [GENERATION, 'POST'],
    ['einvoice-bulk-cancellation', 'POST'],
    ['gst-einvoice-download', 'POST'],
    ['gst-returns-download', 'POST'],
    ['ims-invoices-download', 'GET'],
    ['einvoice-ewb-by-irn', 'POST'],
    ['ewaybill-consolidated-pdf', 'GET'],
    ['gcs-generate', 'POST']
  ])
  t.same(operations[0].routes, [{ path: '/enriched/einv/{version}/{irp}/invoices', params: { version: ['v1.0', 'v3.0'], irp: ['ni1', 'ni2'] } }])
  t.same([operations[0].builtIn, operations[0].timeline, operations[0].outcome, operations[0].next], [true, [{ status: 'processing', polls: 1 }], 'completed', []])
  t.type(operations[0].description, 'string')
  const one = await send({ url: `/__admin/operations/${GENERATION}` })
  t.same(one.json(), { operation: operations[0] })
  t.same((await send({ url: '/__admin/operations/nope' })).json(), NOT_FOUND)
})

t.test('PUT /__admin/operations/{name} changes the defaults of the tasks it creates from then on; reset restores them', async (t) => {
  const { send } = await makeApp(t)
  const res = await send({ method: 'PUT', url: `/__admin/operations/${GENERATION}`, payload: { timeline: [{ status: 'queued', polls: 1 }], outcome: 'failed' } })
  t.equal(res.statusCode, 200)
  t.same([res.json().operation.timeline, res.json().operation.outcome], [[{ status: 'queued', polls: 1 }], 'failed'])
  const id = await submit(send, producerPath.generate(), { payload: [invoice('T-1')] })
  const statuses = []
  for (let i = 0; i < 2; i++) statuses.push((await send({ url: path.status(id), headers: { ...AUTH1, ...JSON_ACCEPT } })).json().data.task.status)
  t.same(statuses, ['queued', 'failed'])
  t.same((await send({ method: 'PUT', url: '/__admin/operations/nope', payload: {} })).json(), NOT_FOUND)
  t.same((await send({ method: 'PUT', url: `/__admin/operations/${GENERATION}`, payload: { outcome: 'maybe' } })).json(), invalid([{ path: '/outcome', message: 'must be equal to one of the allowed values' }]))
  t.same((await send({ method: 'PUT', url: `/__admin/operations/${GENERATION}`, payload: { timeline: [{ status: 'processing' }, { status: 'queued' }] } })).json(), invalid([{ path: '/timeline/1/status', message: 'queued must come before processing' }]))
  await send({ method: 'POST', url: '/__admin/reset' })
  t.same((await send({ url: `/__admin/operations/${GENERATION}` })).json().operation.outcome, 'completed')
})

t.test('POST /__admin/operations/{name}/next queues one-shot overrides, first in first out, with a reserved id', async (t) => {
  const { send } = await makeApp(t)
  const queued = await send({ method: 'POST', url: `/__admin/operations/${GENERATION}/next`, payload: { id: ID.toUpperCase(), timeline: [], outcome: 'failed' } })
  t.same([queued.statusCode, queued.json()], [201, { next: { id: ID, timeline: [], outcome: 'failed' } }])
  await send({ method: 'POST', url: `/__admin/operations/${GENERATION}/next`, payload: {} })
  t.same((await send({ url: `/__admin/operations/${GENERATION}` })).json().operation.next, [{ id: ID, timeline: [], outcome: 'failed' }, {}])
  const taken = await send({ method: 'POST', url: '/__admin/tasks', payload: { id: ID } })
  t.same([taken.statusCode, taken.json()], [409, errorOf('err-task-exists', 'ClientRequest')], 'a reserved id cannot be taken by the control API')
  const twice = await send({ method: 'POST', url: '/__admin/operations/einvoice-bulk-cancellation/next', payload: { id: ID } })
  t.same([twice.statusCode, twice.json()], [409, errorOf('err-task-exists', 'ClientRequest')])
  const live = await send({ method: 'POST', url: `/__admin/operations/${GENERATION}/next`, payload: { id: 'a0000000-0000-4000-8000-000000000001' } })
  t.equal(live.statusCode, 409, 'nor the id of a live task')

  // Another operation's submit does not consume it.
  await submit(send, producerPath.cancel(), { payload: [{ Irn: 'a'.repeat(64), CnlRsn: '1' }] })
  t.equal(await submit(send, producerPath.generate(), { payload: [invoice('N-1')] }), ID)
  t.same((await send({ url: path.status(ID), headers: { ...AUTH1, ...JSON_ACCEPT } })).json(), { data: { task: { id: ID, status: 'failed' } } })
  const second = await submit(send, producerPath.generate(), { payload: [invoice('N-2')] })
  t.not(second, ID)
  t.same((await send({ url: `/__admin/tasks/${second}` })).json().task.status, 'processing', 'the second override left the defaults')
  t.same((await send({ url: `/__admin/operations/${GENERATION}` })).json().operation.next, [])
  t.same((await send({ method: 'POST', url: '/__admin/operations/nope/next', payload: {} })).json(), NOT_FOUND)
  t.same((await send({ method: 'POST', url: `/__admin/operations/${GENERATION}/next`, payload: { id: 'x' } })).statusCode, 400)
  t.same((await send({ method: 'POST', url: `/__admin/operations/${GENERATION}/next`, payload: { timeline: [{ status: 'processing' }, { status: 'queued' }] } })).statusCode, 400)
})

t.test('a submit refused for a full store keeps the override queued and issues no IRN', async (t) => {
  const { send, app } = await makeApp(t, { maxTasks: 8 })
  await send({ method: 'POST', url: `/__admin/operations/${GENERATION}/next`, payload: { id: ID } })
  const full = await send({ method: 'POST', url: producerPath.generate(), headers: SUBMIT, payload: JSON.stringify({ payload: [invoice('L-1')] }) })
  t.same([full.statusCode, full.json()], [507, errorOf('err-task-limit', 'Runtime')])
  t.same(app.mock.operations.peekNext(GENERATION, ORG1), { id: ID })
  await send({ method: 'DELETE', url: '/__admin/tasks/a0000000-0000-4000-8000-000000000005' })
  t.equal(await submit(send, producerPath.generate(), { payload: [invoice('L-1')] }), ID)
})

const CUSTOM = {
  name: 'taxpayer-details-bulk',
  method: 'POST',
  path: '/enriched/gstn/v1.0/taxpayers/{batch}/details',
  envelope: 'v3',
  task: { jobs: 2, result: { taxpayers: [] }, timeline: [], files: [{ name: 'details.json', json: { ok: true } }] },
  description: 'Bulk taxpayer details'
}

t.test('custom operations: registered at run time, served through the dispatcher with every check, removed, reset', async (t) => {
  const { send, app } = await makeApp(t)
  const port = await listen(app, t)
  const created = await send({ method: 'POST', url: '/__admin/operations', payload: CUSTOM })
  t.equal(created.statusCode, 201)
  t.same(created.json().operation, {
    name: CUSTOM.name,
    builtIn: false,
    method: 'POST',
    routes: [{ path: CUSTOM.path, params: {} }],
    description: 'Bulk taxpayer details',
    timeline: [],
    outcome: 'completed',
    next: []
  })
  const url = `http://127.0.0.1:${port}/enriched/gstn/v1.0/taxpayers/B%2D7/details`
  const res = await fetch(url, { method: 'POST', headers: SUBMIT, body: JSON.stringify({ payload: [{ gstin: 'x' }, { gstin: 'y' }, { gstin: 'z' }] }) })
  t.equal(res.status, 200)
  t.equal(res.headers.get('cache-control'), 'no-store')
  const body = (await res.json()) as { status: string; data: { 'task-id': string } }
  t.equal(body.status, '1')
  const id = body.data['task-id']
  const view = (await send({ url: `/__admin/tasks/${id}` })).json().task
  t.same([view.kind, view.jobs, view.status], [CUSTOM.name, { total: 3, pending: 0 }, 'completed'], 'jobs count the payload array')
  t.same((await send({ url: path.result(id), headers: { ...AUTH1, ...JSON_ACCEPT } })).json(), { data: { taxpayers: [] } })
  const arrayBody = await fetch(url, { method: 'POST', headers: SUBMIT, body: '[1,2]' })
  const arrayId = ((await arrayBody.json()) as { data: { 'task-id': string } }).data['task-id']
  t.equal((await app.mock.store.tasks.find(arrayId))?.jobs, 2, 'or the body when it is an array')
  const objectBody = await fetch(url, { method: 'POST', headers: SUBMIT, body: '{"x":1}' })
  const objectId = ((await objectBody.json()) as { data: { 'task-id': string } }).data['task-id']
  t.equal((await app.mock.store.tasks.find(objectId))?.jobs, 2, 'else the spec\'s jobs')
  const emptyList = await fetch(url, { method: 'POST', headers: SUBMIT, body: '{"payload":[]}' })
  t.same([emptyList.status, await emptyList.json()], [400, invalid([{ path: '/payload', message: 'must have 1 to 1000 items' }])])
  const get = await fetch(url, { headers: SUBMIT })
  t.same([get.status, get.headers.get('allow')], [405, 'POST'])
  const xml = await fetch(url, { method: 'POST', headers: { ...SUBMIT, 'content-type': 'text/xml' }, body: '<x/>' })
  t.equal(xml.status, 415)
  const noAuth = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
  t.equal(noAuth.status, 403)
  const other = await fetch(`http://127.0.0.1:${port}/enriched/gstn/v1.0/taxpayers/B-7`, { method: 'POST', headers: SUBMIT, body: '{}' })
  t.same([other.status, await other.json()], [404, NOT_FOUND])
  const undecodable = await fetch(`http://127.0.0.1:${port}/enriched/gstn/v1.0/taxpayers/%E0%A4%A/details`, { method: 'POST', headers: SUBMIT, body: '{}' })
  t.equal(undecodable.status, 404)

  const fault = await send({ method: 'POST', url: '/__admin/faults', payload: { route: CUSTOM.name, respond: { status: 502 } } })
  t.equal(fault.statusCode, 201, 'custom operations can be faulted by name')
  t.equal((await fetch(url, { method: 'POST', headers: SUBMIT, body: '{}' })).status, 502)

  t.same((await send({ method: 'POST', url: '/__admin/operations', payload: CUSTOM })).json(), errorOf('err-operation-exists', 'ClientRequest'), 'name taken')
  const sameRoute = await send({ method: 'POST', url: '/__admin/operations', payload: { ...CUSTOM, name: 'other', path: '/enriched/gstn/v1.0/taxpayers/{x}/details' } })
  t.same([sameRoute.statusCode, sameRoute.json()], [409, errorOf('err-operation-exists', 'ClientRequest')], 'route taken')
  const builtInRoute = await send({ method: 'POST', url: '/__admin/operations', payload: { ...CUSTOM, name: 'other', path: '/enriched/einv/v9.0/ni1/invoices' } })
  t.equal(builtInRoute.statusCode, 409, 'a built-in route')
  const taskRoute = await send({ method: 'POST', url: '/__admin/operations', payload: { ...CUSTOM, name: 'other', path: '/enriched/tasks/v2/x' } })
  t.equal(taskRoute.statusCode, 409, 'the tasks API')
  const reservedName = await send({ method: 'POST', url: '/__admin/operations', payload: { ...CUSTOM, name: 'status', path: '/enriched/a' } })
  t.equal(reservedName.statusCode, 409, 'a task route name')
  const getSamePath = await send({ method: 'POST', url: '/__admin/operations', payload: { ...CUSTOM, name: 'getter', method: 'GET', envelope: 'v1' } })
  t.equal(getSamePath.statusCode, 201, 'the same path with another method')
  const head = await fetch(url, { method: 'HEAD', headers: SUBMIT })
  t.same([head.status, await head.text()], [200, ''], 'HEAD runs the checks and creates nothing')
  const viaGet = await fetch(url, { headers: SUBMIT })
  t.same(Object.keys((await viaGet.json()) as object), ['data'], 'v1 envelope')
  const del = await fetch(url, { method: 'DELETE', headers: SUBMIT })
  t.same([del.status, del.headers.get('allow')], [405, 'POST, GET, HEAD'])

  t.same((await send({ method: 'DELETE', url: `/__admin/operations/${GENERATION}` })).json(), errorOf('err-operation-built-in', 'ClientRequest'))
  t.same((await send({ method: 'DELETE', url: '/__admin/operations/nope' })).json(), NOT_FOUND)
  t.equal((await send({ method: 'DELETE', url: '/__admin/operations/getter' })).statusCode, 204)
  await send({ method: 'POST', url: '/__admin/reset' })
  t.same((await send({ url: `/__admin/operations/${CUSTOM.name}` })).json(), NOT_FOUND, 'reset removes operations added at run time')
  t.equal((await fetch(url, { method: 'POST', headers: SUBMIT, body: '{}' })).status, 404)
})

t.test('custom operation definitions are validated', async (t) => {
  const { send } = await makeApp(t)
  const bad = async (change: Record<string, unknown>) => (await send({ method: 'POST', url: '/__admin/operations', payload: { ...CUSTOM, ...change } })).json()
  const pathPattern = 'must match pattern "^/enriched(/((?!\\.\\.?(/|$))[A-Za-z0-9._~-]+|\\{[A-Za-z][A-Za-z0-9_]{0,49}\\})){1,20}$"'
  t.same(await bad({ path: '/other/x' }), invalid([{ path: '/path', message: pathPattern }]))
  t.same(await bad({ path: '/enriched/../__admin/reset' }), invalid([{ path: '/path', message: pathPattern }]), 'no . or .. segment')
  t.same(await bad({ path: '/enriched/.' }), invalid([{ path: '/path', message: pathPattern }]))
  t.equal((await send({ method: 'POST', url: '/__admin/operations', payload: { ...CUSTOM, path: '/enriched/v1..2/.well' } })).statusCode, 201, 'dots inside a segment are fine')
  const fixed = 'must not be given: each call makes a new task of the caller, now, of the operation\'s kind'
  t.same(await bad({ task: { id: ID } }), invalid([{ path: '/task/id', message: fixed }]))
  t.same(await bad({ task: { kind: 'other' } }), invalid([{ path: '/task/kind', message: fixed }]))
  t.same(await bad({ task: { pages: [] } }), invalid([{ path: '/task/pages', message: 'must NOT have fewer than 1 items' }]))
  t.same(await bad({ method: 'DELETE' }), invalid([{ path: '/method', message: 'must be equal to one of the allowed values' }]))
})

t.test('custom operations load from fixtures/operations/*.json and survive a reset; a bad one stops start-up naming the file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'etm-fixtures-'))
  await cp(BUNDLED_FIXTURES_DIR, dir, { recursive: true })
  await mkdir(join(dir, 'operations'), { recursive: true })
  await writeFile(join(dir, 'operations', 'taxpayers.json'), JSON.stringify({ ...CUSTOM, task: { pages: [{ a: 1 }, { a: 2 }] } }))
  const fixtures = await loadFixtures(dir)
  t.equal(fixtures.operations.length, 1)
  const { send } = await makeApp(t, {}, { fixtures })
  await send({ method: 'POST', url: '/__admin/reset' })
  const view = (await send({ url: `/__admin/operations/${CUSTOM.name}` })).json().operation
  t.same([view.builtIn, view.timeline], [false, [{ status: 'processing', polls: 1 }]])
  const id = (await send({ method: 'POST', url: '/enriched/gstn/v1.0/taxpayers/1/details', headers: SUBMIT, payload: '{}' })).json().data['task-id']
  for (let i = 0; i < 2; i++) await send({ url: path.status(id), headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.same((await send({ url: path.page(id, 1), headers: { ...AUTH1, ...JSON_ACCEPT } })).json(), { data: { a: 2 } })

  await writeFile(join(dir, 'operations', 'zz-clash.json'), JSON.stringify({ ...CUSTOM, name: 'clash' }))
  await t.rejects(loadFixtures(dir), { code: 'ERR_FIXTURE', message: new RegExp(`zz-clash.json: route POST ${CUSTOM.path.replace(/[{}]/g, '\\$&')} is taken`) })
})

t.test('AdminClient steers operations: nextTask, configureOperation, addOperation, deleteOperation', async (t) => {
  const server = await startMockServer()
  t.teardown(() => server.close())
  const { admin, url } = server
  t.equal((await admin.operations()).length, 8)
  await admin.configureOperation(GENERATION, { timeline: [] })
  t.same((await admin.getOperation(GENERATION)).timeline, [])
  t.same(await admin.nextTask(GENERATION, { id: ID, outcome: 'failed' }), { id: ID, outcome: 'failed' })
  const res = await fetch(`${url}${producerPath.generate()}`, { method: 'POST', headers: SUBMIT, body: JSON.stringify({ payload: [invoice('AC-1')] }) })
  t.equal(((await res.json()) as { data: { 'task-id': string } }).data['task-id'], ID)
  t.equal((await admin.getTask(ID)).status, 'failed')
  t.equal((await admin.addOperation({ ...CUSTOM, method: 'POST', envelope: 'v3' })).name, CUSTOM.name)
  await admin.deleteOperation(CUSTOM.name)
  const refused = await admin.deleteOperation(GENERATION).catch((error: unknown) => error)
  t.match(refused, { name: 'AdminError', status: 409, body: { error: { message: 'err-operation-built-in' } } })
})

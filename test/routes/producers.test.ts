import { compactVerify, createLocalJWKSet } from 'jose'
import t from 'tap'
import { AUTH1, errorOf, JSON_ACCEPT, listen, makeApp, NOT_FOUND, ORG2, path, T0, TOKEN2, UUID_RE, ZIP_ACCEPT, type TestApp } from '../helpers/app.js'
import { BUYER, expectedIrn, invoice, producerPath, SELLER, submit, SUBMIT } from '../helpers/producers.js'
import { parsePdf } from '../helpers/pdf.js'
import { unzip } from '../helpers/zip.js'

const invalid = (details: Array<{ path: string; message: string }>) => errorOf('err-invalid-request', 'ClientRequest', { details })
const HOUR = 3_600_000

/** Polls until the default timeline completes, then answers the result. */
async function result(send: TestApp['send'], id: string): Promise<any> {
  for (let i = 0; i < 2; i++) await send({ url: path.status(id), headers: { ...AUTH1, ...JSON_ACCEPT } })
  const res = await send({ url: path.result(id), headers: { ...AUTH1, ...JSON_ACCEPT } })
  if (res.statusCode !== 200) throw new Error(`result ${id}: ${res.statusCode} ${res.body}`)
  return res.json().data
}

async function zipOf(send: TestApp['send'], id: string) {
  await result(send, id)
  const res = await send({ url: path.download(id), headers: { ...AUTH1, ...ZIP_ACCEPT } })
  if (res.statusCode !== 200) throw new Error(`download ${id}: ${res.statusCode} ${res.body}`)
  return unzip(res.rawPayload)
}

t.test('bulk generation answers a task id in the v1 envelope on v1.0 and the v3 envelope on v3.0, with the task-route headers', async (t) => {
  const { send } = await makeApp(t)
  const v1 = await send({ method: 'POST', url: producerPath.generate('v1.0', 'ni1'), headers: SUBMIT, payload: JSON.stringify({ payload: [invoice('A-1')], meta: null }) })
  t.equal(v1.statusCode, 200)
  t.same(Object.keys(v1.json()), ['data'])
  t.match(v1.json().data['task-id'], UUID_RE)
  t.equal(v1.headers['cache-control'], 'no-store')
  t.equal(v1.headers.vary, 'Accept')
  t.match(v1.headers['x-call-id'], UUID_RE)
  const v3 = await send({ method: 'POST', url: producerPath.generate('v3.0', 'ni2'), headers: SUBMIT, payload: JSON.stringify({ payload: [invoice('A-2')] }) })
  const taskId = v3.json().data['task-id']
  t.match(taskId, UUID_RE)
  t.same(v3.json(), { status: '1', data: { 'task-id': taskId }, error: null, info: null, additionalInfo: null, alert: null })
})

t.test('a generation task is an ordinary task: kind, jobs, org, the default timeline, the control API and the journal see it', async (t) => {
  const { send } = await makeApp(t)
  const id = await submit(send, producerPath.generate(), { payload: [invoice('B-1'), invoice('B-2'), invoice('B-3')] })
  const view = (await send({ url: `/__admin/tasks/${id}` })).json().task
  t.same(view, {
    id,
    orgId: AUTH1['x-flynn-n-org-id'],
    kind: 'einvoice-bulk-generation',
    status: 'processing',
    jobs: { total: 3, pending: 3 },
    createdAt: new Date(T0).toISOString(),
    expiresAt: new Date(T0 + 7 * 24 * HOUR).toISOString(),
    pages: null,
    polls: 0
  })
  const first = await send({ url: path.status(id), headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.same(first.json(), { data: { task: { id, status: 'processing' } } })
  const second = await send({ url: path.status(id), headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.same(second.json(), { data: { task: { id, status: 'completed' } } })
  const journal = (await send({ url: '/__admin/requests' })).json().requests
  t.same(journal.map((r: { method: string; url: string; status: number }) => [r.method, r.url, r.status]), [
    ['POST', producerPath.generate(), 200],
    ['GET', path.status(id), 200],
    ['GET', path.status(id), 200]
  ])
  t.equal(journal[0].headers['x-flynn-n-user-token'], '[redacted]', 'the token never reaches the journal')
})

t.test('generation derives per-invoice outcomes: IRN as documented, AckNo, AckDt in IST, in order', async (t) => {
  const { send } = await makeApp(t)
  const id = await submit(send, producerPath.generate(), { payload: [invoice('INV/2026/0001'), invoice('INV-0402', (i) => (i.DocDtls.Dt = '02/04/2026'))] })
  const data = await result(send, id)
  const irn1 = expectedIrn(SELLER, '2025-26', 'INV', 'INV/2026/0001')
  const irn2 = expectedIrn(SELLER, '2026-27', 'INV', 'INV-0402')
  t.same(data.gstin, SELLER)
  t.same(data.summary, { total: 2, success: 2, failed: 0 })
  t.same(data.invoices[0], {
    DocNo: 'INV/2026/0001',
    DocDt: '12/01/2026',
    DocTyp: 'INV',
    SellerGstin: SELLER,
    BuyerGstin: BUYER,
    TotInvVal: 10030,
    status: 'success',
    Irn: irn1,
    AckNo: data.invoices[0].AckNo,
    AckDt: '2026-01-15 15:30:00',
    file: 'invoices/1-INV-2026-0001.json'
  })
  t.match(data.invoices[0].AckNo, /^1261\d{11}$/)
  t.equal(data.invoices[1].Irn, irn2, 'April starts the next financial year')
  t.equal(data.invoices[1].file, 'invoices/2-INV-0402.json')
})

t.test('each invoice is judged in order: field, GSTIN format and check character, FAIL- switch', async (t) => {
  const { send } = await makeApp(t)
  const body = {
    payload: [
      invoice('C-1', (i) => delete i.DocDtls.Dt),
      invoice('C-2', (i) => (i.DocDtls.Typ = 'XYZ')),
      invoice('C-3', (i) => (i.SellerDtls.Gstin = '29AABCA4821K1Z')),
      invoice('C-4', (i) => (i.BuyerDtls.Gstin = '29AAFCB7310M1ZH')),
      invoice('FAIL-5'),
      invoice('C-6', (i) => (i.BuyerDtls.Gstin = 'URP')),
      invoice('C-7', (i) => (i.ItemList = [])),
      invoice('0-8'),
      invoice('C-9', (i) => (i.ValDtls.TotInvVal = -1))
    ]
  }
  const data = await result(send, await submit(send, producerPath.generate(), body))
  const errors = data.invoices.map((o: { status: string; error?: unknown }) => o.error ?? o.status)
  const field = (name: string, reason: string) => ({ message: 'err-invalid-field', type: 'ClientRequest', args: { field: name, reason } })
  t.same(errors, [
    field('DocDtls.Dt', 'must be a date dd/MM/yyyy'),
    field('DocDtls.Typ', 'must be INV, CRN or DBN'),
    { message: 'err-invalid-gstin', type: 'ClientRequest', args: { field: 'SellerDtls.Gstin', value: '29AABCA4821K1Z', problem: 'format' } },
    { message: 'err-invalid-gstin', type: 'ClientRequest', args: { field: 'BuyerDtls.Gstin', value: '29AAFCB7310M1ZH', problem: 'check-character' } },
    { message: 'err-forced-failure', type: 'ClientRequest', args: { field: 'DocDtls.No', DocNo: 'FAIL-5' } },
    'success',
    field('ItemList', 'must be a non-empty array'),
    field('DocDtls.No', 'must be 1-16 letters, digits, / or -, not starting with 0, / or -'),
    field('ValDtls.TotInvVal', 'must be a finite number >= 0')
  ])
  t.same(data.summary, { total: 9, success: 1, failed: 8 })
  t.same(data.invoices[0].DocDt, null, 'a missing field reads as null in the outcome')
})

t.test('a duplicate IRN fails with the existing Irn, AckNo and AckDt: earlier in the body, or by a task still held, per org', async (t) => {
  const { send, clock, app } = await makeApp(t, { authMode: 'any' })
  const firstId = await submit(send, producerPath.generate(), { payload: [invoice('D-1'), invoice('D-1')] })
  const first = await result(send, firstId)
  const issued = first.invoices[0]
  const duplicate = { message: 'err-duplicate-irn', type: 'ClientRequest', args: { Irn: issued.Irn, AckNo: issued.AckNo, AckDt: '2026-01-15 15:30:00' } }
  t.same(first.invoices[1].error, duplicate, 'twice in one body')
  clock.advance(HOUR)
  const again = await result(send, await submit(send, producerPath.generate(), { payload: [invoice('D-1')] }))
  t.same(again.invoices[0].error, duplicate, 'by a task still held, with the first AckDt')
  const otherOrg = await send({ method: 'POST', url: producerPath.generate(), headers: { ...SUBMIT, 'x-flynn-n-org-id': ORG2 }, payload: JSON.stringify({ payload: [invoice('D-1')] }) })
  const otherId = otherOrg.json().data['task-id']
  t.equal((await app.mock.store.tasks.find(otherId))?.result && ((await app.mock.store.tasks.find(otherId))?.result as any).invoices[0].status, 'success', 'another org may issue the same IRN')
  await send({ method: 'DELETE', url: `/__admin/tasks/${firstId}` })
  const afterDelete = await result(send, await submit(send, producerPath.generate(), { payload: [invoice('D-1')] }))
  t.equal(afterDelete.invoices[0].status, 'success', 'once the issuing task is gone, the IRN is free again')
  t.equal(afterDelete.invoices[0].AckDt, '2026-01-15 16:30:00')
})

t.test('the zip holds result.json and one JSON file per invoice; SignedInvoice and SignedQRCode verify with the published key', async (t) => {
  const { send } = await makeApp(t)
  const id = await submit(send, producerPath.generate(), { payload: [invoice('E/1'), invoice('FAIL-2')] })
  const entries = await zipOf(send, id)
  t.same(entries.map((e) => e.name), ['result.json', 'invoices/1-E-1.json', 'invoices/2-FAIL-2.json'])
  const answer = JSON.parse(entries[1]!.content.toString('utf8'))
  const irn = expectedIrn(SELLER, '2025-26', 'INV', 'E/1')
  t.same(Object.keys(answer), ['AckNo', 'AckDt', 'Irn', 'SignedInvoice', 'SignedQRCode', 'Status', 'EwbNo', 'EwbDt', 'EwbValidTill', 'Remarks'])
  t.same([answer.Irn, answer.AckDt, answer.Status, answer.EwbNo], [irn, '2026-01-15 15:30:00', 'ACT', null])
  t.equal(typeof answer.AckNo, 'number')
  const failed = JSON.parse(entries[2]!.content.toString('utf8'))
  t.same(failed, { status: 'failed', error: { message: 'err-forced-failure', type: 'ClientRequest', args: { field: 'DocDtls.No', DocNo: 'FAIL-2' } } })

  const jwksRes = await send({ url: '/.well-known/jwks.json' })
  t.equal(jwksRes.statusCode, 200)
  const jwks = createLocalJWKSet(jwksRes.json())
  const signedInvoice = await compactVerify(answer.SignedInvoice, jwks)
  t.equal(signedInvoice.protectedHeader.alg, 'RS256')
  t.equal(signedInvoice.protectedHeader.kid, jwksRes.json().keys[0].kid)
  const payload = JSON.parse(new TextDecoder().decode(signedInvoice.payload))
  t.equal(payload.iss, 'DEMO-IRP')
  const data = JSON.parse(payload.data)
  t.same([data.DocDtls.No, data.Irn, data.AckDt, data.SellerDtls.Gstin], ['E/1', irn, '2026-01-15 15:30:00', SELLER])
  const qr = JSON.parse(JSON.parse(new TextDecoder().decode((await compactVerify(answer.SignedQRCode, jwks)).payload)).data)
  t.same(qr, { SellerGstin: SELLER, BuyerGstin: BUYER, DocNo: 'E/1', DocTyp: 'INV', DocDt: '12/01/2026', TotInvVal: 10030, ItemCnt: 1, MainHsnCode: '83021090', Irn: irn, IrnDt: '2026-01-15 15:30:00' })
})

t.test('with meta.generatePdf the zip holds one PDF per success, showing the IRN; the same task gives the same bytes', async (t) => {
  const { send } = await makeApp(t)
  const id = await submit(send, producerPath.generate(), { payload: [invoice('P-1'), invoice('FAIL-2')], meta: { generatePdf: true } })
  const entries = await zipOf(send, id)
  t.same(entries.map((e) => e.name), ['result.json', 'invoices/1-P-1.json', 'invoices/1-P-1.pdf', 'invoices/2-FAIL-2.json'])
  const pdf = entries[2]!.content
  t.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-')
  const text = (await parsePdf(pdf)).texts.join(' ')
  t.match(text, expectedIrn(SELLER, '2025-26', 'INV', 'P-1'))
  const again = await send({ url: path.download(id), headers: { ...AUTH1, ...ZIP_ACCEPT } })
  const entriesAgain = await unzip(again.rawPayload)
  t.ok(entriesAgain[2]!.content.equals(pdf), 'the PDF is byte for byte the same on a second download')
  t.ok(entriesAgain[1]!.content.equals(entries[1]!.content), 'and so are the signatures')
})

t.test('the same body from the same org gives the same content in another server (ids and times aside)', async (t) => {
  const bodies = { payload: [invoice('S-1'), invoice('S-2', (i) => (i.SellerDtls.Gstin = 'bad'))] }
  const contents = []
  for (let i = 0; i < 2; i++) {
    const { send } = await makeApp(t)
    const entries = await zipOf(send, await submit(send, producerPath.generate(), bodies))
    contents.push(entries.map((e) => [e.name, e.content.toString('base64')]))
  }
  t.same(contents[0], contents[1])
})

t.test('cancellation: an issued IRN cancels once within 24 hours; late, twice, unknown or bad items fail with their rule', async (t) => {
  const { send, clock } = await makeApp(t)
  const generated = await result(send, await submit(send, producerPath.generate(), { payload: [invoice('K-1'), invoice('K-2'), invoice('K-3')] }))
  const [irn1, irn2, irn3] = generated.invoices.map((o: { Irn: string }) => o.Irn)
  clock.advance(2 * HOUR)
  const id = await submit(send, producerPath.cancel('v3.0', 'ni2'), {
    payload: [
      { Irn: irn1, CnlRsn: '1', CnlRem: 'Wrong entry' },
      { Irn: irn1.toUpperCase(), CnlRsn: '2', CnlRem: 'again' },
      { Irn: 'f'.repeat(64), CnlRsn: '1' },
      { Irn: irn2, CnlRsn: '5' },
      { Irn: 'xyz', CnlRsn: '1' }
    ],
    meta: null
  })
  const view = (await send({ url: `/__admin/tasks/${id}` })).json().task
  t.same([view.kind, view.jobs.total], ['einvoice-bulk-cancellation', 5])
  const entries = await result(send, id)
  t.same(entries, [
    { status: true, details: JSON.stringify({ Irn: irn1, CancelDate: '15/01/2026 17:30:00' }) },
    { status: false, error: { message: 'err-irn-already-cancelled', type: 'ClientRequest', args: { Irn: irn1, CancelDate: '15/01/2026 17:30:00' } } },
    { status: false, error: { message: 'err-irn-not-found', type: 'ClientRequest', args: { Irn: 'f'.repeat(64) } } },
    { status: false, error: { message: 'err-invalid-field', type: 'ClientRequest', args: { field: 'CnlRsn', reason: 'must be "1", "2", "3" or "4"' } } },
    { status: false, error: { message: 'err-invalid-field', type: 'ClientRequest', args: { field: 'Irn', reason: 'must be 64 hexadecimal characters' } } }
  ])
  const twice = await result(send, await submit(send, producerPath.cancel(), { payload: [{ Irn: irn1, CnlRsn: '1' }] }))
  t.same(twice[0].error.message, 'err-irn-already-cancelled', 'a later task sees the cancellation')
  clock.advance(22 * HOUR - 1)
  const lastMs = await result(send, await submit(send, producerPath.cancel(), { payload: [{ Irn: irn2, CnlRsn: '3' }] }))
  t.equal(lastMs[0].status, true, 'one ms before the window closes')
  clock.advance(1)
  const late = await result(send, await submit(send, producerPath.cancel(), { payload: [{ Irn: irn3, CnlRsn: '3' }] }))
  t.same(late, [{ status: false, error: { message: 'err-cancellation-window-expired', type: 'ClientRequest', args: { Irn: irn3, AckDt: '2026-01-15 15:30:00', windowHours: 24 } } }])
})

t.test('seeded fixture IRNs are not registered as issued', async (t) => {
  const { send } = await makeApp(t)
  const seeded = '8bc60f768b2ca93fb34fc1c7198076da79a9f71e6f6923dcda5c9d92ab4a99c6'
  const entries = await result(send, await submit(send, producerPath.cancel(), { payload: [{ Irn: seeded, CnlRsn: '1' }] }))
  t.same(entries[0].error.message, 'err-irn-not-found')
})

t.test('order of checks: route, method, fault, auth, accept, content type, body size, body', async (t) => {
  const { send } = await makeApp(t, { maxPayloadSize: 2048 })
  const body = JSON.stringify({ payload: [invoice('O-1')] })
  const post = (url: string, headers: Record<string, string>, payload = body) => send({ method: 'POST', url, headers, payload })
  t.same((await post(producerPath.generate('v2.0'), SUBMIT)).json(), NOT_FOUND, 'unknown version')
  t.same((await post(producerPath.generate('v1.0', 'ni3'), SUBMIT)).json(), NOT_FOUND, 'unknown irp')
  t.same((await post('/enriched/gstn/v3.0/einvoice/download', SUBMIT)).json(), NOT_FOUND, 'a gstn route at another version')
  const get = await send({ method: 'GET', url: producerPath.generate(), headers: SUBMIT })
  t.same([get.statusCode, get.headers.allow, get.json()], [405, 'POST', errorOf('err-method-not-allowed', 'ClientRequest')])
  const put = await send({ method: 'PUT', url: producerPath.ims('section=B2B'), headers: { 'content-type': 'text/xml' }, payload: '<x/>' })
  t.same([put.statusCode, put.headers.allow], [405, 'GET, HEAD'], '405 before the body is read')
  t.same((await post(producerPath.generate(), { ...SUBMIT, 'x-flynn-n-org-id': 'nope' }, '{')).json(), errorOf('err-invalid-org', 'Authorization'))
  t.same((await post(producerPath.generate(), { ...SUBMIT, 'x-flynn-n-user-token': TOKEN2 }, '{')).json(), errorOf('err-invalid-token', 'Authorization'))
  const { accept: _accept, ...noAccept } = SUBMIT
  const missingAccept = await post(producerPath.generate(), noAccept, '{')
  t.same([missingAccept.statusCode, missingAccept.json()], [406, errorOf('err-invalid-accept-header', 'ClientRequest', { accept: '', expected: 'application/json' })])
  const wrongAccept = await post(producerPath.generate(), { ...SUBMIT, accept: '*/*' }, '{')
  t.same([wrongAccept.statusCode, wrongAccept.json()], [406, errorOf('err-invalid-accept-header', 'ClientRequest', { accept: '*/*', expected: 'application/json' })])
  const xml = await post(producerPath.generate(), { ...SUBMIT, 'content-type': 'application/xml' }, 'x'.repeat(4096))
  t.same([xml.statusCode, xml.json()], [415, errorOf('err-unsupported-media-type', 'ClientRequest', { 'content-type': 'application/xml', expected: 'application/json' })])
  const { 'content-type': _, ...noType } = SUBMIT
  const none = await send({ method: 'POST', url: producerPath.generate(), headers: noType })
  t.same([none.statusCode, none.json()], [415, errorOf('err-unsupported-media-type', 'ClientRequest', { 'content-type': '', expected: 'application/json' })])
  const big = await post(producerPath.generate(), SUBMIT, JSON.stringify({ payload: ['x'.repeat(4096)] }))
  t.same([big.statusCode, big.json()], [413, errorOf('err-payload-too-large', 'ClientRequest')])
  const charset = await post(producerPath.generate(), { ...SUBMIT, 'content-type': 'Application/JSON; charset=utf-8' })
  t.equal(charset.statusCode, 200, 'parameters allowed, type compared case-insensitively')
  const malformed = await post(producerPath.generate(), SUBMIT, '{"payload": [')
  t.same([malformed.statusCode, malformed.json()], [400, invalid([{ path: '', message: 'must be valid JSON' }])])
  const empty = await post(producerPath.generate(), SUBMIT, '')
  t.same([empty.statusCode, empty.json()], [400, invalid([{ path: '', message: 'must be valid JSON' }])])
})

t.test('body shapes: an empty list, more than 1,000 items, a wrong shape are 400; 1,000 invoices are accepted', async (t) => {
  const { send } = await makeApp(t)
  const post = (payload: unknown, url = producerPath.generate()) => send({ method: 'POST', url, headers: SUBMIT, payload: JSON.stringify(payload) })
  t.same((await post({ payload: [] })).json(), invalid([{ path: '/payload', message: 'must NOT have fewer than 1 items' }]))
  t.same((await post({ payload: [] }, producerPath.cancel())).json(), invalid([{ path: '/payload', message: 'must NOT have fewer than 1 items' }]))
  t.same((await post({ payload: [5], meta: 'x' })).json(), invalid([
    { path: '/payload/0', message: 'must be object' },
    { path: '/meta', message: 'must match a schema in anyOf' }
  ]))
  t.same((await post([invoice('X')])).json(), invalid([{ path: '', message: 'must be object' }]))
  const deep = `{"payload":[{"a":${'['.repeat(100)}${']'.repeat(100)}}]}`
  const tooDeep = await send({ method: 'POST', url: producerPath.generate(), headers: SUBMIT, payload: deep })
  t.same([tooDeep.statusCode, tooDeep.json()], [400, invalid([{ path: '', message: 'must not nest deeper than 64 levels' }])], 'deep JSON would overflow the stack when signed')
  t.same((await post({ invoices: [] })).json(), invalid([{ path: '', message: "must have required property 'payload'" }]))
  const many = Array.from({ length: 1001 }, (_, i) => invoice(`M-${i}`))
  t.same((await post({ payload: many })).json(), invalid([{ path: '/payload', message: 'must NOT have more than 1000 items' }]))
  const started = performance.now()
  const ok = await post({ payload: many.slice(0, 1000) })
  const ms = performance.now() - started
  t.equal(ok.statusCode, 200)
  t.comment(`1,000 invoices submitted in ${ms.toFixed(1)} ms (parse, checks, 1,000 IRNs)`)
  const id = ok.json().data['task-id']
  const data = await result(send, id)
  t.same(data.summary, { total: 1000, success: 1000, failed: 0 })
})

t.test('faults match producer routes by operation name; a faulted submit creates no task; "*" never matches them', async (t) => {
  const { send, app } = await makeApp(t)
  const fault = await send({ method: 'POST', url: '/__admin/faults', payload: { route: 'einvoice-bulk-generation', respond: { status: 503, retryAfter: 2 } } })
  t.equal(fault.statusCode, 201)
  await send({ method: 'POST', url: '/__admin/faults', payload: { route: '*', respond: { status: 500 } } })
  const before = (await app.mock.store.tasks.list()).length
  const res = await send({ method: 'POST', url: producerPath.generate(), headers: SUBMIT, payload: JSON.stringify({ payload: [invoice('F-1')] }) })
  t.same([res.statusCode, res.headers['retry-after'], res.json()], [503, '2', errorOf('err-service-unavailable', 'Runtime')])
  t.equal((await app.mock.store.tasks.list()).length, before, 'no task created')
  const next = await send({ method: 'POST', url: producerPath.generate(), headers: SUBMIT, payload: JSON.stringify({ payload: [invoice('F-1')] }) })
  t.equal(next.statusCode, 200, 'used up; the "*" fault is for task routes only')
  const unknown = await send({ method: 'POST', url: '/__admin/faults', payload: { route: 'no-such-operation', delayMs: 1 } })
  t.same(unknown.json(), invalid([{ path: '/route', message: 'must be status, download, result, page, * or the name of an operation' }]))
  const withTask = await send({ method: 'POST', url: '/__admin/faults', payload: { route: 'ims-invoices-download', taskId: '00000000-0000-4000-8000-000000000009', delayMs: 1 } })
  t.same(withTask.json(), invalid([{ path: '/taskId', message: 'must not be given for an operation' }]))
})

t.test('a before-response drop on a producer cuts the connection and creates nothing', async (t) => {
  const { send, app } = await makeApp(t)
  const port = await listen(app, t)
  await send({ method: 'POST', url: '/__admin/faults', payload: { route: 'gst-returns-download', drop: 'before-response' } })
  const before = (await app.mock.store.tasks.list()).length
  const body = JSON.stringify([{ fromRetPeriod: '012026', toRetPeriod: '012026', returns: { gstr1: { b2b: {} } } }])
  await t.rejects(fetch(`http://127.0.0.1:${port}${producerPath.returns}`, { method: 'POST', headers: SUBMIT, body }), 'no answer at all')
  t.equal((await app.mock.store.tasks.list()).length, before)
  const res = await fetch(`http://127.0.0.1:${port}${producerPath.returns}`, { method: 'POST', headers: SUBMIT, body })
  t.equal(res.status, 200, 'the fault was used up')
  t.equal((await app.mock.store.tasks.list()).length, before + 1)
})

t.test('auth off: producer tasks belong to org 1', async (t) => {
  const { send } = await makeApp(t, { authMode: 'off' })
  const res = await send({ method: 'POST', url: producerPath.generate(), headers: { accept: 'application/json', 'content-type': 'application/json' }, payload: JSON.stringify({ payload: [invoice('Z-1')] }) })
  const id = res.json().data['task-id']
  t.equal((await send({ url: `/__admin/tasks/${id}` })).json().task.orgId, AUTH1['x-flynn-n-org-id'])
})

t.test('GST returns download over HTTP: the v3 envelope, one page per period x return x section, for the org\'s GSTIN', async (t) => {
  const { send } = await makeApp(t)
  const body = [{ fromRetPeriod: '112025', toRetPeriod: '012026', returns: { gstr1: { b2b: {}, hsn: {} }, gstr2b: { b2b: {} } } }]
  const res = await send({ method: 'POST', url: producerPath.returns, headers: SUBMIT, payload: JSON.stringify(body) })
  const id = res.json().data['task-id']
  t.same(res.json(), { status: '1', data: { 'task-id': id }, error: null, info: null, additionalInfo: null, alert: null })
  t.same(await result(send, id), { pages: 9 })
  const status = await send({ url: path.status(id), headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.same(status.json(), { data: { task: { id, status: 'completed', pages: 9 } } })
  const page = (k: number) => send({ url: path.page(id, k), headers: { ...AUTH1, ...JSON_ACCEPT } }).then((r) => r.json().data)
  const first = await page(0)
  t.same([first.page, first.gstin, first.ret_period, first.return, first.section], [0, SELLER, '112025', 'gstr1', 'b2b'])
  const last = await page(8)
  t.same([last.ret_period, last.return, last.section], ['012026', 'gstr2b', 'b2b'])
  t.equal((await send({ url: path.page(id, 9), headers: { ...AUTH1, ...JSON_ACCEPT } })).statusCode, 404)
  const org2 = await send({ method: 'POST', url: producerPath.returns, headers: { ...SUBMIT, 'x-flynn-n-org-id': ORG2, 'x-flynn-n-user-token': TOKEN2 }, payload: JSON.stringify(body) })
  const org2Id = org2.json().data['task-id']
  for (let i = 0; i < 2; i++) await send({ url: path.status(org2Id), headers: { 'x-flynn-n-org-id': ORG2, 'x-flynn-n-user-token': TOKEN2, ...JSON_ACCEPT } })
  const org2Page = await send({ url: path.page(org2Id, 0), headers: { 'x-flynn-n-org-id': ORG2, 'x-flynn-n-user-token': TOKEN2, ...JSON_ACCEPT } })
  t.equal(org2Page.json().data.gstin, '27AABCZ3906N1ZW', 'each org has its fixture GSTIN')
  const bad = await send({ method: 'POST', url: producerPath.returns, headers: SUBMIT, payload: JSON.stringify({ returns: {} }) })
  t.same([bad.statusCode, bad.json().error.message], [400, 'err-invalid-request'])
})

t.test('IMS invoices download over HTTP: GET with section and status, pages of 500; HEAD checks and creates nothing', async (t) => {
  const { send, app } = await makeApp(t)
  const res = await send({ url: producerPath.ims('section=B2B&status=A'), headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.equal(res.statusCode, 200)
  const id = res.json().data['task-id']
  t.equal(res.json().status, '1')
  const pages = (await result(send, id)).pages
  t.ok(pages >= 1, `${pages} pages`)
  const page = (await send({ url: path.page(id, 0), headers: { ...AUTH1, ...JSON_ACCEPT } })).json().data
  t.same([page.gstin, page.section, page.status, page.page], [SELLER, 'B2B', 'A', 0])
  t.ok(page.records.length <= 500)
  const before = (await app.mock.store.tasks.list()).length
  const head = await send({ method: 'HEAD', url: producerPath.ims('section=b2b'), headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.same([head.statusCode, head.body], [200, ''])
  t.equal((await app.mock.store.tasks.list()).length, before, 'HEAD created nothing')
  const missing = await send({ url: producerPath.ims('status=A'), headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.same([missing.statusCode, missing.json().error.message], [400, 'err-invalid-request'])
  const withBody = await send({ url: producerPath.ims('section=B2B'), headers: { ...AUTH1, ...JSON_ACCEPT, 'content-type': 'text/xml' }, payload: '<ignored/>' })
  t.equal(withBody.statusCode, 200, 'a body on the GET route is ignored')
})

t.test('GST e-invoice download over HTTP: the zip holds result.json and the e-invoice files', async (t) => {
  const { send } = await makeApp(t)
  const id = await submit(send, producerPath.einvoiceDownload, { retPeriod: '012026', supplyType: 'B2B', gstin: SELLER, recipientGstin: BUYER })
  const entries = await zipOf(send, id)
  const summary = JSON.parse(entries[0]!.content.toString('utf8'))
  t.equal(entries[0]!.name, 'result.json')
  t.same([summary.gstin, summary.retPeriod, summary.supplyType, summary.count], [SELLER, '012026', 'B2B', summary.invoices.length])
  t.same(entries.slice(1).map((e) => e.name), summary.invoices.map((i: { file: string }) => i.file))
  const record = JSON.parse(entries[1]!.content.toString('utf8'))
  t.same([record.SellerDtls.Gstin, record.BuyerDtls.Gstin], [SELLER, BUYER])
})

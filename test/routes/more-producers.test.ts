import t from 'tap'
import { AUTH1, errorOf, JSON_ACCEPT, makeApp, NOT_FOUND, path, ZIP_ACCEPT, type TestApp } from '../helpers/app.js'
import { invoice, moreProducerPath, producerPath, SELLER, submit, SUBMIT } from '../helpers/producers.js'
import { parsePdf } from '../helpers/pdf.js'
import { unzip } from '../helpers/zip.js'

async function completed(send: TestApp['send'], id: string): Promise<void> {
  for (let i = 0; i < 2; i++) await send({ url: path.status(id), headers: { ...AUTH1, ...JSON_ACCEPT } })
}
async function result(send: TestApp['send'], id: string): Promise<any> {
  await completed(send, id)
  return (await send({ url: path.result(id), headers: { ...AUTH1, ...JSON_ACCEPT } })).json().data
}

t.test('e-way bills by IRN over HTTP: the v3 envelope, an e-way bill for an IRN this server issued, item errors otherwise', async (t) => {
  const { send } = await makeApp(t)
  const generated = await result(send, await submit(send, producerPath.generate(), { payload: [invoice('W-1'), invoice('W-2')] }))
  const [irn1, irn2] = generated.invoices.map((o: { Irn: string }) => o.Irn)
  await result(send, await submit(send, producerPath.cancel(), { payload: [{ Irn: irn2, CnlRsn: '1' }] }))
  const res = await send({ method: 'POST', url: moreProducerPath.ewbByIrn('ni2'), headers: SUBMIT, payload: JSON.stringify({ payload: [{ Irn: irn1, Distance: 120, TransId: SELLER }, { Irn: irn2, Distance: 10 }, { Irn: 'e'.repeat(64), Distance: 10 }], meta: null }) })
  t.equal(res.json().status, '1')
  const id = res.json().data['task-id']
  t.same((await send({ url: `/__admin/tasks/${id}` })).json().task.jobs.total, 3)
  const entries = await result(send, id)
  t.equal(entries[0].status, true)
  const details = JSON.parse(entries[0].details)
  t.same(Object.keys(details), ['Irn', 'EwbNo', 'EwbDt', 'EwbValidTill'])
  t.same([details.Irn, details.EwbDt, details.EwbValidTill], [irn1, '2026-01-15 15:30:00', '2026-01-16 23:59:00'])
  t.match(String(details.EwbNo), /^[1-9]\d{11}$/)
  t.same([entries[1].error.message, entries[2].error.message], ['err-irn-already-cancelled', 'err-irn-not-found'])
  t.same((await send({ method: 'POST', url: '/enriched/einv/v1.0/ni1/invoices/generate-ewb', headers: SUBMIT, payload: '{}' })).json(), NOT_FOUND, 'v3.0 only')
})

t.test('consolidated e-way bill over HTTP: GET with the trip sheet number, a zip with a real PDF and its JSON; HEAD creates nothing', async (t) => {
  const { send, app } = await makeApp(t)
  const res = await send({ url: moreProducerPath.cewbPdf('3310012345', 'ew2'), headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.equal(res.statusCode, 200)
  const id = res.json().data['task-id']
  t.equal((await send({ url: `/__admin/tasks/${id}` })).json().task.kind, 'ewaybill-consolidated-pdf')
  await completed(send, id)
  const zip = await send({ url: path.download(id), headers: { ...AUTH1, ...ZIP_ACCEPT } })
  const entries = await unzip(zip.rawPayload)
  t.same(entries.map((e) => e.name), ['result.json', 'cewb/CEWB-3310012345.pdf', 'cewb/CEWB-3310012345.json'])
  const cewb = JSON.parse(entries[2]!.content.toString('utf8'))
  t.same([cewb.cEwbNo, cewb.userGstin], [3310012345, SELLER])
  t.match((await parsePdf(entries[1]!.content)).texts.join(' '), '3310012345')
  const before = (await app.mock.store.tasks.list()).length
  const head = await send({ method: 'HEAD', url: moreProducerPath.cewbPdf('42'), headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.same([head.statusCode, (await app.mock.store.tasks.list()).length], [200, before])
  const bad = await send({ url: moreProducerPath.cewbPdf('12ab'), headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.same([bad.statusCode, bad.json()], [400, errorOf('err-invalid-request', 'ClientRequest', { details: [{ path: '/trip-sheet-number', message: 'must be 1 to 20 digits' }] })])
  t.equal((await send({ url: moreProducerPath.cewbPdf('1', 'ew3'), headers: { ...AUTH1, ...JSON_ACCEPT } })).statusCode, 404)
})

t.test('GCS scores over HTTP: the v1 envelope, a deterministic score per GSTIN, an item error for a malformed one; 51 GSTINs are 400', async (t) => {
  const { send } = await makeApp(t)
  const res = await send({ method: 'POST', url: moreProducerPath.gcs, headers: SUBMIT, payload: JSON.stringify({ gstins: [SELLER, 'bad', SELLER] }) })
  t.same(Object.keys(res.json()), ['data'])
  const entries = await result(send, res.json().data['task-id'])
  t.same(entries[1], { gstin: 'bad', error: { message: 'err-gcs-generation-failed', type: 'ClientRequest', args: { gstin: 'bad', problem: 'format' } } })
  t.same(entries[0], entries[2], 'the same GSTIN, the same score')
  t.ok(Number.isInteger(entries[0].score) && entries[0].score >= 0 && entries[0].score <= 100)
  const many = await send({ method: 'POST', url: moreProducerPath.gcs, headers: SUBMIT, payload: JSON.stringify({ gstins: Array(51).fill(SELLER) }) })
  t.equal(many.statusCode, 400)
})

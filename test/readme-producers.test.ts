import t from 'tap'
import yauzl from 'yauzl'
import { createHash } from 'node:crypto'
import { text } from 'node:stream/consumers'
import { startMockServer } from 'enriched-tasks-mock'

const headers = {
  'X-FLYNN-N-ORG-ID': '00000000-0000-4000-8000-000000000001', // seeded org 1, GSTIN 29AABCA4821K1ZN
  'X-FLYNN-N-USER-TOKEN': 'demo-token',
  accept: 'application/json'
}

/** The client under test, in miniature: submit, poll the status until the task ends, download the zip. */
async function generateIrns(baseUrl: string, invoices: object[]): Promise<Buffer> {
  const submit = await fetch(`${baseUrl}/enriched/einv/v3.0/ni1/invoices`, {
    method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ payload: invoices, meta: null })
  })
  const id = ((await submit.json()) as { data: { 'task-id': string } }).data['task-id']
  let status = 'queued'
  while (status === 'queued' || status === 'processing') {
    const res = await fetch(`${baseUrl}/enriched/tasks/v1.0/status/${id}`, { headers })
    status = ((await res.json()) as { data: { task: { status: string } } }).data.task.status
  }
  if (status !== 'completed') throw new Error(`task ${id}: ${status}`)
  const zip = await fetch(`${baseUrl}/enriched/tasks/v1.0/download/${id}`, { headers: { ...headers, accept: 'application/zip' } })
  return Buffer.from(await zip.arrayBuffer())
}

t.test('the client submits one invoice, polls, and downloads the IRP answer', async (t) => {
  const mock = await startMockServer() // manual clock: the default timeline is 1 processing read, then completed
  t.teardown(() => mock.close())
  const taskId = 'c0000000-0000-4000-8000-0000000000a1'
  await mock.admin.nextTask('einvoice-bulk-generation', { id: taskId }) // the next submit's task gets this id

  const entries = await zipEntries(await generateIrns(mock.url, [{
    Version: '1.1', TranDtls: { TaxSch: 'GST', SupTyp: 'B2B' }, DocDtls: { Typ: 'INV', No: 'INV/2025-26/0042', Dt: '12/01/2026' },
    SellerDtls: { Gstin: '29AABCA4821K1ZN', LglNm: 'Acme Traders Pvt Ltd', Loc: 'Bengaluru', Pin: 560058, Stcd: '29' },
    BuyerDtls: { Gstin: '29AAFCB7310M1ZG', LglNm: 'Bluefin Components Pvt Ltd', Pos: '29', Loc: 'Mysuru', Pin: 570016, Stcd: '29' },
    ItemList: [{ SlNo: '1', PrdDesc: 'Steel hinge', HsnCd: '83021090', Qty: 200, AssAmt: 8500, GstRt: 18, TotItemVal: 10030 }],
    ValDtls: { AssVal: 8500, CgstVal: 765, SgstVal: 765, TotInvVal: 10030 }
  }]))
  t.same([...entries.keys()], ['result.json', 'invoices/1-INV-2025-26-0042.json'])
  const irn = createHash('sha256').update('29AABCA4821K1ZN|2025-26|INV|INV/2025-26/0042').digest('hex') // the documented rule
  t.match(JSON.parse(entries.get('result.json') ?? '{}').invoices, [{ status: 'success', Irn: irn, AckNo: /^\d{15}$/ }])
  const answer = JSON.parse(entries.get('invoices/1-INV-2025-26-0042.json') ?? '{}') // the IRP's answer, signed
  t.match(answer, { Irn: irn, Status: 'ACT', SignedInvoice: /^[\w-]+\.[\w-]+\.[\w-]+$/ }) // a JWS: see the JWKS above
  t.match(await mock.admin.getTask(taskId), { kind: 'einvoice-bulk-generation', status: 'completed', polls: 2 })
})

/** A zip's entries as name -> text, in order (yauzl is one well-kept zip reader). */
function zipEntries(zip: Buffer): Promise<Map<string, string>> {
  const entries = new Map<string, string>()
  return new Promise((resolve, reject) => yauzl.fromBuffer(zip, { lazyEntries: true }, (error, archive) => {
    if (error) return reject(error)
    archive.on('entry', (entry: yauzl.Entry) => archive.openReadStream(entry, (error, stream) => {
      if (error) return reject(error)
      text(stream).then((body) => entries.set(entry.fileName, body)).then(() => archive.readEntry(), reject)
    }))
    archive.on('end', () => resolve(entries)).readEntry()
  }))
}

// Not in the README: keeps this file and the README's example the same, and checks every
// response above against openapi/openapi.yaml (the import installs the contract-checking fetch;
// imports are hoisted, so it is in place before the test above runs).
import './helpers/app.js'
import { checkReadmeExample } from './helpers/readme.js'

checkReadmeExample('### The client under test submits the job itself', 'test/readme-producers.test.ts')

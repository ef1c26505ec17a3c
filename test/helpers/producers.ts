/**
 * Test helpers for the operations that create tasks (§13): realistic NIC e-invoice bodies, the
 * producer paths, and one call that submits and reads back the task id.
 */
import { createHash } from 'node:crypto'
import { AUTH1, JSON_ACCEPT, type TestApp } from './app.js'

/** A seller and buyers with valid GSTIN check characters (from the seeded fixtures). */
export const SELLER = '29AABCA4821K1ZN'
export const BUYER = '29AAFCB7310M1ZG'

/** Headers of an authenticated JSON submit as org 1. */
export const SUBMIT = { ...AUTH1, ...JSON_ACCEPT, 'content-type': 'application/json' }

/** The producer paths of §13. */
export const producerPath = {
  generate: (version = 'v1.0', irp = 'ni1') => `/enriched/einv/${version}/${irp}/invoices`,
  cancel: (version = 'v1.0', irp = 'ni1') => `/enriched/einv/${version}/${irp}/invoices/cancel`,
  einvoiceDownload: '/enriched/gstn/v1.0/einvoice/download',
  returns: '/enriched/gstn/v3.0/download-gst-returns',
  ims: (query: string) => `/enriched/gstn/v1.0/ims-invoices?${query}`
}

/** A NIC e-invoice (schema 1.1) with document number `no`; `change` edits a copy. */
export function invoice(no: string, change: (inv: Record<string, any>) => void = () => {}): Record<string, any> {
  const inv: Record<string, any> = {
    Version: '1.1',
    TranDtls: { TaxSch: 'GST', SupTyp: 'B2B', RegRev: 'N', IgstOnIntra: 'N' },
    DocDtls: { Typ: 'INV', No: no, Dt: '12/01/2026' },
    SellerDtls: { Gstin: SELLER, LglNm: 'Acme Traders Pvt Ltd', Addr1: '14, 2nd Cross, Demo Industrial Area', Loc: 'Bengaluru', Pin: 560058, Stcd: '29' },
    BuyerDtls: { Gstin: BUYER, LglNm: 'Bluefin Components Pvt Ltd', Pos: '29', Addr1: '7, Sample Layout', Loc: 'Mysuru', Pin: 570016, Stcd: '29' },
    ItemList: [
      { SlNo: '1', PrdDesc: 'Steel hinge 75 mm', IsServc: 'N', HsnCd: '83021090', Qty: 200, Unit: 'NOS', UnitPrice: 42.5, TotAmt: 8500, AssAmt: 8500, GstRt: 18, CgstAmt: 765, SgstAmt: 765, IgstAmt: 0, TotItemVal: 10030 }
    ],
    ValDtls: { AssVal: 8500, CgstVal: 765, SgstVal: 765, IgstVal: 0, TotInvVal: 10030 }
  }
  change(inv)
  return inv
}

/** The IRN as the README documents it: sha256 of `gstin|FY|type|number`, computed here independently. */
export const expectedIrn = (gstin: string, fy: string, type: string, no: string): string =>
  createHash('sha256').update(`${gstin}|${fy}|${type}|${no}`).digest('hex')

/**
 * Submits a body to a producer route and returns the task id from the envelope.
 * @throws when the answer is not 200
 */
export async function submit(send: TestApp['send'], url: string, body: unknown, method: 'POST' | 'GET' = 'POST'): Promise<string> {
  const res = await send({ method, url, headers: SUBMIT, ...(method === 'POST' ? { payload: JSON.stringify(body) } : {}) })
  if (res.statusCode !== 200) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
  return (res.json() as { data: { 'task-id': string } }).data['task-id']
}

/** The producer paths of §13. */
export const moreProducerPath = {
  ewbByIrn: (irp = 'ni1') => `/enriched/einv/v3.0/${irp}/invoices/generate-ewb`,
  cewbPdf: (tripSheet: string, ewb = 'ew1') => `/enriched/eway/v1.0/${ewb}/eway-bills/download-cewb-pdf/${tripSheet}`,
  gcs: '/enriched/gcs/v1.0/generate'
}

import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parsePdf } from './helpers/pdf.js'
import { detailsOf } from './helpers/spec.js'
import t from 'tap'
import { BUNDLED_FIXTURES_DIR } from '../src/config.js'
import { gstinProblem } from '../src/gstin.js'
import { ackDateTime } from '../src/irn.js'
import { einvoiceEwbByIrn, ewbNoOf, ewbValidDays, ewbValidTill, type EwbByIrnInput } from '../src/operations/einvoice-ewb-by-irn.js'
import {
  consolidatedEwb,
  consolidatedEwbPdf,
  ewaybillConsolidatedPdf,
  type ConsolidatedEwb,
  type CewbInput
} from '../src/operations/ewaybill-consolidated-pdf.js'
import { gcsGenerate, gcsScore, MAX_GSTINS, type GcsInput } from '../src/operations/gcs-generate.js'
import { ITEM_ERRORS } from '../src/operations/item-errors.js'
import type { DeriveContext, IssuedIrn, OperationRequest } from '../src/operations/operation.js'
import { gstinCheckChar, prng, syntheticGstin } from '../src/synthetic.js'
import type { TaskFile } from '../src/task.js'

// pdfjs needs the metrics of the 14 standard fonts (the PDF embeds none) from its own package.

const ORG_GSTIN = '29AABCA4821K1ZN'
/** ORG_GSTIN with a wrong check character. */
const BAD_CHECK = '29AABCA4821K1ZM'
/** 2026-01-20 10:00:00 IST. */
const NOW = Date.parse('2026-01-20T04:30:00Z')
const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS

const irn = (n: number): string => createHash('sha256').update(`irn ${n}`).digest('hex')
const ISSUED = irn(1)
const CANCELLED = irn(2)
const UNKNOWN = irn(3)
/** Issued IRNs of org-1: ISSUED, and CANCELLED (cancelled 2026-01-19 18:45:30 IST). */
const ISSUED_IRNS: Record<string, IssuedIrn> = {
  [ISSUED]: { irn: ISSUED, orgId: 'org-1', ackNo: '126100000000001', ackAt: NOW - HOUR_MS, taskId: 't0', cancelledAt: null },
  [CANCELLED]: { irn: CANCELLED, orgId: 'org-1', ackNo: '126100000000002', ackAt: NOW - DAY_MS, taskId: 't0', cancelledAt: Date.parse('2026-01-19T13:15:30Z') }
}

/** A fake context; `asked` records the lookups (orgGstin's org ids, issuedIrn's `org irn`). */
function context(gstin = ORG_GSTIN, now = NOW): DeriveContext & { asked: string[] } {
  const asked: string[] = []
  return {
    asked,
    orgId: 'org-1',
    now,
    taskId: 'c0000000-0000-4000-8000-000000000001',
    orgGstin: (orgId) => {
      asked.push(orgId)
      return gstin
    },
    issuedIrn: (orgId, value) => {
      asked.push(`${orgId} ${value}`)
      return orgId === 'org-1' ? ISSUED_IRNS[value] : undefined
    },
    // None of these operations signs: a call would fail the test.
    sign: () => Promise.reject(new Error('unexpected sign'))
  }
}

const request = (parts: Partial<OperationRequest>): OperationRequest => ({ params: {}, query: {}, body: undefined, ...parts })


/** A zip entry's bytes, whether given or made lazily. */
const bytesOf = async (file: TaskFile | undefined): Promise<Buffer> => {
  const content = file!.content
  return typeof content === 'function' ? content() : content
}


/** `dd/MM/yyyy` as the epoch ms of that day's UTC midnight. */
const dayOf = (dmy: string): number => Date.UTC(Number(dmy.slice(6, 10)), Number(dmy.slice(3, 5)) - 1, Number(dmy.slice(0, 2)))

// ---------------------------------------------------------------------------------------------
// einvoice-ewb-by-irn

const ewbCheck = (body: unknown): EwbByIrnInput => einvoiceEwbByIrn.check(request({ params: { version: 'v3.0', irp: 'ni1' }, body }))
const ewbDerive = (payload: unknown[], ctx = context()): { jobs: number; result: unknown } => {
  const { jobs, result, ...rest } = einvoiceEwbByIrn.derive(ewbCheck({ payload, meta: null }), ctx)
  return { jobs, result, ...rest }
}
const success = (details: object): unknown => ({ status: true, details: JSON.stringify(details) })
const failure = (message: string, args: object): unknown => ({ status: false, error: { message, type: 'ClientRequest', args } })
const IRN_REASON = { field: 'Irn', reason: 'must be 64 hexadecimal characters' }
const DISTANCE_REASON = { field: 'Distance', reason: 'must be an integer from 0 to 4000 (km)' }

t.test('einvoice-ewb-by-irn answers POST /enriched/einv/v3.0/{ni1|ni2}/invoices/generate-ewb in the v3 envelope', async (t) => {
  const route = einvoiceEwbByIrn.routes[0]
  t.strictSame([einvoiceEwbByIrn.name, einvoiceEwbByIrn.method, einvoiceEwbByIrn.routes.length], ['einvoice-ewb-by-irn', 'POST', 1])
  t.strictSame([route?.url, route?.params, route?.envelope({ version: 'v3.0', irp: 'ni2' })], [
    '/enriched/einv/:version/:irp/invoices/generate-ewb',
    { version: ['v3.0'], irp: ['ni1', 'ni2'] },
    'v3'
  ])
})

t.test('einvoice-ewb-by-irn: the body is {payload: 1..1000 objects, meta?}; items are not checked here', async (t) => {
  t.strictSame(ewbCheck({ payload: [{}], meta: null }), { payload: [{}], meta: null })
  t.strictSame(ewbCheck({ payload: Array.from({ length: 1000 }, () => ({ Irn: 1 })) }).payload.length, 1000)
  t.strictSame(detailsOf(() => ewbCheck({ payload: Array.from({ length: 1001 }, () => ({})) })), [{ path: '/payload', message: 'must NOT have more than 1000 items' }])
  t.strictSame(detailsOf(() => ewbCheck({ payload: [] })), [{ path: '/payload', message: 'must NOT have fewer than 1 items' }])
  t.strictSame(detailsOf(() => ewbCheck({ payload: [{}, 'x', null] })), [
    { path: '/payload/1', message: 'must be object' },
    { path: '/payload/2', message: 'must be object' }
  ])
  t.strictSame(detailsOf(() => ewbCheck({ meta: 1 })), [
    { path: '', message: "must have required property 'payload'" },
    { path: '/meta', message: 'must be object,null' }
  ])
  t.strictSame(detailsOf(() => ewbCheck([])), [{ path: '', message: 'must be object' }])
})

t.test('einvoice-ewb-by-irn: a success carries EwbNo (12 digits from sha256("ewb|<irn>")), EwbDt (creation time, IST) and EwbValidTill', async (t) => {
  const expectedEwbNo = Number(100_000_000_000n + (BigInt(`0x${createHash('sha256').update(`ewb|${ISSUED}`).digest('hex').slice(0, 16)}`) % 900_000_000_000n))
  t.equal(ewbNoOf(ISSUED), expectedEwbNo)
  t.match(String(expectedEwbNo), /^[1-9]\d{11}$/)
  const ctx = context()
  t.strictSame(ewbDerive([{ Irn: ISSUED.toUpperCase(), Distance: 120, TransId: '29AAFCB7310M1ZG', TransMode: '1', VehNo: 'KA01AB1234' }], ctx), {
    jobs: 1,
    result: [success({ Irn: ISSUED, EwbNo: expectedEwbNo, EwbDt: '2026-01-20 10:00:00', EwbValidTill: '2026-01-21 23:59:00' })]
  }, 'the IRN in lower case; only jobs and result are derived')
  t.strictSame(ctx.asked, [`org-1 ${ISSUED}`], 'looked up for the org, in lower case')
  const numbers = new Set(Array.from({ length: 2000 }, (_, i) => ewbNoOf(irn(i))))
  t.equal(numbers.size, 2000, 'different IRNs, different numbers')
  t.ok([...numbers].every((n) => Number.isSafeInteger(n) && n >= 1e11 && n < 1e12), 'always 12 digits, the first 1-9')
})

t.test('einvoice-ewb-by-irn: items are judged in order: Irn, Distance, TransId, issued to the org, not cancelled', async (t) => {
  const items: Array<[unknown, unknown]> = [
    [{ Distance: 10 }, failure('err-invalid-field', IRN_REASON)],
    [{ Irn: ISSUED.slice(1), Distance: 10 }, failure('err-invalid-field', IRN_REASON)],
    [{ Irn: `${ISSUED.slice(1)}g`, Distance: 10 }, failure('err-invalid-field', IRN_REASON)],
    [{ Irn: 7, Distance: 'x', TransId: 'x' }, failure('err-invalid-field', IRN_REASON)],
    [{ Irn: ISSUED }, failure('err-invalid-field', DISTANCE_REASON)],
    [{ Irn: ISSUED, Distance: '200' }, failure('err-invalid-field', DISTANCE_REASON)],
    [{ Irn: ISSUED, Distance: 1.5 }, failure('err-invalid-field', DISTANCE_REASON)],
    [{ Irn: ISSUED, Distance: -1 }, failure('err-invalid-field', DISTANCE_REASON)],
    [{ Irn: ISSUED, Distance: 4001 }, failure('err-invalid-field', DISTANCE_REASON)],
    [{ Irn: UNKNOWN, Distance: null, TransId: 'x' }, failure('err-invalid-field', DISTANCE_REASON)],
    [{ Irn: ISSUED, Distance: 10, TransId: '29aabca4821k1zn' }, failure('err-invalid-gstin', { field: 'TransId', value: '29aabca4821k1zn', problem: 'format' })],
    [{ Irn: ISSUED, Distance: 10, TransId: 5 }, failure('err-invalid-gstin', { field: 'TransId', value: 5, problem: 'format' })],
    [{ Irn: ISSUED, Distance: 10, TransId: '' }, failure('err-invalid-gstin', { field: 'TransId', value: '', problem: 'format' })],
    [{ Irn: UNKNOWN, Distance: 10, TransId: BAD_CHECK }, failure('err-invalid-gstin', { field: 'TransId', value: BAD_CHECK, problem: 'check-character' })],
    [{ Irn: UNKNOWN, Distance: 10 }, failure('err-irn-not-found', { Irn: UNKNOWN })],
    [{ Irn: CANCELLED.toUpperCase(), Distance: 10, TransId: null }, failure('err-irn-already-cancelled', { Irn: CANCELLED, CancelDate: '19/01/2026 18:45:30' })]
  ]
  const ctx = context()
  const { jobs, result } = ewbDerive(items.map(([item]) => item), ctx)
  t.equal(jobs, items.length, 'one job per item')
  t.strictSame(result, items.map(([, outcome]) => outcome))
  t.strictSame(ctx.asked, [`org-1 ${UNKNOWN}`, `org-1 ${CANCELLED}`], 'the registry is asked only once the fields are valid')
  const forOtherOrg = einvoiceEwbByIrn.derive(ewbCheck({ payload: [{ Irn: ISSUED, Distance: 10 }] }), { ...context(), orgId: 'org-2' })
  t.strictSame(forOtherOrg.result, [failure('err-irn-not-found', { Irn: ISSUED })], "another org's IRN is not found")
  for (const code of ['err-invalid-field', 'err-invalid-gstin', 'err-irn-not-found', 'err-irn-already-cancelled'] as const) t.type(ITEM_ERRORS[code], 'string')
})

t.test('einvoice-ewb-by-irn validity: one day per 200 km or part of it, 0 km one day, to 23:59:00 IST after the generation day', async (t) => {
  const distances = [0, 1, 199, 200, 201, 400, 401, 600, 3999, 4000]
  const { result } = ewbDerive(distances.map((Distance) => ({ Irn: ISSUED, Distance })))
  const tills = (result as Array<{ details: string }>).map((entry) => (JSON.parse(entry.details) as { EwbValidTill: string }).EwbValidTill)
  t.strictSame(tills, [
    '2026-01-21 23:59:00', '2026-01-21 23:59:00', '2026-01-21 23:59:00', '2026-01-21 23:59:00',
    '2026-01-22 23:59:00', '2026-01-22 23:59:00',
    '2026-01-23 23:59:00', '2026-01-23 23:59:00',
    '2026-02-09 23:59:00', '2026-02-09 23:59:00'
  ], 'generated 2026-01-20 10:00 IST')
  t.strictSame(distances.map(ewbValidDays), [1, 1, 1, 1, 2, 2, 3, 3, 20, 20])
})

t.test('einvoice-ewb-by-irn validity counts days in IST: across midnight IST, a month end and a year end', async (t) => {
  t.equal(ewbValidTill(Date.parse('2026-01-20T18:29:59Z'), 200), '2026-01-21 23:59:00', '23:59:59 IST on the 20th')
  t.equal(ewbValidTill(Date.parse('2026-01-20T18:30:00Z'), 200), '2026-01-22 23:59:00', '00:00:00 IST on the 21st')
  t.equal(ewbValidTill(Date.parse('2026-02-27T12:00:00Z'), 201), '2026-03-01 23:59:00', 'February 2026 has 28 days')
  t.equal(ewbValidTill(Date.parse('2026-12-31T19:00:00Z'), 4000), '2027-01-21 23:59:00', 'already 1 January 2027 in IST')
  const ctx = context(ORG_GSTIN, Date.parse('2026-01-20T18:30:00Z'))
  const [entry] = ewbDerive([{ Irn: ISSUED, Distance: 0 }], ctx).result as Array<{ details: string }>
  t.strictSame(JSON.parse(entry!.details), { Irn: ISSUED, EwbNo: ewbNoOf(ISSUED), EwbDt: '2026-01-21 00:00:00', EwbValidTill: '2026-01-22 23:59:00' })
})

t.test('einvoice-ewb-by-irn derives equal results from equal inputs', async (t) => {
  const payload = [{ Irn: ISSUED, Distance: 250 }, { Irn: UNKNOWN, Distance: 1 }, { Irn: ISSUED, Distance: 250 }]
  const first = ewbDerive(payload)
  t.strictSame(ewbDerive(structuredClone(payload)), first)
  const [a, , b] = first.result as unknown[]
  t.strictSame(a, b, 'the same IRN twice in a body: the same e-way bill')
})

// ---------------------------------------------------------------------------------------------
// ewaybill-consolidated-pdf

const cewbCheck = (tripSheetNumber: string | undefined): CewbInput =>
  ewaybillConsolidatedPdf.check(request({ params: { version: 'v1.0', ewb: 'ew1', ...(tripSheetNumber === undefined ? {} : { tripSheetNumber }) } }))
const TRIP_SHEET_ERROR = [{ path: '/trip-sheet-number', message: 'must be 1 to 20 digits' }]
const fixture06 = JSON.parse(readFileSync(join(BUNDLED_FIXTURES_DIR, 'tasks', '06-ewaybill-consolidated-pdf.json'), 'utf8')) as {
  kind: string
  files: Array<{ name: string; json?: { tripSheetEwbBills: object[] } }>
}

t.test('ewaybill-consolidated-pdf answers GET /enriched/eway/v1.0/{ew1|ew2}/eway-bills/download-cewb-pdf/{n} in the v3 envelope', async (t) => {
  const route = ewaybillConsolidatedPdf.routes[0]
  t.strictSame([ewaybillConsolidatedPdf.name, ewaybillConsolidatedPdf.method, ewaybillConsolidatedPdf.routes.length], [fixture06.kind, 'GET', 1])
  t.strictSame([route?.url, route?.params, route?.envelope({ version: 'v1.0', ewb: 'ew2' })], [
    '/enriched/eway/:version/:ewb/eway-bills/download-cewb-pdf/:tripSheetNumber',
    { version: ['v1.0'], ewb: ['ew1', 'ew2'] },
    'v3'
  ])
})

t.test('ewaybill-consolidated-pdf: the trip sheet number is 1 to 20 digits, kept without leading zeros', async (t) => {
  t.strictSame(cewbCheck('3310012345'), { tripSheetNumber: '3310012345' })
  t.strictSame(cewbCheck('0042'), { tripSheetNumber: '42' })
  t.strictSame(cewbCheck('000'), { tripSheetNumber: '0' })
  t.strictSame(cewbCheck('7'), { tripSheetNumber: '7' })
  t.strictSame(cewbCheck('9'.repeat(20)), { tripSheetNumber: '9'.repeat(20) })
  for (const refused of ['1'.repeat(21), '', '12a', '-1', '1.5', ' 12', '١٢', undefined]) {
    t.strictSame(detailsOf(() => cewbCheck(refused)), TRIP_SHEET_ERROR, JSON.stringify(refused))
  }
  t.strictSame(ewaybillConsolidatedPdf.check(request({ params: { tripSheetNumber: '12' }, query: { x: '1' }, body: { y: 2 } })), { tripSheetNumber: '12' },
    'the query and a body are ignored')
})

t.test('ewaybill-consolidated-pdf derives one job, the JSON as result, and the zip entries of fixture 06', async (t) => {
  const ctx = context()
  const derived = ewaybillConsolidatedPdf.derive(cewbCheck('3310012345'), ctx)
  t.strictSame(Object.keys(derived), ['jobs', 'result', 'files'])
  t.equal(derived.jobs, 1)
  t.strictSame(ctx.asked, ['org-1'], "the org's GSTIN is asked for the task's org")
  t.strictSame(derived.files?.map((f) => f.name), fixture06.files.map((f) => f.name), "fixture 06's file names, for its trip sheet number")
  t.strictSame(derived.files?.map((f) => f.name), ['cewb/CEWB-3310012345.pdf', 'cewb/CEWB-3310012345.json'])
  t.type(derived.files?.[0]?.content, 'function', 'the PDF is drawn when the zip is built')
  t.ok(Buffer.isBuffer(derived.files?.[1]?.content))
  const cewb = derived.result as ConsolidatedEwb
  t.strictSame(cewb, consolidatedEwb('3310012345', ORG_GSTIN, NOW))
  t.equal((await bytesOf(derived.files?.[1])).toString('utf8'), JSON.stringify(cewb, null, 2), 'the JSON file is the result, pretty-printed')
  const fixtureJson = fixture06.files[1]!.json!
  t.strictSame(Object.keys(cewb), Object.keys(fixtureJson), "the fixture's field names, in its order")
  t.strictSame(cewb.tripSheetEwbBills.map((bill) => Object.keys(bill)), cewb.tripSheetEwbBills.map(() => Object.keys(fixtureJson.tripSheetEwbBills[0]!)))
  t.match(cewb, { cEwbNo: 3310012345, userGstin: ORG_GSTIN, fromPlace: 'Bengaluru', fromState: 29, transMode: '1', vehicleNo: /^KA\d{2}[A-Z]{2}\d{4}$/ })
})

/**
 * What is wrong with a consolidated e-way bill made at `now`: its date (at most 12 hours before),
 * its e-way bills' numbers (12 digits, increasing), dates (IST days of the week ending today,
 * documents on or before their e-way bill, oldest first), GSTINs, document numbers and values.
 */
function cewbProblems(cewb: ConsolidatedEwb, now: number): string[] {
  const problems: string[] = []
  const todayIst = Date.parse(`${ackDateTime(now).slice(0, 10)}T00:00:00Z`)
  const { cEwbDate } = cewb
  const cEwbAt = Date.parse(`${cEwbDate.slice(6, 10)}-${cEwbDate.slice(3, 5)}-${cEwbDate.slice(0, 2)}T${cEwbDate.slice(11)}+05:30`)
  if (!(cEwbAt <= now && cEwbAt >= now - 12 * HOUR_MS)) problems.push(`cEwbDate ${cEwbDate}`)
  const bills = cewb.tripSheetEwbBills
  bills.forEach((bill, i) => {
    if (!/^[1-9]\d{11}$/.test(String(bill.ewbNo))) problems.push(`ewbNo ${bill.ewbNo}`)
    if (i > 0 && bill.ewbNo <= bills[i - 1]!.ewbNo) problems.push(`ewbNo order ${bill.ewbNo}`)
    if (i > 0 && dayOf(bill.ewbDate) < dayOf(bills[i - 1]!.ewbDate)) problems.push(`ewbDate order ${bill.ewbDate}`)
    if (!(dayOf(bill.ewbDate) <= Math.min(todayIst, dayOf(cEwbDate)) && dayOf(bill.docDate) <= dayOf(bill.ewbDate) && dayOf(bill.docDate) >= todayIst - 6 * DAY_MS)) {
      problems.push(`dates ${bill.docDate} ${bill.ewbDate}`)
    }
    if (gstinProblem(bill.toGstin) !== undefined) problems.push(`toGstin ${bill.toGstin}`)
    if (!/^INV-\d{4}-\d{4,}$/.test(bill.docNo) || bill.docNo.slice(4, 8) !== bill.ewbDate.slice(6)) problems.push(`docNo ${bill.docNo}`)
    if (!(bill.totInvValue >= 1000 && bill.totInvValue <= 500_000 && Math.abs(bill.totInvValue * 100 - Math.round(bill.totInvValue * 100)) < 1e-6)) {
      problems.push(`totInvValue ${bill.totInvValue}`)
    }
  })
  if (new Set(bills.map((bill) => bill.docNo)).size !== bills.length) problems.push('docNo repeated')
  return problems
}

t.test('ewaybill-consolidated-pdf: 2 to 8 e-way bills, 12-digit numbers, valid GSTINs, dates in the week before the task, IST', async (t) => {
  const counts = new Set<number>()
  // Just after and just before midnight IST, and mid-morning.
  const nows = [Date.parse('2026-01-19T18:30:00Z'), Date.parse('2026-01-20T18:29:59Z'), NOW]
  for (let n = 1; n <= 300; n++) {
    const now = nows[n % 3]!
    const cewb = consolidatedEwb(String(n * 7919), ORG_GSTIN, now)
    counts.add(cewb.tripSheetEwbBills.length)
    t.strictSame(cewbProblems(cewb, now), [], `trip sheet ${n * 7919} at ${ackDateTime(now)} IST`)
  }
  t.strictSame([...counts].sort((a, b) => a - b), [2, 3, 4, 5, 6, 7, 8])
})

t.test('ewaybill-consolidated-pdf: cEwbNo is a number while exact, else the digits; the GSTIN state names the place', async (t) => {
  t.equal(consolidatedEwb('9007199254740991', ORG_GSTIN, NOW).cEwbNo, 9007199254740991)
  t.equal(consolidatedEwb('9007199254740992', ORG_GSTIN, NOW).cEwbNo, '9007199254740992', 'past Number.MAX_SAFE_INTEGER')
  const long = ewaybillConsolidatedPdf.derive(cewbCheck('0'.repeat(5) + '9'.repeat(15)), context())
  t.strictSame([(long.result as ConsolidatedEwb).cEwbNo, long.files?.map((f) => f.name)], [999999999999999, ['cewb/CEWB-999999999999999.pdf', 'cewb/CEWB-999999999999999.json']])
  const twenty = ewaybillConsolidatedPdf.derive(cewbCheck('12345678901234567890'), context())
  t.equal((twenty.result as ConsolidatedEwb).cEwbNo, '12345678901234567890')
  t.match((await bytesOf(twenty.files?.[1])).toString('utf8'), /"cEwbNo": "12345678901234567890"/)
  const delhi = '07AADCT8891B1Z5'
  t.match(consolidatedEwb('1', delhi, NOW), { userGstin: delhi, fromPlace: 'New Delhi', fromState: 7, vehicleNo: /^DL/ })
  const otherTerritory = `97AABCA4821K1Z`
  const other = otherTerritory + gstinCheckChar(otherTerritory)
  t.equal(gstinProblem(other), undefined)
  t.match(consolidatedEwb('1', other, NOW), { userGstin: other, fromPlace: 'Other Territory', fromState: 97, vehicleNo: /^DL\d{2}[A-Z]{2}\d{4}$/ })
})

t.test('ewaybill-consolidated-pdf derives equal content and equal bytes, the PDF too; other inputs differ', async (t) => {
  const input = cewbCheck('3310012345')
  const first = ewaybillConsolidatedPdf.derive(input, context())
  const second = ewaybillConsolidatedPdf.derive({ ...input }, context())
  t.strictSame(second.result, first.result)
  for (const i of [0, 1]) t.equal(Buffer.compare(await bytesOf(first.files?.[i]), await bytesOf(second.files?.[i])), 0, `${first.files?.[i]?.name}: equal bytes`)
  t.equal(Buffer.compare(await bytesOf(first.files?.[0]), await bytesOf(first.files?.[0])), 0, 'the same entry built twice: equal bytes')
  t.notSame(ewaybillConsolidatedPdf.derive(cewbCheck('3310012346'), context()).result, first.result, 'another trip sheet')
  t.notSame(ewaybillConsolidatedPdf.derive(input, context('27AAHCK9054D2ZE')).result, first.result, 'another org GSTIN')
  const later = ewaybillConsolidatedPdf.derive(input, context(ORG_GSTIN, NOW + DAY_MS)).result as ConsolidatedEwb
  const cewb = first.result as ConsolidatedEwb
  t.strictSame({ ...later, cEwbDate: '', tripSheetEwbBills: later.tripSheetEwbBills.map((b) => ({ ...b, ewbDate: '', docDate: '' })) },
    { ...cewb, cEwbDate: '', tripSheetEwbBills: cewb.tripSheetEwbBills.map((b) => ({ ...b, ewbDate: '', docDate: '' })) }, 'a day later: only the dates move')
})

t.test('ewaybill-consolidated-pdf: the PDF is one page showing the trip sheet, vehicle, from place and state, and every e-way bill', async (t) => {
  const derived = ewaybillConsolidatedPdf.derive(cewbCheck('3310012345'), context())
  const cewb = derived.result as ConsolidatedEwb
  const pdf = await bytesOf(derived.files?.[0])
  t.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-')
  const { pages, texts, info } = await parsePdf(pdf)
  t.equal(pages, 1)
  t.match(info, { Title: 'Consolidated E-Way Bill 3310012345', Producer: 'enriched-tasks-mock', CreationDate: 'D:20000101000000Z', ModDate: 'D:20000101000000Z' })
  for (const expected of ['Consolidated E-Way Bill', 'CEWB No', '3310012345', cewb.cEwbDate, ORG_GSTIN, 'From place', 'Bengaluru', 'From state', '29', 'Vehicle No', cewb.vehicleNo, 'Road',
    `E-way bills (${cewb.tripSheetEwbBills.length})`]) {
    t.ok(texts.includes(expected), `shows ${expected}`)
  }
  cewb.tripSheetEwbBills.forEach((bill, i) => {
    const row = texts.slice(texts.indexOf(String(bill.ewbNo)) - 1, texts.indexOf(String(bill.ewbNo)) + 6)
    t.strictSame(row, [String(i + 1), String(bill.ewbNo), bill.ewbDate, bill.docNo, bill.docDate, bill.toGstin, bill.totInvValue.toFixed(2)], `row ${i + 1}`)
  })
  const totalPaise = cewb.tripSheetEwbBills.reduce((sum, bill) => sum + Math.round(bill.totInvValue * 100), 0)
  t.equal(texts[texts.indexOf('Total value (Rs)') + 1], (totalPaise / 100).toFixed(2))
  const twenty = await parsePdf(await consolidatedEwbPdf(consolidatedEwb('12345678901234567890', ORG_GSTIN, NOW)))
  t.ok(twenty.texts.includes('12345678901234567890'), 'a 20-digit trip sheet number is shown whole')
  t.equal(twenty.info.Title, 'Consolidated E-Way Bill 12345678901234567890')
})

t.test('ewaybill-consolidated-pdf: 8 e-way bills fit the page', async (t) => {
  let n = 1
  while (consolidatedEwb(String(n), ORG_GSTIN, NOW).tripSheetEwbBills.length !== 8) n++
  const cewb = consolidatedEwb(String(n), ORG_GSTIN, NOW)
  const { pages, texts } = await parsePdf(await consolidatedEwbPdf(cewb))
  t.equal(pages, 1)
  t.ok(cewb.tripSheetEwbBills.every((bill) => texts.includes(bill.toGstin)), 'every row is drawn')
  t.ok(texts.includes('Synthetic demo document - not valid for transport.'))
})

// ---------------------------------------------------------------------------------------------
// gcs-generate

const gcsCheck = (body: unknown): GcsInput => gcsGenerate.check(request({ params: { version: 'v1.0' }, body }))
const gcsError = (gstin: string, problem: string): unknown => ({ gstin, error: { message: 'err-gcs-generation-failed', type: 'ClientRequest', args: { gstin, problem } } })
const expectedScore = (gstin: string): number => createHash('sha256').update(gstin).digest().readUInt32BE(0) % 101

t.test('gcs-generate answers POST /enriched/gcs/v1.0/generate in the v1 envelope', async (t) => {
  const route = gcsGenerate.routes[0]
  t.strictSame([gcsGenerate.name, gcsGenerate.method, gcsGenerate.routes.length], ['gcs-generate', 'POST', 1])
  t.strictSame([route?.url, route?.params, route?.envelope({ version: 'v1.0' })], ['/enriched/gcs/:version/generate', { version: ['v1.0'] }, 'v1'])
})

t.test('gcs-generate: the body is {gstins: 1..50 strings}; other properties are dropped; GSTINs are judged later', async (t) => {
  t.equal(MAX_GSTINS, 50)
  t.strictSame(gcsCheck({ gstins: [ORG_GSTIN], note: 'x' }), { gstins: [ORG_GSTIN] })
  t.strictSame(gcsCheck({ gstins: ['not a gstin'] }), { gstins: ['not a gstin'] })
  const fifty = Array.from({ length: 50 }, () => ORG_GSTIN)
  t.strictSame(gcsCheck({ gstins: fifty }), { gstins: fifty })
  t.strictSame(detailsOf(() => gcsCheck({ gstins: [...fifty, ORG_GSTIN] })), [{ path: '/gstins', message: 'must NOT have more than 50 items' }])
  t.strictSame(detailsOf(() => gcsCheck({ gstins: [] })), [{ path: '/gstins', message: 'must NOT have fewer than 1 items' }])
  t.strictSame(detailsOf(() => gcsCheck({ gstins: ORG_GSTIN })), [{ path: '/gstins', message: 'must be array' }])
  t.strictSame(detailsOf(() => gcsCheck({ gstins: [ORG_GSTIN, 29, null] })), [
    { path: '/gstins/1', message: 'must be string' },
    { path: '/gstins/2', message: 'must be string' }
  ])
  t.strictSame(detailsOf(() => gcsCheck({})), [{ path: '', message: "must have required property 'gstins'" }])
  t.strictSame(detailsOf(() => gcsCheck(undefined)), [{ path: '', message: 'must be object' }])
  t.strictSame(detailsOf(() => gcsCheck([ORG_GSTIN])), [{ path: '', message: 'must be object' }])
})

t.test('gcs-generate: one entry per GSTIN in order, a score 0..100 from sha256(gstin), or err-gcs-generation-failed', async (t) => {
  const gstins = [ORG_GSTIN, BAD_CHECK, ORG_GSTIN.toLowerCase(), '29AAFCB7310M1ZG', '', '29AABCA4821K1Z', ORG_GSTIN]
  const derived = gcsGenerate.derive(gcsCheck({ gstins }), context())
  t.strictSame(derived, {
    jobs: 7,
    result: [
      { gstin: ORG_GSTIN, score: expectedScore(ORG_GSTIN) },
      gcsError(BAD_CHECK, 'check-character'),
      gcsError(ORG_GSTIN.toLowerCase(), 'format'),
      { gstin: '29AAFCB7310M1ZG', score: expectedScore('29AAFCB7310M1ZG') },
      gcsError('', 'format'),
      gcsError('29AABCA4821K1Z', 'format'),
      { gstin: ORG_GSTIN, score: expectedScore(ORG_GSTIN) }
    ]
  })
  t.strictSame(gcsGenerate.derive(gcsCheck({ gstins: [...gstins] }), context()), derived, 'derived twice: equal')
  t.equal(ITEM_ERRORS['err-gcs-generation-failed'], 'no GCS score: the GSTIN is malformed or its check character is wrong')
})

t.test('gcs-generate: scores are integers 0..100 spread over the range; 50 GSTINs are 50 jobs', async (t) => {
  const random = prng(42)
  const gstins = Array.from({ length: 2000 }, () => syntheticGstin(random))
  const scores = gstins.map(gcsScore)
  t.ok(scores.every((score) => Number.isInteger(score) && score >= 0 && score <= 100), 'integers 0..100')
  t.equal(new Set(scores).size, 101, 'every score occurs')
  t.strictSame(scores.slice(0, 5), gstins.slice(0, 5).map(expectedScore))
  const derived = gcsGenerate.derive(gcsCheck({ gstins: gstins.slice(0, 50) }), context())
  t.equal(derived.jobs, 50)
  t.strictSame((derived.result as Array<{ score: number }>).map((entry) => entry.score), scores.slice(0, 50))
})

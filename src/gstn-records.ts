/**
 * Synthetic GSTN records for the gstn producer operations (docs/behaviour.md §14, GST
 * e-invoice download, GST returns and IMS): made-up data in the real formats, so a client's
 * parser meets what the GST network sends.
 *
 * Shapes follow the GSTN return sections as the seeded tasks show them
 * (`fixtures/tasks/03-gst-returns-download.json` for returns, `08-ims-invoices-download-org2.json`
 * for IMS) and the NIC e-invoice fields of upstream-facts.md. Rules every record keeps:
 * - GSTINs have valid check characters; dates are `dd/MM/yyyy` inside the requested period.
 * - Amounts are rupees with at most 2 decimals, computed in paise so that tax = rate × taxable
 *   (rounded to the paisa) and an invoice's value is exactly its taxable value plus its taxes.
 * - A supply is intra-state (CGST and SGST, halves of the tax, CGST taking the odd paisa) when the
 *   supplier's state is the place of supply, else inter-state (IGST).
 *
 * Every generator is seeded from a SHA-256 of its inputs, so equal inputs give equal records and no
 * record depends on another page (any page costs O(its size)).
 */
import { createHash } from 'node:crypto'
import { ackDateTime, ackNoOf, financialYear, irnOf } from './irn.js'
import { gstinCheckChar, prng, syntheticGstin } from './synthetic.js'

// ---------------------------------------------------------------------------------------------
// Periods, seeds and amounts

/** A return period `MMYYYY`: month 01-12, year 2017-2099 (GST began in July 2017). */
export const RET_PERIOD_PATTERN = '^(0[1-9]|1[0-2])(201[7-9]|20[2-9][0-9])$'

/** A return period `MMYYYY` as a month count (year × 12 + month − 1), so periods order as numbers. */
export function periodIndex(period: string): number {
  return Number(period.slice(2)) * 12 + Number(period.slice(0, 2)) - 1
}

/** The return period `MMYYYY` of a month count made by {@link periodIndex}. */
export function periodAt(index: number): string {
  return pad(2, (index % 12) + 1) + String(Math.floor(index / 12))
}

/** A 32-bit seed: the first 4 bytes (big-endian) of the SHA-256 of the parts joined with `|`. */
export function seedOf(...parts: Array<string | number>): number {
  return createHash('sha256').update(parts.join('|')).digest().readUInt32BE(0)
}

const pad = (width: number, n: number): string => String(n).padStart(width, '0')
const rupees = (paise: number): number => paise / 100
const pick = <T>(random: () => number, list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
/** An integer in [min, max]. */
const between = (random: () => number, min: number, max: number): number => min + Math.floor(random() * (max - min + 1))
const times = <T>(n: number, make: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => make(i))

const RATES = [5, 12, 18, 28] as const

/** Tax on a taxable value, in paise. */
interface Tax {
  iamt: number
  camt: number
  samt: number
  csamt: number
}

function taxOn(txvalPaise: number, rt: number, intra: boolean): Tax {
  const tax = Math.round((txvalPaise * rt) / 100)
  if (!intra) return { iamt: tax, camt: 0, samt: 0, csamt: 0 }
  const camt = Math.ceil(tax / 2)
  return { iamt: 0, camt, samt: tax - camt, csamt: 0 }
}

const totalTax = (tax: Tax): number => tax.iamt + tax.camt + tax.samt + tax.csamt

/** A taxable value in paise between two amounts in rupees. */
const amount = (random: () => number, minRupees: number, maxRupees: number): number =>
  between(random, minRupees * 100, maxRupees * 100)

function daysIn(period: string): number {
  return new Date(Date.UTC(Number(period.slice(2)), Number(period.slice(0, 2)), 0)).getUTCDate()
}

/** `dd/MM/yyyy` of a day of a period. */
const dayOf = (period: string, day: number): string => `${pad(2, day)}/${period.slice(0, 2)}/${period.slice(2)}`

const dateIn = (random: () => number, period: string): string => dayOf(period, between(random, 1, daysIn(period)))

/** The financial year of a period written short, `25-26`, as invoice series print it. */
function shortYear(period: string): string {
  const full = financialYear({ year: Number(period.slice(2)), month: Number(period.slice(0, 2)) })
  return full.slice(2)
}

// ---------------------------------------------------------------------------------------------
// Parties

/** State codes counterparties are drawn from (real GST state codes). */
const STATES = ['03', '06', '07', '08', '09', '10', '19', '21', '23', '24', '27', '29', '32', '33', '36', '37'] as const

/** A made-up GSTIN registered in `state`. */
function gstinInState(random: () => number, state: string): string {
  const first14 = state + syntheticGstin(random).slice(2, 14)
  return first14 + gstinCheckChar(first14)
}

/** A made-up counterparty: half the time in `state` (intra-state supplies), else anywhere. */
function counterpartyGstin(random: () => number, state: string): string {
  return random() < 0.5 ? gstinInState(random, state) : syntheticGstin(random)
}

const NAME_FIRST = ['Acme', 'Bluefin', 'Sahyadri', 'Kaveri', 'Deccan', 'Nilgiri', 'Konark', 'Aravali', 'Narmada', 'Malabar', 'Coromandel', 'Vindhya'] as const
const NAME_TRADE = ['Traders', 'Components', 'Textiles', 'Pharma', 'Foods', 'Steels', 'Logistics', 'Polymers', 'Electricals', 'Agro Products'] as const
const NAME_FORM = ['Pvt Ltd', 'Ltd', 'LLP', 'Private Limited'] as const
const FOREIGN_BUYERS = ['Harbor Imports LLC', 'Nordic Supply AB', 'Gulf Trading FZE', 'Pacific Wholesale Pte Ltd', 'Rhine Handels GmbH'] as const

/** A legal name that depends on the GSTIN alone, so a party has one name everywhere. */
function legalName(gstin: string): string {
  const random = prng(seedOf('name', gstin))
  return `${pick(random, NAME_FIRST)} ${pick(random, NAME_TRADE)} ${pick(random, NAME_FORM)}`
}

/**
 * Document numbers of one series: increasing within a page or a result, so none repeats there.
 * Written like the seeded tasks' `NS/25-26/0871`.
 */
function series(random: () => number, period: string): (prefix: string) => string {
  let n = between(random, 1, 4000)
  const year = shortYear(period)
  return (prefix) => {
    n += between(random, 1, 25)
    return `${prefix}/${year}/${pad(4, n)}`
  }
}

/** A series prefix from a GSTIN's first two PAN letters (`29AACCN...` -> `AA`). */
const prefixOf = (gstin: string): string => gstin.slice(2, 4)

// ---------------------------------------------------------------------------------------------
// GST returns

/** The returns the returns download serves. */
export type GstReturn = 'gstr1' | 'gstr2a' | 'gstr2b'

/** The sections each return may be asked for, in the GSTN's order. */
export const RETURN_SECTIONS: Readonly<Record<GstReturn, readonly string[]>> = {
  gstr1: ['b2b', 'b2ba', 'b2cl', 'b2cla', 'b2cs', 'b2csa', 'cdnr', 'cdnra', 'cdnur', 'cdnura', 'exp', 'expa', 'at', 'ata', 'txp', 'txpa', 'nil', 'hsn', 'docs'],
  gstr2a: ['b2b', 'b2ba', 'cdn', 'cdna', 'isd', 'isda', 'tds', 'tcs', 'impg', 'impgsez'],
  gstr2b: ['b2b', 'b2ba', 'cdnr', 'cdnra', 'isd', 'isda', 'impg', 'impgsez']
}

/** Amendment sections shaped like their original, with the original document's number and date. */
const AMENDS: Readonly<Record<string, string>> = { b2ba: 'b2b', b2cla: 'b2cl', b2csa: 'b2cs', cdnra: 'cdnr', cdna: 'cdn', expa: 'exp' }

/** What every section generator reads. */
interface SectionContext {
  random: () => number
  /** The taxpayer's state code. */
  state: string
  period: string
  /** GSTR-1 reports the taxpayer's outward supplies; GSTR-2A and 2B its inward ones. */
  outward: boolean
  /** GSTR-2A carries the counterparty's filing status (`cfs`). */
  withCfs: boolean
  /** An amendment section: each document also names the one it amends. */
  amended: boolean
  next: (prefix: string) => string
}

/**
 * The records of one section of one return for one period, as the GSTN sends them.
 *
 * Shapes by section (amendments `b2ba`, `b2cla`, `b2csa`, `cdnra`, `cdna`, `expa` as their
 * original, each document with `oinum`/`oidt`, `ont_num`/`ont_dt` or `omon` first):
 * - `b2b`: `[{ctin, cfs? (GSTR-2A), inv: [{inum, idt, val, pos, rchrg, inv_typ, itms: [{num, itm_det: {txval, rt, iamt, camt, samt, csamt}}]}]}]`
 * - `cdnr`, `cdn`: `[{ctin, cfs?, nt: [{ntty: 'C'|'D', nt_num, nt_dt, val, pos, rchrg, inv_typ, itms}]}]`
 * - `b2cs`: `[{sply_ty: 'INTRA'|'INTER', pos, typ: 'OE', txval, rt, iamt, camt, samt, csamt}]`
 * - `b2cl` (inter-state, above ₹2.5 lakh): `[{pos, inv: [{inum, idt, val, itms}]}]`
 * - `exp`: `[{exp_typ: 'WPAY'|'WOPAY', inv: [{inum, idt, val, sbpcode, sbnum, sbdt, itms: [{txval, rt, iamt, csamt}]}]}]`
 * - `hsn`: `{data: [{num, hsn_sc, desc, uqc, qty, rt, val, txval, iamt, camt, samt, csamt}]}`
 * - `nil`: `{inv: [{sply_ty, expt_amt, nil_amt, ngsup_amt}]}` (the four supply types)
 * - `docs`: `{doc_det: [{doc_num, doc_typ, docs: [{num, from, to, totnum, cancel, net_issue}]}]}`
 * - any other section: the `b2b` shape.
 *
 * 2 to 8 records (counterparties, rows or document types) per call; amounts in rupees.
 * @param gstin the taxpayer's GSTIN
 * @param period `MMYYYY`
 * @param section one of {@link RETURN_SECTIONS} for `ret` (others get the `b2b` shape)
 */
export function returnsSection(gstin: string, period: string, ret: GstReturn, section: string): unknown {
  const random = prng(seedOf(gstin, period, ret, section))
  const base = AMENDS[section] ?? section
  const c: SectionContext = {
    random,
    state: gstin.slice(0, 2),
    period,
    outward: ret === 'gstr1',
    withCfs: ret === 'gstr2a',
    amended: base !== section,
    next: series(random, period)
  }
  switch (base) {
    case 'cdnr':
    case 'cdn':
      return byCounterparty(c, 'nt', note)
    case 'b2cs':
      return times(between(random, 2, 8), () => b2csRow(c))
    case 'b2cl':
      return b2cl(c)
    case 'exp':
      return exports(c)
    case 'hsn':
      return hsnSummary(c)
    case 'nil':
      return nilRated(c)
    case 'docs':
      return documentsIssued(c)
    default:
      return byCounterparty(c, 'inv', invoice)
  }
}

/** Where a counterparty's documents go and how intra-state is judged. */
interface Parties {
  ctin: string
  pos: string
  intra: boolean
}

type DocumentMaker = (c: SectionContext, parties: Parties) => Record<string, unknown>

function byCounterparty(c: SectionContext, key: 'inv' | 'nt', make: DocumentMaker): unknown[] {
  return times(between(c.random, 2, 8), () => {
    const ctin = counterpartyGstin(c.random, c.state)
    // Outward: the recipient's state is the place of supply; inward: the taxpayer's. Either way
    // the supply is intra-state exactly when both parties are in one state.
    const pos = c.outward ? ctin.slice(0, 2) : c.state
    const parties: Parties = { ctin, pos, intra: ctin.slice(0, 2) === c.state }
    const documents = times(between(c.random, 1, 3), () => make(c, parties))
    return c.withCfs ? { ctin, cfs: c.random() < 0.9 ? 'Y' : 'N', [key]: documents } : { ctin, [key]: documents }
  })
}

/** Line items `[{num, itm_det}]` and their value (taxable + tax), in paise. */
function lineItems(c: SectionContext, intra: boolean, minRupees: number, maxRupees: number): { itms: unknown[]; val: number } {
  let val = 0
  const itms = times(between(c.random, 1, 3), (i) => {
    const txval = amount(c.random, minRupees, maxRupees)
    const rt = pick(c.random, RATES)
    const tax = taxOn(txval, rt, intra)
    val += txval + totalTax(tax)
    return { num: i + 1, itm_det: { txval: rupees(txval), rt, ...taxInRupees(tax) } }
  })
  return { itms, val }
}

const taxInRupees = (tax: Tax): Record<keyof Tax, number> => ({
  iamt: rupees(tax.iamt),
  camt: rupees(tax.camt),
  samt: rupees(tax.samt),
  csamt: rupees(tax.csamt)
})

/** A period 1 to 3 months before `period`, where an amended document was first reported. */
const earlierPeriod = (c: SectionContext): string => periodAt(periodIndex(c.period) - between(c.random, 1, 3))

function original(c: SectionContext, numberKey: string, dateKey: string, prefix: string): Record<string, string> {
  if (!c.amended) return {}
  const before = earlierPeriod(c)
  return { [numberKey]: series(c.random, before)(prefix), [dateKey]: dateIn(c.random, before) }
}

const seriesPrefix = (c: SectionContext, parties: Parties): string => (c.outward ? 'INV' : prefixOf(parties.ctin))

const invoice: DocumentMaker = (c, parties) => {
  const prefix = seriesPrefix(c, parties)
  const amends = original(c, 'oinum', 'oidt', prefix)
  const { itms, val } = lineItems(c, parties.intra, 500, 250_000)
  return {
    ...amends,
    inum: c.next(prefix),
    idt: dateIn(c.random, c.period),
    val: rupees(val),
    pos: parties.pos,
    rchrg: c.random() < 0.1 ? 'Y' : 'N',
    inv_typ: 'R',
    itms
  }
}

const note: DocumentMaker = (c, parties) => {
  const ntty = c.random() < 0.8 ? 'C' : 'D'
  const prefix = ntty === 'C' ? 'CN' : 'DN'
  const amends = original(c, 'ont_num', 'ont_dt', prefix)
  const { itms, val } = lineItems(c, parties.intra, 100, 50_000)
  return {
    ...amends,
    ntty,
    nt_num: c.next(prefix),
    nt_dt: dateIn(c.random, c.period),
    val: rupees(val),
    pos: parties.pos,
    rchrg: 'N',
    inv_typ: 'R',
    itms
  }
}

const otherStates = (c: SectionContext): string[] => STATES.filter((s) => s !== c.state)

function b2csRow(c: SectionContext): Record<string, unknown> {
  const pos = c.random() < 0.5 ? c.state : pick(c.random, otherStates(c))
  const intra = pos === c.state
  const txval = amount(c.random, 1_000, 200_000)
  const rt = pick(c.random, RATES)
  const amends = c.amended ? { omon: earlierPeriod(c) } : {}
  return { ...amends, sply_ty: intra ? 'INTRA' : 'INTER', pos, typ: 'OE', txval: rupees(txval), rt, ...taxInRupees(taxOn(txval, rt, intra)) }
}

function b2cl(c: SectionContext): unknown[] {
  return times(between(c.random, 2, 8), () => {
    // B2C large invoices are inter-state supplies to unregistered persons above ₹2.5 lakh.
    const pos = pick(c.random, otherStates(c))
    const inv = times(between(c.random, 1, 2), () => {
      const amends = original(c, 'oinum', 'oidt', 'INV')
      const { itms, val } = lineItems(c, false, 250_001, 600_000)
      return { ...amends, inum: c.next('INV'), idt: dateIn(c.random, c.period), val: rupees(val), itms }
    })
    return { pos, inv }
  })
}

const PORTS = ['INBOM4', 'INMAA1', 'INNSA1', 'INCCU1', 'INBLR4', 'INDEL4'] as const

function exports(c: SectionContext): unknown[] {
  return times(between(c.random, 2, 8), () => {
    const withPayment = c.random() < 0.5
    const inv = times(between(c.random, 1, 3), () => {
      const amends = original(c, 'oinum', 'oidt', 'EXP')
      const txval = amount(c.random, 10_000, 2_000_000)
      // Exports under bond or LUT (WOPAY) carry no IGST.
      const rt = withPayment ? pick(c.random, RATES) : 0
      const iamt = taxOn(txval, rt, false).iamt
      return {
        ...amends,
        inum: c.next('EXP'),
        idt: dateIn(c.random, c.period),
        val: rupees(txval + iamt),
        sbpcode: pick(c.random, PORTS),
        sbnum: String(between(c.random, 1_000_000, 9_999_999)),
        sbdt: dateIn(c.random, c.period),
        itms: [{ txval: rupees(txval), rt, iamt: rupees(iamt), csamt: 0 }]
      }
    })
    return { exp_typ: withPayment ? 'WPAY' : 'WOPAY', inv }
  })
}

/** HSN codes seen in returns: code, description, unit quantity code, usual rate. */
const HSN = [
  ['8471', 'Automatic data processing machines', 'NOS', 18],
  ['7318', 'Screws, bolts, nuts and washers', 'KGS', 18],
  ['3004', 'Medicaments in measured doses', 'NOS', 12],
  ['0402', 'Milk and cream, concentrated', 'KGS', 5],
  ['8517', 'Telephone sets and smartphones', 'NOS', 18],
  ['8708', 'Parts of motor vehicles', 'NOS', 28],
  ['6109', 'T-shirts and vests, knitted', 'PCS', 5],
  ['4819', 'Cartons and boxes of paper', 'KGS', 12],
  ['9403', 'Other furniture and parts', 'NOS', 18],
  ['998314', 'IT consulting and support services', 'OTH', 18]
] as const

function hsnSummary(c: SectionContext): unknown {
  // A partial shuffle picks distinct codes: a summary has one row per HSN code.
  const codes = [...HSN]
  const count = between(c.random, 2, 8)
  for (let i = 0; i < count; i++) {
    const j = between(c.random, i, codes.length - 1)
    const chosen = codes[j] as (typeof HSN)[number]
    codes[j] = codes[i] as (typeof HSN)[number]
    codes[i] = chosen
  }
  const data = codes.slice(0, count).map(([hsn_sc, desc, uqc, rt], i) => {
    const txval = amount(c.random, 5_000, 1_000_000)
    const tax = taxOn(txval, rt, c.random() < 0.5)
    const qty = uqc === 'OTH' ? 0 : between(c.random, 1, 5_000)
    return { num: i + 1, hsn_sc, desc, uqc, qty, rt, val: rupees(txval + totalTax(tax)), txval: rupees(txval), ...taxInRupees(tax) }
  })
  return { data }
}

function nilRated(c: SectionContext): unknown {
  const some = (): number => (c.random() < 0.3 ? 0 : rupees(amount(c.random, 100, 500_000)))
  const inv = ['INTRB2B', 'INTRAB2B', 'INTRB2C', 'INTRAB2C'].map((sply_ty) => ({
    sply_ty,
    expt_amt: some(),
    nil_amt: some(),
    ngsup_amt: some()
  }))
  return { inv }
}

/** GSTR-1 table 13 document types, by their number. */
const DOC_TYPES = [
  'Invoices for outward supply',
  'Invoices for inward supply from unregistered person',
  'Revised Invoice',
  'Debit Note',
  'Credit Note',
  'Receipt voucher',
  'Payment Voucher',
  'Refund voucher'
] as const
const DOC_PREFIXES = ['INV', 'RCM', 'REV', 'DN', 'CN', 'RV', 'PV', 'RF'] as const

function documentsIssued(c: SectionContext): unknown {
  const year = shortYear(c.period)
  const doc_det = times(between(c.random, 2, 8), (i) => {
    const from = between(c.random, 1, 2_000)
    const totnum = between(c.random, 1, 400)
    const cancel = Math.floor(c.random() * Math.min(totnum, 5))
    const prefix = DOC_PREFIXES[i] as string
    return {
      doc_num: i + 1,
      doc_typ: DOC_TYPES[i] as string,
      docs: [{ num: 1, from: `${prefix}/${year}/${pad(4, from)}`, to: `${prefix}/${year}/${pad(4, from + totnum - 1)}`, totnum, cancel, net_issue: totnum - cancel }]
    }
  })
  return { doc_det }
}

// ---------------------------------------------------------------------------------------------
// IMS (Invoice Management System)

/** Records per IMS page (upstream's page size for this download). */
export const IMS_PAGE_SIZE = 500

/** The IMS sections, upper case as the query names them. */
export const IMS_SECTIONS = ['B2B', 'B2BA', 'B2BCN', 'B2BCNA', 'B2BDN', 'B2BDNA', 'ECOM', 'ECOMA'] as const
export type ImsSection = (typeof IMS_SECTIONS)[number]

/** IMS actions: `A` accepted, `R` rejected, `P` pending, `N` no action. */
export const IMS_STATUSES = ['A', 'R', 'P', 'N'] as const
export type ImsStatus = (typeof IMS_STATUSES)[number]

/** One IMS record: an inward document as the supplier reported it, with the recipient's action. */
export type ImsRecord = Record<string, string | number>

/** The supplier return periods IMS records fall in: the financial year 2025-26 (IMS began in October 2024). */
const IMS_PERIODS = times(12, (i) => periodAt(periodIndex('042025') + i))

/**
 * How many IMS records a taxpayer has in a section and status: 0 to 1,700 (so 0 to 4 pages of
 * {@link IMS_PAGE_SIZE}), about one in ten combinations having none.
 * @param status undefined for all four statuses
 */
export function imsRecordCount(gstin: string, section: ImsSection, status: ImsStatus | undefined): number {
  const h = seedOf('ims-count', gstin, section, status ?? '*')
  return h % 10 === 0 ? 0 : 1 + ((h >>> 4) % 1700)
}

/**
 * Page `k` of an IMS download of `count` records: `{gstin, section, status, page: k, records}`,
 * `records` being records `k × 500` to `min(count, (k + 1) × 500) − 1`; `status` is null when all
 * four were asked for. Each record is a pure function of (gstin, section, status, index), so a
 * page costs O(500) and depends on no other.
 *
 * A record: `{stin, [etin], [oinum, oidt | ont_num, ont_dt], inum | ntty, nt_num, nt_dt, inv_typ,
 * pos, val, txval, rt, iamt, camt, samt, cess, action, srcform, rtnprd}` (amounts in rupees;
 * `action` the status asked for, else A, R, P, N in turn by index).
 */
export function imsPage(gstin: string, section: ImsSection, status: ImsStatus | undefined, k: number, count: number): unknown {
  const first = k * IMS_PAGE_SIZE
  const last = Math.min(count, first + IMS_PAGE_SIZE)
  const records = times(Math.max(0, last - first), (i) => imsRecord(gstin, section, status, first + i))
  return { gstin, section, status: status ?? null, page: k, records }
}

function imsRecord(gstin: string, section: ImsSection, status: ImsStatus | undefined, index: number): ImsRecord {
  const random = prng(seedOf('ims', gstin, section, status ?? '*', index))
  const state = gstin.slice(0, 2)
  const stin = counterpartyGstin(random, state)
  const rtnprd = pick(random, IMS_PERIODS)
  const year = shortYear(rtnprd)
  // The index in the number keeps documents distinct across the whole download.
  const number = (prefix: string): string => `${prefix}/${year}/${pad(5, index + 1)}`
  const txval = amount(random, 500, 300_000)
  const rt = pick(random, RATES)
  const tax = taxOn(txval, rt, stin.slice(0, 2) === state)
  const isNote = section.startsWith('B2BCN') || section.startsWith('B2BDN')
  const amended = section.endsWith('A')
  const before = periodAt(periodIndex(rtnprd) - between(random, 1, 3))
  const head: ImsRecord = section.startsWith('ECOM') ? { etin: syntheticGstin(random), stin } : { stin }
  const prefix = prefixOf(stin)
  const document: ImsRecord = isNote
    ? {
        ...(amended ? { ont_num: number(`O${prefix}`), ont_dt: dateIn(random, before) } : {}),
        ntty: section.startsWith('B2BCN') ? 'C' : 'D',
        nt_num: number(prefix),
        nt_dt: dateIn(random, rtnprd)
      }
    : {
        ...(amended ? { oinum: number(`O${prefix}`), oidt: dateIn(random, before) } : {}),
        inum: number(prefix),
        idt: dateIn(random, rtnprd)
      }
  return {
    ...head,
    ...document,
    inv_typ: 'R',
    pos: state,
    val: rupees(txval + totalTax(tax)),
    txval: rupees(txval),
    rt,
    iamt: rupees(tax.iamt),
    camt: rupees(tax.camt),
    samt: rupees(tax.samt),
    cess: rupees(tax.csamt),
    action: status ?? (IMS_STATUSES[index % 4] as ImsStatus),
    srcform: random() < 0.85 ? 'R1' : 'IFF',
    rtnprd
  }
}

// ---------------------------------------------------------------------------------------------
// E-invoices (IRNs reported to the GSTN)

/** The supply types of an e-invoice download (NIC `SupTyp`). */
export const EINVOICE_SUPPLY_TYPES = ['B2B', 'SEZWP', 'SEZWOP', 'EXPWP', 'EXPWOP', 'DEXP'] as const
export type EinvoiceSupplyType = (typeof EINVOICE_SUPPLY_TYPES)[number]

/** The other party an e-invoice download is narrowed to (at most one of the two). */
export interface EinvoiceCounterparty {
  /** The taxpayer is the buyer; this GSTIN the seller. */
  supplierGstin?: string
  /** The taxpayer is the seller; this GSTIN the buyer. */
  recipientGstin?: string
}

/** An e-invoice as the GSTN's download gives it (NIC field names; amounts in rupees). */
export interface EinvoiceRecord {
  /** 64 lower-case hex: sha256 of `<seller GSTIN>|<financial year>|<DocDtls.Typ>|<DocDtls.No>` (irn.ts). */
  Irn: string
  /** 15 digits. */
  AckNo: string
  /** `yyyy-MM-dd HH:mm:ss` in IST, inside the return period. */
  AckDt: string
  TranDtls: { TaxSch: 'GST'; SupTyp: EinvoiceSupplyType }
  /** `Typ` INV, CRN or DBN; `Dt` `dd/MM/yyyy`, on or before the acknowledgement day. */
  DocDtls: { Typ: 'INV' | 'CRN' | 'DBN'; No: string; Dt: string }
  SellerDtls: { Gstin: string; LglNm: string }
  /** `Gstin` `URP` and `Pos` `96` for an export to an unregistered (foreign) buyer. */
  BuyerDtls: { Gstin: string; LglNm: string; Pos: string }
  /** `TotInvVal` = `AssVal` + the three taxes. */
  ValDtls: { AssVal: number; CgstVal: number; SgstVal: number; IgstVal: number; TotInvVal: number }
  Status: 'ACT'
}

const IST_OFFSET_MS = 5.5 * 3_600_000
const DAY_S = 86_400

/**
 * The e-invoices of a taxpayer for a return period and supply type: 2 to 12, in acknowledgement
 * order. With `supplierGstin` the taxpayer is the buyer and that GSTIN the seller; with
 * `recipientGstin` the taxpayer is the seller and that GSTIN the buyer; with neither the taxpayer
 * sells to made-up buyers (unregistered foreign buyers for exports).
 *
 * Taxes: `B2B` and `DEXP` are intra-state (CGST + SGST) when seller and buyer share a state;
 * `SEZWP` and `EXPWP` carry IGST; `SEZWOP` and `EXPWOP` no tax.
 * @param gstin the taxpayer's GSTIN
 * @param retPeriod `MMYYYY`
 */
export function einvoiceRecords(
  gstin: string,
  retPeriod: string,
  supplyType: EinvoiceSupplyType,
  counterparty: EinvoiceCounterparty
): EinvoiceRecord[] {
  const { supplierGstin, recipientGstin } = counterparty
  const random = prng(seedOf('einvoice', gstin, retPeriod, supplyType, supplierGstin ?? '', recipientGstin ?? ''))
  const seller = supplierGstin ?? gstin
  const fixedBuyer = supplierGstin !== undefined ? gstin : recipientGstin
  const exporting = supplyType === 'EXPWP' || supplyType === 'EXPWOP'
  const taxed = supplyType !== 'SEZWOP' && supplyType !== 'EXPWOP'
  const domestic = supplyType === 'B2B' || supplyType === 'DEXP'
  const [month, year] = [Number(retPeriod.slice(0, 2)), Number(retPeriod.slice(2))]
  const fy = financialYear({ year, month })
  const next = series(random, retPeriod)
  // Acknowledgements as (day, second of the day in office hours, 09:00 to 20:59:59 IST), sorted
  // into the order the IRP issued them.
  const acks = times(between(random, 2, 12), () => between(random, 1, daysIn(retPeriod)) * DAY_S + between(random, 9 * 3600, 21 * 3600 - 1))
  acks.sort((a, b) => a - b)
  return acks.map((ack) => {
    const ackDay = Math.floor(ack / DAY_S)
    const buyer = fixedBuyer ?? (exporting ? 'URP' : domestic ? counterpartyGstin(random, seller.slice(0, 2)) : syntheticGstin(random))
    const pos = buyer === 'URP' ? '96' : buyer.slice(0, 2)
    const roll = random()
    const Typ = roll < 0.8 ? 'INV' : roll < 0.9 ? 'CRN' : 'DBN'
    const No = next(Typ === 'INV' ? 'INV' : Typ === 'CRN' ? 'CN' : 'DN')
    const docDay = Math.max(1, ackDay - between(random, 0, 2))
    const assVal = amount(random, 1_000, 500_000)
    const tax = taxOn(assVal, taxed ? pick(random, RATES) : 0, domestic && seller.slice(0, 2) === pos)
    const ackAt = Date.UTC(year, month - 1, ackDay) + (ack % DAY_S) * 1000 - IST_OFFSET_MS
    const Irn = irnOf(seller, fy, Typ, No)
    return {
      Irn,
      AckNo: ackNoOf(Irn, ackAt),
      AckDt: ackDateTime(ackAt),
      TranDtls: { TaxSch: 'GST', SupTyp: supplyType },
      DocDtls: { Typ, No, Dt: dayOf(retPeriod, docDay) },
      SellerDtls: { Gstin: seller, LglNm: legalName(seller) },
      BuyerDtls: { Gstin: buyer, LglNm: buyer === 'URP' ? pick(random, FOREIGN_BUYERS) : legalName(buyer), Pos: pos },
      ValDtls: {
        AssVal: rupees(assVal),
        CgstVal: rupees(tax.camt),
        SgstVal: rupees(tax.samt),
        IgstVal: rupees(tax.iamt),
        TotInvVal: rupees(assVal + totalTax(tax))
      },
      Status: 'ACT'
    }
  })
}

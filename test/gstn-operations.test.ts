import { createHash } from 'node:crypto'
import { detailsOf } from './helpers/spec.js'
import t from 'tap'
import { gstinProblem } from '../src/gstin.js'
import {
  IMS_PAGE_SIZE,
  IMS_SECTIONS,
  RETURN_SECTIONS,
  einvoiceRecords,
  imsPage,
  imsRecordCount,
  periodAt,
  periodIndex,
  returnsSection,
  seedOf,
  type EinvoiceRecord,
  type GstReturn,
  type ImsSection,
  type ImsStatus
} from '../src/gstn-records.js'
import { financialYear, irnOf } from '../src/irn.js'
import { gstEinvoiceDownload, type EinvoiceDownloadInput } from '../src/operations/gst-einvoice-download.js'
import { gstReturnsDownload, returnsPages, type ReturnsItem, type ReturnsPage } from '../src/operations/gst-returns-download.js'
import { imsInvoicesDownload } from '../src/operations/ims-invoices-download.js'
import type { DeriveContext, OperationRequest } from '../src/operations/operation.js'
import { prng, syntheticGstin } from '../src/synthetic.js'
import type { PageSource } from '../src/task.js'

const ORG_GSTIN = '29AABCA4821K1ZN'
/** ORG_GSTIN with a wrong check character. */
const BAD_CHECK = '29AABCA4821K1ZM'
const SUPPLIER = '07AADCT8891B1Z5'
const RECIPIENT = '33AAKCV3175E1ZC'

function context(gstin = ORG_GSTIN): DeriveContext & { asked: string[] } {
  const asked: string[] = []
  return {
    asked,
    orgId: 'org-1',
    now: 1_767_225_600_000,
    taskId: 'c0000000-0000-4000-8000-000000000001',
    orgGstin: (orgId) => {
      asked.push(orgId)
      return gstin
    },
    issuedIrn: () => undefined,
    // The gstn operations sign nothing: a call would fail the test.
    sign: () => Promise.reject(new Error('unexpected sign'))
  }
}

const request = (parts: Partial<OperationRequest>): OperationRequest => ({ params: { version: 'v1.0' }, query: {}, body: undefined, ...parts })


const paise = (rupees: number): number => Math.round(rupees * 100)
const hasTwoDecimalsAtMost = (x: number): boolean => Math.abs(x * 100 - Math.round(x * 100)) < 1e-6
const allPages = (pages: PageSource): unknown[] => Array.from({ length: pages.count }, (_, k) => pages.page(k))

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
/** Every object inside a JSON value, depth first. */
function objectsIn(value: unknown): Array<Record<string, Json>> {
  const found: Array<Record<string, Json>> = []
  const stack: unknown[] = [value]
  while (stack.length > 0) {
    const node = stack.pop()
    if (node === null || typeof node !== 'object') continue
    if (!Array.isArray(node)) found.push(node as Record<string, Json>)
    stack.push(...Object.values(node))
  }
  return found
}

const GSTIN_KEYS = ['ctin', 'stin', 'etin', 'Gstin']
const AMOUNT_KEYS = ['val', 'txval', 'iamt', 'camt', 'samt', 'csamt', 'cess', 'expt_amt', 'nil_amt', 'ngsup_amt', 'AssVal', 'CgstVal', 'SgstVal', 'IgstVal', 'TotInvVal']

/**
 * Problems with the records inside `value`: GSTINs without a valid check character, amounts with
 * more than 2 decimals, tax that is not rate × taxable (split in halves when intra-state), values
 * that are not taxable + tax. An empty list when all is well.
 */
function recordProblems(value: unknown): string[] {
  const problems: string[] = []
  for (const o of objectsIn(value)) {
    for (const key of GSTIN_KEYS) {
      if (typeof o[key] === 'string' && o[key] !== 'URP' && gstinProblem(o[key]) !== undefined) problems.push(`${key} ${String(o[key])}`)
    }
    for (const key of AMOUNT_KEYS) if (typeof o[key] === 'number' && !hasTwoDecimalsAtMost(o[key])) problems.push(`${key} ${o[key]}`)
    if (typeof o.txval === 'number' && typeof o.rt === 'number') {
      const tax = paise(o.iamt as number) + paise((o.camt as number | undefined) ?? 0) + paise((o.samt as number | undefined) ?? 0)
      if (tax !== Math.round((paise(o.txval) * o.rt) / 100)) problems.push(`tax ${JSON.stringify(o)}`)
      const halves = paise((o.camt as number | undefined) ?? 0) - paise((o.samt as number | undefined) ?? 0)
      if ((o.camt ?? 0) !== 0 && (o.iamt !== 0 || (halves !== 0 && halves !== 1))) problems.push(`split ${JSON.stringify(o)}`)
      if (typeof o.val === 'number') {
        const cess = paise(((o.csamt ?? o.cess) as number | undefined) ?? 0)
        if (paise(o.val) !== paise(o.txval) + tax + cess) problems.push(`val ${JSON.stringify(o)}`)
      }
    }
    if (typeof o.val === 'number' && Array.isArray(o.itms)) {
      const sum = o.itms.reduce<number>((total, item) => {
        const d = ((item as Record<string, Json>).itm_det ?? item) as Record<string, number>
        return total + paise(d.txval as number) + paise(d.iamt as number) + paise(d.camt ?? 0) + paise(d.samt ?? 0) + paise(d.csamt as number)
      }, 0)
      if (sum !== paise(o.val)) problems.push(`invoice val ${JSON.stringify(o)}`)
    }
    const v = o.ValDtls as Record<string, number> | undefined
    if (v && paise(v.TotInvVal as number) !== paise(v.AssVal as number) + paise(v.CgstVal as number) + paise(v.SgstVal as number) + paise(v.IgstVal as number)) {
      problems.push(`ValDtls ${JSON.stringify(v)}`)
    }
  }
  return problems
}

/** Values of `key` anywhere inside `value`. */
const valuesOf = (value: unknown, key: string): Json[] => objectsIn(value).flatMap((o) => (key in o ? [o[key] as Json] : []))

// ---------------------------------------------------------------------------------------------
// gstn-records

t.test('return periods convert to month counts and back, across a year end', async (t) => {
  t.equal(periodIndex('012026'), 2026 * 12)
  t.equal(periodIndex('122025') + 1, periodIndex('012026'))
  t.same(['072017', '122025', '012026', '122099'].map((p) => periodAt(periodIndex(p))), ['072017', '122025', '012026', '122099'])
})

t.test('a seed is the first 4 bytes (big-endian) of the SHA-256 of the parts joined with |', async (t) => {
  t.equal(seedOf(ORG_GSTIN, '012026', 'gstr1', 'b2b'), createHash('sha256').update(`${ORG_GSTIN}|012026|gstr1|b2b`).digest().readUInt32BE(0))
})

const PERIODS = ['012026', '022024', '072017']

t.test('every section of every return: valid GSTINs, 2-decimal amounts, tax = rate x taxable, value = taxable + tax', async (t) => {
  for (const ret of Object.keys(RETURN_SECTIONS) as GstReturn[]) {
    for (const section of RETURN_SECTIONS[ret]) {
      for (const period of PERIODS) {
        const data = returnsSection(ORG_GSTIN, period, ret, section)
        t.same(recordProblems(data), [], `${ret} ${section} ${period}`)
        t.same(returnsSection(ORG_GSTIN, period, ret, section), data, `${ret} ${section} ${period} again: equal`)
      }
    }
  }
})

t.test('document dates fall inside the period; amended documents name an original 1 to 3 months earlier', async (t) => {
  const period = '032025'
  for (const [ret, section] of [['gstr1', 'b2ba'], ['gstr1', 'cdnra'], ['gstr1', 'b2cla'], ['gstr1', 'expa'], ['gstr2a', 'cdna'], ['gstr2b', 'b2b'], ['gstr1', 'exp']] as const) {
    const data = returnsSection(ORG_GSTIN, period, ret, section)
    const dates = [...valuesOf(data, 'idt'), ...valuesOf(data, 'nt_dt'), ...valuesOf(data, 'sbdt')]
    t.ok(dates.length > 0, `${ret} ${section} has dates`)
    t.same(dates.filter((d) => !/^(0[1-9]|[12][0-9]|3[01])\/03\/2025$/.test(String(d))), [], `${ret} ${section}: dd/03/2025`)
    const originals = [...valuesOf(data, 'oidt'), ...valuesOf(data, 'ont_dt')]
    t.same(originals.filter((d) => !/^\d{2}\/(12\/2024|01\/2025|02\/2025)$/.test(String(d))), [], `${ret} ${section}: originals in 12/2024 to 02/2025`)
    t.equal(originals.length > 0, section.endsWith('a'), `${ret} ${section}: originals only in amendments`)
  }
  t.same(
    (returnsSection(ORG_GSTIN, period, 'gstr1', 'b2csa') as Array<Record<string, string>>).filter((r) => !['122024', '012025', '022025'].includes(r.omon as string)),
    [],
    'b2csa rows carry the original month'
  )
})

t.test('sections are shaped as the GSTN sends them', async (t) => {
  const keys = (value: unknown): string[] => Object.keys(value as object)
  const first = (value: unknown): Record<string, unknown> => (value as Array<Record<string, unknown>>)[0] as Record<string, unknown>
  const b2b1 = first(returnsSection(ORG_GSTIN, '012026', 'gstr1', 'b2b'))
  t.same(keys(b2b1), ['ctin', 'inv'], 'GSTR-1 b2b: no filing status')
  t.same(keys((b2b1.inv as unknown[])[0]), ['inum', 'idt', 'val', 'pos', 'rchrg', 'inv_typ', 'itms'])
  t.same(keys(((b2b1.inv as Array<{ itms: unknown[] }>)[0] as { itms: unknown[] }).itms[0]), ['num', 'itm_det'])
  t.same(keys(first(returnsSection(ORG_GSTIN, '012026', 'gstr2a', 'b2b'))), ['ctin', 'cfs', 'inv'], 'GSTR-2A b2b: cfs')
  t.same(keys(first(returnsSection(ORG_GSTIN, '012026', 'gstr2b', 'b2b'))), ['ctin', 'inv'])
  t.same(keys((first(returnsSection(ORG_GSTIN, '012026', 'gstr1', 'b2ba')).inv as unknown[])[0]), ['oinum', 'oidt', 'inum', 'idt', 'val', 'pos', 'rchrg', 'inv_typ', 'itms'])
  const cdnr = first(returnsSection(ORG_GSTIN, '012026', 'gstr2b', 'cdnr'))
  t.same(keys(cdnr), ['ctin', 'nt'])
  t.same(keys((cdnr.nt as unknown[])[0]), ['ntty', 'nt_num', 'nt_dt', 'val', 'pos', 'rchrg', 'inv_typ', 'itms'])
  t.same(keys(first(returnsSection(ORG_GSTIN, '012026', 'gstr2a', 'cdn'))), ['ctin', 'cfs', 'nt'], 'GSTR-2A cdn: the cdnr shape')
  t.same(keys((first(returnsSection(ORG_GSTIN, '012026', 'gstr1', 'cdnra')).nt as unknown[])[0]).slice(0, 3), ['ont_num', 'ont_dt', 'ntty'])
  t.same(keys(first(returnsSection(ORG_GSTIN, '012026', 'gstr1', 'b2cs'))), ['sply_ty', 'pos', 'typ', 'txval', 'rt', 'iamt', 'camt', 'samt', 'csamt'])
  t.same(keys(first(returnsSection(ORG_GSTIN, '012026', 'gstr1', 'b2csa'))), ['omon', 'sply_ty', 'pos', 'typ', 'txval', 'rt', 'iamt', 'camt', 'samt', 'csamt'])
  const b2cl = first(returnsSection(ORG_GSTIN, '012026', 'gstr1', 'b2cl'))
  t.same(keys(b2cl), ['pos', 'inv'])
  t.same(keys((b2cl.inv as unknown[])[0]), ['inum', 'idt', 'val', 'itms'])
  const exp = first(returnsSection(ORG_GSTIN, '012026', 'gstr1', 'exp'))
  t.same(keys(exp), ['exp_typ', 'inv'])
  t.same(keys((exp.inv as unknown[])[0]), ['inum', 'idt', 'val', 'sbpcode', 'sbnum', 'sbdt', 'itms'])
  const hsn = returnsSection(ORG_GSTIN, '012026', 'gstr1', 'hsn') as { data: unknown[] }
  t.same(keys(hsn), ['data'])
  t.same(keys(hsn.data[0]), ['num', 'hsn_sc', 'desc', 'uqc', 'qty', 'rt', 'val', 'txval', 'iamt', 'camt', 'samt', 'csamt'])
  const nil = returnsSection(ORG_GSTIN, '012026', 'gstr1', 'nil') as { inv: Array<Record<string, unknown>> }
  t.same(nil.inv.map((r) => [r.sply_ty, keys(r)]), ['INTRB2B', 'INTRAB2B', 'INTRB2C', 'INTRAB2C'].map((s) => [s, ['sply_ty', 'expt_amt', 'nil_amt', 'ngsup_amt']]))
  const docs = returnsSection(ORG_GSTIN, '012026', 'gstr1', 'docs') as { doc_det: Array<Record<string, unknown>> }
  t.same(keys(docs), ['doc_det'])
  t.same(docs.doc_det.map((d) => d.doc_num), docs.doc_det.map((_, i) => i + 1), 'document types numbered from 1')
  t.same(keys((docs.doc_det[0] as { docs: unknown[] }).docs[0]), ['num', 'from', 'to', 'totnum', 'cancel', 'net_issue'])
  t.same(keys(first(returnsSection(ORG_GSTIN, '012026', 'gstr2a', 'isd'))), ['ctin', 'cfs', 'inv'], 'other sections: the b2b shape')
})

t.test('each section gives 2 to 8 records (counterparties, rows or document types)', async (t) => {
  const counts = new Set<number>()
  for (const period of ['012026', '022026', '032026', '042026', '052026', '062026']) {
    for (const section of RETURN_SECTIONS.gstr1) {
      const data = returnsSection(ORG_GSTIN, period, 'gstr1', section) as unknown[] | { data?: unknown[]; inv?: unknown[]; doc_det?: unknown[] }
      const n = Array.isArray(data) ? data.length : (data.data ?? data.inv ?? data.doc_det ?? []).length
      counts.add(n)
    }
  }
  t.same([...counts].sort(), [2, 3, 4, 5, 6, 7, 8])
})

t.test('intra-state supplies (supplier state = place of supply) carry CGST + SGST, others IGST', async (t) => {
  const taxes = (inv: { itms: Array<{ itm_det: Record<string, number> }> }): string[] =>
    inv.itms.map((i) => (i.itm_det.iamt === 0 ? 'intra' : i.itm_det.camt === 0 && i.itm_det.samt === 0 ? 'inter' : 'mixed'))
  const seen = new Set<string>()
  for (const period of PERIODS) {
    // GSTR-1: the taxpayer supplies; the recipient's state is the place of supply.
    for (const party of returnsSection(ORG_GSTIN, period, 'gstr1', 'b2b') as Array<{ ctin: string; inv: Array<{ pos: string; itms: Array<{ itm_det: Record<string, number> }> }> }>) {
      for (const inv of party.inv) {
        t.equal(inv.pos, party.ctin.slice(0, 2))
        const expected = party.ctin.startsWith('29') ? 'intra' : 'inter'
        t.same(taxes(inv), inv.itms.map(() => expected))
        seen.add(expected)
      }
    }
    // GSTR-2A: the counterparty supplies to the taxpayer's state.
    for (const party of returnsSection(ORG_GSTIN, period, 'gstr2a', 'b2b') as Array<{ ctin: string; inv: Array<{ pos: string; itms: Array<{ itm_det: Record<string, number> }> }> }>) {
      for (const inv of party.inv) {
        t.equal(inv.pos, '29')
        t.same(taxes(inv), inv.itms.map(() => (party.ctin.startsWith('29') ? 'intra' : 'inter')))
      }
    }
    for (const row of returnsSection(ORG_GSTIN, period, 'gstr1', 'b2cs') as Array<Record<string, string | number>>) {
      t.equal(row.sply_ty, row.pos === '29' ? 'INTRA' : 'INTER')
      t.equal(row.iamt === 0, row.pos === '29')
    }
    for (const row of returnsSection(ORG_GSTIN, period, 'gstr1', 'b2cl') as Array<{ pos: string; inv: Array<{ val: number; itms: Array<{ itm_det: Record<string, number> }> }> }>) {
      t.not(row.pos, '29', 'B2C large: inter-state')
      for (const inv of row.inv) {
        t.same(taxes(inv), inv.itms.map(() => 'inter'))
        t.ok(inv.val > 250_000, 'B2C large: above 2.5 lakh')
      }
    }
  }
  t.same([...seen].sort(), ['inter', 'intra'], 'both kinds occur')
})

t.test('exports with payment carry IGST, without payment none', async (t) => {
  const kinds = new Set<string>()
  for (const period of PERIODS) {
    for (const row of returnsSection(ORG_GSTIN, period, 'gstr1', 'exp') as Array<{ exp_typ: string; inv: Array<{ itms: Array<Record<string, number>> }> }>) {
      kinds.add(row.exp_typ)
      for (const inv of row.inv) for (const item of inv.itms) t.equal(item.rt === 0 && item.iamt === 0, row.exp_typ === 'WOPAY')
    }
  }
  t.same([...kinds].sort(), ['WOPAY', 'WPAY'])
})

// ---------------------------------------------------------------------------------------------
// IMS records

/** Inputs found by a deterministic search: one with no records, one spanning 3 or more pages with a partial last one. */
function imsCases(): { empty: [string, ImsSection, ImsStatus | undefined]; large: [string, ImsSection, ImsStatus | undefined, number] } {
  let empty: [string, ImsSection, ImsStatus | undefined] | undefined
  let large: [string, ImsSection, ImsStatus | undefined, number] | undefined
  const random = prng(7)
  while (!empty || !large) {
    const gstin = syntheticGstin(random)
    for (const section of IMS_SECTIONS) {
      for (const status of [undefined, 'A', 'R', 'P', 'N'] as const) {
        const n = imsRecordCount(gstin, section, status)
        if (n === 0) empty ??= [gstin, section, status]
        if (n > 1000 && n % IMS_PAGE_SIZE !== 0) large ??= [gstin, section, status, n]
      }
    }
  }
  return { empty, large }
}

t.test('IMS record counts range over 0 to 1,700, so 1 to 4 pages occur', async (t) => {
  const random = prng(11)
  const pages = new Set<number>()
  let max = 0
  for (let i = 0; i < 200; i++) {
    const gstin = syntheticGstin(random)
    for (const section of IMS_SECTIONS) {
      const n = imsRecordCount(gstin, section, undefined)
      max = Math.max(max, n)
      pages.add(Math.max(1, Math.ceil(n / IMS_PAGE_SIZE)))
    }
  }
  t.ok(max <= 1700, `at most 1,700 (${max})`)
  t.same([...pages].sort(), [1, 2, 3, 4])
})

t.test('IMS records: every section shaped with its document fields, valid GSTINs, consistent tax', async (t) => {
  const shapes: Record<ImsSection, string[]> = {
    B2B: ['stin', 'inum', 'idt'],
    B2BA: ['stin', 'oinum', 'oidt', 'inum', 'idt'],
    B2BCN: ['stin', 'ntty', 'nt_num', 'nt_dt'],
    B2BCNA: ['stin', 'ont_num', 'ont_dt', 'ntty', 'nt_num', 'nt_dt'],
    B2BDN: ['stin', 'ntty', 'nt_num', 'nt_dt'],
    B2BDNA: ['stin', 'ont_num', 'ont_dt', 'ntty', 'nt_num', 'nt_dt'],
    ECOM: ['etin', 'stin', 'inum', 'idt'],
    ECOMA: ['etin', 'stin', 'oinum', 'oidt', 'inum', 'idt']
  }
  const tail = ['inv_typ', 'pos', 'val', 'txval', 'rt', 'iamt', 'camt', 'samt', 'cess', 'action', 'srcform', 'rtnprd']
  const srcforms = new Set<unknown>()
  for (const section of IMS_SECTIONS) {
    const page = imsPage(ORG_GSTIN, section, 'P', 0, 120) as { records: Array<Record<string, string | number>> }
    t.same(page.records.map((r) => Object.keys(r)), page.records.map(() => [...shapes[section], ...tail]), section)
    t.same(recordProblems(page), [], `${section}: GSTINs and amounts`)
    const ntty = page.records.map((r) => r.ntty)
    t.same([...new Set(ntty)], [section.startsWith('B2BCN') ? 'C' : section.startsWith('B2BDN') ? 'D' : undefined], `${section}: note type`)
    for (const r of page.records) {
      srcforms.add(r.srcform)
      const date = String(r.idt ?? r.nt_dt)
      t.equal(date.slice(3), `${String(r.rtnprd).slice(0, 2)}/${String(r.rtnprd).slice(2)}`, 'dated in its return period')
      t.ok(periodIndex(String(r.rtnprd)) >= periodIndex('042025') && periodIndex(String(r.rtnprd)) <= periodIndex('032026'), 'return period in 2025-26')
      t.equal(r.pos, '29', 'place of supply: the taxpayer')
    }
  }
  t.same([...srcforms].sort(), ['IFF', 'R1'])
})

t.test('an IMS page holds records k*500 .. min(count, (k+1)*500)-1; actions are the status, or A, R, P, N in turn', async (t) => {
  const { large } = imsCases()
  const [gstin, section, , n] = large
  const last = Math.ceil(n / IMS_PAGE_SIZE) - 1
  const page = (k: number, status: ImsStatus | undefined): { records: Array<Record<string, unknown>> } & Record<string, unknown> =>
    imsPage(gstin, section, status, k, n) as { records: Array<Record<string, unknown>> } & Record<string, unknown>
  t.same(Object.keys(page(0, undefined)), ['gstin', 'section', 'status', 'page', 'records'])
  t.same([page(0, undefined).gstin, page(0, undefined).section, page(0, undefined).status, page(1, 'R').status, page(1, 'R').page], [gstin, section, null, 'R', 1])
  t.equal(page(0, undefined).records.length, 500)
  t.equal(page(last, undefined).records.length, n - last * 500, 'the last page: the rest')
  t.same(page(last + 1, undefined).records, [], 'past the end: no records')
  t.same(page(1, undefined).records.slice(0, 5).map((r) => r.action), ['A', 'R', 'P', 'N', 'A'], 'record 500 is A (500 % 4 = 0)')
  t.same([...new Set(page(1, 'R').records.map((r) => r.action))], ['R'])
  const numbers = page(1, undefined).records.map((r) => String(r.inum ?? r.nt_num).slice(-5))
  t.same(numbers.slice(0, 2), ['00501', '00502'], 'document numbers follow the record index')
})

t.test('an IMS record depends on its index alone, not on the page size, the count or other pages', async (t) => {
  const fresh = imsPage(ORG_GSTIN, 'B2B', 'A', 2, 1600) as { records: unknown[] }
  imsPage(ORG_GSTIN, 'B2B', 'A', 0, 1600)
  imsPage(ORG_GSTIN, 'B2B', 'A', 1, 1600)
  t.same(imsPage(ORG_GSTIN, 'B2B', 'A', 2, 1600), fresh, 'page 2 alone equals page 2 after pages 0 and 1')
  t.same((imsPage(ORG_GSTIN, 'B2B', 'A', 2, 1200) as { records: unknown[] }).records, fresh.records.slice(0, 200), 'a smaller count cuts, never changes')
})

// ---------------------------------------------------------------------------------------------
// E-invoice records

t.test('e-invoices: 2 to 12, IRN = sha256(seller|FY|type|number), 15-digit AckNo, dates in the period', async (t) => {
  const lengths = new Set<number>()
  const types = new Set<string>()
  for (const period of ['012026', '042025', '032025', '112024', '062023', '022024']) {
    for (const supplyType of ['B2B', 'SEZWP', 'DEXP'] as const) {
      const records = einvoiceRecords(ORG_GSTIN, period, supplyType, {})
      lengths.add(records.length)
      t.same(recordProblems(records), [], `${period} ${supplyType}`)
      const [mm, yyyy] = [period.slice(0, 2), period.slice(2)]
      const fy = financialYear({ year: Number(yyyy), month: Number(mm) })
      for (const r of records) {
        types.add(r.DocDtls.Typ)
        t.equal(r.Irn, irnOf(r.SellerDtls.Gstin, fy, r.DocDtls.Typ, r.DocDtls.No))
        t.match(r.AckNo, /^1\d{14}$/)
        t.match(r.AckDt, new RegExp(`^${yyyy}-${mm}-\\d{2} \\d{2}:\\d{2}:\\d{2}$`))
        t.match(r.DocDtls.Dt, new RegExp(`^\\d{2}/${mm}/${yyyy}$`))
        t.ok(r.DocDtls.Dt.slice(0, 2) <= r.AckDt.slice(8, 10), 'documented no later than acknowledged')
        t.same([r.Status, r.TranDtls], ['ACT', { TaxSch: 'GST', SupTyp: supplyType }])
      }
      t.equal(new Set(records.map((r) => r.Irn)).size, records.length, 'IRNs distinct')
      t.same(records.map((r) => r.AckDt), records.map((r) => r.AckDt).sort(), 'in acknowledgement order')
    }
  }
  t.ok([...lengths].every((n) => n >= 2 && n <= 12), `lengths ${[...lengths].join(',')}`)
  t.same([...types].sort(), ['CRN', 'DBN', 'INV'])
})

t.test('e-invoice parties: supplierGstin makes the taxpayer the buyer, recipientGstin the seller, neither sells to made-up buyers', async (t) => {
  const parties = (records: EinvoiceRecord[]): string[] => [...new Set(records.map((r) => `${r.SellerDtls.Gstin}>${r.BuyerDtls.Gstin}`))]
  t.same(parties(einvoiceRecords(ORG_GSTIN, '012026', 'B2B', { supplierGstin: SUPPLIER })), [`${SUPPLIER}>${ORG_GSTIN}`])
  t.same(parties(einvoiceRecords(ORG_GSTIN, '012026', 'B2B', { recipientGstin: RECIPIENT })), [`${ORG_GSTIN}>${RECIPIENT}`])
  const open = einvoiceRecords(ORG_GSTIN, '012026', 'B2B', {})
  t.same([...new Set(open.map((r) => r.SellerDtls.Gstin))], [ORG_GSTIN])
  t.ok(open.every((r) => r.BuyerDtls.Gstin !== ORG_GSTIN && r.BuyerDtls.Pos === r.BuyerDtls.Gstin.slice(0, 2)), 'buyers elsewhere, Pos their state')
  const names = new Set(einvoiceRecords(ORG_GSTIN, '022026', 'SEZWOP', {}).map((r) => r.SellerDtls.LglNm))
  t.equal(names.size, 1, 'one name per GSTIN')
})

t.test('e-invoice taxes follow the supply type', async (t) => {
  const taxKinds = (records: EinvoiceRecord[]): string[] =>
    [...new Set(records.map((r) => (r.ValDtls.IgstVal > 0 ? 'igst' : r.ValDtls.CgstVal > 0 ? 'cgst+sgst' : 'none')))].sort()
  const across = (supplyType: Parameters<typeof einvoiceRecords>[2], counterparty = {}): string[] =>
    [...new Set(['012026', '022026', '032026', '042026'].flatMap((p) => taxKinds(einvoiceRecords(ORG_GSTIN, p, supplyType, counterparty))))].sort()
  t.same(across('B2B'), ['cgst+sgst', 'igst'])
  t.same(across('B2B', { recipientGstin: '29AACCN6613P1ZX' }), ['cgst+sgst'], 'same state: intra-state')
  t.same(across('DEXP', { recipientGstin: RECIPIENT }), ['igst'])
  t.same(across('SEZWP'), ['igst'], 'SEZ with payment: IGST even in the same state')
  t.same(across('SEZWOP'), ['none'])
  t.same(across('EXPWP'), ['igst'])
  t.same(across('EXPWOP'), ['none'])
  const exported = einvoiceRecords(ORG_GSTIN, '012026', 'EXPWOP', {})
  t.same([...new Set(exported.map((r) => `${r.BuyerDtls.Gstin} ${r.BuyerDtls.Pos}`))], ['URP 96'], 'exports: unregistered buyer abroad')
  t.same(recordProblems(exported), [])
  t.same(
    [...new Set(einvoiceRecords(ORG_GSTIN, '012026', 'EXPWP', { recipientGstin: RECIPIENT }).map((r) => `${r.BuyerDtls.Gstin} ${r.BuyerDtls.Pos}`))],
    [`${RECIPIENT} 33`]
  )
})

// ---------------------------------------------------------------------------------------------
// gst-einvoice-download

const einvoiceCheck = (body: unknown): EinvoiceDownloadInput => gstEinvoiceDownload.check(request({ body }))

t.test('gst-einvoice-download answers POST /enriched/gstn/v1.0/einvoice/download in the v3 envelope', async (t) => {
  const route = gstEinvoiceDownload.routes[0]
  t.same([gstEinvoiceDownload.name, gstEinvoiceDownload.method, gstEinvoiceDownload.routes.length], ['gst-einvoice-download', 'POST', 1])
  t.same([route?.url, route?.params, route?.envelope({ version: 'v1.0' })], ['/enriched/gstn/:version/einvoice/download', { version: ['v1.0'] }, 'v3'])
})

t.test('gst-einvoice-download: a valid body is kept, extra properties dropped', async (t) => {
  t.same(einvoiceCheck({ retPeriod: '012026', supplyType: 'B2B', gstin: ORG_GSTIN, note: 'x' }), { gstin: ORG_GSTIN, retPeriod: '012026', supplyType: 'B2B' })
  t.same(einvoiceCheck({ retPeriod: '072017', supplyType: 'DEXP', gstin: ORG_GSTIN, supplierGstin: SUPPLIER }), {
    gstin: ORG_GSTIN,
    retPeriod: '072017',
    supplyType: 'DEXP',
    supplierGstin: SUPPLIER
  })
  t.same(einvoiceCheck({ retPeriod: '122099', supplyType: 'EXPWOP', gstin: ORG_GSTIN, recipientGstin: RECIPIENT }), {
    gstin: ORG_GSTIN,
    retPeriod: '122099',
    supplyType: 'EXPWOP',
    recipientGstin: RECIPIENT
  })
})

t.test('gst-einvoice-download: shape errors list every violation', async (t) => {
  t.same(detailsOf(() => einvoiceCheck(undefined)), [{ path: '', message: 'must be object' }])
  t.same(detailsOf(() => einvoiceCheck([])), [{ path: '', message: 'must be object' }])
  t.same(detailsOf(() => einvoiceCheck({})), [
    { path: '', message: "must have required property 'retPeriod'" },
    { path: '', message: "must have required property 'supplyType'" },
    { path: '', message: "must have required property 'gstin'" }
  ])
  const PERIOD = 'must match pattern "^(0[1-9]|1[0-2])(201[7-9]|20[2-9][0-9])$"'
  const GSTIN = 'must match pattern "^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z][A-Z][0-9A-Z]$"'
  for (const retPeriod of ['132026', '002026', '012016', '012100', '12026', '01-2026']) {
    t.same(detailsOf(() => einvoiceCheck({ retPeriod, supplyType: 'B2B', gstin: ORG_GSTIN })), [{ path: '/retPeriod', message: PERIOD }], retPeriod)
  }
  t.same(detailsOf(() => einvoiceCheck({ retPeriod: 12026, supplyType: 'B2C', gstin: ORG_GSTIN.toLowerCase(), supplierGstin: 'x', recipientGstin: 7 })), [
    { path: '/retPeriod', message: 'must be string' },
    { path: '/supplyType', message: 'must be equal to one of the allowed values' },
    { path: '/gstin', message: GSTIN },
    { path: '/supplierGstin', message: GSTIN },
    { path: '/recipientGstin', message: 'must be string' }
  ])
})

t.test('gst-einvoice-download: GSTIN check characters, both counterparties, self-supply', async (t) => {
  const body = { retPeriod: '012026', supplyType: 'B2B' }
  t.equal(gstinProblem(BAD_CHECK), 'check-character')
  t.same(detailsOf(() => einvoiceCheck({ ...body, gstin: BAD_CHECK })), [{ path: '/gstin', message: 'must have a valid check character' }])
  t.same(detailsOf(() => einvoiceCheck({ ...body, gstin: ORG_GSTIN, supplierGstin: '07AADCT8891B1Z6' })), [
    { path: '/supplierGstin', message: 'must have a valid check character' }
  ])
  t.same(detailsOf(() => einvoiceCheck({ ...body, gstin: ORG_GSTIN, recipientGstin: '33AAKCV3175E1ZD' })), [
    { path: '/recipientGstin', message: 'must have a valid check character' }
  ])
  t.same(detailsOf(() => einvoiceCheck({ ...body, gstin: ORG_GSTIN, supplierGstin: SUPPLIER, recipientGstin: RECIPIENT })), [
    { path: '/recipientGstin', message: 'must not be given with supplierGstin' }
  ])
  t.same(detailsOf(() => einvoiceCheck({ ...body, gstin: ORG_GSTIN, supplierGstin: ORG_GSTIN })), [{ path: '/supplierGstin', message: 'must differ from gstin' }])
  t.same(detailsOf(() => einvoiceCheck({ ...body, gstin: ORG_GSTIN, recipientGstin: ORG_GSTIN })), [{ path: '/recipientGstin', message: 'must differ from gstin' }])
  t.same(detailsOf(() => einvoiceCheck({ ...body, gstin: BAD_CHECK, supplierGstin: '07AADCT8891B1Z6', recipientGstin: BAD_CHECK })), [
    { path: '/gstin', message: 'must have a valid check character' },
    { path: '/supplierGstin', message: 'must have a valid check character' },
    { path: '/recipientGstin', message: 'must have a valid check character' },
    { path: '/recipientGstin', message: 'must not be given with supplierGstin' },
    { path: '/recipientGstin', message: 'must differ from gstin' }
  ], 'every rule is reported at once')
})

t.test('gst-einvoice-download derives one result entry and one file per e-invoice, the same each time', async (t) => {
  const input = einvoiceCheck({ retPeriod: '012026', supplyType: 'B2B', gstin: ORG_GSTIN, supplierGstin: SUPPLIER })
  const derived = gstEinvoiceDownload.derive(input, context('27AABCZ3906N1ZW'))
  const records = einvoiceRecords(ORG_GSTIN, '012026', 'B2B', { supplierGstin: SUPPLIER })
  t.same(Object.keys(derived), ['jobs', 'result', 'files'])
  t.equal(derived.jobs, 1)
  t.same(derived.result, {
    gstin: ORG_GSTIN,
    retPeriod: '012026',
    supplyType: 'B2B',
    count: records.length,
    invoices: records.map((r) => ({
      Irn: r.Irn,
      DocNo: r.DocDtls.No,
      DocDt: r.DocDtls.Dt,
      DocTyp: r.DocDtls.Typ,
      SellerGstin: SUPPLIER,
      BuyerGstin: ORG_GSTIN,
      TotInvVal: r.ValDtls.TotInvVal,
      AckNo: r.AckNo,
      AckDt: r.AckDt,
      file: `einvoices/${r.Irn}.json`
    }))
  }, 'the body GSTIN, not the org\'s')
  t.same(derived.files?.map((f) => [f.name, JSON.parse(String(f.content))]), records.map((r) => [`einvoices/${r.Irn}.json`, r]))
  t.equal(String(derived.files?.[0]?.content), JSON.stringify(records[0], null, 2), 'pretty-printed JSON')
  t.same(gstEinvoiceDownload.derive(input, context()), derived, 'derived twice: equal')
})

// ---------------------------------------------------------------------------------------------
// gst-returns-download

const returnsCheck = (body: unknown): ReturnsItem[] => gstReturnsDownload.check(request({ params: { version: 'v3.0' }, body }))
const item = (fromRetPeriod: string, toRetPeriod: string, returns: Record<string, Record<string, unknown>> = { gstr1: { b2b: {} } }): unknown => ({
  fromRetPeriod,
  toRetPeriod,
  returns
})

t.test('gst-returns-download answers POST /enriched/gstn/v3.0/download-gst-returns in the v3 envelope', async (t) => {
  const route = gstReturnsDownload.routes[0]
  t.same([gstReturnsDownload.name, gstReturnsDownload.method, gstReturnsDownload.routes.length], ['gst-returns-download', 'POST', 1])
  t.same([route?.url, route?.params, route?.envelope({ version: 'v3.0' })], ['/enriched/gstn/:version/download-gst-returns', { version: ['v3.0'] }, 'v3'])
})

t.test('gst-returns-download: a valid body keeps returns and sections in body order; section values and extra item properties are ignored', async (t) => {
  t.same(returnsCheck([{ ...(item('112025', '022026', { gstr2b: { cdnr: { any: 1 }, b2b: null }, gstr1: { hsn: [] } }) as object), extra: true }]), [
    { fromRetPeriod: '112025', toRetPeriod: '022026', returns: [{ ret: 'gstr2b', sections: ['cdnr', 'b2b'] }, { ret: 'gstr1', sections: ['hsn'] }] }
  ])
})

t.test('gst-returns-download: shape errors list every violation', async (t) => {
  t.same(detailsOf(() => returnsCheck({})), [{ path: '', message: 'must be array' }])
  t.same(detailsOf(() => returnsCheck([])), [{ path: '', message: 'must NOT have fewer than 1 items' }])
  t.same(detailsOf(() => returnsCheck([{}, 'x'])), [
    { path: '/0', message: "must have required property 'fromRetPeriod'" },
    { path: '/0', message: "must have required property 'toRetPeriod'" },
    { path: '/0', message: "must have required property 'returns'" },
    { path: '/1', message: 'must be object' }
  ])
  t.same(detailsOf(() => returnsCheck([item('132025', '1', { gstr3b: { b2b: {} }, gstr1: { b2b: {}, cdn: {} }, gstr2a: { b2cs: {} } })])), [
    { path: '/0/fromRetPeriod', message: 'must match pattern "^(0[1-9]|1[0-2])(201[7-9]|20[2-9][0-9])$"' },
    { path: '/0/toRetPeriod', message: 'must match pattern "^(0[1-9]|1[0-2])(201[7-9]|20[2-9][0-9])$"' },
    { path: '/0/returns', message: "must not have property 'gstr3b'" },
    { path: '/0/returns/gstr1', message: "must not have property 'cdn'" },
    { path: '/0/returns/gstr2a', message: "must not have property 'b2cs'" }
  ])
  t.same(detailsOf(() => returnsCheck([item('012026', '012026', {}), item('012026', '012026', { gstr2b: {} }), item('012026', '012026', { gstr1: [] as unknown as Record<string, unknown> })])), [
    { path: '/0/returns', message: 'must NOT have fewer than 1 properties' },
    { path: '/1/returns/gstr2b', message: 'must NOT have fewer than 1 properties' },
    { path: '/2/returns/gstr1', message: 'must be object' }
  ])
})

t.test('gst-returns-download: 1,000 items are accepted, 1,001 refused', async (t) => {
  const items = Array.from({ length: 1000 }, () => item('012026', '012026'))
  t.equal(returnsCheck(items).length, 1000)
  t.same(detailsOf(() => returnsCheck([...items, item('012026', '012026')])), [{ path: '', message: 'must NOT have more than 1000 items' }])
})

t.test('gst-returns-download: toRetPeriod not before fromRetPeriod, 36 periods at most, every item reported', async (t) => {
  t.equal(returnsCheck([item('012024', '122026')]).length, 1, '36 periods: accepted')
  t.equal(returnsCheck([item('122025', '122025')]).length, 1, 'one period: accepted')
  t.same(detailsOf(() => returnsCheck([item('012026', '122025'), item('012024', '012027'), item('022026', '012026'), item('012026', '012026')])), [
    { path: '/0/toRetPeriod', message: 'must not be before fromRetPeriod' },
    { path: '/1/toRetPeriod', message: 'must be at most 36 return periods from fromRetPeriod (both included)' },
    { path: '/2/toRetPeriod', message: 'must not be before fromRetPeriod' }
  ])
})

t.test('gst-returns-download: 10,000 pages in all are accepted, more refused', async (t) => {
  const gstr2a = Object.fromEntries(RETURN_SECTIONS.gstr2a.map((s) => [s, {}]))
  t.equal(RETURN_SECTIONS.gstr2a.length, 10)
  const tenThousand = Array.from({ length: 1000 }, () => item('012026', '012026', { gstr2a }))
  t.equal(gstReturnsDownload.derive(returnsCheck(tenThousand), context()).pages?.count, 10_000)
  const gstr1 = Object.fromEntries(RETURN_SECTIONS.gstr1.map((s) => [s, {}]))
  const many = Array.from({ length: 15 }, () => item('012024', '122026', { gstr1 }))
  t.same(detailsOf(() => returnsCheck(many)), [{ path: '', message: 'must ask for at most 10000 pages (periods x returns x sections), not 10260' }], '15 x 36 x 19')
})

t.test('gst-returns-download pages: item, then period, then return, then section, in body order', async (t) => {
  const items = returnsCheck([
    item('112025', '012026', { gstr2b: { cdnr: {}, b2b: {} }, gstr1: { hsn: {}, b2b: {} } }),
    item('032024', '052024', { gstr2a: { b2b: {}, tds: {} }, gstr1: { nil: {}, docs: {} } })
  ])
  const ctx = context()
  const derived = gstReturnsDownload.derive(items, ctx)
  t.same(Object.keys(derived), ['jobs', 'pages'])
  t.equal(derived.jobs, 1)
  t.same(ctx.asked, ['org-1'], "the org's GSTIN")
  const pages = derived.pages as PageSource
  t.equal(pages.count, 2 * 3 * 4)
  const coordinates = allPages(pages).map((p) => {
    const { page, ret_period, return: ret, section } = p as ReturnsPage
    return `${page} ${ret_period} ${ret} ${section}`
  })
  t.same(coordinates, [
    '0 112025 gstr2b cdnr', '1 112025 gstr2b b2b', '2 112025 gstr1 hsn', '3 112025 gstr1 b2b',
    '4 122025 gstr2b cdnr', '5 122025 gstr2b b2b', '6 122025 gstr1 hsn', '7 122025 gstr1 b2b',
    '8 012026 gstr2b cdnr', '9 012026 gstr2b b2b', '10 012026 gstr1 hsn', '11 012026 gstr1 b2b',
    '12 032024 gstr2a b2b', '13 032024 gstr2a tds', '14 032024 gstr1 nil', '15 032024 gstr1 docs',
    '16 042024 gstr2a b2b', '17 042024 gstr2a tds', '18 042024 gstr1 nil', '19 042024 gstr1 docs',
    '20 052024 gstr2a b2b', '21 052024 gstr2a tds', '22 052024 gstr1 nil', '23 052024 gstr1 docs'
  ])
  t.same(pages.page(13), { page: 13, gstin: ORG_GSTIN, ret_period: '032024', return: 'gstr2a', section: 'tds', data: returnsSection(ORG_GSTIN, '032024', 'gstr2a', 'tds') })
  t.same(Object.keys(pages.page(0) as object), ['page', 'gstin', 'ret_period', 'return', 'section', 'data'])
  t.same(allPages(gstReturnsDownload.derive(items, context()).pages as PageSource), allPages(pages), 'derived twice: equal pages')
  t.same(pages.page(17), allPages(pages)[17], 'a page alone equals the same page among all')
})

t.test('gst-returns-download pages: the last of 1,000 items is found by its page number', async (t) => {
  const items = returnsCheck(
    Array.from({ length: 1000 }, (_, i) => item(periodAt(periodIndex('072017') + (i % 100)), periodAt(periodIndex('072017') + (i % 100) + (i % 3)), i % 2 ? { gstr1: { b2cs: {} } } : { gstr2b: { impg: {}, b2b: {} } }))
  )
  const pages = returnsPages(items, ORG_GSTIN)
  // Items alternate 2 sections (even i) and 1 (odd i), over 1 to 3 periods (i % 3 + 1).
  const expected = Array.from({ length: 1000 }, (_, i) => ((i % 3) + 1) * (i % 2 ? 1 : 2)).reduce((a, b) => a + b, 0)
  t.equal(pages.count, expected)
  const last = pages.page(expected - 1) as ReturnsPage
  t.same([last.ret_period, last.return, last.section], [periodAt(periodIndex('072017') + 99), 'gstr1', 'b2cs'], 'item 999: one period, b2cs')
  const first = pages.page(0) as ReturnsPage
  t.same([first.ret_period, first.return, first.section], ['072017', 'gstr2b', 'impg'])
})

t.test('gst-returns-download pages: a page number outside 0..count-1 is a RangeError', async (t) => {
  const pages = returnsPages(returnsCheck([item('012026', '012026')]), ORG_GSTIN)
  t.throws(() => pages.page(1), new RangeError('page 1 is not in 0..0'))
  t.throws(() => pages.page(-1), RangeError)
  t.throws(() => pages.page(0.5), RangeError)
})

// ---------------------------------------------------------------------------------------------
// ims-invoices-download

const imsCheck = (query: OperationRequest['query'], body?: unknown): unknown => imsInvoicesDownload.check(request({ query, body }))

t.test('ims-invoices-download answers GET /enriched/gstn/v1.0/ims-invoices in the v3 envelope', async (t) => {
  const route = imsInvoicesDownload.routes[0]
  t.same([imsInvoicesDownload.name, imsInvoicesDownload.method, imsInvoicesDownload.routes.length], ['ims-invoices-download', 'GET', 1])
  t.same([route?.url, route?.params, route?.envelope({ version: 'v1.0' })], ['/enriched/gstn/:version/ims-invoices', { version: ['v1.0'] }, 'v3'])
})

t.test('ims-invoices-download: section and status match in any case and are kept upper case; the body is ignored', async (t) => {
  t.same(imsCheck({ section: 'b2bcna', status: 'r' }, { ignored: true }), { section: 'B2BCNA', status: 'R' })
  t.same(imsCheck({ section: 'ECOM' }), { section: 'ECOM', status: undefined })
  t.same(imsCheck({ section: 'B2B', status: undefined }), { section: 'B2B', status: undefined })
})

t.test('ims-invoices-download: query errors at /section and /status, reported together', async (t) => {
  const SECTIONS = 'must be one of B2B, B2BA, B2BCN, B2BCNA, B2BDN, B2BDNA, ECOM, ECOMA'
  t.same(detailsOf(() => imsCheck({})), [{ path: '/section', message: 'must be given' }])
  t.same(detailsOf(() => imsCheck({ section: 'B2C', status: 'X' })), [
    { path: '/section', message: SECTIONS },
    { path: '/status', message: 'must be one of A, R, P, N' }
  ])
  t.same(detailsOf(() => imsCheck({ section: '', status: '' })), [
    { path: '/section', message: SECTIONS },
    { path: '/status', message: 'must be one of A, R, P, N' }
  ])
  t.same(detailsOf(() => imsCheck({ section: ['B2B', 'B2BA'], status: ['A', 'A'] })), [
    { path: '/section', message: 'must be given once' },
    { path: '/status', message: 'must be given once' }
  ])
  t.same(detailsOf(() => imsCheck({ status: 'A' })), [{ path: '/section', message: 'must be given' }])
})

t.test('ims-invoices-download pages: ceil(n / 500), at least one; full pages of 500, the last partial', async (t) => {
  const { empty, large } = imsCases()
  const [gstin, section, status, n] = large
  const ctx = context(gstin)
  const derived = imsInvoicesDownload.derive({ section, status }, ctx)
  t.same([Object.keys(derived), derived.jobs, ctx.asked], [['jobs', 'pages'], 1, ['org-1']])
  const pages = derived.pages as PageSource
  t.equal(pages.count, Math.ceil(n / 500))
  t.ok(pages.count >= 3)
  const sizes = allPages(pages).map((p) => (p as { records: unknown[] }).records.length)
  t.same(sizes, [...Array.from({ length: pages.count - 1 }, () => 500), n - (pages.count - 1) * 500])
  t.same(pages.page(1), imsPage(gstin, section, status, 1, n))
  t.same(allPages(imsInvoicesDownload.derive({ section, status }, context(gstin)).pages as PageSource), allPages(pages), 'derived twice: equal pages')
  const [emptyGstin, emptySection, emptyStatus] = empty
  const none = imsInvoicesDownload.derive({ section: emptySection, status: emptyStatus }, context(emptyGstin)).pages as PageSource
  t.equal(none.count, 1, 'no records: still one page')
  t.same(none.page(0), { gstin: emptyGstin, section: emptySection, status: emptyStatus ?? null, page: 0, records: [] })
})

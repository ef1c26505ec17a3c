/**
 * `einvoice-bulk-generation` (docs/behaviour.md §14): `POST /enriched/einv/{v1.0|v3.0}/{ni1|ni2}/invoices`
 * with `{"payload":[<NIC e-invoice JSON 1.1>...],"meta":{"generatePdf","emails"}|null}`
 * (upstream-facts.md). One outcome per invoice, in order, in the shape of the seeded task `...0001`;
 * the zip holds one JSON file per invoice (the IRP's answer, with `SignedInvoice` and
 * `SignedQRCode` signed when the zip is built) and, with `meta.generatePdf`, one PDF per success.
 *
 * An invoice fails, in this order, when a required field is missing or invalid
 * (`err-invalid-field`), a GSTIN is malformed or has a wrong check character
 * (`err-invalid-gstin`), its document number starts with `FAIL-` (`err-forced-failure`), or its IRN
 * was issued to the org already, earlier in the body or by a task still held (`err-duplicate-irn`).
 */
import { einvoicePdf } from '../einvoice-pdf.js'
import { gstinProblem } from '../gstin.js'
import { ackDateTime, ackNoOf, financialYear, irnOf, parseDocDate } from '../irn.js'
import { validator } from '../validation.js'
import type { TaskFile } from '../task.js'
import { itemError, type ItemError } from './item-errors.js'
import { MAX_ITEMS, type DeriveContext, type Derived, type IssuedIrn, type Operation } from './operation.js'

/** The prefix of a document number that always fails (a documented switch for tests). */
export const FAIL_PREFIX = 'FAIL-'

/** A checked body. Invoices are untrusted JSON objects: each is judged on its own. */
export interface GenerationInput {
  payload: Array<Record<string, unknown>>
  meta?: { generatePdf?: boolean; emails?: string[] } | null
}

/** The body schema shared by the bulk einv operations: `{payload: [1..1000 objects], meta?}`. */
export const bulkSchema = (item: object, meta: object = { type: ['object', 'null'] }): object => ({
  type: 'object',
  required: ['payload'],
  properties: {
    payload: { type: 'array', minItems: 1, maxItems: MAX_ITEMS, items: item },
    meta
  }
})

const checkBody = validator<GenerationInput>(
  bulkSchema(
    { type: 'object' },
    {
      anyOf: [
        { type: 'null' },
        {
          type: 'object',
          properties: {
            generatePdf: { type: 'boolean' },
            emails: { type: 'array', maxItems: 100, items: { type: 'string', maxLength: 320 } }
          }
        }
      ]
    }
  )
)

/** The path parameters of the einv routes (§13 table). */
export const EINV_PARAMS = { version: ['v1.0', 'v3.0'], irp: ['ni1', 'ni2'] } as const

/** v1.0 einv routes answer the v1 envelope, v3.0 the v3 one (§13 "Answer"). */
export const einvEnvelope = (params: Record<string, string>): 'v1' | 'v3' => (params.version === 'v1.0' ? 'v1' : 'v3')

/** One invoice's outcome in the task's result (the shape of seeded task `...0001`). */
export interface InvoiceOutcome {
  DocNo: unknown
  DocDt: unknown
  DocTyp: unknown
  SellerGstin: unknown
  BuyerGstin: unknown
  TotInvVal: unknown
  status: 'success' | 'failed'
  Irn?: string
  AckNo?: string
  AckDt?: string
  error?: ItemError
  /** The invoice's JSON file in the zip. */
  file: string
}

const at = (value: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' && !Array.isArray(node) ? (node as Record<string, unknown>)[key] : undefined), value)

/** NIC's document number: 1-16 characters, letters, digits, `/` and `-`, not starting with 0, / or -. */
const DOC_NO = /^[A-Za-z1-9][A-Za-z0-9/-]{0,15}$/

/** The required fields and their rules, in the order they are judged. */
const FIELD_RULES: ReadonlyArray<{ field: string; ok: (value: unknown) => boolean; reason: string }> = [
  { field: 'Version', ok: (v) => typeof v === 'string' && v.length > 0, reason: 'must be a non-empty string' },
  { field: 'TranDtls.SupTyp', ok: (v) => typeof v === 'string' && /^(B2B|SEZWP|SEZWOP|EXPWP|EXPWOP|DEXP)$/.test(v), reason: 'must be B2B, SEZWP, SEZWOP, EXPWP, EXPWOP or DEXP' },
  { field: 'DocDtls.Typ', ok: (v) => v === 'INV' || v === 'CRN' || v === 'DBN', reason: 'must be INV, CRN or DBN' },
  { field: 'DocDtls.No', ok: (v) => typeof v === 'string' && DOC_NO.test(v), reason: 'must be 1-16 letters, digits, / or -, not starting with 0, / or -' },
  { field: 'DocDtls.Dt', ok: (v) => parseDocDate(v) !== undefined, reason: 'must be a date dd/MM/yyyy' },
  { field: 'SellerDtls.Gstin', ok: (v) => typeof v === 'string', reason: 'must be a GSTIN' },
  { field: 'BuyerDtls.Gstin', ok: (v) => typeof v === 'string', reason: 'must be a GSTIN or URP' },
  { field: 'ItemList', ok: (v) => Array.isArray(v) && v.length > 0, reason: 'must be a non-empty array' },
  { field: 'ValDtls.TotInvVal', ok: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0, reason: 'must be a finite number >= 0' }
]

/** The first rule an invoice breaks, or undefined (before its IRN is looked at). */
function invoiceError(invoice: Record<string, unknown>): ItemError | undefined {
  for (const rule of FIELD_RULES) {
    if (!rule.ok(at(invoice, rule.field.split('.')))) return itemError('err-invalid-field', { field: rule.field, reason: rule.reason })
  }
  for (const field of ['SellerDtls.Gstin', 'BuyerDtls.Gstin']) {
    const value = at(invoice, field.split('.'))
    // Unregistered buyers (exports) are written URP, as on the IRP.
    if (field === 'BuyerDtls.Gstin' && value === 'URP') continue
    const problem = gstinProblem(value)
    if (problem) return itemError('err-invalid-gstin', { field, value, problem })
  }
  const docNo = at(invoice, ['DocDtls', 'No']) as string
  if (docNo.startsWith(FAIL_PREFIX)) return itemError('err-forced-failure', { field: 'DocDtls.No', DocNo: docNo })
  return undefined
}

/** A zip entry name for invoice `index` (1-based): `invoices/<index>-<document number, / replaced>`. */
export function invoiceFileBase(index: number, docNo: unknown): string {
  const safe = typeof docNo === 'string' ? docNo.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40) : ''
  return `invoices/${index}-${safe || 'invoice'}`
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value, null, 2), 'utf8')

/** The QR code's payload, as the IRP signs it. */
function qrData(invoice: Record<string, unknown>, irn: string, ackDt: string): Record<string, unknown> {
  const items = at(invoice, ['ItemList']) as unknown[]
  return {
    SellerGstin: at(invoice, ['SellerDtls', 'Gstin']),
    BuyerGstin: at(invoice, ['BuyerDtls', 'Gstin']),
    DocNo: at(invoice, ['DocDtls', 'No']),
    DocTyp: at(invoice, ['DocDtls', 'Typ']),
    DocDt: at(invoice, ['DocDtls', 'Dt']),
    TotInvVal: at(invoice, ['ValDtls', 'TotInvVal']),
    ItemCnt: items.length,
    MainHsnCode: at(items[0], ['HsnCd']) ?? null,
    Irn: irn,
    IrnDt: ackDt
  }
}

/** Derives the outcomes, the zip's files and the IRNs issued (§14). */
function derive(input: GenerationInput, context: DeriveContext): Derived {
  const { orgId, now, taskId } = context
  const ackDt = ackDateTime(now)
  const issuedHere = new Map<string, IssuedIrn>()
  const generatePdf = input.meta?.generatePdf === true
  const files: TaskFile[] = []
  const invoices = input.payload.map((invoice, i): InvoiceOutcome => {
    const base = invoiceFileBase(i + 1, at(invoice, ['DocDtls', 'No']))
    const outcome = {
      DocNo: at(invoice, ['DocDtls', 'No']) ?? null,
      DocDt: at(invoice, ['DocDtls', 'Dt']) ?? null,
      DocTyp: at(invoice, ['DocDtls', 'Typ']) ?? null,
      SellerGstin: at(invoice, ['SellerDtls', 'Gstin']) ?? null,
      BuyerGstin: at(invoice, ['BuyerDtls', 'Gstin']) ?? null,
      TotInvVal: at(invoice, ['ValDtls', 'TotInvVal']) ?? null
    }
    const fail = (error: ItemError): InvoiceOutcome => {
      files.push({ name: `${base}.json`, content: json({ status: 'failed', error }) })
      return { ...outcome, status: 'failed', error, file: `${base}.json` }
    }
    const invalid = invoiceError(invoice)
    if (invalid) return fail(invalid)
    const irn = irnOf(outcome.SellerGstin as string, financialYear(parseDocDate(outcome.DocDt)!), outcome.DocTyp as string, outcome.DocNo as string)
    const existing = issuedHere.get(irn) ?? context.issuedIrn(orgId, irn)
    if (existing) {
      return fail(itemError('err-duplicate-irn', { Irn: existing.irn, AckNo: existing.ackNo, AckDt: ackDateTime(existing.ackAt) }))
    }
    const ackNo = ackNoOf(irn, now)
    issuedHere.set(irn, { irn, orgId, ackNo, ackAt: now, taskId, cancelledAt: null })
    files.push({ name: `${base}.json`, content: async () => json(await irpAnswer(invoice, irn, ackNo, ackDt, context)) })
    if (generatePdf) {
      files.push({
        name: `${base}.pdf`,
        content: async () => einvoicePdf({ irn, ackNo, ackDt, signedQrCode: await context.sign(qrData(invoice, irn, ackDt)), invoice })
      })
    }
    return { ...outcome, status: 'success', Irn: irn, AckNo: ackNo, AckDt: ackDt, file: `${base}.json` }
  })
  const success = invoices.filter((outcome) => outcome.status === 'success').length
  const firstSeller = invoices[0]?.SellerGstin
  return {
    jobs: input.payload.length,
    result: {
      gstin: typeof firstSeller === 'string' ? firstSeller : null,
      summary: { total: invoices.length, success, failed: invoices.length - success },
      invoices
    },
    files,
    issue: [...issuedHere.values()]
  }
}

/**
 * The IRP's answer for one invoice, signed when the zip is built (nothing is kept: RS256 is
 * deterministic, so every download gives the same bytes).
 */
async function irpAnswer(invoice: Record<string, unknown>, irn: string, ackNo: string, ackDt: string, context: DeriveContext): Promise<Record<string, unknown>> {
  return {
    AckNo: Number(ackNo),
    AckDt: ackDt,
    Irn: irn,
    SignedInvoice: await context.sign({ ...invoice, AckNo: Number(ackNo), AckDt: ackDt, Irn: irn }),
    SignedQRCode: await context.sign(qrData(invoice, irn, ackDt)),
    Status: 'ACT',
    EwbNo: null,
    EwbDt: null,
    EwbValidTill: null,
    Remarks: null
  }
}

/** The operation (§13 table, first row). */
export const einvoiceBulkGeneration: Operation<GenerationInput> = {
  name: 'einvoice-bulk-generation',
  method: 'POST',
  routes: [{ url: '/enriched/einv/:version/:irp/invoices', params: EINV_PARAMS, envelope: einvEnvelope }],
  description: 'Bulk IRN generation: one outcome per invoice; download a zip with each IRP answer (and PDFs with meta.generatePdf)',
  check: (request) => checkBody(request.body),
  derive
}

/**
 * `gst-einvoice-download` (docs/behaviour.md §14): `POST /enriched/gstn/v1.0/einvoice/download`
 * with `{"retPeriod":"MMYYYY","supplyType","gstin","supplierGstin"|"recipientGstin"}`
 * (upstream-facts.md, "Operations that create tasks: routes and bodies"). The task's result lists
 * the e-invoices and its zip holds `result.json` and one `einvoices/<Irn>.json` per e-invoice;
 * the records are synthetic (gstn-records.ts), in the NIC e-invoice field names.
 *
 * The body is checked in two steps: its shape (types, formats, supply type), then the rules a
 * schema cannot state (GSTIN check characters, one counterparty at most, no self-supply).
 */
import { GSTIN_PATTERN, gstinProblem } from '../gstin.js'
import { EINVOICE_SUPPLY_TYPES, RET_PERIOD_PATTERN, einvoiceRecords, type EinvoiceSupplyType } from '../gstn-records.js'
import { InvalidSpecError, validator, type ValidationDetail } from '../validation.js'
import type { Derived, Operation } from './operation.js'

/** A checked body (properties other than these are ignored). */
export interface EinvoiceDownloadInput {
  /** The taxpayer's GSTIN. */
  gstin: string
  /** `MMYYYY`. */
  retPeriod: string
  supplyType: EinvoiceSupplyType
  /** Only e-invoices this GSTIN issued to the taxpayer. */
  supplierGstin?: string
  /** Only e-invoices the taxpayer issued to this GSTIN. */
  recipientGstin?: string
}

/** One e-invoice in the task's result: the record's key fields and its zip entry. */
export interface EinvoiceSummary {
  Irn: string
  DocNo: string
  /** `dd/MM/yyyy`. */
  DocDt: string
  DocTyp: string
  SellerGstin: string
  BuyerGstin: string
  /** Rupees. */
  TotInvVal: number
  AckNo: string
  /** `yyyy-MM-dd HH:mm:ss`, IST. */
  AckDt: string
  /** `einvoices/<Irn>.json`. */
  file: string
}

const gstinField = { type: 'string', pattern: GSTIN_PATTERN }

const checkShape = validator<EinvoiceDownloadInput>({
  type: 'object',
  required: ['retPeriod', 'supplyType', 'gstin'],
  properties: {
    retPeriod: { type: 'string', pattern: RET_PERIOD_PATTERN },
    supplyType: { enum: EINVOICE_SUPPLY_TYPES },
    gstin: gstinField,
    supplierGstin: gstinField,
    recipientGstin: gstinField
  }
})

const GSTIN_FIELDS = ['gstin', 'supplierGstin', 'recipientGstin'] as const

/**
 * Checks a download body.
 * @throws {InvalidSpecError} for a wrong shape (every violation), else for a GSTIN with a wrong
 *   check character, both `supplierGstin` and `recipientGstin`, or a counterparty equal to `gstin`
 */
function check(body: unknown): EinvoiceDownloadInput {
  const input = checkShape(body)
  const details: ValidationDetail[] = []
  for (const field of GSTIN_FIELDS) {
    const value = input[field]
    if (value !== undefined && gstinProblem(value) === 'check-character') {
      details.push({ path: `/${field}`, message: 'must have a valid check character' })
    }
  }
  if (input.supplierGstin !== undefined && input.recipientGstin !== undefined) {
    details.push({ path: '/recipientGstin', message: 'must not be given with supplierGstin' })
  }
  // The IRP refuses an invoice whose seller is its buyer, so no e-invoice could match.
  for (const field of ['supplierGstin', 'recipientGstin'] as const) {
    if (input[field] === input.gstin) details.push({ path: `/${field}`, message: 'must differ from gstin' })
  }
  if (details.length > 0) throw new InvalidSpecError(details)
  const { gstin, retPeriod, supplyType, supplierGstin, recipientGstin } = input
  return {
    gstin,
    retPeriod,
    supplyType,
    ...(supplierGstin !== undefined ? { supplierGstin } : {}),
    ...(recipientGstin !== undefined ? { recipientGstin } : {})
  }
}

function derive(input: EinvoiceDownloadInput): Derived {
  const { gstin, retPeriod, supplyType } = input
  const records = einvoiceRecords(gstin, retPeriod, supplyType, input)
  const invoices: EinvoiceSummary[] = records.map((r) => ({
    Irn: r.Irn,
    DocNo: r.DocDtls.No,
    DocDt: r.DocDtls.Dt,
    DocTyp: r.DocDtls.Typ,
    SellerGstin: r.SellerDtls.Gstin,
    BuyerGstin: r.BuyerDtls.Gstin,
    TotInvVal: r.ValDtls.TotInvVal,
    AckNo: r.AckNo,
    AckDt: r.AckDt,
    file: `einvoices/${r.Irn}.json`
  }))
  return {
    jobs: 1,
    result: { gstin, retPeriod, supplyType, count: invoices.length, invoices },
    files: records.map((r) => ({ name: `einvoices/${r.Irn}.json`, content: Buffer.from(JSON.stringify(r, null, 2), 'utf8') }))
  }
}

/** The GST e-invoice download: one task, its result listing the e-invoices, its zip holding them. */
export const gstEinvoiceDownload: Operation<EinvoiceDownloadInput> = {
  name: 'gst-einvoice-download',
  method: 'POST',
  routes: [{ url: '/enriched/gstn/:version/einvoice/download', params: { version: ['v1.0'] }, envelope: () => 'v3' }],
  description: 'GST e-invoice download: the e-invoices of a GSTIN for a return period and supply type (result + zip)',
  check: (request) => check(request.body),
  derive
}

/**
 * The built-in operations that create tasks (docs/behaviour.md §13 table), in the order
 * `GET /__admin/operations` lists them.
 */
import { einvoiceBulkCancellation } from './einvoice-cancellation.js'
import { einvoiceEwbByIrn } from './einvoice-ewb-by-irn.js'
import { einvoiceBulkGeneration } from './einvoice-generation.js'
import { ewaybillConsolidatedPdf } from './ewaybill-consolidated-pdf.js'
import { gcsGenerate } from './gcs-generate.js'
import { gstEinvoiceDownload } from './gst-einvoice-download.js'
import { gstReturnsDownload } from './gst-returns-download.js'
import { imsInvoicesDownload } from './ims-invoices-download.js'
import type { Operation } from './operation.js'

/** Every built-in operation. */
export const BUILT_IN_OPERATIONS: readonly Operation[] = [
  einvoiceBulkGeneration,
  einvoiceBulkCancellation,
  gstEinvoiceDownload,
  gstReturnsDownload,
  imsInvoicesDownload,
  einvoiceEwbByIrn,
  ewaybillConsolidatedPdf,
  gcsGenerate
]

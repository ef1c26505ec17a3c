/**
 * `einvoice-bulk-cancellation` (docs/behaviour.md §14): `POST /enriched/einv/{v1.0|v3.0}/{ni1|ni2}/invoices/cancel`
 * with `{"payload":[{"Irn","CnlRsn":"1".."4","CnlRem"}],"meta":null}` (upstream-facts.md). The
 * Result API gives one entry per item: `{"status":true,"details":"<JSON text>"}` or
 * `{"status":false,"error":{...}}`, the shape of seeded task `...0004`.
 *
 * An IRN issued by this server to the org (by a task still held) cancels once, within 24 hours
 * of its `AckDt` by the mock's clock. Items are judged in order: `Irn` and `CnlRsn` fields
 * (`err-invalid-field`), then `err-irn-not-found`, `err-irn-already-cancelled` (earlier in this
 * body too) and `err-cancellation-window-expired`.
 */
import { ackDateTime, CANCEL_WINDOW_MS, cancelDateTime, IRN_PATTERN } from '../irn.js'
import { validator } from '../validation.js'
import { bulkSchema, EINV_PARAMS, einvEnvelope } from './einvoice-generation.js'
import { itemError, type ItemError } from './item-errors.js'
import type { DeriveContext, Derived, Operation } from './operation.js'

/** A checked body: the items are objects, each judged on its own. */
export interface CancellationInput {
  payload: Array<Record<string, unknown>>
}

const checkBody = validator<CancellationInput>(bulkSchema({ type: 'object' }))

/** One item's entry in the result. */
export type CancellationOutcome = { status: true; details: string } | { status: false; error: ItemError }

/** The reasons the IRP accepts: 1 duplicate, 2 data entry mistake, 3 order cancelled, 4 other. */
const REASONS = new Set(['1', '2', '3', '4'])

function derive(input: CancellationInput, context: DeriveContext): Derived {
  const { orgId, now } = context
  const cancelledHere = new Map<string, number>()
  const result = input.payload.map((item): CancellationOutcome => {
    const fail = (error: ItemError): CancellationOutcome => ({ status: false, error })
    if (typeof item.Irn !== 'string' || !IRN_PATTERN.test(item.Irn)) {
      return fail(itemError('err-invalid-field', { field: 'Irn', reason: 'must be 64 hexadecimal characters' }))
    }
    if (typeof item.CnlRsn !== 'string' || !REASONS.has(item.CnlRsn)) {
      return fail(itemError('err-invalid-field', { field: 'CnlRsn', reason: 'must be "1", "2", "3" or "4"' }))
    }
    const irn = item.Irn.toLowerCase()
    const issued = context.issuedIrn(orgId, irn)
    if (!issued) return fail(itemError('err-irn-not-found', { Irn: irn }))
    const cancelledAt = cancelledHere.get(irn) ?? issued.cancelledAt
    if (cancelledAt !== null) return fail(itemError('err-irn-already-cancelled', { Irn: irn, CancelDate: cancelDateTime(cancelledAt) }))
    if (now >= issued.ackAt + CANCEL_WINDOW_MS) {
      return fail(itemError('err-cancellation-window-expired', { Irn: irn, AckDt: ackDateTime(issued.ackAt), windowHours: 24 }))
    }
    cancelledHere.set(irn, now)
    return { status: true, details: JSON.stringify({ Irn: irn, CancelDate: cancelDateTime(now) }) }
  })
  return { jobs: input.payload.length, result, cancel: [...cancelledHere].map(([irn, at]) => ({ irn, at })) }
}

/** The operation (§13 table, second row). */
export const einvoiceBulkCancellation: Operation<CancellationInput> = {
  name: 'einvoice-bulk-cancellation',
  method: 'POST',
  routes: [{ url: '/enriched/einv/:version/:irp/invoices/cancel', params: EINV_PARAMS, envelope: einvEnvelope }],
  description: 'Bulk IRN cancellation: one entry per item, within 24 hours of AckDt on the mock clock',
  check: (request) => checkBody(request.body),
  derive
}

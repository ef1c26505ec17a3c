/**
 * `einvoice-ewb-by-irn` (docs/behaviour.md §14, "The built-in operations", with
 * the producer rules of §13): `POST /enriched/einv/v3.0/{ni1|ni2}/invoices/generate-ewb` with
 * `{"payload":[{"Irn","Distance","TransId",...}],"meta":null}` (upstream-facts.md, Login section,
 * "Other operations answering a task id"). The Result API gives one entry per item, in order, in
 * the shape of the cancellation task (seeded task `...0004`): `{"status":true,"details":"<JSON
 * text of {Irn, EwbNo, EwbDt, EwbValidTill}>"}` or `{"status":false,"error":{...}}`. The
 * `details` fields and formats are the IRP's answer to "generate e-way bill by IRN".
 *
 * Items are judged in order: `Irn` (64 hex characters) and `Distance` (an integer 0..4000 km)
 * (`err-invalid-field`), `TransId` when given (`err-invalid-gstin`), then the IRN must have been
 * issued to the org by a task still held (`err-irn-not-found`) and not cancelled
 * (`err-irn-already-cancelled`). Other fields (transport mode, vehicle, ...) are not read.
 *
 * Validity ({@link ewbValidTill}), the rule of CGST Rule 138(10) for normal cargo as the NIC
 * portal applies it: one day per 200 km or part of it (`Distance` 0, which the portal would
 * compute from PIN codes, counts as one day); the first day ends at the midnight that follows the
 * day of generation, so `EwbValidTill` is 23:59:00 IST of the generation day (IST) plus the number
 * of days. Generated 2026-01-20 10:00 IST: 1-200 km -> `2026-01-21 23:59:00`, 201-400 km ->
 * `2026-01-22 23:59:00`, 4000 km -> `2026-02-09 23:59:00`.
 */
import { createHash } from 'node:crypto'
import { gstinProblem } from '../gstin.js'
import { ackDateTime, cancelDateTime, IRN_PATTERN } from '../irn.js'
import { validator } from '../validation.js'
import { bulkSchema } from './einvoice-generation.js'
import { itemError, type ItemError } from './item-errors.js'
import type { DeriveContext, Derived, Operation } from './operation.js'

/** A checked body: the items are objects, each judged on its own. */
export interface EwbByIrnInput {
  payload: Array<Record<string, unknown>>
}

const checkBody = validator<EwbByIrnInput>(bulkSchema({ type: 'object' }))

/** The `details` of a success, before it is written as JSON text. */
export interface EwbDetails {
  /** 64 lower-case hex characters. */
  Irn: string
  /** The e-way bill number: 12 digits, a JSON number as the IRP writes it. */
  EwbNo: number
  /** Generation time (the task's creation time), `yyyy-MM-dd HH:mm:ss` IST. */
  EwbDt: string
  /** End of validity, `yyyy-MM-dd 23:59:00` IST. */
  EwbValidTill: string
}

/** One item's entry in the result. */
export type EwbOutcome = { status: true; details: string } | { status: false; error: ItemError }

/** The longest distance an e-way bill may state, in km (the NIC limit). */
export const MAX_DISTANCE_KM = 4000

/** Kilometres of normal cargo one day of validity covers (NIC, since 2021). */
export const KM_PER_DAY = 200

const DAY_MS = 86_400_000

/**
 * The e-way bill number of an IRN: 12 digits, the first 1-9, from `sha256("ewb|<irn>")`. Equal
 * IRNs give equal numbers, so a client's test can predict it.
 * @param irn lower-case hex
 */
export function ewbNoOf(irn: string): number {
  const hash = createHash('sha256').update(`ewb|${irn}`).digest()
  return Number(100_000_000_000n + (hash.readBigUInt64BE(0) % 900_000_000_000n))
}

/**
 * Days of validity for a distance: one per {@link KM_PER_DAY} km or part of it, at least one.
 * @param distanceKm an integer 0..4000
 */
export const ewbValidDays = (distanceKm: number): number => Math.max(1, Math.ceil(distanceKm / KM_PER_DAY))

/**
 * When an e-way bill generated at `at` for `distanceKm` stops being valid (the rule in the module
 * docstring): 23:59:00 IST of the generation day plus {@link ewbValidDays} days.
 * @param at generation time, epoch ms
 * @returns `yyyy-MM-dd 23:59:00`, IST
 */
export function ewbValidTill(at: number, distanceKm: number): string {
  const generationDay = Date.parse(`${ackDateTime(at).slice(0, 10)}T00:00:00Z`)
  return `${new Date(generationDay + ewbValidDays(distanceKm) * DAY_MS).toISOString().slice(0, 10)} 23:59:00`
}

const validDistance = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_DISTANCE_KM

function derive(input: EwbByIrnInput, context: DeriveContext): Derived {
  const { orgId, now } = context
  const result = input.payload.map((item): EwbOutcome => {
    const fail = (error: ItemError): EwbOutcome => ({ status: false, error })
    if (typeof item.Irn !== 'string' || !IRN_PATTERN.test(item.Irn)) {
      return fail(itemError('err-invalid-field', { field: 'Irn', reason: 'must be 64 hexadecimal characters' }))
    }
    if (!validDistance(item.Distance)) {
      return fail(itemError('err-invalid-field', { field: 'Distance', reason: `must be an integer from 0 to ${MAX_DISTANCE_KM} (km)` }))
    }
    // NIC clients write an absent optional field as null as often as they leave it out.
    if (item.TransId !== undefined && item.TransId !== null) {
      const problem = gstinProblem(item.TransId)
      if (problem) return fail(itemError('err-invalid-gstin', { field: 'TransId', value: item.TransId, problem }))
    }
    const irn = item.Irn.toLowerCase()
    const issued = context.issuedIrn(orgId, irn)
    if (!issued) return fail(itemError('err-irn-not-found', { Irn: irn }))
    if (issued.cancelledAt !== null) return fail(itemError('err-irn-already-cancelled', { Irn: irn, CancelDate: cancelDateTime(issued.cancelledAt) }))
    const details: EwbDetails = { Irn: irn, EwbNo: ewbNoOf(irn), EwbDt: ackDateTime(now), EwbValidTill: ewbValidTill(now, item.Distance) }
    return { status: true, details: JSON.stringify(details) }
  })
  return { jobs: input.payload.length, result }
}

/** E-way bills by IRN (§14): one entry per item, for IRNs this server issued to the org and did not cancel. */
export const einvoiceEwbByIrn: Operation<EwbByIrnInput> = {
  name: 'einvoice-ewb-by-irn',
  method: 'POST',
  routes: [{ url: '/enriched/einv/:version/:irp/invoices/generate-ewb', params: { version: ['v3.0'], irp: ['ni1', 'ni2'] }, envelope: () => 'v3' }],
  description: 'E-way bills by IRN: one entry per item, for IRNs issued to the org and not cancelled (validity 1 day per 200 km)',
  check: (request) => checkBody(request.body),
  derive
}

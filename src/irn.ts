/**
 * IRN rules of the e-invoice operations (docs/behaviour.md §14, generation and cancellation).
 *
 * The IRP's IRN is a SHA-256 over the supplier GSTIN, the financial year, the document type and
 * the document number (upstream-facts.md). The mock computes it as
 * `sha256("<SellerGstin>|<financial year>|<DocTyp>|<DocNo>")` in lower-case hex, the financial
 * year written `2025-26` (April to March) from the document date `dd/MM/yyyy`, so a client can
 * predict the IRN of any invoice it submits.
 */
import { createHash } from 'node:crypto'

/** An IRN: 64 hex characters (compared in lower case). */
export const IRN_PATTERN = /^[0-9a-fA-F]{64}$/

/** How long after its acknowledgement an IRN can be cancelled, in ms (24 hours, upstream). */
export const CANCEL_WINDOW_MS = 24 * 3_600_000

/** India Standard Time's offset from UTC, in ms (+05:30, no daylight saving). */
const IST_OFFSET_MS = 5.5 * 3_600_000

/**
 * Parses an invoice date `dd/MM/yyyy` (a real calendar day, years 2000-2099).
 * @returns `{year, month, day}`, or undefined when the text is not such a date
 */
export function parseDocDate(text: unknown): { year: number; month: number; day: number } | undefined {
  if (typeof text !== 'string') return undefined
  const match = /^(\d{2})\/(\d{2})\/(20\d{2})$/.exec(text)
  if (!match) return undefined
  const [day, month, year] = [Number(match[1]), Number(match[2]), Number(match[3])]
  const date = new Date(Date.UTC(year, month - 1, day))
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined
  return { year, month, day }
}

/** The Indian financial year of a date (April to March), written `2025-26`. */
export function financialYear(date: { year: number; month: number }): string {
  const start = date.month >= 4 ? date.year : date.year - 1
  return `${start}-${String((start + 1) % 100).padStart(2, '0')}`
}

/**
 * The IRN of an invoice: `sha256("<SellerGstin>|<financial year>|<DocTyp>|<DocNo>")`, lower-case hex.
 * @param financialYearText as {@link financialYear} writes it
 */
export function irnOf(sellerGstin: string, financialYearText: string, docType: string, docNo: string): string {
  return createHash('sha256').update(`${sellerGstin}|${financialYearText}|${docType}|${docNo}`).digest('hex')
}

/**
 * The 15-digit acknowledgement number of an IRN issued at `at` (epoch ms): `1`, the two-digit
 * year, `1`, then 11 digits taken from the IRN, so equal IRNs issued the same year share it.
 */
export function ackNoOf(irn: string, at: number): string {
  const year = String(new Date(at + IST_OFFSET_MS).getUTCFullYear() % 100).padStart(2, '0')
  const digits = (BigInt(`0x${irn.slice(0, 16)}`) % 100_000_000_000n).toString().padStart(11, '0')
  return `1${year}1${digits}`
}

/** The parts of an instant in IST. */
function istParts(at: number): { date: string; time: string; dmy: string } {
  const iso = new Date(at + IST_OFFSET_MS).toISOString()
  const date = iso.slice(0, 10)
  return { date, time: iso.slice(11, 19), dmy: `${date.slice(8, 10)}/${date.slice(5, 7)}/${date.slice(0, 4)}` }
}

/** An instant as the IRP writes `AckDt`: `yyyy-MM-dd HH:mm:ss` in IST. */
export function ackDateTime(at: number): string {
  const { date, time } = istParts(at)
  return `${date} ${time}`
}

/** An instant as the cancellation's `CancelDate`: `dd/MM/yyyy HH:mm:ss` in IST. */
export function cancelDateTime(at: number): string {
  const { dmy, time } = istParts(at)
  return `${dmy} ${time}`
}

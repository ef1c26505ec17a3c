/**
 * `ewaybill-consolidated-pdf` (docs/behaviour.md §14, "The built-in operations",
 * with the producer rules of §13; the kind of the seeded task `...0006`):
 * `GET /enriched/eway/v1.0/{ew1|ew2}/eway-bills/download-cewb-pdf/{trip-sheet-number}`, no body,
 * answered in the v3.0-style envelope (upstream-facts.md, Login section, "Other operations
 * answering a task id": a zip with the PDF and a JSON).
 *
 * The consolidated e-way bill is synthetic and deterministic: the trip sheet number and the org's
 * GSTIN choose every value, the task's creation time only anchors the dates (within the week
 * before it, IST). Its field names, file names (`cewb/CEWB-<n>.pdf`, `cewb/CEWB-<n>.json`) and
 * formats are those of `fixtures/tasks/06-ewaybill-consolidated-pdf.json`; the Result API gives
 * the same JSON as the zip's JSON file. The trip sheet number is the consolidated e-way bill's
 * number (`cEwbNo`), as on the NIC portal.
 */
import { show, startPdf } from '../einvoice-pdf.js'
import { seedOf } from '../gstn-records.js'
import { cancelDateTime } from '../irn.js'
import { prng, syntheticGstin } from '../synthetic.js'
import { InvalidSpecError } from '../validation.js'
import type { DeriveContext, Derived, Operation, OperationRequest } from './operation.js'

/** A checked request. */
export interface CewbInput {
  /** The trip sheet number: 1-20 digits, leading zeros removed (`007` and `7` are one number). */
  tripSheetNumber: string
}

/** One e-way bill of the trip sheet (fixture 06's field names). */
export interface TripSheetEwbBill {
  /** 12 digits. */
  ewbNo: number
  /** `dd/MM/yyyy`, IST. */
  ewbDate: string
  docNo: string
  /** `dd/MM/yyyy`, IST; on or before `ewbDate`. */
  docDate: string
  /** A synthetic GSTIN with a valid check character. */
  toGstin: string
  /** Rupees, at most 2 decimals. */
  totInvValue: number
}

/** The consolidated e-way bill: the zip's JSON file and the task's result (fixture 06's field names). */
export interface ConsolidatedEwb {
  /**
   * The trip sheet number, a JSON number as in fixture 06; as a string of digits when it is
   * beyond `Number.MAX_SAFE_INTEGER` (some 16-digit numbers and all longer ones), which a JSON number cannot carry exactly.
   */
  cEwbNo: number | string
  /** `dd/MM/yyyy HH:mm:ss`, IST, at most 12 hours before the task's creation. */
  cEwbDate: string
  /** The org's GSTIN. */
  userGstin: string
  fromPlace: string
  /** The state code of `userGstin`, as a number. */
  fromState: number
  /** An Indian registration number, e.g. `KA01ZZ0000`, of the `fromState`'s letters. */
  vehicleNo: string
  /** `"1"`: road. */
  transMode: string
  /** 2-8 e-way bills, oldest first. */
  tripSheetEwbBills: TripSheetEwbBill[]
}

const TRIP_SHEET_NUMBER = /^\d{1,20}$/
const DAY_MS = 86_400_000

/** A city and the vehicle registration letters of each GST state code. */
const STATES: Readonly<Record<string, readonly [string, string]>> = {
  '01': ['Srinagar', 'JK'], '02': ['Shimla', 'HP'], '03': ['Ludhiana', 'PB'], '04': ['Chandigarh', 'CH'],
  '05': ['Dehradun', 'UK'], '06': ['Gurugram', 'HR'], '07': ['New Delhi', 'DL'], '08': ['Jaipur', 'RJ'],
  '09': ['Lucknow', 'UP'], '10': ['Patna', 'BR'], '11': ['Gangtok', 'SK'], '12': ['Itanagar', 'AR'],
  '13': ['Kohima', 'NL'], '14': ['Imphal', 'MN'], '15': ['Aizawl', 'MZ'], '16': ['Agartala', 'TR'],
  '17': ['Shillong', 'ML'], '18': ['Guwahati', 'AS'], '19': ['Kolkata', 'WB'], '20': ['Ranchi', 'JH'],
  '21': ['Bhubaneswar', 'OD'], '22': ['Raipur', 'CG'], '23': ['Indore', 'MP'], '24': ['Ahmedabad', 'GJ'],
  '25': ['Daman', 'DD'], '26': ['Silvassa', 'DD'], '27': ['Mumbai', 'MH'], '28': ['Vijayawada', 'AP'],
  '29': ['Bengaluru', 'KA'], '30': ['Panaji', 'GA'], '31': ['Kavaratti', 'LD'], '32': ['Kochi', 'KL'],
  '33': ['Chennai', 'TN'], '34': ['Puducherry', 'PY'], '35': ['Port Blair', 'AN'], '36': ['Hyderabad', 'TS'],
  '37': ['Visakhapatnam', 'AP'], '38': ['Leh', 'LA']
}
// 97 (other territory), 99 (centre jurisdiction) and unassigned codes name no city or vehicle letters.
const OTHER_STATE: readonly [string, string] = ['Other Territory', 'DL']

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'

/**
 * Checks the path: `tripSheetNumber` must be 1 to 20 digits.
 * @throws {InvalidSpecError} `[{path: '/trip-sheet-number', message: 'must be 1 to 20 digits'}]`
 */
function check(request: OperationRequest): CewbInput {
  const value = request.params.tripSheetNumber
  if (value === undefined || !TRIP_SHEET_NUMBER.test(value)) {
    throw new InvalidSpecError([{ path: '/trip-sheet-number', message: 'must be 1 to 20 digits' }])
  }
  return { tripSheetNumber: value.replace(/^0+(?=\d)/, '') }
}

/**
 * The consolidated e-way bill of a trip sheet. Pure: equal arguments give an equal value.
 * @param tripSheetNumber digits without leading zeros (as {@link CewbInput} holds it)
 * @param gstin the org's GSTIN
 * @param now the task's creation time, epoch ms
 */
export function consolidatedEwb(tripSheetNumber: string, gstin: string, now: number): ConsolidatedEwb {
  const random = prng(seedOf('cewb', gstin, tripSheetNumber))
  const between = (min: number, max: number): number => min + Math.floor(random() * (max - min + 1))
  const letter = (): string => LETTERS[between(0, 25)] as string
  const [fromPlace, plate] = STATES[gstin.slice(0, 2)] ?? OTHER_STATE
  const cEwbAt = now - between(0, 12 * 60) * 60_000
  const day = (daysBefore: number): string => cancelDateTime(cEwbAt - daysBefore * DAY_MS).slice(0, 10)
  // Oldest first. Documents at most 4 + 1 days before the consolidation's IST day, which is today or
  // yesterday (it is at most 12 hours old): every date is one of the 7 IST days ending today.
  const ages = Array.from({ length: between(2, 8) }, () => between(0, 4)).sort((a, b) => b - a)
  let ewbNo = between(100_000_000_000, 899_999_999_999)
  let docSerial = between(1, 5000)
  const tripSheetEwbBills = ages.map((age): TripSheetEwbBill => {
    // Increasing numbers: no e-way bill or document number repeats within a trip sheet.
    ewbNo += between(1, 99_999)
    docSerial += between(1, 40)
    const ewbDate = day(age)
    return {
      ewbNo,
      ewbDate,
      docNo: `INV-${ewbDate.slice(6)}-${String(docSerial).padStart(4, '0')}`,
      docDate: day(age + between(0, 1)),
      toGstin: syntheticGstin(random),
      totInvValue: between(100_000, 50_000_000) / 100
    }
  })
  const asNumber = Number(tripSheetNumber)
  return {
    cEwbNo: Number.isSafeInteger(asNumber) ? asNumber : tripSheetNumber,
    cEwbDate: cancelDateTime(cEwbAt),
    userGstin: gstin,
    fromPlace,
    fromState: Number(gstin.slice(0, 2)),
    vehicleNo: `${plate}${String(between(1, 99)).padStart(2, '0')}${letter()}${letter()}${String(between(1, 9999)).padStart(4, '0')}`,
    transMode: '1',
    tripSheetEwbBills
  }
}

const MARGIN = 36
const WIDTH = 595.28 - 2 * MARGIN
// The value column takes what the others (428 pt and 6 gaps of 2 pt) leave, so the table spans the page.
const VALUE_WIDTH = WIDTH - 440

/**
 * The consolidated e-way bill as a one-page A4 PDF: its number, date, generator, vehicle, from
 * place and state, and a table of its e-way bills. Deterministic: equal inputs give equal bytes.
 * @returns the PDF file's bytes
 */
export async function consolidatedEwbPdf(cewb: ConsolidatedEwb): Promise<Buffer> {
  const { doc, bytes } = await startPdf(show(`Consolidated E-Way Bill ${cewb.cEwbNo}`))
  // One line each, cut at its width, so no value can move the layout.
  const text = (value: unknown, x: number, y: number, width: number, size = 9, bold = false, align: 'left' | 'right' = 'left'): void => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(size).text(show(value), x, y, { width, height: size * 1.4, ellipsis: true, align })
  }
  const rule = (y: number): void => {
    doc.moveTo(MARGIN, y).lineTo(MARGIN + WIDTH, y).lineWidth(0.5).stroke()
  }

  text('Consolidated E-Way Bill', MARGIN, MARGIN, WIDTH, 18, true)
  const fields: Array<[string, unknown]> = [
    ['CEWB No', cewb.cEwbNo], ['Date', cewb.cEwbDate], ['Generated by', cewb.userGstin], ['From place', cewb.fromPlace],
    ['From state', cewb.fromState], ['Vehicle No', cewb.vehicleNo], ['Mode', 'Road']
  ]
  fields.forEach(([label, value], i) => {
    text(label, MARGIN, 70 + i * 15, 90, 9, true)
    text(value, MARGIN + 92, 70 + i * 15, WIDTH - 92)
  })

  const columns: Array<[string, (bill: TripSheetEwbBill, i: number) => unknown, number, 'left' | 'right']> = [
    ['#', (_, i) => i + 1, 20, 'left'],
    ['EWB No', (bill) => bill.ewbNo, 86, 'left'],
    ['EWB Date', (bill) => bill.ewbDate, 60, 'left'],
    ['Doc No', (bill) => bill.docNo, 96, 'left'],
    ['Doc Date', (bill) => bill.docDate, 60, 'left'],
    ['To GSTIN', (bill) => bill.toGstin, 106, 'left'],
    ['Value (Rs)', (bill) => bill.totInvValue.toFixed(2), VALUE_WIDTH, 'right']
  ]
  const row = (y: number, cell: (column: (typeof columns)[number]) => unknown, bold: boolean): void => {
    let x = MARGIN
    for (const column of columns) {
      text(cell(column), x, y, column[2], 8.5, bold, column[3])
      x += column[2] + 2
    }
  }
  text(`E-way bills (${cewb.tripSheetEwbBills.length})`, MARGIN, 184, WIDTH, 11, true)
  row(202, ([label]) => label, true)
  rule(215)
  let y = 220
  cewb.tripSheetEwbBills.forEach((bill, i) => {
    row(y, ([, value]) => value(bill, i), false)
    y += 13
  })
  rule(y + 2)
  // Paise summed as integers: a float sum of rupees could print 0.01 off.
  const total = cewb.tripSheetEwbBills.reduce((paise, bill) => paise + Math.round(bill.totInvValue * 100), 0) / 100
  text('Total value (Rs)', MARGIN, y + 8, WIDTH - VALUE_WIDTH - 2, 9, true, 'right')
  text(total.toFixed(2), MARGIN + WIDTH - VALUE_WIDTH, y + 8, VALUE_WIDTH, 9, true, 'right')
  text('Synthetic demo document - not valid for transport.', MARGIN, y + 36, WIDTH, 8)

  doc.end()
  return bytes
}

function derive(input: CewbInput, context: DeriveContext): Derived {
  const { tripSheetNumber } = input
  const cewb = consolidatedEwb(tripSheetNumber, context.orgGstin(context.orgId), context.now)
  const base = `cewb/CEWB-${tripSheetNumber}`
  return {
    jobs: 1,
    result: cewb,
    files: [
      // pdfkit loads and draws only when the zip is built: a submit never waits for it.
      { name: `${base}.pdf`, content: async () => consolidatedEwbPdf(cewb) },
      { name: `${base}.json`, content: Buffer.from(JSON.stringify(cewb, null, 2), 'utf8') }
    ]
  }
}

/** The consolidated e-way bill download (§14): a zip with its PDF and JSON; the JSON is the result too. */
export const ewaybillConsolidatedPdf: Operation<CewbInput> = {
  name: 'ewaybill-consolidated-pdf',
  method: 'GET',
  routes: [
    {
      url: '/enriched/eway/:version/:ewb/eway-bills/download-cewb-pdf/:tripSheetNumber',
      params: { version: ['v1.0'], ewb: ['ew1', 'ew2'] },
      envelope: () => 'v3'
    }
  ],
  description: 'Consolidated e-way bill download: a zip with the trip sheet PDF and JSON (synthetic, from the trip sheet number)',
  check,
  derive
}

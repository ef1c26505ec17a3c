/**
 * The PDF of one generated e-invoice, laid out as the IRP prints it: IRN, acknowledgement,
 * document, seller, buyer, items, totals, and the signed QR code drawn as a scannable QR image.
 */
import { createRequire } from 'node:module'
import type QRCodeModule from 'qrcode'

/** What the PDF shows. */
export interface EinvoicePdfInput {
  /** The IRN: 64 lower-case hex characters. */
  irn: string
  /** The acknowledgement number: 15 digits. */
  ackNo: string
  /** The acknowledgement date in IST, `yyyy-MM-dd HH:mm:ss`. */
  ackDt: string
  /** The signed QR code, a compact JWS (~700-1200 characters); the QR encodes exactly this text. */
  signedQrCode: string
  /** The submitted NIC e-invoice JSON (schema 1.1). Untrusted: any JSON value is drawn without throwing. */
  invoice: unknown
}

// qrcode loads its PNG, SVG and terminal renderers too (~15 ms): loaded on first use, like pdfkit.
let qrcode: typeof QRCodeModule | undefined
const require = createRequire(import.meta.url)

// pdfkit takes ~90 ms to load: the server's start-up must not pay for it, only the first PDF.
let pdfkitModule: Promise<{ default: typeof import('pdfkit') }> | undefined

// The bytes must not depend on the clock: pdfkit derives the file /ID from `info`, dates included.
const FIXED_DATE_MS = Date.UTC(2000, 0, 1)
const MAX_CHARS = 80
const MAX_ROWS = 30
const MARGIN = 36
const QR_WIDTH = 200
const QUIET_ZONE = 4
const A4_WIDTH = 595.28

/**
 * The QR code (error correction level L) of `text`, as a module matrix.
 * @returns `size` in modules (no quiet zone) and `dark(x, y)`, column x and row y from the top
 *   left; false outside `0..size-1`, so callers can draw the quiet zone by asking for it
 * @throws Error from `qrcode` when `text` is empty or longer than a QR code holds (~2,900 bytes)
 */
export function qrMatrix(text: string): { size: number; dark: (x: number, y: number) => boolean } {
  qrcode ??= require('qrcode') as typeof QRCodeModule
  const { size, data } = qrcode.create(text, { errorCorrectionLevel: 'L' }).modules
  const dark = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < size && y < size && data[y * size + x] === 1
  return { size, dark }
}

/** An own field of a plain object, else undefined: arrays, primitives and inherited keys have none. */
function pick(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined
  return (value as Record<string, unknown>)[key]
}

/**
 * Text safe for a standard (WinAnsi) font: a scalar as text, anything else '-'; capped at 80
 * characters, and any character outside printable Latin-1 made '?' so that no glyph is missing
 * and no control moves text. Shared by every PDF this server draws.
 */
export function show(value: unknown): string {
  const scalar = ['string', 'number', 'boolean', 'bigint'].includes(typeof value)
  const text = scalar ? String(value) : ''
  if (text === '') return '-'
  const capped = text.length > MAX_CHARS ? `${text.slice(0, MAX_CHARS - 3)}...` : text
  return capped.replace(/[^\x20-\x7E\xA0-\xFF]/gu, '?')
}

/**
 * Starts an A4 PDF (36 pt margins) whose bytes do not depend on the clock: fixed info dates, our
 * producer and creator, the given title. pdfkit is loaded on the first call.
 * @param title the info dictionary's `Title` (pass it through {@link show})
 * @returns the document to draw on, and its bytes, which resolve once `doc.end()` is called
 */
export async function startPdf(title: string): Promise<{ doc: PDFKit.PDFDocument; bytes: Promise<Buffer> }> {
  const { default: PDFDocument } = await (pdfkitModule ??= import('pdfkit'))
  const date = new Date(FIXED_DATE_MS)
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    info: { CreationDate: date, ModDate: date, Producer: 'enriched-tasks-mock', Creator: 'enriched-tasks-mock', Title: title }
  })
  const chunks: Buffer[] = []
  const bytes = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk))
    doc.on('end', () => resolve(Buffer.concat(chunks)))
    doc.on('error', reject)
  })
  return { doc, bytes }
}

/**
 * Builds the PDF: one A4 page (the item table stops at 30 rows, then says how many more).
 * Deterministic: equal inputs give equal bytes, whatever the clock or time zone.
 * @returns the PDF file's bytes
 * @throws Error when `signedQrCode` cannot be a QR code (see {@link qrMatrix}); never for a JSON `invoice`
 */
export async function einvoicePdf(input: EinvoicePdfInput): Promise<Buffer> {
  const qr = qrMatrix(input.signedQrCode)
  const { invoice } = input
  const docDtls = pick(invoice, 'DocDtls')
  const { doc, bytes } = await startPdf(`e-Invoice ${show(pick(docDtls, 'No'))}`)

  // Every text is one line cut with an ellipsis at its width, so the layout below never moves.
  const text = (value: string, x: number, y: number, width: number, size = 8.5, bold = false, align: 'left' | 'right' | 'center' = 'left'): void => {
    doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(size).text(value, x, y, { width, height: size * 1.4, ellipsis: true, align })
  }
  const field = (label: string, value: unknown, x: number, y: number, width: number): void => {
    text(label, x, y, 70, 8.5, true)
    text(show(value), x + 72, y, width - 72)
  }
  const rule = (y: number): void => {
    doc.moveTo(MARGIN, y).lineTo(A4_WIDTH - MARGIN, y).lineWidth(0.5).stroke()
  }

  const qrX = A4_WIDTH - MARGIN - QR_WIDTH
  const leftWidth = qrX - MARGIN - 12
  text('e-Invoice', MARGIN, MARGIN, leftWidth, 18, true)
  text('IRN', MARGIN, 66, leftWidth, 8.5, true)
  text(show(input.irn), MARGIN, 78, leftWidth, 8.5)
  const headFields: [string, unknown][] = [['Ack No', input.ackNo], ['Ack Date', input.ackDt], ['Doc Type', pick(docDtls, 'Typ')], ['Doc No', pick(docDtls, 'No')], ['Doc Date', pick(docDtls, 'Dt')]]
  headFields.forEach(([label, value], i) => field(label, value, MARGIN, 96 + i * 14, leftWidth))

  // Runs of dark modules as rectangles, filled once: a few hundred operators instead of thousands.
  const module = QR_WIDTH / (qr.size + 2 * QUIET_ZONE)
  for (let y = 0; y < qr.size; y++) {
    for (let x = 0; x < qr.size; x++) {
      if (!qr.dark(x, y)) continue
      const start = x
      while (qr.dark(x + 1, y)) x++
      doc.rect(qrX + (QUIET_ZONE + start) * module, MARGIN + (QUIET_ZONE + y) * module, (x + 1 - start) * module, module)
    }
  }
  doc.fillColor('black').fill()
  text('Signed QR code', qrX, MARGIN + QR_WIDTH + 2, QR_WIDTH, 8, false, 'center')

  const half = (A4_WIDTH - 2 * MARGIN - 12) / 2
  const parties: [string, string, [string, string][]][] = [
    ['Seller', 'SellerDtls', [['GSTIN', 'Gstin'], ['Legal name', 'LglNm'], ['Address', 'Addr1'], ['Location', 'Loc'], ['PIN', 'Pin'], ['State code', 'Stcd']]],
    ['Buyer', 'BuyerDtls', [['GSTIN', 'Gstin'], ['Legal name', 'LglNm'], ['Place of supply', 'Pos'], ['Address', 'Addr1'], ['Location', 'Loc'], ['PIN', 'Pin'], ['State code', 'Stcd']]]
  ]
  parties.forEach(([heading, key, fields], column) => {
    const x = MARGIN + column * (half + 12)
    text(heading, x, 256, half, 10, true)
    fields.forEach(([label, name], i) => field(label, pick(pick(invoice, key), name), x, 272 + i * 12, half))
  })

  const columns: [string, string, number][] = [
    ['#', 'SlNo', 22], ['Description', 'PrdDesc', 150], ['HSN', 'HsnCd', 48], ['Qty', 'Qty', 42], ['Unit', 'Unit', 32],
    ['Unit price', 'UnitPrice', 56], ['Taxable', 'AssAmt', 60], ['GST %', 'GstRt', 34], ['Item total', 'TotItemVal', 64]
  ]
  const row = (y: number, cell: (name: string, label: string) => string, bold: boolean): void => {
    let x = MARGIN
    for (const [label, name, width] of columns) {
      text(cell(name, label), x, y, width - 4, 8, bold, x === MARGIN || name === 'PrdDesc' || name === 'Unit' ? 'left' : 'right')
      x += width + 2
    }
  }
  text('Items', MARGIN, 366, 200, 10, true)
  row(382, (_, label) => label, true)
  rule(394)
  const list = pick(invoice, 'ItemList')
  const items: unknown[] = Array.isArray(list) ? list : []
  let y = 398
  for (const item of items.slice(0, MAX_ROWS)) {
    row(y, (name) => show(pick(item, name)), false)
    y += 11
  }
  if (items.length === 0) text('(no items)', MARGIN, y, 200, 8)
  if (items.length > MAX_ROWS) text(`... and ${items.length - MAX_ROWS} more items`, MARGIN, y, 300, 8)
  y += 11
  rule(y + 2)

  const totals: [string, string][] = [['Taxable value', 'AssVal'], ['CGST', 'CgstVal'], ['SGST', 'SgstVal'], ['IGST', 'IgstVal'], ['Invoice total', 'TotInvVal']]
  const valDtls = pick(invoice, 'ValDtls')
  text('Totals', MARGIN, y + 8, 200, 10, true)
  totals.forEach(([label, name], i) => {
    const x = MARGIN + i * 105
    text(label, x, y + 24, 100, 8.5, true, 'right')
    text(show(pick(valDtls, name)), x, y + 36, 100, 8.5, false, 'right')
  })

  doc.end()
  return bytes
}

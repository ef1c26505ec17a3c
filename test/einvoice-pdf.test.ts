import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { inflateSync } from 'node:zlib'
import jsqr from 'jsqr'
import { parsePdf } from './helpers/pdf.js'
import t, { type Test } from 'tap'
import { einvoicePdf, qrMatrix, type EinvoicePdfInput } from '../src/einvoice-pdf.js'

// pdfjs needs the metrics of the 14 standard fonts (the PDF embeds none) from its own package.

// jsqr is CommonJS whose typings declare `export default`: from ESM the function is module.exports.default.
const jsQR = jsqr.default

const IRN = createHash('sha256').update('29AWGPV7107B1Z1|2025-26|INV|INV/2025-26/0001').digest('hex')

const base64url = (bytes: Buffer | string): string => Buffer.from(bytes).toString('base64url')
/** A JWS shaped like the IRP's SignedQRCode: RS256 header, the QR payload, a 256-byte signature. */
const SIGNED_QR = [
  base64url(JSON.stringify({ alg: 'RS256', kid: '0B3C1C1B9FB1A6F36FCA1A7C0E3AD0D3A2D16E22', typ: 'JWT', x5t: 'CzwcG5-xpvNvyhp8DjrQ06LRbiI' })),
  base64url(JSON.stringify({
    data: JSON.stringify({
      SellerGstin: '29AWGPV7107B1Z1', BuyerGstin: '27AAACI1681G1ZJ', DocNo: 'INV/2025-26/0001', DocTyp: 'INV', DocDt: '01/04/2025',
      TotInvVal: 118000, ItemCnt: 1, MainHsnCode: '847130', Irn: IRN, IrnDt: '2025-04-01 10:15:00'
    }),
    iss: 'NIC'
  })),
  base64url(Buffer.concat(Array.from({ length: 8 }, (_, i) => createHash('sha256').update(`sig ${i}`).digest())))
].join('.')

const INVOICE = {
  Version: '1.1',
  DocDtls: { Typ: 'INV', No: 'INV/2025-26/0001', Dt: '01/04/2025' },
  SellerDtls: { Gstin: '29AWGPV7107B1Z1', LglNm: 'Café Ñandú Traders', Addr1: '12 MG Road', Loc: 'Bengaluru', Pin: 560001, Stcd: '29' },
  BuyerDtls: { Gstin: '27AAACI1681G1ZJ', LglNm: 'Buyer Industries Ltd', Pos: '27', Addr1: '1 Marine Drive', Loc: 'Mumbai', Pin: 400001, Stcd: '27' },
  ItemList: [{ SlNo: '1', PrdDesc: 'Laptop', HsnCd: '847130', Qty: 2, Unit: 'NOS', UnitPrice: 50000, AssAmt: 100000, GstRt: 18, TotItemVal: 118000 }],
  ValDtls: { AssVal: 100000, CgstVal: 0, SgstVal: 0, IgstVal: 18000, TotInvVal: 118000 }
}
const INPUT: EinvoicePdfInput = { irn: IRN, ackNo: '112510000000001', ackDt: '2025-04-01 10:15:00', signedQrCode: SIGNED_QR, invoice: INVOICE }


/** The `x y w h re` rectangles of the PDF's (deflated) content streams, in pdfkit's top-down user space. */
function drawnRects(t: Test, pdf: Buffer): number[][] {
  const rects: number[][] = []
  for (const [, stream] of pdf.toString('latin1').matchAll(/stream\n([\s\S]*?)\nendstream/g)) {
    const content = inflateSync(Buffer.from(stream!, 'latin1')).toString('latin1')
    const afterRects = content.slice(content.lastIndexOf(' re\n'))
    t.equal(/\n(f|f\*|F|S|s|B|B\*|b|b\*|n)\n/.exec(afterRects)?.[1], 'f', 'the rectangles are filled, not stroked')
    for (const match of content.matchAll(/([-\d.]+) ([-\d.]+) ([-\d.]+) ([-\d.]+) re\n/g)) rects.push(match.slice(1, 5).map(Number))
  }
  return rects
}

/** A black-on-white RGBA image of a module matrix, 4 px a module, with a 4-module quiet zone. */
function render(size: number, dark: (x: number, y: number) => boolean): { data: Uint8ClampedArray; width: number } {
  const px = 4
  const width = (size + 8) * px
  const data = new Uint8ClampedArray(width * width * 4)
  for (let y = 0; y < width; y++) {
    for (let x = 0; x < width; x++) {
      const value = dark(Math.floor(x / px) - 4, Math.floor(y / px) - 4) ? 0 : 255
      data.set([value, value, value, 255], (y * width + x) * 4)
    }
  }
  return { data, width }
}

t.test('the page shows the IRN, acknowledgement, document, parties, items and totals as text', async (t) => {
  t.equal(SIGNED_QR.length > 850 && SIGNED_QR.length < 1000, true, `a realistic JWS length: ${SIGNED_QR.length}`)
  const { pages, texts } = await parsePdf(await einvoicePdf(INPUT))
  t.equal(pages, 1)
  for (const expected of ['e-Invoice', IRN, '112510000000001', '2025-04-01 10:15:00', 'INV', 'INV/2025-26/0001', '01/04/2025', '29AWGPV7107B1Z1',
    'Café Ñandú Traders', '560001', '27AAACI1681G1ZJ', 'Buyer Industries Ltd', 'Laptop', '847130', '50000', '118000', '18000', 'Signed QR code']) {
    t.ok(texts.includes(expected), `shows ${expected}`)
  }
  t.notOk(texts.includes('(no items)'))
})

t.test('the info dictionary is fixed: UTC 2000-01-01 dates, our producer, the document number in the title', async (t) => {
  const { info } = await parsePdf(await einvoicePdf(INPUT))
  t.match(info, { Title: 'e-Invoice INV/2025-26/0001', Producer: 'enriched-tasks-mock', Creator: 'enriched-tasks-mock', CreationDate: 'D:20000101000000Z', ModDate: 'D:20000101000000Z' })
})

t.test('qrMatrix encodes the signed QR code so that a QR reader decodes exactly that text', async (t) => {
  const qr = qrMatrix(SIGNED_QR)
  t.equal((qr.size - 17) % 4, 0, 'a QR size: 4 × version + 17')
  t.equal([qr.dark(-1, 0), qr.dark(0, -1), qr.dark(qr.size, 0), qr.dark(0, qr.size)].some(Boolean), false, 'light outside the symbol')
  t.equal(qr.dark(0, 0) && qr.dark(6, 6) && !qr.dark(1, 1), true, 'a finder pattern at the top left')
  const image = render(qr.size, qr.dark)
  t.equal(jsQR(image.data, image.width, image.width)?.data, SIGNED_QR)
})

t.test('the page draws that matrix as filled rectangles, ~200 pt wide with its quiet zone, and it decodes', async (t) => {
  const qr = qrMatrix(SIGNED_QR)
  const rects = drawnRects(t, await einvoicePdf(INPUT))
  let runs = 0
  for (let y = 0; y < qr.size; y++) for (let x = 0; x < qr.size; x++) if (qr.dark(x, y) && !qr.dark(x - 1, y)) runs++
  t.equal(rects.length, runs, 'one rectangle per horizontal run of dark modules')
  const module = Math.min(...rects.map((r) => r[3]!))
  t.same(new Set(rects.map((r) => r[3])), new Set([module]), 'every rectangle is one module high')
  const width = (qr.size + 8) * module
  t.ok(width > 195 && width < 205, `QR width with the quiet zone: ${width} pt`)
  const [left, top] = [Math.min(...rects.map((r) => r[0]!)), Math.min(...rects.map((r) => r[1]!))]
  const drawn = new Set<string>()
  for (const [x, y, w] of rects) {
    const [column, row] = [Math.round((x! - left) / module), Math.round((y! - top) / module)]
    for (let i = 0; i < Math.round(w! / module); i++) drawn.add(`${column + i},${row}`)
  }
  let mismatches = 0
  for (let y = 0; y < qr.size; y++) for (let x = 0; x < qr.size; x++) if (drawn.has(`${x},${y}`) !== qr.dark(x, y)) mismatches++
  t.equal(mismatches, 0, 'the drawn modules are the matrix')
  t.equal(drawn.size, [...Array(qr.size * qr.size).keys()].filter((i) => qr.dark(i % qr.size, Math.floor(i / qr.size))).length, 'nothing else drawn')
  const image = render(qr.size, (x, y) => drawn.has(`${x},${y}`))
  t.equal(jsQR(image.data, image.width, image.width)?.data, SIGNED_QR, 'the drawn QR decodes to the signed QR code')
})

t.test('equal inputs give equal bytes, whatever the wall clock or the time zone', async (t) => {
  const saved = process.env.TZ
  t.teardown(() => {
    if (saved === undefined) delete process.env.TZ
    else process.env.TZ = saved
  })
  process.env.TZ = 'Asia/Kolkata'
  const first = await einvoicePdf(INPUT)
  t.equal(new Date(0).getHours(), 5, 'the time zone change took effect')
  await sleep(1100) // PDF dates have 1 s resolution: a clock-derived date would now differ
  process.env.TZ = 'America/Los_Angeles'
  const second = await einvoicePdf(structuredClone(INPUT))
  t.equal(new Date(0).getHours(), 16)
  t.equal(Buffer.compare(first, second), 0, 'identical bytes')
  t.match(first.toString('latin1'), /\/ID \[<[0-9a-f]{32}> <[0-9a-f]{32}>\]/, 'a file ID, derived from the fixed info')
  t.not(Buffer.compare(first, await einvoicePdf({ ...INPUT, ackNo: '112510000000002' })), 0, 'another input, other bytes')
})

t.test('hostile invoices never throw and still give a one-page PDF that parses', async (t) => {
  const invoices: [string, unknown][] = [
    ['null', null], ['a number', 42], ['a string', 'INV'], ['an array', [INVOICE]], ['empty', {}],
    ['wrongly-typed sections', { DocDtls: ['INV', 'X'], SellerDtls: 7, BuyerDtls: 'B', ItemList: { 0: {} }, ValDtls: [] }],
    ['ItemList a string', { ItemList: 'Laptop' }],
    ['odd items', { ItemList: [null, 5, 'x', [], Object.create({ SlNo: 'inherited' }), { SlNo: { n: 1 }, PrdDesc: ['a'], Qty: true, UnitPrice: 10n }] }]
  ]
  for (const [name, invoice] of invoices) {
    const { pages, texts, info } = await parsePdf(await einvoicePdf({ ...INPUT, invoice }))
    t.equal(pages, 1, `${name}: one page`)
    t.ok(texts.includes(IRN), `${name}: still shows the IRN`)
    t.equal(info.Title, 'e-Invoice -', `${name}: no document number, shown as -`)
  }
  const nulls = await parsePdf(await einvoicePdf({ ...INPUT, invoice: null }))
  t.ok(nulls.texts.includes('(no items)'))
  t.equal(nulls.texts.filter((text) => text === '-').length, 3 + 6 + 7 + 5, 'every invoice field shows -')
  const odd = await parsePdf(await einvoicePdf({ ...INPUT, invoice: invoices[7]![1] }))
  t.same(odd.texts.slice(odd.texts.indexOf('Item total') + 1, odd.texts.indexOf('Totals')).filter((text) => text !== '-'), ['true', '10'],
    'only scalars are shown, as text; objects, arrays and inherited keys show -')
})

t.test('non-Latin text, control characters and huge values become capped printable Latin-1', async (t) => {
  const huge = 'A'.repeat(10_000)
  const items = Array.from({ length: 1000 }, (_, i) => ({ SlNo: String(i + 1), PrdDesc: `Item ${i + 1}`, Qty: 1 }))
  const invoice = {
    DocDtls: { Typ: 'INV', No: 'राम/1\u0000', Dt: '01/04/2025' },
    SellerDtls: { Gstin: '29AWGPV7107B1Z1', LglNm: huge, Addr1: 'राम ट्रेडर्स', Loc: 'A\u0000B\nC\tD\u202EE', Pin: '😀', Stcd: '\u0085éÿ' },
    BuyerDtls: { LglNm: 'l'.repeat(80), Addr1: 'l'.repeat(81) },
    ItemList: items
  }
  const { pages, texts, info } = await parsePdf(await einvoicePdf({ ...INPUT, invoice }))
  t.equal(pages, 1)
  t.equal(info.Title, 'e-Invoice ???/1?', 'Hindi and NUL become ? in the title too')
  t.ok(texts.includes('??? ????????'), 'one ? per code point of Hindi text')
  t.ok(texts.includes('A?B?C?D?E'), 'control and bidi characters become ?')
  t.ok(texts.includes('?'), 'an emoji (a surrogate pair) is one ?')
  t.ok(texts.includes('?éÿ'), 'C1 controls become ?; Latin-1 stays')
  const name = texts.find((text) => text.startsWith('AAAA'))
  t.ok(name !== undefined && name.length < 80 && name.endsWith('…'), `a 10,000-char name is cut to its column: ${name?.length}`)
  t.ok(texts.includes('l'.repeat(80)), '80 characters are shown whole')
  t.ok(texts.includes(`${'l'.repeat(77)}...`), 'more are cut to 77 and ...')
  t.ok(texts.includes('Item 30') && !texts.includes('Item 31'), 'the table stops at 30 rows')
  t.ok(texts.includes('... and 970 more items'))
})

t.test('a signed QR code that no QR code can hold is an error, not a broken PDF', async (t) => {
  await t.rejects(einvoicePdf({ ...INPUT, signedQrCode: '' }), { message: 'No input text' })
  await t.rejects(einvoicePdf({ ...INPUT, signedQrCode: 'x'.repeat(3000) }), { message: /too big to be stored in a QR Code/ })
})

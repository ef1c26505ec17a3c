/**
 * Synthetic, deterministic data for generated pages (§6 `generate`): GST-return-like invoice
 * records with made-up GSTINs in the real format. Same seed and page number, same page; no page
 * depends on another, so any page costs O(items per page).
 */

/** A small fast PRNG (mulberry32): a 32-bit seed to a function returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const GSTIN_CHARS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'
const STATE_CODES = ['07', '09', '19', '24', '27', '29', '32', '33', '36']

/** The GSTIN check character of the first 14 characters (the published mod-36 scheme). */
export function gstinCheckChar(first14: string): string {
  let sum = 0
  for (let i = 0; i < 14; i++) {
    const value = GSTIN_CHARS.indexOf(first14[i] as string)
    const product = value * (i % 2 === 0 ? 1 : 2)
    sum += Math.floor(product / 36) + (product % 36)
  }
  return GSTIN_CHARS[(36 - (sum % 36)) % 36] as string
}

/** A made-up GSTIN: state code, PAN-shaped 10 characters, entity digit, `Z`, check character. */
export function syntheticGstin(random: () => number): string {
  const pick = (chars: string): string => chars[Math.floor(random() * chars.length)] as string
  const state = STATE_CODES[Math.floor(random() * STATE_CODES.length)] as string
  let pan = ''
  for (let i = 0; i < 5; i++) pan += i === 3 ? 'C' : pick(LETTERS)
  for (let i = 0; i < 4; i++) pan += pick('0123456789')
  pan += pick(LETTERS)
  const first14 = `${state}${pan}${1 + Math.floor(random() * 9)}Z`
  return first14 + gstinCheckChar(first14)
}

const pad = (n: number): string => String(n).padStart(2, '0')

/**
 * Page `page` of a generated task: `{"page": k, "items": [...]}` with `itemsPerPage` invoice
 * records. Pure: the same arguments always give an equal value.
 */
export function generatedPage(seed: number, page: number, itemsPerPage: number): unknown {
  const random = prng((seed * 0x9e3779b1) ^ page)
  const items = []
  for (let i = 0; i < itemsPerPage; i++) {
    const taxable = Math.round(random() * 500000) / 100 + 100
    const rate = [5, 12, 18, 28][Math.floor(random() * 4)] as number
    items.push({
      ctin: syntheticGstin(random),
      inum: `INV/${2026}/${String(page * itemsPerPage + i + 1).padStart(6, '0')}`,
      idt: `${pad(1 + Math.floor(random() * 28))}/${pad(1 + Math.floor(random() * 12))}/2026`,
      val: Math.round(taxable * (100 + rate)) / 100,
      txval: taxable,
      rt: rate,
      iamt: Math.round(taxable * rate) / 100
    })
  }
  return { page, items }
}

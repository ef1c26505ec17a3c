/**
 * Accept negotiation for the task routes (reference-behaviour.md §2 rule 3).
 *
 * Each media range is parsed by the `content-type` package (RFC 9110 media-type grammar; type,
 * subtype and parameter names come back lower-cased); splitting the header on commas outside
 * quoted strings and the contract's matching rules are ours.
 */
import { parse as parseMediaType } from 'content-type'

/** `strict`: the exact type must be listed (upstream's rule); `lenient`: RFC 9110 negotiation. */
export type AcceptMode = 'strict' | 'lenient'

/** One parsed media range of an Accept header. */
export interface MediaRange {
  type: string
  subtype: string
  /** The qvalue, 0 to 1. */
  q: number
}

const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/

/** Splits on commas that are not inside a quoted string. */
function splitRanges(header: string): string[] {
  const parts: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < header.length; i++) {
    const ch = header[i] as string
    if (quoted && ch === '\\') {
      current += ch + (header[++i] ?? '')
      continue
    }
    if (ch === '"') quoted = !quoted
    if (ch === ',' && !quoted) {
      parts.push(current)
      current = ''
    } else {
      current += ch
    }
  }
  parts.push(current)
  return parts
}

/**
 * Parses an Accept header into its valid media ranges. Unparseable ranges and ranges whose `q` is
 * not a valid qvalue are left out; parameter names are case-insensitive.
 */
export function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = []
  for (const part of splitRanges(header)) {
    const text = part.trim()
    if (text === '') continue
    let parsed
    try {
      parsed = parseMediaType(text)
    } catch {
      continue
    }
    const slash = parsed.type.indexOf('/')
    const type = parsed.type.slice(0, slash)
    const subtype = parsed.type.slice(slash + 1)
    if (type === '*' && subtype !== '*') continue
    const rawQ = parsed.parameters.q
    if (rawQ !== undefined && !QVALUE.test(rawQ)) continue
    ranges.push({ type, subtype, q: rawQ === undefined ? 1 : Number(rawQ) })
  }
  return ranges
}

/**
 * Whether a request with this Accept header may receive `required` (e.g. `application/json`).
 * @param header the header as received (undefined when absent; repeated headers already joined)
 */
export function accepts(header: string | undefined, required: string, mode: AcceptMode): boolean {
  if (header === undefined) return mode === 'lenient'
  const [type, subtype] = required.split('/') as [string, string]
  const ranges = parseAccept(header)
  if (mode === 'strict') {
    return ranges.some((r) => r.type === type && r.subtype === subtype && r.q > 0)
  }
  // RFC 9110 §12.5.1: the most specific range that matches decides.
  let best: MediaRange | undefined
  let bestScore = -1
  for (const r of ranges) {
    const score = r.type === type && r.subtype === subtype ? 2 : r.type === type && r.subtype === '*' ? 1 : r.type === '*' ? 0 : -1
    if (score > bestScore) {
      best = r
      bestScore = score
    }
  }
  return best !== undefined && best.q > 0
}

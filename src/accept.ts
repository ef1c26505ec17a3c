/**
 * Accept negotiation for the task routes (docs/behaviour.md §2 rule 3, §3).
 *
 * The header is parsed to the RFC 9110 grammar (§12.5.1 Accept, §5.6.6 parameters) by the small
 * parser below rather than a package: the ones looked at (content-type, negotiator) accept forms
 * the contract refuses (a quoted or out-of-range q) or refuse forms RFC 9110 allows (empty
 * parameters, tabs as whitespace), and the contract's rules are exactly about those edges.
 */

/** `strict`: the exact type must be listed (upstream's rule); `lenient`: RFC 9110 negotiation. */
export type AcceptMode = 'strict' | 'lenient'

/** One parsed media range of an Accept header. */
export interface MediaRange {
  /** Lower case; `*` for a wildcard. */
  type: string
  subtype: string
  /** The weight, 0 to 1 (1 when absent). */
  q: number
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
const QUOTED = '"(?:[^"\\\\]|\\\\.)*"'
/** `type/subtype` at the start of a range. */
const RANGE = new RegExp(`^(${TOKEN})/(${TOKEN})`)
/** One `OWS ; OWS [ name=value ]` step of the parameters. */
const PARAMETER = new RegExp(`^[ \\t]*;[ \\t]*(?:(${TOKEN})=(${TOKEN}|${QUOTED}))?`)
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

/** Parses one media range; undefined when it is malformed or its weight is not a valid qvalue. */
function parseRange(text: string): MediaRange | undefined {
  const range = RANGE.exec(text)
  if (!range) return undefined
  const type = (range[1] as string).toLowerCase()
  const subtype = (range[2] as string).toLowerCase()
  if (type === '*' && subtype !== '*') return undefined
  let q: number | undefined
  let rest = text.slice(range[0].length)
  while (rest !== '') {
    const parameter = PARAMETER.exec(rest)
    if (!parameter || parameter[0] === '') return undefined
    rest = rest.slice(parameter[0].length)
    // The first q is the weight; a weight that is not a bare qvalue voids the range.
    if (q === undefined && parameter[1]?.toLowerCase() === 'q') {
      if (!QVALUE.test(parameter[2] as string)) return undefined
      q = Number(parameter[2])
    }
  }
  return { type, subtype, q: q ?? 1 }
}

/**
 * Parses an Accept header into its valid media ranges. Malformed ranges and ranges whose weight
 * is not a valid qvalue are left out; names are case-insensitive.
 */
export function parseAccept(header: string): MediaRange[] {
  const ranges: MediaRange[] = []
  for (const part of splitRanges(header)) {
    const range = parseRange(part.replace(/^[ \t]+|[ \t]+$/g, ''))
    if (range) ranges.push(range)
  }
  return ranges
}

/**
 * Whether a request with this Accept header may receive `required` (e.g. `application/json`).
 * @param header the header as received (undefined when absent; repeated headers already joined)
 */
export function accepts(header: string | undefined, required: string, mode: AcceptMode): boolean {
  if (header === undefined) return mode === 'lenient'
  // Clients send the same few headers again and again: each is parsed once (a pure function of its
  // inputs). Long ones are not kept, so the memo stays small whatever is sent.
  if (header.length > MAX_MEMO_LENGTH) return decide(header, required, mode)
  const memo = decided[mode]
  let byHeader = memo.get(required)
  if (!byHeader) memo.set(required, (byHeader = new Map()))
  let answer = byHeader.get(header)
  if (answer === undefined) {
    answer = decide(header, required, mode)
    if (byHeader.size >= MAX_DECIDED) byHeader.clear()
    byHeader.set(header, answer)
  }
  return answer
}

/** Answers of {@link accepts} by mode, then media type, then header; each last map emptied when full. */
const decided: Record<AcceptMode, Map<string, Map<string, boolean>>> = { strict: new Map(), lenient: new Map() }
const MAX_DECIDED = 256
const MAX_MEMO_LENGTH = 200

/** {@link accepts} for a present header, without the memo. */
function decide(header: string, required: string, mode: AcceptMode): boolean {
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

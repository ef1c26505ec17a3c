/**
 * GSTIN rules (upstream-facts.md "Formats seen in payloads"): 15 characters, a 2-digit state code,
 * a PAN-shaped 10 characters, an entity character, `Z` by default, and a check character
 * computed with the published mod-36 scheme ({@link gstinCheckChar}).
 */
import { gstinCheckChar } from './synthetic.js'

/** The GSTIN format, without the check character's arithmetic. */
export const GSTIN_PATTERN = '^[0-9]{2}[A-Z]{5}[0-9]{4}[A-Z][1-9A-Z][A-Z][0-9A-Z]$'
const GSTIN_RE = new RegExp(GSTIN_PATTERN)

/** Why a GSTIN is refused: its format, or a wrong check character. */
export type GstinProblem = 'format' | 'check-character'

/**
 * Checks a GSTIN's format and check character.
 * @returns undefined when valid, else what is wrong
 */
export function gstinProblem(value: unknown): GstinProblem | undefined {
  if (typeof value !== 'string' || !GSTIN_RE.test(value)) return 'format'
  return gstinCheckChar(value.slice(0, 14)) === value[14] ? undefined : 'check-character'
}

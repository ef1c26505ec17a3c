/**
 * `gcs-generate` (docs/behaviour.md §14, "The built-in operations", with the
 * producer rules of §13): `POST /enriched/gcs/v1.0/generate` with `{"gstins":[1..50 GSTINs]}`,
 * answered in the v1.0 envelope (upstream-facts.md, Login section, "Other operations answering a
 * task id": result `{gstin, score}` or `err-gcs-generation-failed` per GSTIN).
 *
 * The Result API gives one entry per GSTIN, in the order given (a repeated GSTIN gets an entry each
 * time): `{"gstin","score"}`, the score an integer 0..100 from the GSTIN alone, so a client's test
 * can predict it; or, for a malformed GSTIN (format or check character), `{"gstin","error":{...}}`
 * with the §1 envelope. A malformed GSTIN is an item error, not a 400, because upstream reports
 * `err-gcs-generation-failed` per GSTIN in the result; the task's jobs are the GSTINs.
 */
import { createHash } from 'node:crypto'
import { gstinProblem } from '../gstin.js'
import { validator } from '../validation.js'
import { itemError, type ItemError } from './item-errors.js'
import type { Derived, Operation } from './operation.js'

/** Most GSTINs one request may score (upstream: "up to 50"). */
export const MAX_GSTINS = 50

/** A checked body (other properties are ignored). */
export interface GcsInput {
  /** 1..50 strings, each judged on its own. */
  gstins: string[]
}

/** One GSTIN's entry in the result. */
export type GcsOutcome = { gstin: string; score: number } | { gstin: string; error: ItemError }

const checkBody = validator<GcsInput>({
  type: 'object',
  required: ['gstins'],
  properties: { gstins: { type: 'array', minItems: 1, maxItems: MAX_GSTINS, items: { type: 'string' } } }
})

/**
 * The score of a GSTIN: an integer 0..100, the first 4 bytes of `sha256(gstin)` modulo 101.
 * @param gstin as given (not normalised: another spelling is another GSTIN)
 */
export function gcsScore(gstin: string): number {
  return createHash('sha256').update(gstin).digest().readUInt32BE(0) % 101
}

function derive(input: GcsInput): Derived {
  const result = input.gstins.map((gstin): GcsOutcome => {
    const problem = gstinProblem(gstin)
    if (problem) return { gstin, error: itemError('err-gcs-generation-failed', { gstin, problem }) }
    return { gstin, score: gcsScore(gstin) }
  })
  return { jobs: input.gstins.length, result }
}

/** GCS scores (§14): one entry per GSTIN, a score or an item error for a malformed GSTIN. */
export const gcsGenerate: Operation<GcsInput> = {
  name: 'gcs-generate',
  method: 'POST',
  routes: [{ url: '/enriched/gcs/:version/generate', params: { version: ['v1.0'] }, envelope: () => 'v1' }],
  description: 'GCS scores: one entry per GSTIN (1..50), a score 0..100 or err-gcs-generation-failed',
  check: (request) => {
    const { gstins } = checkBody(request.body)
    return { gstins }
  },
  derive
}

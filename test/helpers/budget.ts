/**
 * Test helpers for the byte budgets (§19): the size of a control-API task written out from the
 * rule, specs of an exact size, and fixtures without tasks (so that the whole budget is a test's).
 */
import { BUNDLED_FIXTURES_DIR } from '../../src/config.js'
import { loadFixtures, type Fixtures } from '../../src/fixtures.js'
import { ORG1, T0 } from './app.js'

/** An id of the same length as any other, for sizes. */
export const SOME_ID = 'c0000000-0000-4000-8000-000000000000'

/**
 * The size §7 counts for a task made through the control API, written out from the rule: the
 * UTF-8 bytes of the JSON the store keeps, `{"orgId","kind","source":{"spec":...}}`, the spec as
 * given with its id, org and creation time (epoch ms) filled in.
 */
export function sizeOf(spec: Record<string, unknown>, id = SOME_ID, createdAt = T0, orgId = ORG1): number {
  return Buffer.byteLength(JSON.stringify({ orgId, kind: spec.kind ?? 'generic', source: { spec: { ...spec, id, orgId, createdAt } } }))
}

/** A spec whose task (of org 1, made at a 13-digit epoch ms) takes exactly `bytes`: its result padded. */
export function specOf(bytes: number): { result: string } {
  return { result: 'x'.repeat(bytes - sizeOf({ result: '' })) }
}

/** The bundled fixtures without their tasks. */
export const NO_TASKS: Fixtures = { ...(await loadFixtures(BUNDLED_FIXTURES_DIR)), taskSpecs: [] }

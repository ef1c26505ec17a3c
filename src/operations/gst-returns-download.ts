/**
 * `gst-returns-download` (docs/behaviour.md §14): `POST /enriched/gstn/v3.0/download-gst-returns`
 * with `[{"fromRetPeriod":"MMYYYY","toRetPeriod":"MMYYYY","returns":{"gstr1":{"b2b":{...},...},...}}]`
 * (upstream-facts.md, "Operations that create tasks: routes and bodies"). A paged task: one page
 * per item × period × return × section asked for, for the org's GSTIN, each holding that
 * section's synthetic GSTN records (gstn-records.ts; shapes as in the seeded task
 * `fixtures/tasks/03-gst-returns-download.json`).
 *
 * Pages are made on demand from a compact index (one entry per item), so a 10,000-page task costs
 * memory in proportion to its body, not its pages.
 */
import { RET_PERIOD_PATTERN, RETURN_SECTIONS, periodAt, periodIndex, returnsSection, type GstReturn } from '../gstn-records.js'
import { InvalidSpecError, validator, type ValidationDetail } from '../validation.js'
import type { PageSource } from '../task.js'
import { MAX_ITEMS, type DeriveContext, type Derived, type Operation } from './operation.js'

/** Most return periods one item may span, both ends included. */
export const MAX_PERIODS = 36

/** Most pages one body may ask for (periods × returns × sections, summed over items). */
export const MAX_PAGES = 10_000

/** A checked item: its period range and the sections asked for, returns and sections in body order. */
export interface ReturnsItem {
  /** `MMYYYY`. */
  fromRetPeriod: string
  /** `MMYYYY`, not before `fromRetPeriod`, at most {@link MAX_PERIODS} periods on. */
  toRetPeriod: string
  returns: Array<{ ret: GstReturn; sections: string[] }>
}

/** One page: a section of a return for a period (`data` shaped by section, see returnsSection). */
export interface ReturnsPage {
  page: number
  gstin: string
  /** `MMYYYY`. */
  ret_period: string
  return: GstReturn
  section: string
  data: unknown
}

interface Body {
  fromRetPeriod: string
  toRetPeriod: string
  returns: Partial<Record<GstReturn, Record<string, unknown>>>
}

const period = { type: 'string', pattern: RET_PERIOD_PATTERN }

const checkShape = validator<Body[]>({
  type: 'array',
  minItems: 1,
  maxItems: MAX_ITEMS,
  items: {
    type: 'object',
    required: ['fromRetPeriod', 'toRetPeriod', 'returns'],
    properties: {
      fromRetPeriod: period,
      toRetPeriod: period,
      returns: {
        type: 'object',
        minProperties: 1,
        additionalProperties: false,
        properties: Object.fromEntries(
          Object.entries(RETURN_SECTIONS).map(([ret, sections]) => [
            ret,
            // A section's value (filters upstream) is not read: any JSON is accepted.
            { type: 'object', minProperties: 1, additionalProperties: false, properties: Object.fromEntries(sections.map((s) => [s, {}])) }
          ])
        )
      }
    }
  }
})

/**
 * Checks a returns body: its shape, then each item's period range, then the total page count.
 * @throws {InvalidSpecError} with every shape violation; else every range problem
 *   (`/<i>/toRetPeriod`); else a total above {@link MAX_PAGES} (path '')
 */
function check(body: unknown): ReturnsItem[] {
  const items = checkShape(body).map(
    (item): ReturnsItem => ({
      fromRetPeriod: item.fromRetPeriod,
      toRetPeriod: item.toRetPeriod,
      returns: Object.entries(item.returns).map(([ret, sections]) => ({ ret: ret as GstReturn, sections: Object.keys(sections as object) }))
    })
  )
  const details: ValidationDetail[] = []
  items.forEach((item, i) => {
    const periods = periodsOf(item)
    if (periods < 1) details.push({ path: `/${i}/toRetPeriod`, message: 'must not be before fromRetPeriod' })
    else if (periods > MAX_PERIODS) details.push({ path: `/${i}/toRetPeriod`, message: `must be at most ${MAX_PERIODS} return periods from fromRetPeriod (both included)` })
  })
  if (details.length > 0) throw new InvalidSpecError(details)
  const pages = items.reduce((sum, item) => sum + periodsOf(item) * sectionsOf(item), 0)
  if (pages > MAX_PAGES) {
    throw new InvalidSpecError([{ path: '', message: `must ask for at most ${MAX_PAGES} pages (periods x returns x sections), not ${pages}` }])
  }
  return items
}

const periodsOf = (item: ReturnsItem): number => periodIndex(item.toRetPeriod) - periodIndex(item.fromRetPeriod) + 1
const sectionsOf = (item: ReturnsItem): number => item.returns.reduce((sum, r) => sum + r.sections.length, 0)

/**
 * The pages of a checked body, for a GSTIN. Page k is found by a binary search over the items'
 * first page numbers, then arithmetic within the item: O(log items + returns) a page.
 */
export function returnsPages(items: readonly ReturnsItem[], gstin: string): PageSource {
  const starts: number[] = []
  let count = 0
  for (const item of items) {
    starts.push(count)
    count += periodsOf(item) * sectionsOf(item)
  }
  return {
    count,
    page(k: number): ReturnsPage {
      if (!Number.isInteger(k) || k < 0 || k >= count) throw new RangeError(`page ${k} is not in 0..${count - 1}`)
      let [lo, hi] = [0, items.length - 1]
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1
        if ((starts[mid] as number) <= k) lo = mid
        else hi = mid - 1
      }
      const item = items[lo] as ReturnsItem
      const perPeriod = sectionsOf(item)
      const offset = k - (starts[lo] as number)
      const retPeriod = periodAt(periodIndex(item.fromRetPeriod) + Math.floor(offset / perPeriod))
      let n = offset % perPeriod
      let r = 0
      while (n >= (item.returns[r] as ReturnsItem['returns'][number]).sections.length) {
        n -= (item.returns[r] as ReturnsItem['returns'][number]).sections.length
        r += 1
      }
      const { ret, sections } = item.returns[r] as ReturnsItem['returns'][number]
      const section = sections[n] as string
      return { page: k, gstin, ret_period: retPeriod, return: ret, section, data: returnsSection(gstin, retPeriod, ret, section) }
    }
  }
}

function derive(items: ReturnsItem[], context: DeriveContext): Derived {
  return { jobs: 1, pages: returnsPages(items, context.orgGstin(context.orgId)) }
}

/** The GST returns download: one page per item × period × return × section, for the org's GSTIN. */
export const gstReturnsDownload: Operation<ReturnsItem[]> = {
  name: 'gst-returns-download',
  method: 'POST',
  routes: [{ url: '/enriched/gstn/:version/download-gst-returns', params: { version: ['v3.0'] }, envelope: () => 'v3' }],
  description: 'GST returns download: GSTR-1, 2A and 2B sections for ranges of return periods (paged result)',
  check: (request) => check(request.body),
  derive
}

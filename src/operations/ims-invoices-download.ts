/**
 * `ims-invoices-download` (docs/behaviour.md §14): `GET /enriched/gstn/v1.0/ims-invoices?section=B2B&status=A`
 * (upstream-facts.md, "Operations that create tasks: routes and bodies"). A paged task for the
 * org's GSTIN: one page per 500 IMS records, at least one page, the records synthetic
 * (gstn-records.ts; field names as in the seeded task `fixtures/tasks/08-ims-invoices-download-org2.json`).
 *
 * Only the query is read (a body is ignored). `section` and `status` are matched in any case and
 * kept in upper case; without `status` the download holds records of all four actions.
 */
import { IMS_PAGE_SIZE, IMS_SECTIONS, IMS_STATUSES, imsPage, imsRecordCount, type ImsSection, type ImsStatus } from '../gstn-records.js'
import { InvalidSpecError, type ValidationDetail } from '../validation.js'
import type { DeriveContext, Derived, Operation, OperationRequest } from './operation.js'

/** A checked query. */
export interface ImsDownloadInput {
  section: ImsSection
  /** Undefined: all four actions. */
  status: ImsStatus | undefined
}

/**
 * Reads one query parameter against its allowed values, case-insensitively.
 * @returns the upper-case value, or undefined when absent or refused (then a detail is added)
 */
function oneOf<T extends string>(
  query: OperationRequest['query'],
  name: string,
  allowed: readonly T[],
  required: boolean,
  details: ValidationDetail[]
): T | undefined {
  const value = query[name]
  const path = `/${name}`
  if (Array.isArray(value)) details.push({ path, message: 'must be given once' })
  else if (value === undefined) {
    if (required) details.push({ path, message: 'must be given' })
  } else if ((allowed as readonly string[]).includes(value.toUpperCase())) return value.toUpperCase() as T
  else details.push({ path, message: `must be one of ${allowed.join(', ')}` })
  return undefined
}

/**
 * Checks the query: `section` one of the IMS sections, `status` absent or one of A, R, P, N.
 * @throws {InvalidSpecError} listing each problem (`/section`, `/status`): missing section,
 *   a repeated parameter, a value not allowed
 */
function check(request: OperationRequest): ImsDownloadInput {
  const details: ValidationDetail[] = []
  const section = oneOf(request.query, 'section', IMS_SECTIONS, true, details)
  const status = oneOf(request.query, 'status', IMS_STATUSES, false, details)
  if (details.length > 0) throw new InvalidSpecError(details)
  return { section: section as ImsSection, status }
}

function derive(input: ImsDownloadInput, context: DeriveContext): Derived {
  const { section, status } = input
  const gstin = context.orgGstin(context.orgId)
  const records = imsRecordCount(gstin, section, status)
  return {
    jobs: 1,
    pages: {
      count: Math.max(1, Math.ceil(records / IMS_PAGE_SIZE)),
      page: (k) => imsPage(gstin, section, status, k, records)
    }
  }
}

/** The IMS invoices download: the org's inward documents in a section, by action, 500 a page. */
export const imsInvoicesDownload: Operation<ImsDownloadInput> = {
  name: 'ims-invoices-download',
  method: 'GET',
  routes: [{ url: '/enriched/gstn/:version/ims-invoices', params: { version: ['v1.0'] }, envelope: () => 'v3' }],
  description: 'IMS invoices download: inward documents of the org by section and action (paged result, 500 a page)',
  check,
  derive
}

/**
 * The console's one way to the server: the control API under `/__admin` (docs/behaviour.md §12),
 * with `ADMIN_TOKEN`, when the server asks for one, sent as `Authorization: Bearer <token>`. The
 * token is kept for the tab only (sessionStorage) and never written into the page.
 */
import type { ClockView, TaskView, TimelineView } from '../views.js'
import type { JournalEntry } from '../journal.js'

export type { ClockView, JournalEntry, TaskView, TimelineView }

/** A value this tab keeps (sessionStorage, under `key`): read it, or set it (an empty one forgets it). */
function tabSetting(key: string): { get: () => string | null; set: (value: string) => void } {
  return {
    get: () => sessionStorage.getItem(key),
    set: (value) => (value === '' ? sessionStorage.removeItem(key) : sessionStorage.setItem(key, value))
  }
}

const token = tabSetting('enriched-tasks-mock:admin-token')
/** The org whose namespace the control calls act in (§15: `X-FLYNN-N-ORG-ID`); none: globally. */
const namespace = tabSetting('enriched-tasks-mock:namespace')

/** The admin token this tab uses, if one was given. */
export const savedToken = token.get
/** Keeps the admin token for this tab (an empty one forgets it). */
export const saveToken = token.set
/** The org whose namespace the control calls act in, or null: globally. */
export const savedNamespace = namespace.get
/** Acts in an org's namespace from now on in this tab (an empty org: globally again). */
export const saveNamespace = namespace.set

/** One `{"path","message"}` of a `400 err-invalid-request` answer. */
export interface Detail {
  path: string
  message: string
}

/** An answer that was not a success: its status and its body (JSON when it was JSON). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown
  ) {
    super(`${status} ${ApiError.codeOf(body) ?? ''}`.trim())
  }

  /** The `error.message` code of an error envelope (`err-...`), if the body is one. */
  static codeOf(body: unknown): string | undefined {
    const message = (body as { error?: { message?: unknown } } | null)?.error?.message
    return typeof message === 'string' ? message : undefined
  }

  /** The `details` of a `400 err-invalid-request`, or none. */
  get details(): Detail[] {
    const details = (this.body as { error?: { args?: { details?: unknown } } } | null)?.error?.args?.details
    return Array.isArray(details) ? (details as Detail[]) : []
  }
}

/** Thrown for a `401`: the server wants an admin token (or another one). */
export class Unauthorized extends ApiError {}

/** What {@link request} sends. */
export interface RequestOptions {
  method?: string
  body?: unknown
  headers?: Record<string, string>
  /** Send the admin token (control API calls); false for task and producer routes. */
  admin?: boolean
}

/**
 * Sends a request to the server, relative to the page (`__admin/tasks` is `/__admin/tasks` for the
 * page at `/console`, and stays right behind a proxy's path prefix).
 * @returns the response, when its status is 2xx
 * @throws {Unauthorized} on a control-API `401`; {ApiError} for any other non-2xx answer
 */
export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers }
  const token = savedToken()
  if (options.admin !== false && token !== null) headers.authorization = `Bearer ${token}`
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const init: RequestInit = { method: options.method ?? 'GET', headers, cache: 'no-store' }
  if (options.body !== undefined) init.body = JSON.stringify(options.body)
  const response = await fetch(new URL(path, document.baseURI), init)
  if (response.ok) return response
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text)
  } catch {
    // Not JSON: kept as text.
  }
  if (response.status === 401 && options.admin !== false) throw new Unauthorized(401, body)
  throw new ApiError(response.status, body)
}

/** A control-API call answering JSON (or nothing, for a `204`), in the tab's namespace if it has one. */
export async function admin<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const namespace = savedNamespace()
  const headers = namespace === null ? options.headers : { ...options.headers, 'x-flynn-n-org-id': namespace }
  const response = await request(`__admin/${path}`, { ...options, headers })
  return (response.status === 204 ? undefined : await response.json()) as T
}

/** A fault as the control API lists it (§10). */
export interface Fault {
  id: string
  route: string
  taskId?: string
  orgId?: string
  times?: number
  delayMs?: number
  respond?: { status: number; retryAfter?: number }
  drop?: string
  [more: string]: unknown
}

/** An operation as `GET /__admin/operations` shows it (§13). */
export interface OperationView {
  name: string
  builtIn: boolean
  method: 'GET' | 'POST'
  routes: Array<{ path: string; params: Record<string, string[]> }>
  description: string
  next: unknown[]
  [setting: string]: unknown
}

/** The client report (`GET /__admin/report`), as the contract gives it. */
export interface Report {
  tasks: Array<{ id: string; kind: string; orgId: string; requests: number; findings: Array<{ rule: string; at: string; requestId: string; detail: string }> }>
  summary: { tasks: number; clean: number; findings: Record<string, number> }
}

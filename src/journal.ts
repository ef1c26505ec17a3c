/**
 * The request journal (docs/behaviour.md §11 `/__admin/requests`): the last task-route and
 * producer (§13) requests, oldest first, in a bounded ring buffer, with secrets redacted; and waiting for
 * requests to arrive.
 */
import { REDACTED, SECRET_HEADERS } from './logging.js'

/** One recorded request. `at` is ISO-8601 (the mock clock's time at arrival). */
export interface JournalEntry {
  /** The request's `X-CALL-ID`. */
  id: string
  at: string
  method: string
  url: string
  /** The status sent; 0 when the connection was cut before any answer. */
  status: number
  /** Real time from arrival to the end of the answer, in ms. */
  durationMs: number
  /** Request headers (lower-case names), secrets replaced by `[redacted]`. */
  headers: Record<string, string>
}

/**
 * A journal entry as the task and producer routes record it, made cheap for the common case that
 * nobody reads it (the journal is a ring buffer): its ISO time and its redacted headers are built
 * only when read, from the arrival time and the request's own header object (never changed after
 * parsing). JSON and {@link plainEntry} give the same fields, in the same order, as a plain entry.
 */
export class RecordedRequest implements JournalEntry {
  #at: string | undefined
  #headers: Record<string, string> | undefined

  /**
   * @param atMs the mock clock's time at arrival, in epoch ms
   * @param rawHeaders the request's headers as Node parsed them (secrets still in)
   * @param orgId the `X-FLYNN-N-ORG-ID` the request named (see {@link entryOrg})
   */
  constructor(
    readonly id: string,
    readonly atMs: number,
    readonly method: string,
    readonly url: string,
    readonly status: number,
    readonly durationMs: number,
    readonly rawHeaders: Record<string, string | string[] | undefined>,
    readonly orgId: string | undefined
  ) {}

  get at(): string {
    return (this.#at ??= new Date(this.atMs).toISOString())
  }

  get headers(): Record<string, string> {
    return (this.#headers ??= redactHeaders(this.rawHeaders))
  }

  /** The plain entry (what JSON.stringify writes). */
  toJSON(): JournalEntry {
    return { id: this.id, at: this.at, method: this.method, url: this.url, status: this.status, durationMs: this.durationMs, headers: this.headers }
  }
}

/** An entry as a plain object (a {@link RecordedRequest}'s lazy fields made), for answers and tests. */
export const plainEntry = (entry: JournalEntry): JournalEntry => (entry instanceof RecordedRequest ? entry.toJSON() : entry)

/** Which entries a query or a wait selects. */
export interface JournalFilter {
  /** Only URLs starting with this prefix (default: all). */
  path?: string
  /** Only requests made with this `X-FLYNN-N-ORG-ID` (an org's namespace, §15). */
  orgId?: string | null
}

/**
 * The org whose view (§11) a journaled request enters: the `X-FLYNN-N-ORG-ID` it named. A request
 * refused as unauthenticated (`401`/`403`, see {@link refused}) enters only a view that exists
 * already, so that made-up org ids cannot crowd the views of the teams that use them, while a
 * team still sees its own refused requests.
 */
export const entryOrg = (entry: JournalEntry): string | undefined => (entry instanceof RecordedRequest ? entry.orgId : entry.headers['x-flynn-n-org-id'])

/** Whether a journaled request was refused as unauthenticated (it makes no org view, see {@link entryOrg}). */
export const refused = (entry: JournalEntry): boolean => entry.status === 401 || entry.status === 403

interface Waiter {
  filter: JournalFilter
  /** Matching requests still to come. */
  missing: number
  resolve: (entries: JournalEntry[]) => void
}

const matches = (entry: JournalEntry, filter: JournalFilter): boolean => filter.path === undefined || entry.url.startsWith(filter.path)

const SECRETS = new Set<string>(SECRET_HEADERS)

/** Copies request headers as strings, with every secret header's value redacted. */
export function redactHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    out[name] = SECRETS.has(name.toLowerCase()) ? REDACTED : Array.isArray(value) ? value.join(', ') : value
  }
  return out
}

/** A ring buffer of the last `size` requests. */
export class RequestJournal {
  readonly #entries: JournalEntry[] = []
  /** Index of the oldest entry once the buffer is full. */
  #start = 0
  readonly #waiters = new Set<Waiter>()

  /** @param size how many entries are kept (0 keeps none); the oldest is dropped first */
  constructor(readonly size: number) {}

  /** Records an entry, dropping the oldest when full, and wakes the waits it completes. */
  record(entry: JournalEntry): void {
    if (this.size === 0) return
    if (this.#entries.length < this.size) {
      this.#entries.push(entry)
    } else {
      this.#entries[this.#start] = entry
      this.#start = (this.#start + 1) % this.size
    }
    // O(1) a waiter per request: each counts down its own matches (no rescan of the journal).
    for (const waiter of this.#waiters) {
      if (matches(entry, waiter.filter) && --waiter.missing === 0) waiter.resolve(this.list(waiter.filter))
    }
  }

  /** The matching entries, oldest first; with `limit`, only the newest `limit` of them. */
  list(filter: JournalFilter = {}, limit?: number): JournalEntry[] {
    const ordered = [...this.#entries.slice(this.#start), ...this.#entries.slice(0, this.#start)]
    const matching = ordered.filter((e) => matches(e, filter)).map(plainEntry)
    return limit === undefined ? matching : matching.slice(Math.max(0, matching.length - limit))
  }

  /** Forgets every entry (waits go on waiting). */
  clear(): void {
    this.#entries.length = 0
    this.#start = 0
  }

  /**
   * Resolves with the matching entries as soon as at least `count` are recorded (those already
   * recorded count), or with null after `timeoutMs` of real time or when `signal` aborts.
   */
  waitFor(filter: JournalFilter, count: number, timeoutMs: number, signal?: AbortSignal): Promise<JournalEntry[] | null> {
    const matching = this.list(filter)
    if (matching.length >= count) return Promise.resolve(matching)
    return new Promise((resolve) => {
      const finish = (entries: JournalEntry[] | null): void => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', abort)
        this.#waiters.delete(waiter)
        resolve(entries)
      }
      const waiter: Waiter = { filter, missing: count - matching.length, resolve: finish }
      const abort = (): void => finish(null)
      const timer = setTimeout(abort, timeoutMs)
      signal?.addEventListener('abort', abort)
      this.#waiters.add(waiter)
    })
  }

  /** Waits in progress (for tests and shutdown). */
  get waiting(): number {
    return this.#waiters.size
  }
}

/**
 * The client report (docs/behaviour.md §21): how the clients behaved against each task, judged
 * from what the server answered them. Pure: no HTTP, no I/O.
 *
 * Each task-route request a task sees becomes a {@link ReportEvent} (its route, its answer, when it
 * arrived on the mock clock and in real time). A store folds a task's events, in the order they are
 * recorded, into its {@link ReportFacts} with {@link foldEvent}: the rules that one request can
 * break are judged there, once. The two rules that depend on time passing with no request at all
 * (`never-collected`, `abandoned`) are judged when the report is read ({@link judgeTask}).
 *
 * Elapsed time between two instants is the larger of the mock clock's and real (monotonic) time,
 * so a client that sleeps `Retry-After` against a frozen clock and a test that moves the clock
 * instead are both judged fair.
 */
import type { Outcome, Phase, TaskStatus } from './task.js'

/** The rules, in the order the report's summary lists them. */
export const RULES = [
  'early-poll',
  'poll-after-terminal',
  'fetch-before-completed',
  'wrong-accept',
  'auth-failure',
  'retry-too-soon',
  'page-out-of-range',
  'never-collected',
  'abandoned'
] as const

/** One rule of the report. */
export type Rule = (typeof RULES)[number]

/** How early a client may come back, as a share of the `Retry-After` it was given (10%). */
export const TOLERANCE = 0.1
/** How many findings of each rule a task lists; past them it still counts them (in the summary). */
export const MAX_FINDINGS_PER_RULE = 10
/** The most phases of a timeline the report keeps a copy of (see {@link ReportTask.timeline}). */
export const REPORT_TIMELINE_PHASES = 16
/** A task not terminal whose status has not been read for this many times `RETRY_AFTER_S` is abandoned. */
export const ABANDONED_AFTER_POLLS = 10
/** The longest `accept` header a finding quotes, in characters. */
const MAX_QUOTED = 200
/** Characters of a page number as received that a finding quotes (longer is no page number: §2 rule 5). */
const MAX_QUOTED_PAGE = 32

/** A task route, as the report names it. */
export type ReportRoute = 'status' | 'download' | 'result' | 'page'

/** What the report keeps of a task (from its first request on): enough to judge it once it is gone. */
export interface ReportTask {
  id: string
  orgId: string
  kind: string
  /** Epoch ms. */
  createdAt: number
  /** When the task stops being readable, epoch ms. */
  expiresAt: number
  jobs: number
  /**
   * The timeline, to judge a task still held on its state now; null when it has more than
   * {@link REPORT_TIMELINE_PHASES} phases (the held task is then read from the store instead), so
   * that what the report keeps of a task, which outlives it, stays small.
   */
  timeline: Phase[] | null
  outcome: Outcome
  /** The page count, or null for an unpaged task. */
  pages: number | null
}

/** One task-route request a task saw, as its answer ended. */
export interface ReportEvent {
  /** The request's `X-CALL-ID`. */
  id: string
  route: ReportRoute
  /** A `HEAD` request (it fetches nothing). */
  head: boolean
  /** The status answered; 0 when the connection was cut before any answer. */
  code: number
  /** The answer's `Retry-After`, in seconds, or null. */
  retryAfter: number | null
  /** The error code answered (`err-invalid-token`...), or null. */
  error: string | null
  /** The task's state the answer showed (a status read's, the rule-6 `400`'s, or `completed` for a result, page or zip), or null. */
  saw: TaskStatus | null
  /** Whether the answer was sent whole (a zip cut part-way was not). */
  whole: boolean
  /** The `accept` header as received (cut to 200 characters), or null. */
  accept: string | null
  /** The page number as received (pages route), or null. */
  page: string | null
  /** Arrival on the mock clock of the task's org, epoch ms. */
  at: number
  /** Arrival in real (monotonic) time, ms. */
  real: number
}

/** A request, by id and arrival. */
export interface Instant {
  id: string
  at: number
  real: number
}

/** One broken rule: which, when (ISO-8601 on the mock clock), the request it concerns, and what happened. */
export interface Finding {
  rule: Rule
  at: string
  requestId: string
  detail: string
}

/**
 * What the report knows of a task once some of its requests are folded in: the task, the request
 * count, the findings so far (the first {@link MAX_FINDINGS_PER_RULE} of each rule, and every one
 * counted), and what judging the next request needs. Plain JSON (a shared store keeps it).
 */
export interface ReportFacts {
  task: ReportTask
  requests: number
  /** The newest request. */
  last: Instant
  /** The newest status read, or null. */
  lastStatus: Instant | null
  /**
   * The `Retry-After` in force: a non-terminal status answer's (`poll`, for the next status read)
   * or a `429`/`503` answer's (`backoff`, for any next request), with the status answered; null once
   * a status read answered a terminal state.
   */
  advice: (Instant & { kind: 'poll' | 'backoff'; retryAfter: number; code: number }) | null
  /** The terminal state a status read answered, or null. */
  terminal: TaskStatus | null
  /** The newest state an answer showed, or null. */
  seen: TaskStatus | null
  /** The first answer that showed the task completed, or null. */
  completedSeen: Instant | null
  /** Whether a result, a page or a whole zip was fetched (`GET` answered `200`). */
  collected: boolean
  counts: Record<Rule, number>
  findings: Finding[]
}

/** A task as the report shows it. */
export interface TaskReport {
  id: string
  kind: string
  orgId: string
  requests: number
  findings: Finding[]
}

/** The report (`GET /__admin/report`). */
export interface Report {
  tasks: TaskReport[]
  summary: {
    /** Tasks judged. */
    tasks: number
    /** Tasks without findings. */
    clean: number
    /** Findings by rule, every rule listed. */
    findings: Record<Rule, number>
  }
}

const iso = (ms: number): string => new Date(ms).toISOString()

/** Elapsed ms from one instant to another: the larger of the mock clock's and real time, at least 0. */
function elapsed(from: { at: number; real: number }, to: { at: number; real: number }): number {
  return Math.max(0, to.at - from.at, to.real - from.real)
}

/** Whether `ms` is sooner than `retryAfter` seconds allow, with the {@link TOLERANCE}. */
function tooSoon(ms: number, retryAfter: number): boolean {
  return ms < retryAfter * 1000 * (1 - TOLERANCE)
}

/** Readable ms: `120 ms`, `4.5 s`. */
const duration = (ms: number): string => (ms < 1000 ? `${Math.round(ms)} ms` : `${Math.round(ms / 100) / 10} s`)

const MEDIA_TYPE: Record<ReportRoute, string> = { status: 'application/json', download: 'application/zip', result: 'application/json', page: 'application/json' }

const zeroCounts = (): Record<Rule, number> => Object.fromEntries(RULES.map((rule) => [rule, 0])) as Record<Rule, number>

/**
 * Adds a finding of `rule`: counted always, listed while the task lists fewer than
 * {@link MAX_FINDINGS_PER_RULE} of its rule. Its time and detail are written only then: a client
 * polling a completed task in a loop breaks a rule on every request.
 * @param detail the finding's text
 */
function addFinding(facts: ReportFacts, rule: Rule, event: ReportEvent, detail: () => string): void {
  facts.counts[rule] += 1
  if (facts.counts[rule] <= MAX_FINDINGS_PER_RULE) facts.findings.push({ rule, at: iso(event.at), requestId: event.id, detail: detail() })
}

/** The facts of a task before any request. */
export function emptyFacts(task: ReportTask, first: Instant): ReportFacts {
  return { task, requests: 0, last: first, lastStatus: null, advice: null, terminal: null, seen: null, completedSeen: null, collected: false, counts: zeroCounts(), findings: [] }
}

/**
 * Folds one request into a task's facts (changing them), judging the rules one request can break:
 * `early-poll`, `poll-after-terminal`, `fetch-before-completed`, `wrong-accept`, `auth-failure`,
 * `retry-too-soon` and `page-out-of-range`.
 * @param facts the task's facts, or undefined for its first request
 * @returns the facts
 */
export function foldEvent(facts: ReportFacts | undefined, task: ReportTask, event: ReportEvent): ReportFacts {
  const f = facts ?? emptyFacts(task, event)
  const found = (rule: Rule, detail: () => string): void => addFinding(f, rule, event, detail)
  const status = event.route === 'status'
  const advice = f.advice
  if (advice) {
    const waited = elapsed(advice, event)
    if (advice.kind === 'backoff' && tooSoon(waited, advice.retryAfter)) {
      found('retry-too-soon', () => `${event.route} request ${duration(waited)} after a ${advice.code} with Retry-After: ${advice.retryAfter}`)
    } else if (advice.kind === 'poll' && status && tooSoon(waited, advice.retryAfter)) {
      found('early-poll', () => `status read ${duration(waited)} after the previous one answered Retry-After: ${advice.retryAfter}`)
    }
  }
  if (status && f.terminal) found('poll-after-terminal', () => `status read after a status read answered ${f.terminal}`)
  switch (event.code) {
    case 400:
      found('fetch-before-completed', () => `${event.route} answered 400: the task was ${event.saw ?? 'not completed'}`)
      break
    case 403:
      found('auth-failure', () => `${event.route} answered 403 ${event.error ?? ''}`.trimEnd())
      break
    case 404:
      if (event.route === 'page') found('page-out-of-range', () => pageDetail(event.page, f.task.pages))
      break
    case 406:
      found('wrong-accept', () => `accept ${event.accept === null ? '(none)' : JSON.stringify(event.accept)} on the ${event.route} route, which needs ${MEDIA_TYPE[event.route]}`)
      break
  }

  if ((event.code === 429 || event.code === 503) && event.retryAfter !== null) {
    f.advice = { id: event.id, at: event.at, real: event.real, kind: 'backoff', retryAfter: event.retryAfter, code: event.code }
  } else if (status && event.code === 200) {
    const terminal = event.saw === 'completed' || event.saw === 'failed'
    f.terminal = terminal ? event.saw : f.terminal
    f.advice = event.retryAfter === null ? null : { id: event.id, at: event.at, real: event.real, kind: 'poll', retryAfter: event.retryAfter, code: 200 }
  }
  if (event.saw) f.seen = event.saw
  if (event.saw === 'completed' && !f.completedSeen) f.completedSeen = { id: event.id, at: event.at, real: event.real }
  if (!status && !event.head && event.code === 200 && event.whole) f.collected = true
  f.requests += 1
  f.last = { id: event.id, at: event.at, real: event.real }
  if (status) f.lastStatus = f.last
  return f
}

/** The detail of a `page-out-of-range` finding. */
function pageDetail(page: string | null, pages: number | null): string {
  const asked = page ?? ''
  // The page as received is quoted in part: a finding's size does not grow with the URL.
  if (asked.length > MAX_QUOTED_PAGE) return `page ${JSON.stringify(asked.slice(0, MAX_QUOTED_PAGE))}... (cut) is not a page number`
  if (!/^[0-9]+$/.test(asked)) return `page ${JSON.stringify(asked)} is not a page number`
  if (pages === null) return `page ${asked} of a task without pages`
  return `page ${asked} of a task with ${pages} pages (0 to ${pages - 1})`
}

/** What judging a task when the report is read needs. */
export interface JudgeContext {
  /** The mock clock of the task's org, epoch ms. */
  now: number
  /** Real (monotonic) time, ms. */
  realNow: number
  /** `RETRY_AFTER_S` (§17). */
  retryAfterS: number
  /**
   * The task's state now, while it is held (the same creation); undefined once it is gone
   * (expired, deleted): it is then judged on what its answers showed.
   */
  state?: { status: TaskStatus; finishedAt: number | null }
}

/**
 * A task's part of the report: its facts' findings, then the two rules judged now.
 * - `never-collected`: completed, and neither its result, a page nor a whole zip fetched, once it
 *   has expired, or once it has been completed for `RETRY_AFTER_S` (counted from its completion on
 *   the mock clock, or in real time from the first answer that showed it completed).
 * - `abandoned`: not terminal, and no status read for {@link ABANDONED_AFTER_POLLS} × `RETRY_AFTER_S`
 *   (counted from the last status read, else the last request, until now or its expiry).
 * @returns the task's report and every finding counted (listed or not)
 */
export function judgeTask(facts: ReportFacts, context: JudgeContext): Judged {
  const { task } = facts
  const counts = { ...facts.counts }
  const findings = [...facts.findings]
  // At most one of each: always listed.
  const found = (finding: Finding): void => {
    counts[finding.rule] += 1
    findings.push(finding)
  }
  const expired = context.now >= task.expiresAt
  // Time stands still for a task once it has expired: nothing could be asked of it after that.
  const now = Math.min(context.now, task.expiresAt)
  const since = (from: { at: number; real: number } | null, mockFrom: number): { ms: number; byMock: boolean } => {
    const mock = now - mockFrom
    const real = from ? context.realNow - from.real : 0
    return { ms: Math.max(mock, real), byMock: mock >= real }
  }
  const status = context.state?.status ?? facts.seen
  const grace = context.retryAfterS * 1000

  if (status === 'completed' && !facts.collected) {
    const completedAt = context.state?.finishedAt ?? (facts.completedSeen as Instant).at
    const waited = since(facts.completedSeen, completedAt)
    if (expired || waited.ms >= grace) {
      const at = expired && completedAt + grace > task.expiresAt ? task.expiresAt : waited.byMock ? completedAt + grace : now
      const when = expired ? `before it expired at ${iso(task.expiresAt)}` : `within ${duration(grace)} (RETRY_AFTER_S)`
      found({ rule: 'never-collected', at: iso(at), requestId: facts.last.id, detail: `completed at ${iso(completedAt)}; neither the result, a page nor the whole zip was fetched ${when}` })
    }
  }
  if (status !== 'completed' && status !== 'failed') {
    const from = facts.lastStatus ?? facts.last
    const limit = ABANDONED_AFTER_POLLS * grace
    const waited = since(from, from.at)
    if (waited.ms >= limit) {
      const what = facts.lastStatus ? `the last status read was at ${iso(from.at)}` : `its status was never read (last request at ${iso(from.at)})`
      found({ rule: 'abandoned', at: iso(waited.byMock ? from.at + limit : now), requestId: from.id, detail: `${status ?? 'not completed'}, and ${what}: no status read for ${duration(limit)} (${ABANDONED_AFTER_POLLS} × RETRY_AFTER_S)` })
    }
  }
  return { report: { id: task.id, kind: task.kind, orgId: task.orgId, requests: facts.requests, findings }, counts }
}

/** A judged task: its part of the report, and every finding counted by rule (listed or not). */
export interface Judged {
  report: TaskReport
  counts: Record<Rule, number>
}

/** How many tasks {@link reportJson} writes a part at a time. */
const TASKS_PER_PART = 50

/**
 * The report's JSON text, a part at a time (so that a long report never holds the event loop):
 * `{"tasks":[`, then the tasks, judged {@link TASKS_PER_PART} at a time in the order given, then
 * the summary (every rule counted, every task judged) and the end.
 */
export function* reportJson(all: readonly ReportFacts[], judge: (facts: ReportFacts) => Judged): Generator<string> {
  const findings = zeroCounts()
  let clean = 0
  yield '{"tasks":['
  for (let from = 0; from < all.length; from += TASKS_PER_PART) {
    const part: string[] = []
    for (const facts of all.slice(from, from + TASKS_PER_PART)) {
      const { report, counts } = judge(facts)
      let total = 0
      for (const rule of RULES) {
        findings[rule] += counts[rule]
        total += counts[rule]
      }
      if (total === 0) clean += 1
      part.push(JSON.stringify(report))
    }
    yield (from === 0 ? '' : ',') + part.join(',')
  }
  const summary: Report['summary'] = { tasks: all.length, clean, findings }
  yield `],"summary":${JSON.stringify(summary)}}`
}

/**
 * The findings of a report as lines a person reads (what `assertWellBehaved` throws): one line a
 * finding, with its rule, task, time, request id and detail, and a count of those not listed.
 */
export function describeFindings(report: Report): string {
  const lines: string[] = []
  let listed = 0
  for (const task of report.tasks) {
    for (const finding of task.findings) {
      listed += 1
      lines.push(`- ${finding.rule}: task ${task.id} (${task.kind}) at ${finding.at}, request ${finding.requestId}: ${finding.detail}`)
    }
  }
  const total = RULES.reduce((sum, rule) => sum + report.summary.findings[rule], 0)
  const head = `${total} finding${total === 1 ? '' : 's'} in the client report (${report.summary.tasks - report.summary.clean} of ${report.summary.tasks} tasks):`
  const more = total > listed ? [`- and ${total - listed} more (a task lists the first ${MAX_FINDINGS_PER_RULE} of each rule)`] : []
  return [head, ...lines, ...more].join('\n')
}

/** Cuts a page number as received to what an event keeps and a finding quotes. */
export function quotedPage(page: string | undefined): string | null {
  // One character more than a finding quotes, so that it can tell a cut one.
  return page === undefined ? null : page.slice(0, MAX_QUOTED_PAGE + 1)
}

/** Cuts an `accept` header to what a finding quotes. */
export function quotedAccept(accept: string | undefined): string | null {
  return accept === undefined ? null : accept.slice(0, MAX_QUOTED)
}

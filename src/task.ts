/**
 * The task model and its state machine (docs/behaviour.md §5).
 *
 * A task's status is never stored: it is derived at read time from its timeline, the clock and
 * the status reads recorded so far (a pure function of those facts). The only facts that change
 * after creation are the reads (`recordPoll`) and a move made through the control API (`moveTo`).
 */
import { MockError } from './errors.js'

/** Every state a task can be in. `queued` and `failed` are extensions to upstream (§5). */
export type TaskStatus = 'queued' | 'processing' | 'completed' | 'failed'

/** The states a timeline phase can hold. */
export type PhaseStatus = 'queued' | 'processing'

/** The states a task can end in. */
export type Outcome = 'completed' | 'failed'

/**
 * One phase of a timeline: lasts `ms` milliseconds, `polls` status reads, or (neither) until the
 * control API moves the task. Both are integers >= 1 when present; never both.
 */
export interface Phase {
  status: PhaseStatus
  ms?: number
  polls?: number
}

/** The pages of a paged task: a count and a way to get page `k` (0 <= k < count) on demand. */
export interface PageSource {
  readonly count: number
  /** Page `k`'s JSON value. Must be cheap and must not materialise other pages. */
  page(k: number): unknown
}

/**
 * An extra file in the task's zip: a relative name and its bytes, or a function that makes them
 * when the zip is built (signatures and PDFs of producer tasks, §14). A function must be
 * deterministic: the same task always gives the same bytes (§2).
 */
export interface TaskFile {
  name: string
  content: Buffer | (() => Buffer | Promise<Buffer>)
}

/** What a task is made from (already validated; see task-spec.ts). Times in epoch ms. */
export interface TaskInit {
  /** Lower-case canonical UUID. */
  id: string
  orgId: string
  kind: string
  /** Job count, an integer >= 1. */
  jobs: number
  createdAt: number
  timeline: Phase[]
  outcome: Outcome
  /** The Result API's `data` for an unpaged task. */
  result: unknown
  pages: PageSource | null
  files: TaskFile[]
  /** Where the content comes from (absent: the task lives in memory only). */
  source?: TaskSource
  /** How long the task can be read after its creation, in ms, when not `TASK_TTL` (a spec's `ttl`, §6). */
  ttlMs?: number
  /** The scenario (§21) the task was made from, whose faults are bound to it. */
  scenario?: string
}

/** A task's state as seen at one instant. */
export interface TaskState {
  status: TaskStatus
  jobs: { total: number; pending: number }
  /** When the current phase ends, in epoch ms, if it is measured in ms (for `Retry-After`). */
  phaseEndsAt: number | null
  /** When the task reached its terminal state, in epoch ms (dates the zip entries); else null. */
  finishedAt: number | null
}

/** Thrown by {@link Task.moveTo} for a move backwards or out of a terminal state (§5, §12 `409`). */
export class InvalidTransitionError extends MockError {
  constructor(readonly from: TaskStatus, readonly to: TaskStatus) {
    super('ERR_INVALID_TRANSITION', `cannot move a task from ${from} to ${to}`)
  }
}

const ORDER: Record<TaskStatus, number> = { queued: 0, processing: 1, completed: 2, failed: 2 }

/** True for `completed` and `failed`. */
export function isTerminal(status: TaskStatus): boolean {
  return status === 'completed' || status === 'failed'
}

/** A move made through the control API: the state holds from `at` (epoch ms), open-ended unless terminal. */
export interface Move {
  status: TaskStatus
  at: number
  pending: number
}

/**
 * Everything about a task that changes after its creation, as plain JSON (the store writes only
 * these, §16): status reads so far, the reads counted in the current `polls` phase, the time (epoch
 * ms) each ended `polls` phase ended (`[phase index, ms]` pairs), and the control API's move.
 */
export interface TaskFacts {
  polls: number
  readsInPhase: number
  pollPhaseEnds: Array<[number, number]>
  move: Move | null
}

/**
 * Where a task's content comes from, as plain JSON, so that a shared store can keep it and any
 * replica rebuild the same task (§16): a task spec (control API, fixtures), or an operation's
 * checked request with what its derivation looked up (§13; `spec` for a custom operation).
 */
export type TaskSource =
  | { spec: unknown }
  | {
      operation: string
      custom?: unknown
      input: unknown
      gstins: Record<string, string>
      irns: Record<string, unknown>
      timeline: Phase[]
      outcome: Outcome
      /** The task's own TTL in ms (a `next` override's scenario, §21), when not `TASK_TTL`. */
      ttlMs?: number
      /** The scenario a `next` override named (§21). */
      scenario?: string
    }

/**
 * A phase of the timeline as it stands at an instant, for people to see (the console, §12): when it
 * started and when it ends or ended, in epoch ms, each null while not known (a phase not reached
 * yet after a `polls` or open-ended one, or one that lasts until some reads or a move).
 */
export interface ScheduledPhase extends Phase {
  startedAt: number | null
  endsAt: number | null
}

/** The whole timeline at an instant: its phases, the outcome, and where now is. */
export interface Schedule {
  phases: ScheduledPhase[]
  outcome: Outcome
  /** Index of the phase holding now by the timeline (phases.length: the outcome is reached). */
  current: number
  /** When the outcome was (or will be) reached by the timeline, in epoch ms, if known. */
  outcomeAt: number | null
  /** The control API's move, which overrides the timeline from its time on, or null. */
  move: { status: TaskStatus; at: number } | null
}

/** Where the timeline stands at an instant: the phase index (timeline.length = the outcome). */
interface Position {
  index: number
  /** When the current phase (or the outcome) started, in epoch ms. */
  startedAt: number
  /** Progress through the current phase, as the fraction num/den (0 when open-ended). */
  num: number
  den: number
  endsAt: number | null
}

/**
 * A long-running task. Reads go through {@link Task.observe} (pure) and
 * {@link Task.recordPoll} (a status read that answered 200).
 */
export class Task {
  readonly id: string
  readonly orgId: string
  readonly kind: string
  readonly jobs: number
  readonly createdAt: number
  readonly timeline: readonly Phase[]
  readonly outcome: Outcome
  readonly pages: PageSource | null
  readonly files: readonly TaskFile[]
  readonly source: TaskSource | undefined
  /** The task's own TTL in ms, or undefined: `TASK_TTL`. */
  readonly ttlMs: number | undefined
  /** The scenario (§21) the task was made from, or undefined. */
  readonly scenario: string | undefined
  readonly #result: unknown
  /** Status reads that answered 200, in all (the TaskView's `polls`). */
  #polls = 0
  /**
   * For each `polls` phase that has ended: the time of the read that ended it (index -> ms). Made
   * when the first one ends: most tasks never have one, and an empty Map takes ~180 bytes of each
   * held task.
   */
  #pollPhaseEnds: Map<number, number> | null = null
  /** Status reads counted in the current `polls` phase. */
  #readsInPhase = 0
  #move: Move | null = null
  /** Processing phases in the timeline (k of §5). */
  readonly #processingPhases: number

  constructor(init: TaskInit) {
    this.id = init.id
    this.orgId = init.orgId
    this.kind = init.kind
    this.jobs = init.jobs
    this.createdAt = init.createdAt
    this.timeline = init.timeline
    this.outcome = init.outcome
    this.pages = init.pages
    this.files = init.files
    this.#result = init.result
    this.source = init.source
    this.ttlMs = init.ttlMs
    this.scenario = init.scenario
    this.#processingPhases = init.timeline.filter((p) => p.status === 'processing').length
  }

  /** Status reads that answered 200, in all (the TaskView's `polls`). */
  get polls(): number {
    return this.#polls
  }

  /** A copy of the facts that changed since creation (see {@link TaskFacts}). */
  get facts(): TaskFacts {
    return {
      polls: this.#polls,
      readsInPhase: this.#readsInPhase,
      pollPhaseEnds: this.#pollPhaseEnds ? [...this.#pollPhaseEnds] : [],
      move: this.#move && { ...this.#move }
    }
  }

  /** A new task with this one's content (shared, not copied) and the given facts. */
  withFacts(facts: TaskFacts): Task {
    // The content is rebuilt from the fields rather than kept twice (a TaskInit per held task).
    const { id, orgId, kind, jobs, createdAt, timeline, outcome, pages, files, source } = this
    const init: TaskInit = { id, orgId, kind, jobs, createdAt, timeline: timeline as Phase[], outcome, result: this.#result, pages, files: files as TaskFile[] }
    if (source !== undefined) init.source = source
    if (this.ttlMs !== undefined) init.ttlMs = this.ttlMs
    if (this.scenario !== undefined) init.scenario = this.scenario
    return new Task(init).restore(facts)
  }

  /** Replaces the facts with ones read from a store (the content stays). */
  restore(facts: TaskFacts): this {
    this.#polls = facts.polls
    this.#readsInPhase = facts.readsInPhase
    this.#pollPhaseEnds = facts.pollPhaseEnds.length === 0 ? null : new Map(facts.pollPhaseEnds)
    this.#move = facts.move && { ...facts.move }
    return this
  }

  /** The Result API's `data` (§2): `{"pages": n}` for a paged task, else the task's result. */
  get result(): unknown {
    return this.pages ? { pages: this.pages.count } : this.#result
  }

  /** The task's state at `now` (epoch ms). Pure: changes nothing. */
  observe(now: number): TaskState {
    if (this.#move) return this.#movedState(this.#move)
    const pos = this.#position(now)
    if (pos.index === this.timeline.length) {
      // Reaching a failed outcome means every processing phase ran its full length (f = 1), so
      // pending is 0, kept at 1 at least; with no processing phase it is the total (§5).
      const pending = this.outcome === 'completed' ? 0 : this.#processingPhases === 0 ? this.jobs : 1
      return {
        status: this.outcome,
        jobs: { total: this.jobs, pending },
        phaseEndsAt: null,
        finishedAt: pos.startedAt
      }
    }
    const phase = this.timeline[pos.index] as Phase
    return {
      status: phase.status,
      jobs: { total: this.jobs, pending: this.#pendingAt(pos) },
      phaseEndsAt: pos.endsAt,
      finishedAt: null
    }
  }

  /**
   * Records a status read that answered 200 at `now` (§5 "A poll is ..."): it may end a `polls`
   * phase, in which case this read already sees the next phase.
   * @returns the state this read sees
   */
  recordPoll(now: number): TaskState {
    this.#polls += 1
    if (!this.#move) {
      let pos = this.#position(now)
      let phase = this.timeline[pos.index]
      if (phase?.polls !== undefined && this.#readsInPhase >= phase.polls) {
        this.#pollPhaseEnds ??= new Map()
        this.#pollPhaseEnds.set(pos.index, now)
        this.#readsInPhase = 0
        pos = this.#position(now)
        phase = this.timeline[pos.index]
      }
      if (phase?.polls !== undefined) this.#readsInPhase += 1
    }
    return this.observe(now)
  }

  /**
   * Moves the task to `status` from `now` on (§5, §12 transition): open-ended unless terminal.
   * A move to the current non-terminal state is allowed and makes its phase open-ended.
   * @throws {InvalidTransitionError} for a move backwards or out of a terminal state
   */
  moveTo(status: TaskStatus, now: number): TaskState {
    const current = this.observe(now)
    if (isTerminal(current.status) || ORDER[status] < ORDER[current.status]) {
      throw new InvalidTransitionError(current.status, status)
    }
    const pending =
      status === 'completed' ? 0 : status === 'failed' ? Math.max(1, current.jobs.pending) : current.jobs.pending
    this.#move = { status, at: now, pending }
    return this.observe(now)
  }

  /**
   * The timeline as it stands at `now` (epoch ms): each phase with its start and end where known.
   * Pure: changes nothing.
   */
  schedule(now: number): Schedule {
    const current = this.#position(now).index
    const phases: ScheduledPhase[] = []
    let startedAt: number | null = this.createdAt
    for (const [index, phase] of this.timeline.entries()) {
      let endsAt: number | null = null
      if (startedAt !== null && phase.ms !== undefined) endsAt = startedAt + phase.ms
      else if (phase.polls !== undefined) endsAt = this.#pollPhaseEnds?.get(index) ?? null
      phases.push({ ...phase, startedAt, endsAt })
      startedAt = endsAt
    }
    const move = this.#move && { status: this.#move.status, at: this.#move.at }
    return { phases, outcome: this.outcome, current, outcomeAt: startedAt, move }
  }

  /**
   * When the task stops being readable, in epoch ms (§7): its creation plus its own TTL, else
   * plus `defaultTtlMs` (`TASK_TTL`).
   */
  expiresAt(defaultTtlMs: number): number {
    return this.createdAt + (this.ttlMs ?? defaultTtlMs)
  }

  /** Whether the task can no longer be read at `now` (epoch ms), given `TASK_TTL` in ms (§7). */
  isExpired(now: number, defaultTtlMs: number): boolean {
    return now >= this.expiresAt(defaultTtlMs)
  }

  #movedState(move: Move): TaskState {
    return {
      status: move.status,
      jobs: { total: this.jobs, pending: move.pending },
      phaseEndsAt: null,
      finishedAt: isTerminal(move.status) ? move.at : null
    }
  }

  /** Walks the timeline from the creation time to `now`. */
  #position(now: number): Position {
    let startedAt = this.createdAt
    for (let index = 0; index < this.timeline.length; index++) {
      const phase = this.timeline[index] as Phase
      if (phase.ms !== undefined) {
        const endsAt = startedAt + phase.ms
        if (now < endsAt) return { index, startedAt, num: Math.max(0, now - startedAt), den: phase.ms, endsAt }
        startedAt = endsAt
      } else if (phase.polls !== undefined) {
        const endedAt = this.#pollPhaseEnds?.get(index)
        if (endedAt === undefined) return { index, startedAt, num: this.#readsInPhase, den: phase.polls, endsAt: null }
        startedAt = endedAt
      } else {
        return { index, startedAt, num: 0, den: 1, endsAt: null }
      }
    }
    return { index: this.timeline.length, startedAt, num: 0, den: 1, endsAt: null }
  }

  /** `jobs.pending` within the timeline: ceil(total × (1 − (i + f) / k)), §5. */
  #pendingAt(pos: Position): number {
    const k = this.#processingPhases
    if (k === 0) return this.jobs
    let finished = 0
    for (let j = 0; j < pos.index; j++) if (this.timeline[j]?.status === 'processing') finished++
    const inProcessing = this.timeline[pos.index]?.status === 'processing'
    const num = inProcessing ? pos.num : 0
    // f = num / den; integer arithmetic up to the one division keeps exact quotients exact.
    // Clamped: with huge job counts and phase lengths the product loses precision.
    return Math.min(this.jobs, Math.ceil((this.jobs * ((k - finished) * pos.den - num)) / (k * pos.den)))
  }
}

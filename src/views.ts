/**
 * How the control API shows a task and the clock (docs/behaviour.md §12): the shapes its
 * answers and AdminClient (embed.ts) share, and the functions that build them. Times are ISO-8601.
 */
import { MAX_TIME_MS, type ControlledClock } from './clock.js'
import type { MockState } from './mock-state.js'
import type { Outcome, PhaseStatus, Schedule, Task, TaskStatus } from './task.js'

/** A task as the control API shows it (§12 TaskView). Times are ISO-8601. */
export interface TaskView {
  id: string
  orgId: string
  kind: string
  status: TaskStatus
  jobs: { total: number; pending: number }
  createdAt: string
  expiresAt: string
  /** Page count, or null for an unpaged task. */
  pages: number | null
  /** Status reads that answered 200 so far. */
  polls: number
}

/** The clock as the control API shows it. */
export interface ClockView {
  now: string
  mode: 'system' | 'manual'
}

/** An instant (epoch ms) as the control API shows it: ISO-8601 in UTC, with milliseconds. */
export const iso = (ms: number): string => new Date(ms).toISOString()

/** The TaskView of a task at the clock's now. */
export function taskView(mock: MockState, task: Task): TaskView {
  const state = task.observe(mock.clockFor(task.orgId).now())
  return {
    id: task.id,
    orgId: task.orgId,
    kind: task.kind,
    status: state.status,
    jobs: state.jobs,
    createdAt: iso(task.createdAt),
    // Every time shown fits the four-digit year of ISO_8601: a task made near the end of time
    // shows that end as its expiry (it never expires before it).
    expiresAt: iso(Math.min(MAX_TIME_MS, mock.expiresAt(task))),
    pages: task.pages?.count ?? null,
    polls: task.polls
  }
}

/** The ClockView of a clock (the global one, or an org's, §15). */
export function clockView(clock: ControlledClock): ClockView {
  return { now: iso(clock.now()), mode: clock.mode }
}

/** A timeline as the control API shows it (`GET /__admin/tasks/{id}/timeline`, §12). */
export interface TimelineView {
  phases: Array<{ status: PhaseStatus; ms?: number; polls?: number; startedAt: string | null; endsAt: string | null }>
  outcome: Outcome
  current: number
  outcomeAt: string | null
  move: { status: TaskStatus; at: string } | null
}

/** The TimelineView of a task's schedule (times past the end of time shown as that end). */
export function scheduleView(schedule: Schedule): TimelineView {
  const time = (ms: number | null): string | null => (ms === null ? null : iso(Math.min(MAX_TIME_MS, ms)))
  return {
    phases: schedule.phases.map(({ startedAt, endsAt, ...phase }) => ({ ...phase, startedAt: time(startedAt), endsAt: time(endsAt) })),
    outcome: schedule.outcome,
    current: schedule.current,
    outcomeAt: time(schedule.outcomeAt),
    move: schedule.move && { status: schedule.move.status, at: iso(schedule.move.at) }
  }
}

/**
 * Ready-made scenarios (docs/behaviour.md §21), as data: each is a named preset of a timeline, an
 * outcome and faults bound to the task, which a task spec (`"scenario"`, §6) or an operation's
 * `next` override (§13) names instead of spelling them out. Listed by `GET /__admin/scenarios`.
 */
import type { FaultSpec } from './faults.js'
import type { Outcome, Phase } from './task.js'

/** A named preset. */
export interface Scenario {
  name: string
  /** One line: what a client sees. */
  description: string
  timeline: readonly Phase[]
  outcome: Outcome
  /** The job count when the spec gives none (a task spec's; an operation's task counts its items). */
  jobs?: number
  /** The task's own TTL, in multiples of `RETRY_AFTER_S` (absent: `TASK_TTL`). */
  ttlRetryAfters?: number
  /** Faults bound to the task (each gets its `taskId`): they go when the task goes. */
  faults: readonly FaultSpec[]
}

/** The default timeline (§6): the first status read answers `processing`, later ones `completed`. */
const ONE_POLL: readonly Phase[] = [{ status: 'processing', polls: 1 }]

/** Every scenario, in the order `GET /__admin/scenarios` lists them. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'happy',
    description: 'The default: the first status read answers processing, the next ones completed.',
    timeline: ONE_POLL,
    outcome: 'completed',
    faults: []
  },
  {
    name: 'slow',
    description: 'Queued for 2 status reads, processing for 5 more, then completed (from the 8th read on).',
    timeline: [
      { status: 'queued', polls: 2 },
      { status: 'processing', polls: 5 }
    ],
    outcome: 'completed',
    faults: []
  },
  {
    name: 'retry-error',
    description: 'The first status read answers 503 with Retry-After: 1; then as happy.',
    timeline: ONE_POLL,
    outcome: 'completed',
    faults: [{ route: 'status', times: 1, respond: { status: 503, retryAfter: 1 } }]
  },
  {
    name: 'fails-midway',
    description: 'Processing for 2 status reads, then failed with 1 of its 4 jobs pending.',
    timeline: [{ status: 'processing', polls: 2 }],
    outcome: 'failed',
    jobs: 4,
    faults: []
  },
  {
    name: 'expires-before-download',
    description: 'Completed at creation, and gone RETRY_AFTER_S seconds later (its own TTL): collect it at once.',
    timeline: [],
    outcome: 'completed',
    ttlRetryAfters: 1,
    faults: []
  },
  {
    name: 'truncated-download',
    description: 'As happy; the first download is cut part-way through the zip, the next one is whole.',
    timeline: ONE_POLL,
    outcome: 'completed',
    faults: [{ route: 'download', times: 1, drop: 'mid-download' }]
  },
  {
    name: 'rate-limited',
    description: 'As happy; every third request to the task answers 429 with Retry-After: 2.',
    timeline: ONE_POLL,
    outcome: 'completed',
    faults: [{ route: '*', every: 3, respond: { status: 429, retryAfter: 2 } }]
  }
]

/** The scenarios' names, for the specs' schemas. */
export const SCENARIO_NAMES: readonly string[] = SCENARIOS.map((scenario) => scenario.name)

/** The scenario with this name, or undefined. */
export function scenarioNamed(name: string): Scenario | undefined {
  return SCENARIOS.find((scenario) => scenario.name === name)
}

/** A scenario's own TTL in ms, given `RETRY_AFTER_S`, or undefined: `TASK_TTL`. */
export function scenarioTtlMs(scenario: Scenario, retryAfterS: number): number | undefined {
  return scenario.ttlRetryAfters === undefined ? undefined : scenario.ttlRetryAfters * retryAfterS * 1000
}

/** A scenario as `GET /__admin/scenarios` shows it (`ttl` in ms, for this server's `RETRY_AFTER_S`). */
export interface ScenarioView {
  name: string
  description: string
  timeline: Phase[]
  outcome: Outcome
  jobs?: number
  ttl?: number
  faults: FaultSpec[]
}

/** The view of a scenario on a server whose `RETRY_AFTER_S` is `retryAfterS`. */
export function scenarioView(scenario: Scenario, retryAfterS: number): ScenarioView {
  const ttl = scenarioTtlMs(scenario, retryAfterS)
  return {
    name: scenario.name,
    description: scenario.description,
    timeline: structuredClone([...scenario.timeline]),
    outcome: scenario.outcome,
    ...(scenario.jobs === undefined ? {} : { jobs: scenario.jobs }),
    ...(ttl === undefined ? {} : { ttl }),
    faults: structuredClone([...scenario.faults])
  }
}

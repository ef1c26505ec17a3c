/**
 * What an operation that creates tasks is (docs/behaviour.md §13): the
 * upstream route(s) it answers, how its request is checked, and a pure derivation from the
 * checked request to the task's content. Built-in operations and custom ones (§13 "Custom operations")
 * are both {@link Operation}s in one registry (registry.ts); the producer routes only parse, call
 * {@link Operation.check} and {@link Operation.derive}, and answer.
 */
import type { PageSource, TaskFile } from '../task.js'

/** Most items one submission may hold (§13: an empty list or more than this is `400`). */
export const MAX_ITEMS = 1000

/**
 * The envelope a producer route answers its task id in (§13 "Answer"): `v1` is
 * `{"data":{"task-id"}}` (the v1.0 einv routes); `v3` adds `status`, `error`, `info`,
 * `additionalInfo` and `alert` (v3.0 routes and the gstn routes).
 */
export type Envelope = 'v1' | 'v3'

/** A method a producer route answers. */
export type ProducerMethod = 'GET' | 'POST' | 'PUT'

/** The parts of a producer request an operation reads (never HTTP objects). */
export interface OperationRequest {
  /** Path parameters, percent-decoded (e.g. `version`, `irp`). */
  params: Record<string, string>
  /** Query parameters; a repeated one is an array. */
  query: Record<string, string | string[] | undefined>
  /** The parsed JSON body (undefined for GET and HEAD). */
  body: unknown
}

/** An IRN this server issued (§14 `einvoice-bulk-generation`), as the issued-IRN registry keeps it. */
export interface IssuedIrn {
  /** 64 lower-case hex characters. */
  irn: string
  orgId: string
  /** 15 digits. */
  ackNo: string
  /** Issue time (the generating task's creation time), epoch ms. */
  ackAt: number
  /** The task that issued it: the IRN counts as issued while that task is held. */
  taskId: string
  /** When it was cancelled (epoch ms), or null. */
  cancelledAt: number | null
}

/**
 * What a derivation may read besides the request: the org, the time and the state it depends on.
 * All read-only; a derivation's effects on that state are returned, not applied.
 */
export interface DeriveContext {
  /** The org the task belongs to (the caller's org; org 1 when auth is off). */
  orgId: string
  /** The task's creation time, epoch ms (the mock's clock). */
  now: number
  /** The new task's id (lower-case UUID). */
  taskId: string
  /** The GSTIN of an org: its fixture's, or a synthetic one derived from the org id. */
  orgGstin: (orgId: string) => string
  /** An IRN issued to `orgId` by a task still held, or undefined. */
  issuedIrn: (orgId: string, irn: string) => IssuedIrn | undefined
  /** Signs `data` as the demo IRP (a compact RS256 JWS; see signing.ts). Deterministic. */
  sign: (data: unknown) => Promise<string>
}

/** The content of a task an operation derived, and the effects to apply once the task exists. */
export interface Derived {
  /** Job count (>= 1): the number of items submitted, 1 for the gstn routes. */
  jobs: number
  /** The Result API's `data` of an unpaged task (ignored when `pages` is given). */
  result?: unknown
  /** Pages of a paged task, made on demand. */
  pages?: PageSource
  /** Extra zip entries (content may be made lazily, when the zip is built). */
  files?: TaskFile[]
  /** IRNs the task issues (registered when the task is created). */
  issue?: IssuedIrn[]
  /** IRNs the task cancels (`at` epoch ms), marked when the task is created. */
  cancel?: Array<{ irn: string; at: number }>
}

/** One upstream route of an operation. */
export interface OperationRoute {
  /** Fastify URL pattern, e.g. `/enriched/einv/:version/:irp/invoices`. */
  url: string
  /**
   * Allowed values of path parameters; any other value is rule 1's `404` (§13 "Order of checks").
   * A parameter not listed takes any value.
   */
  params: Record<string, readonly string[]>
  /** The envelope, given the request's path parameters. */
  envelope: (params: Record<string, string>) => Envelope
}

/**
 * An operation that creates tasks. `check` and `derive` are pure: no HTTP, no I/O, no clock
 * reads (time arrives in the context).
 * @typeParam Input the checked request
 */
export interface Operation<Input = unknown> {
  /** The operation's name, also the `kind` of the tasks it creates and the fault `route` (§13). */
  name: string
  method: ProducerMethod
  routes: readonly OperationRoute[]
  /** One line for `GET /__admin/operations`. */
  description: string
  /**
   * Checks the request (body shape, item count, query).
   * @throws {InvalidSpecError} with `details` ({path, message}) for `400 err-invalid-request`
   */
  check(request: OperationRequest): Input
  /** Derives the task's content from the checked request. Deterministic for equal inputs. */
  derive(input: Input, context: DeriveContext): Derived
}

/**
 * What every journaled route shares (task routes, §2; producer routes, §13): the request journal
 * and the faults, applied in `onRequest` after routing and before auth.
 */
import type { ServerResponse } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ContractError } from '../errors.js'
import { FAULT_RESPONSES, type Fault } from '../faults.js'
import { RecordedRequest } from '../journal.js'
import type { MockState } from '../mock-state.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The fault taken for this request, if any. */
    fault: Fault | null
  }
}

/** What a response still to be journaled carries until its answer is over. */
interface PendingEntry {
  mock: MockState
  request: FastifyRequest
  orgId: string | undefined
  /** The mock clock's time at arrival, in epoch ms. */
  at: number
  /** performance.now() at arrival. */
  started: number
}

const PENDING = Symbol('pending journal entry')

type JournaledResponse = ServerResponse & { [PENDING]?: PendingEntry | undefined }

/**
 * Records the request in the journal once its answer is over (sent, or the connection cut). The
 * entry's ISO time and redacted headers are made only if someone reads it ({@link RecordedRequest}),
 * and the two listeners are one shared function, not closures made per request.
 */
export function journalRequest(mock: MockState, request: FastifyRequest, reply: FastifyReply): void {
  const orgId = request.headers['x-flynn-n-org-id'] as string | undefined
  const res = reply.raw as JournaledResponse
  // On the clock of the org the request names (§15), as the report reads it.
  res[PENDING] = { mock, request, orgId, at: mock.clockFor(orgId).now(), started: performance.now() }
  res.on('finish', recordEntry)
  res.on('close', recordEntry)
}

/** The listener of {@link journalRequest} ('finish' or 'close', whichever comes first). */
function recordEntry(this: JournaledResponse): void {
  const pending = this[PENDING]
  if (!pending) return
  this[PENDING] = undefined
  const { request } = pending
  const durationMs = Math.round((performance.now() - pending.started) * 100) / 100
  const entry = new RecordedRequest(request.id, pending.at, request.method, request.url, this.headersSent ? this.statusCode : 0, durationMs, request.headers, pending.orgId)
  void pending.mock.store.journal.record(entry)
}

/**
 * Takes the fault that applies to this request, if any (§10: after routing, before auth): waits
 * its delay, then cuts the connection, answers its error, or marks the download to be cut.
 * Reads the faults as of the caller's `mock.store.sync()`.
 */
export function applyFault(mock: MockState, route: string, taskId: string | undefined, request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
  // Most requests meet no fault: only then is one taken, atomically across replicas (§16), and
  // only then is a promise made.
  // Faults come before auth (§10): an org's fault (§15) matches the org the request names.
  const orgId = request.headers['x-flynn-n-org-id'] as string | undefined
  if (!mock.faults.matches(route, taskId, orgId)) return undefined
  return takeFault(mock, route, taskId, orgId, request, reply)
}

/** Takes the fault {@link applyFault} found (unless another replica took it first) and applies it. */
async function takeFault(mock: MockState, route: string, taskId: string | undefined, orgId: string | undefined, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const fault = await mock.store.update(['faults'], (state) => state.faults.take(route, taskId, orgId))
  if (!fault) return
  request.fault = fault
  if (fault.delayMs) await sleep(fault.delayMs)
  if (fault.drop === 'before-response') {
    reply.hijack()
    request.raw.socket.destroy()
    return
  }
  if (fault.respond) {
    const { status, retryAfter } = fault.respond
    throw new ContractError(FAULT_RESPONSES[status], {}, retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) })
  }
}


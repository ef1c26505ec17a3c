/**
 * What every journaled route shares (task routes, §2; producer routes, §13): the request journal
 * and the faults, applied in `onRequest` after routing and before auth.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ContractError } from '../errors.js'
import { FAULT_RESPONSES, type Fault } from '../faults.js'
import { redactHeaders } from '../journal.js'
import type { MockState } from '../mock-state.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The fault taken for this request, if any. */
    fault: Fault | null
  }
}

/** Records the request in the journal once its answer is over (sent, or the connection cut). */
export function journalRequest(mock: MockState, request: FastifyRequest, reply: FastifyReply): void {
  // On the clock of the org the request names (§15), as the report reads it.
  const at = new Date(mock.clockFor(request.headers['x-flynn-n-org-id'] as string | undefined).now()).toISOString()
  const started = performance.now()
  const res = reply.raw
  let recorded = false
  const record = (): void => {
    if (recorded) return
    recorded = true
    void mock.store.journal.record({
      id: request.id,
      at,
      method: request.method,
      url: request.url,
      status: res.headersSent ? res.statusCode : 0,
      durationMs: Math.round((performance.now() - started) * 100) / 100,
      headers: redactHeaders(request.headers)
    })
  }
  res.once('finish', record)
  res.once('close', record)
}

/**
 * Takes the fault that applies to this request, if any (§10: after routing, before auth): waits
 * its delay, then cuts the connection, answers its error, or marks the download to be cut.
 * Reads the faults as of the caller's `mock.store.sync()`.
 */
export async function applyFault(mock: MockState, route: string, taskId: string | undefined, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  // Most requests meet no fault: only then is one taken, atomically across replicas (§16).
  // Faults come before auth (§10): an org's fault (§15) matches the org the request names.
  const orgId = request.headers['x-flynn-n-org-id'] as string | undefined
  if (!mock.faults.matches(route, taskId, orgId)) return
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


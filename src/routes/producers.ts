/**
 * The operations that create tasks (docs/behaviour.md §13): the built-in producer routes,
 * one dispatcher for the custom ones registered at run time (Fastify cannot add routes once
 * started), and the demo IRP's public key set.
 *
 * Order of checks, each throwing the first failure as a {@link ContractError}: route (version or
 * `irp`: 404; method: 405) -> fault -> auth -> accept -> request content type (415) -> body
 * (413 while it is read, then 400 for malformed JSON or a wrong shape). Only then is the task
 * created. Routes only parse, call the registry's operation and answer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { accepts } from '../accept.js'
import { ContractError, routeNotFound } from '../errors.js'
import type { MockState } from '../mock-state.js'
import type { Envelope, Operation, OperationRoute } from '../operations/operation.js'
import { InvalidSpecError, MAX_JSON_DEPTH, nestsDeeperThan } from '../validation.js'
import { applyFault, journalRequest } from './hooks.js'

/** What a producer request resolved to: the operation, the route and its path parameters. */
interface ProducerTarget {
  operation: Operation
  envelope: Envelope
  params: Record<string, string>
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The producer operation this request calls (set in onRequest). */
    producer: ProducerTarget | null
    /** The org the request acts as, once authenticated. */
    orgId: string | null
  }
}

/** The task id in the envelope the route answers with (§13 "Answer"). */
export function envelopeOf(envelope: Envelope, taskId: string): object {
  const data = { 'task-id': taskId }
  return envelope === 'v1' ? { data } : { status: '1', data, error: null, info: null, additionalInfo: null, alert: null }
}

const JSON_TYPE = 'application/json'
const hasBody = (method: string): boolean => method === 'POST' || method === 'PUT'
const allowOf = (operation: Operation): string => (operation.method === 'GET' ? 'GET, HEAD' : operation.method)

/** Registers the built-in producer routes, the custom-route dispatcher and `GET /.well-known/jwks.json`. */
export async function producerRoutes(app: FastifyInstance): Promise<void> {
  const mock = app.mock
  const bodyLimit = mock.settings.maxPayloadSize
  app.decorateRequest('producer', null)
  app.decorateRequest('orgId', null)

  for (const operation of mock.operations.builtIn) {
    for (const route of operation.routes) {
      // Other methods reach it through app.otherMethods (plugins/not-found.ts): its 405.
      const onRequest = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
        startAnswer(mock, request, reply)
        request.producer = builtInTarget(operation, route, request.method, request.params as Record<string, string>)
        // From here on, mock state as every replica wrote it (§16).
        await mock.store.sync()
        await checkRequest(mock, request, reply)
      }
      app.route<{ Params: Record<string, string> }>({
        method: operation.method === 'GET' ? ['GET', 'HEAD'] : operation.method,
        url: route.url,
        bodyLimit,
        onRequest,
        handler: async (request, reply) => answer(mock, request, reply)
      })
      app.otherMethods.add(route.url, onRequest)
    }
  }

  // Custom operations (§13 "Custom operations"): any other path under /enriched/ is looked up at request
  // time; a path no custom operation serves is rule 1's 404, answered before its body is read.
  app.route({
    method: app.supportedMethods,
    url: '/enriched/*',
    bodyLimit,
    onRequest: async (request, reply) => {
      // A built-in task or producer route at this path, asked with another method: its 405.
      const refused = app.otherMethods.refuse(request, reply)
      if (refused) return refused
      // Custom operations are shared by replicas (§16): read them as they are now.
      await mock.store.sync()
      const match = mock.operations.matchCustom(request.method, pathSegments(request.url))
      if (!match) throw routeNotFound()
      startAnswer(mock, request, reply)
      if ('allow' in match) throw new ContractError('err-method-not-allowed', {}, { allow: match.allow })
      const [route] = match.operation.routes as [OperationRoute]
      request.producer = { operation: match.operation, envelope: route.envelope(match.params), params: match.params }
      await checkRequest(mock, request, reply)
    },
    handler: async (request, reply) => answer(mock, request, reply)
  })

  app.get('/.well-known/jwks.json', async () => mock.signer.jwks)
}

/** The task-route headers of §2 and the journal entry, for every answer of a matched route. */
function startAnswer(mock: MockState, request: FastifyRequest, reply: FastifyReply): void {
  reply.header('vary', 'Accept').header('cache-control', 'no-store')
  journalRequest(mock, request, reply)
}

/** Rule 1 on a built-in route: its parameters' allowed values (404), then its method (405). */
function builtInTarget(operation: Operation, route: OperationRoute, method: string, params: Record<string, string>): ProducerTarget {
  for (const [name, allowed] of Object.entries(route.params)) {
    if (!allowed.includes(params[name] as string)) throw routeNotFound()
  }
  if (method !== operation.method && !(operation.method === 'GET' && method === 'HEAD')) {
    throw new ContractError('err-method-not-allowed', {}, { allow: allowOf(operation) })
  }
  return { operation, envelope: route.envelope(params), params: { ...params } }
}

/** The rest of onRequest, before any body is read: fault, auth, accept, request content type. */
async function checkRequest(mock: MockState, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const { operation } = request.producer as ProducerTarget
  await applyFault(mock, operation.name, undefined, request, reply)
  // A dropped connection (a fault) is hijacked: Fastify runs no handler, so no task is created.
  if (request.fault?.drop === 'before-response') return
  const { settings } = mock
  const headers = request.headers
  request.orgId = mock.credentials.authenticate(
    settings.authMode,
    headers['x-flynn-n-org-id'] as string | undefined,
    headers['x-flynn-n-user-token'] as string | undefined,
    // A token's expiry is judged on the clock of the org it is used for (§15).
    mock.clockFor(headers['x-flynn-n-org-id'] as string | undefined)
  )
  if (!accepts(headers.accept, JSON_TYPE, settings.acceptMode)) {
    throw new ContractError('err-invalid-accept-header', { accept: headers.accept ?? '', expected: JSON_TYPE })
  }
  if (hasBody(request.method)) {
    const contentType = headers['content-type'] ?? ''
    if (contentType.split(';')[0]?.trim().toLowerCase() !== JSON_TYPE) {
      throw new ContractError('err-unsupported-media-type', { 'content-type': contentType, expected: JSON_TYPE })
    }
  }
}

/** Checks the body (or query) and creates the task; HEAD creates nothing (§13). */
async function answer(mock: MockState, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const { operation, envelope, params } = request.producer as ProducerTarget
  const body = hasBody(request.method) ? request.body : undefined
  // Deeper JSON would overflow the stack when it is signed or written into the zip.
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) throw new InvalidSpecError([{ path: '', message: `must not nest deeper than ${MAX_JSON_DEPTH} levels` }])
  const input = operation.check({ params, query: request.query as Record<string, string | string[] | undefined>, body })
  if (request.method === 'HEAD') return reply.type(JSON_TYPE).send()
  const task = await mock.produce(operation, input, request.orgId as string)
  return envelopeOf(envelope, task.id)
}

/** A URL's path split on `/` after the leading one, each segment percent-decoded (undecodable: none match). */
function pathSegments(url: string): string[] {
  const path = url.split('?', 1)[0] as string
  try {
    return path.split('/').slice(1).map(decodeURIComponent)
    /* c8 ignore next 4 */
  } catch {
    // Unreachable through Fastify, whose router answers an undecodable path first (frameworkErrors).
    return []
  }
}

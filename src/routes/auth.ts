/**
 * The upstream's auth API (docs/behaviour.md §4): login, refresh and logout under
 * `/theodore/apis/v1`. No org headers; `accept` is not enforced (its public clients send none).
 * Requests are journaled like task-route requests: never a body, the bearer redacted.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { ContractError } from '../errors.js'
import { journalRequest } from './hooks.js'

/** The auth routes and the methods each answers. */
const ROUTES = [
  { url: '/authtokens', allow: ['POST', 'PUT'] },
  { url: '/logout', allow: ['POST'] }
] as const

/**
 * The body as JSON: a missing body is undefined; anything that is not JSON is the §4 `400`
 * naming `body` (whatever its content type: the upstream's clients are not consistent).
 */
function jsonBody(request: FastifyRequest): unknown {
  const text = request.body as string | undefined
  if (text === undefined || text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw new ContractError('err-issue-with-parameter', { 'parameter-name': 'body' })
  }
}

/**
 * The content type as sent, while Fastify reads the body under a plain one: Fastify refuses a
 * header that is not a media type (`garbage`, `text`, an empty one) before any parser runs, and
 * these routes read every body as text (§14).
 */
const sentContentType = new WeakMap<FastifyRequest, string>()

/** Registers the auth API; register it with `{ prefix: '/theodore/apis/v1' }` (its own scope). */
export async function authRoutes(app: FastifyInstance): Promise<void> {
  const mock = app.mock
  // Any content type is read as text and parsed here, so a bad body gets §4's answer.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body))

  for (const route of ROUTES) {
    const arrive = (request: FastifyRequest, reply: FastifyReply): void => {
      reply.header('cache-control', 'no-store')
      journalRequest(app.mock, request, reply)
    }
    // Other methods reach this through app.otherMethods (plugins/not-found.ts): the 405.
    app.otherMethods.add(app.prefix + route.url, async (request, reply) => {
      arrive(request, reply)
      throw new ContractError('err-method-not-allowed', {}, { allow: route.allow.join(', ') })
    })
    app.route({
      method: [...route.allow],
      url: route.url,
      onRequest: async (request, reply) => {
        arrive(request, reply)
        // Logout takes no body and ignores one (§4), however large: with no content type or
        // length left, Fastify reads nothing, and Node discards the unread bytes.
        if (route.url === '/logout') {
          delete request.headers['content-type']
          delete request.headers['transfer-encoding']
          request.headers['content-length'] = '0'
        } else if (request.headers['content-type'] !== undefined) {
          sentContentType.set(request, request.headers['content-type'])
          request.headers['content-type'] = 'text/plain'
        }
      },
      // Before the answer is written, so that the journal shows the header as sent.
      onSend: async (request, _reply, payload) => {
        const sent = sentContentType.get(request)
        if (sent !== undefined) request.headers['content-type'] = sent
        return payload
      },
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        // Users and sessions are shared by replicas (§16).
        await mock.store.sync()
        const bearer = request.headers.authorization
        if (route.url === '/logout') {
          await mock.store.update(['auth'], (state) => state.users.logout(bearer))
          return reply.code(200).send()
        }
        if (request.method === 'PUT') return { data: await mock.store.update(['auth'], (state) => state.users.refresh(bearer, () => jsonBody(request))) }
        const body = jsonBody(request)
        // No body at all: every field is missing (the first one is named).
        return { data: await mock.login(body === undefined ? {} : body) }
      }
    })
  }
}

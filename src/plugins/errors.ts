/**
 * The one error handler: every error thrown while answering gets the answer errors.ts maps it to;
 * anything it does not know is a `500` whose details go to the log only.
 */
import type { FastifyError, FastifyReply } from 'fastify'
import { answerOf, internalError } from '../errors.js'
import { appWide } from './app-wide.js'

export const errors = appWide('errors', async (app) => {
  app.setErrorHandler((error: FastifyError, request, reply) => sendError(error, reply, (err) => request.log.error({ err }, 'unexpected error')))
})

/** Answers an error with its status, headers and JSON body. */
function sendError(error: FastifyError, reply: FastifyReply, logUnexpected: (error: unknown) => void): FastifyReply {
  // Headers a success would have carried must not survive into an error.
  reply.removeHeader('content-disposition')
  reply.removeHeader('retry-after')
  reply.removeHeader('content-length')
  const answer = answerOf(error)
  if (answer) return reply.code(answer.status).headers(answer.headers).type('application/json; charset=utf-8').send(answer.body)
  logUnexpected(error)
  // The type is left to Fastify, as it always was here: after a zip stream fails before its first
  // byte, the raw response still says application/zip, and Fastify answers with its own 500.
  return reply.code(500).send(internalError().body)
}

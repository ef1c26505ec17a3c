/**
 * The edges, where Node's HTTP server meets Fastify: every method Node parses reaches the router
 * (CONNECT included), a request Node's parser refuses gets Node's own bare answer, and every
 * answer carries the request's `X-CALL-ID`.
 */
import http from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { appWide } from './app-wide.js'

/**
 * Every method Node parses reaches the router, so a task route can answer 405 to all of them;
 * CONNECT, which Node hands to a 'connect' listener instead, is passed on to the router too.
 * Register it before any route.
 */
export const edges = appWide('edges', async (app) => {
  for (const method of http.METHODS) {
    if (!app.supportedMethods.includes(method)) app.addHttpMethod(method, { hasBody: true })
  }
  app.server.on('connect', (request: http.IncomingMessage, socket: Socket) => {
    const response = new http.ServerResponse(request)
    // The socket is closed after this one answer (Node has handed it over): say so.
    response.shouldKeepAlive = false
    response.assignSocket(socket)
    response.once('finish', () => socket.destroySoon())
    app.server.emit('request', request, response)
  })

  // A callback hook, not an async one: no promise per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-call-id', request.id)
    done()
  })
})

/**
 * Answers a request Node's parser refused (malformed, headers over MAX_HEADER_SIZE, too slow) the
 * way Node itself does: a bare status line and `Connection: close`, no body (§1: "as Node
 * does"), instead of Fastify's JSON body. Fastify's `clientErrorHandler`.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400
  if (socket.writable) socket.write(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`)
  socket.destroy()
}

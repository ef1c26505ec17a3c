/**
 * The limits a shared deployment needs (§19), over real sockets: request, keep-alive and
 * connection timeouts, and the header size limit. The first runs against the real server process
 * (the settings read from its environment); the others against the server as the entry point's
 * own main() starts it in this process, from the same environment variables, which is the same
 * code without a process start each.
 */
import { connect, type Socket } from 'node:net'
import t from 'tap'
import { main } from '../src/cli.js'
import { AUTH1, taskNotFound, type Teardown } from './helpers/app.js'
import { rawRequest } from './helpers/http.js'
import { startServer, stopServer } from './helpers/server.js'

/** Starts the server as `node dist/bin.js` would with `env` (PORT=0), in this process; resolves with its port. */
async function startInProcess(t: Teardown, env: Record<string, string>): Promise<number> {
  const errors: string[] = []
  const app = await main([], { PORT: '0', LOG_LEVEL: 'silent', ...env }, { out: () => {}, err: (line) => void errors.push(line) })
  if (typeof app === 'number') throw new Error(`main exited ${app}: ${errors.join('; ')}`)
  t.teardown(() => app.close())
  return (app.server.address() as { port: number }).port
}

/** Connects and resolves with the socket once connected. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket))
    socket.on('error', reject)
  })
}

/** Resolves with what the server sent and how long until it closed the connection (ms). */
function untilClosed(socket: Socket): Promise<{ received: string; afterMs: number }> {
  const started = performance.now()
  return new Promise((resolve) => {
    let received = ''
    socket.on('data', (c: Buffer) => (received += c.toString('latin1')))
    socket.on('close', () => resolve({ received, afterMs: performance.now() - started }))
  })
}

t.test('REQUEST_TIMEOUT: a request that never finishes gets 408 and the connection closes', async (t) => {
  const server = await startServer({ REQUEST_TIMEOUT: '500ms' })
  t.teardown(() => stopServer(server))
  const socket = await open(Number(new URL(server.url).port))
  const closed = untilClosed(socket)
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n')
  const { received, afterMs } = await closed
  t.match(received, /^HTTP\/1\.1 408 Request Timeout/)
  t.ok(afterMs >= 400 && afterMs < 5_000, `closed after ${Math.round(afterMs)} ms`)
})

t.test('KEEP_ALIVE_TIMEOUT: an idle kept-alive connection is closed', async (t) => {
  const socket = await open(await startInProcess(t, { KEEP_ALIVE_TIMEOUT: '300ms' }))
  const closed = untilClosed(socket)
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
  const { received, afterMs } = await closed
  t.match(received, /^HTTP\/1\.1 200 OK[^]*Keep-Alive: timeout=0?\.?3?/i)
  t.ok(afterMs >= 250 && afterMs < 5_000, `closed after ${Math.round(afterMs)} ms idle`)
})

t.test('CONNECTION_TIMEOUT: a silent connection is closed', async (t) => {
  const socket = await open(await startInProcess(t, { CONNECTION_TIMEOUT: '400ms', REQUEST_TIMEOUT: '0' }))
  const { received, afterMs } = await untilClosed(socket)
  t.equal(received, '', 'nothing sent')
  t.ok(afterMs >= 300 && afterMs < 5_000, `closed after ${Math.round(afterMs)} ms`)
})

t.test('MAX_HEADER_SIZE: 431 past it; a long id within it reaches rule 4', async (t) => {
  const port = await startInProcess(t, { MAX_HEADER_SIZE: '4096' })
  const auth = `x-flynn-n-org-id: ${AUTH1['x-flynn-n-org-id']}\r\nx-flynn-n-user-token: ${AUTH1['x-flynn-n-user-token']}\r\naccept: application/json`
  const long = 'a'.repeat(3_000)
  const ok = await rawRequest(port, `GET /enriched/tasks/v1.0/status/${long} HTTP/1.1\r\n${auth}`)
  t.equal(ok.status, 404)
  t.same(JSON.parse(ok.body), taskNotFound(long))
  const page = await rawRequest(port, `GET /enriched/tasks/v1.0/result/a0000000-0000-4000-8000-000000000003/page/${'9'.repeat(3_000)} HTTP/1.1\r\n${auth}`)
  t.equal(page.status, 404, 'an over-long page number: rule 5, not 414')
  const tooLong = await rawRequest(port, `GET /enriched/tasks/v1.0/status/${'a'.repeat(5_000)} HTTP/1.1\r\n${auth}`)
  t.equal(tooLong.status, 431)
  const bigHeader = await rawRequest(port, `GET /healthz HTTP/1.1\r\nx-big: ${'b'.repeat(5_000)}`)
  t.equal(bigHeader.status, 431)
})

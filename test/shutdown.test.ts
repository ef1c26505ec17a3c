/**
 * Graceful shutdown of the real server process (§18 SHUTDOWN_GRACE): SIGTERM and SIGINT stop
 * accepting, let in-flight requests finish up to the grace period, then exit 0; a second signal
 * exits at once.
 */
import { mkdtempSync, mkdirSync, copyFileSync, writeFileSync } from 'node:fs'
import { request } from 'node:http'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { BUNDLED_FIXTURES_DIR } from '../src/config.js'
import { AUTH1, ZIP_ACCEPT, path } from './helpers/app.js'
import { startServer } from './helpers/server.js'

const BIG = 'd0000000-0000-4000-8000-000000002000'

// Each test starts a server process of its own, so they run at once: their starts, grace periods
// and slow reads overlap instead of adding up.
t.jobs = 5

/** A fixtures folder holding the demo credentials and one 2,000-page generated task. */
function bigFixtures(): string {
  const dir = mkdtempSync(join(tmpdir(), 'etm-shutdown-'))
  mkdirSync(join(dir, 'tasks'))
  copyFileSync(join(BUNDLED_FIXTURES_DIR, 'credentials.json'), join(dir, 'credentials.json'))
  writeFileSync(join(dir, 'tasks', 'big.json'), JSON.stringify({ id: BIG, timeline: [], generate: { pages: 2000, itemsPerPage: 100 } }))
  return dir
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  t.test(`${signal} with nothing in flight exits 0 at once`, async (t) => {
    // Bounds far from the machine's speed: "at once" is "well before the 60 s grace".
    const server = await startServer({ SHUTDOWN_GRACE: '60s' })
    const started = performance.now()
    server.child.kill(signal)
    t.same(await server.exited, { code: 0, signal: null })
    t.ok(performance.now() - started < 30_000, 'did not wait for the grace period')
    t.ok(server.lines.some((l) => l.includes('"msg":"shutting down"') && l.includes(signal)))
  })
}

t.test('SIGTERM lets an in-flight download finish, then exits 0', async (t) => {
  // A grace far longer than the download needs, even on a loaded machine: this test is about the
  // download finishing; the grace running out is the test below.
  const server = await startServer({ FIXTURES_DIR: bigFixtures(), SHUTDOWN_GRACE: '120s' })
  const { port } = new URL(server.url)
  const result = await new Promise<{ bytes: number; complete: boolean; tail: Buffer }>((resolve, reject) => {
    // Without an agent the connection closes with the download (Connection: close), so the server
    // exits once it is done, not when the kept-alive connection it leaves idle times out.
    const req = request({ port, host: '127.0.0.1', path: path.download(BIG), headers: { ...AUTH1, ...ZIP_ACCEPT }, agent: false }, (res) => {
      let bytes = 0
      let tail = Buffer.alloc(0)
      res.once('data', () => {
        // The download is under way: ask the server to stop, and read slowly for a moment.
        server.child.kill('SIGTERM')
        res.pause()
        setTimeout(() => res.resume(), 300)
      })
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        tail = Buffer.concat([tail, chunk]).subarray(-22)
      })
      res.on('end', () => resolve({ bytes, complete: res.complete, tail }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
  t.equal(result.complete, true, 'the whole zip arrived')
  t.equal(result.tail.readUInt32LE(0), 0x06054b50)
  t.equal(result.tail.readUInt16LE(10), 2001)
  t.same(await server.exited, { code: 0, signal: null })
})

/** Opens a raw connection and sends `text`; resolves with everything the server sent back. */
function pipelined(port: number, text: string): { socket: ReturnType<typeof connect>; answer: Promise<string> } {
  const socket = connect(Number(port), '127.0.0.1')
  socket.write(text)
  const answer = new Promise<string>((resolve) => {
    let received = ''
    socket.on('data', (c: Buffer) => (received += c.toString('latin1')))
    socket.on('close', () => resolve(received))
    socket.on('error', () => {})
  })
  return { socket, answer }
}

t.test('during the grace period /readyz answers 503; past it, open connections are cut and the exit is 0', async (t) => {
  const server = await startServer({ SHUTDOWN_GRACE: '1500ms' })
  const { port } = new URL(server.url)
  // A wait of 700 ms; /readyz follows on the same connection once the shutdown has begun (a new
  // connection would be refused, and an idle one is closed).
  const first = pipelined(Number(port), 'GET /__admin/requests/wait?count=99&timeoutMs=700 HTTP/1.1\r\nHost: x\r\n\r\n')
  // A wait that outlasts the grace period.
  const second = pipelined(Number(port), 'GET /__admin/requests/wait?count=99&timeoutMs=60000 HTTP/1.1\r\nHost: x\r\n\r\n')
  await new Promise((r) => setTimeout(r, 200))
  const started = performance.now()
  server.child.kill('SIGTERM')
  await new Promise((r) => setTimeout(r, 200))
  first.socket.write('GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  const answer = await first.answer
  t.match(answer, /^HTTP\/1\.1 408 [^]*HTTP\/1\.1 503 [^]*\{"status":"shutting-down"\}$/, 'the wait ends, then readyz says shutting-down')
  t.equal(await second.answer, '', 'the long wait is cut without an answer')
  t.same(await server.exited, { code: 0, signal: null })
  const took = performance.now() - started
  // After the grace, and well before the 60 s wait would have ended.
  t.ok(took >= 1_400 && took < 30_000, `exited after the grace period (${Math.round(took)} ms)`)
})

t.test('a second signal exits at once', async (t) => {
  const server = await startServer({ SHUTDOWN_GRACE: '60s' })
  const { port } = new URL(server.url)
  const held = pipelined(Number(port), 'GET /__admin/requests/wait?count=99&timeoutMs=60000 HTTP/1.1\r\nHost: x\r\n\r\n')
  await new Promise((r) => setTimeout(r, 200))
  server.child.kill('SIGTERM')
  await new Promise((r) => setTimeout(r, 200))
  t.equal(server.child.exitCode, null, 'still waiting for the in-flight request')
  const started = performance.now()
  server.child.kill('SIGTERM')
  const exit = await server.exited
  t.equal(exit.code, 1, 'close-with-grace exits 1 on a second signal')
  t.ok(performance.now() - started < 30_000, 'did not wait for the 60 s grace')
  held.socket.destroy()
})

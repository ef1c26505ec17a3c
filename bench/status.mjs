// Status-read throughput: GET /enriched/tasks/v1.0/status/:id on a seeded task, against three servers,
// one after the other, each in its own child process (autocannon runs here, on its own event loop):
//   bare     a minimal Fastify 5 app answering the same small JSON: the ceiling on this machine
//   memory   `node dist/bin.js` with the default in-process store
//   redis    the same with STORE=redis://... on a throw-away redis-server (no persistence)
// Every status read on the mock counts as a poll and writes to the store: that cost is part of what is measured.
// Each target gets a 2 s warm-up, then a measured run; prints req/s (average), latency p50/p99 in ms,
// then ratios. Read "memory/bare" as the share of the ceiling the mock keeps, and "redis/memory" as the
// price of the shared store; the target line is the bar (Redis >= 0.5x memory req/s, p99 <= 2x).
// Any non-2xx answer, socket error or timeout fails the run (exit 1). Figures are for this machine only:
// load generator and server share its cores. Run after `npm run build` (or `npm run bench`):
//   BENCH_SECONDS=10 BENCH_CONNECTIONS=10 node bench/status.mjs
import net from 'node:net'
import os from 'node:os'
import { freePort, load as autocannonRun, percentile, startChild, stopChild, stopChildren } from './lib.mjs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const server = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
const seconds = Number(process.env.BENCH_SECONDS ?? 10)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10)
const WARMUP_S = 2
const TASK_ID = 'a0000000-0000-4000-8000-000000000003'
const PATH = `/enriched/tasks/v1.0/status/${TASK_ID}`
const HEADERS = { 'x-flynn-n-org-id': '00000000-0000-4000-8000-000000000001', 'x-flynn-n-user-token': 'demo-token', accept: 'application/json' }

// The bare Fastify app, run as `node --input-type=module -e BARE <port>` from the repo root.
const BARE = `
import Fastify from 'fastify'
const app = Fastify({ logger: false })
app.get('/enriched/tasks/v1.0/status/:id', async (request, reply) => {
  reply.header('cache-control', 'no-store').header('vary', 'Accept')
  return { data: { task: { id: request.params.id, status: 'completed' } } }
})
await app.listen({ port: Number(process.argv[1]), host: '127.0.0.1' })
`

const start = (command, args, env = {}) => startChild(command, args, { cwd: root, env })
const stop = (child) => stopChild(child, { graceful: true })


// Polls `check` until it is true; fails if the child exits first or after 20 s.
async function waitUntil(child, what, check) {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited before it was ready`)
    if (await check().catch(() => false)) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${what} not ready after 20 s`)
}
const answers200 = (url) => async () => (await fetch(url)).status === 200
const redisPong = (port) => () => new Promise((resolve) => {
  const socket = net.connect(port, '127.0.0.1', () => socket.write('PING\r\n'))
  socket.once('data', (data) => { socket.destroy(); resolve(data.toString().startsWith('+PONG')) })
  socket.once('error', () => resolve(false))
})


/** One autocannon run of `duration` s against `url`, with the bench's connections and headers. */
const load = (url, duration) => autocannonRun(url, { duration, connections, headers: HEADERS })

// Checks one request, warms up, measures; returns the figures plus every failure seen in both runs.
async function measure(name, port) {
  const url = `http://127.0.0.1:${port}${PATH}`
  const first = await fetch(url, { headers: HEADERS })
  const body = await first.text()
  if (first.status !== 200) throw new Error(`${name}: one request answered ${first.status}, not 200: ${body.slice(0, 300)}`)
  const warm = await load(url, WARMUP_S)
  const run = await load(url, seconds)
  const failures = (r) => r.non2xx + r.errors + r.timeouts
  const sorted = Float64Array.from(run.latencies).sort()
  process.stderr.write(`  ${name}: done\n`)
  return {
    name, rps: run.requests.average, p50: percentile(sorted, 50), p99: percentile(sorted, 99), total: run.requests.total,
    non2xx: warm.non2xx + run.non2xx, errors: warm.errors + run.errors + warm.timeouts + run.timeouts,
    failed: failures(warm) + failures(run)
  }
}

async function benchBare() {
  const port = await freePort()
  const child = start(process.execPath, ['--input-type=module', '-e', BARE, String(port)])
  try {
    await waitUntil(child, 'bare Fastify', answers200(`http://127.0.0.1:${port}${PATH}`))
    return await measure('bare', port)
  } finally { await stop(child) }
}

async function benchMock(name, env) {
  const port = await freePort()
  const child = start(process.execPath, [server], { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent', ...env })
  try {
    await waitUntil(child, `mock (${name})`, answers200(`http://127.0.0.1:${port}/readyz`))
    return await measure(name, port)
  } finally { await stop(child) }
}

async function benchRedis() {
  const port = await freePort()
  const redis = start('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'])
  try {
    await waitUntil(redis, 'redis-server', redisPong(port))
    return await benchMock('redis', { STORE: `redis://127.0.0.1:${port}`, STORE_PREFIX: `bench:${process.pid}:${Date.now()}:` })
  } finally { await stop(redis) }
}

const cores = os.cpus().length
console.log(`status bench: ${cores} CPU cores (load generator and servers share them), ${connections} connections, ${WARMUP_S} s warm-up + ${seconds} s measured per target, Node ${process.version}`)
console.log(`GET ${PATH}`)
try {
  const rows = [await benchBare(), await benchMock('memory', { STORE: 'memory' }), await benchRedis()]
  const [bare, memory, redis] = rows
  const pad = (value, width) => String(value).padStart(width)
  console.log(`\n${'target'.padEnd(8)}${pad('req/s', 10)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('requests', 10)}${pad('non-2xx', 9)}${pad('errors', 8)}`)
  for (const r of rows) {
    console.log(`${r.name.padEnd(8)}${pad(r.rps.toFixed(0), 10)}${pad(r.p50.toFixed(2), 9)}${pad(r.p99.toFixed(2), 9)}${pad(r.total, 10)}${pad(r.non2xx, 9)}${pad(r.errors, 8)}`)
  }
  const ratio = (a, b) => `${(a / b).toFixed(2)}x`
  console.log(`\nmemory/bare req/s: ${ratio(memory.rps, bare.rps)}   redis/bare req/s: ${ratio(redis.rps, bare.rps)}`)
  console.log(`redis/memory req/s: ${ratio(redis.rps, memory.rps)}   redis/memory p99: ${ratio(redis.p99, memory.p99)}`)
  const yes = (ok) => (ok ? 'yes' : 'no')
  console.log(`Redis >= 0.5x memory req/s: ${yes(redis.rps >= 0.5 * memory.rps)}; Redis p99 <= 2x memory p99: ${yes(redis.p99 <= 2 * memory.p99)}`)
  const failed = rows.reduce((sum, r) => sum + r.failed, 0)
  if (failed > 0) {
    console.error(`FAILED: ${failed} non-2xx answers, errors or timeouts (warm-up included)`)
    process.exitCode = 1
  }
} catch (error) {
  console.error(`bench failed: ${error.stack ?? error}`)
  process.exitCode = 1
} finally {
  await stopChildren({ graceful: true })
}

// `npm run bench`: this server against bare Fastify on this machine, one table (issue 13).
//
// Two rounds; in each, bare Fastify (one route answering constant JSON) is started, then this server
// (`node dist/bin.js`, defaults but LOG_LEVEL, see below), one after the other, each pinned to core 0
// (`taskset -c 0` when taskset is present) while this process, the load generator (autocannon, in-process),
// runs pinned to core 1. Per server: the status, result and page routes under load (CONNECTIONS
// connections, a 1 s warm-up, SECONDS s measured), idle RSS (VmRSS after start-up and one request) and
// peak RSS (VmHWM after the load). Start-up to first 200 (spawn -> first 200 of the status route, polled
// every 5 ms) is the median of STARTS spawns of each, alternating. Throughput and latency keep the best
// of the two rounds; RSS the lower of the two. The CPU rows (server CPU time per request, and CPU time
// spent until the first 200, from /proc) are the figures least moved by other load on the machine.
// The server runs at LOG_LEVEL=warn (no per-request line, as in the issue's figures); one extra row
// measures the status route at LOG_LEVEL=info (the default: one pino line per request, to /dev/null).
// BENCH_BEFORE=<path to another build's dist/bin.js> adds that build as a third server ("before"),
// measured in the same rounds, to show a change's effect side by side.
// The zip rows come from bench/zip.mjs (its writer against an in-repo stored-zip ceiling).
// Any non-2xx answer or socket error fails the run (exit 1). Figures are noisy on a shared 2-core machine.
//   BENCH_SECONDS=3 BENCH_CONNECTIONS=50 BENCH_STARTS=5 npm run bench
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import { freePort, load as autocannonRun, percentile, startChild, stopChild, stopChildren } from './lib.mjs'
import { zipRows } from './zip.mjs'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const server = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
const seconds = Number(process.env.BENCH_SECONDS ?? 3)
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50)
const starts = Number(process.env.BENCH_STARTS ?? 5)
const before = process.env.BENCH_BEFORE
const WARMUP_S = 1

const ORG = '00000000-0000-4000-8000-000000000001'
const HEADERS = { 'x-flynn-n-org-id': ORG, 'x-flynn-n-user-token': 'demo-token', accept: 'application/json' }
/** The measured routes, on seeded fixture tasks (003: completed, paged; 001: completed, with a result). */
const ROUTES = {
  status: '/enriched/tasks/v1.0/status/a0000000-0000-4000-8000-000000000003',
  result: '/enriched/tasks/v1.0/result/a0000000-0000-4000-8000-000000000001',
  page: '/enriched/tasks/v1.0/result/a0000000-0000-4000-8000-000000000003/page/0'
}

// Bare Fastify: one route answering constant JSON (the status answer's shape), run from the repo root.
const BARE = `
import Fastify from 'fastify'
const app = Fastify({ logger: false })
app.get('/enriched/tasks/*', async (request, reply) => {
  reply.header('cache-control', 'no-store').header('vary', 'Accept')
  return { data: { task: { id: 'a0000000-0000-4000-8000-000000000003', status: 'completed', pages: 1 } } }
})
await app.listen({ port: Number(process.argv[1]), host: '127.0.0.1' })
`

const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0 && os.cpus().length > 1
if (hasTaskset) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' })
/** The command line of a server process, pinned to core 0 when taskset is present (it execs: same pid). */
const pinned = (args) => (hasTaskset ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args])

const SERVERS = {
  bare: (port) => ({ args: ['--input-type=module', '-e', BARE, String(port)], env: {} }),
  ours: (port, logLevel = 'warn') => ({ args: [server], env: { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: logLevel } }),
  before: (port, logLevel = 'warn') => ({ args: [before], env: { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: logLevel } })
}

function start(kind, port, ...rest) {
  const { args, env } = SERVERS[kind](port, ...rest)
  const [command, argv] = pinned(args)
  return startChild(command, argv, { cwd: root, env })
}
const stop = (child) => stopChild(child)


/** One GET without keep-alive; resolves with the status, or 0 when the connection fails. */
function get(port, path) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers: HEADERS, agent: false }, (res) => { res.resume(); res.once('end', () => resolve(res.statusCode)) })
    req.once('error', () => resolve(0))
  })
}

/** Polls the status route every 5 ms until it answers 200; returns ms since `started`. */
async function firstOk(child, port, started) {
  const deadline = started + 30_000
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('the server exited before answering')
    if ((await get(port, ROUTES.status)) === 200) return performance.now() - started
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  throw new Error('no 200 after 30 s')
}

/** Resident memory of a process from /proc, in MB: `VmRSS` now or `VmHWM` (the peak so far). */
function rssMb(pid, field = 'VmRSS') {
  const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) / 1024 : NaN
}

/** CPU time a process has used so far (user + system), in ms, from /proc (clock ticks of 10 ms). */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** One autocannon run of `duration` s against `url`, with the bench's connections and headers. */
const load = (url, duration) => autocannonRun(url, { duration, connections, headers: HEADERS })
let failures = 0
/** Warms up, measures one route; returns req/s and p99 in ms. */
async function measureRoute(pid, port, path) {
  const url = `http://127.0.0.1:${port}${path}`
  const warm = await load(url, WARMUP_S)
  const cpuBefore = cpuMs(pid)
  const run = await load(url, seconds)
  const cpu = cpuMs(pid) - cpuBefore
  failures += warm.non2xx + warm.errors + warm.timeouts + run.non2xx + run.errors + run.timeouts
  const sorted = Float64Array.from(run.latencies).sort()
  return { rps: run.requests.total / seconds, p99: percentile(sorted, 99), cpuUs: (cpu * 1000) / run.requests.total }
}

/** One round on one server: idle RSS, each route under load, peak RSS. */
async function round(kind, logLevel) {
  const port = await freePort()
  const child = start(kind, port, logLevel)
  try {
    await firstOk(child, port, performance.now())
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const out = { idleRss: rssMb(child.pid) }
    const routes = logLevel === 'info' ? { status: ROUTES.status } : ROUTES
    for (const [name, path] of Object.entries(routes)) {
      const status = await get(port, path)
      if (status !== 200) throw new Error(`${kind}: ${path} answered ${status}, not 200`)
      out[name] = await measureRoute(child.pid, port, path)
    }
    out.peakRss = rssMb(child.pid, 'VmHWM')
    return out
  } finally { await stop(child) }
}

async function startup(kind) {
  const port = await freePort()
  const started = performance.now()
  const child = start(kind, port)
  try {
    const ms = await firstOk(child, port, started)
    return { ms, cpu: cpuMs(child.pid) }
  } finally { await stop(child) }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const best = (rounds, pick, better) => rounds.map(pick).reduce((a, b) => (better(a, b) ? a : b))
const higher = (a, b) => a >= b
const lower = (a, b) => a <= b

console.log(`bench: Node ${process.version}, ${os.cpus().length} cores, ${hasTaskset ? 'server on core 0, load generator on core 1 (taskset)' : 'no taskset: server and load generator share the cores'}`)
console.log(`${connections} connections, ${WARMUP_S} s warm-up + ${seconds} s per route, best of 2 rounds; start-up: median of ${starts}`)
try {
  const kinds = before ? ['bare', 'before', 'ours'] : ['bare', 'ours']
  const rounds = { bare: [], before: [], ours: [], info: [] }
  for (let i = 0; i < 2; i++) {
    for (const kind of kinds) {
      rounds[kind].push(await round(kind))
      process.stderr.write(`  round ${i + 1}: ${kind} done\n`)
    }
    rounds.info.push(await round('ours', 'info'))
  }
  const startTimes = { bare: [], before: [], ours: [] }
  for (let i = 0; i < starts; i++) for (const kind of kinds) startTimes[kind].push(await startup(kind))

  const rows = []
  // `pick(kind)` gives a measure's figure for one server.
  const row = (measure, pick, unit, target, digits = 0) => {
    const [bare, ours] = [pick('bare'), pick('ours')]
    const ratio = ours / bare
    rows.push({ measure, bare: `${bare.toFixed(digits)}${unit}`, before: before ? `${pick('before').toFixed(digits)}${unit}` : '', ours: `${ours.toFixed(digits)}${unit}`, ratio: `${ratio.toFixed(2)}x`, target: target ? `${target.op} ${target.x}x` : '-', met: target ? (target.op === '>=' ? ratio >= target.x : ratio <= target.x) : undefined })
  }
  const bestOf = (name, field, better) => (kind) => best(rounds[kind], (r) => r[name][field], better)
  for (const name of Object.keys(ROUTES)) {
    const target = name === 'status'
    row(`${name} route req/s`, bestOf(name, 'rps', higher), '', target && { op: '>=', x: 0.85 })
    row(`${name} p99`, bestOf(name, 'p99', lower), ' ms', target && { op: '<=', x: 1.5 }, 2)
    row(`${name} CPU/request`, bestOf(name, 'cpuUs', lower), ' µs')
  }
  // The bare column repeats bare Fastify's figure (it logs nothing); "ours" is this server at LOG_LEVEL=info.
  const info = (field, better) => (kind) => (kind === 'before' ? NaN : best(rounds[kind === 'ours' ? 'info' : 'bare'], (r) => r.status[field], better))
  row('status req/s, LOG_LEVEL=info', info('rps', higher), '')
  row('status CPU/request, LOG_LEVEL=info', info('cpuUs', lower), ' µs')
  row('start-up to first 200', (kind) => median(startTimes[kind].map((s) => s.ms)), ' ms', { op: '<=', x: 1.3 })
  row('start-up CPU to first 200', (kind) => median(startTimes[kind].map((s) => s.cpu)), ' ms')
  row('idle RSS', (kind) => best(rounds[kind], (r) => r.idleRss, lower), ' MB', { op: '<=', x: 1.3 })
  row('peak RSS under load', (kind) => best(rounds[kind], (r) => r.peakRss, lower), ' MB')

  // The zip rows (bench/zip.mjs): our writer against the in-repo stored-zip ceiling, and a real
  // server's peak RSS sending the 20,000-entry zip; `bare` holds the ceiling's figure.
  rows.push(...(await zipRows()))

  const columns = before ? ['measure', 'bare', 'before', 'ours', 'ratio', 'target'] : ['measure', 'bare', 'ours', 'ratio', 'target']
  const widths = columns.map((key) => Math.max(key.length, ...rows.map((r) => String(r[key] ?? '').length)))
  const line = (cells) => `| ${cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join(' | ')} |`
  console.log('\n' + line(columns) + ' met |')
  console.log(`|${widths.map((w, i) => (i === 0 ? '-' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|')}|----|`)
  for (const r of rows) console.log(line(columns.map((c) => r[c] ?? '')) + ` ${r.met === undefined ? '   ' : r.met ? 'yes' : 'NO '} |`)
  console.log(`\nstart-up runs (ms): ${kinds.map((kind) => `${kind} ${startTimes[kind].map((t) => t.ms.toFixed(0)).join(' ')}`).join('; ')}`)
  if (failures > 0) {
    console.error(`FAILED: ${failures} non-2xx answers, errors or timeouts`)
    process.exitCode = 1
  }
} catch (error) {
  console.error(`bench failed: ${error.stack ?? error}`)
  process.exitCode = 1
} finally {
  await stopChildren()
}

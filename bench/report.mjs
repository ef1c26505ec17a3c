// The client report's cost (docs/behaviour.md §21): how long GET /__admin/report takes once the
// task routes have answered 10,000 requests, on the memory store and on Redis (a throw-away
// redis-server, when one is installed). The requests are those of a careless client (status reads
// in a tight loop, early downloads, a wrong accept), so most of them are findings, spread over
// BENCH_TASKS tasks (default 1,000: 10 requests each; 100 gives 100 each). Each report is read
// BENCH_RUNS times (default 20) through inject, and the median and the slowest are printed with the
// report's size; the first read after the requests is shown apart (with Redis it folds what the
// requests appended). Run after `npm run build` (or `npm run bench:report`):
//   BENCH_REQUESTS=10000 BENCH_TASKS=1000 node bench/report.mjs
import { spawn } from 'node:child_process'
import { freePort } from './lib.mjs'
import { buildApp, ControlledClock } from '../dist/index.js'

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10_000)
const TASKS = Number(process.env.BENCH_TASKS ?? 1_000)
const RUNS = Number(process.env.BENCH_RUNS ?? 20)
const HEADERS = { 'x-flynn-n-org-id': '00000000-0000-4000-8000-000000000001', 'x-flynn-n-user-token': 'demo-token', accept: 'application/json' }


async function startRedis() {
  const port = await freePort()
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
  const started = await new Promise((resolve) => {
    let out = ''
    child.once('error', () => resolve(false))
    child.stdout.on('data', (chunk) => {
      out += chunk
      if (out.includes('Ready to accept connections')) resolve(true)
    })
  })
  child.stdout.resume()
  return started ? { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') } : undefined
}

const ms = (start) => Number(process.hrtime.bigint() - start) / 1e6

async function measure(name, settings) {
  const clock = new ControlledClock({ mode: 'manual', start: Date.parse('2026-01-15T10:00:00Z') })
  const app = await buildApp({ logger: false, sweepIntervalMs: 0, clock, settings: { maxTasks: TASKS + 100, ...settings } })
  const ids = []
  for (let i = 0; i < TASKS; i++) {
    const res = await app.inject({ method: 'POST', url: '/__admin/tasks', payload: { timeline: [{ status: 'processing', polls: 5 }], pages: [{ n: 0 }, { n: 1 }] } })
    ids.push(res.json().task.id)
  }
  // Status reads in a tight loop, a download before completion, a wrong accept: one task after another.
  const routes = [(id) => `/enriched/tasks/v1.0/status/${id}`, (id) => `/enriched/tasks/v1.0/download/${id}`, (id) => `/enriched/tasks/v1.0/result/${id}/page/7`]
  let sent = 0
  const started = process.hrtime.bigint()
  for (let batch = 0; sent < REQUESTS; batch++) {
    const wave = []
    for (let i = 0; i < ids.length && sent < REQUESTS; i++, sent++) {
      const route = routes[batch % 5 === 4 ? 1 + (batch % 2) : 0]
      wave.push(app.inject({ url: route(ids[i]), headers: HEADERS }))
    }
    await Promise.all(wave)
  }
  const sending = ms(started)
  const first = process.hrtime.bigint()
  const report = (await app.inject({ url: '/__admin/report' })).json()
  const firstMs = ms(first)
  const times = []
  let bytes = 0
  for (let run = 0; run < RUNS; run++) {
    const start = process.hrtime.bigint()
    const res = await app.inject({ url: '/__admin/report' })
    times.push(ms(start))
    bytes = res.rawPayload.length
  }
  times.sort((a, b) => a - b)
  const findings = Object.values(report.summary.findings).reduce((a, b) => a + b, 0)
  console.log(
    `${name.padEnd(6)} ${REQUESTS} requests to ${TASKS} tasks (${sending.toFixed(0)} ms to send): report of ${report.summary.tasks} tasks, ${findings} findings, ` +
      `${(bytes / 1024).toFixed(0)} KiB; first read ${firstMs.toFixed(1)} ms, then median ${times[Math.floor(RUNS / 2)].toFixed(1)} ms, slowest ${times.at(-1).toFixed(1)} ms`
  )
  await app.close()
}

await measure('memory', {})
const redis = await startRedis()
if (redis) {
  try {
    await measure('redis', { store: redis.url, storePrefix: 'bench:' })
  } finally {
    redis.stop()
  }
} else {
  console.log('redis  skipped: redis-server is not installed')
}

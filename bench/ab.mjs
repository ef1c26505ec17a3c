// `node bench/ab.mjs <other build's dist>`: CPU per request of the status and result routes through
// inject (no sockets), another build against this one, both apps in this one process and measured in
// turns (12 rounds of 3,000 requests each, the first two dropped as warm-up, median), so that load
// from other processes falls on both alike. Figures are Fastify and this server's code only; the
// socket cost (writev, HTTP parsing) that npm run bench also counts is left out. After npm run build.
import { fileURLToPath } from 'node:url'
import { resolve } from 'node:path'

const other = process.argv[2]
if (!other) throw new Error('usage: node bench/ab.mjs <path to another build\'s dist/>')
const builds = { other: resolve(other), this: fileURLToPath(new URL('../dist', import.meta.url)) }
const headers = { 'x-flynn-n-org-id': '00000000-0000-4000-8000-000000000001', 'x-flynn-n-user-token': 'demo-token', accept: 'application/json' }
const routes = { status: '/enriched/tasks/v1.0/status/a0000000-0000-4000-8000-000000000003', result: '/enriched/tasks/v1.0/result/a0000000-0000-4000-8000-000000000001' }
const N = 3000
const ROUNDS = 12

const apps = {}
for (const [name, dir] of Object.entries(builds)) {
  const { buildApp } = await import(`${dir}/app.js`)
  apps[name] = await buildApp({ settings: { logLevel: 'warn' }, logger: { level: 'warn' }, sweepIntervalMs: 0 })
}
const cpu = () => { const u = process.cpuUsage(); return u.user + u.system }
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
for (const [route, url] of Object.entries(routes)) {
  const samples = { other: [], this: [] }
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of round % 2 ? ['this', 'other'] : ['other', 'this']) {
      const started = cpu()
      for (let i = 0; i < N; i++) {
        const res = await apps[name].inject({ url, headers })
        if (res.statusCode !== 200) throw new Error(`${name} ${url}: ${res.statusCode} ${res.body}`)
      }
      samples[name].push((cpu() - started) / N)
    }
  }
  const [a, b] = [median(samples.other.slice(2)), median(samples.this.slice(2))]
  console.log(`${route}: CPU per request ${a.toFixed(1)} us (other build) -> ${b.toFixed(1)} us (this one), ${((b / a - 1) * 100).toFixed(0)}%`)
}
await Promise.all(Object.values(apps).map((app) => app.close()))

// Memory of zip downloads on a real server process (issue 13 item 4, issue 14 item 2): starts
// `node dist/bin.js` (pinned to one core with `taskset` when present; the clients run here, on
// the other), adds generated tasks through the control API, downloads them over HTTP and samples the
// server's RSS (/proc/<pid>/status VmRSS) every 50 ms. Scenarios:
//   one-small    one download of 20,000 pages x 5 items (~0.7 KB entries): peak RSS (target <= 150 MB)
//   one-huge     one download of the largest allowed task, 1,000,000 pages x 1 item: peak RSS (<= 150 MB)
//   concurrent   32 clients at once on a 70,000-page task (10 items a page, ~91 MB a zip), reading
//                every byte; past MAX_DOWNLOADS (16) a client is answered 503 and retries after
//                Retry-After: peak RSS (target < 1 GiB), 503s, wall time
//   concurrent-huge  the same with the largest allowed task, 1,000,000 pages x 1 item (only when named)
// Every zip is checked to end with an end-of-central-directory record. Run after `npm run build`:
//   node bench/zip-downloads.mjs [scenario...]      (default: the first three)
// Importable: `benchZipDownloads(scenarios)` returns the figures.
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import http from 'node:http'
import { freePort } from './lib.mjs'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const server = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
const ORG = '00000000-0000-4000-8000-000000000001'
const HEADERS = { 'x-flynn-n-org-id': ORG, 'x-flynn-n-user-token': 'demo-token' }

/** The scenarios: a task's generated pages, items a page, and how many clients download it at once. */
export const DOWNLOAD_SCENARIOS = {
  'one-small': { pages: 20_000, itemsPerPage: 5, clients: 1 },
  'one-huge': { pages: 1_000_000, itemsPerPage: 1, clients: 1 },
  concurrent: { pages: 70_000, itemsPerPage: 10, clients: 32 },
  // Only when named: 32 x 245 MiB, minutes of streaming.
  'concurrent-huge': { pages: 1_000_000, itemsPerPage: 1, clients: 32 }
}


/** The server's resident set size, in MiB (Linux). */
const rssMib = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024

/** One GET of a zip, reading every byte: `{status, bytes, retryAfter, endsWell}`. */
function download(port, id) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: `/enriched/tasks/v1.0/download/${id}`, headers: { ...HEADERS, accept: 'application/zip' }, agent: false }, (res) => {
      let bytes = 0
      let tail = Buffer.alloc(0)
      res.on('data', (chunk) => {
        bytes += chunk.length
        tail = Buffer.concat([tail, chunk]).subarray(-22)
      })
      res.on('end', () => resolve({ status: res.statusCode, bytes, retryAfter: Number(res.headers['retry-after'] ?? 0), endsWell: tail.length === 22 && tail.readUInt32LE(0) === 0x06054b50 }))
      res.on('error', reject)
    })
    req.on('error', reject)
  })
}

/** One scenario on a fresh server: `{scenario, pages, itemsPerPage, clients, zipMiB, seconds, refused, idleRssMib, peakRssMib}`. */
async function run(scenario) {
  const { pages, itemsPerPage, clients } = DOWNLOAD_SCENARIOS[scenario]
  const port = await freePort()
  const args = [server]
  const pin = existsSync('/usr/bin/taskset') && process.env.BENCH_PIN !== '0'
  const env = { ...process.env, PORT: String(port), LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn' }
  const child = pin ? spawn('taskset', ['-c', process.env.BENCH_CPU ?? '1', process.execPath, ...args], { cwd: root, env, stdio: ['ignore', process.env.BENCH_LOG_LEVEL ? 'inherit' : 'ignore', 'inherit'] }) : spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', process.env.BENCH_LOG_LEVEL ? 'inherit' : 'ignore', 'inherit'] })
  try {
    const base = `http://127.0.0.1:${port}`
    for (let tries = 0; ; tries++) {
      if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) break
      if (tries > 400) throw new Error('server not ready after 20 s')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const created = await fetch(`${base}/__admin/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ orgId: ORG, timeline: [], generate: { pages, itemsPerPage, seed: 7 } }) })
    if (created.status !== 201) throw new Error(`POST /__admin/tasks: ${created.status} ${await created.text()}`)
    const { id } = (await created.json()).task
    await fetch(`${base}/enriched/tasks/v1.0/status/${id}`, { headers: { ...HEADERS, accept: 'application/json' } })
    const idleRssMib = rssMib(child.pid)
    let peakRssMib = idleRssMib
    const sampler = setInterval(() => (peakRssMib = Math.max(peakRssMib, rssMib(child.pid))), 50)
    let refused = 0
    let zipBytes = 0
    const started = process.hrtime.bigint()
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (;;) {
          const r = await download(port, id)
          if (r.status === 503) {
            refused++
            await new Promise((resolve) => setTimeout(resolve, r.retryAfter * 1000))
            continue
          }
          if (r.status !== 200 || !r.endsWell) throw new Error(`download: ${r.status}, ${r.bytes} bytes, ends well: ${r.endsWell}`)
          zipBytes = r.bytes
          return
        }
      })
    )
    const seconds = Number(process.hrtime.bigint() - started) / 1e9
    clearInterval(sampler)
    peakRssMib = Math.max(peakRssMib, rssMib(child.pid))
    return { scenario, pages, itemsPerPage, clients, zipMiB: zipBytes / 1048576, seconds, refused, idleRssMib, peakRssMib }
  } finally {
    child.kill('SIGKILL')
  }
}

/**
 * Runs the named scenarios one after the other, each on a fresh server.
 * @param {string[]} [scenarios] keys of {@link DOWNLOAD_SCENARIOS} (default: all but concurrent-huge)
 * @returns {Promise<object[]>} one figure set a scenario (sizes in MiB, times in seconds)
 */
export async function benchZipDownloads(scenarios = ['one-small', 'one-huge', 'concurrent']) {
  const results = []
  for (const scenario of scenarios) results.push(await run(scenario))
  return results
}

/** Prints the figures of {@link benchZipDownloads}. */
export function printZipDownloads(results) {
  console.log('downloads   pages x items  clients  zip MiB  wall s  503s  idle RSS MiB  peak RSS MiB')
  for (const r of results) {
    console.log(
      [
        r.scenario.padEnd(11), `${r.pages} x ${r.itemsPerPage}`.padStart(14), String(r.clients).padStart(8), r.zipMiB.toFixed(0).padStart(8),
        r.seconds.toFixed(1).padStart(7), String(r.refused).padStart(5), r.idleRssMib.toFixed(0).padStart(13), r.peakRssMib.toFixed(0).padStart(13)
      ].join(' ')
    )
  }
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  const wanted = process.argv.slice(2)
  printZipDownloads(await benchZipDownloads(wanted.length > 0 ? wanted : undefined))
}

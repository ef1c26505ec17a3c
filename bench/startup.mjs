// Start-up speed: from spawning `node dist/bin.js` to the first answered request (/readyz),
// over several runs; prints each run and the median in ms. Run after `npm run build`:
//   node bench/startup.mjs [runs=11]
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const server = fileURLToPath(new URL('../dist/bin.js', import.meta.url))
const runs = Number(process.argv[2] ?? 11)

async function once() {
  const started = performance.now()
  const child = spawn(process.execPath, [server], { env: { ...process.env, PORT: '0', LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'inherit'] })
  const url = await new Promise((resolve, reject) => {
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
      const match = /listening on (http:\/\/[^\s"]+)/.exec(out)
      if (match) resolve(match[1])
    })
    child.once('exit', () => reject(new Error('exited before listening')))
  })
  const res = await fetch(`${url}/readyz`)
  const elapsed = performance.now() - started
  if (res.status !== 200) throw new Error(`readyz answered ${res.status}`)
  child.kill('SIGTERM')
  await new Promise((resolve) => child.once('exit', resolve))
  return elapsed
}

const times = []
for (let i = 0; i < runs; i++) times.push(await once())
const sorted = [...times].sort((a, b) => a - b)
console.log(`runs (ms): ${times.map((t) => t.toFixed(0)).join(' ')}`)
console.log(`median: ${sorted[Math.floor(sorted.length / 2)].toFixed(0)} ms, min ${sorted[0].toFixed(0)}, max ${sorted.at(-1).toFixed(0)}`)

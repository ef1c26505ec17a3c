#!/usr/bin/env node
// `npm run test:redis` (run by .ci/run after `npm test`; §16: one suite, both stores): the behaviour
// suite again with every test app on a real Redis (redis-server on a free loopback port, no
// persistence, a keyspace per app). It runs each test file that builds its apps with `makeApp`
// (the others test units, child processes or the image, which the store does not change; and
// test/redis-store.test.ts starts its own Redis). tap runs their compiled copies in build/ (see
// `npm run build:test`). Arguments are passed to tap (files, as build/test/....test.js, or flags).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readdirSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'

/** Every test file under test/ whose apps come from makeApp, as its compiled copy in build/. */
function storeTestFiles(dir = 'test') {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'helpers' ? [] : storeTestFiles(file)
    if (!entry.name.endsWith('.test.ts') || entry.name === 'redis-store.test.ts') return []
    return readFileSync(file, 'utf8').includes('makeApp(') ? [join('build', file.replace(/\.ts$/, '.js'))] : []
  })
}

const probe = createServer().listen(0, '127.0.0.1')
await once(probe, 'listening')
const { port } = probe.address()
probe.close()
await once(probe, 'close')

const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
redis.once('error', (error) => {
  console.error(`test:redis: cannot start redis-server (${error.message}); install it: apt-get install -y redis-server`)
  process.exit(1)
})
let out = ''
await new Promise((resolve, reject) => {
  redis.stdout.on('data', (chunk) => {
    out += chunk
    if (out.includes('Ready to accept connections')) resolve()
  })
  redis.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)))
})
redis.stdout.resume()

const args = process.argv.slice(2)
const files = args.some((arg) => !arg.startsWith('-')) ? [] : storeTestFiles().sort()
console.log(`# test:redis: ${files.length || 'the given'} test files on redis://127.0.0.1:${port}`)
const tap = spawn('npx', ['tap', '--disable-coverage', ...args, ...files], {
  stdio: 'inherit',
  env: { ...process.env, TEST_REDIS_URL: `redis://127.0.0.1:${port}` }
})
const [code] = await once(tap, 'exit')
redis.kill('SIGKILL')
process.exit(code ?? 1)

#!/usr/bin/env node
// `npm run test:redis` (§11): the behaviour suite again, every test app on a real Redis
// (redis-server on a free loopback port, no persistence, a keyspace per app). Arguments are
// passed to tap (default: the route, fault, journal, fixture, limit and operation tests).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

const DEFAULT_FILES = [
  'test/routes/', 'test/faults.test.ts', 'test/journal.test.ts', 'test/fixtures.test.ts', 'test/limits.test.ts',
  'test/malformed.test.ts', 'test/einvoice-operations.test.ts', 'test/gstn-operations.test.ts', 'test/more-operations.test.ts',
  'test/archive.test.ts', 'test/health.test.ts'
]

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
const tap = spawn('npx', ['tap', '--disable-coverage', ...(args.length > 0 ? args : DEFAULT_FILES)], {
  stdio: 'inherit',
  env: { ...process.env, TEST_REDIS_URL: `redis://127.0.0.1:${port}` }
})
const [code] = await once(tap, 'exit')
redis.kill('SIGKILL')
process.exit(code ?? 1)

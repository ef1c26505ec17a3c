#!/usr/bin/env node
// `npm run test:redis` (run by .ci/run after `npm test`; §16: one suite, both stores): the behaviour
// suite again with every test app on a real Redis (redis-server on a free loopback port, no
// persistence, a keyspace per app). It runs each test file that builds its apps with `makeApp`
// (the others test units, child processes or the image, which the store does not change; and
// test/redis-store.test.ts starts its own Redis), grouped as `npm test` groups them: for each suite
// of test/suites/ that imports such files, a suite of just those (build/test/redis-suites/, written
// here), so that each group shares one process (see .taprc). tap runs their compiled copies in
// build/ (see `npm run build:test`). Arguments are passed to tap (files, as build/test/....test.js,
// or flags); given files run as they are.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'

/** Whether a test file (under test/, as its .js name) builds its apps with makeApp. */
const usesMakeApp = (file) => file !== 'redis-store.test.js' && readFileSync(join('test', file.replace(/\.js$/, '.ts')), 'utf8').includes('makeApp(')

/**
 * The store-dependent test files grouped as npm test groups them: writes a suite of them for each
 * suite of test/suites/, and returns those suites' compiled paths, then any such file no suite imports.
 */
function storeTestFiles() {
  const out = join('build', 'test', 'redis-suites')
  rmSync(out, { recursive: true, force: true })
  mkdirSync(out, { recursive: true })
  const suites = []
  const grouped = new Set()
  for (const suite of readdirSync(join('test', 'suites')).filter((name) => name.endsWith('.test.ts')).sort()) {
    const files = [...readFileSync(join('test', 'suites', suite), 'utf8').matchAll(/^import '\.\.\/(.+\.test\.js)'$/gm)].map((match) => match[1])
    const store = files.filter(usesMakeApp)
    files.forEach((file) => grouped.add(file))
    if (store.length === 0) continue
    const path = join(out, suite.replace(/\.ts$/, '.js'))
    writeFileSync(path, `// Written by scripts/test-redis.mjs: the files of test/suites/${suite} that build apps with makeApp.\n${store.map((file) => `import '../${file}'\n`).join('')}`)
    suites.push(path)
  }
  const alone = readdirSync('test', { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts') && !file.startsWith('suites') && !file.startsWith('helpers'))
    .map((file) => file.replace(/\.ts$/, '.js'))
    .filter((file) => !grouped.has(file) && usesMakeApp(file))
    .map((file) => join('build', 'test', file))
  return [...suites, ...alone.sort()]
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
const files = args.some((arg) => !arg.startsWith('-')) ? [] : storeTestFiles()
console.log(`# test:redis: ${files.length ? `${files.length} groups of test files` : 'the given test files'} on redis://127.0.0.1:${port}`)
const tap = spawn('npx', ['tap', '--disable-coverage', ...args, ...files], {
  stdio: 'inherit',
  env: { ...process.env, TEST_REDIS_URL: `redis://127.0.0.1:${port}` }
})
const [code] = await once(tap, 'exit')
redis.kill('SIGKILL')
process.exit(code ?? 1)

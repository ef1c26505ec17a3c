import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { closeWithin, EXIT_CONFIG, main, packageVersion } from '../src/cli.js'
import { BUNDLED_FIXTURES_DIR, helpText } from '../src/config.js'
import { AUTH1, JSON_ACCEPT, path, TASK } from './helpers/app.js'

function capture() {
  const out: string[] = []
  const err: string[] = []
  return { out, err, output: { out: (l: string) => void out.push(l), err: (l: string) => void err.push(l) } }
}

t.test('--help prints every setting and exits 0', async (t) => {
  const { out, err, output } = capture()
  t.equal(await main(['--help'], {}, output), 0)
  t.same(out, [helpText()])
  t.same(err, [])
})

t.test('--version prints the package version', async (t) => {
  const { out, output } = capture()
  t.equal(await main(['--version'], {}, output), 0)
  t.same(out, [packageVersion()])
  t.match(packageVersion(), /^\d+\.\d+\.\d+/)
})

t.test('a bad setting stops start-up with one line and exit code 2', async (t) => {
  const { out, err, output } = capture()
  t.equal(await main([], { AUTH_MODE: 'sometimes' }, output), EXIT_CONFIG)
  t.same(err, ['enriched-tasks-mock: invalid AUTH_MODE="sometimes": expected strict, any or off'])
  t.same(out, [])
})

t.test('a Redis store that cannot be reached stops start-up with one line and exit code 2 (§16)', async (t) => {
  const { err, output } = capture()
  t.equal(await main(['--log-level', 'silent'], { STORE: 'redis://:hunter2@127.0.0.1:1' }, output), EXIT_CONFIG)
  t.same(err, ['enriched-tasks-mock: invalid STORE: cannot reach redis://:[redacted]@127.0.0.1:1: connect ECONNREFUSED 127.0.0.1:1'])
})

t.test('a bad fixtures folder stops start-up with one line and exit code 2', async (t) => {
  const { err, output } = capture()
  t.equal(await main(['--fixtures-dir', '/nonexistent/fixtures'], {}, output), EXIT_CONFIG)
  t.equal(err.length, 1)
  t.match(err[0], /^enriched-tasks-mock: fixture \/nonexistent\/fixtures\/credentials\.json: ENOENT$/)
})

t.test('a port in use or a host that is not ours: one line and exit code 2', async (t) => {
  const { err, output } = capture()
  const blocker = await main(['--port', '0', '--log-level', 'silent'], {}, output)
  if (typeof blocker === 'number') throw new Error('did not start')
  t.teardown(() => blocker.close())
  const { port } = blocker.server.address() as { port: number }
  t.equal(await main(['--port', String(port), '--log-level', 'silent'], {}, output), EXIT_CONFIG)
  t.equal(await main(['--port', '0', '--host', '192.0.2.1', '--log-level', 'silent'], {}, output), EXIT_CONFIG)
  t.same(err, [
    `enriched-tasks-mock: cannot listen on 127.0.0.1:${port} (HOST, PORT): EADDRINUSE`,
    'enriched-tasks-mock: cannot listen on 192.0.2.1:0 (HOST, PORT): EADDRNOTAVAIL'
  ])
})

t.test('MAX_TASKS below the seeded fixtures: one line and exit code 2', async (t) => {
  const { err, output } = capture()
  t.equal(await main(['--port', '0', '--max-tasks', '3', '--log-level', 'silent'], {}, output), EXIT_CONFIG)
  t.same(err, ['enriched-tasks-mock: invalid MAX_TASKS=3: the fixtures seed more tasks than that'])
})

t.test("MAX_FAULTS below what the fixtures' scenarios add: one line and exit code 2", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'etm-cli-faults-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  mkdirSync(join(dir, 'tasks'))
  copyFileSync(join(BUNDLED_FIXTURES_DIR, 'credentials.json'), join(dir, 'credentials.json'))
  writeFileSync(join(dir, 'tasks', 'a.json'), JSON.stringify({ scenario: 'rate-limited' }))
  writeFileSync(join(dir, 'tasks', 'b.json'), JSON.stringify({ scenario: 'truncated-download' }))
  const { err, output } = capture()
  t.equal(await main(['--port', '0', '--max-faults', '1', '--fixtures-dir', dir, '--log-level', 'silent'], {}, output), EXIT_CONFIG)
  t.same(err, ["enriched-tasks-mock: invalid MAX_FAULTS=1: the fixtures' scenarios add more faults than that"])
})

t.test('an unexpected start-up failure is rethrown', async (t) => {
  const { output } = capture()
  await t.rejects(main(['--port', '0', '--log-level', 'silent'], { get FIXTURES_DIR(): string { throw new Error('boom') } }, output), { message: 'boom' })
})

t.test('runs: listens as configured and serves the seeded tasks', async (t) => {
  const { output } = capture()
  const app = await main(['--port', '0'], { LOG_LEVEL: 'silent', HOST: '127.0.0.1' }, output)
  if (typeof app === 'number') throw new Error(`exited ${app}`)
  t.teardown(() => app.close())
  const { port } = app.server.address() as { port: number }
  const res = await fetch(`http://127.0.0.1:${port}${path.status(TASK.returns)}`, { headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.equal(res.status, 200)
})

t.test('closeWithin cuts open connections after the grace period', async (t) => {
  const { output } = capture()
  const app = await main(['--port', '0', '--log-level', 'silent'], {}, output)
  if (typeof app === 'number') throw new Error(`exited ${app}`)
  const { port } = app.server.address() as { port: number }
  const { connect } = await import('node:net')
  const socket = connect(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  // A request whose headers never end keeps the connection busy past the grace period.
  socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n')
  const closed = new Promise((resolve) => socket.once('close', resolve))
  const started = performance.now()
  await closeWithin(app, 50)
  await closed
  // The headers would time out after 60 s: closing well before is the grace at work.
  t.ok(performance.now() - started < 30_000, 'did not wait for the connection')
})

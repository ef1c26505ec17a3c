/**
 * The README's curl walk-through, run against a real server process (the bin's entry point, here
 * on port 0: see helpers/server.ts).
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { errorOf, NOT_FOUND, pageNotFound, taskNotFound, TASK, until, UUID_RE } from './helpers/app.js'
import { startServer, stopServer } from './helpers/server.js'

const ORG = '00000000-0000-4000-8000-000000000001'
const AUTH = { 'X-FLYNN-N-ORG-ID': ORG, 'X-FLYNN-N-USER-TOKEN': 'demo-token' }

// One server process for the walk-through and the 431 check after it.
const server = await startServer()
t.teardown(() => stopServer(server))

t.test('the README walk-through over HTTP', async (t) => {
  t.match(server.lines.filter((l) => l.includes('listening on')), [/enriched-tasks-mock listening on http:\/\/127\.0\.0\.1:\d+/], 'one start-up line with the URL')
  const base = `${server.url}/enriched/tasks/v1.0`
  const get = (route: string, accept: string | null, headers: Record<string, string> = AUTH) =>
    fetch(`${base}/${route}`, { headers: accept === null ? headers : { ...headers, accept } })

  // 1. A completed task with pages.
  let res = await get(`status/${TASK.returns}`, 'application/json')
  t.equal(res.status, 200)
  t.same(await res.json(), { data: { task: { id: TASK.returns, status: 'completed', pages: 3 } } })
  t.match(res.headers.get('x-call-id'), UUID_RE)
  t.equal(res.headers.get('cache-control'), 'no-store')
  t.equal(res.headers.get('vary'), 'Accept')

  // 2. A task still processing: Retry-After says when to poll again.
  res = await get(`status/${TASK.processing}`, 'application/json')
  t.same([res.status, res.headers.get('retry-after'), await res.json()], [200, '5', { data: { task: { id: TASK.processing, status: 'processing' } } }])

  // 3. The result of the cancellation task, then a page of the returns task.
  res = await get(`result/${TASK.cancellation}`, 'application/json')
  t.equal(res.status, 200)
  const cancellation = (await res.json()) as { data: Array<{ status: boolean }> }
  t.ok(cancellation.data.some((e) => e.status) && cancellation.data.some((e) => !e.status))
  res = await get(`result/${TASK.returns}`, 'application/json')
  t.same(await res.json(), { data: { pages: 3 } })
  res = await get(`result/${TASK.returns}/page/1`, 'application/json')
  t.equal(res.status, 200)
  t.equal(((await res.json()) as { data: { page: number } }).data.page, 1)

  // 4. The e-way bill zip, listed with unzip -l.
  res = await get(`download/${TASK.ewaybill}`, 'application/zip')
  t.equal(res.status, 200)
  t.equal(res.headers.get('content-disposition'), `attachment; filename="${TASK.ewaybill}.zip"`)
  const dir = mkdtempSync(join(tmpdir(), 'etm-e2e-'))
  const zip = join(dir, `${TASK.ewaybill}.zip`)
  writeFileSync(zip, Buffer.from(await res.arrayBuffer()))
  const listing = execFileSync('unzip', ['-l', zip], { encoding: 'utf8' })
  for (const name of ['result.json', 'cewb/CEWB-3310012345.pdf', 'cewb/CEWB-3310012345.json']) t.match(listing, name)

  // 5. The error cases.
  const errors: Array<[string, Promise<Response>, number, unknown]> = [
    ['no token', get(`status/${TASK.returns}`, 'application/json', { 'X-FLYNN-N-ORG-ID': ORG }), 403, errorOf('err-invalid-token', 'Authorization')],
    ['no org', get(`status/${TASK.returns}`, 'application/json', {}), 403, errorOf('err-invalid-org', 'Authorization')],
    ["fetch's default accept */*", get(`status/${TASK.returns}`, null), 406, errorOf('err-invalid-accept-header', 'ClientRequest', { accept: '*/*', expected: 'application/json' })],
    ['zip asked as JSON', get(`download/${TASK.ewaybill}`, 'application/json'), 406, errorOf('err-invalid-accept-header', 'ClientRequest', { accept: 'application/json', expected: 'application/zip' })],
    ['unknown task', get('status/c0000000-0000-4000-8000-000000000000', 'application/json'), 404, taskNotFound('c0000000-0000-4000-8000-000000000000')],
    ['another org\'s task', get(`status/${TASK.org2}`, 'application/json'), 404, taskNotFound(TASK.org2)],
    ['page out of range', get(`result/${TASK.returns}/page/3`, 'application/json'), 404, pageNotFound(TASK.returns, '3')],
    ['not completed yet', get(`result/${TASK.processing}`, 'application/json'), 400, { data: { id: TASK.processing, jobs: { total: 10, pending: 10 }, status: 'processing' } }],
    ['failed task', get(`download/${TASK.failed}`, 'application/zip'), 400, { data: { id: TASK.failed, jobs: { total: 5, pending: 5 }, status: 'failed' } }],
    ['inactive version', fetch(`${server.url}/enriched/tasks/v2.0/status/${TASK.returns}`), 404, NOT_FOUND],
    ['POST', fetch(`${base}/status/${TASK.returns}`, { method: 'POST' }), 405, errorOf('err-method-not-allowed', 'ClientRequest')]
  ]
  for (const [name, pending, status, body] of errors) {
    const r = await pending
    t.equal(r.status, status, name)
    t.same(await r.json(), body, name)
  }
  // The child's stdout arrives a little after its answers.
  const logged = () => server.lines.filter((l) => l.includes('request completed')).length
  await until(() => logged() >= 17)
  t.equal(logged(), 17, 'one log line per request')
  t.notOk(server.lines.some((l) => l.includes('demo-token')), 'no token in the logs')
})

t.test('a request line plus headers over 16 KiB gets 431', async (t) => {
  const res = await fetch(`${server.url}/enriched/tasks/v1.0/status/${'a'.repeat(17_000)}`)
  t.equal(res.status, 431)
  const ok = await fetch(`${server.url}/enriched/tasks/v1.0/status/${'a'.repeat(15_000)}`, { headers: { ...AUTH, accept: 'application/json' } })
  t.equal(ok.status, 404, 'a long id within the limit reaches rule 4')
  t.same(await ok.json(), taskNotFound('a'.repeat(15_000)))
})

t.test('--version and --help print to stdout and exit 0', async (t) => {
  const { spawnSync } = await import('node:child_process')
  const { SERVER_JS } = await import('./helpers/server.js')
  const { main, packageVersion } = await import('../src/cli.js')
  const version = spawnSync(process.execPath, [SERVER_JS, '--version'], { encoding: 'utf8' })
  t.same([version.status, version.stdout], [0, `${packageVersion()}\n`])
  // --help takes the same way out of the process as --version; its text and code, through main().
  const out: string[] = []
  t.equal(await main(['--help'], {}, { out: (line) => void out.push(line), err: () => {} }), 0)
  t.match(out.join('\n'), /^Usage: enriched-tasks-mock \[flags\]/)
})

t.test('each bad setting stops start-up with one line naming it and exit code 2', async (t) => {
  const { spawnSync } = await import('node:child_process')
  const { SERVER_JS } = await import('./helpers/server.js')
  const { SETTINGS } = await import('../src/config.js')
  const { main } = await import('../src/cli.js')
  const bad: Record<string, string> = {
    PORT: 'eighty', HOST: '', LOG_LEVEL: 'loud', TASK_TTL: 'forever', AUTH_MODE: 'maybe', ACCEPT_MODE: 'any',
    STATUS_SHAPE: 'round', RETRY_AFTER_S: '0', FIXTURES_DIR: '', ADMIN_TOKEN: '', MAX_TASKS: '0', JOURNAL_SIZE: '-5',
    SHUTDOWN_GRACE: 'soon', REQUEST_TIMEOUT: '1y', KEEP_ALIVE_TIMEOUT: '0', CONNECTION_TIMEOUT: 'x', MAX_HEADER_SIZE: '1', MAX_BODY_SIZE: '1', MAX_PAYLOAD_SIZE: 'big', MAX_DOWNLOADS: '0', MAX_FAULTS: 'lots', MAX_STORE_BYTES: '1k', MAX_TASK_BYTES: '100',
    STORE: 'mysql://db', REDIS_URL: 'http://cache', STORE_PREFIX: 'a b', SEED: 'sometimes'
  }
  // Every setting through the entry point's own main() (what server.ts runs), in this process.
  const run = async (env: Record<string, string>) => {
    const out: string[] = []
    const err: string[] = []
    const code = await main([], { PORT: '0', ...env }, { out: (line) => void out.push(line), err: (line) => void err.push(line) })
    return { code, out, err }
  }
  for (const def of SETTINGS) {
    t.same(await run({ [def.env]: bad[def.env] as string }), { code: 2, out: [], err: [`enriched-tasks-mock: invalid ${def.env}=${JSON.stringify(bad[def.env])}: expected ${def.accepted}`] }, def.env)
  }
  t.same(await run({ FIXTURES_DIR: '/nonexistent' }), { code: 2, out: [], err: ['enriched-tasks-mock: fixture /nonexistent/credentials.json: ENOENT'] })
  // And once as a real process: the line on stderr, nothing on stdout, exit code 2.
  const child = spawnSync(process.execPath, [SERVER_JS], { env: { ...process.env, PORT: '0', MAX_TASKS: '0' }, encoding: 'utf8' })
  t.same([child.status, child.stdout, child.stderr], [2, '', `enriched-tasks-mock: invalid MAX_TASKS="0": expected ${SETTINGS.find((def) => def.env === 'MAX_TASKS')?.accepted}\n`])
})

t.test('without ADMIN_TOKEN beyond loopback, start-up logs a warning', async (t) => {
  const server = await startServer({ HOST: '0.0.0.0' })
  t.teardown(() => stopServer(server))
  const warning = server.lines.map((l) => JSON.parse(l) as { level: number; msg: string }).find((l) => l.level === 40)
  t.match(warning?.msg, /ADMIN_TOKEN is unset and the server listens beyond loopback/)
  const quiet = await startServer({ HOST: '0.0.0.0', ADMIN_TOKEN: 'x' })
  t.teardown(() => stopServer(quiet))
  t.notOk(quiet.lines.some((l) => l.includes('"level":40')), 'no warning with a token')
})

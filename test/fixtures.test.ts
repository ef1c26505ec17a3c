import { mkdtemp, mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { BUNDLED_FIXTURES_DIR } from '../src/config.js'
import { loadFixtures } from '../src/fixtures.js'
import { gstinCheckChar } from '../src/synthetic.js'
import { makeApp, ORG1, ORG2, T0, TASK } from './helpers/app.js'

t.test('§9: the eight seeded tasks, their orgs and states at start-up', async (t) => {
  const { app } = await makeApp(t)
  const expected: Array<[string, string, string, number, number, number | null]> = [
    [TASK.einvoices, ORG1, 'completed', 3, 0, null],
    [TASK.processing, ORG1, 'processing', 10, 10, null],
    [TASK.returns, ORG1, 'completed', 1, 0, 3],
    [TASK.cancellation, ORG1, 'completed', 4, 0, null],
    [TASK.failed, ORG1, 'failed', 5, 5, null],
    [TASK.ewaybill, ORG1, 'completed', 1, 0, null],
    [TASK.thirtySeconds, ORG1, 'processing', 4, 4, null],
    [TASK.org2, ORG2, 'completed', 1, 0, null]
  ]
  t.equal((await app.mock.store.tasks.list()).length, expected.length)
  for (const [id, org, status, total, pending, pages] of expected) {
    const task = (await app.mock.store.tasks.find(id))
    t.ok(task, id)
    if (!task) continue
    t.equal(task.orgId, org, id)
    t.equal(task.createdAt, T0, `${id} created at the clock's now`)
    const state = task.observe(T0)
    t.same([state.status, state.jobs], [status, { total, pending }], id)
    t.equal(task.pages?.count ?? null, pages, id)
  }
  const seven = (await app.mock.store.tasks.find(TASK.thirtySeconds))
  t.equal(seven?.observe(T0 + 29_999).status, 'processing')
  t.equal(seven?.observe(T0 + 30_000).status, 'completed', 'completed 30 s after start-up')
  t.equal((await app.mock.store.tasks.find(TASK.processing))?.observe(T0 + 10 ** 9).status, 'processing', 'processing indefinitely')
})

t.test('§9: content is realistic and synthetic', async (t) => {
  const { app } = await makeApp(t)
  const einvoices = (await app.mock.store.tasks.find(TASK.einvoices))
  t.ok((einvoices?.files.length ?? 0) >= 1, 'e-invoice zip adds one JSON file per invoice')
  t.ok(einvoices?.files.every((f) => f.name.endsWith('.json')))
  const ewaybill = (await app.mock.store.tasks.find(TASK.ewaybill))
  const pdf = ewaybill?.files.find((f) => f.name.endsWith('.pdf'))
  t.ok(pdf, 'a PDF file')
  t.equal((pdf?.content as Buffer).subarray(0, 5).toString('latin1'), '%PDF-')
  t.match((pdf?.content as Buffer).subarray(-6).toString('latin1'), /%%EOF\s*$/)
  t.ok(ewaybill?.files.some((f) => f.name.endsWith('.json')), 'and a JSON file')
  // Every GSTIN-shaped string in the fixtures has a valid check character.
  const text = JSON.stringify([...(await app.mock.store.tasks.list()).map((task) => [task.result, task.pages ? [0, 1, 2].map((k) => task.pages?.page(k)) : null, task.files.map((f) => f.name.endsWith('.json') ? f.content.toString() : '')])])
  const gstins = text.match(/\b\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]\b/g) ?? []
  t.ok(gstins.length >= 5, `found ${gstins.length} GSTINs`)
  for (const gstin of new Set(gstins)) t.equal(gstin[14], gstinCheckChar(gstin.slice(0, 14)), gstin)
})

t.test('the credentials of §9 are loaded', async (t) => {
  const fixtures = await loadFixtures(BUNDLED_FIXTURES_DIR)
  t.same(fixtures.credentials, [
    { orgId: ORG1, token: 'demo-token', expiresAt: null, gstin: '29AABCA4821K1ZN', name: 'Acme Traders Pvt Ltd', taxIdentifier: 'AABCA4821K' },
    { orgId: ORG2, token: 'demo-token-2', expiresAt: null, gstin: '27AABCZ3906N1ZW', name: 'Zenith Retail Pvt Ltd', taxIdentifier: 'AABCZ3906N' }
  ])
  t.equal(fixtures.taskSpecs.length, 8)
  t.same(fixtures.operations, [], 'no custom operations ship with the demo data')
  t.match(fixtures.signingKey, /^-----BEGIN PRIVATE KEY-----/)
})

async function fixturesDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'etm-fixtures-'))
  await mkdir(join(dir, 'tasks'))
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content)
  return dir
}

t.test('a bad fixtures folder is a FixtureError naming the file', async (t) => {
  const creds = JSON.stringify([{ orgId: 'o', token: 't', expiresAt: '2030-01-01T00:00:00Z' }, { orgId: 'p', token: 'u', expiresAt: 5 }])
  const ok = await loadFixtures(await fixturesDir({ 'credentials.json': creds, 'tasks/a.json': '{}', 'tasks/readme.txt': 'ignored' }))
  t.same(ok.credentials.map((c) => c.expiresAt), [Date.parse('2030-01-01T00:00:00Z'), 5])
  t.equal(ok.taskSpecs.length, 1)

  const cases: Array<[string, Record<string, string>, RegExp]> = [
    ['missing credentials', {}, /credentials\.json: ENOENT/],
    ['bad JSON', { 'credentials.json': '[' }, /credentials\.json: .*JSON/],
    ['bad JSON over lines: one line', { 'credentials.json': '[\n  {\n  oops' }, /^fixture [^\n]*credentials\.json: [^\n]*$/],
    ['bad credential', { 'credentials.json': '[{"orgId":""}]' }, /credentials\.json: .*/],
    ['bad expiry date', { 'credentials.json': '[{"orgId":"o","token":"t","expiresAt":"2030-13-45T99:00:00Z"}]' }, /credentials\.json: \/expiresAt must be a valid ISO-8601 date-time/],
    ['bad task', { 'credentials.json': '[]', 'tasks/a.json': '{"jobs":0}' }, /a\.json: \/jobs must be >= 1/],
    ['task id twice', { 'credentials.json': '[]', 'tasks/a.json': '{"id":"c0000000-0000-4000-8000-000000000001"}', 'tasks/b.json': '{"id":"C0000000-0000-4000-8000-000000000001"}' }, /b\.json: task id c0000000-0000-4000-8000-000000000001 is given twice/]
  ]
  for (const [name, files, message] of cases) {
    const dir = await fixturesDir(files)
    await t.rejects(loadFixtures(dir), { code: 'ERR_FIXTURE', message }, name)
  }
  await t.rejects(loadFixtures(join(tmpdir(), 'etm-no-such-dir-' + process.pid)), { code: 'ERR_FIXTURE' })
  const noTasks = await mkdtemp(join(tmpdir(), 'etm-fixtures-'))
  await writeFile(join(noTasks, 'credentials.json'), '[]')
  await t.rejects(loadFixtures(noTasks), { code: 'ERR_FIXTURE', message: /tasks: ENOENT/ })
})

import t from 'tap'
import { MAX_TIME_MS } from '../src/clock.js'
import { generatedPage } from '../src/synthetic.js'
import { DEFAULT_TIMELINE, taskFromSpec, timelineOrder, type SpecDefaults } from '../src/task-spec.js'
import { detailsOf } from './helpers/spec.js'

const T0 = Date.parse('2026-01-15T10:00:00.000Z')
const ID = 'c0000000-0000-4000-8000-00000000000a'
const defaults: SpecDefaults = { orgId: 'org-1', now: T0, newId: () => ID.toUpperCase() }
const details = (spec: unknown) => detailsOf(() => taskFromSpec(spec, defaults))

t.test('an empty spec takes every default: a new id (lower case), the default org at now, one processing poll, completed with {}', async (t) => {
  const task = taskFromSpec({}, defaults)
  t.same(
    [task.id, task.orgId, task.kind, task.jobs, task.createdAt, task.timeline, task.outcome, task.result, task.pages, task.files],
    [ID, 'org-1', 'generic', 1, T0, DEFAULT_TIMELINE, 'completed', {}, null, []]
  )
  t.same(task.source, { spec: { id: ID, orgId: 'org-1', createdAt: T0 } }, 'its source says what the defaults chose')
  t.equal(task.observe(T0).status, 'processing')
})

t.test('a full spec is taken as given; the id in any case is kept lower case', async (t) => {
  const spec = {
    id: ID.toUpperCase(), orgId: 'org-2', kind: 'gst-returns', jobs: 3, createdAt: '2026-01-15T15:30:00.5+05:30',
    timeline: [{ status: 'queued', ms: 1000 }, { status: 'processing', polls: 2 }], outcome: 'failed', result: null
  }
  const task = taskFromSpec(spec, defaults)
  t.same(
    [task.id, task.orgId, task.kind, task.jobs, task.createdAt, task.timeline, task.outcome, task.result],
    [ID, 'org-2', 'gst-returns', 3, T0 + 500, spec.timeline, 'failed', null]
  )
  t.not(task.timeline[0], spec.timeline[0], 'the timeline is copied')
  t.equal(taskFromSpec({ createdAt: 0 }, defaults).createdAt, 0, 'createdAt in epoch ms')
  t.equal(taskFromSpec({ createdAt: MAX_TIME_MS }, defaults).createdAt, MAX_TIME_MS)
})

t.test('pages are given or generated, and read one at a time', async (t) => {
  const given = taskFromSpec({ pages: [{ n: 0 }, { n: 1 }] }, defaults)
  t.same([given.pages?.count, given.pages?.page(1)], [2, { n: 1 }])
  const generated = taskFromSpec({ generate: { pages: 3, itemsPerPage: 2, seed: 7 } }, defaults)
  t.same([generated.pages?.count, generated.pages?.page(2)], [3, generatedPage(7, 2, 2)])
  const byDefault = taskFromSpec({ generate: { pages: 1 } }, defaults)
  t.same(byDefault.pages?.page(0), generatedPage(1, 0, 10), 'seed 1, 10 items a page by default')
})

t.test('files are written from json (indented), text or base64', async (t) => {
  const task = taskFromSpec({ files: [{ name: 'a.json', json: { x: [1] } }, { name: 'dir/b.txt', text: 'héllo' }, { name: 'c.bin', base64: 'AAEC' }] }, defaults)
  t.same(task.files.map((f) => [f.name, f.content]), [
    ['a.json', Buffer.from('{\n  "x": [\n    1\n  ]\n}')],
    ['dir/b.txt', Buffer.from('héllo')],
    ['c.bin', Buffer.from([0, 1, 2])]
  ])
})

t.test('the schema: unknown properties, both ms and polls, not exactly one file content', async (t) => {
  t.same(details({ colour: 'red' }), [{ path: '', message: "must not have property 'colour'" }])
  t.same(details({ timeline: [{ status: 'queued', ms: 1, polls: 1 }] }), [{ path: '/timeline/0', message: 'must not have both ms and polls' }])
  t.same(details({ files: [{ name: 'a', text: 'x', base64: 'AA==' }] }), [{ path: '/files/0', message: 'must have exactly one of json, text or base64' }])
  t.same(details({ id: 'not-a-uuid', jobs: 0 }), [
    { path: '/id', message: 'must match pattern "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"' },
    { path: '/jobs', message: 'must be >= 1' }
  ], 'every violation at once')
  t.same(details(null), [{ path: '', message: 'must be object' }])
})

t.test('the rules a schema cannot state are all reported together', async (t) => {
  const deep = JSON.parse('['.repeat(65) + ']'.repeat(65))
  t.same(details({ result: {}, pages: [{}], generate: { pages: 1 }, timeline: [{ status: 'processing' }, { status: 'queued' }], createdAt: '2026-02-30T00:00:00Z' }), [
    { path: '/result', message: 'must not be given with pages or generate' },
    { path: '/generate', message: 'must not be given with pages' },
    { path: '/timeline/1/status', message: 'queued must come before processing' },
    { path: '/createdAt', message: 'must be a valid ISO-8601 date-time' }
  ])
  t.equal((details({ result: deep, pages: [deep], files: [{ name: 'd.json', json: deep }] }) as unknown[]).length, 4, 'depth, wherever JSON is given (and result with pages)')
  t.same(details({ pages: [deep] }), [{ path: '/pages/0', message: 'must not nest deeper than 64 levels' }])
  t.same(taskFromSpec({ result: JSON.parse('['.repeat(64) + ']'.repeat(64)) }, defaults).kind, 'generic', '64 levels are fine')
  t.same(details({ createdAt: '9999-12-31T23:59:59.999-00:01' }), [{ path: '/createdAt', message: 'must be a valid ISO-8601 date-time' }], 'past the end of time')
})

t.test('file names: relative paths of plain segments, not the zip\'s own entries, each once', async (t) => {
  const bad = 'must be a relative path of non-empty segments other than . and .., without \\, : or control characters'
  for (const name of ['../x', 'a/./b', 'a//b', '/abs', 'dir/', 'C:x', 'a\\b', 'tab\there', 'del\u007f']) {
    t.same(details({ files: [{ name, text: '' }] }), [{ path: '/files/0/name', message: bad }], JSON.stringify(name))
  }
  const reserved = 'must not be result.json or under pages/'
  t.same(details({ files: [{ name: 'result.json', text: '' }, { name: 'pages/0.json', text: '' }] }), [
    { path: '/files/0/name', message: reserved },
    { path: '/files/1/name', message: reserved }
  ])
  t.same(details({ files: [{ name: 'a.txt', text: '' }, { name: 'a.txt', text: '' }] }), [{ path: '/files/1/name', message: 'must not be given twice' }])
  t.equal(taskFromSpec({ files: [{ name: 'pages.json', text: '' }, { name: 'x/pages/result.json', text: '' }] }, defaults).files.length, 2, 'names that only resemble them are fine')
})

t.test('timelineOrder: queued phases only before the first processing one', async (t) => {
  t.same(timelineOrder([{ status: 'queued' }, { status: 'queued', ms: 1 }, { status: 'processing' }]), [])
  t.same(timelineOrder([{ status: 'queued' }]), [], 'no processing phase')
  t.same(timelineOrder([{ status: 'processing' }, { status: 'queued' }, { status: 'processing' }, { status: 'queued' }]), [
    { path: '/timeline/1/status', message: 'queued must come before processing' },
    { path: '/timeline/3/status', message: 'queued must come before processing' }
  ])
})

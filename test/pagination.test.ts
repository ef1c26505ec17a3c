// The control API's lists are paged (§19): `limit` (default 100, at most 1,000), an opaque
// `cursor`, and `next` in every answer. Each page lists each item once, whatever changes between
// pages; an answer never holds more than a page.
import t from 'tap'
import { startMockServer } from '../src/embed.js'
import { taskFromSpec } from '../src/task-spec.js'
import { AUTH1, errorOf, JSON_ACCEPT, makeApp, ORG1, path, TASK, type TestApp } from './helpers/app.js'

const SEEDED = Object.values(TASK).filter((id) => id !== TASK.org2)

/** Task ids a..., numbered: f0000000-0000-4000-8000-000000000042. */
const idOf = (n: number): string => `f0000000-0000-4000-8000-${String(n).padStart(12, '0')}`

async function addTasks(app: TestApp['app'], from: number, count: number, spec: Record<string, unknown> = {}): Promise<string[]> {
  const ids: string[] = []
  for (let n = from; n < from + count; n++) {
    await app.mock.store.tasks.add(taskFromSpec({ id: idOf(n), orgId: ORG1, ...spec }, app.mock.specDefaults()))
    ids.push(idOf(n))
  }
  return ids
}

/** Reads every page of a list, following `next`. */
async function allPages(send: TestApp['send'], url: string, key: 'tasks' | 'requests', from: string | null = null): Promise<{ pages: string[][]; cursors: Array<string | null> }> {
  const pages: string[][] = []
  const cursors: Array<string | null> = []
  let next: string | null = from
  do {
    const res = await send({ url: next === null ? url : `${url}${url.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(next)}` })
    if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`)
    const body = res.json() as Record<string, Array<{ id: string }>> & { next: string | null }
    pages.push(body[key]!.map((item) => item.id))
    next = body.next
    cursors.push(next)
  } while (next !== null)
  return { pages, cursors }
}

t.test('GET /__admin/tasks: 100 a page by default, in creation order, each task once', async (t) => {
  const { app, send } = await makeApp(t)
  const created = await addTasks(app, 1, 250)
  const { pages, cursors } = await allPages(send, '/__admin/tasks', 'tasks')
  t.same(pages.map((page) => page.length), [100, 100, 58], 'pages of 100')
  t.same(pages.flat(), [...SEEDED.slice(0, 7), TASK.org2, ...created].filter((id, i, all) => all.indexOf(id) === i), 'every task once, in creation order')
  t.equal(cursors.at(-1), null, 'the last page says so')
  t.same((await allPages(send, '/__admin/tasks?limit=1000', 'tasks')).pages.map((page) => page.length), [258], 'one page of up to 1,000')
  t.same((await allPages(send, '/__admin/tasks?limit=7&status=processing', 'tasks')).pages, [[TASK.processing, TASK.thirtySeconds, ...created.slice(0, 5)], created.slice(5, 12), created.slice(12, 19)].concat(
    Array.from({ length: Math.ceil((250 - 19) / 7) }, (_, i) => created.slice(19 + 7 * i, 26 + 7 * i))), 'filters apply before the page is cut')
})

t.test('a page goes on where the last one ended, whatever was created or deleted meanwhile', async (t) => {
  const { app, send } = await makeApp(t)
  const created = await addTasks(app, 1, 20)
  const first = (await send({ url: '/__admin/tasks?limit=10' })).json() as { tasks: Array<{ id: string }>; next: string }
  t.same(first.tasks.map((task) => task.id), [...SEEDED, TASK.org2, ...created].slice(0, 10))
  // The page's last task is deleted, an earlier one too, and new ones arrive.
  await send({ method: 'DELETE', url: `/__admin/tasks/${created[1]}` })
  await send({ method: 'DELETE', url: `/__admin/tasks/${TASK.einvoices}` })
  const later = await addTasks(app, 100, 3)
  const rest = await allPages(send, '/__admin/tasks?limit=10', 'tasks', first.next)
  t.same(rest.pages.flat(), [...created.slice(2), ...later], 'no task skipped or repeated')
})

t.test('GET /__admin/requests: the newest page first, each oldest first; next goes back in time', async (t) => {
  const { send } = await makeApp(t, { journalSize: 1000 })
  const ids: string[] = []
  for (let i = 0; i < 250; i++) {
    const res = await send({ url: path.status(TASK.returns), headers: { ...AUTH1, ...JSON_ACCEPT } })
    ids.push(res.headers['x-call-id'] as string)
  }
  const { pages, cursors } = await allPages(send, '/__admin/requests', 'requests')
  t.same(pages, [ids.slice(150), ids.slice(50, 150), ids.slice(0, 50)])
  t.equal(cursors.at(-1), null)
  // Requests recorded after the first page do not shift the older pages.
  const first = (await send({ url: '/__admin/requests?limit=200' })).json() as { requests: Array<{ id: string }>; next: string }
  t.same(first.requests.map((r) => r.id), ids.slice(50))
  await send({ url: path.result(TASK.returns), headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.same((await send({ url: `/__admin/requests?limit=200&cursor=${first.next}` })).json(), {
    requests: (await send({ url: '/__admin/requests?limit=1000' })).json().requests.slice(0, 50),
    next: null
  })
  // A cursor whose request has left the journal has nothing older left.
  await send({ method: 'DELETE', url: '/__admin/requests' })
  t.same((await send({ url: `/__admin/requests?cursor=${first.next}` })).json(), { requests: [], next: null })
})

t.test('a bad limit or cursor answers 400 naming it', async (t) => {
  const { send } = await makeApp(t)
  const invalid = (field: string, message: string) => errorOf('err-invalid-request', 'ClientRequest', { details: [{ path: field, message }] })
  const cursor = 'must be the next cursor of an earlier answer of this list'
  for (const url of ['/__admin/tasks', '/__admin/requests']) {
    for (const limit of ['0', '1001']) {
      const res = await send({ url: `${url}?limit=${limit}` })
      t.same([res.statusCode, res.json()], [400, invalid('/limit', 'must be from 1 to 1000')], `${url} limit=${limit}`)
    }
    t.equal((await send({ url: `${url}?limit=ten` })).statusCode, 400)
  }
  const taskCursor = Buffer.from('t:5').toString('base64url')
  const requestCursor = Buffer.from(`r:${TASK.returns}`).toString('base64url')
  for (const [url, bad] of [['/__admin/tasks', 'nope'], ['/__admin/tasks', requestCursor], ['/__admin/tasks', Buffer.from('t:0').toString('base64url')], ['/__admin/requests', taskCursor], ['/__admin/requests', `${requestCursor}=`]] as const) {
    const res = await send({ url: `${url}?cursor=${encodeURIComponent(bad)}` })
    t.same([res.statusCode, res.json()], [400, invalid('/cursor', cursor)], `${url} cursor=${bad}`)
  }
  t.equal((await send({ url: `/__admin/tasks?cursor=${taskCursor}` })).statusCode, 200)
})

t.test('AdminClient follows the pages: listTasks() reads every task, requests({ limit }) the newest n', async (t) => {
  const mock = await startMockServer()
  t.teardown(() => mock.close())
  const created = await addTasks(mock.app, 1, 1_500)
  const listed = await mock.admin.listTasks()
  t.equal(listed.length, 1_508)
  t.same(listed.slice(8).map((task) => task.id), created)
  const processing = await mock.admin.listTasks({ orgId: ORG1, status: 'processing' })
  t.same(processing.map((task) => task.id), listed.filter((task) => task.orgId === ORG1 && task.status === 'processing').map((task) => task.id))
  t.ok(processing.length > 1_000, 'filtered, over more than one page')
  const journal = []
  for (let i = 0; i < 3; i++) journal.push((await fetch(`${mock.url}${path.status(TASK.returns)}`, { headers: { ...AUTH1, ...JSON_ACCEPT } })).headers.get('x-call-id'))
  t.same((await mock.admin.requests({ limit: 2 })).map((entry) => entry.id), journal.slice(1))
  t.same((await mock.admin.requests()).map((entry) => entry.id), journal)
})

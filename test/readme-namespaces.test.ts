import t from 'tap'
import { AdminClient } from 'enriched-tasks-mock'

const url = process.env.STUB_URL ?? 'http://127.0.0.1:8080' // the shared stub
const orgId = '00000000-0000-4000-8000-000000000002' // this team's org
const admin = new AdminClient(url, { token: process.env.ADMIN_TOKEN, orgId }) // every call in org 2's namespace
const headers = { 'X-FLYNN-N-ORG-ID': orgId, 'X-FLYNN-N-USER-TOKEN': 'demo-token-2', accept: 'application/json' }
const status = (id: string) => fetch(`${url}/enriched/tasks/v1.0/status/${id}`, { headers })

t.beforeEach(() => admin.reset()) // org 2 only: its tasks, clock, faults, journal and operation settings

t.test('a task expires 7 days later on our clock, whatever the other teams do', async (t) => {
  const task = await admin.createTask({ timeline: [] }) // completed at once; orgId defaults to org 2
  t.equal(task.orgId, orgId)
  t.equal((await status(task.id)).status, 200)

  await admin.advanceClock('7d') // org 2's clock only: other teams' tasks do not expire
  t.equal((await status(task.id)).status, 404)

  const journal = await admin.requests({ path: `/enriched/tasks/v1.0/status/${task.id}` }) // org 2's requests only
  t.same(journal.map((r) => r.status), [200, 404])
})

t.test('a fault hits our requests only', async (t) => {
  const fault = await admin.addFault({ route: 'status', respond: { status: 503, retryAfter: 1 } })
  t.equal(fault.orgId, orgId)
  const res = await status('b0000000-0000-4000-8000-000000000001') // org 2's seeded task
  t.equal(res.status, 503)
  t.equal(res.headers.get('retry-after'), '1')
  t.same(await admin.faults(), []) // used up
})

// Not in the README: the shared stub is a server this file starts (the import below runs first,
// imports being hoisted), and the example is checked against the README.
import './helpers/stub-url.js'
import { checkReadmeExample } from './helpers/readme.js'

checkReadmeExample('## Sharing one stub between teams', 'test/readme-namespaces.test.ts')

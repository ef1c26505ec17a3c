import t from 'tap'
import { ClientReportError, startMockServer } from 'enriched-tasks-mock'

const headers = {
  'X-FLYNN-N-ORG-ID': '00000000-0000-4000-8000-000000000001',
  'X-FLYNN-N-USER-TOKEN': 'demo-token',
  accept: 'application/json'
}
const tasks = (url: string) => `${url}/enriched/tasks/v1.0`
type Status = { data: { task: { status: string } } }

/** A careless client: polls as fast as it can, and asks for the zip as JSON. */
async function carelessDownload(url: string, id: string): Promise<number> {
  for (let status = ''; status !== 'completed';) {
    const res = await fetch(`${tasks(url)}/status/${id}`, { headers })
    status = ((await res.json()) as Status).data.task.status
  }
  return (await fetch(`${tasks(url)}/download/${id}`, { headers })).status
}

/** A careful client: waits Retry-After between status reads (however `wait` does it), then downloads the zip. */
async function carefulDownload(url: string, id: string, wait: (seconds: number) => Promise<unknown>): Promise<Buffer> {
  for (;;) {
    const res = await fetch(`${tasks(url)}/status/${id}`, { headers })
    const status = res.ok ? ((await res.json()) as Status).data.task.status : 'retry' // a 503 or 429: retry
    if (status === 'completed') break
    if (status === 'failed') throw new Error(`task ${id} failed`)
    await wait(Number(res.headers.get('retry-after') ?? 1))
  }
  const zip = await fetch(`${tasks(url)}/download/${id}`, { headers: { ...headers, accept: 'application/zip' } })
  return Buffer.from(await zip.arrayBuffer())
}

t.test('the careless client breaks three rules', async (t) => {
  const mock = await startMockServer()
  t.teardown(() => mock.close())
  const task = await mock.admin.createTask({ scenario: 'slow' }) // queued for 2 status reads, processing for 5
  t.equal(await carelessDownload(mock.url, task.id), 406) // the zip route wants accept: application/zip
  await mock.admin.advanceClock('5s') // RETRY_AFTER_S after completion, and the zip never fetched

  const failure = await mock.admin.assertWellBehaved().catch((error: unknown) => error)
  t.ok(failure instanceof ClientReportError)
  const { report, message } = failure as ClientReportError
  t.match(message, /^9 findings in the client report \(1 of 1 tasks\):\n- early-poll: task [-0-9a-f]{36} \(generic\) at 20\d\d-/)
  t.match(report.summary.findings, { 'early-poll': 7, 'wrong-accept': 1, 'never-collected': 1, 'poll-after-terminal': 0 })
  t.match(report.tasks, [{ id: task.id, requests: 9 }])
})

t.test('the careful client is clean, through a 503 and its Retry-After', async (t) => {
  const mock = await startMockServer()
  t.teardown(() => mock.close())
  const task = await mock.admin.createTask({ scenario: 'retry-error' }) // the first status read answers 503
  // A manual clock: waiting is moving it (a client that really sleeps is judged fair too).
  const zip = await carefulDownload(mock.url, task.id, (seconds) => mock.admin.advanceClock(seconds * 1000))
  t.ok(zip.length > 0)
  const report = await mock.admin.assertWellBehaved() // throws, listing the findings, if there are any
  t.match(report.summary, { tasks: 1, clean: 1 })
})

// Not in the README: keeps this file and the README's example the same, and checks every
// response above against openapi/openapi.yaml (the import installs the contract-checking fetch;
// imports are hoisted, so it is in place before the tests above run).
import './helpers/app.js'
import { checkReadmeExample } from './helpers/readme.js'

checkReadmeExample('### Check your client', 'test/readme-report.test.ts')

import t from 'tap'
import yauzl from 'yauzl'
import { startMockServer } from 'enriched-tasks-mock'

/** Logs in as the seeded demo user, as a client does: the org and token headers of the task routes. */
async function login(url: string) {
  const res = await fetch(`${url}/theodore/apis/v1/authtokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ handle: 'demo@example.com', handleType: 'email', password: 'demo-password' })
  })
  const { data } = (await res.json()) as { data: { token: string; associatedOrgs: [{ organisation: { id: string } }] } }
  return { 'X-FLYNN-N-ORG-ID': data.associatedOrgs[0].organisation.id, 'X-FLYNN-N-USER-TOKEN': data.token }
}

t.test('a bulk job: poll until completed, download the zip, expire after 7 days', async (t) => {
  const mock = await startMockServer() // port 0, manual clock, seeded demo data and user
  t.teardown(() => mock.close())
  let headers = await login(mock.url) // a token for 20 minutes of the mock's clock

  const task = await mock.admin.createTask({
    timeline: [{ status: 'processing', polls: 2 }], // the first 2 status reads say processing
    files: [{ name: 'invoices/INV-1.json', json: { Irn: 'a1b2c3' } }]
  })
  const base = `${mock.url}/enriched/tasks/v1.0`
  const status = async () => {
    const res = await fetch(`${base}/status/${task.id}`, { headers: { ...headers, accept: 'application/json' } })
    const body = (await res.json()) as { data: { task: { status: string } } }
    return body.data.task.status
  }
  t.equal(await status(), 'processing')
  t.equal(await status(), 'processing')
  t.equal(await status(), 'completed') // read 3 ends the polls phase

  const zip = await fetch(`${base}/download/${task.id}`, { headers: { ...headers, accept: 'application/zip' } })
  t.equal(zip.status, 200)
  t.same(await entryNames(Buffer.from(await zip.arrayBuffer())), ['result.json', 'invoices/INV-1.json'])

  await mock.admin.advanceClock('7d') // the TTL: every route now answers 404
  headers = await login(mock.url) // the token expired long before: log in again, as a client does
  const gone = await fetch(`${base}/status/${task.id}`, { headers: { ...headers, accept: 'application/json' } })
  t.equal(gone.status, 404)

  const journal = await mock.admin.requests({ path: `/enriched/tasks/v1.0/status/${task.id}` })
  t.same(journal.map((r) => r.status), [200, 200, 200, 404])
  t.equal(journal[0]?.headers['x-flynn-n-user-token'], '[redacted]')
})

/** The entry names of a zip, in order (yauzl is one well-kept zip reader). */
function entryNames(zip: Buffer): Promise<string[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, (error, archive) => {
      if (error) return reject(error)
      const names: string[] = []
      archive.on('entry', (entry: yauzl.Entry) => names.push(entry.fileName))
      archive.on('end', () => resolve(names))
    })
  })
}

// Not in the README: keeps this file and the README's example the same, and checks every
// response above against openapi/openapi.yaml (the import installs the contract-checking fetch;
// imports are hoisted, so it is in place before the test above runs).
import './helpers/app.js'
import { checkReadmeExample } from './helpers/readme.js'

checkReadmeExample('## Use it in your tests', 'test/readme-example.test.ts')

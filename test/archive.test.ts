import { spawn } from 'node:child_process'
import { request } from 'node:http'
import t from 'tap'
import { taskFromSpec } from '../src/task-spec.js'
import { Task } from '../src/task.js'
import { addGenerated, download, unzip } from './helpers/zip.js'
import { AUTH1, JSON_ACCEPT, listen, makeApp, ONLY_MEMORY, ORG1, path, T0, TASK, ZIP_ACCEPT, until } from './helpers/app.js'

const asJson = (b: Buffer): unknown => JSON.parse(b.toString('utf8'))

/** The DOS date and time fields of an instant, in UTC. */
function dos(ms: number): { dosDate: number; dosTime: number } {
  const d = new Date(ms)
  return {
    dosDate: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    dosTime: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2)
  }
}

t.test('the zip holds result.json, every page and the task files, with exact contents', async (t) => {
  const { send, app } = await makeApp(t)
  const returns = await unzip(await download(send, TASK.returns))
  t.same(returns.map((e) => e.name), ['result.json', 'pages/0.json', 'pages/1.json', 'pages/2.json'])
  t.same(asJson(returns[0]!.content), { pages: 3 }, 'result.json is the Result API data')
  const task = (await app.mock.store.tasks.find(TASK.returns))!
  for (let k = 0; k < 3; k++) t.same(asJson(returns[k + 1]!.content), task.pages!.page(k), `pages/${k}.json`)

  const ewaybill = (await app.mock.store.tasks.find(TASK.ewaybill))!
  const entries = await unzip(await download(send, TASK.ewaybill))
  t.same(entries.map((e) => e.name), ['result.json', ...ewaybill.files.map((f) => f.name)])
  t.same(asJson(entries[0]!.content), ewaybill.result)
  for (const file of ewaybill.files) {
    t.ok(entries.find((e) => e.name === file.name)?.content.equals(file.content as Buffer), `${file.name} byte for byte`)
  }

  const einvoices = (await app.mock.store.tasks.find(TASK.einvoices))!
  const invoiceEntries = await unzip(await download(send, TASK.einvoices))
  t.same(invoiceEntries.map((e) => e.name), ['result.json', ...einvoices.files.map((f) => f.name)])
})

t.test('entries are dated with the completion time in UTC, whatever the time zone; same bytes every time', async (t) => {
  const { send, clock, app } = await makeApp(t)
  const before = process.env.TZ
  t.teardown(() => {
    if (before === undefined) delete process.env.TZ
    else process.env.TZ = before
  })
  process.env.TZ = 'UTC'
  const first = await download(send, TASK.returns)
  clock.advance(3_600_000)
  process.env.TZ = 'Asia/Kolkata'
  const second = await download(send, TASK.returns)
  process.env.TZ = 'America/Los_Angeles'
  const third = await download(send, TASK.returns)
  t.ok(first.equals(second) && second.equals(third), 'identical bytes across downloads, time and time zones')
  for (const entry of await unzip(first)) t.same({ dosDate: entry.dosDate, dosTime: entry.dosTime }, dos(T0), entry.name)

  // A task that completes later carries its own completion time.
  const later = await makeApp(t)
  later.clock.advance(30_000)
  const seven = await unzip(await download(later.send, TASK.thirtySeconds))
  t.same({ dosDate: seven[0]!.dosDate, dosTime: seven[0]!.dosTime }, dos(T0 + 30_000))
  t.ok(app)
})

t.test('entry names are UTF-8 with the UTF-8 flag', async (t) => {
  const { send, app } = await makeApp(t)
  const task = taskFromSpec(
    { id: 'd0000000-0000-4000-8000-000000000001', timeline: [], files: [{ name: 'रसीद/बिल-१.txt', text: 'नमस्ते' }] },
    { ...app.mock.specDefaults(), orgId: ORG1 }
  )
  await app.mock.store.tasks.add(task)
  const entries = await unzip(await download(send, task.id))
  const file = entries[1]!
  t.equal(file.name, 'रसीद/बिल-१.txt')
  t.equal(file.content.toString('utf8'), 'नमस्ते')
  t.equal(file.flags & 0x800, 0x800, 'general purpose bit 11 (UTF-8) set')
})

t.test('a generated page is answered without materialising the others', async (t) => {
  const { app, send } = await makeApp(t)
  const id = 'd0000000-0000-4000-8000-000000010001'
  const task = await addGenerated(app, id, 10_000, 100)
  const res = await send({ url: path.page(id, 9_999), headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.equal(res.statusCode, 200)
  const page = (res.json() as { data: { page: number; items: unknown[] } }).data
  t.equal(page.page, 9_999)
  t.equal(page.items.length, 100)
  t.same(res.json(), { data: task.pages!.page(9_999) }, 'deterministic')
})

t.test('a client that aborts mid-download leaves the server healthy and the stream destroyed', async (t) => {
  const { app } = await makeApp(t)
  const id = 'd0000000-0000-4000-8000-000000010002'
  await addGenerated(app, id, 10_000, 100)
  const port = await listen(app, t)
  const received = await new Promise<number>((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path: path.download(id), headers: { ...AUTH1, ...ZIP_ACCEPT } }, (res) => {
      let bytes = 0
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        if (bytes > 256 * 1024) {
          req.destroy()
          resolve(bytes)
        }
      })
    })
    req.on('error', () => {})
    req.on('close', () => resolve(0))
    req.end()
  })
  t.ok(received > 0, 'the download had started')
  const [stream] = [...app.mock.downloads]
  await until(() => app.mock.downloads.size === 0)
  t.equal(app.mock.downloads.size, 0, 'no download left open')
  t.equal(stream?.destroyed ?? true, true, 'the archive stream is destroyed')
  const res = await fetch(`http://127.0.0.1:${port}${path.status(TASK.returns)}`, { headers: { ...AUTH1, ...JSON_ACCEPT } })
  t.equal(res.status, 200, 'the server still answers')
  const zip = await fetch(`http://127.0.0.1:${port}${path.download(TASK.ewaybill)}`, { headers: { ...AUTH1, ...ZIP_ACCEPT } })
  t.equal((await unzip(Buffer.from(await zip.arrayBuffer()))).length, 3, 'and serves whole zips')
})

t.test('while a fast client downloads a big zip, other requests are answered before it ends', async (t) => {
  const { app } = await makeApp(t)
  const id = 'd0000000-0000-4000-8000-000000010005'
  await addGenerated(app, id, 3_000, 100)
  const port = await listen(app, t)
  // The client is another process, reading as fast as it can: in this one, its reads would give
  // the server's event loop the turns that a remote client does not.
  const client = `
    const [port, zipPath, statusPath, headers] = process.argv.slice(1)
    const base = 'http://127.0.0.1:' + port
    const order = []
    const res = await fetch(base + zipPath, { headers: { ...JSON.parse(headers), accept: 'application/zip' } })
    const reader = res.body.getReader()
    let first = true
    for (;;) {
      const { done } = await reader.read()
      if (done) break
      if (first) {
        first = false
        fetch(base + statusPath, { headers: { ...JSON.parse(headers), accept: 'application/json' } }).then((r) => order.push('status ' + r.status))
      }
    }
    order.push('zip ended')
    setTimeout(() => console.log(JSON.stringify(order)), 100)
  `
  const child = spawn(process.execPath, ['--input-type=module', '-e', client, String(port), path.download(id), path.status(TASK.returns), JSON.stringify(AUTH1)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let out = ''
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()))
  await new Promise((resolve) => child.once('close', resolve))
  t.same(JSON.parse(out), ['status 200', 'zip ended'])
})

t.test('an archive destroyed mid-way stops appending and raises nothing', async (t) => {
  const { app } = await makeApp(t)
  const task = taskFromSpec({ timeline: [], generate: { pages: 50, itemsPerPage: 5 } }, app.mock.specDefaults())
  const { taskArchive } = await import('../src/archive.js')
  const archive = taskArchive(task, T0)
  const errors: unknown[] = []
  archive.on('error', (e) => errors.push(e))
  await new Promise((resolve) => archive.once('data', resolve))
  archive.destroy()
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(archive.destroyed, true)
  t.same(errors, [])
})

t.test('files made when the zip is built take their place in order, and the entries after them follow', async (t) => {
  const task = new Task({
    id: 'd0000000-0000-4000-8000-000000010004', orgId: ORG1, kind: 'generic', jobs: 1, createdAt: T0, timeline: [],
    outcome: 'completed', result: {}, pages: null,
    files: [
      { name: 'made.json', content: async () => Buffer.from('{"made":true}') },
      { name: 'made-sync.json', content: () => Buffer.from('{"sync":true}') },
      { name: 'plain.txt', content: Buffer.from('plain') }
    ]
  })
  const { taskArchive } = await import('../src/archive.js')
  const chunks: Buffer[] = []
  for await (const chunk of taskArchive(task, T0)) chunks.push(chunk as Buffer)
  const entries = await unzip(Buffer.concat(chunks))
  t.same(entries.map((e) => [e.name, e.content.toString()]), [['result.json', '{}'], ['made.json', '{"made":true}'], ['made-sync.json', '{"sync":true}'], ['plain.txt', 'plain']])
})

t.test('a lazy entry that fails cuts the download; the process stays up and serves the next one', { skip: ONLY_MEMORY }, async (t) => {
  const { app } = await makeApp(t)
  const made = async (): Promise<Buffer> => {
    throw new RangeError('made too late')
  }
  const failing = new Task({
    id: 'd0000000-0000-4000-8000-000000010003', orgId: ORG1, kind: 'generic', jobs: 1, createdAt: T0, timeline: [],
    outcome: 'completed', result: {}, pages: null, files: [{ name: 'made-late.json', content: made }]
  })
  await app.mock.store.tasks.add(failing)
  const port = await listen(app, t)
  await t.rejects(
    fetch(`http://127.0.0.1:${port}${path.download(failing.id)}`, { headers: { ...AUTH1, ...ZIP_ACCEPT } }).then((res) => res.arrayBuffer()),
    'the body is cut'
  )
  await until(() => app.mock.downloads.size === 0)
  t.equal(app.mock.downloads.size, 0, 'no download left open')
  const zip = await fetch(`http://127.0.0.1:${port}${path.download(TASK.ewaybill)}`, { headers: { ...AUTH1, ...ZIP_ACCEPT } })
  t.equal((await unzip(Buffer.from(await zip.arrayBuffer()))).length, 3, 'and the next zip is whole')
})

t.test('MAX_DOWNLOADS zips stream at once; one more answers 503 with Retry-After: 1 before any byte (§2 rule 8)', async (t) => {
  const { app } = await makeApp(t, { maxDownloads: 2 })
  const id = 'd0000000-0000-4000-8000-000000010003'
  await addGenerated(app, id, 2_000, 100)
  const port = await listen(app, t)
  const url = `http://127.0.0.1:${port}${path.download(id)}`
  // Two downloads that the client stops reading after the first bytes: they stay in flight.
  const opened = await Promise.all([1, 2].map(() => new Promise<ReturnType<typeof request>>((resolve, reject) => {
    const req = request(url, { headers: { ...AUTH1, ...ZIP_ACCEPT } }, (res) => {
      t.equal(res.statusCode, 200)
      res.once('data', () => { res.pause(); resolve(req) })
    })
    req.on('error', reject)
    req.end()
  })))
  t.equal(app.mock.downloads.size, 2)
  const refused = await fetch(url, { headers: { ...AUTH1, ...ZIP_ACCEPT } })
  t.equal(refused.status, 503)
  t.equal(refused.headers.get('retry-after'), '1')
  t.equal(refused.headers.get('content-type'), 'application/json; charset=utf-8')
  t.same(await refused.json(), { error: { message: 'err-service-unavailable', type: 'Runtime', args: {} } })
  const head = await fetch(url, { method: 'HEAD', headers: { ...AUTH1, ...ZIP_ACCEPT } })
  t.equal(head.status, 200, 'HEAD builds no archive, so it is not counted')
  const journal = (await app.inject({ url: '/__admin/requests' })).json().requests as Array<{ method: string; status: number }>
  t.same(journal.slice(-2).map((r) => [r.method, r.status]), [['GET', 503], ['HEAD', 200]], 'the refusal is journaled')

  // One download ends (the client leaves): the next one streams whole.
  opened[0]?.destroy()
  await until(() => app.mock.downloads.size === 1)
  const whole = await fetch(`http://127.0.0.1:${port}${path.download(TASK.ewaybill)}`, { headers: { ...AUTH1, ...ZIP_ACCEPT } })
  t.equal(whole.status, 200)
  t.equal((await unzip(Buffer.from(await whole.arrayBuffer()))).length, 3)
  opened[1]?.destroy()
  await until(() => app.mock.downloads.size === 0)
})

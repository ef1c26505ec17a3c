/**
 * The zip at scale: a 10,000-page task streamed with bounded memory, and a zip past 65,535 entries
 * (ZIP64), read back whole. They take seconds of per-entry and per-byte work, so they live apart
 * from test/archive.test.ts: tap runs this file beside the others, and without coverage
 * (test/coverage-map.ts; counting every block would double their time), since the smaller zips of
 * archive.test.ts and compact-zip.test.ts already run every line of src/archive.ts and
 * src/compact-zip.ts that these do.
 */
import { request } from 'node:http'
import t from 'tap'
import { addGenerated, download, unzip } from './helpers/zip.js'
import { AUTH1, listen, makeApp, path, ZIP_ACCEPT } from './helpers/app.js'

t.test('a 10,000-page generated task streams over a socket with bounded memory', { timeout: 180_000 }, async (t) => {
  const { app } = await makeApp(t)
  const id = 'd0000000-0000-4000-8000-000000010000'
  await addGenerated(app, id, 10_000, 100)
  const port = await listen(app, t)
  // Live memory after a full GC (tap runs node with --expose-gc): garbage does not count, what
  // the server holds does. Holding the zip would add its whole size (over 100 MiB).
  const gc = global.gc as () => void
  const live = (): number => {
    gc()
    const m = process.memoryUsage()
    return m.heapUsed + m.arrayBuffers
  }
  const baseline = live()
  let peak = baseline
  const sampler = setInterval(() => (peak = Math.max(peak, live())), 400)
  const { bytes, tail } = await new Promise<{ bytes: number; tail: Buffer }>((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', path: path.download(id), headers: { ...AUTH1, ...ZIP_ACCEPT } }, (res) => {
      let bytes = 0
      let tail = Buffer.alloc(0)
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        tail = Buffer.concat([tail, chunk]).subarray(-22)
      })
      res.on('end', () => resolve({ bytes, tail }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
  clearInterval(sampler)
  t.ok(bytes > 100 * 1024 * 1024, `streamed ${(bytes / 1048576).toFixed(0)} MiB`)
  t.equal(tail.readUInt32LE(0), 0x06054b50, 'ends with the end-of-central-directory record')
  t.equal(tail.readUInt16LE(10), 10_001, '10,001 entries')
  const growth = (peak - baseline) / 1048576
  // The only thing that grows with the entry count is the compact central directory (a few dozen
  // bytes an entry, written out in 256 KiB chunks at the end).
  t.ok(growth < 64, `live memory grew by at most ${growth.toFixed(0)} MiB while streaming ${(bytes / 1048576).toFixed(0)} MiB`)
})

t.test('past 65,535 entries the zip uses ZIP64, and a reader finds every entry', { timeout: 180_000 }, async (t) => {
  const { app, send } = await makeApp(t)
  const id = 'd0000000-0000-4000-8000-000000070000'
  const task = await addGenerated(app, id, 70_000, 1)
  const zip = await download(send, id)
  const eocd = zip.subarray(-22)
  t.equal(eocd.readUInt32LE(0), 0x06054b50)
  t.equal(eocd.readUInt16LE(10), 0xffff, 'the classic record says: see ZIP64')
  const locator = zip.subarray(-42, -22)
  t.equal(locator.readUInt32LE(0), 0x07064b50, 'ZIP64 end-of-central-directory locator')
  const record = zip.subarray(Number(locator.readBigUInt64LE(8)))
  t.equal(record.readUInt32LE(0), 0x06064b50, 'ZIP64 end-of-central-directory record')
  t.equal(Number(record.readBigUInt64LE(32)), 70_001, '70,001 entries')
  const entries = await unzip(zip)
  t.equal(entries.length, 70_001, 'yauzl reads 70,001 entries')
  t.same(entries.slice(-2).map((e) => e.name), ['pages/69998.json', 'pages/69999.json'])
  t.same(JSON.parse(entries[70_000]!.content.toString('utf8')), task.pages!.page(69_999), 'the last page, byte for byte')
})

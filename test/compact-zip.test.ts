/**
 * The zip writer under the Download API (src/compact-zip.ts): what readers see in its zips, how
 * little its central directory keeps, and what it refuses.
 */
import { Readable, Writable } from 'node:stream'
import t from 'tap'
import { CentralDirectory, CompactZipStream } from '../src/compact-zip.js'
import { taskArchive } from '../src/archive.js'
import { Task } from '../src/task.js'
import { unzip } from './helpers/zip.js'
import { ORG1, T0 } from './helpers/app.js'

/** Everything a stream gives, read slowly (each chunk taken a turn of the event loop later), so its back-pressure is used. */
function slowly(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = []
  return new Promise((resolve, reject) => {
    const sink = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk)
        setImmediate(callback)
      }
    })
    stream.on('error', reject)
    sink.on('finish', () => resolve(Buffer.concat(chunks)))
    stream.pipe(sink)
  })
}

const date = new Date(T0)
const shape = (time: number) => ({ madeBy: 0x32d, minVersion: 10, flags: 0, time, internal: 0, external: 0, commentText: '', comment: Buffer.alloc(0) })

t.test('entries come back byte for byte with their names, dates, flags and comments; the same entries give the same bytes', async (t) => {
  const big = Buffer.alloc(600 * 1024, 7) // more than two of the 256 KiB chunks
  const write = (): Promise<Buffer> => {
    const zip = new CompactZipStream({ comment: 'the zip' })
    zip.append(Buffer.from('{}'), { name: 'result.json', date, mode: 0o644 })
    zip.append(big, { name: 'big.bin', date, mode: 0o644 })
    zip.append(Buffer.from('नमस्ते'), { name: 'रसीद/बिल.txt', date, mode: 0o644, comment: 'a note' })
    zip.append(Buffer.alloc(0), { name: 'later.txt', date: new Date(T0 + 60_000), mode: 0o600 })
    zip.append(Buffer.from('again'), { name: 'first-shape.txt', date, mode: 0o644 })
    zip.finalize()
    return slowly(zip)
  }
  const bytes = await write()
  t.ok(bytes.equals(await write()), 'same bytes')
  t.equal(bytes.subarray(-7).toString(), 'the zip', 'the zip comment ends the zip')
  const entries = await unzip(bytes)
  t.same(entries.map((e) => e.name), ['result.json', 'big.bin', 'रसीद/बिल.txt', 'later.txt', 'first-shape.txt'])
  t.ok(entries[1]?.content.equals(big), 'the big entry, whole')
  t.equal(entries[2]?.content.toString(), 'नमस्ते')
  t.equal(entries[2]?.comment, 'a note')
  t.equal((entries[2]?.flags ?? 0) & 0x800, 0x800, 'a UTF-8 name is flagged')
  t.equal((entries[0]?.flags ?? 0) & 0x808, 0, 'no data descriptor; an ASCII name needs no flag')
  t.not(entries[3]?.dosTime, entries[0]?.dosTime, 'each entry keeps its own date')
  t.equal(entries[4]?.dosTime, entries[0]?.dosTime)
})

t.test('an empty zip is the end record alone; forceZip64 adds the ZIP64 end records, which readers follow', async (t) => {
  const empty = new CompactZipStream()
  empty.finalize()
  const bytes = await slowly(empty)
  t.equal(bytes.length, 22)
  t.same(await unzip(bytes), [])

  const zip64 = new CompactZipStream({ forceZip64: true })
  zip64.append(Buffer.from('x'), { name: 'x.txt', date })
  zip64.finalize()
  const forced = await slowly(zip64)
  t.equal(forced.readUInt32LE(forced.length - 42), 0x07064b50, 'ZIP64 end-of-central-directory locator')
  t.equal(forced.readUInt16LE(forced.length - 12), 0xffff, 'the classic record says: see ZIP64')
  t.same((await unzip(forced)).map((e) => e.content.toString()), ['x'])
})

t.test('the central directory keeps 14 bytes and what a name does not share with the one before an entry, and gives back exact records', async (t) => {
  const directory = new CentralDirectory()
  const common = shape(1)
  const n = 100_000
  for (let k = 0; k < n; k++) directory.add(`pages/${k}.json`, `pages/${k}.json`.length, k, k % 100, common)
  t.equal(directory.count, n)
  t.ok(directory.heldBytes / n < 24, `${(directory.heldBytes / n).toFixed(1)} bytes an entry`)
  const records = Buffer.concat([...directory.records()])
  let at = 0
  let offset = 0
  for (let k = 0; k < n; k++) {
    const name = `pages/${k}.json`
    if (k % 9_999 === 0 || k === n - 1) {
      t.equal(records.readUInt32LE(at), 0x02014b50)
      t.equal(records.readUInt32LE(at + 16), k, 'CRC')
      t.equal(records.readUInt32LE(at + 24), k % 100, 'size')
      t.equal(records.readUInt32LE(at + 42), offset, 'local header offset')
      t.equal(records.toString('utf8', at + 46, at + 46 + name.length), name)
    }
    at += 46 + name.length
    offset += 30 + name.length + (k % 100)
  }
  t.equal(at, records.length, 'one record an entry, nothing else')
  t.equal(directory.heldBytes, 0, 'written records are freed')
})

t.test('names that nameOf can make again are not kept, and come back the same; others are kept', async (t) => {
  const nameOf = (index: number): string | undefined => (index >= 1 ? `pages/${index - 1}.json` : undefined)
  const directory = new CentralDirectory(nameOf)
  const n = 10 * 8192 - 2 // ten full blocks with result.json and pages/x.json
  directory.add('result.json', 11, 0, 0, shape(1))
  for (let k = 0; k < n; k++) directory.add(`pages/${k}.json`, `pages/${k}.json`.length, 0, 1, shape(1))
  directory.add('pages/x.json', 12, 0, 0, shape(1)) // not what nameOf says for its index: kept
  t.ok(directory.heldBytes / n < 15, `${(directory.heldBytes / n).toFixed(1)} bytes an entry`)
  const records = Buffer.concat([...directory.records()])
  const names: string[] = []
  for (let at = 0; at < records.length; ) {
    const length = records.readUInt16LE(at + 28)
    names.push(records.toString('utf8', at + 46, at + 46 + length))
    at += 46 + length
  }
  t.equal(names.length, n + 2)
  t.same([names[0], names[1], names[n], names[n + 1]], ['result.json', 'pages/0.json', `pages/${n - 1}.json`, 'pages/x.json'])

  // Through the stream: the same bytes as without nameOf.
  const write = (options: ConstructorParameters<typeof CompactZipStream>[0]): Promise<Buffer> => {
    const zip = new CompactZipStream(options)
    zip.append(Buffer.from('{}'), { name: 'result.json', date })
    for (let k = 0; k < 3; k++) zip.append(Buffer.from(`${k}`), { name: `pages/${k}.json`, date })
    zip.append(Buffer.from('f'), { name: 'files/f.txt', date })
    zip.finalize()
    return slowly(zip)
  }
  t.ok((await write({ nameOf })).equals(await write({})), 'identical zips')
})

t.test('an entry whose local header starts at or past 4 GiB gets a ZIP64 extra field with its offset', async (t) => {
  const directory = new CentralDirectory()
  const size = 0xfffffff0
  directory.add('a', 1, 1, size, shape(1))
  directory.add('b', 1, 2, 5, shape(1))
  const records = Buffer.concat([...directory.records()])
  t.equal(records.readUInt32LE(42), 0, 'the first: a plain offset')
  const second = records.subarray(47)
  t.equal(second.readUInt16LE(6), 45, 'version needed: ZIP64')
  t.same([second.readUInt32LE(20), second.readUInt32LE(24), second.readUInt32LE(42)], [0xffffffff, 0xffffffff, 0xffffffff])
  t.equal(second.readUInt16LE(30), 28, 'extra field length')
  t.same([second.readUInt16LE(47), second.readUInt16LE(49)], [1, 24], 'the ZIP64 extra field')
  t.equal(second.readBigUInt64LE(51), 5n, 'size')
  t.equal(second.readBigUInt64LE(59), 5n, 'compressed size')
  t.equal(second.readBigUInt64LE(67), BigInt(30 + 1 + size), 'offset')
})

t.test('entry shapes are shared; more than 65,536 distinct ones are refused', async (t) => {
  const directory = new CentralDirectory()
  const [a, b] = [shape(1), shape(2)]
  directory.add('a', 1, 0, 0, a)
  directory.add('b', 1, 0, 0, b)
  directory.add('c', 1, 0, 0, shape(1)) // equal to a: a's index again
  const records = Buffer.concat([...directory.records()])
  t.same([records.readUInt32LE(12), records.readUInt32LE(12 + 47), records.readUInt32LE(12 + 94)], [1, 2, 1])
  const many = new CentralDirectory()
  for (let k = 0; k < 65_536; k++) many.add('x', 1, 0, 0, shape(k + 1))
  t.throws(() => many.add('x', 1, 0, 0, shape(0)), RangeError)
})

t.test('a stream entry, a compressed entry or a name over 65,535 bytes destroys the zip with an error', async (t) => {
  const refused = async (append: (zip: CompactZipStream) => void, type: typeof Error): Promise<void> => {
    const zip = new CompactZipStream()
    const error = new Promise((resolve) => zip.once('error', resolve))
    append(zip)
    t.type(await error, type)
    t.equal(zip.destroyed, true)
  }
  await refused((zip) => zip.entry(Readable.from([Buffer.from('x')]), { name: 'stream.txt', date }), TypeError)
  await refused((zip) => zip.append(Buffer.from('x'), { name: 'deflated.txt', date, store: false }), RangeError)
  await refused((zip) => zip.append(Buffer.from('x'), { name: 'n'.repeat(65_536), date }), RangeError)
})

t.test('a zip destroyed while its central directory is written stops there, without an error', async (t) => {
  const zip = new CompactZipStream()
  for (let k = 0; k < 20_000; k++) zip.append(Buffer.from('x'), { name: `pages/${k}.json`, date })
  zip.finalize()
  const errors: unknown[] = []
  zip.on('error', (e) => errors.push(e))
  let bytes = 0
  await new Promise<void>((resolve) => {
    zip.on('data', (chunk: Buffer) => {
      bytes += chunk.length
      // Local headers and data take ~0.9 MB; the directory ~1.2 MB more.
      if (bytes > 1_200_000 && !zip.destroyed) {
        zip.destroy()
        setTimeout(resolve, 20)
      }
    })
  })
  t.equal(zip.destroyed, true)
  t.ok(bytes < 2_000_000, 'the rest of the directory was not written')
  t.same(errors, [])
})

t.test("a task's file made after its zip was destroyed is not appended", async (t) => {
  let made = false
  const task = new Task({
    id: 'd0000000-0000-4000-8000-000000010009', orgId: ORG1, kind: 'generic', jobs: 1, createdAt: T0, timeline: [],
    outcome: 'completed', result: {}, pages: null,
    files: [{ name: 'late.json', content: () => new Promise((resolve) => setTimeout(() => { made = true; resolve(Buffer.from('{}')) }, 10)) }]
  })
  const zip = taskArchive(task, T0)
  const errors: unknown[] = []
  zip.on('error', (e) => errors.push(e))
  zip.destroy()
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(made, true)
  t.same(errors, [])
})

// Zip throughput of a generated task's download (issue 13 item 4): the server's writer
// (dist/archive.js, what the download route streams) against an in-repo "ceiling", a minimal
// stored-zip writer (zlib.crc32, 256 KiB writes, nothing else), both fed the same synthetic pages
// (dist/synthetic.js through a generated task). Two cases:
//   large   5,000 entries of ~6 KB (50 items a page): MB/s is the figure
//   small  20,000 entries of ~0.7 KB (5 items a page): entries/s is the figure
// Each run is a child process of its own (pinned to one core with `taskset` when present), so its
// peak RSS (getrusage maxrss: start-up included, the same for both writers) is its own; the zip
// goes to a sink that takes every chunk at once. Best of BENCH_ZIP_RUNS (default 2) per writer, the
// writers alternating, so both see the same machine. Prints one row per writer and case, then the
// ratios (ours / ceiling; the targets are >= 0.8x MB/s and entries/s, peak RSS <= 150 MB).
// Run after `npm run build` (or `npm run bench:zip`). Importable: `benchZip()` returns the figures.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { Writable } from 'node:stream'
import { fileURLToPath, pathToFileURL } from 'node:url'
import zlib from 'node:zlib'

const here = fileURLToPath(import.meta.url)
const dist = new URL('../dist/', import.meta.url)

/** The two cases of the issue: page count and items a page. */
export const ZIP_CASES = [
  { name: 'large', pages: 5_000, itemsPerPage: 50 },
  { name: 'small', pages: 20_000, itemsPerPage: 5 }
]

const FINISHED_AT = Date.UTC(2026, 0, 1)
const CHUNK = 256 * 1024

/**
 * The ceiling: a minimal stored zip (local headers, central directory kept as Buffers, no ZIP64)
 * of `entries` ({name, content: Buffer}) written to `sink` in 256 KiB chunks, honouring its
 * back-pressure. Resolves once the last chunk is written.
 */
export async function ceilingZip(entries, sink, date) {
  const dosTime = (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | (date.getUTCSeconds() >> 1)
  const dosDate = ((date.getUTCFullYear() - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate()
  let chunk = Buffer.allocUnsafe(CHUNK)
  let used = 0
  let offset = 0
  const central = []
  const flush = async () => {
    if (used === 0) return
    const ok = sink.write(chunk.subarray(0, used))
    chunk = Buffer.allocUnsafe(CHUNK)
    used = 0
    if (!ok) await new Promise((resolve) => sink.once('drain', resolve))
  }
  const put = async (bytes) => {
    for (let at = 0; at < bytes.length; ) {
      const n = Math.min(bytes.length - at, CHUNK - used)
      bytes.copy(chunk, used, at, at + n)
      used += n
      at += n
      if (used === CHUNK) await flush()
    }
  }
  for (const { name, content } of entries) {
    const nameBytes = Buffer.from(name)
    const crc = zlib.crc32(content)
    const header = Buffer.alloc(30 + nameBytes.length)
    header.writeUInt32LE(0x04034b50, 0)
    header.writeUInt16LE(20, 4)
    header.writeUInt16LE(0x800, 6)
    header.writeUInt16LE(dosTime, 10)
    header.writeUInt16LE(dosDate, 12)
    header.writeUInt32LE(crc, 14)
    header.writeUInt32LE(content.length, 18)
    header.writeUInt32LE(content.length, 22)
    header.writeUInt16LE(nameBytes.length, 26)
    nameBytes.copy(header, 30)
    const record = Buffer.alloc(46 + nameBytes.length)
    record.writeUInt32LE(0x02014b50, 0)
    record.writeUInt16LE(20, 4)
    record.writeUInt16LE(20, 6)
    record.writeUInt16LE(0x800, 8)
    record.writeUInt16LE(dosTime, 12)
    record.writeUInt16LE(dosDate, 14)
    record.writeUInt32LE(crc, 16)
    record.writeUInt32LE(content.length, 20)
    record.writeUInt32LE(content.length, 24)
    record.writeUInt16LE(nameBytes.length, 28)
    record.writeUInt32LE(offset, 42)
    nameBytes.copy(record, 46)
    central.push(record)
    offset += header.length + content.length
    await put(header)
    await put(content)
  }
  let size = 0
  for (const record of central) {
    size += record.length
    await put(record)
  }
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(central.length, 8)
  end.writeUInt16LE(central.length, 10)
  end.writeUInt32LE(size, 12)
  end.writeUInt32LE(offset, 16)
  await put(end)
  await flush()
}

/** A sink that takes every chunk at once and counts the bytes. */
function countingSink() {
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      sink.bytes += chunk.length
      callback()
    }
  })
  sink.bytes = 0
  return sink
}

/** One measurement, in this process: `{bytes, entries, seconds, peakRssMb}`. */
async function measure(writer, pages, itemsPerPage) {
  const { taskFromSpec } = await import(new URL('task-spec.js', dist))
  const task = taskFromSpec(
    { timeline: [], generate: { pages, itemsPerPage, seed: 7 } },
    { orgId: 'bench', now: FINISHED_AT, newId: () => '00000000-0000-4000-8000-000000000000' }
  )
  // Modules load before the clock starts, for both writers.
  const { taskArchive } = await import(new URL('archive.js', dist))
  const sink = countingSink()
  const done = new Promise((resolve, reject) => sink.on('finish', resolve).on('error', reject))
  const started = process.hrtime.bigint()
  const cpuBefore = process.cpuUsage()
  if (writer === 'ceiling') {
    // The same entries as the server's zip, made the same way (compact JSON of each page).
    const json = (value) => Buffer.from(JSON.stringify(value), 'utf8')
    function* entries() {
      yield { name: 'result.json', content: json(task.result) }
      for (let k = 0; k < task.pages.count; k++) yield { name: `pages/${k}.json`, content: json(task.pages.page(k)) }
    }
    await ceilingZip(entries(), sink, new Date(FINISHED_AT))
    sink.end()
  } else {
    taskArchive(task, FINISHED_AT).pipe(sink)
  }
  await done
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const cpu = process.cpuUsage(cpuBefore)
  return { bytes: sink.bytes, entries: pages + 1, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMb: process.resourceUsage().maxRSS / 1024 }
}

/** Runs one measurement in a child process (pinned when `taskset` is there). */
function child(writer, pages, itemsPerPage) {
  const args = [here, '--child', writer, String(pages), String(itemsPerPage)]
  const pin = existsSync('/usr/bin/taskset') && process.env.BENCH_PIN !== '0'
  const proc = pin ? spawn('taskset', ['-c', process.env.BENCH_CPU ?? '1', process.execPath, ...args]) : spawn(process.execPath, args)
  let out = ''
  let err = ''
  proc.stdout.on('data', (d) => (out += d))
  proc.stderr.on('data', (d) => (err += d))
  return new Promise((resolve, reject) =>
    proc.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`zip bench child ${writer} failed (${code}): ${err}`))))
  )
}

/**
 * Measures both writers on both cases, best of `runs` each (by wall time; CPU time is kept too,
 * since other work on a shared machine stretches wall time more). Figures: `rows` ({case, writer,
 * entries, bytes, seconds, cpuSeconds, mbPerS (10^6 bytes a wall second), entriesPerS,
 * cpuEntriesPerS (entries a CPU second), peakRssMb (MiB, the most any run reached)}) and `ratios`
 * ({case, mbPerS, entriesPerS, cpu, peakRss}: ours / ceiling; `cpu` compares entries a CPU second).
 * @param {{runs?: number}} [options] runs per writer and case (default BENCH_ZIP_RUNS or 3)
 */
export async function benchZip({ runs = Number(process.env.BENCH_ZIP_RUNS ?? 3) } = {}) {
  const rows = []
  const ratios = []
  for (const { name, pages, itemsPerPage } of ZIP_CASES) {
    const best = {}
    for (let run = 0; run < runs; run++) {
      for (const writer of ['ceiling', 'ours']) {
        const r = await child(writer, pages, itemsPerPage)
        const was = best[writer]
        best[writer] = {
          ...(was && was.seconds <= r.seconds ? was : r),
          cpuSeconds: Math.min(r.cpuSeconds, was?.cpuSeconds ?? Infinity),
          peakRssMb: Math.max(r.peakRssMb, was?.peakRssMb ?? 0)
        }
      }
    }
    for (const writer of ['ceiling', 'ours']) {
      const r = best[writer]
      rows.push({
        case: name, writer, entries: r.entries, bytes: r.bytes, seconds: r.seconds, cpuSeconds: r.cpuSeconds,
        mbPerS: r.bytes / 1e6 / r.seconds, entriesPerS: r.entries / r.seconds, cpuEntriesPerS: r.entries / r.cpuSeconds, peakRssMb: r.peakRssMb
      })
    }
    const [c, o] = rows.slice(-2)
    ratios.push({ case: name, mbPerS: o.mbPerS / c.mbPerS, entriesPerS: o.entriesPerS / c.entriesPerS, cpu: o.cpuEntriesPerS / c.cpuEntriesPerS, peakRss: o.peakRssMb / c.peakRssMb })
  }
  return { rows, ratios }
}

/** Prints the figures of {@link benchZip} as a table. */
export function printZip({ rows, ratios }) {
  console.log('zip case  writer   entries     MiB  wall s   CPU s     MB/s  entries/s  entries/CPU s  peak RSS MiB')
  for (const r of rows) {
    console.log(
      [
        r.case.padEnd(9), r.writer.padEnd(7), String(r.entries).padStart(8), (r.bytes / 1048576).toFixed(1).padStart(7),
        r.seconds.toFixed(2).padStart(7), r.cpuSeconds.toFixed(2).padStart(7), r.mbPerS.toFixed(1).padStart(8),
        Math.round(r.entriesPerS).toString().padStart(10), Math.round(r.cpuEntriesPerS).toString().padStart(14), r.peakRssMb.toFixed(0).padStart(13)
      ].join(' ')
    )
  }
  for (const r of ratios) {
    console.log(
      `zip ${r.case}: ours/ceiling MB/s ${r.mbPerS.toFixed(2)}x, entries/s ${r.entriesPerS.toFixed(2)}x, entries/CPU s ${r.cpu.toFixed(2)}x, peak RSS ${r.peakRss.toFixed(2)}x (targets: >= 0.8x, >= 0.8x, peak RSS <= 150 MiB)`
    )
  }
}

/**
 * The zip rows of `npm run bench`'s table (bench/run.mjs): `{measure, bare, ours, ratio, target,
 * met}`, where `bare` holds the ceiling writer's figure; the peak RSS row is a real server
 * (dist/bin.js) sending the 20,000-entry zip to one client (bench/zip-downloads.mjs), against
 * the issue's absolute 150 MB.
 */
export async function zipRows() {
  const { rows, ratios } = await benchZip()
  const figure = (name, writer, field) => rows.find((r) => r.case === name && r.writer === writer)[field]
  const ratio = (name, field) => ratios.find((r) => r.case === name)[field]
  const { benchZipDownloads } = await import('./zip-downloads.mjs')
  const [sending] = await benchZipDownloads(['one-small'])
  const peakMb = (sending.peakRssMib * 1048576) / 1e6
  return [
    { measure: 'zip 5,000 x ~6 KB, MB/s', bare: figure('large', 'ceiling', 'mbPerS').toFixed(1), ours: figure('large', 'ours', 'mbPerS').toFixed(1), ratio: `${ratio('large', 'mbPerS').toFixed(2)}x`, target: '>= 0.8x', met: ratio('large', 'mbPerS') >= 0.8 },
    { measure: 'zip 20,000 x ~0.7 KB, entries/s', bare: Math.round(figure('small', 'ceiling', 'entriesPerS')), ours: Math.round(figure('small', 'ours', 'entriesPerS')), ratio: `${ratio('small', 'entriesPerS').toFixed(2)}x`, target: '>= 0.8x', met: ratio('small', 'entriesPerS') >= 0.8 },
    { measure: 'peak RSS sending the 20,000-entry zip', bare: '', ours: `${peakMb.toFixed(0)} MB`, ratio: '', target: '<= 150 MB', met: peakMb <= 150 }
  ]
}

if (process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  if (process.argv[2] === '--child') {
    const [writer, pages, itemsPerPage] = process.argv.slice(3)
    console.log(JSON.stringify(await measure(writer, Number(pages), Number(itemsPerPage))))
  } else {
    printZip(await benchZip())
  }
}

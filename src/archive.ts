/**
 * The Download API's zip, generated on the fly (docs/behaviour.md §2 Download).
 *
 * Entries: `result.json`, then `pages/<k>.json` for a paged task, then the task's files. Each entry
 * is appended as a stream once archiver has finished the previous one, so a 10,000-page task never
 * sits in memory whole and the socket's back-pressure reaches the page generator. Entries are
 * stored, not deflated: the bytes then depend on nothing but the task (not on the zlib build), and
 * no zlib state can be left pinned by a client that aborts. Every entry is
 * dated with the task's completion time in UTC (archiver 8 writes UTC DOS times), so the same
 * task gives the same bytes whatever the server's time zone.
 */
import { ZipArchive } from 'archiver'
import { pipeline, Readable, Transform } from 'node:stream'
import type { Task, TaskFile } from './task.js'

/** One zip entry: its name and its bytes (made lazily by a function, see {@link TaskFile}). */
type Entry = TaskFile

// Compact, like the Result and Pages APIs' `data`: a 10,000-page zip stays as small as it can.
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8')

/** The entries of a task's zip, in order, made only as they are asked for. */
function* entries(task: Task): Generator<Entry> {
  yield { name: 'result.json', content: json(task.result) }
  if (task.pages) {
    for (let k = 0; k < task.pages.count; k++) yield { name: `pages/${k}.json`, content: json(task.pages.page(k)) }
  }
  for (const file of task.files) yield file
}

/**
 * A readable zip stream of a completed task. Call only once every check has passed: after the
 * first byte an error can only cut the connection. Destroying the returned stream (a client
 * abort) aborts the archive and releases its zlib state.
 * @param finishedAt the task's completion time in epoch ms (dates every entry)
 */
export function taskArchive(task: Task, finishedAt: number): Readable {
  const archive = new ZipArchive({ store: true })
  const date = new Date(finishedAt)
  const pending = entries(task)
  const appendNext = (): void => {
    const next = pending.next()
    if (next.done) {
      archive.off('entry', appendNext)
      // An archive aborted while its central directory is written rejects here; the stream's own
      // close has already ended the response, so there is nothing left to do.
      /* c8 ignore next */
      archive.finalize().catch(() => {})
      return
    }
    archive.append(entrySource(next.value.content, (error) => archive.destroy(error)), { name: next.value.name, date })
  }
  // After a destroy, 'close' aborts the archive: its queue stops and no 'entry' comes again.
  archive.on('entry', appendNext)
  archive.once('close', () => archive.abort())
  appendNext()
  // pipeline destroys the archive too when the response destroys the coalesced stream.
  return pipeline(archive, coalesce(COALESCE_BYTES), () => {})
}

/**
 * A one-chunk stream of an entry's bytes; lazy content is made only when archiver reads it. A
 * function that fails calls `fail`: archiver does not listen for its sources' errors, so an
 * unhandled one would end the process.
 */
function entrySource(content: Entry['content'], fail: (error: Error) => void): Readable {
  if (Buffer.isBuffer(content)) return Readable.from([content])
  const source = Readable.from(
    (async function* () {
      yield await content()
    })()
  )
  source.once('error', fail)
  return source
}

/** The size the zip's small writes are gathered into before they reach the socket, in bytes. */
const COALESCE_BYTES = 64 * 1024

/**
 * Gathers small chunks into chunks of at least `size` bytes. archiver writes each header and
 * each central-directory record as several tiny chunks; tens of thousands of them queued on a
 * socket make Node's writable buffer quadratic to drain (seconds of CPU after a 20,000-entry zip).
 */
function coalesce(size: number): Transform {
  let held: Buffer[] = []
  let heldBytes = 0
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      held.push(chunk)
      heldBytes += chunk.length
      if (heldBytes < size) return callback()
      const out = Buffer.concat(held, heldBytes)
      held = []
      heldBytes = 0
      callback(null, out)
    },
    flush(callback) {
      callback(null, Buffer.concat(held, heldBytes))
    }
  })
}

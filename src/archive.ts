/**
 * The Download API's zip, generated on the fly (docs/behaviour.md §2 Download).
 *
 * Entries: `result.json`, then `pages/<k>.json` for a paged task, then the task's files. Each is
 * made only when the zip's reader has taken what came before (the stream's back-pressure reaches
 * the page generator), appended as a Buffer to archiver's zip engine with compact
 * central-directory records ({@link CompactZipStream}), so a 1,000,000-page task never sits in
 * memory whole. Entries are stored, not deflated: the bytes then depend on nothing but the task
 * (not on the zlib build), and no zlib state can be left pinned by a client that aborts. Every
 * entry is dated with the task's completion time in UTC, so the same task gives the same bytes
 * whatever the server's time zone.
 */
import type { Readable } from 'node:stream'
import { CompactZipStream } from './compact-zip.js'
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
 * first byte an error can only cut the connection (a file whose function fails destroys the
 * stream with its error). Destroying the returned stream (a client abort) stops the entries and
 * frees the central directory.
 * @param finishedAt the task's completion time in epoch ms (dates every entry)
 */
export function taskArchive(task: Task, finishedAt: number): Readable {
  const pageCount = task.pages?.count ?? 0
  // Entry 0 is result.json, entries 1 to pageCount the pages: their names are not kept.
  const zip = new CompactZipStream({ nameOf: (index) => (index >= 1 && index <= pageCount ? `pages/${index - 1}.json` : undefined) })
  const date = new Date(finishedAt)
  const pending = entries(task)
  const fail = (error: Error): void => {
    zip.destroy(error)
  }
  /** Appends one entry; false when the next must wait (for a `'drain'`) or never come (destroyed). */
  const add = (name: string, content: Buffer): boolean => {
    if (zip.destroyed) return false
    if (zip.append(content, { name, date, mode: 0o644 })) return true
    // A turn of the event loop between chunks: a client that keeps up completes each write at
    // once, and 'drain' then comes in the same tick, so without it one download would hold the
    // event loop (every other request waiting) until its zip ends.
    zip.once('drain', () => setImmediate(pump))
    return false
  }
  function pump(): void {
    for (let next = pending.next(); !next.done; next = pending.next()) {
      const { name, content } = next.value
      if (typeof content === 'function') {
        // A file made when the zip is built (a PDF, a signature): the next entry waits for it.
        Promise.resolve()
          .then(content)
          .then((bytes) => add(name, bytes) && pump(), fail)
        return
      }
      if (!add(name, content)) return
    }
    zip.finalize()
  }
  pump()
  return zip
}

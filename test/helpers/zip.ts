/**
 * Zips in tests: a task's zip downloaded through the app, a generated task to download, and every
 * entry of a zip read back (yauzl) with its bytes, DOS date and flags.
 */
import yauzl from 'yauzl'
import { taskFromSpec } from '../../src/task-spec.js'
import type { Task } from '../../src/task.js'
import { AUTH1, path, ZIP_ACCEPT, type TestApp } from './app.js'

/**
 * Downloads a task's zip as org 1 (an injected request).
 * @throws unless the answer is 200
 */
export async function download(send: TestApp['send'], id: string): Promise<Buffer> {
  const res = await send({ url: path.download(id), headers: { ...AUTH1, ...ZIP_ACCEPT } })
  if (res.statusCode !== 200) throw new Error(`download ${id}: ${res.statusCode} ${res.body}`)
  return res.rawPayload
}

/** Adds a generated task of `pages` pages x `itemsPerPage` items (seed 7) to org 1. */
export async function addGenerated(app: TestApp['app'], id: string, pages: number, itemsPerPage: number): Promise<Task> {
  const task = taskFromSpec({ id, timeline: [], generate: { pages, itemsPerPage, seed: 7 } }, app.mock.specDefaults())
  await app.mock.store.tasks.add(task)
  return task
}

/** One entry of a zip. */
export interface ZipEntry {
  name: string
  content: Buffer
  dosDate: number
  dosTime: number
  flags: number
  /** The entry's comment in the central directory. */
  comment: string
}

/** Reads every entry of a zip held in memory. */
export function unzip(buffer: Buffer): Promise<ZipEntry[]> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true, decodeStrings: true }, (error, zip) => {
      if (error) return reject(error)
      const entries: ZipEntry[] = []
      zip.on('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (err, stream) => {
          if (err) return reject(err)
          const chunks: Buffer[] = []
          stream.on('data', (c: Buffer) => chunks.push(c))
          stream.on('end', () => {
            entries.push({ name: entry.fileName, content: Buffer.concat(chunks), dosDate: entry.lastModFileDate, dosTime: entry.lastModFileTime, flags: entry.generalPurposeBitFlag, comment: entry.fileComment })
            zip.readEntry()
          })
        })
      })
      zip.on('end', () => resolve(entries))
      zip.on('error', reject)
      zip.readEntry()
    })
  })
}


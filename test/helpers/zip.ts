/** Reads zips in tests (yauzl): every entry with its bytes, DOS date and flags. */
import yauzl from 'yauzl'

/** One entry of a zip. */
export interface ZipEntry {
  name: string
  content: Buffer
  dosDate: number
  dosTime: number
  flags: number
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
            entries.push({ name: entry.fileName, content: Buffer.concat(chunks), dosDate: entry.lastModFileDate, dosTime: entry.lastModFileTime, flags: entry.generalPurposeBitFlag })
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


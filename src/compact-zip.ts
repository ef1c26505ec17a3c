/**
 * A stored zip of many small entries at the speed of the bytes: archiver's own zip engine
 * (zip-stream on compress-commons' ZipArchiveOutputStream), subclassed where its per-entry costs
 * were. zip-stream still names, dates and flags each entry (its ZipArchiveEntry: name sanitising,
 * UTF-8 flag, DOS time, Unix mode); this class changes how the bytes leave and what is kept:
 *
 * - an entry is a Buffer, checksummed with `zlib.crc32` (compress-commons' JS crc-32 took 2.3x
 *   as long here), its local header written in one piece, with the sizes and CRC in it (no data
 *   descriptor, no stream per entry);
 * - the output is gathered into 256 KiB chunks: compress-commons writes each header field as a
 *   write of its own (a dozen stream writes an entry);
 * - the central directory is kept compact ({@link CentralDirectory}: 14 bytes plus what its name
 *   does not share with the one before, instead of a ZipArchiveEntry of ~2 KiB), and written in 256 KiB chunks that wait
 *   for the reader, so it never sits in memory whole.
 *
 * Only stored Buffer entries are accepted; ZIP64 records are written past 65,535 entries or when
 * an offset or the directory passes 4 GiB (an entry itself must stay under 4 GiB).
 */
import zlib from 'node:zlib'
import ZipStream, { type ZipArchiveEntry, type ZipEntryData } from 'zip-stream'

/** The size of the chunks written to the stream, in bytes. */
const CHUNK_BYTES = 256 * 1024
const ZIP64_MAGIC = 0xffffffff
const ZIP64_MAGIC_SHORT = 0xffff
const VERSION_MADE_BY = 45
const MIN_VERSION_ZIP64 = 45
const UTF8_NAMES = 0x800

/** The fields of a central-directory record that entries usually share (one shape for all of a task's). */
interface Shape {
  madeBy: number
  minVersion: number
  flags: number
  time: number
  internal: number
  external: number
  commentText: string
  comment: Buffer
}

/**
 * The name of entry `index` (0 is the first) when the caller can make it again as the directory
 * is written, or undefined: a task's zip names its pages `pages/<k>.json`, and those names are
 * then not kept (a 1,000,000-page zip keeps 14 bytes an entry instead of ~21).
 */
export type NameOf = (index: number) => string | undefined

/** Entries a block of the directory's typed arrays holds. */
const BLOCK = 8192
/** The size of a block of entry names, in bytes. */
const ARENA_BYTES = 64 * 1024

/**
 * The central directory, compact: per entry its CRC (4 bytes), size (4), name length (2), shape
 * index (2), the bytes its name shares with the one before (2) and the rest of the name (6 bytes
 * for `pages/12345.json` after `pages/12344.json`), in blocks that never grow by copying. A local header's offset is not
 * kept: it is the sum of the headers and data before it, found again when the directory is
 * written.
 */
export class CentralDirectory {
  /** Entries recorded. */
  count = 0
  readonly #nameOf: NameOf
  #crcs: Uint32Array[] = []
  #sizes: Uint32Array[] = []
  #nameLengths: Uint16Array[] = []
  /** Bytes each name shares with the one before it: only the rest is kept (`pages/1234` of `pages/12345.json`). */
  #sharedLengths: Uint16Array[] = []
  #shapeIds: Uint16Array[] = []
  #names: Buffer[] = []
  #nameUsed = 0
  /** The last name's bytes (names are at most 65,535 bytes). */
  #previous = Buffer.allocUnsafe(0xffff)
  #previousLength = 0
  #shapes: Shape[] = []
  /** Each distinct shape's index, by its fields. */
  #shapeIndex = new Map<string, number>()
  /** The index of the shape last used: a task's entries all share one. */
  #lastShape = -1

  /**
   * Records an entry whose local header (30 bytes and the name, no extra field) and data come
   * next in the zip. `nameLength` is the name's UTF-8 length in bytes (at most 65,535).
   * @throws {RangeError} past 65,536 distinct shapes
   */
  /** @param nameOf entry names that can be made again (see {@link NameOf}): those are not kept */
  constructor(nameOf: NameOf = () => undefined) {
    this.#nameOf = nameOf
  }

  add(name: string, nameLength: number, crc: number, size: number, shape: Shape): void {
    const i = this.count % BLOCK
    if (i === 0) {
      this.#crcs.push(new Uint32Array(BLOCK))
      this.#sizes.push(new Uint32Array(BLOCK))
      this.#nameLengths.push(new Uint16Array(BLOCK))
      this.#sharedLengths.push(new Uint16Array(BLOCK))
      this.#shapeIds.push(new Uint16Array(BLOCK))
    }
    const block = this.#crcs.length - 1
    ;(this.#crcs[block] as Uint32Array)[i] = crc
    ;(this.#sizes[block] as Uint32Array)[i] = size
    ;(this.#shapeIds[block] as Uint16Array)[i] = this.#shapeId(shape)
    // A name made again when the directory is written is marked by a length of 0 (no name is empty).
    const derived = this.#nameOf(this.count) === name
    ;(this.#nameLengths[block] as Uint16Array)[i] = derived ? 0 : nameLength
    this.count++
    if (derived) return
    const previous = this.#previous
    const before = previous.subarray(0, this.#previousLength)
    const bytes = NAME_SCRATCH
    bytes.write(name, 0, 'utf8')
    let shared = 0
    const most = Math.min(nameLength, before.length)
    while (shared < most && bytes[shared] === before[shared]) shared++
    ;(this.#sharedLengths[block] as Uint16Array)[i] = shared
    const rest = nameLength - shared
    let arena = this.#names[this.#names.length - 1]
    if (!arena || this.#nameUsed + rest > arena.length) {
      arena = Buffer.allocUnsafe(Math.max(ARENA_BYTES, rest))
      this.#names.push(arena)
      this.#nameUsed = 0
    }
    bytes.copy(arena, this.#nameUsed, shared, nameLength)
    bytes.copy(previous, shared, shared, nameLength)
    this.#previousLength = nameLength
    this.#nameUsed += rest
  }

  #shapeId(shape: Shape): number {
    const last = this.#shapes[this.#lastShape]
    if (last === shape) return this.#lastShape
    const key = `${shape.madeBy},${shape.minVersion},${shape.flags},${shape.time},${shape.internal},${shape.external},${shape.commentText}`
    let id = this.#shapeIndex.get(key)
    if (id === undefined) {
      if (this.#shapes.length > 0xffff) throw new RangeError('more than 65,536 distinct entry shapes in one zip')
      id = this.#shapes.push(shape) - 1
      this.#shapeIndex.set(key, id)
    }
    this.#lastShape = id
    return id
  }

  /** Bytes held, roughly (the typed arrays and the name arenas). */
  get heldBytes(): number {
    return this.#crcs.length * BLOCK * 14 + this.#names.length * ARENA_BYTES
  }

  /**
   * The directory's records in order, in chunks of at most {@link CHUNK_BYTES}; an entry whose header starts at or past 4 GiB gets a ZIP64
   * extra field. Frees what it has written.
   */
  *records(): Generator<Buffer> {
    let chunk = Buffer.allocUnsafe(CHUNK_BYTES)
    let used = 0
    let offset = 0
    let nameAt = 0
    let arena = 0
    // The name being written, and a name made again (which leaves the kept names' prefix alone).
    const name = Buffer.allocUnsafe(0xffff)
    const derived = Buffer.allocUnsafe(0xffff)
    for (let block = 0; block < this.#crcs.length; block++) {
      const crcs = this.#crcs[block] as Uint32Array
      const sizes = this.#sizes[block] as Uint32Array
      const nameLengths = this.#nameLengths[block] as Uint16Array
      const sharedLengths = this.#sharedLengths[block] as Uint16Array
      const shapeIds = this.#shapeIds[block] as Uint16Array
      const inBlock = Math.min(BLOCK, this.count - block * BLOCK)
      for (let i = 0; i < inBlock; i++) {
        const crc = crcs[i] as number
        const size = sizes[i] as number
        const shape = this.#shapes[shapeIds[i] as number] as Shape
        let nameLength = nameLengths[i] as number
        if (nameLength === 0) {
          nameLength = derived.write(this.#nameOf(block * BLOCK + i) as string, 0, 'utf8')
          derived.copy(name, 0, 0, nameLength)
        } else {
          const shared = sharedLengths[i] as number
          const rest = nameLength - shared
          let names = this.#names[arena] as Buffer
          if (nameAt + rest > names.length) {
            this.#names[arena++] = EMPTY
            names = this.#names[arena] as Buffer
            nameAt = 0
          }
          names.copy(name, shared, nameAt, nameAt + rest)
          nameAt += rest
        }
        const zip64 = offset >= ZIP64_MAGIC
        const length = 46 + nameLength + (zip64 ? 28 : 0) + shape.comment.length
        // A record is at most 46 + 65,535 + 28 + 65,535 bytes: it always fits in an empty chunk.
        if (used + length > CHUNK_BYTES) {
          yield chunk.subarray(0, used)
          chunk = Buffer.allocUnsafe(CHUNK_BYTES)
          used = 0
        }
        chunk.writeUInt32LE(0x02014b50, used)
        chunk.writeUInt16LE(shape.madeBy, used + 4)
        chunk.writeUInt16LE(zip64 ? MIN_VERSION_ZIP64 : shape.minVersion, used + 6)
        chunk.writeUInt16LE(shape.flags, used + 8)
        chunk.writeUInt16LE(0, used + 10)
        chunk.writeUInt32LE(shape.time, used + 12)
        chunk.writeUInt32LE(crc, used + 16)
        chunk.writeUInt32LE(zip64 ? ZIP64_MAGIC : size, used + 20)
        chunk.writeUInt32LE(zip64 ? ZIP64_MAGIC : size, used + 24)
        chunk.writeUInt16LE(nameLength, used + 28)
        chunk.writeUInt16LE(zip64 ? 28 : 0, used + 30)
        chunk.writeUInt16LE(shape.comment.length, used + 32)
        chunk.writeUInt16LE(0, used + 34)
        chunk.writeUInt16LE(shape.internal, used + 36)
        chunk.writeUInt32LE(shape.external, used + 38)
        chunk.writeUInt32LE(zip64 ? ZIP64_MAGIC : offset, used + 42)
        name.copy(chunk, used + 46, 0, nameLength)
        let at = used + 46 + nameLength
        if (zip64) {
          chunk.writeUInt16LE(0x0001, at)
          chunk.writeUInt16LE(24, at + 2)
          chunk.writeBigUInt64LE(BigInt(size), at + 4)
          chunk.writeBigUInt64LE(BigInt(size), at + 12)
          chunk.writeBigUInt64LE(BigInt(offset), at + 20)
          at += 28
        }
        shape.comment.copy(chunk, at)
        used += length
        offset += 30 + nameLength + size
      }
      this.#free(block)
    }
    if (used > 0) yield chunk.subarray(0, used)
    this.clear()
  }

  #free(block: number): void {
    this.#crcs[block] = EMPTY_U32
    this.#sizes[block] = EMPTY_U32
    this.#nameLengths[block] = EMPTY_U16
    this.#sharedLengths[block] = EMPTY_U16
    this.#shapeIds[block] = EMPTY_U16
  }

  /** Drops every record (an aborted zip). */
  clear(): void {
    this.#crcs = []
    this.#sizes = []
    this.#nameLengths = []
    this.#sharedLengths = []
    this.#shapeIds = []
    this.#names = []
    this.#shapes = []
    this.#shapeIndex = new Map()
    this.#lastShape = -1
  }
}

const EMPTY = Buffer.alloc(0)
/** Where {@link CentralDirectory.add} encodes a name (synchronously: one buffer serves every directory). */
const NAME_SCRATCH = Buffer.allocUnsafe(0xffff)
const EMPTY_U32 = new Uint32Array(0)
const EMPTY_U16 = new Uint16Array(0)

/** A refused entry destroys the stream with its error: appends need no callback of their own. */
const noCallback = (): void => {}

/**
 * zip-stream with compact central-directory records and 256 KiB writes (see the module's
 * comment). Append with {@link append}, which says whether to wait for `'drain'`; end with
 * `finalize()`. A stream entry, or a compressed one, is refused with an `'error'`.
 */
export class CompactZipStream extends ZipStream {
  #directory: CentralDirectory
  #chunk = Buffer.allocUnsafe(CHUNK_BYTES)
  #used = 0
  /** Bytes of the zip so far, those still gathered included. */
  #offset = 0
  #lastShape: Shape | undefined
  /** What the last write to the stream answered: false means wait for `'drain'`. */
  #flowing = true

  /**
   * @param options the zip's comment; `forceZip64` writes the ZIP64 end records however small the
   *   zip; `nameOf` names entries that need not be kept (see {@link NameOf})
   */
  constructor(options: { comment?: string; forceZip64?: boolean; nameOf?: NameOf } = {}) {
    const { nameOf, ...zipOptions } = options
    super({ ...zipOptions, store: true })
    this.#directory = new CentralDirectory(nameOf)
    this.once('close', () => this.#directory.clear())
  }

  /**
   * Appends a stored entry (its bytes are copied before this returns).
   * @returns false when the reader is behind: append more only after `'drain'`
   */
  append(source: Buffer, data: ZipEntryData): boolean {
    this.entry(source, data, noCallback)
    return this.#flowing
  }

  /** Writes the entry; a refused one destroys the zip with a RangeError (the callback is not called). */
  protected override _appendBuffer(entry: ZipArchiveEntry, source: Buffer, callback: (error: Error | null, entry?: ZipArchiveEntry) => void): void {
    this._archive.processing = false
    this._entry = null
    if (entry.getMethod() !== 0 || source.length >= ZIP64_MAGIC) {
      return void this.destroy(new RangeError('CompactZipStream writes stored entries under 4 GiB only'))
    }
    const name = entry.getName()
    const nameLength = Buffer.byteLength(name)
    if (nameLength > 0xffff) {
      return void this.destroy(new RangeError('a zip entry name takes at most 65,535 bytes'))
    }
    const crc = zlib.crc32(source)
    const shape = this.#shapeOf(entry)
    const header = 30 + nameLength
    if (CHUNK_BYTES - this.#used < header) this.#flush()
    const chunk = this.#chunk
    const at = this.#used
    chunk.writeUInt32LE(0x04034b50, at)
    chunk.writeUInt16LE(shape.minVersion, at + 4)
    chunk.writeUInt16LE(shape.flags, at + 6)
    chunk.writeUInt16LE(0, at + 8)
    chunk.writeUInt32LE(shape.time, at + 10)
    chunk.writeUInt32LE(crc, at + 14)
    chunk.writeUInt32LE(source.length, at + 18)
    chunk.writeUInt32LE(source.length, at + 22)
    chunk.writeUInt16LE(nameLength, at + 26)
    chunk.writeUInt16LE(0, at + 28)
    chunk.write(name, at + 30, 'utf8')
    this.#used += header
    this.#put(source)
    this.#directory.add(name, nameLength, crc, source.length, shape)
    this.#offset += header + source.length
    callback(null, entry)
  }

  /** The entry's shared fields: the last entry's shape when they match, as they do in a task's zip. */
  #shapeOf(entry: ZipArchiveEntry): Shape {
    const madeBy = (entry.getPlatform() << 8) | VERSION_MADE_BY
    const minVersion = entry.getVersionNeededToExtract()
    const flags = entry.getGeneralPurposeBit().usesUTF8ForNames() ? UTF8_NAMES : 0
    const time = entry.getTimeDos()
    const internal = entry.getInternalAttributes()
    const external = entry.getExternalAttributes()
    const comment = entry.getComment()
    const last = this.#lastShape
    if (last && last.madeBy === madeBy && last.minVersion === minVersion && last.flags === flags && last.time === time && last.internal === internal && last.external === external && last.commentText === comment) return last
    return (this.#lastShape = { madeBy, minVersion, flags, time, internal, external, commentText: comment, comment: Buffer.from(comment) })
  }

  /** Refused: the zip is destroyed with a TypeError (the callback is not called). */
  protected override _appendStream(): void {
    this._archive.processing = false
    this.destroy(new TypeError('CompactZipStream takes Buffer entries only'))
  }

  /** Writes the central directory chunk by chunk as the reader takes them, then the end records. */
  protected override _finish(): void {
    this._archive.finish = true
    this.#flush()
    const count = this.#directory.count
    const start = this.#offset
    const records = this.#directory.records()
    // After a destroy no 'drain' comes: the directory is left where it was, and freed on 'close'.
    // Each 'drain' resumes a turn of the event loop later, so that a fast reader's zip does not
    // hold the event loop for its whole directory (see taskArchive).
    const later = (): void => void setImmediate(next)
    const next = (): void => {
      for (let chunk = records.next(); !chunk.done; chunk = records.next()) {
        this.#write(chunk.value)
        this.#offset += chunk.value.length
        if (!this.#flowing) return void this.once('drain', later)
      }
      this.#end(count, start, this.#offset - start)
    }
    if (this.#flowing) next()
    else this.once('drain', later)
  }

  /** The ZIP64 end records when needed, the end-of-central-directory record, and the end. */
  #end(count: number, start: number, size: number): void {
    const zip64 = this._archive.forceZip64 || count > ZIP64_MAGIC_SHORT || start >= ZIP64_MAGIC || size >= ZIP64_MAGIC
    const comment = Buffer.from(this.getComment())
    const end = Buffer.alloc((zip64 ? 76 : 0) + 22 + comment.length)
    let at = 0
    if (zip64) {
      end.writeUInt32LE(0x06064b50, 0)
      end.writeBigUInt64LE(44n, 4)
      end.writeUInt16LE(MIN_VERSION_ZIP64, 12)
      end.writeUInt16LE(MIN_VERSION_ZIP64, 14)
      end.writeBigUInt64LE(BigInt(count), 24)
      end.writeBigUInt64LE(BigInt(count), 32)
      end.writeBigUInt64LE(BigInt(size), 40)
      end.writeBigUInt64LE(BigInt(start), 48)
      end.writeUInt32LE(0x07064b50, 56)
      end.writeBigUInt64LE(BigInt(start + size), 64)
      end.writeUInt32LE(1, 72)
      at = 76
    }
    end.writeUInt32LE(0x06054b50, at)
    end.writeUInt16LE(zip64 ? ZIP64_MAGIC_SHORT : count, at + 8)
    end.writeUInt16LE(zip64 ? ZIP64_MAGIC_SHORT : count, at + 10)
    end.writeUInt32LE(zip64 ? ZIP64_MAGIC : size, at + 12)
    end.writeUInt32LE(zip64 ? ZIP64_MAGIC : start, at + 16)
    end.writeUInt16LE(comment.length, at + 20)
    comment.copy(end, at + 22)
    this.#write(end)
    this._archive.finished = true
    this.end()
  }

  /** Copies bytes into the gathered chunk, writing each chunk that fills. */
  #put(bytes: Buffer): void {
    for (let at = 0; at < bytes.length; ) {
      const n = Math.min(bytes.length - at, CHUNK_BYTES - this.#used)
      bytes.copy(this.#chunk, this.#used, at, at + n)
      this.#used += n
      at += n
      if (this.#used === CHUNK_BYTES) this.#flush()
    }
  }

  #flush(): void {
    if (this.#used === 0) return
    const full = this.#chunk.subarray(0, this.#used)
    this.#chunk = Buffer.allocUnsafe(CHUNK_BYTES)
    this.#used = 0
    this.#write(full)
  }

  /** Writes to the stream; once the reader is behind, {@link append} says so until `'drain'`. */
  #write(bytes: Buffer): void {
    if (this.write(bytes) || !this.#flowing) return
    this.#flowing = false
    // Registered before any caller's own 'drain' listener, so it runs first.
    this.once('drain', () => (this.#flowing = true))
  }
}

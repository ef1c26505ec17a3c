/**
 * The parts of zip-stream 7 (archiver's zip engine, on compress-commons' ZipArchiveOutputStream)
 * that src/compact-zip.ts uses or overrides; the package ships no types.
 */
declare module 'zip-stream' {
  import { Transform } from 'node:stream'

  /** compress-commons' ZipArchiveEntry (the getters the writer reads). */
  export interface ZipArchiveEntry {
    getName(): string
    getMethod(): number
    setMethod(method: number): void
    getComment(): string
    getCentralDirectoryExtra(): Buffer
    getExternalAttributes(): number
    getInternalAttributes(): number
    getPlatform(): number
    getTimeDos(): number
    getVersionNeededToExtract(): number
    getGeneralPurposeBit(): { usesUTF8ForNames(): boolean }
    setSize(size: number): void
    setCompressedSize(size: number): void
    setCrc(crc: number): void
  }

  /** What an entry is appended with (zip-stream's `data`). */
  export interface ZipEntryData {
    name: string
    date?: Date | string
    mode?: number
    store?: boolean
    comment?: string
    type?: 'file' | 'directory' | 'symlink'
  }

  export interface ZipStreamOptions {
    comment?: string
    forceLocalTime?: boolean
    forceZip64?: boolean
    store?: boolean
    zlib?: object
  }

  /** A readable-stream Transform; entries are appended one at a time. */
  export default class ZipStream extends Transform {
    constructor(options?: ZipStreamOptions)
    protected _archive: { finish: boolean; finished: boolean; processing: boolean; forceZip64: boolean; comment: string }
    protected _entry: ZipArchiveEntry | null
    entry(source: Buffer | NodeJS.ReadableStream | string | null, data: ZipEntryData, callback?: (error: Error | null, entry?: ZipArchiveEntry) => void): this | undefined
    finalize(): void
    getComment(): string
    getBytesWritten(): number
    protected _appendBuffer(entry: ZipArchiveEntry, source: Buffer, callback: (error: Error | null, entry?: ZipArchiveEntry) => void): void
    protected _appendStream(entry: ZipArchiveEntry, source: NodeJS.ReadableStream, callback: (error: Error | null, entry?: ZipArchiveEntry) => void): void
    protected _finish(): void
  }
}

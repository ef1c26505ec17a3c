/**
 * archive.ts (and zip-stream under it), loaded on the first download instead of at start-up: the
 * first zip pays the ~150 ms of CPU its modules take to load, not every process start (§18).
 */
let archive: Promise<typeof import('./archive.js')> | undefined

/** Resolves with archive.ts's exports, loading the module once per process. */
export function loadArchive(): Promise<typeof import('./archive.js')> {
  archive ??= import('./archive.js')
  return archive
}

/**
 * tap's coverage map (.taprc `coverage-map`): which files each test file's coverage counts for.
 * `[]` means every file (tap's default); `null` means none, and tap then runs that file without
 * collecting coverage at all. Counting every block execution makes heavy work about twice as slow,
 * so the tests at scale run without it: every line they run is also run, and counted, by a
 * smaller test (the coverage gate would fail otherwise).
 */
const UNCOUNTED = new Set(['build/test/archive-scale.test.js'])

/** @param testFile a test file as tap names it, from the repository root */
export default function coverageMap(testFile: string): string[] | null {
  return UNCOUNTED.has(testFile) ? null : []
}

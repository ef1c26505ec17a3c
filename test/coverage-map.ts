/**
 * tap's coverage map (.taprc `coverage-map`): which files each test file's coverage counts for.
 * `[]` means every file (tap's default); `null` means none, and tap then runs that file without
 * collecting coverage at all. Counting every block execution makes heavy work about twice as slow,
 * and writing and source-mapping each file's counts costs a second or more of CPU, so the tests that
 * check the whole at scale or from outside (zips at scale, the fuzz, generated clients, the image
 * layout, the README's examples) run without it: every line they run is also run, and counted, by
 * the unit and route tests (the coverage gate fails otherwise; it still runs on every npm test).
 * Files that start server processes stay counted where only they run some lines (server.ts's exit
 * code, the shutdown path, the request timeout).
 */
const UNCOUNTED = new Set([
  'build/test/suites/scale.test.js', // archive-scale, fuzz
  'build/test/suites/examples.test.js', // generated-client, image-layout, readme-example, -producers, -report
  'build/test/readme-namespaces.test.js'
])

/** @param testFile a test file as tap names it, from the repository root */
export default function coverageMap(testFile: string): string[] | null {
  return UNCOUNTED.has(testFile) ? null : []
}

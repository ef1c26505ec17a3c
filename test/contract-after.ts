// Run by tap after every test file (see .taprc `after`): every operation of the
// OpenAPI document must have been called, and answered in agreement with it, by some test.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { documentedOperations, SEEN_DIR } from './helpers/contract.js'

// Only a whole run (`npm test`) can call everything; a run of a few files skips the check.
const whole = process.env.npm_lifecycle_event === 'test'
t.test('every documented operation is exercised by some test', { skip: !whole && 'not a whole run (npm test)' }, async (t) => {
  const seen = new Set<string>()
  for (const file of readdirSync(SEEN_DIR)) {
    for (const operation of JSON.parse(readFileSync(join(SEEN_DIR, file), 'utf8')) as string[]) seen.add(operation)
  }
  const missing = documentedOperations().filter((operation) => !seen.has(operation))
  t.same(missing, [], 'documented operations that no test called')
})

// A whole run runs the suites and the files .taprc includes (see its comment): every test file
// must be in exactly one of them, so that none is left out of `npm test` or run twice. (A run of a
// few files, a new one among them, skips this, as above.)
t.test('every test file runs exactly once in a whole run', { skip: !whole && 'not a whole run (npm test)' }, async (t) => {
  const test = join(process.cwd(), 'test')
  const files = readdirSync(test, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts') && !file.startsWith('suites'))
    .map((file) => file.replace(/\.ts$/, '.js'))
  const runs: string[] = []
  for (const match of readFileSync(join(process.cwd(), '.taprc'), 'utf8').matchAll(/^ {2}- build\/test\/(.+\.test\.js)$/gm)) {
    const file = match[1] as string
    if (file !== 'suites/*.test.js') runs.push(file)
  }
  for (const suite of readdirSync(join(test, 'suites')).filter((file) => file.endsWith('.test.ts'))) {
    for (const match of readFileSync(join(test, 'suites', suite), 'utf8').matchAll(/^import '\.\.\/(.+\.test\.js)'$/gm)) runs.push(match[1] as string)
  }
  const source = (file: string): string => `test/${file.replace(/\.js$/, '.ts')}`
  t.same(files.filter((file) => !runs.includes(file)).map(source).sort(), [],
    "test files that npm test does not run: import each from the suite of its area (test/suites/<area>.test.ts: `import '../<file>.test.js'`), or list it in .taprc's include")
  t.same(runs.filter((file, i) => runs.indexOf(file) !== i || !files.includes(file)).map(source), [],
    'test files a suite or .taprc names twice, or that do not exist: name each once')
})

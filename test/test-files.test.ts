// npm test runs the suites (test/suites/*.test.ts) and the files .taprc includes (see its comment):
// every test file must be in exactly one of them, so that none is left out or run twice. This file
// runs in the units suite, so a run of a few files (a new one among them) does not check it.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'

t.test('every test file runs exactly once in npm test', async (t) => {
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

/**
 * Keeps a README example and the test file that runs it the same: the file starts with the
 * README's first ts block after a heading, and ends with this check.
 */
import { readFile } from 'node:fs/promises'
import t from 'tap'

/** Marks where a test file stops being the README's example. */
const MARKER = '\n// Not in the README:'

/**
 * Adds a test that the README's first ts block after `heading` is exactly the start of `testFile`
 * (up to the `// Not in the README:` line).
 * @param testFile the calling test's `import.meta.url`
 */
export function checkReadmeExample(heading: string, testFile: string): void {
  t.test(`README.md shows the example under "${heading}" verbatim`, async (t) => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8')
    const at = readme.indexOf(heading)
    t.not(at, -1, 'the heading exists')
    const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at))?.[1]
    const source = await readFile(new URL(testFile), 'utf8')
    t.equal(source.slice(0, source.indexOf(MARKER)), block, 'this file starts with the README block')
  })
}

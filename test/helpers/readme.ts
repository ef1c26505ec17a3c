/**
 * Keeps a README example and the test file that runs it the same: the file starts with the
 * README's first ts block after a heading, and ends with this check.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { PACKAGE_ROOT } from '../../src/package-root.js'

/** Marks where a test file stops being the README's example. */
const MARKER = '\n// Not in the README:'

/**
 * Adds a test that the README's first ts block after `heading` is exactly the start of `testFile`
 * (up to the `// Not in the README:` line).
 * @param testFile the calling test's source file, from the repository's root (`test/....test.ts`):
 *   its TypeScript, which is what the README shows (tap runs the compiled copy in build/)
 */
export function checkReadmeExample(heading: string, testFile: string): void {
  t.test(`README.md shows the example under "${heading}" verbatim`, async (t) => {
    const readme = await readFile(join(PACKAGE_ROOT, 'README.md'), 'utf8')
    const at = readme.indexOf(heading)
    t.not(at, -1, 'the heading exists')
    const block = /```ts\n([\s\S]*?)```/.exec(readme.slice(at))?.[1]
    const source = await readFile(join(PACKAGE_ROOT, testFile), 'utf8')
    t.equal(source.slice(0, source.indexOf(MARKER)), block, 'this file starts with the README block')
  })
}

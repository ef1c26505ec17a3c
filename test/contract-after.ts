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

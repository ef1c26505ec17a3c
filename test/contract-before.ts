// Run by tap before the test files (see .taprc `before`): forget the operations seen
// by an earlier run, so that contract-after.ts judges this run alone.
import { rmSync } from 'node:fs'
import { join } from 'node:path'

rmSync(join(process.cwd(), '.tap', 'contract-seen'), { recursive: true, force: true })

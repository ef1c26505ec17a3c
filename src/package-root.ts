/**
 * Where the package's own files are: package.json, fixtures/ and openapi/ sit in its root folder.
 * The code runs from dist/ once built and from src/ under a TypeScript loader (one level below the
 * root), and from build/src/ in the test build (`npm run build:test`, two levels below), so every
 * path to those files starts here rather than at a fixed number of `..` from the calling module.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The nearest folder at or above `dir` that holds a package.json (the file system's root if none does). */
function packageFolder(dir: string): string {
  return existsSync(join(dir, 'package.json')) || dirname(dir) === dir ? dir : packageFolder(dirname(dir))
}

/** The package's root folder (absolute path): the nearest one above this module with a package.json. */
export const PACKAGE_ROOT = packageFolder(dirname(fileURLToPath(import.meta.url)))

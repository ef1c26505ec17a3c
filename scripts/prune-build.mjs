#!/usr/bin/env node
// Part of `npm run build:test`, after tsc has compiled src/ and test/ into build/ (tsconfig.json)
// for tap to run. tsc never deletes the output of a source that is gone, and tap would go on
// running a deleted test's old copy, so this removes every build/**/*.js (and its map) whose .ts
// source no longer exists.
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join, relative } from 'node:path'

const BUILD = 'build'
for (const entry of readdirSync(BUILD, { recursive: true, withFileTypes: true })) {
  const compiled = /^(.+)\.js(\.map)?$/.exec(entry.name)
  if (!entry.isFile() || !compiled) continue
  const dir = entry.parentPath ?? entry.path
  if (!existsSync(join(relative(BUILD, dir), `${compiled[1]}.ts`))) rmSync(join(dir, entry.name))
}

#!/usr/bin/env node
// The pretest steps: the tests start real programs themselves on free ports (redis-server for
// the store tests, §16; Chromium for the browser tests). Here we only make sure each binary is
// there: when one is missing, install its Debian package as root (CI, containers), or stop with
// the one command to run. Usage: node scripts/ensure-packages.mjs redis-server chromium
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/** Each binary the tests run, how to tell it is there, its Debian package and another way to get it. */
const PROGRAMS = {
  'redis-server': { found: () => runs('redis-server'), package: 'redis-server', elsewhere: 'your package manager\'s redis (or valkey) server package, e.g. brew install redis' },
  chromium: { found: () => (process.env.CHROMIUM_PATH ? existsSync(process.env.CHROMIUM_PATH) : runs('chromium')), package: 'chromium', elsewhere: 'a Chromium or Chrome, then set CHROMIUM_PATH to its binary' }
}

function runs(binary) {
  return spawnSync(binary, ['--version'], { stdio: 'ignore' }).status === 0
}

const wanted = process.argv.slice(2)
for (const name of wanted) if (!PROGRAMS[name]) throw new Error(`ensure-packages: unknown program ${name}`)
const missing = () => wanted.filter((name) => !PROGRAMS[name].found())

if (missing().length > 0) {
  const root = process.getuid?.() === 0
  const apt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0
  const packages = missing().map((name) => PROGRAMS[name].package)
  if (root && apt) {
    console.error(`pretest: ${missing().join(', ')} missing; installing the Debian package(s) ${packages.join(' ')}`)
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env })
  }
  const still = missing()
  if (still.length > 0) {
    console.error(`the tests need ${still.join(' and ')} (they start their own). Install with:`)
    if (apt) console.error(`  sudo apt-get install -y ${still.map((name) => PROGRAMS[name].package).join(' ')}`)
    else for (const name of still) console.error(`  ${PROGRAMS[name].elsewhere}`)
    process.exit(1)
  }
}

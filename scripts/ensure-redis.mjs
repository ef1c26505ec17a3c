#!/usr/bin/env node
// `npm test`'s pretest: the suite runs every store test against a real redis-server (§11), which
// it starts itself on free ports. Here we only make sure the binary is there: when it is missing,
// install the Debian package as root (CI, containers), or stop with the one command to run.
import { spawnSync } from 'node:child_process'

const found = () => spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0

if (!found()) {
  const root = process.getuid?.() === 0
  const apt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0
  if (root && apt) {
    console.error('pretest: redis-server is missing; installing the Debian package redis-server')
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env })
    spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'redis-server'], { stdio: 'inherit', env })
  }
  if (!found()) {
    console.error('npm test needs redis-server (the tests start their own on free ports). Install it with:')
    console.error(apt ? '  sudo apt-get install -y redis-server' : '  your package manager\'s redis (or valkey) server package, e.g. brew install redis')
    process.exit(1)
  }
}

#!/usr/bin/env node
// Part of `npm run build`: bundles the command-line server (src/server.ts) with esbuild into
// dist/bin.js, the package's bin, `npm start`'s and the image's command. Node 20 spends
// about half a millisecond on each ES module it loads, whatever its size: the sixty modules of
// src/ were about 30 ms of each start, which every test that starts a server pays. The modules the
// server loads on first use (the zip writer, the Redis store) stay chunks of their own under
// dist/bin/, loaded only then; packages are not bundled. tsc's dist/server.js is the same entry
// point unbundled (the tests start it: its coverage maps to src/ as the test processes' does), and
// the library (dist/index.js) is tsc's.
import { rmSync } from 'node:fs'
import { build } from 'esbuild'

// Chunk names carry a hash of their content: the last build's are removed, not left beside.
rmSync('dist/bin', { recursive: true, force: true })

await build({
  entryPoints: { bin: 'src/server.ts' },
  outdir: 'dist',
  entryNames: '[name]',
  chunkNames: 'bin/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning'
})

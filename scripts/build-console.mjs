#!/usr/bin/env node
// Part of `npm run build`: bundles the console's sources (src/console/, docs/behaviour.md §18) with
// esbuild into dist/console/, the static files GET /console serves: index.html, console.js (the
// page's TypeScript with Preact and htm, minified) and console.css. Nothing is fetched at run time,
// so the page works offline and in the container image. Takes well under a second.
import { copyFileSync, mkdirSync } from 'node:fs'
import { build } from 'esbuild'

const OUT = 'dist/console'
mkdirSync(OUT, { recursive: true })
await build({
  // main.ts imports console.css, which esbuild writes next to the script as console.css.
  entryPoints: { console: 'src/console/main.ts' },
  outdir: OUT,
  entryNames: '[name]',
  bundle: true,
  minify: true,
  format: 'esm',
  // Current Chromium and Firefox (§13 of the contract); nothing older is promised.
  target: ['chrome120', 'firefox120'],
  legalComments: 'eof',
  logLevel: 'warning'
})
copyFileSync('src/console/index.html', `${OUT}/index.html`)

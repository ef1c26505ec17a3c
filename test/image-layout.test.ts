/**
 * Runs the compiled server from a folder laid out as the container image lays it out: package
 * files, production dependencies only (`npm ci --omit=dev`), dist/, fixtures/ and openapi/. A
 * runtime dependency left in devDependencies, or a file the image forgets, fails here.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { PACKAGE_ROOT as ROOT } from '../src/package-root.js'
import { AUTH1, TASK } from './helpers/app.js'
import { startServer, stopServer } from './helpers/server.js'

/** What the Dockerfile's runtime stage copies (kept in step with it by the assertion below). */
const COPIED = ['package.json', 'package-lock.json', 'dist', 'fixtures', 'openapi']

/**
 * The node_modules that `npm ci --omit=dev` installs for this package.json and lock file. The
 * install takes most of this file's time, so it is made once per version of the two files, in a
 * folder named by their hash and shared by later runs; it is outside the repository, so nothing
 * in it resolves a package from the repository's own node_modules.
 */
function productionDependencies(): string {
  const hash = createHash('sha256')
  for (const file of ['package.json', 'package-lock.json']) hash.update(readFileSync(join(ROOT, file)))
  const installed = join(tmpdir(), `etm-image-deps-${hash.digest('hex').slice(0, 16)}`)
  if (!existsSync(installed)) {
    const work = mkdtempSync(join(tmpdir(), 'etm-image-install-'))
    for (const file of ['package.json', 'package-lock.json']) cpSync(join(ROOT, file), join(work, file))
    execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: work, stdio: 'ignore' })
    // All at once, complete: a run that finds the folder can use it. Another run may have got there first.
    try {
      renameSync(work, installed)
    } catch {
      rmSync(work, { recursive: true, force: true })
    }
  }
  return join(installed, 'node_modules')
}

t.test('the Dockerfile copies exactly these into the runtime stage', async (t) => {
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
  const runtime = dockerfile.slice(dockerfile.indexOf('AS runtime'))
  const copied = [...runtime.matchAll(/^COPY (?:--from=\S+ )?(.+) \.\/\S*$/gm)].flatMap((m) => (m[1] as string).replace(/\/app\//g, '').split(' '))
  t.same(copied.sort(), [...COPIED].sort())
})

t.test('the server runs from the image layout with production dependencies only', { timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'etm-image-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const entry of COPIED) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true })
  symlinkSync(productionDependencies(), join(dir, 'node_modules'))
  const server = await startServer({ HOST: '127.0.0.1', NODE_ENV: 'production', ADMIN_TOKEN: 'layout' }, [], { cwd: dir, script: join(dir, 'dist', 'bin.js') })
  t.teardown(() => stopServer(server))
  t.same(await (await fetch(`${server.url}/readyz`)).json(), { status: 'ready' })
  const status = await fetch(`${server.url}/enriched/tasks/v1.0/status/${TASK.returns}`, { headers: { ...AUTH1, accept: 'application/json' } })
  t.equal(status.status, 200)
  const zip = await fetch(`${server.url}/enriched/tasks/v1.0/download/${TASK.ewaybill}`, { headers: { ...AUTH1, accept: 'application/zip' } })
  t.equal(zip.status, 200)
  t.ok((await zip.arrayBuffer()).byteLength > 1000)
  const yaml = await fetch(`${server.url}/openapi.yaml`)
  t.ok(Buffer.from(await yaml.arrayBuffer()).equals(readFileSync(join(ROOT, 'openapi', 'openapi.yaml'))))
  t.equal((await fetch(`${server.url}/documentation`)).status, 200, 'the UI and its assets are production dependencies')
  // The console: its bundle is in dist/, built at build time; nothing of it is fetched elsewhere.
  const page = await fetch(`${server.url}/console`)
  t.equal(page.status, 200)
  t.match(await page.text(), /<script type="module" src="console\/console\.js">/)
  const script = await fetch(`${server.url}/console/console.js`)
  t.equal(script.status, 200)
  t.ok(Buffer.from(await script.arrayBuffer()).equals(readFileSync(join(ROOT, 'dist', 'console', 'console.js'))), 'the bundle in dist/')
})

t.test('the bin is the bundle: its chunks load on first use (the zip writer above; the Redis store here)', { timeout: 300_000 }, async (t) => {
  t.match(readFileSync(join(ROOT, 'dist', 'bin.js'), 'utf8'), /from "\.\/bin\/chunk-[A-Z0-9]+\.js"/, 'esbuild\'s bundle')
  t.same(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).bin, { 'enriched-tasks-mock': 'dist/bin.js' })
  const dir = mkdtempSync(join(tmpdir(), 'etm-image-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  for (const entry of COPIED) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true })
  symlinkSync(productionDependencies(), join(dir, 'node_modules'))
  const run = spawnSync(process.execPath, [join(dir, 'dist', 'bin.js')], { cwd: dir, env: { ...process.env, PORT: '0', STORE: 'redis://:sekrit@127.0.0.1:1' }, encoding: 'utf8', timeout: 60_000 })
  t.equal(run.status, 2, 'an unreachable Redis stops start-up')
  t.match(run.stderr, /redis/i)
  t.notMatch(run.stderr + run.stdout, /sekrit/)
})

/**
 * The console (docs/behaviour.md §18): `GET /console`, a web page built on the control API alone,
 * and its bundled script and styles under `/console/{file}`. The page's sources are in
 * `src/console/`; `npm run build` bundles them with esbuild into `dist/console/` (see
 * `scripts/build-console.mjs`). Served by @fastify/static, which reads a file only when it is asked
 * for, in an app of its own built on the first request (see lazy-app.ts), so start-up loads and
 * reads none of it. No auth of its own: the page asks for `ADMIN_TOKEN` and sends it to the
 * control API.
 */
import { join } from 'node:path'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { routeNotFound } from '../errors.js'
import { PACKAGE_ROOT } from '../package-root.js'
import { innerApp, lazyApp } from './lazy-app.js'

/** Where the built page lives (the bundle `npm run build` writes). */
export const CONSOLE_DIR = join(PACKAGE_ROOT, 'dist', 'console')

/** The files under `/console/` (the page itself is `/console`); any other name is the route 404. */
export const CONSOLE_ASSETS: readonly string[] = ['console.js', 'console.css']

/**
 * The page may load only its own files and talk only to this server (no CDN, no inline script), and
 * no other site may frame it.
 */
export const CONSOLE_CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

/** Registers `GET, HEAD /console` and `GET, HEAD /console/{file}`. */
export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  const files = lazyApp(app, consoleApp)
  app.route({ method: ['GET', 'HEAD'], url: '/console', handler: files })
  app.route<{ Params: { file: string } }>({
    method: ['GET', 'HEAD'],
    url: '/console/:file',
    handler: async (request, reply) => {
      if (!CONSOLE_ASSETS.includes(request.params.file)) throw routeNotFound()
      return files(request, reply)
    }
  })
}

/** The page and its files, from {@link CONSOLE_DIR}, with their headers. */
async function consoleApp(): Promise<FastifyInstance> {
  const { default: fastifyStatic } = await import('@fastify/static')
  const files = innerApp()
  // serve: false: no wildcard route of its own; the routes below name the files.
  // acceptRanges: false: a Range header is ignored and the file sent whole (§18 lists no 206 or
  // 416; an unsatisfiable range was a 500).
  await files.register(fastifyStatic, { root: CONSOLE_DIR, serve: false, cacheControl: false, index: false, acceptRanges: false })
  // Revalidated on each load (the ETag makes that cheap), so a rebuilt console is never stale.
  const send = (reply: FastifyReply, file: string): FastifyReply =>
    reply.header('cache-control', 'no-cache').header('x-content-type-options', 'nosniff').sendFile(file)
  files.route({
    method: ['GET', 'HEAD'],
    url: '/console',
    handler: async (_request, reply) => send(reply.header('content-security-policy', CONSOLE_CSP), 'index.html')
  })
  files.route<{ Params: { file: string } }>({
    method: ['GET', 'HEAD'],
    url: '/console/:file',
    handler: async (request, reply) => send(reply, request.params.file)
  })
  await files.ready()
  return files
}

/**
 * The command line: reads the settings (§17), builds the app, listens, and shuts down gracefully.
 * `server.ts` only calls {@link main}.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { buildApp, listeningText } from './app.js'
import { ConfigError, helpText, readSettings } from './config.js'
import { FaultLimitError } from './faults.js'
import { FixtureError } from './fixtures.js'
import { PACKAGE_ROOT } from './package-root.js'
import { StoreFullError, TaskLimitError } from './task-store.js'
import { StoreUnavailableError } from './store/store.js'

/** Exit code for a bad setting or fixture (§17). */
export const EXIT_CONFIG = 2

/** Where {@link main} writes its plain-text output (stdout and stderr by default). */
export interface CliOutput {
  out: (line: string) => void
  err: (line: string) => void
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/

/** The package's version, read once from package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }
  return pkg.version
}

/**
 * Runs the server as the command line asks.
 * @param argv the arguments after the script name
 * @param env the environment
 * @returns the listening app, or an exit code (0 after --help/--version, 2 for a bad setting)
 */
export async function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  output: CliOutput = { out: (l) => process.stdout.write(l + '\n'), err: (l) => process.stderr.write(l + '\n') }
): Promise<FastifyInstance | number> {
  let app: FastifyInstance | undefined
  let where = ''
  try {
    const command = readSettings(argv, env)
    if (command.kind === 'help') {
      output.out(helpText())
      return 0
    }
    if (command.kind === 'version') {
      output.out(packageVersion())
      return 0
    }
    const { settings } = command
    where = `${settings.host}:${settings.port}`
    app = await buildApp({ settings })
    if (!settings.adminToken && !LOOPBACK.test(settings.host)) {
      app.log.warn({ host: settings.host }, 'ADMIN_TOKEN is unset and the server listens beyond loopback: anyone who can reach it can drive /__admin')
    }
    await app.listen({ port: settings.port, host: settings.host, listenTextResolver: listeningText })
    // close-with-grace's own limit is a safety net behind closeWithin (timers hold at most 2^31 - 1 ms).
    const running = app
    closeWithGrace({ delay: Math.min(2_147_483_647, settings.shutdownGraceMs + 5_000) }, async ({ signal, err }) => {
      // err is set when an uncaught error, not a signal, started the shutdown.
      running.log.info({ signal, err }, 'shutting down')
      await closeWithin(running, settings.shutdownGraceMs)
    })
    return app
  } catch (error) {
    const line = startupProblem(error, where)
    if (line === undefined) throw error
    await app?.close()
    output.err(`enriched-tasks-mock: ${line}`)
    return EXIT_CONFIG
  }
}

/** Errors that mean a setting is wrong for this machine, as listen reports them. */
const LISTEN_ERRORS = new Set(['EADDRINUSE', 'EADDRNOTAVAIL', 'EACCES', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME'])

/** The one line to print for a start-up error that a setting caused, or undefined for a bug. */
function startupProblem(error: unknown, where: string): string | undefined {
  if (error instanceof ConfigError || error instanceof FixtureError) return error.message
  const code = (error as NodeJS.ErrnoException).code ?? ''
  if (LISTEN_ERRORS.has(code)) return `cannot listen on ${where} (HOST, PORT): ${code}`
  if (error instanceof TaskLimitError) return `invalid MAX_TASKS=${error.max}: the fixtures seed more tasks than that`
  if (error instanceof FaultLimitError) return `invalid MAX_FAULTS=${error.maxFaults}: the fixtures' scenarios add more faults than that`
  // Seeding is the only creation at start-up, into an empty store: the fixtures alone break the budget (§19).
  if (error instanceof StoreFullError) {
    return error.setting === 'MAX_TASK_BYTES'
      ? `invalid MAX_TASK_BYTES=${error.max}: fixture task ${error.taskId} takes ${error.bytes} bytes`
      : `invalid MAX_STORE_BYTES=${error.max}: the fixtures' tasks take more bytes than that`
  }
  // §16: a Redis URL that cannot be reached at start-up (the message never holds its password).
  if (error instanceof StoreUnavailableError) return `invalid STORE: ${error.reason}`
  return undefined
}

/**
 * Closes the app: stops accepting, lets in-flight requests finish for up to `graceMs`, then cuts
 * whatever is still open.
 */
export async function closeWithin(app: FastifyInstance, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const grace = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      app.server.closeAllConnections()
      resolve()
    }, graceMs)
  })
  await Promise.race([app.close(), grace])
  clearTimeout(timer)
}

/**
 * Starts the real server as a process, on port 0, and reads its URL from the start-up log line. The
 * README starts the bin, `node dist/bin.js`: esbuild's bundle of src/server.ts. This starts tsc's
 * dist/server.js, the same entry point unbundled, whose coverage maps to src/ as the test
 * processes' does (the bundle's map does not merge with it); test/image-layout.test.ts runs the bin.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'
import { PACKAGE_ROOT } from '../../src/package-root.js'

/** tsc's compiled entry point (built by `npm test` before tap runs). */
export const SERVER_JS = join(PACKAGE_ROOT, 'dist', 'server.js')

/** A running server process. */
export interface ServerProcess {
  child: ChildProcess
  url: string
  /** Every line it has written to stdout so far. */
  lines: string[]
  /** stderr so far. */
  stderr: () => string
  /** Resolves with the exit code (or signal) once it has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/**
 * Spawns the server with `env` on top of the current environment (PORT=0 unless given) and waits
 * for its "listening on" line.
 * @throws when it exits or prints nothing within `timeoutMs` (30 s by default: a guard against a
 *   hang, ample for a start on a machine busy with other test files)
 */
export function startServer(env: Record<string, string> = {}, args: string[] = [], options: { cwd?: string; script?: string; nodeArgs?: string[]; timeoutMs?: number } = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script ?? SERVER_JS, ...args], {
    cwd: options.cwd,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const lines: string[] = []
  let stderr = ''
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal }))
  )
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve, reject) => {
    let buffered = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`server did not start: ${stderr}`))
    }, options.timeoutMs ?? 30_000)
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      let eol
      while ((eol = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, eol)
        buffered = buffered.slice(eol + 1)
        lines.push(line)
        const match = /listening on (http:\/\/[^\s"]+)/.exec(line)
        if (match) {
          clearTimeout(timer)
          resolve({ child, url: match[1] as string, lines, stderr: () => stderr, exited })
        }
      }
    })
    void exited.then(({ code }) => {
      clearTimeout(timer)
      reject(new Error(`server exited with ${code} before listening: ${stderr}`))
    })
  })
}

/** Stops a server process (SIGTERM) and waits for it to exit. */
export async function stopServer(server: ServerProcess): Promise<void> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGTERM')
  await server.exited
}

/**
 * A real Redis for tests (§16): `redis-server` (Debian package `redis-server`; `npm test`'s
 * pretest installs it) on a free loopback port, with no persistence, stopped when the test ends.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { createServer } from 'node:net'

/** A running redis-server. */
export interface RedisServer {
  port: number
  /** `redis://127.0.0.1:<port>` */
  url: string
  /** Stops it (the data goes with it). */
  stop(): Promise<void>
  /** Starts it again on the same port (empty: it keeps nothing). */
  start(): Promise<void>
  /** Freezes it (SIGSTOP): connected, answering nothing. */
  pause(): void
  /** Lets a paused one run again (SIGCONT). */
  resume(): void
}

/** A free loopback port. */
export async function freePort(): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

/** Starts redis-server on a free port; stopped at teardown. */
export async function startRedis(t: { teardown: (fn: () => unknown) => void }): Promise<RedisServer> {
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async (): Promise<void> => {
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] })
    child = started
    let out = ''
    await new Promise<void>((resolve, reject) => {
      started.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString()
        if (out.includes('Ready to accept connections')) resolve()
      })
      started.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)))
      started.once('error', reject)
    })
    started.stdout?.resume()
  }
  const stop = async (): Promise<void> => {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null) return
    running.kill('SIGKILL')
    await once(running, 'exit')
  }
  await start()
  t.teardown(stop)
  return { port, url: `redis://127.0.0.1:${port}`, stop, start, pause: () => child?.kill('SIGSTOP'), resume: () => child?.kill('SIGCONT') }
}

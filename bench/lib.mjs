// What the bench scripts share.
import { spawn } from 'node:child_process'
import net from 'node:net'
import autocannon from 'autocannon'

/** A TCP port free on 127.0.0.1 right now (the OS picks it; another process could take it later). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer().once('error', reject)
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address()
      probe.close(() => resolve(port))
    })
  })
}

/** The child processes a bench started and has not seen exit: killed when the bench ends. */
const children = new Set()
const killAll = () => {
  for (const child of children) child.kill('SIGKILL')
}
process.on('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll()
    process.exit(130)
  })
}

/**
 * Starts a child process (its output ignored, its errors shown) that is killed when the bench ends.
 * @param env added to this process's environment
 */
export function startChild(command, args, { cwd, env = {} } = {}) {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] })
  children.add(child)
  child.once('exit', () => children.delete(child))
  return child
}

/** Stops a child: at once (SIGKILL), or with `graceful` a SIGTERM and SIGKILL after 5 s. Resolves when it has exited. */
export async function stopChild(child, { graceful = false } = {}) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill(graceful ? 'SIGTERM' : 'SIGKILL')
  const timer = graceful ? setTimeout(() => child.kill('SIGKILL'), 5000) : undefined
  await exited
  clearTimeout(timer)
}

/** Stops every child still running. */
export function stopChildren(options) {
  return Promise.all([...children].map((child) => stopChild(child, options)))
}

/**
 * One autocannon run against `url` for `duration` seconds with `connections` connections; resolves
 * with autocannon's result plus `latencies`, the latency in ms of every 2xx answer (autocannon's
 * own histogram keeps whole ms).
 */
export function load(url, { duration, connections, headers }) {
  const latencies = []
  return new Promise((resolve, reject) => {
    const instance = autocannon({ url, connections, duration, headers }, (error, result) => (error ? reject(error) : resolve({ ...result, latencies })))
    instance.on('response', (_client, statusCode, _bytes, ms) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(ms)
    })
  })
}

/** The p-th percentile of ascending `sorted` values (NaN when there are none). */
export const percentile = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))])

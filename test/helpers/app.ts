/**
 * Test helpers: an app on a manual clock, the seeded ids and credentials of §9, and one
 * `send` function through which every injected request passes.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp, type AppOptions } from '../../src/app.js'
import { ControlledClock } from '../../src/clock.js'
import type { Settings } from '../../src/config.js'
import { checkedFetch, checkResponse } from './contract.js'

// Every response of every test that uses these helpers is checked against the OpenAPI document.
const FETCH_CHECKED = Symbol.for('enriched-tasks-mock.fetch-checked')
if (!(globalThis as Record<symbol, unknown>)[FETCH_CHECKED]) {
  globalThis.fetch = checkedFetch(globalThis.fetch)
  ;(globalThis as Record<symbol, unknown>)[FETCH_CHECKED] = true
}

/** The fixed start time of every test clock: 2026-01-15T10:00:00.000Z. */
export const T0 = Date.parse('2026-01-15T10:00:00.000Z')

export const ORG1 = '00000000-0000-4000-8000-000000000001'
export const ORG2 = '00000000-0000-4000-8000-000000000002'
export const TOKEN1 = 'demo-token'
export const TOKEN2 = 'demo-token-2'

/** The seeded task ids of §9. */
export const TASK = {
  einvoices: 'a0000000-0000-4000-8000-000000000001',
  processing: 'a0000000-0000-4000-8000-000000000002',
  returns: 'a0000000-0000-4000-8000-000000000003',
  cancellation: 'a0000000-0000-4000-8000-000000000004',
  failed: 'a0000000-0000-4000-8000-000000000005',
  ewaybill: 'a0000000-0000-4000-8000-000000000006',
  thirtySeconds: 'a0000000-0000-4000-8000-000000000007',
  org2: 'b0000000-0000-4000-8000-000000000001'
} as const

export const AUTH1 = { 'x-flynn-n-org-id': ORG1, 'x-flynn-n-user-token': TOKEN1 }
export const JSON_ACCEPT = { accept: 'application/json' }
export const ZIP_ACCEPT = { accept: 'application/zip' }

/** A test app with its manual clock. */
export interface TestApp {
  app: FastifyInstance
  clock: ControlledClock
  /** Sends one injected request. */
  send: (options: InjectOptions) => Promise<LightMyRequestResponse>
}

/**
 * The store every test app uses: memory, or, under `npm run test:redis` (which sets
 * `TEST_REDIS_URL`), that Redis with a keyspace of its own per app (§16: one suite, both stores).
 */
export function storeSettings(): Partial<Settings> {
  const url = process.env.TEST_REDIS_URL
  return url ? { store: url, storePrefix: `test:${randomUUID()}:` } : {}
}

/**
 * Set under `npm run test:redis` for the few tests that plant code in a task (a failing getter or
 * file): a shared store keeps a task's JSON source only, so they run with memory alone.
 */
export const ONLY_MEMORY: string | false = process.env.TEST_REDIS_URL ? 'plants code in a task, which a shared store does not keep' : false

/** What a test app is closed with: the tap test it belongs to. */
export interface Teardown {
  teardown: (fn: () => unknown) => void
}

/**
 * Builds an app on a manual clock at {@link T0}, without logs or sweep timer, closed when the test
 * `t` ends (closing it sooner is fine: a closed app closes again at once).
 */
export async function makeApp(t: Teardown, settings: Partial<Settings> = {}, options: AppOptions = {}): Promise<TestApp> {
  const clock = new ControlledClock({ mode: 'manual', start: T0 })
  const app = await buildApp({ logger: false, sweepIntervalMs: 0, clock, ...options, settings: { ...storeSettings(), ...settings } })
  t.teardown(() => app.close())
  // Until the test ends, a Redis connection must not keep the test process alive.
  const store = app.mock.store as { unref?: () => void }
  store.unref?.()
  const send = async (opts: InjectOptions): Promise<LightMyRequestResponse> => {
    const res = await app.inject(opts)
    checkResponse({ method: opts.method ?? 'GET', url: opts.url as string, status: res.statusCode, headers: res.headers, body: res.rawPayload })
    return res
  }
  return { app, clock, send }
}

/** Makes the app listen on a free loopback port, closed when the test ends. @returns the port */
export async function listen(app: FastifyInstance, t: Teardown): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' })
  t.teardown(() => app.close())
  return (app.server.address() as { port: number }).port
}

/** Waits until `condition` holds, polling every 10 ms for at most `ms` (then returns anyway). */
export async function until(condition: () => boolean, ms = 2000): Promise<void> {
  for (let waited = 0; waited < ms && !condition(); waited += 10) await new Promise((r) => setTimeout(r, 10))
}

/** The path of a task route. */
export const path = {
  status: (id: string, version = 'v1.0') => `/enriched/tasks/${version}/status/${id}`,
  download: (id: string, version = 'v1.0') => `/enriched/tasks/${version}/download/${id}`,
  result: (id: string, version = 'v1.0') => `/enriched/tasks/${version}/result/${id}`,
  page: (id: string, page: string | number, version = 'v1.0') => `/enriched/tasks/${version}/result/${id}/page/${page}`
}

/** The exact error body of the contract. */
export const errorOf = (message: string, type: string, args: Record<string, unknown> = {}) => ({
  error: { message, type, args }
})

export const NOT_FOUND = errorOf('err-resource-not-found', 'ResourceNotFound')
export const taskNotFound = (id: string) => errorOf('err-resource-not-found', 'ResourceNotFound', { 'task-id': id })
export const pageNotFound = (id: string, page: string) =>
  errorOf('err-resource-not-found', 'ResourceNotFound', { 'task-id': id, 'page-number': page })
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * The mock's state on the app (`app.mock`, mock-state.ts): its store opened and seeded by
 * {@link openMockState}, closed with the app, and ready from start-up until shutdown begins.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { ControlledClock, FollowedTime } from '../clock.js'
import type { Settings } from '../config.js'
import type { Fixtures } from '../fixtures.js'
import { MockState } from '../mock-state.js'
import { BUILT_IN_OPERATIONS } from '../operations/index.js'
import { SharedState } from '../shared-state.js'
import { Signer } from '../signing.js'
import { MemoryStore } from '../store/memory.js'
import type { Store, TaskRebuilder } from '../store/store.js'
import { appWide } from './app-wide.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The mock's state (mock-state.ts): settings, store, fixtures and signer, and the steps that change them. */
    mock: MockState
  }
}

/** What {@link openMockState} builds the mock's state from. */
export interface MockStateOptions {
  settings: Settings
  /** The global clock. */
  clock: ControlledClock
  /** The clock's system time, kept on Redis's `TIME` (absent: the clock was given, or the store is memory). */
  time: FollowedTime | undefined
  fixtures: Fixtures
  /** Where the store reports connection trouble. */
  log: FastifyBaseLogger
}

/**
 * Builds the mock's state over the store `STORE` names (§16), opens the store and seeds it as
 * `SEED` says.
 * @throws {StoreUnavailableError} when the store cannot be reached (it is closed again)
 */
export async function openMockState(options: MockStateOptions): Promise<MockState> {
  const { settings, clock, fixtures } = options
  const shared = new SharedState({ builtIn: BUILT_IN_OPERATIONS, fixtureOperations: fixtures.operations, maxFaults: settings.maxFaults }, clock)
  // The mock's state rebuilds tasks a shared store read back; it exists by the time the store reads any.
  let mock: MockState | undefined
  const store = await createStore(settings, shared, options.log, options.time, (id, orgId, createdAt, source) => (mock as MockState).rebuild(id, orgId, createdAt, source))
  // Real time for the client report (§21): with Redis, the same TIME the replicas' clocks follow.
  mock = new MockState(settings, store, fixtures, await Signer.fromPem(fixtures.signingKey), options.time?.now)
  try {
    await mock.open()
  } catch (error) {
    await store.close()
    throw error
  }
  return mock
}

/**
 * The store `STORE` names (§16): memory, or Redis (loaded only then).
 * @param time the clock's system time, kept on Redis's `TIME` (absent: the clock was given)
 * @param rebuild builds a task from what a shared store kept
 */
async function createStore(settings: Settings, shared: SharedState, log: FastifyBaseLogger, time: FollowedTime | undefined, rebuild: TaskRebuilder): Promise<Store> {
  const options = { ttlMs: settings.taskTtlMs, maxTasks: settings.maxTasks, maxStoreBytes: settings.maxStoreBytes, maxTaskBytes: settings.maxTaskBytes, journalSize: settings.journalSize }
  if (settings.store === 'memory') return new MemoryStore(shared, options)
  const { RedisStore } = await import('../store/redis.js')
  return new RedisStore(shared, { ...options, url: settings.store, prefix: settings.storePrefix, rebuild, log, ...(time ? { time } : {}) })
}

/** Options of the {@link mockState} plugin. */
export interface MockStatePluginOptions extends Record<string, unknown> {
  /** What {@link openMockState} built. */
  mock: MockState
}

/**
 * Decorates the app with the mock's state (and requests with the fault they take, routes/hooks.ts),
 * closes its store when the app closes, and says it is ready from start-up until shutdown begins
 * (`/readyz`).
 */
export const mockState = appWide<MockStatePluginOptions>('mock-state', async (app, { mock }) => {
  app.decorate('mock', mock)
  app.addHook('onClose', async () => mock.store.close())
  app.decorateRequest('fault', null)
  app.addHook('onReady', async () => {
    mock.ready = true
  })
  app.addHook('preClose', async () => {
    mock.ready = false
  })
})

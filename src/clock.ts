/**
 * The one source of time for the whole server (docs/behaviour.md §8).
 *
 * Nothing else in `src/` reads `Date.now()`: tasks, tokens, the journal and the sweep all ask a
 * {@link Clock}. Tests hand the app a manual clock and move it instead of sleeping.
 */
import { MockError } from './errors.js'

/**
 * The latest instant the mock handles: 9999-12-31T23:59:59.999Z, the last one with a four-digit
 * ISO-8601 year. Creation times, the clock and token expiries stay at or before it, so every
 * time the server shows (and every expiry a TTL adds to it) can be written as a date.
 */
export const MAX_TIME_MS = 253_402_300_799_999

/** Thrown by {@link ControlledClock.advance} and {@link ControlledClock.set} past {@link MAX_TIME_MS}. */
export class ClockRangeError extends MockError {
  constructor(readonly requested: number) {
    super('ERR_CLOCK_RANGE', `the clock cannot go past ${MAX_TIME_MS}`)
  }
}

/** Anything that can tell the time, in epoch milliseconds. */
export interface Clock {
  /** The current time in epoch ms. */
  now(): number
}

/** `system` follows real time (plus an offset); `manual` is frozen until moved. */
export type ClockMode = 'system' | 'manual'

/** Thrown by {@link ControlledClock.set} when asked to go back in time. */
export class ClockBackwardsError extends MockError {
  constructor(readonly requested: number, readonly now: number) {
    super('ERR_CLOCK_BACKWARDS', `the clock cannot go back from ${now} to ${requested}`)
  }
}

/** A {@link ControlledClock}'s state: its mode, its offset in system mode and its frozen time (ms). */
export interface ClockState {
  mode: ClockMode
  offset: number
  frozenAt: number
}

/**
 * System time read from elsewhere (Redis's `TIME`, §16) and followed with the local monotonic
 * clock between reads, so that replicas agree on time whatever their hosts' clocks say.
 */
export class FollowedTime {
  #base: number
  #localBase = performance.now()
  #read = false

  /** @param at the source's time when it was read, in epoch ms (default: this host's, until the first reading) */
  constructor(at: number = Date.now()) {
    this.#base = at
  }

  /** The source's time now, in epoch ms (never earlier than a previous answer). */
  readonly now = (): number => Math.floor(this.#base + (performance.now() - this.#localBase))

  /**
   * Takes a fresh reading of the source (ms). The first one is taken as it is (this host's clock
   * may be ahead of the source); after that, time never steps back because of one.
   */
  update(at: number): void {
    this.#base = this.#read ? Math.max(at, this.now()) : at
    this.#read = true
    this.#localBase = performance.now()
  }
}

/**
 * The clock the control API drives (§8): system time plus an offset, or frozen in manual mode.
 *
 * - `advance(ms)` and `set(ms)` freeze it (manual mode);
 * - `setMode('system')` resumes at system pace from the current now, keeping the offset;
 * - `reset()` clears the offset and returns to system mode (§8 `POST /__admin/reset`).
 *
 * Time never goes backwards through this API; only `reset()` may do that.
 */
export class ControlledClock implements Clock {
  #mode: ClockMode
  /** ms added to system time in system mode. */
  #offset = 0
  /** The frozen time in manual mode. */
  #frozenAt = 0
  readonly #system: () => number

  /**
   * @param options.mode the starting mode (default `system`)
   * @param options.start the frozen time in ms when starting manual (default: system now)
   * @param options.system the underlying system time in ms (default `Date.now`); injectable for tests
   */
  constructor(options: { mode?: ClockMode; start?: number; system?: () => number } = {}) {
    // The only place in src/ that reads real time.
    this.#system = options.system ?? Date.now
    this.#mode = options.mode ?? 'system'
    this.#frozenAt = options.start ?? this.#system()
    if (this.#mode === 'system' && options.start !== undefined) {
      this.#offset = options.start - this.#system()
    }
  }

  /** The current time in epoch ms. */
  now(): number {
    // An org's clock follows the global one at an offset (§15): it too stops at MAX_TIME_MS.
    return this.#mode === 'manual' ? this.#frozenAt : Math.min(MAX_TIME_MS, this.#system() + this.#offset)
  }

  /** The system time this clock follows, in epoch ms (for another clock over the same time). */
  get system(): () => number {
    return this.#system
  }

  /** The current mode. */
  get mode(): ClockMode {
    return this.#mode
  }

  /**
   * Moves the clock forward by `ms` (an integer >= 0) and freezes it there.
   * @returns the new now in ms
   * @throws {ClockRangeError} past {@link MAX_TIME_MS}
   */
  advance(ms: number): number {
    return this.set(this.now() + ms)
  }

  /**
   * Sets the clock to `at` (epoch ms) and freezes it there.
   * @throws {ClockBackwardsError} when `at` is earlier than now
   * @throws {ClockRangeError} past {@link MAX_TIME_MS}
   */
  set(at: number): number {
    const now = this.now()
    if (at < now) throw new ClockBackwardsError(at, now)
    if (at > MAX_TIME_MS) throw new ClockRangeError(at)
    return this.#freeze(at)
  }

  /** Switches mode without moving the clock: `system` resumes real pace from the current now. */
  setMode(mode: ClockMode): void {
    if (mode === this.#mode) return
    const now = this.now()
    if (mode === 'manual') {
      this.#frozenAt = now
    } else {
      this.#offset = now - this.#system()
    }
    this.#mode = mode
  }

  /** The clock's state as plain JSON (a shared store keeps it, §16). */
  snapshot(): ClockState {
    return { mode: this.#mode, offset: this.#offset, frozenAt: this.#frozenAt }
  }

  /** Takes a state {@link snapshot} gave (from any replica); the system time stays this clock's. */
  restore(state: ClockState): void {
    this.#mode = state.mode
    this.#offset = state.offset
    this.#frozenAt = state.frozenAt
  }

  /** Clears the offset and returns to system mode (§8 `reset`). */
  reset(): void {
    this.#offset = 0
    this.#mode = 'system'
  }

  #freeze(at: number): number {
    this.#frozenAt = at
    this.#mode = 'manual'
    return at
  }
}

/** The `clock` shared document (§16, §15): the global clock's state and each org's own clock. */
export interface ClocksState extends ClockState {
  /** The orgs that moved their own clock, by org id. */
  orgs?: Record<string, ClockState>
}

/**
 * The global clock and the orgs' own clocks (§15 namespaces). An org that never moved its clock
 * reads the global one. An org's own clock is a {@link ControlledClock} whose system time is the
 * global clock's now: in system mode it follows the global clock at its own offset, and in
 * manual mode it is frozen, and shifted by whatever a global move moves the global clock.
 */
export class Clocks {
  readonly #orgs = new Map<string, ControlledClock>()

  constructor(readonly global: ControlledClock) {}

  /** The clock of an org's requests and tasks: its own, else the global one (no org: the global one). */
  for(orgId: string | null | undefined): ControlledClock {
    return (orgId && this.#orgs.get(orgId)) || this.global
  }

  /** The org's own clock, made now (reading the global time, offset 0) when it has none. */
  own(orgId: string): ControlledClock {
    let clock = this.#orgs.get(orgId)
    if (!clock) {
      clock = new ControlledClock({ system: () => this.global.now() })
      this.#orgs.set(orgId, clock)
    }
    return clock
  }

  /**
   * Sets the global clock to `at` and freezes it (§8 `advance`, `set`); every frozen org clock
   * moves by the same amount (§15: a global move keeps the offsets).
   * @throws {ClockBackwardsError} when `at` is earlier than the global now; {ClockRangeError}
   */
  setGlobal(at: number): void {
    const moved = at - this.global.now()
    this.global.set(at)
    for (const clock of this.#orgs.values()) {
      if (clock.mode === 'manual') clock.restore({ ...clock.snapshot(), frozenAt: Math.min(MAX_TIME_MS, clock.now() + moved) })
    }
  }

  /** The orgs that have their own clock, with it. */
  owned(): Array<[string, ControlledClock]> {
    return [...this.#orgs]
  }

  /** The latest now of any clock, in epoch ms (what has expired for some org, at the most). */
  latest(): number {
    let latest = this.global.now()
    for (const clock of this.#orgs.values()) latest = Math.max(latest, clock.now())
    return latest
  }

  /** Drops an org's own clock: it reads the global one again (§15 reset of one org). */
  resetOrg(orgId: string): void {
    this.#orgs.delete(orgId)
  }

  /** Back to the global clock alone, in system mode without offset (§8 global reset). */
  reset(): void {
    this.global.reset()
    this.#orgs.clear()
  }

  /** The document's JSON. */
  snapshot(): ClocksState {
    const orgs = Object.fromEntries([...this.#orgs].map(([org, clock]) => [org, clock.snapshot()]))
    return { ...this.global.snapshot(), ...(this.#orgs.size > 0 ? { orgs } : {}) }
  }

  /** Takes a {@link snapshot} (from any replica). */
  restore(state: ClocksState): void {
    const { orgs = {}, ...global } = state
    this.global.restore(global)
    this.#orgs.clear()
    for (const [org, clock] of Object.entries(orgs)) this.own(org).restore(clock)
  }
}

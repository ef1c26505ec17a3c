/**
 * The one source of time for the whole server (reference-behaviour.md §5, §7).
 *
 * Nothing else in `src/` reads `Date.now()`: tasks, tokens, the journal and the sweep all ask a
 * {@link Clock}. Tests hand the app a manual clock and move it instead of sleeping.
 */

/** Anything that can tell the time, in epoch milliseconds. */
export interface Clock {
  /** The current time in epoch ms. */
  now(): number
}

/** `system` follows real time (plus an offset); `manual` is frozen until moved. */
export type ClockMode = 'system' | 'manual'

/** Thrown by {@link ControlledClock.set} when asked to go back in time. */
export class ClockBackwardsError extends Error {
  readonly code = 'ERR_CLOCK_BACKWARDS'
  constructor(readonly requested: number, readonly now: number) {
    super(`the clock cannot go back from ${now} to ${requested}`)
  }
}

/**
 * The clock the control API drives (§7): system time plus an offset, or frozen in manual mode.
 *
 * - `advance(ms)` and `set(ms)` freeze it (manual mode);
 * - `setMode('system')` resumes at system pace from the current now, keeping the offset;
 * - `reset()` clears the offset and returns to system mode (§7 `POST /__admin/reset`).
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
    return this.#mode === 'manual' ? this.#frozenAt : this.#system() + this.#offset
  }

  /** The current mode. */
  get mode(): ClockMode {
    return this.#mode
  }

  /**
   * Moves the clock forward by `ms` (an integer >= 0) and freezes it there.
   * @returns the new now in ms
   */
  advance(ms: number): number {
    return this.#freeze(this.now() + ms)
  }

  /**
   * Sets the clock to `at` (epoch ms) and freezes it there.
   * @throws {ClockBackwardsError} when `at` is earlier than now
   */
  set(at: number): number {
    const now = this.now()
    if (at < now) throw new ClockBackwardsError(at, now)
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

  /** Clears the offset and returns to system mode (§7 `reset`). */
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

/**
 * The sweep (docs/behaviour.md §7): expired tasks, the IRNs they issued and long-expired
 * sessions are freed on an unref'd timer, and seeded tasks that expired are seeded again.
 */
import { appWide } from './app-wide.js'

/** Options of {@link sweep}. */
export interface SweepOptions extends Record<string, unknown> {
  /** How often the store is swept, in ms (0 turns the timer off). */
  intervalMs: number
}

/** Sweeps `app.mock` every `intervalMs` until the app closes; a failed sweep is logged and tried again next time. */
export const sweep = appWide<SweepOptions>('sweep', async (app, { intervalMs }) => {
  if (!(intervalMs > 0)) return
  const timer = setInterval(() => {
    // A store that is away is swept once it is back.
    app.mock.sweep().catch((error: unknown) => app.log.warn({ err: error }, 'sweep failed'))
  }, intervalMs)
  timer.unref()
  app.addHook('onClose', async () => clearInterval(timer))
})

/**
 * The mock's state, shared by every route: settings, clock, credentials, tasks and the seeded
 * fixtures. Knows nothing of HTTP.
 */
import { randomUUID } from 'node:crypto'
import type { Readable } from 'node:stream'
import { ControlledClock } from './clock.js'
import type { Settings } from './config.js'
import { Credentials, DEFAULT_ORG_ID } from './credentials.js'
import { FaultStore } from './faults.js'
import { seedTasks, type Fixtures } from './fixtures.js'
import { RequestJournal } from './journal.js'
import { TaskStore } from './task-store.js'
import type { SpecDefaults } from './task-spec.js'

/** Everything the routes act on. */
export class Mock {
  readonly store: TaskStore
  readonly credentials = new Credentials()
  readonly faults = new FaultStore()
  readonly journal: RequestJournal
  /** False once shutdown has begun (`/readyz` answers 503). */
  ready = false
  /** Zip streams being sent right now; each leaves the set when it closes (ends or is destroyed). */
  readonly downloads = new Set<Readable>()

  constructor(
    readonly settings: Settings,
    readonly clock: ControlledClock,
    readonly fixtures: Fixtures
  ) {
    this.store = new TaskStore({ clock, ttlMs: settings.taskTtlMs, maxTasks: settings.maxTasks })
    this.journal = new RequestJournal(settings.journalSize)
  }

  /** Defaults for a task spec at the clock's now: org 1 of §6 and a fresh UUID. */
  specDefaults(): SpecDefaults {
    return { orgId: DEFAULT_ORG_ID, now: this.clock.now(), newId: randomUUID }
  }

  /** Tracks a download stream in {@link Mock.downloads} until it closes. */
  trackDownload<T extends Readable>(stream: T): T {
    this.downloads.add(stream)
    stream.once('close', () => this.downloads.delete(stream))
    return stream
  }

  /**
   * Seeds the fixtures' credentials and tasks at the clock's now (§6), replacing whatever the
   * store and the credential registry held.
   */
  seed(): void {
    this.store.clear()
    this.credentials.clear()
    for (const credential of this.fixtures.credentials) this.credentials.add(credential)
    for (const task of seedTasks(this.fixtures, this.specDefaults())) this.store.add(task)
  }

  /**
   * Back to the start-up state (§7 `POST /__admin/reset`): the clock in system mode without
   * offset, the fixtures re-seeded at its now, the journal and the faults cleared.
   */
  reset(): void {
    this.clock.reset()
    this.journal.clear()
    this.faults.clear()
    this.seed()
  }
}

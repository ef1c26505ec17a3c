/**
 * The shared documents of the store seam (store/store.ts, docs/behaviour.md §16) as live
 * objects: the clock, the faults, the credentials with the users and their sessions, and the
 * operations registry. Each has a plain-JSON snapshot a shared store writes, and restores from one.
 */
import { Clocks, ControlledClock, type ClocksState } from './clock.js'
import { Credentials, type CredentialsState } from './credentials.js'
import { FaultStore, type Fault } from './faults.js'
import type { Operation } from './operations/operation.js'
import { OperationRegistry, type CustomOperationSpec, type OperationsState } from './operations/registry.js'
import type { DocName } from './store/store.js'
import { Users, type UsersState } from './users.js'

/** Each shared document's JSON. */
export interface SharedDocs {
  clock: ClocksState
  faults: Fault[]
  auth: { credentials: CredentialsState; users: UsersState }
  operations: OperationsState
}

/** What builds a {@link SharedState}: the operations known at start-up. */
export interface SharedStateOptions {
  builtIn: readonly Operation[]
  /** Custom operations from the fixtures (kept across resets). */
  fixtureOperations: readonly CustomOperationSpec[]
  /** Most faults held at once (`MAX_FAULTS`, §19); unlimited when absent. */
  maxFaults?: number
}

/** The live objects over the shared documents. */
export class SharedState {
  /** The global clock and the orgs' own (§15); {@link clock} is the global one. */
  readonly clocks: Clocks
  readonly faults: FaultStore
  readonly credentials = new Credentials()
  readonly users: Users
  readonly operations: OperationRegistry

  /**
   * @param clock the replica's clock (its system time: `Date.now`, or Redis's `TIME` followed locally, §16)
   * @throws {InvalidSpecError} or {OperationExistsError} when a fixture operation is invalid
   */
  constructor(
    readonly options: SharedStateOptions,
    readonly clock: ControlledClock
  ) {
    this.clocks = new Clocks(clock)
    this.faults = new FaultStore(options.maxFaults)
    this.users = new Users(this.credentials, this.clocks)
    this.operations = new OperationRegistry(options.builtIn, options.fixtureOperations)
  }

  /** A new state with the same options and the named documents copied from this one. */
  copy(names: readonly DocName[]): SharedState {
    const copy = new SharedState(this.options, new ControlledClock({ system: this.clock.system }))
    for (const name of names) copy.restore(name, this.snapshot(name))
    return copy
  }

  /** One document's JSON. */
  snapshot<K extends DocName>(name: K): SharedDocs[K]
  snapshot(name: DocName): SharedDocs[DocName] {
    switch (name) {
      case 'clock':
        return this.clocks.snapshot()
      case 'faults':
        return this.faults.snapshot()
      case 'auth':
        return { credentials: this.credentials.snapshot(), users: this.users.snapshot() }
      case 'operations':
        return this.operations.snapshot()
    }
  }

  /**
   * Replaces one document with its JSON (as {@link snapshot} made it, on any replica).
   * @throws {InvalidSpecError} for an operations document whose custom operations are invalid
   */
  restore<K extends DocName>(name: K, doc: SharedDocs[K]): void
  restore(name: DocName, doc: SharedDocs[DocName]): void {
    switch (name) {
      case 'clock':
        return this.clocks.restore(doc as ClocksState)
      case 'faults':
        return this.faults.restore(doc as Fault[])
      case 'auth': {
        const auth = doc as SharedDocs['auth']
        this.credentials.restore(auth.credentials)
        return this.users.restore(auth.users)
      }
      case 'operations':
        return this.operations.restore(doc as OperationsState)
    }
  }
}

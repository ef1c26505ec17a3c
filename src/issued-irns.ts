/**
 * The issued-IRN registry (docs/behaviour.md §14): the IRNs this server issued, per org, with
 * their acknowledgement and cancellation. An IRN counts as issued while the task that issued it
 * is held; duplicates and cancellations are judged against it. State like the task store, behind
 * the same kind of interface.
 */
import type { IssuedIrn } from './operations/operation.js'

/** Issued IRNs, by org then lower-case IRN. */
export class IssuedIrns {
  readonly #orgs = new Map<string, Map<string, IssuedIrn>>()

  /**
   * @param isHeld whether the task with this id is still held (live in the task store)
   */
  constructor(readonly isHeld: (taskId: string) => boolean) {}

  /** The IRN issued to `orgId` by a task still held, or undefined. */
  get(orgId: string, irn: string): IssuedIrn | undefined {
    const issued = this.#orgs.get(orgId)?.get(irn.toLowerCase())
    return issued && this.isHeld(issued.taskId) ? { ...issued } : undefined
  }

  /** Registers IRNs (replacing any entry of a task no longer held). */
  issue(irns: readonly IssuedIrn[]): void {
    for (const issued of irns) {
      let org = this.#orgs.get(issued.orgId)
      if (!org) {
        org = new Map()
        this.#orgs.set(issued.orgId, org)
      }
      org.set(issued.irn, { ...issued })
    }
  }

  /** Marks an IRN of `orgId` cancelled at `at` (epoch ms); an unknown IRN is ignored. */
  cancel(orgId: string, irn: string, at: number): void {
    const issued = this.#orgs.get(orgId)?.get(irn.toLowerCase())
    if (issued) issued.cancelledAt = at
  }

  /** Forgets every IRN, or an org's (§15). */
  clear(orgId?: string | null): void {
    if (orgId) this.#orgs.delete(orgId)
    else this.#orgs.clear()
  }

  /** Frees the IRNs whose task is no longer held. @returns how many were freed */
  sweep(): number {
    let freed = 0
    for (const [orgId, org] of this.#orgs) {
      for (const [irn, issued] of org) {
        if (!this.isHeld(issued.taskId)) {
          org.delete(irn)
          freed++
        }
      }
      if (org.size === 0) this.#orgs.delete(orgId)
    }
    return freed
  }
}

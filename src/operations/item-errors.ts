/**
 * The per-item errors of producer tasks (docs/behaviour.md §14): a submitted item that fails
 * appears in the task's result with the error envelope of §1 (`message`, `type`, `args`), not as
 * an HTTP answer. One table, like errors.ts, so the code, tests and README name the same rules.
 */

/** Each item error's code and the rule it names. */
export const ITEM_ERRORS = {
  /** A required field is missing or not of its format (`args.field`, `args.reason`). */
  'err-invalid-field': 'a required field is missing or invalid',
  /** A GSTIN's format or check character is wrong (`args.field`, `args.problem`). */
  'err-invalid-gstin': 'a GSTIN is malformed or its check character is wrong',
  /** The document number starts with `FAIL-`: the documented switch for failure paths. */
  'err-forced-failure': 'the document number starts with FAIL-',
  /** The IRN was issued to the org already (`args`: the existing `Irn`, `AckNo`, `AckDt`). */
  'err-duplicate-irn': 'the IRN was already issued to this org',
  /** Cancellation of, or an e-way bill for, an IRN this server did not issue to the org (or whose task expired). */
  'err-irn-not-found': 'the IRN was not issued to this org',
  /** Cancellation of, or an e-way bill for, an IRN already cancelled (`args.CancelDate`). */
  'err-irn-already-cancelled': 'the IRN is already cancelled',
  /** Cancellation more than 24 hours after `AckDt`, by the mock's clock. */
  'err-cancellation-window-expired': 'the 24-hour cancellation window has passed',
  /** A GCS score asked for a malformed GSTIN (`args.gstin`, `args.problem`: `format` or `check-character`). */
  'err-gcs-generation-failed': 'no GCS score: the GSTIN is malformed or its check character is wrong'
} as const

/** One of the item error codes. */
export type ItemErrorCode = keyof typeof ITEM_ERRORS

/** The error of one failed item, in the envelope of §1. */
export interface ItemError {
  message: ItemErrorCode
  type: 'ClientRequest'
  args: Record<string, unknown>
}

/** Builds an item error. */
export const itemError = (message: ItemErrorCode, args: Record<string, unknown>): ItemError => ({ message, type: 'ClientRequest', args })

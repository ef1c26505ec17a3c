/** Reading the details of a refused spec or body in tests. */
import { InvalidSpecError } from '../../src/validation.js'

/** The details of the InvalidSpecError `run` throws ('no error' when it returns). */
export function detailsOf(run: () => unknown): unknown {
  try {
    run()
  } catch (error) {
    if (error instanceof InvalidSpecError) return error.details
    throw error
  }
  return 'no error'
}

/**
 * Suite `requests`: what is done to requests on their way: faults, scenarios, the journal and
 * malformed requests. One tap process runs the files below in this order (why: .taprc).
 */
import '../faults.test.js'
import '../scenarios.test.js'
import '../journal.test.js'
import '../malformed.test.js'

/**
 * Suite `units`: the tests of src/ modules on their own (accept, clock, config, credentials, task
 * spec, task, validation, task store, the zip writer, logging, fixtures) and of docs/behaviour.md.
 * One tap process runs the files below in this order (why: .taprc).
 */
import '../accept.test.js'
import '../app.test.js'
import '../clock.test.js'
import '../config.test.js'
import '../credentials.test.js'
import '../task-spec.test.js'
import '../task.test.js'
import '../validation.test.js'
import '../task-store.test.js'
import '../compact-zip.test.js'
import '../logging.test.js'
import '../fixtures.test.js'
import '../behaviour-doc.test.js'
import '../test-files.test.js'

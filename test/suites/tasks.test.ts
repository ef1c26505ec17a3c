/**
 * Suite `tasks`: how tasks are served across routes: pages, downloads and the store's byte budget.
 * One tap process runs the files below in this order (why: .taprc).
 */
import '../pagination.test.js'
import '../archive.test.js'
import '../store-budget.test.js'

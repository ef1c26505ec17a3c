/**
 * Suite `processes`: the server as a child process: end to end, the command line and its limits.
 * One tap process runs the files below in this order (why: .taprc).
 */
import '../e2e.test.js'
import '../cli.test.js'
import '../limits.test.js'

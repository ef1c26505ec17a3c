/**
 * Suite `routes`: the tests of src/routes/ (task routes, control API, login, producers, health),
 * each through injected requests to a test app. One tap process runs the files below in this order
 * (why: .taprc).
 */
import '../routes/tasks.test.js'
import '../routes/lazy-app.test.js'
import '../routes/admin.test.js'
import '../routes/operations-admin.test.js'
import '../routes/auth.test.js'
import '../routes/producers.test.js'
import '../routes/more-producers.test.js'
import '../health.test.js'

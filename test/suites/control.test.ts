/**
 * Suite `control`: the control side: per-org namespaces, the client report, the OpenAPI document,
 * the console and the embedding API. One tap process runs the files below in this order (why:
 * .taprc).
 */
import '../namespaces.test.js'
import '../report.test.js'
import '../openapi.test.js'
import '../console.test.js'
import '../embed.test.js'

/**
 * Suite `examples`: the README's examples, a generated client and the image's layout, without
 * coverage collection (test/coverage-map.ts). One tap process runs the files below in this order
 * (why: .taprc).
 */
import '../generated-client.test.js'
import '../image-layout.test.js'
import '../readme-example.test.js'
import '../readme-producers.test.js'
import '../readme-report.test.js'

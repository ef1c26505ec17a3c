/**
 * Suite `scale`: zips at scale and the fuzz, without coverage collection (test/coverage-map.ts).
 * One tap process runs the files below in this order (why: .taprc).
 */
import '../archive-scale.test.js'
import '../fuzz.test.js'

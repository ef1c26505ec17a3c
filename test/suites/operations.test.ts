/**
 * Suite `operations`: the tests of src/operations/ (the e-invoice, e-way bill and GST operations
 * and the e-invoice PDF). One tap process runs the files below in this order (why: .taprc).
 */
import '../einvoice-operations.test.js'
import '../gstn-operations.test.js'
import '../more-operations.test.js'
import '../einvoice-pdf.test.js'

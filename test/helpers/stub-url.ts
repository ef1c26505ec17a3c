/**
 * For README examples written against a shared stub (`STUB_URL`): starts a server for the test
 * file that imports this, points `STUB_URL` at it, and stops it when the file's tests end.
 */
import t from 'tap'
import { startMockServer } from 'enriched-tasks-mock'

const stub = await startMockServer()
process.env.STUB_URL = stub.url
t.teardown(() => stub.close())

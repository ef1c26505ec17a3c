/**
 * The document generates clean, useful types (issue 9 item 2): what users do with it is run
 * openapi-typescript and call the API through openapi-fetch. This test does both: it generates
 * the types from openapi/openapi.yaml, type-checks a small strict client against them (whose
 * `@ts-expect-error` lines fail the check if a type turns into `any` or `unknown`), then runs that
 * client against a live server, every answer checked against the document on the way.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import openapiTS, { astToString } from 'openapi-typescript'
import t from 'tap'
import ts from 'typescript'
import { PACKAGE_ROOT } from '../src/package-root.js'
import { OPENAPI_FILE } from '../src/routes/openapi.js'
import { listen, makeApp, ORG1, TASK, UUID_RE } from './helpers/app.js'

/**
 * The client, as a user would write it. `run` logs in, reads a seeded task's status and a page,
 * creates a task through a producer route and follows it; `mistakes` (never called) holds what
 * the types must refuse.
 */
const CLIENT = String.raw`
import createClient, { type Client } from 'openapi-fetch'
import type { components, paths } from './api.js'

type Schemas = components['schemas']
export type TaskStatus = Schemas['TaskStatus']
type PageData = Schemas['PageResponse']['data']

const JSON_ACCEPT = { accept: 'application/json' }

export interface Observed {
  token: string
  orgId: string
  seeded: { id: string; status: TaskStatus; pages: number | undefined }
  seededPage: { page: unknown; gstin: unknown }
  pastLastPage: { status: number; message: string; args: unknown }
  created: { envelope: '1'; taskId: string; statuses: TaskStatus[]; pages: number | undefined }
  createdPage: { page: number; return: 'gstr1' | 'gstr2a' | 'gstr2b'; section: string; gstin: string }
  zip: string
}

/** A page in the shape of a GST returns download's pages. */
function isGstReturnsPage(data: PageData): data is Schemas['GstReturnsPage'] {
  return typeof data === 'object' && data !== null && !Array.isArray(data) && 'return' in data && 'ret_period' in data
}

export async function run(baseUrl: string): Promise<Observed> {
  // The auth API: a login answers the token (and the orgs) for the other routes.
  const auth = createClient<paths>({ baseUrl })
  const login = await auth.POST('/theodore/apis/v1/authtokens', {
    body: { handle: 'demo@example.com', handleType: 'email', password: 'demo-password' }
  })
  if (!login.data) throw new Error('login answered ' + login.response.status)
  const token: string = login.data.data.token
  const org = login.data.data.associatedOrgs[0]
  if (!org) throw new Error('the user has no org')
  const orgId = org.organisation.id

  const client = createClient<paths>({ baseUrl, headers: { 'X-FLYNN-N-ORG-ID': orgId, 'X-FLYNN-N-USER-TOKEN': token } })
  const status = async (taskId: string) => {
    const { data, response } = await client.GET('/enriched/tasks/{flynn-version}/status/{task-id}', {
      params: { header: JSON_ACCEPT, path: { 'flynn-version': 'v1.0', 'task-id': taskId } }
    })
    if (!data) throw new Error('status answered ' + response.status)
    // The docs shape (the default), not the atlas one.
    if (!('task' in data.data)) throw new Error('not the docs shape')
    return data.data.task
  }

  // The status of a seeded task, and one of its pages by number.
  const task = await status('a0000000-0000-4000-8000-000000000003')
  const seeded = { id: task.id, status: task.status, pages: 'pages' in task ? task.pages : undefined }
  const page = await client.GET('/enriched/tasks/{flynn-version}/result/{task-id}/page/{page-number}', {
    params: { header: JSON_ACCEPT, path: { 'flynn-version': 'v1.0', 'task-id': task.id, 'page-number': 1 } }
  })
  if (!page.data) throw new Error('page answered ' + page.response.status)
  const seededData = page.data.data
  if (typeof seededData !== 'object' || seededData === null || Array.isArray(seededData)) throw new Error('not an object')
  const seededPage = { page: seededData.page, gstin: seededData.gstin }

  // Past the last page: the error envelope.
  const past = await client.GET('/enriched/tasks/{flynn-version}/result/{task-id}/page/{page-number}', {
    params: { header: JSON_ACCEPT, path: { 'flynn-version': 'v1.0', 'task-id': task.id, 'page-number': 3 } }
  })
  if (!past.error || !('error' in past.error)) throw new Error('page 3 answered ' + past.response.status)
  const pastLastPage = { status: past.response.status, message: past.error.error.message, args: past.error.error.args }

  // A producer: the task id from its envelope, then the task routes.
  const made = await client.POST('/enriched/gstn/{flynn-version}/download-gst-returns', {
    params: { header: JSON_ACCEPT, path: { 'flynn-version': 'v3.0' } },
    body: [{ fromRetPeriod: '012026', toRetPeriod: '012026', returns: { gstr1: { b2b: {} } } }]
  })
  if (!made.data) throw new Error('the GST returns download answered ' + made.response.status)
  const taskId = made.data.data['task-id']
  const first = await status(taskId)
  const second = await status(taskId)
  const created = {
    envelope: made.data.status,
    taskId,
    statuses: [first.status, second.status],
    pages: 'pages' in second ? second.pages : undefined
  }
  const createdData = await client.GET('/enriched/tasks/{flynn-version}/result/{task-id}/page/{page-number}', {
    params: { header: JSON_ACCEPT, path: { 'flynn-version': 'v1.0', 'task-id': taskId, 'page-number': 0 } }
  })
  if (!createdData.data || !isGstReturnsPage(createdData.data.data)) throw new Error('not a GST returns page')
  const p = createdData.data.data
  const createdPage = { page: p.page, return: p.return, section: p.section, gstin: p.gstin }

  const zip = await client.GET('/enriched/tasks/{flynn-version}/download/{task-id}', {
    params: { header: { accept: 'application/zip' }, path: { 'flynn-version': 'v1.0', 'task-id': taskId } },
    parseAs: 'arrayBuffer'
  })
  if (!zip.data) throw new Error('download answered ' + zip.response.status)
  const magic = String.fromCharCode(...new Uint8Array(zip.data).subarray(0, 2))

  return { token, orgId, seeded, seededPage, pastLastPage, created, createdPage, zip: magic }
}

/** Never called: each mistake must be a type error, so the types are neither any nor unknown. */
export async function mistakes(
  client: Client<paths>,
  task: Schemas['TaskStatusDocs']['task'],
  created: Schemas['TaskCreatedV3'],
  page: Schemas['GstReturnsPage'],
  login: Schemas['LoginData']
): Promise<unknown[]> {
  // @ts-expect-error a status is one of the states, not a number
  const a: number = task.status
  // @ts-expect-error no such state
  const b: TaskStatus = 'done'
  // @ts-expect-error pages is absent unless the task is completed and paged
  const c: number = task.pages
  // @ts-expect-error a task id is a string
  const d: number = created.data['task-id']
  // @ts-expect-error a token is a string
  const e: number = login.token
  // @ts-expect-error a page's return is one of three
  const f: 'gstr3b' = page.return
  // @ts-expect-error b2c is not a GSTR-1 section
  const g: Schemas['GstReturnsRequestItem'] = { fromRetPeriod: '012026', toRetPeriod: '012026', returns: { gstr1: { b2c: {} } } }
  await client.GET('/enriched/tasks/{flynn-version}/result/{task-id}/page/{page-number}', {
    // @ts-expect-error the page number is a number, not a string
    params: { header: JSON_ACCEPT, path: { 'flynn-version': 'v1.0', 'task-id': 'x', 'page-number': '1' } }
  })
  await client.GET('/enriched/tasks/{flynn-version}/status/{task-id}', {
    // @ts-expect-error v1.0 is the only version
    params: { header: JSON_ACCEPT, path: { 'flynn-version': 'v2.0', 'task-id': 'x' } }
  })
  await client.POST('/theodore/apis/v1/authtokens', {
    // @ts-expect-error a login needs a password or an otp
    body: { handle: 'demo@example.com', handleType: 'email' }
  })
  return [a, b, c, d, e, f, g]
}
`

t.test('types generated from the document type-check a strict openapi-fetch client, which reads the seeded answers', async (t) => {
  // Inside the repository (under the ignored .tap/) so that the client resolves openapi-fetch.
  const dir = mkdtempSync(join(PACKAGE_ROOT, '.tap', 'generated-client-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))

  const ast = await openapiTS(pathToFileURL(OPENAPI_FILE), { silent: true })
  writeFileSync(join(dir, 'api.ts'), astToString(ast))
  writeFileSync(join(dir, 'client.ts'), CLIENT)

  const program = ts.createProgram([join(dir, 'client.ts')], {
    strict: true,
    noUncheckedIndexedAccess: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    // fetch's types from the DOM library, as for a browser client: faster to load than @types/node.
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: [],
    // The generated api.ts is a source file, so it is checked too; only packages' .d.ts are skipped.
    skipLibCheck: true,
    noEmitOnError: true,
    outDir: dir
  })
  const diagnostics = ts.getPreEmitDiagnostics(program)
  const format = { getCanonicalFileName: (f: string) => f, getCurrentDirectory: () => dir, getNewLine: () => '\n' }
  t.equal(ts.formatDiagnostics(diagnostics, format), '', 'no type errors, and every @ts-expect-error used')
  if (diagnostics.length > 0) return
  t.equal(program.emit().diagnostics.length, 0, 'compiled')

  const { app } = await makeApp(t)
  const port = await listen(app, t)
  const client = (await import(pathToFileURL(join(dir, 'client.js')).href)) as {
    run: (baseUrl: string) => Promise<{ token: string; created: { taskId: string } } & Record<string, unknown>>
  }
  const { token, created, ...observed } = await client.run(`http://127.0.0.1:${port}`)
  t.match(token, /^\S{16,}$/, 'data.token of the login')
  const { taskId, ...task } = created
  t.match(taskId, UUID_RE, 'the task id of the producer envelope')
  t.same(task, { envelope: '1', statuses: ['processing', 'completed'], pages: 1 }, 'the new task, polled')
  t.same(observed, {
    orgId: ORG1,
    seeded: { id: TASK.returns, status: 'completed', pages: 3 },
    seededPage: { page: 1, gstin: '29AABCA4821K1ZN' },
    pastLastPage: { status: 404, message: 'err-resource-not-found', args: { 'task-id': TASK.returns, 'page-number': '3' } },
    createdPage: { page: 0, return: 'gstr1', section: 'b2b', gstin: '29AABCA4821K1ZN' },
    zip: 'PK'
  })
})

// The console (docs/behaviour.md §18) as a person uses it, in headless Chromium against a real
// server started the README's way: the seeded tasks; a task created from the form, then watched
// going processing -> completed as the test reads its status; its zip downloaded; a validation
// error of the control API beside its field; a fault added and listed; the journal; an operation
// called with its sample body; the report view; an org's namespace; the clock moved 7 days, after
// which the tasks are gone; a phone-width screen; and, with ADMIN_TOKEN, the token asked once.
// axe-core checks every view: no serious or critical violation. With UPDATE_SCREENSHOTS=1 it writes the README's
// screenshots under docs/ (only then, so a run leaves the tree clean).
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import t from 'tap'
import { PACKAGE_ROOT } from '../../src/package-root.js'
import { AUTH1, JSON_ACCEPT, ORG2, TASK } from '../helpers/app.js'
import { launchBrowser } from '../helpers/browser.js'
import { startServer, stopServer } from '../helpers/server.js'
import { unzip } from '../helpers/zip.js'

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS === '1'
const NEW_TASK = 'c0000000-0000-4000-8000-00000000c0de'

/** Runs axe-core on the page as it is; answers the serious and critical violations, readably. */
async function axe(page: Page): Promise<string[]> {
  // Strings, not functions: they run in the page, whose globals the tests' types do not know.
  if (!(await page.evaluate("'axe' in window"))) await page.evaluate(AXE)
  const options = { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } }
  const violations = (await page.evaluate(
    `axe.run(document, ${JSON.stringify(options)}).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.map((n) => n.target.join(' ')) })))`
  )) as Array<{ id: string; impact: string; targets: string[] }>
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.targets.join(', ')}`)
}

/** The status badge of a task's row. */
const rowStatus = (page: Page, id: string) => page.locator(`tr[data-task="${id}"] .status`)

/** Waits until a task's row shows `status`. */
const waitForStatus = (page: Page, id: string, status: string) => rowStatus(page, id).filter({ hasText: new RegExp(`^${status}$`) }).waitFor()

t.test('the console shows and drives the tasks, the clock, faults, the journal, operations and the report', async (t) => {
  const server = await startServer()
  t.teardown(() => stopServer(server))
  const browser = await launchBrowser(t)
  // bypassCSP: axe-core is put into the page by the test, as a script of no origin the page allows.
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true, acceptDownloads: true })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const adminReads: string[] = []
  const namespaced = new Set<string>()
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (url.pathname.startsWith('/__admin/') && request.method() === 'GET') adminReads.push(url.pathname)
    const org = request.headers()['x-flynn-n-org-id']
    if (url.pathname.startsWith('/__admin/') && org) namespaced.add(org)
  })
  await page.goto(`${server.url}/console`)

  // The seeded tasks (§9), each in a row with its status.
  for (const id of Object.values(TASK)) await page.locator(`tr[data-task="${id}"]`).waitFor()
  t.equal(await page.locator('tr[data-task]').count(), Object.keys(TASK).length, 'every seeded task, no other')
  t.equal(await rowStatus(page, TASK.failed).textContent(), 'failed')
  t.same(await axe(page), [], 'the tasks view: no serious or critical violation')

  // A validation error of the control API shows beside its field.
  await page.locator('#create-jobs').fill('0')
  await page.getByRole('button', { name: 'Create task' }).click()
  const jobsError = page.locator('[data-field-error="create-jobs"]')
  await jobsError.waitFor()
  t.match(await jobsError.textContent(), /must be >= 1/, "the API's message")
  t.equal(await page.locator('#create-jobs').getAttribute('aria-invalid'), 'true')
  t.equal(await page.locator('.field', { has: page.locator('#create-jobs') }).locator('[data-field-error]').count(), 1, 'in the field itself')
  t.same(await axe(page), [], 'a form with an error: no serious or critical violation')

  // The scenario field: an unknown name is refused beside it (§21).
  await page.locator('#create-jobs').fill('')
  await page.locator('#create-scenario').fill('nope')
  await page.getByRole('button', { name: 'Create task' }).click()
  const scenarioError = page.locator('[data-field-error="create-scenario"]')
  await scenarioError.waitFor()
  t.match(await scenarioError.textContent(), /must be equal to one of the allowed values/, "the API's message")
  t.equal(await jobsError.count(), 0, 'the earlier error is gone')
  await page.locator('#create-scenario').fill('')

  // A poll-driven task from the form: processing on the first status read, completed on the next.
  await page.locator('#create-id').fill(NEW_TASK)
  await page.locator('#create-kind').fill('console-check')
  await page.locator('#create-jobs').fill('2')
  await page.locator('#create-timeline').fill('[{"status":"processing","polls":1}]')
  await page.locator('#create-result').fill('{"hello":"console"}')
  await page.getByRole('button', { name: 'Create task' }).click()
  await waitForStatus(page, NEW_TASK, 'processing')
  t.equal(await jobsError.count(), 0, 'the error is gone')
  // Created, it is selected: its detail shows the timeline with now in its first phase.
  await page.locator('.timeline .step.now .step-status').filter({ hasText: 'processing' }).waitFor()
  const status = async (): Promise<string> => ((await (await fetch(`${server.url}/enriched/tasks/v1.0/status/${NEW_TASK}`, { headers: { ...AUTH1, ...JSON_ACCEPT } })).json()) as { data: { task: { status: string } } }).data.task.status
  t.equal(await status(), 'processing')
  await page.locator(`tr[data-task="${NEW_TASK}"] td:nth-child(6)`, { hasText: /^1$/ }).waitFor()
  t.equal(await status(), 'completed')
  await waitForStatus(page, NEW_TASK, 'completed')
  await page.locator('.timeline .step.now .step-status').filter({ hasText: 'completed' }).waitFor()
  t.equal(await page.locator(`tr[data-task="${NEW_TASK}"] progress`).getAttribute('value'), '2', 'every job done')
  t.same(await axe(page), [], 'a task\'s detail: no serious or critical violation')

  // Its result, and its zip.
  await page.getByRole('button', { name: 'Show result' }).click()
  await page.locator('pre.json', { hasText: '"hello": "console"' }).waitFor()
  const [zip] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download zip' }).click()])
  t.equal(zip.suggestedFilename(), `${NEW_TASK}.zip`)
  const entries = await unzip(readFileSync(await zip.path()))
  t.same(entries.map((entry) => [entry.name, JSON.parse(entry.content.toString('utf8'))]), [['result.json', { hello: 'console' }]])
  if (SCREENSHOTS) {
    await page.evaluate('window.scrollTo(0, 0)')
    await page.screenshot({ path: join(PACKAGE_ROOT, 'docs', 'console.png') })
  }

  // Live reads: what the view shows, never one request per task (only the selected one's).
  const perTask = new Set(adminReads.filter((path) => /^\/__admin\/tasks\/[^/]+/.test(path)).map((path) => path.split('/')[3]))
  t.same([...perTask], [NEW_TASK], 'only the selected task is read on its own')

  // Faults: add one, see it listed.
  await page.getByRole('link', { name: 'Faults' }).click()
  await page.locator('#fault-route').selectOption('status')
  await page.locator('#fault-taskId').fill(TASK.processing)
  await page.locator('#fault-status').selectOption('503')
  await page.locator('#fault-retryAfter').fill('2')
  await page.getByRole('button', { name: 'Add fault' }).click()
  const fault = page.locator('tr[data-fault]', { hasText: TASK.processing })
  await fault.waitFor()
  t.match(await fault.textContent(), /answers 503, Retry-After 2/)
  await page.locator('#fault-times').fill('x')
  await page.getByRole('button', { name: 'Add fault' }).click()
  await page.locator('[data-field-error="fault-times"]').waitFor()
  t.same(await axe(page), [], 'the faults view: no serious or critical violation')

  // The journal: the test's status reads, their headers on click, the token redacted.
  await page.getByRole('link', { name: 'Journal' }).click()
  const read = page.locator('.journal details', { hasText: `/enriched/tasks/v1.0/status/${NEW_TASK}` }).first()
  await read.waitFor()
  await read.locator('summary').click()
  await read.locator('dd', { hasText: '[redacted]' }).waitFor()
  t.notOk((await page.content()).includes('demo-token'), 'no org token in the page')
  t.same(await axe(page), [], 'the journal view: no serious or critical violation')

  // Operations: their settings, and a call with the sample body.
  await page.getByRole('link', { name: 'Operations' }).click()
  await page.locator('#operation-name').selectOption('gcs-generate')
  await page.waitForFunction("document.querySelector('#call-body')?.value.includes('gstins')")
  await page.locator('#call-token').fill('demo-token')
  await page.getByRole('button', { name: 'Send' }).click()
  await page.locator('[role="status"]', { hasText: 'Answered 200' }).waitFor()
  t.same(await axe(page), [], 'the operations view: no serious or critical violation')

  // The report: its view, or a clear "not available" while the server has no report route.
  const reportRoute = (await fetch(`${server.url}/__admin/report`)).status
  await page.getByRole('link', { name: 'Report' }).click()
  await (reportRoute === 404 ? page.getByText('The client report is not available') : page.getByText(/tasks? judged/)).waitFor()
  t.same(await axe(page), [], 'the report view: no serious or critical violation')

  // An org's namespace (§15): its tasks only, the header on every control call; then globally again.
  await page.getByRole('link', { name: 'Tasks' }).click()
  await page.locator(`tr[data-task="${NEW_TASK}"]`).waitFor()
  await page.locator('#namespace').fill(ORG2)
  await page.getByRole('button', { name: 'Act there' }).click()
  await page.getByText(`Acting as org ${ORG2}`).waitFor()
  await page.locator(`tr[data-task="${NEW_TASK}"]`).waitFor({ state: 'detached' })
  t.equal(await page.locator('tr[data-task]').count(), 1, "org 2's one task")
  t.equal(await page.locator(`tr[data-task="${TASK.org2}"]`).count(), 1)
  t.ok(namespaced.has(ORG2), 'sent as X-FLYNN-N-ORG-ID')
  await page.locator('#namespace').fill('')
  await page.getByRole('button', { name: 'Act there' }).click()
  await page.getByText('Acting globally').waitFor()

  // The clock: 7 days on, every task has expired (TASK_TTL 7d).
  await waitForStatus(page, NEW_TASK, 'completed')
  await page.getByRole('button', { name: 'Advance the clock 7 days' }).click()
  await page.getByText('No tasks match.').waitFor()
  await page.locator('.mode', { hasText: 'frozen' }).waitFor()
  t.equal(await page.locator('tr[data-task]').count(), 0)
  await page.getByRole('button', { name: 'Resume' }).click()
  await page.locator('.mode', { hasText: 'running' }).waitFor()

  // A phone-width screen: one column, nothing wider than the screen.
  await page.getByRole('button', { name: 'Reset the mock' }).click()
  await page.locator(`tr[data-task="${TASK.einvoices}"]`).waitFor()
  await page.setViewportSize({ width: 390, height: 844 })
  t.ok(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'), 'no horizontal scroll')
  t.same(await axe(page), [], 'at phone width: no serious or critical violation')
  if (SCREENSHOTS) {
    await page.evaluate('window.scrollTo(0, 0)')
    await page.screenshot({ path: join(PACKAGE_ROOT, 'docs', 'console-phone.png') })
  }
  t.same(errors, [], 'no script error')
})

t.test('with ADMIN_TOKEN, the console asks for the token once and keeps it for the tab', async (t) => {
  const server = await startServer({ ADMIN_TOKEN: 'console-secret' })
  t.teardown(() => stopServer(server))
  const browser = await launchBrowser(t)
  const context = await browser.newContext({ bypassCSP: true })
  const page = await context.newPage()
  const sent = new Set<string>()
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.startsWith('/__admin/')) sent.add(request.headers().authorization ?? 'none')
  })
  await page.goto(`${server.url}/console`)

  const field = page.locator('#admin-token')
  await field.waitFor()
  t.same(await axe(page), [], 'the token prompt: no serious or critical violation')
  await field.fill('wrong')
  await page.getByRole('button', { name: 'Open the console' }).click()
  await page.getByText('That token was refused').waitFor()
  await field.fill('console-secret')
  await page.getByRole('button', { name: 'Open the console' }).click()
  await page.locator(`tr[data-task="${TASK.einvoices}"]`).waitFor()
  t.notOk((await page.content()).includes('console-secret'), 'the token is not in the page')

  // Kept for the tab: a reload does not ask again.
  await page.reload()
  await page.locator(`tr[data-task="${TASK.einvoices}"]`).waitFor()
  t.equal(await page.locator('#admin-token').count(), 0)
  t.same([...sent].sort(), ['Bearer console-secret', 'Bearer wrong', 'none'], 'sent as a bearer token, as the control API expects')
  // A new tab (another session) asks again.
  const other = await (await browser.newContext()).newPage()
  await other.goto(`${server.url}/console`)
  await other.locator('#admin-token').waitFor()
})

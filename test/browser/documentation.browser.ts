// The interactive documentation works as a newcomer uses it: open /documentation on a real server
// (started the README's way), authorize with the demo org and token, and "Try it out" on every task,
// producer and login operation with its example values. In the default strict accept mode each
// must answer 200: Swagger UI sends the media type the operation declares, not a wildcard.
import t from 'tap'
import { launchBrowser } from '../helpers/browser.js'
import { ORG1, TOKEN1 } from '../helpers/app.js'
import { startServer } from '../helpers/server.js'

t.test('"Try it out" answers 200 on every task, producer and login operation, and on the control API\'s lists', async (t) => {
  const server = await startServer()
  t.teardown(() => { server.child.kill() })
  const browser = await launchBrowser(t)
  const page = await browser.newPage()
  const accepts = new Map<string, string | undefined>()
  const admin: string[] = []
  page.on('request', (request) => {
    const url = new URL(request.url())
    if (/^\/(enriched|theodore)\//.test(url.pathname)) accepts.set(`${request.method()} ${url.pathname}`, request.headers().accept)
    if (url.pathname.startsWith('/__admin/')) admin.push(`${request.method()} ${url.pathname}${url.search} org=${request.headers()['x-flynn-n-org-id'] ?? 'none'}`)
  })
  await page.goto(`${server.url}/documentation`)

  // Authorize: the two task-route headers, as a person types them in the dialog.
  await page.click('.btn.authorize')
  for (const [scheme, value] of [['orgId', ORG1], ['userToken', TOKEN1]] as const) {
    const container = page.locator('.auth-container', { has: page.locator('h4', { hasText: scheme }) })
    await container.locator('input').fill(value)
    await container.locator('button.authorize').click()
  }
  await page.click('button.btn-done')

  const ids = await page.$$eval('.opblock', (blocks) => blocks.map((block) => block.id))
  // The control API's lists too: tried with what the page fills in, they act globally, from the first page.
  const tried = ids.filter((id) => /^operations-(tasks|producers)-|^operations-auth-login$|^operations-admin-list(Tasks|Requests)$/.test(id))
  t.ok(tried.length >= 20, `${tried.length} operations tried`)
  const answers: Record<string, string> = {}
  for (const id of tried) {
    await page.click(`#${id} .opblock-summary-control`)
    await page.click(`#${id} .try-out__btn`)
    await page.click(`#${id} .execute`)
    answers[id] = (await page.locator(`#${id} .live-responses-table tbody .response-col_status`).first().textContent())?.trim() ?? ''
    // Folded again, so the page does not grow with every operation tried.
    await page.click(`#${id} .opblock-summary-control`)
  }
  t.same(answers, Object.fromEntries(tried.map((id) => [id, '200'])), 'every operation answered 200')

  t.same(admin, ['GET /__admin/tasks?limit=100 org=none', 'GET /__admin/requests?limit=100 org=none'], 'no namespace, filter or cursor filled in (the default limit)')

  // What was sent: the declared media type (the zip for the download), never a wildcard.
  const status = [...accepts].find(([key]) => key.startsWith('GET /enriched/tasks/v1.0/status/'))
  t.equal(status?.[1], 'application/json')
  const download = [...accepts].find(([key]) => key.startsWith('GET /enriched/tasks/v1.0/download/'))
  t.equal(download?.[1], 'application/zip')
  const page0 = [...accepts].find(([key]) => /^GET \/enriched\/tasks\/v1\.0\/result\/[^/]+\/page\/0$/.test(key))
  t.equal(page0?.[1], 'application/json')
})

/**
 * The fuzz suite (issue 14 item 7): property-based runs of requests (fast-check) over documented
 * and random paths, methods, header sets and bodies. For every answer: the contract check of
 * `send` passes (a status the document lists for the route, a body valid against it), the status
 * is below 500 (no fault is ever left in place), every answer has its X-CALL-ID (§1), and no
 * credential sent (the admin token, the demo tokens and password, any bearer, cookie or body
 * secret) comes back, in the journal (§11) included.
 *
 * `FUZZ_RUNS` sets the number of runs of each property (default 50: a few seconds, for `npm test`;
 * `npm run fuzz` runs 20,000), `FUZZ_SEED` and `FUZZ_PATH` replay a failure (fast-check prints
 * both with the shrunk counterexample).
 */
import fc from 'fast-check'
import t, { type Test } from 'tap'
import type { LightMyRequestResponse } from 'fastify'
import type { Settings } from '../src/config.js'
import { makeApp, ORG1, type TestApp } from './helpers/app.js'
import { ContractViolation, templateOf } from './helpers/contract.js'
import { ADMIN_TOKEN, bodyRequest, CURSOR, DEMO_LOGIN, DEMO_SECRETS, fuzzRequest, SECRETS, SESSION, type FuzzRequest } from './helpers/fuzz.js'

/** Runs of each property: `FUZZ_RUNS`, else 20,000 under `npm run fuzz` and 50 otherwise (a few seconds). */
const RUNS = Number(process.env.FUZZ_RUNS ?? (process.env.npm_lifecycle_event === 'fuzz' ? 20_000 : 50))
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED)
const PATH = process.env.FUZZ_PATH
/** With FUZZ_STATS=1, each property ends with a count of its answers by method, route and status. */
const STATS = process.env.FUZZ_STATS === '1'

/** fast-check's parameters: the run count, and a failure's seed and path when replaying one. */
function parameters(): fc.Parameters<unknown> {
  const params: fc.Parameters<unknown> = { numRuns: RUNS }
  if (SEED !== undefined) params.seed = SEED
  if (PATH !== undefined) params.path = PATH
  return params
}

/** The fuzz apps: all with strict auth, with and without an admin token, and a few other settings. */
const VARIANTS: Array<Partial<Settings>> = [
  { authMode: 'strict' },
  { authMode: 'strict', adminToken: ADMIN_TOKEN, maxBodySize: 1024, maxPayloadSize: 1024 },
  { authMode: 'strict', acceptMode: 'lenient', statusShape: 'atlas', maxBodySize: 1024 },
  { authMode: 'strict', adminToken: ADMIN_TOKEN, acceptMode: 'lenient', journalSize: 5 }
]
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` }
/** Where the published document is served: its examples show the demo credentials on purpose. */
const PUBLISHED = /^\/(?:openapi\.(?:json|yaml)|documentation\/(?:json|yaml))$/

/** A path percent-decoded, as the router compares it (§1); an undecodable one as it is. */
function decoded(path: string): string {
  try {
    return decodeURIComponent(path)
  } catch {
    return path
  }
}

/** A request and its answer, in a form a reader can send again. */
function described(request: FuzzRequest, res?: LightMyRequestResponse): string {
  const payload = request.payload === undefined ? '' : `\n  body (${request.payload.length} chars): ${request.payload.slice(0, 300)}`
  const answer = res ? `\n  answered ${res.statusCode} ${JSON.stringify(res.headers)}\n  ${res.rawPayload.toString('utf8').slice(0, 500)}` : ''
  return `${request.method} ${request.url.slice(0, 300)}\n  headers: ${JSON.stringify(request.headers).slice(0, 600)}${payload}${answer}`
}

/** What a run knows: the tokens of its logins (which only a login or refresh may answer), the latest list cursor. */
interface RunState {
  sessions: string[]
  cursor?: string
}
const LOGIN = /^\/theodore\/apis\/v1\/authtokens$/

/**
 * Sends one request through the contract check, then checks status, X-CALL-ID and secrets. The
 * request's `Bearer {session}` is the run's latest login token, its cursor placeholder the run's
 * latest `next`.
 */
async function exchange({ send }: TestApp, template: FuzzRequest, state: RunState = { sessions: [] }): Promise<LightMyRequestResponse> {
  const session = state.sessions.at(-1) ?? 'no-session-yet'
  const authorization = template.headers.authorization?.replace(SESSION, session)
  const url = template.url.replace(CURSOR, encodeURIComponent(state.cursor ?? 'no-cursor-yet'))
  const request = { ...template, url, headers: authorization === undefined ? template.headers : { ...template.headers, authorization } }
  let res: LightMyRequestResponse
  try {
    res = await send({ method: request.method as 'GET', url: request.url, headers: request.headers, ...(request.payload === undefined ? {} : { payload: request.payload }) })
  } catch (error) {
    if (error instanceof ContractViolation) throw new Error(`${error.message}\n${described(request)}`)
    throw error
  }
  if (res.statusCode >= 500) throw new Error(`a 5xx with no fault injected:\n${described(request, res)}`)
  if (!res.headers['x-call-id']) throw new Error(`an answer without X-CALL-ID:\n${described(request, res)}`)
  const seen = `${JSON.stringify(res.headers)}\n${res.rawPayload.toString('latin1')}`
  const path = decoded(request.url.split('?')[0] as string)
  const login = LOGIN.test(path) && res.statusCode === 200
  const secrets = [...SECRETS, ...(PUBLISHED.test(path) ? [] : DEMO_SECRETS), ...(login ? [] : state.sessions)]
  const echoed = secrets.find((secret) => seen.includes(secret))
  if (echoed) throw new Error(`a secret (${echoed.slice(0, 30)}) echoed:\n${described(request, res)}`)
  if (login) state.sessions.push((res.json() as { data: { token: string } }).data.token)
  const listed = res.statusCode === 200 && res.body !== '' && /json/.test(String(res.headers['content-type']))
  const next = listed ? (res.json() as { next?: unknown }).next : undefined
  if (typeof next === 'string') state.cursor = next
  return res
}

/** A fault the fuzz added is cleared at once, in its namespace: no request of the run meets it. */
async function clearFault(test: TestApp, res: LightMyRequestResponse): Promise<void> {
  if (res.statusCode !== 201) return
  const added = JSON.parse(res.body) as { fault?: { orgId?: string } }
  if (!added.fault) return
  const namespace: Record<string, string> = added.fault.orgId === undefined ? {} : { 'x-flynn-n-org-id': added.fault.orgId }
  const cleared = await exchange(test, { method: 'DELETE', url: '/__admin/faults', headers: { ...ADMIN, ...namespace } })
  if (cleared.statusCode !== 204) throw new Error(`clearing a fault answered ${cleared.statusCode}`)
}

/**
 * Runs one sequence of requests against one of the apps, then reads the journal (globally and in
 * org 1's view, so that every recorded request's headers pass the secret check) and resets the app,
 * so its state never grows from one run to the next.
 */
async function run(apps: TestApp[], variant: number, requests: FuzzRequest[], tally: Map<string, number>): Promise<void> {
  const test = apps[variant] as TestApp
  const reset = (): Promise<LightMyRequestResponse> => exchange(test, { method: 'POST', url: '/__admin/reset', headers: ADMIN })
  try {
    const state: RunState = { sessions: [] }
    for (const request of requests) {
      const res = await exchange(test, request, state)
      const key = `${res.statusCode} ${request.method} ${templateOf(request.url.split('?')[0] as string) ?? '(no route)'}`
      tally.set(key, (tally.get(key) ?? 0) + 1)
      await clearFault(test, res)
    }
    for (const namespace of [{}, { 'x-flynn-n-org-id': ORG1 }] as Array<Record<string, string>>) {
      const journal = await exchange(test, { method: 'GET', url: '/__admin/requests?limit=1000', headers: { ...ADMIN, ...namespace } }, state)
      if (journal.statusCode !== 200) throw new Error(`the journal answered ${journal.statusCode}`)
    }
  } catch (error) {
    // The next run (or the shrinking of this one) starts from a fresh state all the same.
    await reset().catch(() => undefined)
    throw error
  }
  const done = await reset()
  if (done.statusCode !== 204) throw new Error(`reset answered ${done.statusCode}`)
}

/**
 * Runs a property of request sequences against the four apps; with `login`, half the sequences
 * start with the demo login, so that their refreshes and logouts find a session.
 */
async function fuzz(t: Test, apps: TestApp[], requests: fc.Arbitrary<FuzzRequest>, login = false): Promise<void> {
  const sequences = fc
    .tuple(fc.boolean(), fc.array(requests, { minLength: 1, maxLength: 6 }))
    .map(([first, sequence]) => (login && first ? [DEMO_LOGIN, ...sequence] : sequence))
  const started = Date.now()
  const tally = new Map<string, number>()
  await fc.assert(
    fc.asyncProperty(fc.nat(VARIANTS.length - 1), sequences, (variant, sequence) => run(apps, variant, sequence, tally)),
    parameters()
  )
  const sent = [...tally.values()].reduce((sum, n) => sum + n, 0)
  t.pass(`${RUNS} runs, ${sent} requests, in ${Date.now() - started} ms${SEED === undefined ? '' : ` (seed ${SEED})`}`)
  if (STATS) t.comment([...tally].sort(([a], [b]) => a.localeCompare(b)).map(([key, n]) => `${String(n).padStart(7)} ${key}`).join('\n'))
}

// One app per variant for the whole file (each run resets the one it used).
const apps = await Promise.all(VARIANTS.map((settings) => makeApp(t, settings)))

t.test('paths, methods and header sets: answers within the document, below 500, no secret echoed', (t) => fuzz(t, apps, fuzzRequest))

t.test('control-API and login bodies: answers within the document, below 500, no secret echoed', (t) => fuzz(t, apps, bodyRequest(['/__admin/', '/theodore/']), true))

t.test('operation bodies and task reads: answers within the document, below 500, no secret echoed', (t) => fuzz(t, apps, bodyRequest(['/enriched/'])))

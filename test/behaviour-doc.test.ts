/**
 * docs/behaviour.md against the server, as test/openapi.test.ts holds the OpenAPI document to it:
 * its exact bodies, error codes, routes and settings must be the server's, both ways. Its closing
 * section "Not yet built" is checked the other way round: what it lists must still be absent.
 */
import http from 'node:http'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { SETTINGS } from '../src/config.js'
import { answerOf, ERRORS, errorBody, type ErrorCode } from '../src/errors.js'
import { ITEM_ERRORS } from '../src/operations/item-errors.js'
import { PACKAGE_ROOT } from '../src/package-root.js'
import { SessionLimitError } from '../src/users.js'
import { document } from './helpers/contract.js'
import { makeApp } from './helpers/app.js'

const BEHAVIOUR = readFileSync(join(PACKAGE_ROOT, 'docs', 'behaviour.md'), 'utf8')
/** The document up to its "Not yet built" section, and that section (empty once everything is built). */
const [BUILT, NOT_BUILT = ''] = BEHAVIOUR.split(/^## \d+\. Not yet built$/m) as [string, string?]

/** Every inline code span (`...`) of a text. */
const spans = (text: string): string[] => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string)

/** The exact JSON bodies a text states: spans that start `{"error":` or `{"status":`. */
const bodiesOf = (text: string): string[] => spans(text).filter((s) => s.startsWith('{"error":') || s.startsWith('{"status":'))

/** Whether a stated body holds placeholders (`<...>` or `...`) rather than being exact. */
const hasPlaceholder = (body: string): boolean => body.includes('<') || body.includes('...')

/** The body the server sends for the one answer outside the error table (§4: the upstream's, without `type`). */
const SESSION_LIMIT_BODY = answerOf(new SessionLimitError())?.body as { error: { message: string } }

t.test('every exact body of docs/behaviour.md is an example of the OpenAPI document', async (t) => {
  const bodies = bodiesOf(BUILT)
  t.ok(bodies.length >= 30, `${bodies.length} bodies found`)
  const values = allExamples(document).map((v) => JSON.stringify(v))
  for (const body of bodies) {
    t.notMatch(body, /\n/, `${body}: one line`)
    if (hasPlaceholder(body)) {
      // A body with placeholders: an example must share all that precedes the first one.
      const fixed = body.slice(0, Math.min(...['<', '...'].map((p) => (body.includes(p) ? body.indexOf(p) : body.length))))
      t.ok(values.some((v) => v.startsWith(fixed.replace(/"$/, ''))), body)
    } else {
      t.ok(values.includes(JSON.stringify(JSON.parse(body))), body)
    }
  }
})

t.test('every error body of docs/behaviour.md is what src/errors.ts builds', async (t) => {
  const bodies = bodiesOf(BUILT).filter((body) => body.startsWith('{"error":'))
  for (const body of bodies) {
    if (hasPlaceholder(body)) {
      // Its code and type, when it states them, are a pair of the table.
      const stated = /^\{"error":\{"message":"(err-[a-z0-9-]+)","type":"([^"]*)"/.exec(body)
      if (stated) t.equal(ERRORS[stated[1] as ErrorCode]?.type, stated[2], body)
      continue
    }
    const parsed = JSON.parse(body) as { error: { message: string; args: Record<string, unknown> } }
    const code = parsed.error.message
    const expected = code in ERRORS ? errorBody(code as ErrorCode, parsed.error.args) : SESSION_LIMIT_BODY
    // Compared as text: the same keys, values and order as the server sends.
    t.equal(body, JSON.stringify(expected), body)
  }
})

t.test('docs/behaviour.md names every error code of src/errors.ts, and no code the server lacks', async (t) => {
  const codesIn = (text: string): Set<string> => new Set(text.match(/\berr-[a-z0-9]+(?:-[a-z0-9]+)*/g) ?? [])
  const named = codesIn(BUILT)
  for (const code of Object.keys(ERRORS)) t.ok(named.has(code), `${code} is in the document`)
  for (const code of Object.keys(ITEM_ERRORS)) t.ok(named.has(code), `item error ${code} is in the document`)
  const known = new Set([...Object.keys(ERRORS), ...Object.keys(ITEM_ERRORS), SESSION_LIMIT_BODY.error.message])
  t.same([...named].filter((code) => !known.has(code)), [], 'codes the document names that the server does not answer')
  t.same([...codesIn(NOT_BUILT)].filter((code) => known.has(code)), [], 'codes listed as not yet built that the server has')
})

t.test('docs/behaviour.md names every route the server answers, and no route it lacks', async (t) => {
  const { app } = await makeApp(t)
  const placeholder = (url: string): string => url.replace(/:[^/]+|\{[^}]+\}/g, '{}')

  const served = new Set<string>()
  for (const route of app.routeList) {
    // The dispatcher of custom operations (no fixed path): the document describes it in prose.
    if (route.url === '/enriched/*') continue
    // The UI's files (a wildcard route, and two fixed files under it) are one route, `{file}`.
    const url = route.url.replace(/^\/documentation\/static\/.+$/, '/documentation/static/{file}')
    // (Task, operation and login routes are registered for the methods they serve; their 405 to
    // the others is not a route: plugins/not-found.ts.)
    for (const method of route.methods) served.add(`${method} ${placeholder(url)}`)
  }
  t.ok(served.size > 50, `${served.size} routes served`)

  // `GET /healthz`, and `GET, HEAD /healthz` for both methods.
  const method = `(?:${http.METHODS.join('|')})`
  const ROUTE = new RegExp(`\\b(${method}(?:, ${method})*) (/[^\\s\`'"<>|,;)?]*)`, 'g')
  const routesIn = (text: string): Set<string> => {
    const named = new Set<string>()
    for (const match of text.matchAll(ROUTE)) {
      const path = placeholder((match[2] as string).replace(/\.$/, ''))
      for (const m of (match[1] as string).split(', ')) named.add(`${m} ${path}`)
    }
    return named
  }
  const named = routesIn(BUILT)
  t.same([...served].filter((route) => !named.has(route)), [], 'routes the server answers that the document does not name')
  t.same([...named].filter((route) => !served.has(route)), [], 'routes the document names that the server does not answer')
  t.same([...routesIn(NOT_BUILT)].filter((route) => served.has(route)), [], 'routes listed as not yet built that the server answers')
})

t.test('docs/behaviour.md gives every setting of src/config.ts with its default, and no setting it lacks', async (t) => {
  const settings = new Set(SETTINGS.map((def) => def.env))
  const section = BUILT.split(/^## /m).find((part) => /^\d+\. Configuration\b/.test(part)) ?? ''
  t.ok(section, 'a Configuration section')
  // Its table: | `NAME` | default | ...
  const rows = new Map([...section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \| ([^|]*) \|/gm)].map((m) => [m[1] as string, (m[2] as string).trim()]))
  for (const def of SETTINGS) {
    const cell = rows.get(def.env)
    t.ok(cell !== undefined, `${def.env} is in the table`)
    if (def.default === undefined) t.match(cell, /^unset\b/, `${def.env}: unset by default`)
    else t.equal(cell, `\`${def.default}\``, `${def.env}: default ${def.default}`)
  }
  t.same([...rows.keys()].filter((name) => !settings.has(name)), [], 'table rows that are not settings')
  // Anywhere else, a setting is written `NAME` or `NAME=value`; names with an underscore can be
  // nothing else (one-word ones such as `PORT` are checked through the table).
  const namesIn = (text: string): string[] =>
    spans(text).flatMap((span) => /^([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)(?:=\S*)?$/.exec(span)?.[1] ?? [])
  t.same(namesIn(BUILT).filter((name) => !settings.has(name)), [], 'settings the document names that the server lacks')
  t.same(namesIn(NOT_BUILT).filter((name) => settings.has(name)), [], 'settings listed as not yet built that the server has')
})

/** Every example value anywhere in the document (`example`, and `examples.*.value`). */
function allExamples(node: unknown, found: unknown[] = []): unknown[] {
  if (Array.isArray(node)) for (const item of node) allExamples(item, found)
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'example') found.push(value)
      else if (key === 'value' && 'summary' in node) found.push(value)
      else allExamples(value, found)
    }
  }
  return found
}

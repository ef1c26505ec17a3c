import t from 'tap'
import { accepts, parseAccept } from '../src/accept.js'

const JSON_TYPE = 'application/json'

t.test('parseAccept lists each valid media range, names in lower case, q 1 unless given', async (t) => {
  t.same(parseAccept('Application/JSON'), [{ type: 'application', subtype: 'json', q: 1 }])
  t.same(parseAccept('text/html, application/json;q=0.9, */*;q=0.1'), [
    { type: 'text', subtype: 'html', q: 1 },
    { type: 'application', subtype: 'json', q: 0.9 },
    { type: '*', subtype: '*', q: 0.1 }
  ])
  t.same(parseAccept('application/*;Q=0.5'), [{ type: 'application', subtype: '*', q: 0.5 }], 'q in any case')
  t.same(parseAccept(''), [], 'an empty header has none')
  t.same(parseAccept(' , ,'), [], 'nor do commas alone')
})

t.test('parseAccept reads parameters to RFC 9110: OWS with tabs, empty parameters, quoted values', async (t) => {
  const json = (q = 1) => [{ type: 'application', subtype: 'json', q }]
  t.same(parseAccept('application/json; charset=utf-8'), json())
  t.same(parseAccept('application/json;\tq=0.5'), json(0.5), 'a tab is whitespace')
  t.same(parseAccept('application/json ; q=0.5'), json(0.5), 'whitespace before ;')
  t.same(parseAccept('application/json;'), json(), 'an empty parameter')
  t.same(parseAccept('application/json;;q=0.25'), json(0.25), 'empty parameters')
  t.same(parseAccept('application/json;x="a\\"b";q=0.5'), json(0.5), 'a quoted value with an escaped quote')
  t.same(parseAccept('application/json;q=0;q=1'), json(0), 'the first q is the weight')
})

t.test('parseAccept leaves out malformed ranges and ranges whose weight is not a qvalue', async (t) => {
  for (const header of ['garbage', 'application', '*/json', 'application/json;charset', 'application/json x', 'application/json;q=2', 'application/json;q=1.5', 'application/json;q=0.1234', 'application/json;q="1"', 'application/json;q=abc']) {
    t.same(parseAccept(header), [], header)
  }
  t.same(parseAccept('application/json;q=abc, text/plain'), [{ type: 'text', subtype: 'plain', q: 1 }], 'the other ranges stay')
})

t.test('parseAccept splits on commas outside quoted strings only', async (t) => {
  t.same(parseAccept('text/plain;x="a,application/json", application/json').map((r) => r.subtype), ['plain', 'json'])
  t.same(parseAccept('text/plain;x="a\\",b", application/json').map((r) => r.subtype), ['plain', 'json'], 'an escaped quote stays inside')
  t.same(parseAccept('text/plain;x="a\\",application/json"').map((r) => r.subtype), ['plain'], 'so no range hides in a quoted string')
  t.same(parseAccept('application/json, text/plain;x="a\\').map((r) => r.subtype), ['json'], 'a backslash at the very end')
})

t.test('accepts, strict: the exact type must be listed with a weight above 0', async (t) => {
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, false],
    ['', false],
    ['*/*', false],
    ['application/*', false],
    ['text/html', false],
    [JSON_TYPE, true],
    ['text/html, application/json;q=0.001', true],
    ['application/json;q=0', false],
    ['application/json;q=0, application/json;q=0.5', true]
  ]
  for (const [header, ok] of cases) t.equal(accepts(header, JSON_TYPE, 'strict'), ok, String(header))
  t.equal(accepts('application/zip', 'application/zip', 'strict'), true, 'any required type')
  t.equal(accepts(JSON_TYPE, 'application/zip', 'strict'), false)
})

t.test('accepts, lenient: no header is fine, and the most specific matching range decides', async (t) => {
  const cases: Array<[string | undefined, boolean]> = [
    [undefined, true],
    ['', false],
    ['*/*', true],
    ['application/*', true],
    ['text/html', false],
    ['text/*', false],
    ['*/*;q=0', false],
    ['application/json;q=0, */*', false],
    ['application/*;q=0, */*;q=1', false],
    ['*/*;q=0, application/json', true],
    ['*/*;q=0, application/*;q=0.5', true],
    ['application/json;q=1.5', false]
  ]
  for (const [header, ok] of cases) t.equal(accepts(header, JSON_TYPE, 'lenient'), ok, String(header))
})

t.test('accepts answers the same however many headers it has seen, and for headers too long to remember', async (t) => {
  // Past the memo's size it starts afresh; a long header is decided each time.
  for (let i = 0; i < 600; i++) t.equal(accepts(`text/x-${i}, application/json`, JSON_TYPE, 'strict'), true)
  t.equal(accepts('text/x-1, application/json', JSON_TYPE, 'strict'), true, 'seen before the memo was emptied')
  t.equal(accepts('text/x-1, application/json;q=0', JSON_TYPE, 'strict'), false)
  const long = `${'text/x-long, '.repeat(40)}application/json`
  t.equal(accepts(long, JSON_TYPE, 'strict'), true)
  t.equal(accepts(long, JSON_TYPE, 'strict'), true, 'twice')
  t.equal(accepts(`${long};q=0`, JSON_TYPE, 'lenient'), false)
})

import t from 'tap'
import { MAX_TIME_MS } from '../src/clock.js'
import { credentialFromSpec, Credentials, DEFAULT_ORG_ID } from '../src/credentials.js'
import { detailsOf } from './helpers/spec.js'

const T0 = Date.parse('2026-01-15T10:00:00.000Z')
const at = (ms: number) => ({ now: () => ms })

t.test('credentialFromSpec: expiresAt as ISO-8601 or epoch ms, null or absent for never; org info kept', async (t) => {
  t.same(credentialFromSpec({ orgId: 'o', token: 'k', expiresAt: '2026-01-15T15:30:00+05:30' }), { orgId: 'o', token: 'k', expiresAt: T0 })
  t.same(credentialFromSpec({ orgId: 'o', token: 'k', expiresAt: 5 }), { orgId: 'o', token: 'k', expiresAt: 5 })
  t.same(credentialFromSpec({ orgId: 'o', token: 'k', expiresAt: null }), { orgId: 'o', token: 'k', expiresAt: null })
  t.same(credentialFromSpec({ orgId: 'o', token: 'k', gstin: '27AAPFU0939F1ZV', name: 'Org', taxIdentifier: 'AAPFU0939F' }), {
    orgId: 'o', token: 'k', expiresAt: null, gstin: '27AAPFU0939F1ZV', name: 'Org', taxIdentifier: 'AAPFU0939F'
  })
})

t.test('credentialFromSpec refuses an expiresAt that names no real instant, or one past the end of time', async (t) => {
  const refused = [{ path: '/expiresAt', message: 'must be a valid ISO-8601 date-time' }]
  t.same(detailsOf(() => credentialFromSpec({ orgId: 'o', token: 'k', expiresAt: '2026-02-30T00:00:00Z' })), refused, '30 February')
  t.same(detailsOf(() => credentialFromSpec({ orgId: 'o', token: 'k', expiresAt: '9999-12-31T23:59:59.999-00:01' })), refused, 'a minute past the end')
  t.equal(credentialFromSpec({ orgId: 'o', token: 'k', expiresAt: '9999-12-31T23:59:59.999Z' }).expiresAt, MAX_TIME_MS, 'the end itself')
})

t.test('authenticate, mode off: every request acts as org 1, whatever its headers', async (t) => {
  const credentials = new Credentials()
  t.equal(credentials.authenticate('off', undefined, undefined, at(T0)), DEFAULT_ORG_ID)
  t.equal(credentials.authenticate('off', 'another', 'x', at(T0)), DEFAULT_ORG_ID)
})

t.test('authenticate, mode any: any non-empty pair acts as the org it names', async (t) => {
  const credentials = new Credentials()
  t.throws(() => credentials.authenticate('any', undefined, 'x', at(T0)), { code: 'err-invalid-org', status: 403 })
  t.throws(() => credentials.authenticate('any', '', 'x', at(T0)), { code: 'err-invalid-org' }, 'an empty org')
  t.throws(() => credentials.authenticate('any', 'org', undefined, at(T0)), { code: 'err-invalid-token', status: 403 })
  t.throws(() => credentials.authenticate('any', 'org', '', at(T0)), { code: 'err-invalid-token' }, 'an empty token')
  t.equal(credentials.authenticate('any', 'org', 'x', at(T0)), 'org')
})

t.test('authenticate, mode strict: a registered token of that org, before its expiry on the clock given', async (t) => {
  const credentials = new Credentials()
  credentials.add({ orgId: 'a', token: 'forever', expiresAt: null })
  credentials.add({ orgId: 'a', token: 'until', expiresAt: T0 })
  credentials.add({ orgId: 'b', token: 'b-token', expiresAt: null })
  t.equal(credentials.authenticate('strict', 'a', 'forever', at(MAX_TIME_MS)), 'a')
  t.equal(credentials.authenticate('strict', 'a', 'until', at(T0 - 1)), 'a', '1 ms before its expiry')
  t.throws(() => credentials.authenticate('strict', 'a', 'until', at(T0)), { code: 'err-expired-token' }, 'at its expiry')
  t.throws(() => credentials.authenticate('strict', undefined, 'forever', at(T0)), { code: 'err-invalid-org' }, 'no org')
  t.throws(() => credentials.authenticate('strict', 'c', 'forever', at(T0)), { code: 'err-invalid-org' }, 'an unknown org')
  t.throws(() => credentials.authenticate('strict', 'a', 'b-token', at(T0)), { code: 'err-invalid-token' }, "another org's token")
  t.throws(() => credentials.authenticate('strict', 'a', undefined, at(T0)), { code: 'err-invalid-token' }, 'no token')
  credentials.add({ orgId: 'a', token: 'until', expiresAt: null })
  t.equal(credentials.authenticate('strict', 'a', 'until', at(T0)), 'a', 'adding a token again replaces its expiry')
  credentials.revoke('a', 'until')
  credentials.revoke('nobody', 'x')
  t.throws(() => credentials.authenticate('strict', 'a', 'until', at(T0)), { code: 'err-invalid-token' }, 'a revoked token')
})

t.test('org info merges across credentials; the registry round-trips as JSON and clears', async (t) => {
  const credentials = new Credentials()
  credentials.add({ orgId: 'a', token: 'one', expiresAt: null, gstin: '27AAPFU0939F1ZV' })
  credentials.add({ orgId: 'a', token: 'two', expiresAt: T0, name: 'Org A' })
  t.same(credentials.org('a'), { gstin: '27AAPFU0939F1ZV', name: 'Org A' })
  t.same(credentials.org('b'), {}, 'an org it knows nothing of')
  const snapshot = JSON.parse(JSON.stringify(credentials.snapshot()))
  t.same(snapshot, { orgs: [['a', [['one', null], ['two', T0]]]], info: [['a', { gstin: '27AAPFU0939F1ZV', name: 'Org A' }]] })
  const copy = new Credentials()
  copy.add({ orgId: 'z', token: 'gone', expiresAt: null })
  copy.restore(snapshot)
  t.same(copy.snapshot(), snapshot, 'restored, replacing what it held')
  t.equal(copy.authenticate('strict', 'a', 'two', at(T0 - 1)), 'a')
  copy.clear()
  t.same(copy.snapshot(), { orgs: [], info: [] })
})

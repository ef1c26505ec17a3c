import { mkdtemp, cp, writeFile, mkdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { BUNDLED_FIXTURES_DIR } from '../src/config.js'
import { loadFixtures } from '../src/fixtures.js'
import { ackDateTime, ackNoOf, cancelDateTime, financialYear, parseDocDate } from '../src/irn.js'
import { IssuedIrns } from '../src/issued-irns.js'
import { einvoiceBulkGeneration, invoiceFileBase } from '../src/operations/einvoice-generation.js'
import type { DeriveContext } from '../src/operations/operation.js'
import { OperationRegistry } from '../src/operations/registry.js'
import { T0 } from './helpers/app.js'
import { invoice } from './helpers/producers.js'

const context = (issued: DeriveContext['issuedIrn'] = () => undefined): DeriveContext => ({
  orgId: 'org',
  now: T0,
  taskId: 't1',
  orgGstin: () => '29AABCA4821K1ZN',
  issuedIrn: issued,
  sign: async (data) => `signed:${JSON.stringify(data)}`
})

t.test('invoice dates are real dd/MM/yyyy days; the financial year runs April to March', async (t) => {
  t.same(parseDocDate('29/02/2028'), { year: 2028, month: 2, day: 29 })
  t.equal(parseDocDate('29/02/2026'), undefined, 'no 29 February in 2026')
  t.equal(parseDocDate('1/2/2026'), undefined)
  t.equal(parseDocDate(20260112), undefined)
  t.equal(financialYear({ year: 2026, month: 3 }), '2025-26')
  t.equal(financialYear({ year: 2026, month: 4 }), '2026-27')
  t.equal(financialYear({ year: 2099, month: 12 }), '2099-00')
})

t.test('AckNo is 15 digits from the IRN and the IST year; AckDt and CancelDate are IST', async (t) => {
  const irn = 'f'.repeat(64)
  t.match(ackNoOf(irn, T0), /^1261\d{11}$/)
  t.equal(ackNoOf(irn, T0), ackNoOf(irn, T0 + 3_600_000), 'the same IRN the same year, the same AckNo')
  t.equal(ackNoOf(irn, Date.parse('2026-12-31T19:00:00Z')).slice(0, 4), '1271', 'IST is already 2027')
  t.equal(ackDateTime(Date.parse('2026-12-31T19:00:00Z')), '2027-01-01 00:30:00')
  t.equal(cancelDateTime(Date.parse('2026-12-31T19:00:00Z')), '01/01/2027 00:30:00')
})

t.test('issued IRNs count while their task is held; sweep frees the others', async (t) => {
  const held = new Set(['t1'])
  const irns = new IssuedIrns((id) => held.has(id))
  const entry = { irn: 'a'.repeat(64), orgId: 'o', ackNo: '1', ackAt: 0, taskId: 't1', cancelledAt: null }
  irns.issue([entry, { ...entry, irn: 'b'.repeat(64), taskId: 't2' }, { ...entry, orgId: 'p', taskId: 't2' }])
  t.same(irns.get('o', 'A'.repeat(64)), entry, 'looked up in any case')
  t.equal(irns.get('o', 'b'.repeat(64)), undefined, 'its task is gone')
  irns.cancel('o', 'a'.repeat(64), 5)
  irns.cancel('o', 'c'.repeat(64), 5)
  t.equal(irns.get('o', 'a'.repeat(64))?.cancelledAt, 5)
  t.equal(irns.sweep(), 2)
  t.equal(irns.sweep(), 0)
  irns.clear()
  t.equal(irns.get('o', 'a'.repeat(64)), undefined)
})

t.test('outcomes of odd invoices: non-object fields read as null, safe file names, no HSN code', async (t) => {
  const input = einvoiceBulkGeneration.check({ params: {}, query: {}, body: { payload: [{ DocDtls: 'x', SellerDtls: 5 }, invoice('../..', (i) => (i.DocDtls.No = '../x'))], meta: null } })
  const derived = einvoiceBulkGeneration.derive(input, context())
  const result = derived.result as { gstin: unknown; invoices: Array<Record<string, unknown>> }
  t.equal(result.gstin, null, 'no seller GSTIN in the first invoice')
  t.same([result.invoices[0]!.DocNo, result.invoices[0]!.SellerGstin, result.invoices[0]!.file], [null, null, 'invoices/1-invoice.json'])
  t.equal(result.invoices[1]!.file, 'invoices/2-..-x.json', 'one segment: / is replaced')
  t.equal(invoiceFileBase(3, 'A'.repeat(50)), `invoices/3-${'A'.repeat(40)}`)
  const noHsn = einvoiceBulkGeneration.derive(
    einvoiceBulkGeneration.check({ params: {}, query: {}, body: { payload: [invoice('H-1', (i) => (i.ItemList = [{}]))] } }),
    context()
  )
  const file = noHsn.files?.[0]
  const content = JSON.parse(((await (file!.content as () => Promise<Buffer>)()) as Buffer).toString('utf8'))
  const qr = JSON.parse(content.SignedQRCode.slice('signed:'.length))
  t.equal(qr.MainHsnCode, null)
})

t.test('custom operation paths: a parameter never matches an empty segment', async (t) => {
  const registry = new OperationRegistry([])
  registry.addCustom({ name: 'x', method: 'POST', path: '/enriched/a/{id}', envelope: 'v1', task: {} })
  t.equal(registry.matchCustom('POST', ['enriched', 'a', '']), undefined)
  t.equal(registry.matchCustom('POST', ['enriched', 'b', 'c']), undefined)
  t.same(registry.matchCustom('POST', ['enriched', 'a', 'c'])?.constructor, Object)
  t.equal(registry.settings('x').outcome, 'completed')
})

t.test('a fixtures folder: an unreadable operations folder or a bad signing key stops start-up naming the file', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'etm-fixtures-'))
  await cp(BUNDLED_FIXTURES_DIR, dir, { recursive: true })
  await writeFile(join(dir, 'signing-key.pem'), 'not a key')
  await t.rejects(loadFixtures(dir), { code: 'ERR_FIXTURE', message: /signing-key\.pem: must be a PEM RSA private key/ })
  const { generateKeyPairSync } = await import('node:crypto')
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  await writeFile(join(dir, 'signing-key.pem'), ec)
  await t.rejects(loadFixtures(dir), { code: 'ERR_FIXTURE', message: /not an RSA key/ })
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'pem', type: 'pkcs8' }) as string
  await writeFile(join(dir, 'signing-key.pem'), rsa)
  t.equal((await loadFixtures(dir)).signingKey, rsa, 'a folder may bring its own key')
  await mkdir(join(dir, 'operations'))
  await writeFile(join(dir, 'operations', 'bad.json'), '{"name":"Bad"}')
  await t.rejects(loadFixtures(dir), { code: 'ERR_FIXTURE', message: /operations\/bad\.json: .*\/name must match pattern/ })
  const fileDir = await mkdtemp(join(tmpdir(), 'etm-fixtures-'))
  await cp(BUNDLED_FIXTURES_DIR, fileDir, { recursive: true })
  await writeFile(join(fileDir, 'operations'), 'not a folder')
  await t.rejects(loadFixtures(fileDir), { code: 'ERR_FIXTURE', message: /operations: ENOTDIR/ })
  await rm(join(fileDir, 'operations'))
  await rm(join(fileDir, 'signing-key.pem'))
  await mkdir(join(fileDir, 'signing-key.pem'))
  await t.rejects(loadFixtures(fileDir), { code: 'ERR_FIXTURE', message: /signing-key\.pem: EISDIR/ })
})

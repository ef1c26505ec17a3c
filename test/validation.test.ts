import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import t from 'tap'
import '../src/app.js'
import '../src/operations/index.js'
import { AJV_OPTIONS, compileSchema, declaredSchemas, loadPrecompiled, PRECOMPILED_FILE, schemaKey } from '../src/validation.js'

t.test('every schema the validators compile is a valid JSON Schema (Ajv skips that check at start-up)', async (t) => {
  const schemas = declaredSchemas()
  t.ok(schemas.length >= 10, `${schemas.length} schemas declared by the loaded modules`)
  const ajv = new Ajv({ ...AJV_OPTIONS })
  for (const schema of schemas) t.ok(ajv.validateSchema(schema), JSON.stringify(ajv.errors))
  // And the check would catch one that is not.
  t.notOk(ajv.validateSchema({ type: 'strin' }))
})

t.test('npm run build compiled every declared validator ahead of time; a schema it did not see is compiled now', async (t) => {
  const precompiled = loadPrecompiled(PRECOMPILED_FILE)
  if (!precompiled) throw new Error('no dist/validators.cjs: run npm run build')
  for (const schema of declaredSchemas()) t.equal(compileSchema(schema, precompiled), precompiled[schemaKey(schema)], schemaKey(schema))
  const fresh = compileSchema({ type: 'string', minLength: 2 }, precompiled)
  t.equal(fresh('ab'), true)
  t.equal(fresh('a'), false)
  t.equal(compileSchema({ type: 'integer' }, null)(1.5), false, 'no precompiled validators at all')
})

t.test('a precompiled file that is missing reads as none; one that is broken is an error', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'etm-validators-'))
  t.equal(loadPrecompiled(join(dir, 'missing.cjs')), null)
  writeFileSync(join(dir, 'broken.cjs'), 'module.exports = {')
  t.throws(() => loadPrecompiled(join(dir, 'broken.cjs')), SyntaxError)
})

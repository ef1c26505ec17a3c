import { Ajv } from 'ajv'
import t from 'tap'
import '../src/app.js'
import '../src/operations/index.js'
import { AJV_OPTIONS, declaredSchemas } from '../src/validation.js'

t.test('every schema the validators compile is a valid JSON Schema (Ajv skips that check at start-up)', async (t) => {
  const schemas = declaredSchemas()
  t.ok(schemas.length >= 10, `${schemas.length} schemas declared by the loaded modules`)
  const ajv = new Ajv({ ...AJV_OPTIONS })
  for (const schema of schemas) t.ok(ajv.validateSchema(schema), JSON.stringify(ajv.errors))
  // And the check would catch one that is not.
  t.notOk(ajv.validateSchema({ type: 'strin' }))
})

// Part of `npm run build`, after tsc: writes dist/validators.cjs, every request validator compiled
// ahead of time (Ajv's standalone code), so that a start-up neither loads Ajv nor compiles the
// fixtures' schemas. Each is exported under the key src/validation.ts computes from its schema
// (schemaKey); a schema changed since is compiled at run time as before.
import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const { Ajv } = require('ajv')
const standaloneCode = require('ajv/dist/standalone').default
// Loading the modules declares their validators (src/validation.ts declaredSchemas).
await import('../dist/app.js')
await import('../dist/operations/index.js')
const { AJV_OPTIONS, declaredSchemas, schemaKey } = await import('../dist/validation.js')

const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } })
const exports = {}
for (const schema of declaredSchemas()) {
  const key = schemaKey(schema)
  if (exports[key]) continue
  ajv.addSchema(schema, key)
  exports[key] = key
}
writeFileSync(new URL('../dist/validators.cjs', import.meta.url), standaloneCode(ajv, exports))

// Part of `npm run build`: writes dist/openapi.json, the OpenAPI document parsed ahead of time, with
// the SHA-256 of the YAML it came from, so a start-up reads it with JSON.parse instead of parsing
// 100 KiB of YAML (src/routes/openapi.ts falls back to the YAML when the hash does not match).
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { load } from 'js-yaml'

const bytes = readFileSync(new URL('../openapi/openapi.yaml', import.meta.url))
const sha256 = createHash('sha256').update(bytes).digest('hex')
mkdirSync(new URL('../dist/', import.meta.url), { recursive: true })
writeFileSync(new URL('../dist/openapi.json', import.meta.url), JSON.stringify({ sha256, document: load(bytes.toString('utf8')) }))

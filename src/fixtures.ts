/**
 * The seeded demo data (docs/behaviour.md §9), read once at start-up from a fixtures folder:
 * `credentials.json` (an array of `{orgId, token, expiresAt?, gstin?, name?, taxIdentifier?}`),
 * `users.json` (optional: users who log in, §4, the body `POST /__admin/users` takes), `tasks/*.json` (each a
 * task spec, the body `POST /__admin/tasks` takes), `operations/*.json` (optional: custom
 * producer operations, the body `POST /__admin/operations` takes, §13) and `signing-key.pem`
 * (optional: the demo IRP's PKCS#8 RSA key; the bundled one when absent). Seeding builds the
 * tasks at the clock's now, at start-up and again at each reset.
 */
import { createPrivateKey, randomUUID } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { credentialFromSpec, credentialSchema, type Credential, type CredentialSpec } from './credentials.js'
import { MockError } from './errors.js'
import { BUILT_IN_OPERATIONS } from './operations/index.js'
import { OperationRegistry, type CustomOperationSpec } from './operations/registry.js'
import { PACKAGE_ROOT } from './package-root.js'
import { taskFromSpec, type SpecDefaults } from './task-spec.js'
import { InvalidSpecError, validator } from './validation.js'
import { userSpecSchema, type UserSpec } from './users.js'
import type { Task } from './task.js'

/** What a fixtures folder holds, validated. */
export interface Fixtures {
  credentials: Credential[]
  /** Task specs, in file-name order; built into tasks by {@link seedTasks}. */
  taskSpecs: unknown[]
  /** Custom producer operations, in file-name order (§13). */
  operations: CustomOperationSpec[]
  /** The demo IRP's signing key, PKCS#8 PEM. */
  signingKey: string
  /** Users who log in (§4); passwords as given, hashed when seeded. */
  users: UserSpec[]
}

/** The bundled fixtures folder's signing key, used when a fixtures folder has none. */
const BUNDLED_SIGNING_KEY = join(PACKAGE_ROOT, 'fixtures', 'signing-key.pem')

/** A fixtures file that cannot be read or is invalid. */
export class FixtureError extends MockError {
  constructor(readonly file: string, reason: string) {
    // One line, whatever the reason quotes from the file.
    super('ERR_FIXTURE', `fixture ${file}: ${reason.replace(/\s+/g, ' ')}`)
  }
}

const validateCredentials = validator<CredentialSpec[]>({ type: 'array', items: credentialSchema })

async function readJson(file: string): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new FixtureError(file, String((error as NodeJS.ErrnoException).code))
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new FixtureError(file, (error as Error).message)
  }
}

/**
 * Reads and validates a fixtures folder. Every task spec is checked here (built once against a
 * throw-away clock) so that a bad fixture stops start-up instead of a reset.
 * @throws {FixtureError} naming the file and what is wrong
 */
export async function loadFixtures(dir: string): Promise<Fixtures> {
  const credentialsFile = join(dir, 'credentials.json')
  let credentials: Credential[]
  try {
    credentials = validateCredentials(await readJson(credentialsFile)).map(credentialFromSpec)
  } catch (error) {
    if (error instanceof InvalidSpecError) throw new FixtureError(credentialsFile, error.message)
    throw error
  }
  const tasksDir = join(dir, 'tasks')
  let names: string[]
  try {
    names = (await readdir(tasksDir)).filter((name) => name.endsWith('.json')).sort()
  } catch (error) {
    throw new FixtureError(tasksDir, String((error as NodeJS.ErrnoException).code))
  }
  const taskSpecs: unknown[] = []
  const ids = new Set<string>()
  for (const name of names) {
    const file = join(tasksDir, name)
    const spec = await readJson(file)
    let task: Task
    try {
      task = taskFromSpec(spec, { orgId: 'check', now: 0, newId: randomUUID })
    } catch (error) {
      throw new FixtureError(file, (error as InvalidSpecError).message)
    }
    if (ids.has(task.id)) throw new FixtureError(file, `task id ${task.id} is given twice`)
    ids.add(task.id)
    taskSpecs.push(spec)
  }
  return {
    credentials,
    taskSpecs,
    operations: await loadOperations(join(dir, 'operations')),
    signingKey: await loadSigningKey(dir),
    users: await loadUsers(join(dir, 'users.json'))
  }
}

const validateUsers = validator<UserSpec[]>({ type: 'array', items: userSpecSchema })

/** `users.json`, checked; none when the file does not exist. */
async function loadUsers(file: string): Promise<UserSpec[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new FixtureError(file, String((error as NodeJS.ErrnoException).code))
  }
  let users: UserSpec[]
  try {
    users = validateUsers(JSON.parse(text))
  } catch (error) {
    throw new FixtureError(file, (error as Error).message)
  }
  const handles = new Set<string>()
  for (const user of users) {
    const handle = `${user.handleType}:${user.handle.toLowerCase()}`
    if (handles.has(handle)) throw new FixtureError(file, `handle ${user.handle} is given twice`)
    handles.add(handle)
  }
  return users
}

/** The JSON files of a folder, in name order; none when the folder does not exist. */
async function jsonFiles(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => name.endsWith('.json')).sort().map((name) => join(dir, name))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new FixtureError(dir, String((error as NodeJS.ErrnoException).code))
  }
}

/** Reads `operations/*.json`, each checked by registering it as the control API would. */
async function loadOperations(dir: string): Promise<CustomOperationSpec[]> {
  const registry = new OperationRegistry(BUILT_IN_OPERATIONS)
  const specs: CustomOperationSpec[] = []
  for (const file of await jsonFiles(dir)) {
    const spec = await readJson(file)
    try {
      registry.addCustom(spec)
    } catch (error) {
      throw new FixtureError(file, (error as Error).message)
    }
    specs.push(spec as CustomOperationSpec)
  }
  return specs
}

/** `signing-key.pem` of the folder, or the bundled one. */
async function loadSigningKey(dir: string): Promise<string> {
  const file = join(dir, 'signing-key.pem')
  let pem: string
  try {
    pem = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new FixtureError(file, String((error as NodeJS.ErrnoException).code))
    return readFile(BUNDLED_SIGNING_KEY, 'utf8')
  }
  try {
    if (createPrivateKey(pem).asymmetricKeyType !== 'rsa') throw new Error('not an RSA key')
  } catch (error) {
    throw new FixtureError(file, `must be a PEM RSA private key (${(error as Error).message})`)
  }
  return pem
}

/** Builds the fixtures' tasks afresh (new poll counts, created at `defaults.now`). */
export function seedTasks(fixtures: Fixtures, defaults: SpecDefaults): Task[] {
  return fixtures.taskSpecs.map((spec) => taskFromSpec(spec, defaults))
}

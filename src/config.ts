/**
 * Settings (docs/behaviour.md §17): each is an environment variable and the same as a CLI flag
 * (`MAX_TASKS` is `--max-tasks`). Flags win over the environment. A bad value is a
 * {@link ConfigError} naming the setting and the accepted values; the entry point exits 2 on it.
 */
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { AcceptMode } from './accept.js'
import type { AuthMode } from './credentials.js'
import { MockError } from './errors.js'
import { PACKAGE_ROOT } from './package-root.js'

/** The status response's shape: upstream's documented one, or the provider's machine-readable spec's. */
export type StatusShape = 'docs' | 'atlas'

/** Pino's levels, plus `silent`. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'

/** Every setting, parsed. Durations in ms, except `retryAfterS` (seconds). */
export interface Settings {
  port: number
  host: string
  logLevel: LogLevel
  taskTtlMs: number
  authMode: AuthMode
  acceptMode: AcceptMode
  statusShape: StatusShape
  retryAfterS: number
  fixturesDir: string
  adminToken: string | undefined
  maxTasks: number
  journalSize: number
  shutdownGraceMs: number
  requestTimeoutMs: number
  keepAliveTimeoutMs: number
  connectionTimeoutMs: number
  maxHeaderSize: number
  maxBodySize: number
  maxPayloadSize: number
  /** Most downloads streaming at once on this replica (§19); one more answers 503. */
  maxDownloads: number
  /** Most faults held at once, all orgs together (§19); one more answers 507. */
  maxFaults: number
  /** The most bytes the tasks held may take together, each counted once at its creation (§19). */
  maxStoreBytes: number
  /** The most bytes one task may take (§19); above `maxStoreBytes` it is `maxStoreBytes` in effect. */
  maxTaskBytes: number
  /** `memory`, or the `redis://`/`rediss://` URL of the shared store (§16). */
  store: string
  /** Only read with `STORE=redis`: the URL `store` then takes. */
  redisUrl: string | undefined
  /** Prefix of every key in Redis (§16). */
  storePrefix: string
  /** When start-up seeds the fixtures (§16). */
  seed: 'if-empty' | 'always' | 'never'
}

/** A setting with a bad value; `message` is the one line to print. */
export class ConfigError extends MockError {
  constructor(readonly setting: string, value: string, accepted: string) {
    super('ERR_CONFIG', `invalid ${setting}=${JSON.stringify(value)}: expected ${accepted}`)
  }
}

const DURATION = /^(\d+)(ms|s|m|h|d)?$/
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * Parses a duration: `90s`, `15m`, `2h`, `7d`, `250ms` or a whole number of milliseconds.
 * @returns milliseconds, or undefined when the text is not a duration
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim())
  if (!match) return undefined
  const ms = Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] as number)
  return Number.isSafeInteger(ms) ? ms : undefined
}

const integer = (min: number, max: number) => (text: string) => {
  if (!/^\d+$/.test(text)) return undefined
  const n = Number(text)
  return n >= min && n <= max ? n : undefined
}
const duration = (min: number, max: number) => (text: string) => {
  const ms = parseDuration(text)
  return ms !== undefined && ms >= min && ms <= max ? ms : undefined
}
/** Node's timers hold at most 2^31 - 1 ms (about 24.8 days); longer ones would fire at once. */
const MAX_TIMER_MS = 2_147_483_647
/** The byte budgets of §19 range from 1 KiB to 64 GiB. */
const MAX_BUDGET_BYTES = 64 * 1024 ** 3
/** A TTL of up to 100 years keeps every expiry a writable date (`TASK_TTL`, and a task spec's `ttl`). */
export const MAX_TTL_MS = 100 * 365 * 86_400_000
const oneOf = (...values: string[]) => (text: string) => (values.includes(text) ? text : undefined)
const nonEmpty = (text: string) => (text === '' ? undefined : text)

/** A `redis://` or `rediss://` URL that parses, with a host. */
const redisUrl = (text: string) => {
  if (!/^rediss?:\/\//.test(text)) return undefined
  try {
    return new URL(text).hostname === '' ? undefined : text
  } catch {
    return undefined
  }
}
/**
 * A URL with its credentials replaced by `[redacted]`, for messages and logs (§17: secrets never
 * reach them): the password of `user:password@`, a lone `secret@` (Redis clients read it as a
 * password), and `password=` in the query. Works on text that is not a valid URL too.
 */
export const redactUrl = (text: string): string =>
  text
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*)@/i, (_all, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':')
      return `${scheme}${colon === -1 ? '' : userinfo.slice(0, colon + 1)}[redacted]@`
    })
    .replace(/([?&]password=)[^&#]*/gi, '$1[redacted]')
const storeValue = (text: string) => (text === 'memory' || text === 'redis' ? text : redisUrl(text))

/** The bundled fixtures folder, in the package's root. */
export const BUNDLED_FIXTURES_DIR = join(PACKAGE_ROOT, 'fixtures')

interface SettingDefinition {
  env: string
  key: keyof Settings
  default: string | undefined
  /** A URL that may hold a password: shown redacted in errors. */
  url?: boolean
  accepted: string
  help: string
  parse: (text: string) => unknown
}

const DURATIONS = 'a duration such as 90s, 15m, 7d, or milliseconds, up to 24d'

/** Every setting, in the order `--help` lists them. */
export const SETTINGS: readonly SettingDefinition[] = [
  { env: 'PORT', key: 'port', default: '8080', accepted: 'an integer from 0 to 65535', help: 'port to listen on (0: any free port)', parse: integer(0, 65535) },
  { env: 'HOST', key: 'host', default: '127.0.0.1', accepted: 'a host name or IP address', help: 'address to listen on', parse: nonEmpty },
  { env: 'LOG_LEVEL', key: 'logLevel', default: 'info', accepted: 'fatal, error, warn, info, debug, trace or silent', help: 'pino log level', parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') },
  { env: 'TASK_TTL', key: 'taskTtlMs', default: '7d', accepted: 'a duration such as 90s, 15m, 7d, or milliseconds, from 1 ms to 36500d', help: 'how long a task can be read after its creation', parse: duration(1, MAX_TTL_MS) },
  { env: 'AUTH_MODE', key: 'authMode', default: 'strict', accepted: 'strict, any or off', help: 'strict: registered credentials; any: any org and token; off: no auth', parse: oneOf('strict', 'any', 'off') },
  { env: 'ACCEPT_MODE', key: 'acceptMode', default: 'strict', accepted: 'strict or lenient', help: 'strict: the exact media type must be listed; lenient: HTTP negotiation', parse: oneOf('strict', 'lenient') },
  { env: 'STATUS_SHAPE', key: 'statusShape', default: 'docs', accepted: 'docs or atlas', help: 'shape of the status response', parse: oneOf('docs', 'atlas') },
  { env: 'RETRY_AFTER_S', key: 'retryAfterS', default: '5', accepted: 'an integer from 1 to 86400', help: 'poll interval in seconds sent as Retry-After', parse: integer(1, 86400) },
  { env: 'FIXTURES_DIR', key: 'fixturesDir', default: undefined, accepted: 'a folder path', help: 'folder holding credentials.json, tasks/*.json and optionally users.json, operations/*.json and signing-key.pem (unset: the bundled fixtures/)', parse: nonEmpty },
  { env: 'ADMIN_TOKEN', key: 'adminToken', default: undefined, accepted: 'a non-empty token', help: 'bearer token required by /__admin (unset: the control API is open)', parse: nonEmpty },
  { env: 'MAX_TASKS', key: 'maxTasks', default: '100000', accepted: 'an integer from 1 to 10000000', help: 'most tasks held at once', parse: integer(1, 10_000_000) },
  { env: 'JOURNAL_SIZE', key: 'journalSize', default: '1000', accepted: 'an integer from 0 to 1000000', help: 'task-route, producer and login requests kept in the request journal', parse: integer(0, 1_000_000) },
  { env: 'SHUTDOWN_GRACE', key: 'shutdownGraceMs', default: '10s', accepted: DURATIONS, help: 'how long in-flight requests may finish after SIGTERM/SIGINT', parse: duration(0, MAX_TIMER_MS) },
  { env: 'REQUEST_TIMEOUT', key: 'requestTimeoutMs', default: '30s', accepted: DURATIONS, help: 'time allowed to receive a whole request (0: none)', parse: duration(0, MAX_TIMER_MS) },
  { env: 'KEEP_ALIVE_TIMEOUT', key: 'keepAliveTimeoutMs', default: '5s', accepted: DURATIONS + ' (at least 1 ms)', help: 'idle time before a kept-alive connection is closed', parse: duration(1, MAX_TIMER_MS) },
  { env: 'CONNECTION_TIMEOUT', key: 'connectionTimeoutMs', default: '2m', accepted: DURATIONS, help: 'socket inactivity timeout (0: none)', parse: duration(0, MAX_TIMER_MS) },
  { env: 'MAX_HEADER_SIZE', key: 'maxHeaderSize', default: '16384', accepted: 'an integer from 1024 to 1048576 (bytes)', help: 'largest request line plus headers, in bytes (431 past it)', parse: integer(1024, 1_048_576) },
  { env: 'MAX_BODY_SIZE', key: 'maxBodySize', default: '1048576', accepted: 'an integer from 1024 to 104857600 (bytes)', help: 'largest control-API body, in bytes (413 past it)', parse: integer(1024, 104_857_600) },
  { env: 'STORE', key: 'store', default: 'memory', accepted: 'memory, a redis:// or rediss:// URL, or redis (the URL in REDIS_URL)', help: 'where all mock state lives: this process, or Redis shared by replicas', parse: storeValue, url: true },
  { env: 'REDIS_URL', key: 'redisUrl', default: undefined, accepted: 'a redis:// or rediss:// URL', help: 'the Redis URL when STORE=redis', parse: redisUrl, url: true },
  { env: 'STORE_PREFIX', key: 'storePrefix', default: 'etm:', accepted: '1 to 100 letters, digits or :_.-', help: 'prefix of every Redis key (several stubs can share one Redis)', parse: (text: string) => (/^[A-Za-z0-9:_.-]{1,100}$/.test(text) ? text : undefined) },
  { env: 'SEED', key: 'seed', default: 'if-empty', accepted: 'if-empty, always or never', help: 'when start-up seeds the fixtures: into an empty store only, always, or never', parse: oneOf('if-empty', 'always', 'never') },
  { env: 'MAX_PAYLOAD_SIZE', key: 'maxPayloadSize', default: '5242880', accepted: 'an integer from 1024 to 104857600 (bytes)', help: 'largest body of an operation that creates tasks, in bytes (413 past it)', parse: integer(1024, 104_857_600) },
  { env: 'MAX_DOWNLOADS', key: 'maxDownloads', default: '16', accepted: 'an integer from 1 to 10000', help: 'most zip downloads streaming at once (503 with Retry-After: 1 past it)', parse: integer(1, 10_000) },
  { env: 'MAX_FAULTS', key: 'maxFaults', default: '1000', accepted: 'an integer from 1 to 100000', help: 'most faults held at once (507 err-store-full past it)', parse: integer(1, 100_000) },
  { env: 'MAX_STORE_BYTES', key: 'maxStoreBytes', default: '536870912', accepted: 'an integer from 1024 to 68719476736 (bytes)', help: 'most bytes the tasks held take together, each task counted once at its creation by the size of its spec as JSON (507 err-store-full past it)', parse: integer(1024, MAX_BUDGET_BYTES) },
  { env: 'MAX_TASK_BYTES', key: 'maxTaskBytes', default: '8388608', accepted: 'an integer from 1024 to 68719476736 (bytes)', help: 'most bytes one task takes (507 err-store-full past it); above MAX_STORE_BYTES, MAX_STORE_BYTES bounds one task too', parse: integer(1024, MAX_BUDGET_BYTES) }
]

/** The CLI flag of a setting: `MAX_TASKS` -> `max-tasks`. */
export const flagName = (env: string): string => env.toLowerCase().replaceAll('_', '-')

/** What {@link readSettings} found on the command line besides settings. */
export type Command = { kind: 'run'; settings: Settings } | { kind: 'help' } | { kind: 'version' }

/**
 * Reads the settings from CLI flags and the environment (flags win).
 * @param argv the arguments after the script name
 * @param env the environment (e.g. `process.env`)
 * @throws {ConfigError} for a bad value or an unknown flag
 */
export function readSettings(argv: readonly string[], env: NodeJS.ProcessEnv): Command {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
    version: { type: 'boolean', short: 'v' }
  }
  for (const def of SETTINGS) options[flagName(def.env)] = { type: 'string' }
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values
  } catch (error) {
    throw new ConfigError('arguments', argv.join(' '), `known flags only (${(error as Error).message}); see --help`)
  }
  if (values.help) return { kind: 'help' }
  if (values.version) return { kind: 'version' }
  const settings: Record<string, unknown> = {}
  for (const def of SETTINGS) {
    const flag = values[flagName(def.env)]
    const text = typeof flag === 'string' ? flag : env[def.env] ?? def.default
    if (text === undefined) continue
    const value = def.parse(text)
    if (value === undefined) throw new ConfigError(def.env, def.url ? redactUrl(text) : text, def.accepted)
    settings[def.key] = value
  }
  settings.fixturesDir ??= BUNDLED_FIXTURES_DIR
  if (settings.store === 'redis') {
    if (settings.redisUrl === undefined) throw new ConfigError('REDIS_URL', '', 'a redis:// or rediss:// URL when STORE=redis')
    settings.store = settings.redisUrl
  }
  return { kind: 'run', settings: settings as unknown as Settings }
}

/** The defaults of every setting, as {@link readSettings} gives them with no flags and no env. */
export function defaultSettings(): Settings {
  return (readSettings([], {}) as { settings: Settings }).settings
}

/** The `--help` text: usage and every setting with its default. */
export function helpText(): string {
  const lines = ['Usage: enriched-tasks-mock [flags]', '', 'Every flag is also an environment variable (--max-tasks is MAX_TASKS).', '']
  const width = Math.max(...SETTINGS.map((def) => flagName(def.env).length)) + 14
  for (const def of SETTINGS) {
    lines.push(`  --${flagName(def.env)} <value>`.padEnd(width) + `${def.env}: ${def.help}`)
    lines.push(' '.repeat(width) + `accepts ${def.accepted}; default: ${def.default ?? 'unset'}`)
  }
  lines.push('  -h, --help'.padEnd(width) + 'show this help', '  -v, --version'.padEnd(width) + 'print the version')
  return lines.join('\n')
}

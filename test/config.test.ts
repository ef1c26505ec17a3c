import t from 'tap'
import { BUNDLED_FIXTURES_DIR, defaultSettings, flagName, helpText, parseDuration, readSettings, redactUrl, SETTINGS } from '../src/config.js'

t.test('the defaults of §17', async (t) => {
  t.same(defaultSettings(), {
    port: 8080,
    host: '127.0.0.1',
    logLevel: 'info',
    taskTtlMs: 7 * 86_400_000,
    authMode: 'strict',
    acceptMode: 'strict',
    statusShape: 'docs',
    retryAfterS: 5,
    fixturesDir: BUNDLED_FIXTURES_DIR,
    maxTasks: 100_000,
    journalSize: 1000,
    shutdownGraceMs: 10_000,
    requestTimeoutMs: 30_000,
    keepAliveTimeoutMs: 5_000,
    connectionTimeoutMs: 120_000,
    maxHeaderSize: 16_384,
    maxBodySize: 1_048_576,
    maxPayloadSize: 5_242_880,
    maxDownloads: 16,
    maxFaults: 1000,
    maxStoreBytes: 536_870_912,
    maxTaskBytes: 8_388_608,
    store: 'memory',
    storePrefix: 'etm:',
    seed: 'if-empty'
  })
  t.notOk('adminToken' in defaultSettings(), 'ADMIN_TOKEN unset by default')
})

t.test('durations: 90s, 15m, 7d or milliseconds', async (t) => {
  const cases: Array<[string, number | undefined]> = [
    ['90s', 90_000], ['15m', 900_000], ['7d', 604_800_000], ['2h', 7_200_000], ['250ms', 250], ['1500', 1500], ['0', 0],
    ['', undefined], ['7 d', undefined], ['-1s', undefined], ['1.5h', undefined], ['7w', undefined], ['99999999999999999d', undefined]
  ]
  for (const [text, ms] of cases) t.equal(parseDuration(text), ms, JSON.stringify(text))
})

t.test('environment variables and flags; flags win', async (t) => {
  const env = { PORT: '9000', AUTH_MODE: 'any', TASK_TTL: '1h', ADMIN_TOKEN: 's3cret', ACCEPT_MODE: 'lenient' }
  const command = readSettings(['--port', '9001', '--status-shape=atlas', '--retry-after-s', '2'], env)
  t.equal(command.kind, 'run')
  if (command.kind !== 'run') return
  t.match(command.settings, { port: 9001, authMode: 'any', taskTtlMs: 3_600_000, adminToken: 's3cret', acceptMode: 'lenient', statusShape: 'atlas', retryAfterS: 2 })
  t.equal(flagName('MAX_TASKS'), 'max-tasks')
})

t.test('the byte budgets (§19): 1 KiB to 64 GiB each; a task budget above the store budget is allowed', async (t) => {
  t.match(readSettings(['--max-store-bytes', '1024', '--max-task-bytes', '68719476736'], {}), { kind: 'run', settings: { maxStoreBytes: 1024, maxTaskBytes: 68_719_476_736 } })
  t.match(readSettings([], { MAX_STORE_BYTES: '68719476736', MAX_TASK_BYTES: '1024' }), { kind: 'run', settings: { maxStoreBytes: 68_719_476_736, maxTaskBytes: 1024 } })
})

t.test('every setting has a flag; --help lists each with its default; --version', async (t) => {
  const help = helpText()
  for (const def of SETTINGS) {
    t.match(help, `--${flagName(def.env)} <value>`, def.env)
    t.match(help, `${def.env}: `, def.env)
    t.match(help, `accepts ${def.accepted}; default: ${def.default ?? 'unset'}`, def.env)
  }
  t.same(readSettings(['--help'], {}), { kind: 'help' })
  t.same(readSettings(['-h'], {}), { kind: 'help' })
  t.same(readSettings(['--version'], {}), { kind: 'version' })
})

t.test('each bad setting is a ConfigError naming the setting and the accepted values', async (t) => {
  const bad: Record<string, string[]> = {
    PORT: ['http', '-1', '65536', '80.5', ''],
    HOST: [''],
    LOG_LEVEL: ['verbose', 'INFO'],
    TASK_TTL: ['0', 'soon', '7 days', '36501d'],
    AUTH_MODE: ['none', 'STRICT'],
    ACCEPT_MODE: ['loose'],
    STATUS_SHAPE: ['upstream'],
    RETRY_AFTER_S: ['0', '1.5', '86401'],
    FIXTURES_DIR: [''],
    ADMIN_TOKEN: [''],
    MAX_TASKS: ['0', 'many'],
    JOURNAL_SIZE: ['-1', 'x'],
    SHUTDOWN_GRACE: ['later', '30d'],
    REQUEST_TIMEOUT: ['x', '25d'],
    KEEP_ALIVE_TIMEOUT: ['0', '2147483648'],
    CONNECTION_TIMEOUT: ['y', '30d'],
    MAX_HEADER_SIZE: ['100', '2000000'],
    MAX_BODY_SIZE: ['1', 'big'],
    MAX_PAYLOAD_SIZE: ['1023', 'big'],
    MAX_DOWNLOADS: ['0', '10001', 'many'],
    MAX_FAULTS: ['0', '100001'],
    MAX_STORE_BYTES: ['1023', '68719476737', '512MiB', '-1'],
    MAX_TASK_BYTES: ['0', '68719476737', '8 MiB'],
    STORE: ['redis-cluster', 'mysql://db', 'redis://', 'redis://[::1'],
    REDIS_URL: ['localhost:6379', 'http://cache'],
    STORE_PREFIX: ['', 'a b', 'x'.repeat(101)],
    SEED: ['sometimes']
  }
  t.same(readSettings([], { STORE: 'redis://cache:6379' }), { kind: 'run', settings: { ...defaultSettings(), store: 'redis://cache:6379' } }, 'STORE takes a URL')
  t.same(readSettings([], { STORE: 'redis', REDIS_URL: 'rediss://u:p@cache' }), { kind: 'run', settings: { ...defaultSettings(), store: 'rediss://u:p@cache', redisUrl: 'rediss://u:p@cache' } }, 'STORE=redis takes REDIS_URL')
  t.throws(() => readSettings([], { STORE: 'redis' }), { code: 'ERR_CONFIG', setting: 'REDIS_URL' }, 'STORE=redis needs REDIS_URL')
  for (const [env, value] of [['STORE', 'mysql://root:hunter2@db'], ['REDIS_URL', 'http://:hunter2@cache']] as const) {
    t.throws(() => readSettings([], { STORE: 'redis', [env]: value }), { message: new RegExp(`^invalid ${env}="[a-z]+://[a-z]*:\\[redacted\\]@[a-z]+":`) }, `a bad ${env} is shown without its password`)
  }
  t.same(
    ['redis://s3cret@h', 'redis://h:6379/?password=s3cret&db=1', 'redis://u:p:q@h/0', 'memory'].map(redactUrl),
    ['redis://[redacted]@h', 'redis://h:6379/?password=[redacted]&db=1', 'redis://u:[redacted]@h/0', 'memory'],
    'a lone user part and a password in the query are redacted too'
  )
  t.same(Object.keys(bad).sort(), SETTINGS.map((d) => d.env).sort(), 'every setting is covered')
  for (const def of SETTINGS) {
    for (const value of bad[def.env] ?? []) {
      t.throws(() => readSettings([], { [def.env]: value }), { code: 'ERR_CONFIG', setting: def.env, message: `invalid ${def.env}=${JSON.stringify(value)}: expected ${def.accepted}` }, `${def.env}=${value}`)
      t.throws(() => readSettings([`--${flagName(def.env)}=${value}`], {}), { code: 'ERR_CONFIG', setting: def.env }, `--${flagName(def.env)}=${value}`)
    }
  }
  t.throws(() => readSettings(['--nope'], {}), { code: 'ERR_CONFIG', setting: 'arguments', message: /Unknown option '--nope'.*see --help/ })
  t.throws(() => readSettings(['extra'], {}), { code: 'ERR_CONFIG', setting: 'arguments' })
  t.throws(() => readSettings(['--port'], {}), { code: 'ERR_CONFIG', setting: 'arguments' })
})

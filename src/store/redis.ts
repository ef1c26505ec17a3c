/**
 * The Redis store (docs/behaviour.md §16, `STORE=redis://...`): all mock state in Redis (or
 * Valkey) under `STORE_PREFIX`, so replicas share it and a restart loses nothing.
 *
 * Client: ioredis. It runs Lua scripts by SHA with a fallback (`defineCommand`), pipelines the
 * commands of concurrent requests on its own (`enableAutoPipelining`), reconnects by itself, and
 * can fail a command at once while disconnected (`enableOfflineQueue: false`), which is what lets
 * a request answer `503` instead of hanging.
 *
 * Keys, under the prefix P:
 * - `P doc:<name>` / `P ver:<name>`: a shared document's JSON and a random version, changed together
 *   by one compare-and-set script (see {@link RedisStore.update}).
 * - `P task:<id>`: a hash of `src` (the task's {@link TaskSource} JSON), `uid` (which creation this
 *   is), `createdAt`, `exp` (when it expires: `createdAt` plus its TTL, its own or `TASK_TTL`),
 *   `org`, `facts` ({@link TaskFacts} JSON) and `v` (the facts' version, for compare-and-set).
 *   `P tasks` orders them as they were added (a sorted set scored by the counter `P tasks:seq`,
 *   like the memory store's insertion order); `MAX_TASKS` counts it. `P expiry` scores them by
 *   `exp`, for the sweep. `P tasks:sizes` holds each task's size in bytes (§19) and
 *   `P tasks:bytes` their sum, which `MAX_STORE_BYTES` bounds; they change in the same script as
 *   the task is added or removed, and, unlike the task's hash, never expire by themselves, so a
 *   task whose hash Redis expired still has its bytes freed by the sweep.
 * - `P irns:<org>` (IRN -> JSON) and `P irns:<org>:cancelled` (IRN -> epoch ms); `P irn-orgs` lists the orgs.
 *   Org ids in keys are percent-encoded ({@link keyOrg}).
 * - `P journal` (JSON entries, newest last, trimmed to `JOURNAL_SIZE`) and `P journal:seq`.
 * - `P report:<task id>`: the client report's facts of a task (§21), a hash of `createdAt` (which
 *   creation of the task: its createdAt and percent-encoded org, space-separated), `org`, `task` ({@link ReportTask} JSON), `state` (its folded
 *   {@link ReportFacts} JSON, absent until first compacted) and `v` (the state's version, for
 *   compare-and-set), with `P report:<task id>:events`, the {@link ReportEvent}s recorded since
 *   (JSON, oldest first). `P report:tasks` orders the tasks by first request (scored by the
 *   counter `P report:seq`) and bounds them ({@link MAX_REPORT_TASKS}).
 * - `P seeded`: the marker of §16 `SEED=if-empty`.
 *
 * Expiry is the mock clock's: a task is live while `exp > now` on its org's clock (a hash without
 * `exp`, written by an earlier version, reads as expired). Redis key expiry is set a day past that
 * (in real time) only so that abandoned keys are freed; the sweep frees the rest.
 */
import { randomUUID } from 'node:crypto'
import type { FastifyBaseLogger } from 'fastify'
import { Redis } from 'ioredis'
import type { FollowedTime } from '../clock.js'
import { redactUrl } from '../config.js'
import { entryOrg, refused, type JournalEntry, type JournalFilter } from '../journal.js'
import type { IssuedIrn } from '../operations/operation.js'
import { foldEvent, type ReportEvent, type ReportFacts, type ReportTask } from '../report.js'
import type { SharedDocs, SharedState } from '../shared-state.js'
import { StoreFullError, TaskExistsError, TaskLimitError } from '../task-store.js'
import type { Task, TaskFacts, TaskSource, TaskState, TaskStatus } from '../task.js'
import {
  ALL_DOCS,
  findTask,
  MAX_REPORT_TASKS,
  measure,
  StoreUnavailableError,
  type ByteBudget,
  type DocName,
  type IrnRepository,
  type JournalRepository,
  type ReportFilter,
  type ReportRepository,
  type SeedPolicy,
  type Store,
  type TaskEffects,
  type TaskRebuilder,
  type TaskRepository
} from './store.js'

/** Options of a {@link RedisStore}. */
export interface RedisStoreOptions extends ByteBudget {
  /** `redis://` or `rediss://` URL. */
  url: string
  /** Prefix of every key (`STORE_PREFIX`). */
  prefix: string
  /** How long a task can be read after its creation, in ms (§7). */
  ttlMs: number
  /** The most tasks held at once (§17 `MAX_TASKS`). */
  maxTasks: number
  /** Journal entries kept (§17 `JOURNAL_SIZE`). */
  journalSize: number
  /** Builds a task's content from its source (the mock state's). */
  rebuild: TaskRebuilder
  /** Where connection trouble is reported (never with the URL's password). */
  log: FastifyBaseLogger
  /** The system time to keep on Redis's `TIME` (absent: the clock follows this host, e.g. a test's clock). */
  time?: FollowedTime
  /** How long one command may take before it counts as the store being away, in ms (default 2,000). */
  commandTimeoutMs?: number
  /** How often `time` is read again from Redis, in ms (default 10,000). */
  timeRefreshMs?: number
  /** How much task source this replica keeps built, in characters of JSON (default 32 Mi; content never changes, facts are read every time). */
  contentCacheBytes?: number
}

/** How long abandoned keys live past their task's expiry, in real ms (only to free memory). */
const KEY_SLACK_MS = 86_400_000
/** How often a journal wait looks for new entries, in ms. */
const WAIT_POLL_MS = 20
/** Compare-and-set attempts before a write gives up as unavailable (only under heavy contention). */
const MAX_ATTEMPTS = 100

/** Compare-and-set of shared documents. KEYS: ver keys then doc keys; ARGV: expected versions, new versions, new docs. */
const CAS_DOCS = `
local n = #KEYS / 2
for i = 1, n do
  if (redis.call('GET', KEYS[i]) or '') ~= ARGV[i] then return 0 end
end
for i = 1, n do
  redis.call('SET', KEYS[i], ARGV[n + i])
  redis.call('SET', KEYS[n + i], ARGV[2 * n + i])
end
return 1`

/**
 * The Lua function the task scripts share: `free(k, id)` removes a task's hash, its place in
 * `tasks` and `expiry`, and its bytes from `tasks:bytes` and `tasks:sizes` (§19). `k` names the
 * keys: `{prefix, tasks, expiry, bytes, sizes}`.
 */
const FREE = `
local function free(k, id)
  redis.call('DEL', k.prefix .. 'task:' .. id)
  redis.call('ZREM', k.tasks, id)
  redis.call('ZREM', k.expiry, id)
  local size = redis.call('HGET', k.sizes, id)
  if size then
    redis.call('DECRBY', k.bytes, size)
    redis.call('HDEL', k.sizes, id)
  end
end
`

/**
 * Creates a task with its IRN effects, or refuses it. KEYS: task, tasks, expiry, irn-orgs,
 * tasks:bytes, tasks:sizes. ARGV: id, src, uid, createdAt, facts, now (the global clock's), max,
 * expireMs, prefix, orgId, the nows of the orgs with their own clock (JSON, §15), size (bytes),
 * maxBytes, exp (the new task's expiry), then n (issued count), n triples (org, irn, json), then
 * (irn, at) pairs of cancellations. A task held under the id is judged live on its own org's clock; an
 * expired one gives way, with its bytes. At `MAX_TASKS` (answer 'limit') or past `maxBytes`
 * ('full'), what has expired is freed first.
 */
const ADD_TASK = `${FREE}
local k = { prefix = ARGV[9], tasks = KEYS[2], expiry = KEYS[3], bytes = KEYS[5], sizes = KEYS[6] }
local held = redis.call('HMGET', KEYS[1], 'createdAt', 'org', 'exp')
local createdAt = held[1]
local now = tonumber(ARGV[6])
local orgNow = held[2] and cjson.decode(ARGV[11])[held[2]]
if held[3] and tonumber(held[3]) > (orgNow or now) then return 'exists' end
local swept = false
local function sweep()
  if swept then return end
  swept = true
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)) do free(k, id) end
end
if not createdAt and redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[7]) then
  sweep()
  if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[7]) then return 'limit' end
end
local size = tonumber(ARGV[12])
-- What the tasks held take, a task held under the id (expired: it gives way) aside.
local function fits()
  local taken = tonumber(redis.call('GET', KEYS[5]) or '0') - tonumber(redis.call('HGET', KEYS[6], ARGV[1]) or '0')
  return taken + size <= tonumber(ARGV[13])
end
if not fits() then
  sweep()
  if not fits() then return 'full' end
end
free(k, ARGV[1])
redis.call('HSET', KEYS[1], 'src', ARGV[2], 'uid', ARGV[3], 'createdAt', ARGV[4], 'facts', ARGV[5], 'v', 0, 'org', ARGV[10], 'exp', ARGV[14])
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('ZADD', KEYS[2], redis.call('INCR', KEYS[2] .. ':seq'), ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[14], ARGV[1])
redis.call('INCRBY', KEYS[5], ARGV[12])
redis.call('HSET', KEYS[6], ARGV[1], ARGV[12])
local n = tonumber(ARGV[15])
local i = 16
for _ = 1, n do
  redis.call('HSET', ARGV[9] .. 'irns:' .. ARGV[i], ARGV[i + 1], ARGV[i + 2])
  redis.call('HDEL', ARGV[9] .. 'irns:' .. ARGV[i] .. ':cancelled', ARGV[i + 1])
  redis.call('SADD', KEYS[4], ARGV[i])
  i = i + 3
end
local irns = ARGV[9] .. 'irns:' .. ARGV[10]
while i <= #ARGV do
  if redis.call('HEXISTS', irns, ARGV[i]) == 1 then redis.call('HSET', irns .. ':cancelled', ARGV[i], ARGV[i + 1]) end
  i = i + 2
end
return 'ok'`

/**
 * Compare-and-set of a task's facts. KEYS: task. ARGV: the creation's uid, expected version, new
 * facts. 1 written, 0 conflict (another write came first), -1 gone (removed, or another creation).
 */
const CAS_FACTS = `
local held = redis.call('HMGET', KEYS[1], 'uid', 'v')
if held[1] ~= ARGV[1] then return -1 end
if held[2] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'facts', ARGV[3], 'v', tonumber(held[2]) + 1)
return 1`

/**
 * Removes a task and frees its bytes. KEYS: task, tasks, expiry, tasks:bytes, tasks:sizes. ARGV:
 * prefix, id. The removed task's [exp, org], or an empty list.
 */
const DELETE_TASK = `${FREE}
local held = redis.call('HMGET', KEYS[1], 'exp', 'org')
free({ prefix = ARGV[1], tasks = KEYS[2], expiry = KEYS[3], bytes = KEYS[4], sizes = KEYS[5] }, ARGV[2])
if not held[1] then return {} end
return held`

/** Removes tasks and frees their bytes. KEYS: tasks, expiry, tasks:bytes, tasks:sizes. ARGV: prefix, then ids. */
const REMOVE_TASKS = `${FREE}
local k = { prefix = ARGV[1], tasks = KEYS[1], expiry = KEYS[2], bytes = KEYS[3], sizes = KEYS[4] }
for i = 2, #ARGV do free(k, ARGV[i]) end`

/**
 * Issued IRNs whose task is held. ARGV: prefix, then (org, irn, now) triples, now being the org
 * clock's. For each, the IRN's JSON and its cancellation time joined by a
 * newline, or false.
 */
const LOOKUP_IRNS = `
local out = {}
for i = 2, #ARGV, 3 do
  local now = tonumber(ARGV[i + 2])
  local key = ARGV[1] .. 'irns:' .. ARGV[i]
  local raw = redis.call('HGET', key, ARGV[i + 1])
  local found = false
  if raw then
    local taskId = string.match(raw, '"taskId":"([^"]+)"')
    local exp = taskId and redis.call('HGET', ARGV[1] .. 'task:' .. taskId, 'exp')
    if exp and tonumber(exp) > now then
      found = raw .. '\\n' .. (redis.call('HGET', key .. ':cancelled', ARGV[i + 1]) or '')
    end
  end
  out[#out + 1] = found
end
return out`

/**
 * Records journal entries, in the global list and in each one's org list (§11, `JOURNAL_SIZE`
 * each; an org list unused for 7 days is freed; a refused request enters only a list that exists,
 * see `entryOrg`). KEYS: journal, journal:seq. ARGV: size, then (org or '', refused '1' or '0',
 * entry JSON) triples.
 */
const RECORD = `
local size = tonumber(ARGV[1])
for i = 2, #ARGV, 3 do
  redis.call('RPUSH', KEYS[1], ARGV[i + 2])
  local org = KEYS[1] .. ':org:' .. ARGV[i]
  if ARGV[i] ~= '' and (ARGV[i + 1] == '0' or redis.call('EXISTS', org) == 1) then
    redis.call('RPUSH', org, ARGV[i + 2])
    redis.call('LTRIM', org, -size, -1)
    redis.call('PEXPIRE', org, 604800000)
    redis.call('SADD', KEYS[1] .. ':orgs', ARGV[i])
  end
end
redis.call('LTRIM', KEYS[1], -size, -1)
redis.call('INCR', KEYS[2])`

/**
 * Records the client report's events (§21). KEYS: report:tasks, report:seq. ARGV: prefix, the most
 * tasks kept, the pending count that asks for a compaction, then (id, createdAt, org, task JSON,
 * event JSON) quintuples. A task held with another `createdAt` (another creation) starts afresh,
 * last in order; past the most tasks kept, the first in order go. The ids whose pending events
 * reached the count.
 */
const RECORD_REPORT = `
local prefix = ARGV[1]
local due = {}
for i = 4, #ARGV, 5 do
  local key = prefix .. 'report:' .. ARGV[i]
  if redis.call('HGET', key, 'createdAt') ~= ARGV[i + 1] then
    redis.call('DEL', key, key .. ':events')
    redis.call('HSET', key, 'createdAt', ARGV[i + 1], 'org', ARGV[i + 2], 'task', ARGV[i + 3], 'v', 0)
    redis.call('ZADD', KEYS[1], redis.call('INCR', KEYS[2]), ARGV[i])
  end
  if redis.call('RPUSH', key .. ':events', ARGV[i + 4]) >= tonumber(ARGV[3]) then due[#due + 1] = ARGV[i] end
end
while redis.call('ZCARD', KEYS[1]) > tonumber(ARGV[2]) do
  local key = prefix .. 'report:' .. redis.call('ZPOPMIN', KEYS[1])[1]
  redis.call('DEL', key, key .. ':events')
end
return due`

/**
 * Compare-and-set of a task's folded report facts. KEYS: report:<id>, its events. ARGV: the
 * creation's createdAt, the expected version, the new state, how many events it folded in (they
 * leave the list). 1 written, 0 conflict.
 */
const CAS_REPORT = `
local held = redis.call('HMGET', KEYS[1], 'createdAt', 'v')
if held[1] ~= ARGV[1] or held[2] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[3], 'v', tonumber(held[2]) + 1)
redis.call('LTRIM', KEYS[2], tonumber(ARGV[4]), -1)
return 1`

/**
 * Reads tasks' report facts. ARGV: prefix, then task ids. For each id, in order, a list: its
 * `createdAt`, `v`, `task` and `state` (false when absent), then its pending events; an empty list
 * when none are held. One script: every task is read as one step.
 */
const READ_REPORTS = `
local out = {}
for i = 2, #ARGV do
  local key = ARGV[1] .. 'report:' .. ARGV[i]
  local held = redis.call('HMGET', key, 'createdAt', 'v', 'task', 'state')
  if held[1] and held[2] and held[3] then
    local events = redis.call('LRANGE', key .. ':events', 0, -1)
    table.insert(events, 1, held[4])
    table.insert(events, 1, held[3])
    table.insert(events, 1, held[2])
    table.insert(events, 1, held[1])
    out[#out + 1] = events
  else
    out[#out + 1] = {}
  end
end
return out`

interface Scripts {
  casDocs(...args: string[]): Promise<number>
  addTask(...args: string[]): Promise<string>
  casFacts(...args: string[]): Promise<number>
  deleteTask(...args: string[]): Promise<Array<string | null>>
  removeTasks(...args: string[]): Promise<null>
  lookupIrns(...args: string[]): Promise<Array<string | null>>
  record(...args: string[]): Promise<null>
  recordReport(...args: string[]): Promise<string[]>
  readReports(...args: string[]): Promise<Array<Array<string | null>>>
  casReport(...args: string[]): Promise<number>
}

/**
 * An org id as it appears in keys and key-building scripts: percent-encoded, so that no org id
 * (they are free text with AUTH_MODE=any) can name another org's keys (`org:cancelled`, `*`).
 */
const keyOrg = (orgId: string): string => encodeURIComponent(orgId)

/** Whether an error means Redis is away (as opposed to a script or data error, which is a bug). */
const unavailable = (error: unknown): boolean => (error as Error).name !== 'ReplyError'

/** The facts of one creation of a task (its `uid`) at a version, as this replica read or wrote them. */
interface KnownFacts {
  uid: string
  version: number
  facts: TaskFacts
}

/** A change to a task's facts waiting to be written, with the task its caller read. */
interface PendingChange {
  task: Task
  change: (task: Task) => TaskState
  resolve: (state: TaskState | undefined) => void
  reject: (error: unknown) => void
}

/** A task's built content (it never changes) and the newest facts this replica wrote for it. */
interface Content {
  uid: string
  task: Task
  /** The size of its source (characters of JSON), which the cache's budget counts. */
  bytes: number
  written?: KnownFacts
}

/** How much task source a replica keeps built, in characters of JSON (built content takes about 3 times that in memory). */
const CONTENT_CACHE_BYTES = 32 * 1024 * 1024

/** Facts as Redis holds them, or undefined when they are not facts. */
function parseFacts(json: string): TaskFacts | undefined {
  try {
    const facts = JSON.parse(json) as TaskFacts
    const valid = Number.isSafeInteger(facts.polls) && Number.isSafeInteger(facts.readsInPhase) && Array.isArray(facts.pollPhaseEnds)
    return valid ? facts : undefined
  } catch {
    return undefined
  }
}

/** How many task ids a page of the control API's list reads from Redis at a time. */
const PAGE_BATCH = 500

class RedisTasks implements TaskRepository {
  readonly ttlMs: number
  /** Built content by task id (a cache bounded by the size of the sources, oldest built first out). */
  readonly #content = new Map<string, Content>()
  #cachedBytes = 0
  /** The facts each task read was built with. */
  readonly #known = new WeakMap<Task, KnownFacts>()
  /** Per task id, the changes waiting for the write in progress to finish. */
  readonly #pending = new Map<string, PendingChange[]>()
  /** Task ids with a write in progress on this replica. */
  readonly #writing = new Set<string>()

  constructor(readonly store: RedisStore) {
    this.ttlMs = store.options.ttlMs
  }

  /**
   * Whether a task of `orgId` that expires at `exp` (epoch ms, as its hash holds it) has expired,
   * on that org's clock (§7, §15). No `exp` (a hash of an earlier version): expired.
   */
  #expired(exp: string | null | undefined, orgId: string | null | undefined): boolean {
    return exp == null || Number(exp) <= this.store.state.clocks.for(orgId).now()
  }

  async add(task: Task, effects: TaskEffects = {}): Promise<void> {
    const { prefix, maxTasks, maxStoreBytes } = this.store.options
    // One task's budget needs no round trip; the store's is checked and taken in the script.
    const { json: src, bytes } = measure(task, this.store.options)
    // Judged on the clock of the task's org (§15): what has expired there makes room.
    const { clocks } = this.store.state
    const now = clocks.global.now()
    const exp = task.expiresAt(this.ttlMs)
    const expireMs = Math.max(1_000, exp - clocks.for(task.orgId).now() + KEY_SLACK_MS)
    const nows = Object.fromEntries(clocks.owned().map(([org, clock]) => [keyOrg(org), clock.now()]))
    const args = [task.id, src, randomUUID(), String(task.createdAt), JSON.stringify(task.facts), String(now), String(maxTasks), String(expireMs), prefix, keyOrg(task.orgId), JSON.stringify(nows)]
    args.push(String(bytes), String(maxStoreBytes), String(exp))
    const issue = effects.issue ?? []
    args.push(String(issue.length))
    for (const issued of issue) args.push(keyOrg(issued.orgId), issued.irn, JSON.stringify({ ...issued, cancelledAt: null }))
    for (const { irn, at } of effects.cancel ?? []) args.push(irn.toLowerCase(), String(at))
    const keys = [this.store.key(`task:${task.id}`), this.store.key('tasks'), this.store.key('expiry'), this.store.key('irn-orgs'), this.store.key('tasks:bytes'), this.store.key('tasks:sizes')]
    const answer = await this.store.run((r) => r.addTask(...keys, ...args))
    if (answer === 'exists') throw new TaskExistsError(task.id)
    if (answer === 'limit') throw new TaskLimitError(maxTasks)
    if (answer === 'full') throw new StoreFullError('MAX_STORE_BYTES', maxStoreBytes, bytes, task.id)
  }

  find(id: string, orgId?: string | null): Promise<Task | undefined> {
    return this.prefetch(id)(orgId)
  }

  prefetch(id: string): (orgId?: string | null) => Promise<Task | undefined> {
    return findTask(id, (lowerId) => this.#read(lowerId))
  }

  /** Starts reading the live task held under a lower-case id, whatever its org. */
  #read(id: string): () => Promise<Task | undefined> {
    const fields = this.store.run((r) => r.hmget(this.store.key(`task:${id}`), 'uid', 'createdAt', 'facts', 'v', 'org', 'exp'))
    // A request that ends before it reads the task (a fault, a 401) leaves this unread.
    fields.catch(() => {})
    return () => this.#built(id, fields)
  }

  /** The task read as `fields`, live at the clock's now, with its content (built once, cached). */
  async #built(lower: string, fields: Promise<Array<string | null>>): Promise<Task | undefined> {
    const [uid, createdAt, facts, version, org, exp] = await fields
    const key = this.store.key(`task:${lower}`)
    if (uid == null || createdAt == null || facts == null || version == null || this.#expired(exp, decodeURIComponent(String(org)))) return undefined
    let content = this.#content.get(lower)
    if (content?.uid !== uid) {
      const [srcUid, src] = await this.store.run((r) => r.hmget(key, 'uid', 'src'))
      // Replaced or removed between the two reads: read as absent (the caller's request raced a delete).
      if (srcUid !== uid || src == null) return undefined
      const built = this.#build(lower, uid, Number(createdAt), src)
      if (!built) return undefined
      content = built
    }
    const parsed = parseFacts(facts)
    if (!parsed) return this.#corrupt(lower, 'facts')
    const known = { uid, version: Number(version), facts: parsed }
    const task = content.task.withFacts(known.facts)
    this.#known.set(task, known)
    return task
  }

  /** Builds a task's content from its source and caches it (within the byte budget). */
  #build(id: string, uid: string, createdAt: number, src: string): Content | undefined {
    let content: Content
    try {
      const { orgId, source } = JSON.parse(src) as { orgId: string; source: TaskSource }
      content = { uid, task: this.store.options.rebuild(id, orgId, createdAt, source), bytes: src.length }
    } catch {
      return this.#corrupt(id, 'source')
    }
    const budget = this.store.options.contentCacheBytes ?? CONTENT_CACHE_BYTES
    this.#uncache(id)
    if (content.bytes > budget) return content
    // The oldest built first, until the new one fits.
    for (const [oldest] of this.#content) {
      if (this.#cachedBytes + content.bytes <= budget) break
      this.#uncache(oldest)
    }
    this.#content.set(id, content)
    this.#cachedBytes += content.bytes
    return content
  }

  #uncache(id: string): void {
    const cached = this.#content.get(id)
    if (!cached) return
    this.#content.delete(id)
    this.#cachedBytes -= cached.bytes
  }

  /** A task whose data in Redis cannot be read (written by hand, or by a bug): logged, and read as absent. */
  #corrupt(id: string, field: string): undefined {
    this.store.options.log.error({ taskId: id, field }, 'a task in Redis cannot be read; it reads as absent until removed (DELETE /__admin/tasks or a reset)')
    return undefined
  }

  async list(): Promise<Task[]> {
    const ids = await this.store.run((r) => r.zrange(this.store.key('tasks'), 0, -1))
    const tasks = await Promise.all(ids.map((id) => this.#read(id)()))
    return tasks.filter((task): task is Task => task !== undefined)
  }

  async held(ids: readonly string[]): Promise<Array<{ createdAt: number; facts: TaskFacts } | undefined>> {
    const held: Array<{ createdAt: number; facts: TaskFacts } | undefined> = []
    // A pipeline a batch: many tasks without a promise each.
    for (let i = 0; i < ids.length; i += PAGE_BATCH) {
      const batch = ids.slice(i, i + PAGE_BATCH).map((id) => ['hmget', this.store.key(`task:${id}`), 'createdAt', 'facts', 'org', 'exp'])
      const answers = (await this.store.run((r) => r.pipeline(batch).exec())) as Array<[Error | null, Array<string | null>]>
      for (const [, [createdAt, facts, org, exp]] of answers as Array<[null, Array<string | null>]>) {
        const parsed = facts == null ? undefined : parseFacts(facts)
        held.push(createdAt == null || !parsed || this.#expired(exp, decodeURIComponent(String(org))) ? undefined : { createdAt: Number(createdAt), facts: parsed })
      }
    }
    return held
  }

  async page(after: number, limit: number, keep: (task: Task) => boolean): Promise<{ tasks: Task[]; next: number | null }> {
    const tasks: Task[] = []
    const positions: number[] = []
    // The tasks' set is scored by creation order; read it in batches past the cursor.
    for (let from = after; ;) {
      const batch = await this.store.run((r) => r.zrangebyscore(this.store.key('tasks'), `(${from}`, '+inf', 'WITHSCORES', 'LIMIT', 0, PAGE_BATCH))
      if (batch.length === 0) return { tasks, next: null }
      const ids = batch.filter((_, i) => i % 2 === 0)
      const read = await Promise.all(ids.map((id) => this.#read(id)()))
      for (let i = 0; i < ids.length; i++) {
        const task = read[i]
        if (!task || !keep(task)) continue
        if (tasks.length === limit) return { tasks, next: positions[limit - 1] as number }
        tasks.push(task)
        positions.push(Number(batch[2 * i + 1]))
      }
      from = Number(batch[batch.length - 1])
    }
  }

  poll(task: Task, now: number): Promise<TaskState | undefined> {
    return this.#change(task, (t) => t.recordPoll(now))
  }

  move(task: Task, status: TaskStatus, now: number): Promise<TaskState | undefined> {
    return this.#change(task, (t) => t.moveTo(status, now))
  }

  /**
   * Changes a task's facts exactly once, even with replicas (§16). Changes to one task on this
   * replica are written together: while one compare-and-set is in flight the next ones queue, and
   * go in one write after it (so concurrent polls of a task cost one round trip per batch, not
   * one each). `task` ends with the facts its change produced.
   */
  #change(task: Task, change: (task: Task) => TaskState): Promise<TaskState | undefined> {
    return new Promise((resolve, reject) => {
      const queued = this.#pending.get(task.id)
      if (queued) queued.push({ task, change, resolve, reject })
      else this.#pending.set(task.id, [{ task, change, resolve, reject }])
      if (!this.#writing.has(task.id)) void this.#flush(task.id)
    })
  }

  /** Writes the changes queued for a task, then the ones that queued meanwhile. */
  async #flush(id: string): Promise<void> {
    const batch = this.#pending.get(id) as PendingChange[]
    this.#pending.delete(id)
    this.#writing.add(id)
    try {
      await this.#write(id, batch)
    } catch (error) {
      for (const pending of batch) pending.reject(error)
    } finally {
      this.#writing.delete(id)
      if (this.#pending.has(id)) void this.#flush(id)
    }
  }

  /**
   * Applies a batch of changes, in order, to the newest facts this replica knows, and writes them
   * with a compare-and-set on the creation and version; on a conflict (another replica wrote),
   * reads the facts again and re-applies. Each change is answered: its state, its error (it
   * changed nothing), or undefined when the task its caller read is gone.
   */
  async #write(id: string, batch: readonly PendingChange[]): Promise<void> {
    // Gone: removed, expired, or created again since its callers read it.
    const gone = (): void => batch.forEach((pending) => pending.resolve(undefined))
    let base = this.#newest(id, batch)
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      if (!base) {
        const read = await this.#read(id)()
        base = read && this.#known.get(read)
      }
      const current = base
      const mine = current ? batch.filter((pending) => this.#known.get(pending.task)?.uid === current.uid) : []
      if (!current || mine.length === 0) return gone()
      const work = (mine[0] as PendingChange).task.withFacts(current.facts)
      const outcomes = mine.map(({ change }) => {
        try {
          return { state: change(work), facts: work.facts }
        } catch (error) {
          return { error }
        }
      })
      const facts = work.facts
      const written = await this.store.run((r) => r.casFacts(this.store.key(`task:${id}`), current.uid, String(current.version), JSON.stringify(facts)))
      if (written === -1) return gone()
      if (written === 1) {
        const content = this.#content.get(id)
        if (content?.uid === current.uid) content.written = { uid: current.uid, version: current.version + 1, facts }
        mine.forEach((pending, i) => {
          const outcome = outcomes[i] as { state?: TaskState; facts?: TaskFacts; error?: unknown }
          if (outcome.facts) pending.resolve(pending.task.restore(outcome.facts) && outcome.state)
          else pending.reject(outcome.error)
        })
        for (const pending of batch) if (!mine.includes(pending)) pending.resolve(undefined)
        return undefined
      }
      base = undefined
    }
    throw new StoreUnavailableError('too many concurrent writes to one task')
  }

  /** The newest facts known for the task's current creation: written here, or read by a caller. */
  #newest(id: string, batch: readonly PendingChange[]): KnownFacts | undefined {
    const content = this.#content.get(id)
    let newest = content?.written
    for (const pending of batch) {
      const known = this.#known.get(pending.task)
      if (known && known.uid === content?.uid && (!newest || known.version > newest.version)) newest = known
    }
    return newest
  }

  async delete(id: string): Promise<boolean> {
    const keys = [this.store.key(`task:${id}`), this.store.key('tasks'), this.store.key('expiry'), this.store.key('tasks:bytes'), this.store.key('tasks:sizes')]
    const [exp, org] = await this.store.run((r) => r.deleteTask(...keys, this.store.options.prefix, id))
    return exp != null && !this.#expired(exp, decodeURIComponent(String(org)))
  }

  async clear(): Promise<void> {
    const ids = await this.store.run((r) => r.zrange(this.store.key('tasks'), 0, -1))
    await this.#remove(ids)
  }

  async sweep(): Promise<string[]> {
    // Expired for some org's clock at the most; then each judged on its own org's (§15).
    const candidates = await this.store.run((r) => r.zrangebyscore(this.store.key('expiry'), '-inf', String(this.store.state.clocks.latest())))
    const held = candidates.length === 0 ? [] : await this.store.run((r) => r.pipeline(candidates.map((id) => ['hmget', this.store.key(`task:${id}`), 'exp', 'org'])).exec())
    const ids = candidates.filter((_id, i) => {
      const [exp, org] = held?.[i]?.[1] as [string | null, string | null]
      return this.#expired(exp, decodeURIComponent(String(org)))
    })
    await this.#remove(ids)
    return ids
  }

  /** Removes tasks with their bytes, 500 to a script so that no one script runs long. */
  async #remove(ids: readonly string[]): Promise<void> {
    const keys = [this.store.key('tasks'), this.store.key('expiry'), this.store.key('tasks:bytes'), this.store.key('tasks:sizes')]
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500)
      await this.store.run((r) => r.removeTasks(...keys, this.store.options.prefix, ...chunk))
    }
  }
}

class RedisIrns implements IrnRepository {
  constructor(readonly store: RedisStore) {}

  async lookup(wanted: ReadonlyArray<readonly [string, string]>): Promise<Map<string, IssuedIrn>> {
    const found = new Map<string, IssuedIrn>()
    const pairs = wanted.map(([orgId, irn]) => [orgId, irn.toLowerCase()] as const)
    const { clocks } = this.store.state
    const triples = pairs.flatMap(([orgId, irn]) => [keyOrg(orgId), irn, String(clocks.for(orgId).now())])
    const answers = await this.store.run((r) => r.lookupIrns(this.store.options.prefix, ...triples))
    answers.forEach((answer, i) => {
      if (answer === null) return
      const [orgId, irn] = pairs[i] as readonly [string, string]
      const newline = answer.lastIndexOf('\n')
      const issued = JSON.parse(answer.slice(0, newline)) as IssuedIrn
      const cancelledAt = answer.slice(newline + 1)
      found.set(`${orgId}|${irn}`, { ...issued, cancelledAt: cancelledAt === '' ? null : Number(cancelledAt) })
    })
    return found
  }

  async clear(orgId?: string | null): Promise<void> {
    if (orgId) {
      const org = keyOrg(orgId)
      await this.store.run((r) => r.multi().del(this.store.key(`irns:${org}`), this.store.key(`irns:${org}:cancelled`)).srem(this.store.key('irn-orgs'), org).exec())
      return
    }
    const orgs = await this.store.run((r) => r.smembers(this.store.key('irn-orgs')))
    const keys = orgs.flatMap((org) => [this.store.key(`irns:${org}`), this.store.key(`irns:${org}:cancelled`)])
    await this.store.run((r) => r.del(this.store.key('irn-orgs'), ...keys))
  }

  async sweep(): Promise<void> {
    const orgs = await this.store.run((r) => r.smembers(this.store.key('irn-orgs')))
    for (const org of orgs) {
      const now = this.store.state.clocks.for(decodeURIComponent(org)).now()
      const key = this.store.key(`irns:${org}`)
      const entries = Object.entries(await this.store.run((r) => r.hgetall(key)))
      // An org whose IRNs are all freed leaves the list.
      if (entries.length === 0) {
        await this.store.run((r) => r.srem(this.store.key('irn-orgs'), org))
        continue
      }
      const taskIds = entries.map(([, json]) => (JSON.parse(json) as IssuedIrn).taskId)
      const expiries = await this.store.run((r) => r.pipeline(taskIds.map((id) => ['hget', this.store.key(`task:${id}`), 'exp'])).exec())
      const dead = entries.filter((_entry, i) => {
        const exp = expiries?.[i]?.[1] as string | null
        return exp === null || Number(exp) <= now
      })
      const irns = dead.map(([irn]) => irn)
      if (irns.length > 0) await this.store.run((r) => r.pipeline().hdel(key, ...irns).hdel(`${key}:cancelled`, ...irns).exec())
    }
  }
}

class RedisJournal implements JournalRepository {
  waiting = 0
  /** Entries of this event-loop turn, written together (one command for many requests under load). */
  #batch: Array<[string, string, string]> = []
  #written: Promise<void> | undefined
  /** Whether journal entries are being lost (the store is away). */
  #lost = false

  constructor(readonly store: RedisStore) {}

  record(entry: JournalEntry): Promise<void> {
    if (this.store.options.journalSize === 0) return Promise.resolve()
    const orgId = entryOrg(entry)
    this.#batch.push([orgId === undefined ? '' : keyOrg(orgId), refused(entry) ? '1' : '0', JSON.stringify(entry)])
    this.#written ??= new Promise((resolve) => setImmediate(resolve)).then(() => this.#write())
    return this.#written
  }

  async #write(): Promise<void> {
    const entries = this.#batch
    this.#batch = []
    this.#written = undefined
    const size = String(this.store.options.journalSize)
    try {
      // Large turns go in chunks, so that no one script runs long.
      for (let i = 0; i < entries.length; i += 1_000) {
        await this.store.run((r) => r.record(this.store.key('journal'), this.store.key('journal:seq'), size, ...entries.slice(i, i + 1_000).flat()))
      }
    } catch (error) {
      // Once per outage, not once per turn.
      if (!this.#lost) this.store.options.log.warn({ err: error }, 'requests are not journaled while the store is unavailable')
      this.#lost = true
      return
    }
    this.#lost = false
  }

  async list(filter: JournalFilter = {}): Promise<JournalEntry[]> {
    // Entries recorded on this replica but not yet written come first (a read after an answer sees it).
    await this.#written
    const raw = await this.store.run((r) => r.lrange(this.#key(filter.orgId), 0, -1))
    return raw.map((json) => JSON.parse(json) as JournalEntry).filter((e) => filter.path === undefined || e.url.startsWith(filter.path))
  }

  /** The list a filter reads: an org's, or the global one. */
  #key(orgId: string | null | undefined): string {
    return this.store.key(orgId ? `journal:org:${keyOrg(orgId)}` : 'journal')
  }

  async clear(orgId?: string | null): Promise<void> {
    if (orgId) {
      await this.store.run((r) => r.del(this.#key(orgId)))
      return
    }
    const orgs = await this.store.run((r) => r.smembers(this.store.key('journal:orgs')))
    await this.store.run((r) => r.del(this.#key(null), this.store.key('journal:orgs'), ...orgs.map((org) => this.store.key(`journal:org:${org}`))))
  }

  async waitFor(filter: JournalFilter, count: number, timeoutMs: number, signal?: AbortSignal): Promise<JournalEntry[] | null> {
    this.waiting++
    try {
      return await this.#waitFor(filter, count, timeoutMs, signal)
    } finally {
      this.waiting--
    }
  }

  async #waitFor(filter: JournalFilter, count: number, timeoutMs: number, signal?: AbortSignal): Promise<JournalEntry[] | null> {
    const deadline = performance.now() + timeoutMs
    let seen: string | null | undefined
    for (;;) {
      const seq = await this.store.run((r) => r.get(this.store.key('journal:seq')))
      if (seq !== seen) {
        seen = seq
        const matching = await this.list(filter)
        if (matching.length >= count) return matching
      }
      const left = deadline - performance.now()
      if (left <= 0 || signal?.aborted) return null
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer)
          signal?.removeEventListener('abort', done)
          resolve()
        }
        const timer = setTimeout(done, Math.min(WAIT_POLL_MS, left))
        signal?.addEventListener('abort', done)
      })
      if (signal?.aborted) return null
    }
  }
}

/** Pending report events of a task that ask for a compaction into its state. */
const REPORT_COMPACT_AT = 100
/** How many tasks' report facts one transaction reads. */
const REPORT_READ_BATCH = 500

/** What Redis holds of a task's report facts: its task, its folded state (if any) and the events since. */
interface HeldReport {
  createdAt: string
  version: string
  task: ReportTask
  state: ReportFacts | undefined
  events: string[]
}

/**
 * The client report's facts (§21). Events are appended (a batch per event-loop turn, like the
 * journal) and folded when read; a task's events are folded into its stored state once
 * {@link REPORT_COMPACT_AT} are pending, so that what a task holds stays bounded.
 */
class RedisReport implements ReportRepository {
  #batch: string[] = []
  /** Whether a write of the batch is scheduled. */
  #scheduled = false
  /** The writes, one after the other: settled once everything recorded so far is written. */
  #written: Promise<void> = Promise.resolve()
  #lost = false
  /** Tasks this replica is compacting. */
  readonly #compacting = new Set<string>()

  constructor(readonly store: RedisStore) {}

  record(task: ReportTask, event: ReportEvent): Promise<void> {
    // A creation is the task's createdAt and org: another org making a task again under the same
    // id at the same instant starts afresh, and never reads the first org's facts (§15).
    this.#batch.push(task.id, `${task.createdAt} ${encodeURIComponent(task.orgId)}`, task.orgId, JSON.stringify(task), JSON.stringify(event))
    if (!this.#scheduled) {
      this.#scheduled = true
      // After the write in progress (one at a time, so that a read waits for them all), in a later turn.
      this.#written = this.#written.then(() => new Promise((resolve) => setImmediate(resolve))).then(() => this.#write())
    }
    return this.#written
  }

  async #write(): Promise<void> {
    const args = this.#batch
    this.#batch = []
    this.#scheduled = false
    const keys = [this.store.key('report:tasks'), this.store.key('report:seq')]
    try {
      // Large turns go in chunks, so that no one script runs long.
      for (let i = 0; i < args.length; i += 5_000) {
        const due = await this.store.run((r) => r.recordReport(...keys, this.store.options.prefix, String(MAX_REPORT_TASKS), String(REPORT_COMPACT_AT), ...args.slice(i, i + 5_000)))
        for (const id of due) void this.compact(id)
      }
    } catch (error) {
      if (!this.#lost) this.store.options.log.warn({ err: error }, 'requests are not kept for the client report while the store is unavailable')
      this.#lost = true
      return
    }
    this.#lost = false
  }

  /** The report key of a task. */
  #key(id: string): string {
    return this.store.key(`report:${id}`)
  }

  /**
   * Reads tasks' report facts, each in one atomic step with its pending events (a batch of tasks a
   * script), in the order given.
   * @returns undefined for a task none are held of
   */
  async #read(ids: readonly string[]): Promise<Array<HeldReport | undefined>> {
    const held: Array<HeldReport | undefined> = []
    for (let i = 0; i < ids.length; i += REPORT_READ_BATCH) {
      const answers = await this.store.run((r) => r.readReports(this.store.options.prefix, ...ids.slice(i, i + REPORT_READ_BATCH)))
      for (const [createdAt, version, task, state, ...events] of answers) {
        held.push(task == null ? undefined : { createdAt: createdAt as string, version: version as string, task: JSON.parse(task) as ReportTask, state: state == null ? undefined : (JSON.parse(state) as ReportFacts), events: events as string[] })
      }
    }
    return held
  }

  /** Folds a task's events into its state (a task held has one or the other, or both). */
  #fold(held: HeldReport): ReportFacts {
    let facts = held.state
    for (const event of held.events) facts = foldEvent(facts, held.task, JSON.parse(event) as ReportEvent)
    return facts as ReportFacts
  }

  /**
   * Folds a task's pending events into its stored state, so that what it holds stays bounded.
   * Never throws: when another replica compacted first, or the store is away, the events stay and
   * are folded when read (and the next record asks again).
   * @internal the record path calls it
   */
  async compact(id: string): Promise<void> {
    if (this.#compacting.has(id)) return
    this.#compacting.add(id)
    try {
      const [held] = await this.#read([id])
      if (!held) return
      const key = this.#key(id)
      await this.store.run((r) => r.casReport(key, `${key}:events`, held.createdAt, held.version, JSON.stringify(this.#fold(held)), String(held.events.length)))
    } catch {
      // Away: see above.
    } finally {
      this.#compacting.delete(id)
    }
  }

  async list(filter: ReportFilter = {}): Promise<ReportFacts[]> {
    // Requests answered on this replica but not yet written come first.
    await this.#written
    const ids = filter.taskId === undefined ? await this.store.run((r) => r.zrange(this.store.key('report:tasks'), 0, -1)) : [filter.taskId]
    const held = await this.#read(ids)
    const facts: ReportFacts[] = []
    for (const report of held) {
      if (report && (!filter.orgId || report.task.orgId === filter.orgId)) facts.push(this.#fold(report))
    }
    return facts
  }

  async clear(orgId?: string | null): Promise<void> {
    await this.#written
    const all = await this.store.run((r) => r.zrange(this.store.key('report:tasks'), 0, -1))
    for (let i = 0; i < all.length; i += REPORT_READ_BATCH) {
      let ids = all.slice(i, i + REPORT_READ_BATCH)
      if (orgId) {
        const orgs = (await this.store.run((r) => ids.reduce((multi, id) => multi.hget(this.#key(id), 'org'), r.multi()).exec())) as Array<[null, string | null]>
        ids = ids.filter((_id, k) => (orgs[k] as [null, string | null])[1] === orgId)
      }
      if (ids.length === 0) continue
      const keys = ids.flatMap((id) => [this.#key(id), `${this.#key(id)}:events`])
      await this.store.run((r) => r.multi().del(...keys).zrem(this.store.key('report:tasks'), ...ids).exec())
    }
  }
}

/** All state in Redis (see the module comment). */
export class RedisStore implements Store {
  readonly kind = 'redis'
  readonly tasks: RedisTasks
  readonly irns: RedisIrns
  readonly journal: RedisJournal
  readonly report: RedisReport
  readonly #redis: Redis
  readonly #scripts: Scripts
  /** The version of each shared document this replica's copy holds ('' when Redis has none). */
  readonly #versions = new Map<DocName, string>()
  /** Document writes of this replica, one at a time (they would only conflict with each other). */
  #updates: Promise<unknown> = Promise.resolve()
  #timeRefresh: NodeJS.Timeout | undefined
  #closed = false
  /** Whether open succeeded. */
  #opened = false
  /** Whether the last command timed out (see {@link available}). */
  #stalled = false
  /** The last connection error's message (ioredis rejects `connect` with a vaguer one). */
  #lastError = 'no answer'
  /** Whether the connection may let the process exit (see {@link unref}). */
  #unref = false

  constructor(
    readonly state: SharedState,
    readonly options: RedisStoreOptions
  ) {
    this.#redis = new Redis(options.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      enableAutoPipelining: true,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      commandTimeout: options.commandTimeoutMs ?? 2_000,
      // Reconnects for ever, at most a second apart (§16: it reconnects by itself).
      retryStrategy: (times) => Math.min(times * 100, 1_000)
    })
    let reported = false
    this.#redis.on('error', (error: Error) => {
      this.#lastError = error.message
    })
    this.#redis.on('close', () => {
      // Before open succeeds, a failure is open's to report (start-up prints one line).
      if (reported || this.#closed || !this.#opened) return
      reported = true
      options.log.warn('the Redis store is unavailable; reconnecting')
    })
    this.#redis.on('connect', () => {
      if (this.#unref) this.#redis.stream.unref()
    })
    this.#redis.on('ready', () => {
      if (reported) options.log.info('the Redis store is available again')
      reported = false
    })
    const redis = this.#redis as unknown as Record<string, unknown> & Redis
    redis.defineCommand('casDocs', { lua: CAS_DOCS })
    redis.defineCommand('addTask', { numberOfKeys: 6, lua: ADD_TASK })
    redis.defineCommand('casFacts', { numberOfKeys: 1, lua: CAS_FACTS })
    redis.defineCommand('deleteTask', { numberOfKeys: 5, lua: DELETE_TASK })
    redis.defineCommand('removeTasks', { numberOfKeys: 4, lua: REMOVE_TASKS })
    redis.defineCommand('lookupIrns', { numberOfKeys: 0, lua: LOOKUP_IRNS })
    redis.defineCommand('record', { numberOfKeys: 2, lua: RECORD })
    redis.defineCommand('recordReport', { numberOfKeys: 2, lua: RECORD_REPORT })
    redis.defineCommand('casReport', { numberOfKeys: 2, lua: CAS_REPORT })
    redis.defineCommand('readReports', { numberOfKeys: 0, lua: READ_REPORTS })
    this.#scripts = redis as unknown as Scripts
    this.tasks = new RedisTasks(this)
    this.irns = new RedisIrns(this)
    this.journal = new RedisJournal(this)
    this.report = new RedisReport(this)
  }

  async ready(): Promise<boolean> {
    if (this.#redis.status !== 'ready') return false
    if (!this.#stalled) return true
    // The last command timed out: ready again once Redis answers (run clears the mark).
    return this.run((r) => r.ping()).then(
      () => true,
      () => false
    )
  }

  /**
   * Lets the process exit while connected, now and after reconnects (for test suites whose apps
   * are not all closed; a server keeps its connection referenced).
   */
  unref(): void {
    this.#unref = true
    this.#redis.stream.unref()
  }

  /** A key under the prefix. */
  key(name: string): string {
    return this.options.prefix + name
  }

  /**
   * Runs commands; any failure to reach Redis becomes a {@link StoreUnavailableError}.
   * @internal for the repositories
   */
  async run<T>(commands: (redis: Redis & Scripts) => Promise<T>): Promise<T> {
    try {
      const answer = await commands(this.#redis as Redis & Scripts)
      this.#stalled = false
      return answer
    } catch (error) {
      if (!unavailable(error)) throw error
      // A connection that is up but answers nothing (a Redis paused or overloaded): not ready until it answers again.
      if ((error as Error).message === 'Command timed out') this.#stalled = true
      throw new StoreUnavailableError((error as Error).message)
    }
  }

  async open(): Promise<void> {
    try {
      await this.#redis.connect()
      this.#opened = true
    } catch {
      this.#closed = true
      this.#redis.disconnect()
      throw new StoreUnavailableError(`cannot reach ${redactUrl(this.options.url)}: ${this.#lastError}`)
    }
    await this.#readTime()
    if (this.options.time) {
      this.#timeRefresh = setInterval(() => void this.#readTime().catch(() => {}), this.options.timeRefreshMs ?? 10_000)
      this.#timeRefresh.unref()
    }
    await this.sync()
  }

  async #readTime(): Promise<void> {
    if (!this.options.time) return
    const [seconds, micros] = await this.run((r) => r.time())
    this.options.time.update(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000))
  }

  async close(): Promise<void> {
    this.#closed = true
    clearInterval(this.#timeRefresh)
    if (this.#redis.status === 'ready') await this.#redis.quit().catch(() => {})
    this.#redis.disconnect()
  }

  async sync(): Promise<void> {
    const names = ALL_DOCS
    const versions = await this.run((r) => r.mget(...names.map((name) => this.key(`ver:${name}`))))
    const stale = names.filter((name, i) => (versions[i] ?? '') !== (this.#versions.get(name) ?? ''))
    if (stale.length > 0) await this.#load(stale)
  }

  /** Reads documents with their versions (one atomic MGET) into this replica's copy. */
  async #load(names: readonly DocName[]): Promise<Map<DocName, string>> {
    const raw = await this.run((r) => r.mget(...names.flatMap((name) => [this.key(`ver:${name}`), this.key(`doc:${name}`)])))
    const read = new Map<DocName, string>()
    names.forEach((name, i) => {
      const version = raw[2 * i] ?? ''
      const doc = raw[2 * i + 1]
      if (version !== '' && doc) this.#restore(name, doc)
      this.#versions.set(name, version)
      read.set(name, version)
    })
    return read
  }

  /**
   * Takes a document read from Redis into this replica's copy. One that cannot be read (written
   * by hand, or by a bug) is logged and skipped: the replica keeps its copy, and the next write of
   * that document (e.g. `POST /__admin/reset`) replaces it, instead of every request failing.
   */
  #restore(name: DocName, doc: string): void {
    let parsed: SharedDocs[DocName]
    try {
      parsed = JSON.parse(doc) as SharedDocs[DocName]
      // Tried on a scratch copy first, so that a bad document changes nothing.
      this.state.copy([]).restore(name, parsed)
    } catch (error) {
      this.options.log.error({ err: { message: (error as Error).message }, document: name }, 'a shared document in Redis cannot be read; keeping this replica\'s copy until it is written again')
      return
    }
    this.state.restore(name, parsed)
  }

  update<R>(names: readonly DocName[], fn: (state: SharedState) => R): Promise<R> {
    const run = this.#updates.then(async () => {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const read = await this.#load(names)
        // The clock comes along: documents read it (a session's expiry), and it is cheap to copy.
        const copy = this.state.copy(names.includes('clock') ? names : ['clock', ...names])
        const result = fn(copy)
        const next = names.map(() => randomUUID())
        const written = await this.run((r) =>
          r.casDocs(
            String(names.length * 2),
            ...names.map((name) => this.key(`ver:${name}`)),
            ...names.map((name) => this.key(`doc:${name}`)),
            ...names.map((name) => read.get(name) as string),
            ...next,
            ...names.map((name) => JSON.stringify(copy.snapshot(name)))
          )
        )
        if (written === 1) {
          names.forEach((name, i) => {
            this.state.restore(name, copy.snapshot(name))
            this.#versions.set(name, next[i] as string)
          })
          return result
        }
      }
      throw new StoreUnavailableError('too many concurrent writes to the shared documents')
    })
    this.#updates = run.catch(() => {})
    return run
  }

  async replace(names: readonly DocName[], state: SharedState): Promise<void> {
    const docs = names.map((name) => JSON.stringify(state.snapshot(name)))
    await this.update(names, (copy) => {
      names.forEach((name, i) => copy.restore(name, JSON.parse(docs[i] as string) as SharedDocs[DocName]))
    })
  }

  async claimSeed(policy: SeedPolicy): Promise<boolean> {
    if (policy === 'never') return false
    const marker = this.key('seeded')
    if (policy === 'always') {
      await this.run((r) => r.set(marker, '1'))
      return true
    }
    return (await this.run((r) => r.set(marker, '1', 'NX'))) === 'OK'
  }
}

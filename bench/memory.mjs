// `npm run bench:memory`: resident memory per held task (issue 13 item 5). Builds the app in this
// process (memory store, no logger, no sweep), adds TASKS tasks through the mock's own step for
// control-API tasks (taskFromSpec + addTask, what POST /__admin/tasks does after parsing), forces a
// GC and prints (RSS after - RSS before) / TASKS, with the JS heap's share. The baseline is taken
// after WARMUP tasks more: what the first tasks load (validators, code compiled on first use) is
// not a task's memory, and a build that loads more of it lazily would otherwise read worse. Read one task back
// through the store's lookup to check they are held. Target: at most 566 bytes per task, the figure
// measured when the issue was filed.
//   TASKS=200000 npm run bench:memory        BENCH_DIST=<another build's dist> compares a build
import { spawnSync } from 'node:child_process'
import { pathToFileURL } from 'node:url'
import { resolve } from 'node:path'

/** The task specs measured: the smallest one (what the 566 bytes was measured with) and one with a small result. */
const SPECS = {
  minimal: () => ({}),
  'small result': (i) => ({ kind: 'bench', result: { n: i } })
}

// Each kind of task in a fresh process of its own, with --expose-gc.
if (process.env.BENCH_SPEC === undefined) {
  for (const spec of Object.keys(SPECS)) {
    const child = spawnSync(process.execPath, ['--expose-gc', ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, BENCH_SPEC: spec } })
    if (child.status !== 0) process.exit(child.status ?? 1)
  }
  process.exit(0)
}
const makeSpec = SPECS[process.env.BENCH_SPEC]

const dist = pathToFileURL(resolve(process.env.BENCH_DIST ?? new URL('../dist', import.meta.url).pathname)).href
const count = Number(process.env.TASKS ?? 200_000)
const WARMUP = 1_000
const TARGET = 566
const { buildApp } = await import(`${dist}/app.js`)
const { taskFromSpec } = await import(`${dist}/task-spec.js`)

const app = await buildApp({ settings: { maxTasks: count + WARMUP + 100, maxStoreBytes: 64 * 1024 ** 3, logLevel: 'silent' }, logger: false, sweepIntervalMs: 0 })
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    globalThis.gc()
    await new Promise((r) => setImmediate(r))
  }
  return process.memoryUsage()
}
for (let i = 0; i < WARMUP; i++) await app.mock.addTask(taskFromSpec(makeSpec(i), app.mock.specDefaults()))
const before = await settle()
const ids = []
for (let i = 0; i < count; i++) {
  const task = taskFromSpec(makeSpec(i), app.mock.specDefaults())
  await app.mock.addTask(task)
  if (i % 50_000 === 0) ids.push(task.id)
}
const after = await settle()
for (const id of ids) if (!(await app.mock.store.tasks.find(id))) throw new Error(`task ${id} not held`)
const perTask = (after.rss - before.rss) / count
const heapPerTask = (after.heapUsed - before.heapUsed) / count
console.log(`${count} tasks (${process.env.BENCH_SPEC} spec) held: RSS ${(before.rss / 2 ** 20).toFixed(0)} -> ${(after.rss / 2 ** 20).toFixed(0)} MiB, ${perTask.toFixed(0)} bytes per task (JS heap ${(before.heapUsed / 2 ** 20).toFixed(1)} -> ${(after.heapUsed / 2 ** 20).toFixed(1)} MiB, ${heapPerTask.toFixed(0)} bytes per task); target <= ${TARGET}: ${perTask <= TARGET ? 'met' : 'NOT met'}`.replace(/; target.*/, process.env.BENCH_SPEC === 'minimal' ? '$&' : ''))
await app.close()

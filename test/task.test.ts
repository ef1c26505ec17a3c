import t from 'tap'
import { InvalidTransitionError, Task, type Phase, type TaskInit } from '../src/task.js'

const T = 1_000_000

function task(timeline: Phase[], extra: Partial<TaskInit> = {}): Task {
  return new Task({
    id: 'c0000000-0000-4000-8000-000000000001',
    orgId: 'org',
    kind: 'generic',
    jobs: 1,
    createdAt: T,
    timeline,
    outcome: 'completed',
    result: { ok: true },
    pages: null,
    files: [],
    ...extra
  })
}

t.test('an empty timeline holds the outcome from creation', async (t) => {
  t.same(task([]).observe(T), { status: 'completed', jobs: { total: 1, pending: 0 }, phaseEndsAt: null, finishedAt: T })
  t.same(task([], { outcome: 'failed', jobs: 5 }).observe(T + 1), { status: 'failed', jobs: { total: 5, pending: 5 }, phaseEndsAt: null, finishedAt: T })
})

t.test('a time-driven timeline crosses its phases at exact ms boundaries', async (t) => {
  const x = task([{ status: 'queued', ms: 1000 }, { status: 'processing', ms: 4000 }], { jobs: 4 })
  t.same(x.observe(T), { status: 'queued', jobs: { total: 4, pending: 4 }, phaseEndsAt: T + 1000, finishedAt: null })
  t.equal(x.observe(T + 999).status, 'queued')
  t.same(x.observe(T + 1000), { status: 'processing', jobs: { total: 4, pending: 4 }, phaseEndsAt: T + 5000, finishedAt: null })
  t.same(x.observe(T + 2000).jobs, { total: 4, pending: 3 }, 'a quarter through: ceil(4 × 0.75)')
  t.same(x.observe(T + 2001).jobs, { total: 4, pending: 3 })
  t.same(x.observe(T + 4999).jobs, { total: 4, pending: 1 }, 'never 0 before the end')
  t.same(x.observe(T + 5000), { status: 'completed', jobs: { total: 4, pending: 0 }, phaseEndsAt: null, finishedAt: T + 5000 })
  t.same(x.observe(T - 10).status, 'queued', 'before creation: the first phase')
})

t.test('pending counts finished processing phases (p = (i + f) / k)', async (t) => {
  const x = task([{ status: 'processing', ms: 1000 }, { status: 'processing', ms: 1000 }], { jobs: 10 })
  t.equal(x.observe(T).jobs.pending, 10)
  t.equal(x.observe(T + 500).jobs.pending, 8, 'ceil(10 × (1 − 0.25)) = 8')
  t.equal(x.observe(T + 1000).jobs.pending, 5, 'one of two phases done')
  t.equal(x.observe(T + 1500).jobs.pending, 3, 'ceil(10 × 0.25) = 3')
  t.equal(x.observe(T + 2000).jobs.pending, 0)
})

t.test('a polls phase ends at read N + 1, which sees the next phase', async (t) => {
  const x = task([{ status: 'processing', polls: 2 }], { jobs: 2 })
  t.same(x.observe(T).status, 'processing', 'observing is not polling')
  t.same(x.recordPoll(T + 1), { status: 'processing', jobs: { total: 2, pending: 1 }, phaseEndsAt: null, finishedAt: null })
  t.same(x.observe(T + 2).jobs, { total: 2, pending: 1 }, 'other routes see the polls phase')
  t.same(x.recordPoll(T + 3).status, 'processing', 'read 2')
  t.same(x.observe(T + 4).status, 'processing', 'still processing for download/result until read 3')
  t.same(x.recordPoll(T + 5), { status: 'completed', jobs: { total: 2, pending: 0 }, phaseEndsAt: null, finishedAt: T + 5 })
  t.same(x.observe(T + 6).status, 'completed')
  t.equal(x.polls, 3)
  x.recordPoll(T + 7)
  t.equal(x.polls, 4, 'reads after the end still count as polls')
})

t.test('the default-like timeline: the first read says processing, later ones completed', async (t) => {
  const x = task([{ status: 'processing', polls: 1 }])
  t.equal(x.recordPoll(T).status, 'processing')
  t.equal(x.recordPoll(T).status, 'completed')
})

t.test('polls phases chain, the ending read counting as the first of the next', async (t) => {
  const x = task([{ status: 'queued', polls: 1 }, { status: 'processing', polls: 1 }, { status: 'processing', ms: 100 }])
  t.equal(x.recordPoll(T).status, 'queued')
  t.equal(x.recordPoll(T + 10).status, 'processing', 'read 2 ends queued and is read 1 of processing')
  const third = x.recordPoll(T + 20)
  t.same([third.status, third.phaseEndsAt], ['processing', T + 120], 'read 3 starts the ms phase at its own time')
  t.equal(x.observe(T + 119).status, 'processing')
  t.same(x.observe(T + 120), { status: 'completed', jobs: { total: 1, pending: 0 }, phaseEndsAt: null, finishedAt: T + 120 })
})

t.test('an open-ended phase lasts until moved; pending does not progress', async (t) => {
  const x = task([{ status: 'processing' }], { jobs: 10 })
  t.same(x.observe(T + 10 ** 9), { status: 'processing', jobs: { total: 10, pending: 10 }, phaseEndsAt: null, finishedAt: null })
  t.equal(x.recordPoll(T + 1).status, 'processing')
})

t.test('a failed outcome keeps pending, at least 1; with no processing phase it is the total', async (t) => {
  const x = task([{ status: 'processing', ms: 100 }], { outcome: 'failed', jobs: 3 })
  t.same(x.observe(T + 100), { status: 'failed', jobs: { total: 3, pending: 1 }, phaseEndsAt: null, finishedAt: T + 100 })
  const q = task([{ status: 'queued', ms: 100 }], { outcome: 'failed', jobs: 3 })
  t.same(q.observe(T + 100).jobs, { total: 3, pending: 3 })
})

t.test('moves: forward only, open-ended, freezing pending; terminal states stay', async (t) => {
  const x = task([{ status: 'queued', ms: 1000 }, { status: 'processing', ms: 1000 }], { jobs: 4 })
  t.same(x.moveTo('processing', T + 10), { status: 'processing', jobs: { total: 4, pending: 4 }, phaseEndsAt: null, finishedAt: null }, 'from queued, frozen at the total')
  t.equal(x.observe(T + 10 ** 6).status, 'processing', 'open-ended after the move')
  t.same(x.moveTo('processing', T + 20).status, 'processing', 'a move to the same state is allowed')
  x.recordPoll(T + 30)
  t.equal(x.polls, 1, 'polls still count after a move')
  t.same(x.moveTo('completed', T + 40), { status: 'completed', jobs: { total: 4, pending: 0 }, phaseEndsAt: null, finishedAt: T + 40 })
  for (const to of ['processing', 'failed', 'completed', 'queued'] as const) {
    const error = t.throws(() => x.moveTo(to, T + 50)) as InvalidTransitionError
    t.ok(error instanceof InvalidTransitionError, `completed -> ${to}`)
    t.same([error.code, error.from, error.to], ['ERR_INVALID_TRANSITION', 'completed', to])
  }
})

t.test('a move to failed mid-processing keeps the pending of that moment, at least 1', async (t) => {
  const x = task([{ status: 'processing', ms: 1000 }], { jobs: 10 })
  t.same(x.moveTo('failed', T + 500).jobs, { total: 10, pending: 5 })
  t.same(x.observe(T + 10_000).finishedAt, T + 500)
  const late = task([{ status: 'processing', ms: 1000 }], { jobs: 10 })
  t.same(late.moveTo('failed', T + 999).jobs, { total: 10, pending: 1 })
  const processing = task([{ status: 'processing', ms: 1000 }], { jobs: 10 })
  t.same(processing.moveTo('processing', T + 500).jobs, { total: 10, pending: 5 }, 'a move to processing freezes pending')
  t.same(processing.observe(T + 900).jobs, { total: 10, pending: 5 })
})

t.test('a move backwards is refused', async (t) => {
  const x = task([{ status: 'processing' }])
  t.throws(() => x.moveTo('queued', T), { code: 'ERR_INVALID_TRANSITION', from: 'processing', to: 'queued' })
  const done = task([])
  t.throws(() => done.moveTo('failed', T), { code: 'ERR_INVALID_TRANSITION', from: 'completed', to: 'failed' })
})

t.test('result: the task result, or {pages} for a paged task; expiry at the TTL', async (t) => {
  t.same(task([]).result, { ok: true })
  const paged = task([], { pages: { count: 7, page: (k) => ({ k }) } })
  t.same(paged.result, { pages: 7 })
  t.equal(paged.isExpired(T + 999, 1000), false)
  t.equal(paged.isExpired(T + 1000, 1000), true)
})

t.test('a timeline with no processing phase keeps pending at the total', async (t) => {
  const x = task([{ status: 'queued', ms: 100 }], { jobs: 6 })
  t.same(x.observe(T + 50).jobs, { total: 6, pending: 6 })
  t.same(x.observe(T + 100).jobs, { total: 6, pending: 0 })
})

t.test('pending never exceeds the total, even where floating point loses precision', async (t) => {
  const x = task([{ status: 'processing', ms: 897998815105831 }], { jobs: 788020213 })
  t.same(x.observe(T).jobs, { total: 788020213, pending: 788020213 })
})

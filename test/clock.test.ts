import t from 'tap'
import { ClockBackwardsError, ControlledClock, FollowedTime, MAX_TIME_MS } from '../src/clock.js'
import { parseDateTime } from '../src/validation.js'

t.test('system mode follows system time plus the offset', async (t) => {
  let system = 1_000
  const clock = new ControlledClock({ system: () => system })
  t.equal(clock.mode, 'system')
  t.equal(clock.now(), 1_000)
  system = 1_500
  t.equal(clock.now(), 1_500)
})

t.test('a system clock given a start keeps that offset', async (t) => {
  let system = 1_000
  const clock = new ControlledClock({ system: () => system, start: 5_000 })
  t.equal(clock.now(), 5_000)
  system = 1_010
  t.equal(clock.now(), 5_010)
})

t.test('advance and set freeze the clock; set never goes backwards', async (t) => {
  let system = 1_000
  const clock = new ControlledClock({ system: () => system })
  t.equal(clock.advance(500), 1_500)
  t.equal(clock.mode, 'manual')
  system = 9_000
  t.equal(clock.now(), 1_500, 'frozen')
  t.equal(clock.set(2_000), 2_000)
  t.equal(clock.set(2_000), 2_000, 'setting now itself is allowed')
  const error = t.throws(() => clock.set(1_999)) as ClockBackwardsError
  t.ok(error instanceof ClockBackwardsError)
  t.equal(error.code, 'ERR_CLOCK_BACKWARDS')
  t.equal(clock.now(), 2_000)
})

t.test('system mode resumes from the current now, keeping the offset', async (t) => {
  let system = 1_000
  const clock = new ControlledClock({ system: () => system })
  clock.advance(10_000)
  system = 2_000
  clock.setMode('system')
  t.equal(clock.now(), 11_000, 'resumes where it stood')
  system = 2_500
  t.equal(clock.now(), 11_500, 'at system pace')
  clock.setMode('system')
  t.equal(clock.now(), 11_500, 'same mode changes nothing')
  clock.setMode('manual')
  system = 9_999
  t.equal(clock.now(), 11_500, 'manual freezes at now')
})

t.test('reset clears the offset and returns to system mode', async (t) => {
  let system = 1_000
  const clock = new ControlledClock({ system: () => system, mode: 'manual', start: 50_000 })
  t.equal(clock.now(), 50_000)
  clock.reset()
  t.equal(clock.mode, 'system')
  system = 1_200
  t.equal(clock.now(), 1_200)
})

t.test('the default system clock reads real time', async (t) => {
  const before = Date.now()
  const now = new ControlledClock().now()
  t.ok(now >= before && now <= Date.now())
})

t.test('followed time (Redis TIME, §16) runs on from each reading and never steps back', async (t) => {
  const time = new FollowedTime(9_000_000)
  const first = time.now()
  t.ok(first >= 9_000_000 && first < 9_000_000 + 1_000, 'starts at this host\'s time')
  time.update(1_000_000)
  t.ok(time.now() >= 1_000_000 && time.now() < 1_000_000 + 1_000, 'the first reading is taken as it is, even earlier')
  time.update(5_000_000)
  t.ok(time.now() >= 5_000_000 && time.now() < 5_000_000 + 1_000, 'a later reading moves it forward')
  time.update(2_000_000)
  t.ok(time.now() >= 5_000_000, 'an earlier one does not move it back')
  const clock = new ControlledClock({ system: time.now })
  t.ok(clock.now() >= 5_000_000 && clock.now() < 5_000_000 + 1_000, 'a system clock on it reads it')
})

t.test('the clock never goes past MAX_TIME_MS', async (t) => {
  const clock = new ControlledClock({ mode: 'manual', start: MAX_TIME_MS - 10 })
  t.throws(() => clock.advance(11), { code: 'ERR_CLOCK_RANGE', requested: MAX_TIME_MS + 1 })
  t.equal(clock.advance(10), MAX_TIME_MS)
})

t.test('parseDateTime reads real ISO-8601 instants only', async (t) => {
  const cases: Array<[string, number | undefined]> = [
    ['2026-01-15T10:00:00Z', Date.UTC(2026, 0, 15, 10)],
    ['2026-01-15T10:00Z', Date.UTC(2026, 0, 15, 10)],
    ['2026-01-15T15:30:00.5+05:30', Date.UTC(2026, 0, 15, 10, 0, 0, 500)],
    ['2026-01-15T05:00:00.123-05:00', Date.UTC(2026, 0, 15, 10, 0, 0, 123)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['2026-02-29T00:00:00Z', undefined],
    ['2026-13-01T00:00:00Z', undefined],
    ['2026-01-01T24:00:00Z', undefined],
    ['2026-01-01T10:60:00Z', undefined],
    ['2026-01-01T10:00:60Z', undefined],
    ['2026-01-01T10:00:00+05:60', undefined],
    ['2026-01-01T10:00:00', undefined],
    ['2026-01-01', undefined],
    ['0050-01-01T00:00:00Z', undefined]
  ]
  for (const [text, ms] of cases) t.equal(parseDateTime(text), ms, text)
})

import t from 'tap'
import { ClockBackwardsError, ControlledClock } from '../src/clock.js'

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

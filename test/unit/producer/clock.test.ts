/** RecordClock: reads Date.now() rarely within a synchronous burst, and fresh after any await. */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { RecordClock } from '../../../src/producer/clock.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('RecordClock', () => {
  it('reads the system clock once per 32 calls within one synchronous burst', () => {
    const clock = new RecordClock()
    const spy = vi.spyOn(Date, 'now')
    for (let i = 0; i < 320; i++) clock.now()
    expect(spy.mock.calls.length).toBeGreaterThanOrEqual(10)
    expect(spy.mock.calls.length).toBeLessThanOrEqual(11)
  })

  it('never returns a reading from an earlier turn of the event loop', async () => {
    const clock = new RecordClock()
    clock.now()
    await new Promise((r) => setTimeout(r, 20))
    const before = Date.now()
    expect(clock.now()).toBeGreaterThanOrEqual(before)
    await Promise.resolve()
    await Promise.resolve()
    const before2 = Date.now()
    expect(clock.now()).toBeGreaterThanOrEqual(before2)
  })
})

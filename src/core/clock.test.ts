import { describe, expect, it } from 'vitest'
import { ManualClock, systemClock } from './clock.ts'

describe('clocks', () => {
  it('ManualClock moves only when told', () => {
    const c = new ManualClock(1000)
    expect(c.now()).toBe(1000)
    c.advance(250)
    expect(c.now()).toBe(1250)
    c.set(5)
    expect(c.now()).toBe(5)
    expect(() => c.advance(Number.NaN)).toThrow(RangeError)
  })

  it('systemClock reads the wall clock', () => {
    const t = systemClock.now()
    expect(Math.abs(t - Date.now())).toBeLessThan(1000)
  })
})

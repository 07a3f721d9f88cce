import { describe, expect, it } from 'vitest'
import { ManualClock } from '../clock.ts'
import { TokenBucket } from './token-bucket.ts'

describe('TokenBucket', () => {
  it('allows a burst, then the rate', () => {
    const clock = new ManualClock(0)
    const b = new TokenBucket({ ratePerSecond: 10, burst: 5, clock })
    for (let i = 0; i < 5; i++) expect(b.tryTake()).toBe(true)
    expect(b.tryTake()).toBe(false)
    expect(b.msUntil()).toBe(100)
    clock.advance(99)
    expect(b.tryTake()).toBe(false)
    clock.advance(1)
    expect(b.tryTake()).toBe(true)
    clock.advance(250)
    expect(b.available()).toBeCloseTo(2.5)
    expect(b.tryTake(3)).toBe(false) // nothing taken on refusal
    expect(b.tryTake(2)).toBe(true)
  })

  it('never holds more than the burst', () => {
    const clock = new ManualClock(0)
    const b = new TokenBucket({ ratePerSecond: 1000, burst: 50, clock, initial: 0 })
    expect(b.available()).toBe(0)
    clock.advance(3_600_000)
    expect(b.available()).toBe(50)
    expect(b.tryTake(51)).toBe(false)
    expect(b.msUntil(51)).toBe(Infinity)
  })

  it('adds nothing when the clock steps back, and resumes when it catches up', () => {
    const clock = new ManualClock(10_000)
    const b = new TokenBucket({ ratePerSecond: 1, burst: 10, clock, initial: 0 })
    clock.advance(-5000)
    expect(b.available()).toBe(0)
    clock.set(10_000)
    expect(b.available()).toBe(0)
    clock.set(12_000)
    expect(b.available()).toBeCloseTo(2)
  })

  it('meters bytes: a byte budget', () => {
    const bytesPerSecond = 512 * 1024
    const bytesBurst = 2 * 1024 * 1024
    const clock = new ManualClock(0)
    const b = new TokenBucket({ ratePerSecond: bytesPerSecond, burst: bytesBurst, clock })
    let sent = 0
    while (b.tryTake(1024)) sent += 1024
    expect(sent).toBe(bytesBurst)
    clock.advance(1000)
    sent = 0
    while (b.tryTake(1024)) sent += 1024
    expect(sent).toBe(bytesPerSecond)
  })

  it('with rate 0 is a fixed allowance', () => {
    const clock = new ManualClock(0)
    const b = new TokenBucket({ ratePerSecond: 0, burst: 2, clock })
    expect(b.tryTake(2)).toBe(true)
    clock.advance(1e9)
    expect(b.msUntil()).toBe(Infinity)
    expect(() => new TokenBucket({ ratePerSecond: -1, burst: 1, clock })).toThrow(RangeError)
    expect(() => new TokenBucket({ ratePerSecond: 1, burst: 0, clock })).toThrow(RangeError)
  })
})

import { describe, expect, it } from 'vitest'
import { MAX_CONCURRENT_RENDEZVOUS, MAX_RENDEZVOUS_PER_MINUTE, RendezvousLimiter } from './limiter.ts'

describe('RendezvousLimiter', () => {
  it('allows MAX_CONCURRENT_RENDEZVOUS builds at once, and another once one ends', () => {
    let t = 0
    const l = new RendezvousLimiter({ now: () => t })
    const ends = Array.from({ length: MAX_CONCURRENT_RENDEZVOUS }, () => l.tryStart())
    expect(ends.every(e => e != null)).toBe(true)
    expect(l.tryStart()).toBeNull()
    ends[0]!()
    ends[0]!() // idempotent
    expect(l.active).toBe(MAX_CONCURRENT_RENDEZVOUS - 1)
    t = 1
    expect(l.tryStart()).not.toBeNull()
    expect(l.tryStart()).toBeNull()
  })

  it('allows MAX_RENDEZVOUS_PER_MINUTE starts per sliding minute', () => {
    let t = 0
    const l = new RendezvousLimiter({ now: () => t })
    for (let i = 0; i < MAX_RENDEZVOUS_PER_MINUTE; i++) { t = i * 100; l.tryStart()!() }
    expect(l.tryStart()).toBeNull()
    t = 59_999
    expect(l.tryStart()).toBeNull()
    t = 60_000 // the first start is a minute old
    expect(l.tryStart()).not.toBeNull()
    expect(l.tryStart()).toBeNull()
  })

  it('refuses bad limits', () => {
    expect(() => new RendezvousLimiter({ now: () => 0, maxConcurrent: 0 })).toThrow(RangeError)
    expect(() => new RendezvousLimiter({ now: () => 0, perMinute: 1.5 })).toThrow(RangeError)
  })
})

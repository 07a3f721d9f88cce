import { describe, expect, it } from 'vitest'
import { Liveness } from './liveness.ts'

describe('liveness (is this tab still on the network?)', () => {
  it('a cut uplink: pings go out, nothing answers for the limit → offline; the first answer → back', () => {
    let now = 0
    const l = new Liveness(() => now, 9_000)
    l.tried(); now = 100; l.answered()
    for (let t = 5_000; t <= 20_000; t += 5_000) {
      now = t
      l.tried()
      const went = l.check(true)
      expect(went).toBe(t >= 9_100 + 900) // first check past 9 s after the last answer
      if (went) break
    }
    expect(l.isOffline).toBe(true)
    expect(l.check(true)).toBe(false) // reported once
    now = 30_000
    expect(l.answered()).toBe(true)
    expect(l.isOffline).toBe(false)
    expect(l.answered()).toBe(false)
  })

  it('no pings tried (nothing to ping, or quiet) is not offline', () => {
    let now = 0
    const l = new Liveness(() => now, 9_000)
    now = 60_000
    expect(l.check(true)).toBe(false)
    l.tried()
    expect(l.check(false)).toBe(false)
    expect(l.check(true)).toBe(true)
  })

  it('the browser can say so first', () => {
    const l = new Liveness(() => 0)
    expect(l.markOffline()).toBe(true)
    expect(l.markOffline()).toBe(false)
    expect(l.isOffline).toBe(true)
  })
})

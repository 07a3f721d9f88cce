import { describe, expect, it } from 'vitest'
import { ReplayCache } from './replay-cache.ts'

describe('ReplayCache', () => {
  it('remembers keys and evicts FIFO', () => {
    const c = new ReplayCache(2)
    const k = (n: number): Uint8Array => Uint8Array.of(n)
    expect(c.checkAndAdd(k(1))).toBe(true)
    expect(c.checkAndAdd(k(1))).toBe(false)
    expect(c.checkAndAdd(k(2))).toBe(true)
    expect(c.checkAndAdd(k(3))).toBe(true) // evicts 1
    expect(c.size).toBe(2)
    expect(c.checkAndAdd(k(2))).toBe(false)
    expect(c.checkAndAdd(k(1))).toBe(true)
    expect(() => new ReplayCache(0)).toThrow(RangeError)
    expect(new ReplayCache().checkAndAdd(k(9))).toBe(true)
  })
})

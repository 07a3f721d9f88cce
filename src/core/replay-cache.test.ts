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
    expect(() => new ReplayCache(1.5)).toThrow(RangeError)
  })

  it('refuses a value seen before and forgets the oldest beyond its bound', () => {
    const c = new ReplayCache(2)
    const v = (n: number): Uint8Array => Uint8Array.of(n, 1, 2)
    expect(c.checkAndAdd(v(1))).toBe(true)
    expect(c.checkAndAdd(v(1))).toBe(false)
    expect(c.checkAndAdd(v(2))).toBe(true)
    expect(c.checkAndAdd(v(3))).toBe(true) // v(1) forgotten
    expect(c.size).toBe(2)
    expect(c.checkAndAdd(v(3))).toBe(false)
    expect(c.checkAndAdd(v(2))).toBe(false)
    expect(c.checkAndAdd(v(1))).toBe(true)
  })
})

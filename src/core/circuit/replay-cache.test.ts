import { describe, expect, it } from 'vitest'
import { ReplayError } from '../errors.ts'
import { ReplayCache } from './replay-cache.ts'

describe('ReplayCache', () => {
  it('refuses a value seen before and forgets the oldest beyond its bound', () => {
    const c = new ReplayCache(2)
    const v = (n: number): Uint8Array => Uint8Array.of(n, 1, 2)
    c.check(v(1))
    expect(() => { c.check(v(1)) }).toThrow(ReplayError)
    c.check(v(2))
    c.check(v(3)) // v(1) forgotten
    expect(c.size).toBe(2)
    expect(() => { c.check(v(3)) }).toThrow(ReplayError)
    expect(() => { c.check(v(2)) }).toThrow(ReplayError)
    c.check(v(1))
  })
})

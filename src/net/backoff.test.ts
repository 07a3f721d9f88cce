import { describe, expect, it } from 'vitest'
import { Backoff } from './backoff.ts'

describe('Backoff', () => {
  it('doubles the wait per failure up to the cap, and resets on success', () => {
    const b = new Backoff(1000, 8000, () => 0.5)
    expect(b.ready('a', 0)).toBe(true)
    expect(b.failure('a', 0)).toBe(1000)
    expect(b.ready('a', 999)).toBe(false)
    expect(b.ready('a', 1000)).toBe(true)
    expect(b.failure('a', 1000)).toBe(2000)
    expect(b.failure('a', 3000)).toBe(4000)
    expect(b.failure('a', 7000)).toBe(8000)
    expect(b.failure('a', 15000)).toBe(8000)
    b.success('a')
    expect(b.ready('a', 15001)).toBe(true)
    expect(b.failures('a')).toBe(0)
  })
})

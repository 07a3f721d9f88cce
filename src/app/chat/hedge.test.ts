import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { hedged } from './hedge.ts'

describe('hedged', () => {
  beforeEach(() => { vi.useFakeTimers() })
  afterEach(() => { vi.useRealTimers() })

  const after = <T>(ms: number, value: T, fail = false): Promise<T> => new Promise((resolve, reject) => {
    setTimeout(() => { if (fail) reject(new Error(String(value))); else resolve(value) }, ms)
  })

  it('a fast first attempt wins alone: no second one is started', async () => {
    const start = vi.fn(async () => await after(100, 'a'))
    const p = hedged(start, 1_000, () => {})
    await vi.advanceTimersByTimeAsync(2_000)
    await expect(p).resolves.toBe('a')
    expect(start).toHaveBeenCalledTimes(1)
  })

  it('a slow first attempt gets a second beside it; the first success wins and the later one is handed over', async () => {
    const results = [after(10_000, 'slow'), after(500, 'fast')]
    const losers: string[] = []
    const p = hedged(async () => await results.shift()!, 1_000, (v) => { losers.push(v) })
    await vi.advanceTimersByTimeAsync(1_600)
    await expect(p).resolves.toBe('fast')
    await vi.advanceTimersByTimeAsync(10_000)
    expect(losers).toEqual(['slow'])
  })

  it('fails only when every attempt started has failed, with the last error', async () => {
    const results = [after(3_000, 'first', true), after(5_000, 'second', true)]
    const p = hedged(async () => await results.shift()!, 1_000, () => {})
    const outcome = p.then(() => 'resolved', (e: Error) => e.message)
    await vi.advanceTimersByTimeAsync(3_500)
    let done = false
    void outcome.then(() => { done = true })
    await vi.advanceTimersByTimeAsync(0)
    expect(done).toBe(false) // the second is still running
    await vi.advanceTimersByTimeAsync(3_000)
    expect(await outcome).toBe('second')
  })

  it('an attempt that fails before the delay fails the whole at once (no hidden retry)', async () => {
    const start = vi.fn(async () => await after(100, 'boom', true))
    const outcome = hedged(start, 1_000, () => {}).then(() => 'resolved', (e: Error) => e.message)
    await vi.advanceTimersByTimeAsync(200)
    expect(await outcome).toBe('boom')
    await vi.advanceTimersByTimeAsync(2_000)
    expect(start).toHaveBeenCalledTimes(1)
  })
})

import { describe, expect, it } from 'vitest'
import { ExternalStore } from './external-store.ts'

describe('ExternalStore', () => {
  it('keeps the snapshot identity until set, and tells each listener until it unsubscribes', () => {
    const first = { n: 1 }
    const store = new ExternalStore(first)
    let calls = 0
    const unsubscribe = store.subscribe(() => { calls++ })
    expect(store.getSnapshot()).toBe(first)
    const second = { n: 2 }
    store.set(second)
    expect(store.getSnapshot()).toBe(second)
    expect(calls).toBe(1)
    unsubscribe()
    store.set({ n: 3 })
    expect(calls).toBe(1)
  })
})

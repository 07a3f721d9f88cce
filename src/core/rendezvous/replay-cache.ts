/**
 * A bounded set of INTRODUCE ephemeral keys already accepted under one
 * introduction key (docs/RENDEZVOUS.md §6; rend-spec-v3 §1.8, §3.3 replay cache).
 * It lives as long as that key. FIFO eviction keeps memory bounded; an entry
 * evicted after maxEntries newer ones could be replayed only within
 * INTRODUCE_MAX_SKEW_MS of its timestamp, which the service also checks.
 */
import { toHex } from '../bytes.ts'
import { REPLAY_CACHE_MAX } from './constants.ts'

export class ReplayCache {
  private readonly seen = new Set<string>()
  private readonly maxEntries: number

  constructor (maxEntries: number = REPLAY_CACHE_MAX) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer')
    this.maxEntries = maxEntries
  }

  /** true if new (and remembers it), false if seen. */
  checkAndAdd (key: Uint8Array): boolean {
    const k = toHex(key)
    if (this.seen.has(k)) return false
    if (this.seen.size >= this.maxEntries) {
      const oldest = this.seen.values().next().value
      if (oldest !== undefined) this.seen.delete(oldest)
    }
    this.seen.add(k)
    return true
  }

  get size (): number { return this.seen.size }
}

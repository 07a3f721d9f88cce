/**
 * A bounded set of values seen once, so that a second sight is refused: the
 * one replay cache of core, used by
 *
 * - a relay, for the client ephemerals X of the onward CREATEs it answered
 *   (circuit/relay-cells.ts). A replayed onward CREATE must not make the relay
 *   extend a second time toward the same next hop, which would let whoever
 *   replays it watch for the echo downstream. Sphinx keeps such a cache of its
 *   per-hop tags for the same reason (Danezis & Goldberg 2009, §3.3); Tor's
 *   CREATE needs none because a replayed one only yields keys nobody can use.
 * - a service, for the INTRODUCE ephemeral keys accepted under one
 *   introduction key (docs/RENDEZVOUS.md §6; rend-spec-v3 §1.8, §3.3 replay
 *   cache). It lives as long as that key.
 *
 * FIFO eviction keeps memory bounded: the oldest entry is forgotten first. An
 * evicted entry could be replayed only after `maxEntries` newer ones were
 * pushed through (each rate-limited by its caller: the per-neighbour CREATE
 * rate, INTRODUCE_MAX_SKEW_MS for introductions, which the service also checks).
 */
import { toHex } from './bytes.ts'

export class ReplayCache {
  private readonly seen = new Set<string>()
  private readonly maxEntries: number

  constructor (maxEntries: number) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer')
    this.maxEntries = maxEntries
  }

  /** true if new (and remembers it), false if seen. */
  checkAndAdd (value: Uint8Array): boolean {
    const k = toHex(value)
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

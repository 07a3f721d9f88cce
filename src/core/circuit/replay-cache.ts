/**
 * A bounded set of handshake values a relay has answered, so a replayed
 * onward CREATE is refused instead of making the relay extend a second time
 * toward the same next hop (which would let whoever replays it watch for the
 * echo downstream). Sphinx keeps such a cache of its per-hop tags for the
 * same reason (Danezis & Goldberg 2009, §3.3); Tor's CREATE needs none
 * because a replayed one only yields keys nobody can use.
 *
 * The value kept is the client's ephemeral X, fresh per hop per build. The
 * cache is bounded: the oldest entry is forgotten first. Shallot's onion keys
 * live only as long as the tab, so an entry can matter only that long; within
 * it, an adversary would have to push ONWARD_REPLAY_CACHE_MAX newer onward
 * CREATEs through this relay (each limited by the per-neighbour create rate)
 * before a replay could pass.
 */
import { toHex } from '../bytes.ts'
import { ReplayError } from '../errors.ts'

/** Entries kept: 64 hex characters each, ≈ 1 MiB at most with the Map's overhead. */
export const ONWARD_REPLAY_CACHE_MAX = 8192

export class ReplayCache {
  private readonly seen = new Set<string>()
  constructor (private readonly max: number) {
    if (max < 1) throw new RangeError('ReplayCache: max must be at least 1')
  }

  get size (): number { return this.seen.size }

  /** Remember `value`; throws ReplayError when it was seen before. */
  check (value: Uint8Array): void {
    const key = toHex(value)
    if (this.seen.has(key)) throw new ReplayError('handshake replayed')
    this.seen.add(key)
    if (this.seen.size > this.max) {
      const [oldest] = this.seen
      this.seen.delete(oldest!)
    }
  }
}

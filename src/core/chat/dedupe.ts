/**
 * Received message ids, per conversation. The sender resends a message until
 * it sees an ACK, so the same message can arrive again after it was stored:
 * it is acknowledged again but shown once (docs/RENDEZVOUS.md §8). The set is
 * a bounded FIFO: beyond SEEN_IDS_MAX the oldest ids are forgotten.
 */

/** Message ids remembered per conversation. */
export const SEEN_IDS_MAX = 10_000

export class SeenIds {
  /** A Set iterates in insertion order, so its first element is the oldest. */
  private readonly ids = new Set<string>()

  constructor (private readonly max = SEEN_IDS_MAX) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('max must be a positive integer')
  }

  has (id: string): boolean { return this.ids.has(id) }

  /** Remember `id` (a no-op when already known); forgets the oldest beyond `max`. */
  add (id: string): void {
    if (this.ids.has(id)) return
    this.ids.add(id)
    if (this.ids.size > this.max) {
      const oldest = this.ids.values().next()
      if (oldest.done !== true) this.ids.delete(oldest.value)
    }
  }

  get size (): number { return this.ids.size }

  /** Oldest first, for persistence; {@link SeenIds.from} reads it back. */
  toArray (): string[] { return [...this.ids] }

  /** Rebuild from {@link SeenIds.toArray}; when there are more than `max`, the newest are kept. */
  static from (ids: readonly string[], max = SEEN_IDS_MAX): SeenIds {
    const s = new SeenIds(max)
    for (const id of ids) s.add(id)
    return s
  }
}

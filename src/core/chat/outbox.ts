/**
 * The sender's outbox: a retry state machine for messages not yet
 * acknowledged (docs/RENDEZVOUS.md §8). A message is `sending` until it is
 * written to a live session, `sent` until its ACK arrives (`delivered`), and
 * is resent on every new session and whenever ACK_TIMEOUT_MS passes without
 * an ACK. One that is not delivered GIVE_UP_MS after it was (re)queued is
 * `failed`, from where the user may retry. Delivered items are forgotten. Pure: the caller injects the clock,
 * does the writing, and sets one timer for {@link Outbox.nextDeadline}.
 */

/** Resend a sent message not acknowledged this long (ms) after it was written. */
export const ACK_TIMEOUT_MS = 10_000
/** Mark a message failed when it is not delivered this long (ms) after it was (re)queued. */
export const GIVE_UP_MS = 600_000

export type DeliveryState = 'sending' | 'sent' | 'delivered' | 'failed'

export interface OutboxItem {
  /** Hex message id. */
  readonly id: string
  /** The encoded chat frames of the message, written in this order. */
  readonly frames: readonly Uint8Array[]
  readonly queuedAt: number
  state: DeliveryState
  lastSentAt: number | null
  sends: number
}

type Item = { -readonly [K in keyof OutboxItem]: OutboxItem[K] }

export class Outbox {
  private readonly now: () => number
  private readonly ackTimeoutMs: number
  private readonly giveUpMs: number
  /** By id, in the order added (Map keeps insertion order). */
  private readonly items = new Map<string, Item>()

  constructor (opts: { now: () => number, ackTimeoutMs?: number, giveUpMs?: number }) {
    this.now = opts.now
    this.ackTimeoutMs = opts.ackTimeoutMs ?? ACK_TIMEOUT_MS
    this.giveUpMs = opts.giveUpMs ?? GIVE_UP_MS
    if (!(this.ackTimeoutMs > 0) || !(this.giveUpMs > 0)) throw new RangeError('timeouts must be positive')
  }

  /** Queue a new message (state 'sending'). RangeError when the id is already in the outbox. */
  add (id: string, frames: readonly Uint8Array[]): OutboxItem {
    if (this.items.has(id)) throw new RangeError('message id already in the outbox')
    const item: Item = { id, frames: [...frames], queuedAt: this.now(), state: 'sending', lastSentAt: null, sends: 0 }
    this.items.set(id, item)
    return item
  }

  /**
   * Put back items loaded from storage after a reload: 'sent' ones become
   * 'sending' again (they must be resent), 'delivered'/'failed' are kept as
   * they are but never returned by due(). Ids already in the outbox are skipped.
   */
  restore (items: ReadonlyArray<{ id: string, frames: readonly Uint8Array[], queuedAt: number, state: DeliveryState }>): void {
    for (const s of items) {
      if (this.items.has(s.id)) continue
      const state: DeliveryState = s.state === 'sent' ? 'sending' : s.state
      this.items.set(s.id, { id: s.id, frames: [...s.frames], queuedAt: s.queuedAt, state, lastSentAt: null, sends: 0 })
    }
  }

  /**
   * With a live session: the items to (re)send now, in the order they were
   * added ('sending' ones, and 'sent' ones whose ACK is overdue); marks them
   * 'sent' with lastSentAt = now, sends++.
   */
  due (): OutboxItem[] {
    const now = this.now()
    const out: OutboxItem[] = []
    for (const item of this.items.values()) {
      const overdue = item.state === 'sent' && item.lastSentAt !== null && now - item.lastSentAt >= this.ackTimeoutMs
      if (item.state !== 'sending' && !overdue) continue
      item.state = 'sent'
      item.lastSentAt = now
      item.sends++
      out.push(item)
    }
    return out
  }

  /**
   * An ACK arrived: 'delivered' (also from 'failed': a late ACK still counts).
   * Returns the item, or null for an unknown id (ignored). The item is then
   * forgotten, so the outbox holds only what is not yet delivered (a long
   * conversation must not keep every message's frames); a duplicate ACK
   * returns null.
   */
  acked (id: string): OutboxItem | null {
    const item = this.items.get(id)
    if (item === undefined) return null
    item.state = 'delivered'
    this.items.delete(id)
    return item
  }

  /**
   * Writing a 'sent' item's frames failed part-way (the session died while
   * another one is still live, so sessionLost() does not come): back to
   * 'sending' so the next due() resends it at once. Null when the id is
   * unknown or the item is not 'sent'.
   */
  requeue (id: string): OutboxItem | null {
    const item = this.items.get(id)
    if (item === undefined || item.state !== 'sent') return null
    item.state = 'sending'
    item.lastSentAt = null
    return item
  }

  /** Items held (undelivered and failed ones). */
  get size (): number { return this.items.size }

  /** The session died: every 'sent' item goes back to 'sending'. */
  sessionLost (): void {
    for (const item of this.items.values()) if (item.state === 'sent') item.state = 'sending'
  }

  /** User pressed retry on a failed item: 'sending' again, queuedAt = now. Null when the id is unknown or the item is not failed. */
  retry (id: string): OutboxItem | null {
    const item = this.items.get(id)
    if (item === undefined || item.state !== 'failed') return null
    item.state = 'sending'
    item.queuedAt = this.now()
    item.lastSentAt = null
    return item
  }

  /** Items past GIVE_UP_MS become 'failed'; returns those that changed. */
  expire (): OutboxItem[] {
    const now = this.now()
    const out: OutboxItem[] = []
    for (const item of this.items.values()) {
      if (isUndelivered(item) && now - item.queuedAt >= this.giveUpMs) {
        item.state = 'failed'
        out.push(item)
      }
    }
    return out
  }

  /** Items not yet delivered or failed, in the order added. */
  undelivered (): OutboxItem[] {
    return [...this.items.values()].filter(isUndelivered)
  }

  get (id: string): OutboxItem | null {
    return this.items.get(id) ?? null
  }

  /**
   * When (ms, on the injected clock) the next ACK deadline or give-up falls,
   * or null when nothing is undelivered: lets the caller set one timer, then
   * call expire() and, with a live session, due().
   */
  nextDeadline (): number | null {
    let next: number | null = null
    for (const item of this.items.values()) {
      if (!isUndelivered(item)) continue
      let t = item.queuedAt + this.giveUpMs
      if (item.state === 'sent' && item.lastSentAt !== null) t = Math.min(t, item.lastSentAt + this.ackTimeoutMs)
      if (next === null || t < next) next = t
    }
    return next
  }
}

function isUndelivered (item: OutboxItem): boolean {
  return item.state === 'sending' || item.state === 'sent'
}

/**
 * Delivery over a conversation's sessions: at-least-once on the wire and
 * exactly-once on screen. The sender resends every unacknowledged message on
 * each new session (and after the ACK timeout); the receiver stores a message
 * id once and acknowledges every copy, and acknowledges only what it stored
 * (an ACK means the message is kept). The threat: a session's other end is
 * the contact (the handshake proved it), but it can send anything: frames
 * that do not decode close the session; ACKs and controls touch only the
 * conversation whose session carried them; a contact we declined cannot
 * write to us or undo our decline. Nothing here logs.
 */
import { toHex } from '../../core/bytes.ts'
import { ACK_TIMEOUT_MS, ChatFrameError, decodeChatFrame, encodeChatFrame, type ChatFrame } from '../../core/chat/index.ts'
import type { Contact, Message, Profile } from '../../storage/types.ts'
import { liveLink, outgoingMessage, sortMessages, type PeerState } from './conversation.ts'
import type { ChatLink } from './link.ts'
import { notifyIfHidden, type Notifier } from './notifications.ts'
import type { DeliveryState } from './types.ts'
import { SENDER_REORDER_WINDOW_MS } from './constants.ts'

/** What delivery needs from the service that owns the conversations. */
export interface DeliveryHost {
  readonly now: () => number
  readonly notifier: Notifier | undefined
  profile (): Profile | null
  /** `peer` is still the conversation kept for its contact (not removed, profile not switched). */
  isCurrent (peer: PeerState): boolean
  isOpen (contactId: string): boolean
  setStanding (peer: PeerState, state: Contact['state'], patch?: Partial<Contact>): Promise<void>
  publish (): void
}

export class Delivery {
  constructor (private readonly host: DeliveryHost) {}

  /**
   * Write what is owed on the newest live session: controls not yet written on
   * it (or unacknowledged for ACK_TIMEOUT_MS), then the outbox's due messages.
   * A message becomes 'sent' only after all its frames were written; one whose
   * write failed goes back to 'sending' (Outbox.requeue). One flush per peer at
   * a time; a request meanwhile runs once more after it. Never rejects.
   */
  async flush (peer: PeerState): Promise<void> {
    if (peer.flushing) { peer.flushAgain = true; return }
    peer.flushing = true
    try {
      do {
        peer.flushAgain = false
        const link = liveLink(peer)
        if (link == null) return
        const now = this.host.now()
        for (const owed of peer.owed.values()) {
          if (owed.sentOn === link && now - owed.sentAt < ACK_TIMEOUT_MS) continue
          try { await link.send(owed.frame) } catch { return } // the session died: the close handler requeues
          owed.sentOn = link
          owed.sentAt = now
        }
        for (const item of peer.outbox.due()) {
          try {
            for (const frame of item.frames) await link.send(frame)
          } catch {
            peer.outbox.requeue(item.id)
            for (const rest of peer.outbox.due()) peer.outbox.requeue(rest.id)
            peer.flushAgain = liveLink(peer) != null
            break
          }
          if (outgoingMessage(peer, item.id)?.status === 'sending') await this.setDelivery(peer, item.id, 'sent')
        }
      } while (peer.flushAgain)
    } finally {
      peer.flushing = false
    }
  }

  /** One payload from `link`'s session with `peer` (and only that peer: acks and controls touch nothing else). Never rejects. */
  async onPayload (peer: PeerState, payload: Uint8Array, link: ChatLink): Promise<void> {
    try {
      await this.handlePayload(peer, payload, link)
    } catch {
      // Storage failed: nothing was acknowledged, so the sender resends.
    }
  }

  /**
   * An outgoing message's delivery state, on screen and in storage. A message
   * no longer kept (its history was cleared) stays gone: a late receipt
   * changes nothing.
   */
  async setDelivery (peer: PeerState, id: string, state: DeliveryState): Promise<void> {
    const m = outgoingMessage(peer, id)
    if (m == null || m.status === state || m.status === 'delivered') return
    const next = { ...m, status: state }
    peer.messages = peer.messages.map(x => (x === m ? next : x))
    this.host.publish()
    // Best effort: the state on screen is right; a failed write only loses it across a reload (callers use `void`).
    await this.host.profile()?.putMessage(peer.contact.id, next).catch(() => {})
  }

  private async handlePayload (peer: PeerState, payload: Uint8Array, link: ChatLink): Promise<void> {
    let frame: ChatFrame
    try {
      frame = decodeChatFrame(payload)
    } catch (err) {
      if (err instanceof ChatFrameError) link.close()
      return
    }
    const profile = this.host.profile()
    if (profile == null || !this.host.isCurrent(peer)) return
    switch (frame.type) {
      case 'part': {
        // We declined them: nothing they write is kept (and not acknowledged, so it is not 'delivered' to them).
        if (peer.contact.declinedByUs === true) return
        let whole: { msgId: Uint8Array, timestamp: number, text: string } | null
        try { whole = peer.reassembler.accept(frame) } catch { return }
        if (whole == null) return
        const id = toHex(whole.msgId)
        if (peer.storing.has(id)) return // a copy is being stored; its ACK follows
        if (!peer.seen.has(id)) {
          // Stored first, then remembered and acknowledged: an ACK means the message is kept.
          // Placed by when it arrived here: a sender's clock (wrong, or chosen) must not
          // move its message above or below others (issue #13: order is the receiver's).
          const message: Message = { id, direction: 'in', text: whole.text, timestamp: placeIncoming(peer.messages, this.host.now(), whole.timestamp), sentAt: whole.timestamp }
          peer.storing.add(id)
          try {
            await profile.putMessage(peer.contact.id, message)
          } finally {
            peer.storing.delete(id)
          }
          if (this.host.profile() !== profile) return
          peer.seen.add(id)
          peer.messages = sortMessages([...peer.messages, message])
          // A message from a contact we asked means they accepted.
          if (peer.contact.state === 'pending') await this.host.setStanding(peer, 'accepted')
          if (!this.host.isOpen(peer.contact.id) || this.host.notifier?.hidden() === true) peer.unread++
          notifyIfHidden(this.host.notifier, 'Shallot', `New message from ${peer.contact.displayName}`)
          this.host.publish()
        }
        await link.send(encodeChatFrame({ type: 'ack', msgId: whole.msgId })).catch(() => {})
        return
      }
      case 'ack': {
        const id = toHex(frame.msgId)
        if (peer.owed.delete(id)) {
          if (peer.owed.size === 0 && peer.contact.owedControl != null) await this.host.setStanding(peer, peer.contact.state, { owedControl: undefined })
          // Our decline arrived: the session has nothing more to carry.
          if (peer.contact.declinedByUs === true && peer.owed.size === 0) for (const l of [...peer.links]) l.close()
          return
        }
        const item = peer.outbox.acked(id)
        if (item != null) await this.setDelivery(peer, id, 'delivered')
        return
      }
      case 'control': {
        // Their answer to our request; a contact *we* declined cannot undo that by "accepting".
        if (frame.what === 'accept' && (peer.contact.state === 'pending' || peer.contact.state === 'declined') && peer.contact.declinedByUs !== true) await this.host.setStanding(peer, 'accepted')
        if (frame.what === 'decline' && peer.contact.state === 'pending') await this.host.setStanding(peer, 'declined')
        await link.send(encodeChatFrame({ type: 'ack', msgId: frame.msgId })).catch(() => {})
      }
    }
  }
}

/**
 * When an incoming message is shown: when it arrived, unless it was sent
 * before some of the same contact's messages that arrived within the last
 * SENDER_REORDER_WINDOW_MS (a retransmission overtaken by later messages);
 * then just before the earliest of those. So the contact's own recent
 * messages keep their order, while no claim can move a message further back
 * than the window.
 */
export function placeIncoming (messages: readonly Message[], now: number, sentAt: number): number {
  let at = now
  for (const m of messages) {
    if (m.direction === 'in' && m.sentAt != null && m.sentAt > sentAt && now - m.timestamp <= SENDER_REORDER_WINDOW_MS && m.timestamp <= at) at = m.timestamp - 1
  }
  return at
}

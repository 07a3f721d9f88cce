/**
 * Sessions with contacts: when to make one (something is owed, or our
 * request has not reached them yet), reconnection with backoff, a second
 * attempt beside a slow first one (./hedge.ts), at most MAX_LINKS_PER_CONTACT
 * sessions per contact, and giving up a session that brings nothing back
 * (isStalled). A session is a rendezvous link (../onion-service/) wrapped as
 * a ChatLink (./link.ts); what it carries is ./delivery.ts's.
 *
 * The threat: the answer at a rendezvous point may not come from the
 * contact. A descriptor signed for another key (IdentityMismatchError) warns
 * at once; an unproven answer (RendezvousAuthError) could be the rendezvous
 * point's forgery, so only AUTH_FAILURES_BEFORE_WARNING in a row warn. Nothing
 * is sent on an unproven session. Nothing here logs.
 */
import { fromHex } from '../../core/bytes.ts'
import { IdentityMismatchError, type HeldInvite } from '../../core/rendezvous/index.ts'
import type { Contact } from '../../storage/types.ts'
import { Backoff } from '../../net/backoff.ts'
import { connectToContact, DescriptorCache, RendezvousAuthError, type RendezvousDeps, type RendezvousLink } from '../onion-service/index.ts'
import {
  AUTH_FAILURES_BEFORE_WARNING, CONNECT_HEDGE_MS, IDENTITY_UNPROVEN_WARNING, MAX_LINKS_PER_CONTACT, RECONNECT_BASE_MS, RECONNECT_MAX_MS
} from './constants.ts'
import { isStalled, liveLink, wantsLink, type PeerState } from './conversation.ts'
import type { Delivery } from './delivery.ts'
import { hedged } from './hedge.ts'
import { ChatLink } from './link.ts'

/** What sessions need from the service that owns the conversations. */
export interface SessionHost {
  readonly now: () => number
  readonly delivery: Delivery
  /** `peer` is still the conversation kept for its contact (not removed, profile not switched). */
  isCurrent (peer: PeerState): boolean
  publish (): void
}

export class Sessions {
  private rendezvous: RendezvousDeps | null = null
  private readonly backoff = new Backoff(RECONNECT_BASE_MS, RECONNECT_MAX_MS)
  private readonly descriptors = new DescriptorCache()

  constructor (private readonly host: SessionHost) {}

  /** Sessions are made with `deps` (the unlocked profile's identity) from now on. */
  use (deps: RendezvousDeps): void { this.rendezvous = deps }

  /** Look for work: expired messages, stalled sessions, flushes, sessions to make. */
  tick (peers: Iterable<PeerState>): void {
    const now = this.host.now()
    for (const peer of peers) {
      for (const item of peer.outbox.expire()) void this.host.delivery.setDelivery(peer, item.id, 'failed')
      peer.reassembler.prune()
      const link = liveLink(peer)
      if (link != null && isStalled(peer, link, now)) link.close() // requeues; a new session is made below
      else if (link != null) { void this.host.delivery.flush(peer); continue }
      if (peer.connecting || !wantsLink(peer)) continue
      if (!this.backoff.ready(peer.contact.id, now)) continue
      void this.connect(peer)
    }
  }

  /** Something new is owed to `peer`: send it now on a live session, else try to make one at the next tick. */
  kick (peer: PeerState): void {
    if (liveLink(peer) != null) void this.host.delivery.flush(peer)
    else this.retryNow(peer.contact.id)
  }

  /** Skip the reconnection delay for this contact (the user asked for something). */
  retryNow (contactId: string): void { this.backoff.success(contactId) }

  private async connect (peer: PeerState): Promise<void> {
    if (this.rendezvous == null) return
    peer.connecting = true
    this.host.publish()
    try {
      // A second attempt over other relays if the first is slow (a relay on its path may have just left).
      const link = await hedged(async () => await this.reach(peer.contact.publicKey, { invite: heldInvite(peer.contact) }), CONNECT_HEDGE_MS, (late) => { late.circuit.destroy() })
      peer.warning = null
      peer.authFailures = 0
      this.backoff.success(peer.contact.id)
      this.attach(peer, link)
    } catch (err) {
      this.backoff.failure(peer.contact.id, this.host.now())
      if (err instanceof IdentityMismatchError) peer.warning = err.message
      // Several rendezvous points in a row cannot all be lying: warn then.
      if (err instanceof RendezvousAuthError && ++peer.authFailures >= AUTH_FAILURES_BEFORE_WARNING) peer.warning = IDENTITY_UNPROVEN_WARNING
    } finally {
      peer.connecting = false
      this.host.publish()
    }
  }

  /** Make `link` a session of `peer` (ours or the contact's rendezvous) and send what is owed on it. */
  attach (peer: PeerState, link: RendezvousLink): void {
    // The peer is gone (contact removed, profile closed or switched) while the link was made: never attach to it.
    if (!this.host.isCurrent(peer)) { link.circuit.destroy(); return }
    const chat = new ChatLink(link, (payload, from) => { void this.host.delivery.onPayload(peer, payload, from) }, (closed) => {
      const i = peer.links.indexOf(closed)
      if (i >= 0) peer.links.splice(i, 1)
      if (liveLink(peer) == null) peer.outbox.sessionLost()
      this.host.publish()
    })
    peer.links.push(chat)
    while (peer.links.length > MAX_LINKS_PER_CONTACT) peer.links.shift()!.close()
    peer.everLinked = true
    peer.outbox.sessionLost() // resend what was sent on an older session and not acknowledged
    this.host.publish()
    void this.host.delivery.flush(peer)
  }

  /**
   * One rendezvous with `contactKey` (its descriptor from the cache unless
   * `fresh`): a joined link the caller owns, not attached to any conversation.
   */
  async reach (contactKey: Uint8Array, opts: { fresh?: boolean, invite?: HeldInvite | null } = {}): Promise<RendezvousLink> {
    const deps = this.rendezvous
    if (deps == null) throw new Error('chat is not started')
    if (opts.fresh === true) this.descriptors.forget(contactKey)
    return await connectToContact(deps, contactKey, this.descriptors, opts.invite ?? null)
  }
}

/**
 * The invite to prove when introducing ourselves to `contact`: theirs, while
 * they have not accepted us (state 'pending'), since until then their
 * service does not know our key (docs/RENDEZVOUS.md §6 "Invite proof").
 */
export function heldInvite (contact: Contact): HeldInvite | null {
  if (contact.state !== 'pending' || contact.inviteId == null || contact.inviteSecret == null) return null
  return { inviteId: fromHex(contact.inviteId), secret: contact.inviteSecret }
}

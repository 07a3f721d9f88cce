/**
 * The request policy: who may open a session with us through our onion
 * service. An introduction that passed every check (docs/RENDEZVOUS.md §6)
 * has its client key proven by its certified static DH key and MAC, and the
 * session keys need that key's secret (X25519(s_B, Y)), so the session
 * belongs to the contact with that key. The
 * threats: anyone who learnt our key could introduce themselves, and anyone
 * holding our invite can make a new identity key per introduction. So a key
 * we do not know must prove an invite we issued that is neither expired nor
 * revoked (§6 "Invite proof"); a known contact needs none. Strangers become
 * contact requests, at most MAX_PENDING_REQUESTS unanswered at once (beyond
 * that nothing is stored and nothing already there is replaced), with a name
 * of at most MAX_REQUEST_NAME_BYTES; a request gets no session and no
 * rendezvous circuit: only its name is kept until the user accepts, and then
 * this side connects to them. Every refusal is silent to the sender (we send
 * nothing back, as if offline; the introduction point's ACK comes either way)
 * and counted by reason here. A contact we declined is not answered once our
 * decline was acknowledged; one rendezvous per contact at a time.
 */
import { ctEqual, fromHex, toHex } from '../../core/bytes.ts'
import { normalizeDisplayName } from '../../core/identity/index.ts'
import { systemRandom } from '../../core/random.ts'
import type { Contact, Profile } from '../../storage/types.ts'
import type { IncomingIntroduction, RendezvousLink } from '../onion-service/index.ts'
import { MAX_PENDING_REQUESTS, MAX_REQUEST_NAME_BYTES } from './constants.ts'
import type { PeerState } from './conversation.ts'

/**
 * Why an introduction from an unknown key made no request:
 * - 'no-invite': it proves no invite;
 * - 'unknown-invite': not an invite we issued (or one from before a restore);
 * - 'bad-proof': the proof does not match the invite's secret for this
 *   INTRODUCE (a guess, or a proof made for another X, service or key);
 * - 'revoked-invite', 'expired-invite': the invite no longer lets anyone in;
 * - 'oversized': the name is longer than MAX_REQUEST_NAME_BYTES;
 * - 'bad-name': the name is empty or has forbidden characters;
 * - 'quota': MAX_PENDING_REQUESTS are already waiting for the user.
 */
export type RequestRefusal = 'no-invite' | 'unknown-invite' | 'bad-proof' | 'revoked-invite' | 'expired-invite' | 'oversized' | 'bad-name' | 'quota'

/** An introduction from an unknown key was dropped (nothing stored, nothing built, nothing sent back). */
export class RequestRefusedError extends Error {
  readonly kind = 'request-refused' as const
  constructor (readonly reason: RequestRefusal) {
    super(`A contact request was dropped (${reason}).`)
    this.name = 'RequestRefusedError'
  }
}

/** What the request policy needs from the service that owns the conversations. */
export interface RequestHost {
  readonly now: () => number
  profile (): Profile | null
  peers (): Iterable<PeerState>
  peer (contactId: string): PeerState | undefined
  /** Load contacts added to the store into conversations. */
  syncContacts (): Promise<void>
  contactsChanged (): Promise<void>
  notify (title: string, body: string): void
  attach (peer: PeerState, link: RendezvousLink): void
}

export class RequestPolicy {
  /** Hex keys of unknown clients whose request is being recorded (two introductions at once make one contact). */
  private readonly inProgress = new Set<string>()
  /** Dropped introductions from unknown keys, by reason (no names, keys or ids). */
  readonly refused = new Map<RequestRefusal, number>()
  /** Told of each dropped introduction from an unknown key. */
  onRefused: ((err: RequestRefusedError) => void) | null = null

  constructor (private readonly host: RequestHost) {}

  private refuse (reason: RequestRefusal): void {
    this.refused.set(reason, (this.refused.get(reason) ?? 0) + 1)
    this.onRefused?.(new RequestRefusedError(reason))
  }

  /**
   * Why a stranger's introduction may not become a request, or null when it
   * may: its name first (no storage read for those), then the invite proof
   * against the invites we issued (core/rendezvous/invite-proof.ts), checked
   * before whether that invite is revoked or expired so that a guess never
   * counts as a use of a real invite.
   */
  private async strangerRefusal (profile: Profile, incoming: IncomingIntroduction): Promise<RequestRefusal | null> {
    if (new TextEncoder().encode(incoming.intro.clientName).length > MAX_REQUEST_NAME_BYTES) return 'oversized'
    if (normalizeDisplayName(incoming.intro.clientName) == null) return 'bad-name'
    const claim = incoming.invite
    if (claim == null) return 'no-invite'
    const issued = (await profile.listIssuedInvites()).find(i => ctEqual(fromHex(i.id), claim.inviteId))
    if (issued == null) return 'unknown-invite'
    if (!claim.proves(issued.secret)) return 'bad-proof'
    if (issued.revoked) return 'revoked-invite'
    if (issued.expiresAt <= this.host.now()) return 'expired-invite' // the service's clock decides, not the link's reader
    return null
  }

  /** Answer `incoming` if the policy lets it in. Never rejects: it runs from the service's callback. */
  async onIntroduction (incoming: IncomingIntroduction): Promise<void> {
    const profile = this.host.profile()
    if (profile == null) return
    const { intro } = incoming
    let peer = [...this.host.peers()].find(p => ctEqual(p.contact.publicKey, intro.clientKey))
    if (peer?.contact.state === 'declined' && peer.contact.declinedByUs === true && peer.owed.size === 0) return
    if (peer == null) {
      // Someone with our invite: a contact request the user accepts or declines.
      if (ctEqual(intro.clientKey, profile.identity.publicKey)) return
      let refusal: RequestRefusal | null
      try {
        refusal = await this.strangerRefusal(profile, incoming)
      } catch {
        return // the invites could not be read: nothing is stored; the client tries again
      }
      if (refusal != null) { this.refuse(refusal); return }
      if (this.host.profile() !== profile) return
      const name = normalizeDisplayName(intro.clientName) as string
      const keyHex = toHex(intro.clientKey)
      // A request from this key is being recorded: this is the same request, not a new one.
      if (this.inProgress.has(keyHex)) return
      // A known key may have been recorded while the invites were read.
      if ([...this.host.peers()].some(p => ctEqual(p.contact.publicKey, intro.clientKey))) return
      const pending = [...this.host.peers()].filter(p => p.contact.state === 'request').length + this.inProgress.size
      if (pending >= MAX_PENDING_REQUESTS) { this.refuse('quota'); return }
      this.inProgress.add(keyHex)
      try {
        // The invite it came through is kept with the request (which link was used, for the person who made several).
        const contact: Contact = {
          id: toHex(systemRandom(16)), publicKey: intro.clientKey, displayName: name, relays: [], state: 'request', verified: false, addedAt: this.host.now(),
          ...(incoming.invite != null ? { inviteId: toHex(incoming.invite.inviteId) } : {})
        }
        await profile.putContact(contact)
        if (this.host.profile() !== profile) return
        await this.host.syncContacts()
        await this.host.contactsChanged()
        peer = this.host.peer(contact.id)
        if (peer == null || this.host.profile() !== profile) return
        this.host.notify(`${name} wants to chat`, 'A new contact request')
      } catch {
        return // not recorded (storage failed): the client tries again
      } finally {
        this.inProgress.delete(keyHex)
      }
    }
    // A request makes no rendezvous circuit until the user accepts it (issue #13
    // items 1 and 7): the introducer names the rendezvous point, and a colluding
    // middle next to it would see our circuits arrive, up to one per retry, and
    // learn our guard. The name came in the INTRODUCE; on accept we connect to
    // them (sessions.ts), through a rendezvous point of our choosing.
    if (peer.contact.state === 'request') return
    if (peer.accepting) return // one rendezvous per contact at a time
    peer.accepting = true
    try {
      this.host.attach(peer, await incoming.accept())
    } catch {
      // The client's rendezvous point could not be reached, or the service's limits dropped it; the client tries again.
    } finally {
      peer.accepting = false
    }
  }
}

/**
 * The request policy: who may open a session with us through our onion
 * service. An introduction that passed every check (docs/RENDEZVOUS.md §6)
 * has its client key proven by its certified static DH key and MAC, and the
 * session keys need that key's secret (X25519(s_B, Y)), so the session
 * belongs to the contact with that key. The
 * threat: anyone holding our invite can make a new identity key per
 * introduction. Unknown keys become contact requests, at most
 * MAX_PENDING_REQUESTS unanswered at once (beyond that nothing is stored), and
 * a request gets no session and no rendezvous circuit: only its name is kept
 * until the user accepts, and then this side connects to them. A contact we
 * declined is not answered once our decline was acknowledged; one rendezvous
 * per contact at a time.
 */
import { ctEqual, toHex } from '../../core/bytes.ts'
import { normalizeDisplayName } from '../../core/identity/index.ts'
import { systemRandom } from '../../core/random.ts'
import type { Contact, Profile } from '../../storage/types.ts'
import type { IncomingIntroduction, RendezvousLink } from '../onion-service/index.ts'
import { MAX_PENDING_REQUESTS } from './constants.ts'
import type { PeerState } from './conversation.ts'

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

  constructor (private readonly host: RequestHost) {}

  /** Answer `incoming` if the policy lets it in. Never rejects: it runs from the service's callback. */
  async onIntroduction (incoming: IncomingIntroduction): Promise<void> {
    const profile = this.host.profile()
    if (profile == null) return
    const { intro } = incoming
    let peer = [...this.host.peers()].find(p => ctEqual(p.contact.publicKey, intro.clientKey))
    if (peer?.contact.state === 'declined' && peer.contact.declinedByUs === true && peer.owed.size === 0) return
    if (peer == null) {
      // Someone with our invite: a contact request the user accepts or declines.
      const name = normalizeDisplayName(intro.clientName)
      if (name == null || ctEqual(intro.clientKey, profile.identity.publicKey)) return
      const keyHex = toHex(intro.clientKey)
      const pending = [...this.host.peers()].filter(p => p.contact.state === 'request').length + this.inProgress.size
      if (this.inProgress.has(keyHex) || pending >= MAX_PENDING_REQUESTS) return
      this.inProgress.add(keyHex)
      try {
        const contact: Contact = { id: toHex(systemRandom(16)), publicKey: intro.clientKey, displayName: name, relays: [], state: 'request', verified: false, addedAt: this.host.now() }
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

/**
 * The chat use-cases and state (framework-free): conversations with every
 * contact, each with an outbox (core/chat Outbox: sending → sent → delivered,
 * or failed with retry), end-to-end sessions over rendezvous circuits
 * (../onion-service/, ./link.ts), contact requests, unread counts and
 * notifications. The UI reads {@link ChatService.getSnapshot} and calls the
 * {@link ChatActions}; history is kept in the profile's encrypted store.
 *
 * Delivery is at-least-once on the wire and exactly-once on screen: the sender
 * resends every unacknowledged message on each new session (and after the ACK
 * timeout); the receiver stores a message id once and acknowledges every copy.
 * Nothing here logs names, keys, peer ids or message text.
 */
import { ctEqual, fromHex, toHex } from '../../core/bytes.ts'
import {
  ACK_TIMEOUT_MS, ChatFrameError, decodeChatFrame, EmptyMessageError, encodeChatFrame, MessageTooLongError, Outbox, Reassembler, SeenIds, splitMessage,
  type ChatFrame
} from '../../core/chat/index.ts'
import { normalizeDisplayName } from '../../core/identity/index.ts'
import { IdentityMismatchError } from '../../core/rendezvous/index.ts'
import { systemRandom } from '../../core/random.ts'
import { Backoff } from '../../net/backoff.ts'
import type { Contact, Message, Profile } from '../../storage/types.ts'
import type { IdentityStore } from '../identity/store.ts'
import type { OnionService } from '../onion.ts'
import { bestDh } from '../webcrypto-dh.ts'
import { hedged } from './hedge.ts'
import { ChatLink } from './link.ts'
import { connectToContact, DescriptorCache, HiddenService, RendezvousAuthError, type IncomingIntroduction, type RendezvousDeps, type RendezvousLink } from '../onion-service/index.ts'
import type { IntroPointInfo } from '../../core/rendezvous/index.ts'
import type { ChatActions, ChatMessageView, ChatSnapshot, ConversationView, DeliveryState, Reachability } from './types.ts'

/** How often the service looks for work (messages to send, links to make, timeouts). */
export const CHAT_TICK_MS = 1_000
/** Reconnection backoff per contact: first retry after 1 s, at most every 10 s (jittered). */
export const RECONNECT_BASE_MS = 1_000
export const RECONNECT_MAX_MS = 10_000
/** Consecutive rendezvous answers that fail to prove the contact's key before the conversation shows a warning. */
export const AUTH_FAILURES_BEFORE_WARNING = 3
export const IDENTITY_UNPROVEN_WARNING = 'Shallot could not confirm that the answers come from this contact\'s key. Someone may be impersonating them; nothing was sent.'
/** A session with a message unacknowledged this long, and nothing received since it was sent, is given up (see ChatService.stalled). */
export const STALL_MS = 4_000
/** When reaching a contact takes longer than this, a second attempt starts beside the first (./hedge.ts); a normal one takes well under a second. */
export const CONNECT_HEDGE_MS = 4_000
/** Sessions kept per contact (two appear when both sides connect at once). */
export const MAX_LINKS_PER_CONTACT = 2
/**
 * Contact requests (someone with our invite, state 'request') kept unanswered
 * at once. Anyone holding the invite can make a new identity key per
 * introduction; beyond this, introductions from unknown keys are dropped
 * (no contact stored, no circuit built) until the user answers some.
 */
export const MAX_PENDING_REQUESTS = 16

/** A control frame (accept/decline) owed to the contact until its ACK comes. */
interface OwedControl {
  readonly frame: Uint8Array
  /** The session it was last written on, and when: written again only on a new session or after ACK_TIMEOUT_MS. */
  sentOn: ChatLink | null
  sentAt: number
}

interface PeerState {
  contact: Contact
  links: ChatLink[]
  connecting: boolean
  /** A session existed since this tab started (a pending contact's request has reached them). */
  everLinked: boolean
  outbox: Outbox
  /** Control frames (accept/decline) owed to the contact, sent with the outbox. */
  readonly owed: Map<string, OwedControl>
  /** An introduction from this contact is being answered (one rendezvous per contact at a time). */
  accepting: boolean
  /** A flush is writing to a session; another request to flush runs after it (frames of one flush are not interleaved with another's). */
  flushing: boolean
  flushAgain: boolean
  seen: SeenIds
  /** Message ids being stored: not yet in `seen`, not yet acknowledged. */
  readonly storing: Set<string>
  reassembler: Reassembler
  messages: Message[]
  unread: number
  warning: string | null
  /** Rendezvous answers in a row that did not prove the contact's key. */
  authFailures: number
  lastTimestamp: number
}

export interface ChatServiceDeps {
  readonly onion: OnionService
  readonly identity: IdentityStore
  readonly now?: () => number
  /** Notifications and visibility (absent in tests). */
  readonly notifier?: Notifier
}

export interface Notifier {
  readonly permission: () => ChatSnapshot['notifications']
  request (): Promise<void>
  /** True when the user is not looking at this tab. */
  hidden (): boolean
  show (title: string, body: string): void
}

export class ChatService implements ChatActions {
  private readonly now: () => number
  private readonly peers = new Map<string, PeerState>()
  private readonly listeners = new Set<() => void>()
  private snapshot: ChatSnapshot
  private profile: Profile | null = null
  private service: HiddenService | null = null
  private rendezvous: RendezvousDeps | null = null
  private readonly backoff = new Backoff(RECONNECT_BASE_MS, RECONNECT_MAX_MS)
  private readonly descriptors = new DescriptorCache()
  private timer: ReturnType<typeof setInterval> | null = null
  private openId: string | null = null
  private pathFor: string | null = null
  private composerError: string | null = null
  private starting: Promise<void> | null = null
  /** Observers of this tab's onion service (measurement and tests; none in the app): an acknowledged INTRODUCE1 we sent, an introduction we refused. */
  onIntroduceSent: ((point: IntroPointInfo, data: Uint8Array) => void) | null = null
  onRefusedIntroduction: (() => void) | null = null
  /** Hex keys of unknown clients whose request is being recorded (two introductions at once make one contact). */
  private readonly requestsInProgress = new Set<string>()

  constructor (private readonly deps: ChatServiceDeps) {
    this.now = deps.now ?? Date.now
    this.snapshot = this.buildSnapshot()
    deps.identity.subscribe(() => { void this.onIdentityChanged().catch(() => {}) })
    void this.onIdentityChanged().catch(() => {})
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  readonly getSnapshot = (): ChatSnapshot => this.snapshot

  // ---- lifecycle -----------------------------------------------------------

  private async onIdentityChanged (): Promise<void> {
    const profile = this.deps.identity.unlockedProfile()
    if (profile === this.profile) { if (profile != null) await this.syncContacts(); return }
    this.stop()
    this.profile = profile
    if (profile == null) { this.publish(); return }
    this.starting = this.startFor(profile).catch(() => {
      // The onion layer or the store failed to start: chat stays offline; a later identity change starts again.
    })
    await this.starting
  }

  private async startFor (profile: Profile): Promise<void> {
    await this.deps.onion.start()
    if (this.profile !== profile) return
    const identity = { publicKey: profile.identity.publicKey, displayName: profile.identity.displayName, sign: async (m: Uint8Array) => await profile.sign(m) }
    this.rendezvous = {
      onion: this.deps.onion, identity, dh: await bestDh(), random: systemRandom, now: this.now,
      onIntroduceSent: (point, data) => { this.onIntroduceSent?.(point, data) }
    }
    await this.syncContacts()
    if (this.profile !== profile) return
    const service = new HiddenService(this.rendezvous, (incoming) => { void this.onIntroduction(incoming) })
    service.onRefusedIntroduction = () => { this.onRefusedIntroduction?.() }
    this.service = service
    await service.start()
    this.timer = setInterval(() => { this.tick() }, CHAT_TICK_MS)
    this.publish()
  }

  stop (): void {
    if (this.timer != null) clearInterval(this.timer)
    this.timer = null
    this.service?.stop()
    this.service = null
    for (const p of this.peers.values()) for (const l of [...p.links]) l.close()
    this.peers.clear()
  }

  /** Load contacts (and for new ones their history) from the encrypted store. */
  private async syncContacts (): Promise<void> {
    const profile = this.profile
    if (profile == null) return
    const contacts = await profile.listContacts()
    if (this.profile !== profile) return
    for (const contact of contacts) {
      const known = this.peers.get(contact.id)
      if (known != null) { known.contact = contact; continue }
      const messages = sortMessages(await profile.listMessages(contact.id))
      // Another sync (or a profile change) ran meanwhile: never replace a peer, its links and outbox.
      if (this.profile !== profile) return
      if (this.peers.has(contact.id)) continue
      const outbox = new Outbox({ now: this.now })
      const peer: PeerState = {
        contact, links: [], connecting: false, everLinked: false, outbox, owed: new Map(), accepting: false, flushing: false, flushAgain: false,
        storing: new Set(),
        seen: SeenIds.from(messages.filter(m => m.direction === 'in').map(m => m.id)),
        reassembler: new Reassembler({ now: this.now }), messages, unread: 0, warning: null, authFailures: 0,
        lastTimestamp: messages.reduce((t, m) => Math.max(t, m.direction === 'out' ? m.timestamp : 0), 0)
      }
      // An accept or decline not acknowledged before a reload is owed still.
      if (contact.owedControl != null) peer.owed.set(...newControl(contact.owedControl, this.now()))
      // Messages not delivered before a reload are sent again (the receiver de-duplicates).
      outbox.restore(messages.filter(m => m.direction === 'out' && (m.status === 'sending' || m.status === 'sent')).map(m => ({
        id: m.id, frames: splitMessage(fromHex(m.id), m.timestamp, m.text).map(encodeChatFrame), queuedAt: this.now(), state: 'sending' as const
      })))
      this.peers.set(contact.id, peer)
    }
    for (const id of [...this.peers.keys()]) {
      if (!contacts.some(c => c.id === id)) { for (const l of this.peers.get(id)!.links) l.close(); this.peers.delete(id) }
    }
    this.publish()
  }

  // ---- sessions -------------------------------------------------------------

  private tick (): void {
    const now = this.now()
    for (const peer of this.peers.values()) {
      for (const item of peer.outbox.expire()) void this.setDelivery(peer, item.id, 'failed')
      peer.reassembler.prune()
      const link = this.liveLink(peer)
      if (link != null && this.stalled(peer, link, now)) link.close() // requeues; a new session is made below
      else if (link != null) { void this.flush(peer); continue }
      if (peer.connecting || !this.wantsLink(peer)) continue
      if (!this.backoff.ready(peer.contact.id, now)) continue
      void this.connect(peer)
    }
  }

  /**
   * A session that carried a message out STALL_MS ago and has brought nothing
   * back since is presumed dead: a relay on the path left without the close
   * reaching us yet, or drops cells. An ACK takes tens of milliseconds.
   */
  private stalled (peer: PeerState, link: ChatLink, now: number): boolean {
    return peer.outbox.undelivered().some(item => item.state === 'sent' && item.lastSentAt != null &&
      now - item.lastSentAt > STALL_MS && link.lastReceivedAt < item.lastSentAt)
  }

  private wantsLink (peer: PeerState): boolean {
    // Our own decline is owed to them until acknowledged (else they retry forever); nothing else goes to a declined contact.
    if (peer.contact.state === 'declined') return peer.contact.declinedByUs === true && peer.owed.size > 0
    if (peer.outbox.undelivered().length > 0 || peer.owed.size > 0) return true
    return peer.contact.state === 'pending' && !peer.everLinked
  }

  private liveLink (peer: PeerState): ChatLink | null {
    for (let i = peer.links.length - 1; i >= 0; i--) if (peer.links[i]!.live) return peer.links[i]!
    return null
  }

  private async connect (peer: PeerState): Promise<void> {
    if (this.rendezvous == null) return
    peer.connecting = true
    this.publish()
    try {
      // A second attempt over other relays if the first is slow (a relay on its path may have just left).
      const link = await hedged(async () => await this.reach(peer.contact.publicKey), CONNECT_HEDGE_MS, (late) => { late.circuit.destroy() })
      peer.warning = null
      peer.authFailures = 0
      this.backoff.success(peer.contact.id)
      this.attach(peer, link)
    } catch (err) {
      this.backoff.failure(peer.contact.id, this.now())
      if (err instanceof IdentityMismatchError) peer.warning = err.message
      // Several rendezvous points in a row cannot all be lying: warn then.
      if (err instanceof RendezvousAuthError && ++peer.authFailures >= AUTH_FAILURES_BEFORE_WARNING) peer.warning = IDENTITY_UNPROVEN_WARNING
    } finally {
      peer.connecting = false
      this.publish()
    }
  }

  /**
   * An introduction that passed every check (docs/RENDEZVOUS.md §6): the
   * client key is proven by its signature and the session keys by the
   * handshake, so the session belongs to the contact with that key. Unknown
   * keys become contact requests (at most MAX_PENDING_REQUESTS); one
   * rendezvous per contact at a time. Never rejects: it runs from the
   * service's callback.
   */
  private async onIntroduction (incoming: IncomingIntroduction): Promise<void> {
    const profile = this.profile
    if (profile == null) return
    const { intro } = incoming
    let peer = [...this.peers.values()].find(p => ctEqual(p.contact.publicKey, intro.clientKey))
    if (peer?.contact.state === 'declined' && peer.contact.declinedByUs === true && peer.owed.size === 0) return
    if (peer == null) {
      // Someone with our invite: a contact request the user accepts or declines.
      const name = normalizeDisplayName(intro.clientName)
      if (name == null || ctEqual(intro.clientKey, profile.identity.publicKey)) return
      const keyHex = toHex(intro.clientKey)
      const pending = [...this.peers.values()].filter(p => p.contact.state === 'request').length + this.requestsInProgress.size
      if (this.requestsInProgress.has(keyHex) || pending >= MAX_PENDING_REQUESTS) return
      this.requestsInProgress.add(keyHex)
      try {
        const contact: Contact = { id: toHex(systemRandom(16)), publicKey: intro.clientKey, displayName: name, relays: [], state: 'request', verified: false, addedAt: this.now() }
        await profile.putContact(contact)
        if (this.profile !== profile) return
        await this.syncContacts()
        await this.deps.identity.contactsChanged()
        peer = this.peers.get(contact.id)
        if (peer == null || this.profile !== profile) return
        this.notify(`${name} wants to chat`, 'A new contact request')
      } catch {
        return // not recorded (storage failed): the client tries again
      } finally {
        this.requestsInProgress.delete(keyHex)
      }
    }
    if (peer.accepting) return // one rendezvous per contact at a time
    peer.accepting = true
    try {
      this.attach(peer, await incoming.accept())
    } catch {
      // The client's rendezvous point could not be reached, or the service's limits dropped it; the client tries again.
    } finally {
      peer.accepting = false
    }
  }

  private attach (peer: PeerState, link: RendezvousLink): void {
    // The peer is gone (contact removed, profile closed or switched) while the link was made: never attach to it.
    if (this.peers.get(peer.contact.id) !== peer) { link.circuit.destroy(); return }
    const chat = new ChatLink(link, (payload, from) => { void this.onPayload(peer, payload, from) }, (closed) => {
      const i = peer.links.indexOf(closed)
      if (i >= 0) peer.links.splice(i, 1)
      if (this.liveLink(peer) == null) peer.outbox.sessionLost()
      this.publish()
    })
    peer.links.push(chat)
    while (peer.links.length > MAX_LINKS_PER_CONTACT) peer.links.shift()!.close()
    peer.everLinked = true
    peer.outbox.sessionLost() // resend what was sent on an older session and not acknowledged
    this.publish()
    void this.flush(peer)
  }

  /**
   * Write what is owed on the newest live session: controls not yet written on
   * it (or unacknowledged for ACK_TIMEOUT_MS), then the outbox's due messages.
   * A message becomes 'sent' only after all its frames were written; one whose
   * write failed goes back to 'sending' (Outbox.requeue). One flush per peer at
   * a time; a request meanwhile runs once more after it. Never rejects.
   */
  private async flush (peer: PeerState): Promise<void> {
    if (peer.flushing) { peer.flushAgain = true; return }
    peer.flushing = true
    try {
      do {
        peer.flushAgain = false
        const link = this.liveLink(peer)
        if (link == null) return
        const now = this.now()
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
            peer.flushAgain = this.liveLink(peer) != null
            break
          }
          if (this.messageOf(peer, item.id)?.status === 'sending') await this.setDelivery(peer, item.id, 'sent')
        }
      } while (peer.flushAgain)
    } finally {
      peer.flushing = false
    }
  }

  /** One payload from `link`'s session with `peer` (and only that peer: acks and controls touch nothing else). Never rejects. */
  private async onPayload (peer: PeerState, payload: Uint8Array, link: ChatLink): Promise<void> {
    try {
      await this.handlePayload(peer, payload, link)
    } catch {
      // Storage failed: nothing was acknowledged, so the sender resends.
    }
  }

  private async handlePayload (peer: PeerState, payload: Uint8Array, link: ChatLink): Promise<void> {
    let frame: ChatFrame
    try {
      frame = decodeChatFrame(payload)
    } catch (err) {
      if (err instanceof ChatFrameError) link.close()
      return
    }
    const profile = this.profile
    if (profile == null || this.peers.get(peer.contact.id) !== peer) return
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
          const message: Message = { id, direction: 'in', text: whole.text, timestamp: whole.timestamp }
          peer.storing.add(id)
          try {
            await profile.putMessage(peer.contact.id, message)
          } finally {
            peer.storing.delete(id)
          }
          if (this.profile !== profile) return
          peer.seen.add(id)
          peer.messages = sortMessages([...peer.messages, message])
          // A message from a contact we asked means they accepted.
          if (peer.contact.state === 'pending') await this.setStanding(peer, 'accepted')
          if (this.openId !== peer.contact.id || this.deps.notifier?.hidden() === true) peer.unread++
          this.notify('Shallot', `New message from ${peer.contact.displayName}`)
          this.publish()
        }
        await link.send(encodeChatFrame({ type: 'ack', msgId: whole.msgId })).catch(() => {})
        return
      }
      case 'ack': {
        const id = toHex(frame.msgId)
        if (peer.owed.delete(id)) {
          if (peer.owed.size === 0 && peer.contact.owedControl != null) await this.setStanding(peer, peer.contact.state, { owedControl: undefined })
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
        if (frame.what === 'accept' && (peer.contact.state === 'pending' || peer.contact.state === 'declined') && peer.contact.declinedByUs !== true) await this.setStanding(peer, 'accepted')
        if (frame.what === 'decline' && peer.contact.state === 'pending') await this.setStanding(peer, 'declined')
        await link.send(encodeChatFrame({ type: 'ack', msgId: frame.msgId })).catch(() => {})
      }
    }
  }

  // ---- state changes --------------------------------------------------------

  private messageOf (peer: PeerState, id: string): Message | undefined {
    return peer.messages.find(m => m.id === id && m.direction === 'out')
  }

  private async setDelivery (peer: PeerState, id: string, state: DeliveryState): Promise<void> {
    const m = this.messageOf(peer, id)
    if (m == null || m.status === state || m.status === 'delivered') return
    const next = { ...m, status: state }
    peer.messages = peer.messages.map(x => (x === m ? next : x))
    this.publish()
    // Best effort: the state on screen is right; a failed write only loses it across a reload (callers use `void`).
    await this.profile?.putMessage(peer.contact.id, next).catch(() => {})
  }

  private async setStanding (peer: PeerState, state: Contact['state'], patch: Partial<Contact> = {}): Promise<void> {
    const contact: Contact = { ...peer.contact, ...patch, state }
    peer.contact = contact
    await this.profile?.putContact(contact)
    await this.deps.identity.contactsChanged()
    this.publish()
  }

  private notify (title: string, body: string): void {
    const n = this.deps.notifier
    if (n != null && n.hidden() && n.permission() === 'granted') n.show(title, body)
  }

  // ---- actions (ChatActions) ------------------------------------------------

  open (contactId: string | null): void {
    this.openId = contactId
    this.composerError = null
    if (this.pathFor !== contactId) this.pathFor = null
    const peer = contactId == null ? null : this.peers.get(contactId)
    if (peer != null) peer.unread = 0
    this.publish()
  }

  async send (contactId: string, text: string): Promise<boolean> {
    const peer = this.peers.get(contactId)
    if (peer == null || this.profile == null) return false
    const id = systemRandom(16)
    const timestamp = Math.max(this.now(), peer.lastTimestamp + 1) // strictly increasing per conversation
    let frames: Uint8Array[]
    try {
      frames = splitMessage(id, timestamp, text).map(encodeChatFrame)
    } catch (err) {
      this.composerError = err instanceof MessageTooLongError || err instanceof EmptyMessageError ? err.message : 'This message cannot be sent.'
      this.publish()
      return false
    }
    peer.lastTimestamp = timestamp
    const message: Message = { id: toHex(id), direction: 'out', text, timestamp, status: 'sending' }
    await this.profile.putMessage(contactId, message)
    peer.messages = sortMessages([...peer.messages, message])
    peer.outbox.add(message.id, frames)
    this.composerError = null
    this.publish()
    const link = this.liveLink(peer)
    if (link != null) void this.flush(peer)
    else this.backoff.success(contactId) // a new message is worth an attempt now
    return true
  }

  retry (contactId: string, messageId: string): void {
    const peer = this.peers.get(contactId)
    if (peer?.outbox.retry(messageId) == null) return
    this.backoff.success(contactId)
    void this.setDelivery(peer, messageId, 'sending')
  }

  async accept (contactId: string): Promise<void> {
    const peer = this.peers.get(contactId)
    if (peer == null || peer.contact.state !== 'request') return
    // Stored with the contact until acknowledged, so a reload does not lose it.
    await this.setStanding(peer, 'accepted', { owedControl: 'accept' })
    this.queueControl(peer, 'accept')
  }

  async decline (contactId: string): Promise<void> {
    const peer = this.peers.get(contactId)
    if (peer == null || peer.contact.state !== 'request') return
    this.queueControl(peer, 'decline')
    await this.setStanding(peer, 'declined', { declinedByUs: true, owedControl: 'decline' })
    if (this.openId === contactId) this.openId = null
    this.publish()
  }

  private queueControl (peer: PeerState, what: 'accept' | 'decline'): void {
    peer.owed.set(...newControl(what, this.now()))
    const link = this.liveLink(peer)
    if (link != null) void this.flush(peer)
    else this.backoff.success(peer.contact.id)
  }

  togglePath (contactId: string): void {
    this.pathFor = this.pathFor === contactId ? null : contactId
    this.publish()
  }

  async askNotifications (): Promise<void> {
    await this.deps.notifier?.request()
    this.publish()
  }

  // ---- snapshot --------------------------------------------------------------

  private publish (): void {
    this.snapshot = this.buildSnapshot()
    for (const l of this.listeners) l()
  }

  private reachOf (peer: PeerState): Reachability {
    if (this.liveLink(peer) != null) return 'reachable'
    return peer.connecting ? 'connecting' : 'offline'
  }

  private buildSnapshot (): ChatSnapshot {
    const contacts = this.deps.identity.getSnapshot().contacts
    const conversations: ConversationView[] = [...this.peers.values()]
      .filter(p => !(p.contact.state === 'declined' && p.contact.declinedByUs === true))
      .map(p => {
        const last = p.messages[p.messages.length - 1]
        const view = contacts.find(c => c.id === p.contact.id)
        return {
          contactId: p.contact.id,
          displayName: p.contact.displayName,
          standing: p.contact.state,
          reach: this.reachOf(p),
          unread: p.unread,
          lastMessage: last == null ? null : { text: last.text, timestamp: last.timestamp, direction: last.direction },
          safetyNumber: view?.safetyNumber ?? '',
          verified: p.contact.verified,
          warning: p.warning
        }
      })
      .sort((a, b) => (b.lastMessage?.timestamp ?? 0) - (a.lastMessage?.timestamp ?? 0))
    const open = this.openId == null ? null : this.peers.get(this.openId) ?? null
    const messages: ChatMessageView[] = open?.messages.map(m => ({
      id: m.id, direction: m.direction, text: m.text, timestamp: m.timestamp,
      delivery: m.direction === 'out' ? (m.status as DeliveryState | undefined) ?? 'sending' : null
    })) ?? []
    const link = open != null && this.pathFor === open.contact.id ? this.liveLink(open) : null
    return {
      conversations,
      openId: open != null ? this.openId : null,
      messages,
      path: this.pathFor != null && open != null ? { hops: link?.link.hops ?? [], joined: link != null } : null,
      composerError: this.composerError,
      notifications: this.deps.notifier?.permission() ?? 'unsupported'
    }
  }

  // ---- building blocks (sessions outside a conversation, inspection) --------

  /**
   * One rendezvous with `contactKey` (its descriptor from the cache unless
   * `fresh`): a joined link the caller owns, not attached to any conversation.
   */
  async reach (contactKey: Uint8Array, opts: { fresh?: boolean } = {}): Promise<RendezvousLink> {
    const deps = this.rendezvous
    if (deps == null) throw new Error('chat is not started')
    if (opts.fresh === true) this.descriptors.forget(contactKey)
    return await connectToContact(deps, contactKey, this.descriptors)
  }

  /** This tab's onion service while chat runs, else null. */
  get onionService (): HiddenService | null { return this.service }

  /** Every conversation's contact, live sessions and undelivered messages (read-only). */
  inspect (): Array<{ contact: Contact, liveSessions: number, undelivered: number }> {
    return [...this.peers.values()].map(p => ({ contact: p.contact, liveSessions: p.links.filter(l => l.live).length, undelivered: p.outbox.undelivered().length }))
  }
}

/** A fresh control frame and its owed-state entry (keyed by its message id). */
function newControl (what: 'accept' | 'decline', now: number): [string, OwedControl] {
  const msgId = systemRandom(16)
  return [toHex(msgId), { frame: encodeChatFrame({ type: 'control', msgId, timestamp: now, what }), sentOn: null, sentAt: 0 }]
}

function sortMessages (messages: Message[]): Message[] {
  return [...messages].sort((a, b) => a.timestamp - b.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

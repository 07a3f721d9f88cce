/**
 * The chat service: the façade the UI and tests use (framework-free). It
 * keeps one conversation per contact (./conversation.ts) and runs them: the
 * lifecycle with the unlocked profile, the user's actions, clearing history.
 * The rules live beside it, one concern per file: sessions with contacts
 * over rendezvous circuits (./sessions.ts), delivery and receipts
 * (./delivery.ts), who may reach us (./requests.ts), what the UI shows
 * (./view-model.ts), notifications (./notifications.ts), numbers
 * (./constants.ts). The UI reads {@link ChatService.getSnapshot} and calls
 * the {@link ChatActions}; history is kept in the profile's encrypted store.
 *
 * The threats are those of its parts: an unproven answer at a rendezvous
 * point (warned about only when it keeps happening), a flood of contact
 * requests, a contact we declined. Nothing here logs names, keys, peer ids
 * or message text.
 */
import { ExternalStore } from '../external-store.ts'
import { toHex } from '../../core/bytes.ts'
import { EmptyMessageError, encodeChatFrame, MessageTooLongError, splitMessage } from '../../core/chat/index.ts'
import type { IntroPointInfo } from '../../core/rendezvous/index.ts'
import { systemRandom } from '../../core/random.ts'
import type { Contact, Message, Profile } from '../../storage/types.ts'
import type { IdentityStore } from '../identity/store.ts'
import type { OnionService } from '../onion/index.ts'
import { HiddenService, type RendezvousDeps, type RendezvousLink } from '../onion-service/index.ts'
import { bestDh } from '../webcrypto-dh.ts'
import { CHAT_TICK_MS } from './constants.ts'
import { loadConversation, newControl, sortMessages, type PeerState } from './conversation.ts'
import { Delivery } from './delivery.ts'
import { notifyIfHidden, type Notifier } from './notifications.ts'
import { RequestPolicy, type RequestRefusal } from './requests.ts'
import { Sessions } from './sessions.ts'
import type { ChatActions, ChatSnapshot } from './types.ts'
import { buildSnapshot } from './view-model.ts'

export * from './constants.ts'
export type { Notifier } from './notifications.ts'

export interface ChatServiceDeps {
  readonly onion: OnionService
  readonly identity: IdentityStore
  readonly now?: () => number
  /** Notifications and visibility (absent in tests). */
  readonly notifier?: Notifier
}

export class ChatService implements ChatActions {
  private readonly now: () => number
  private readonly peers = new Map<string, PeerState>()
  private readonly view: ExternalStore<ChatSnapshot>
  private profile: Profile | null = null
  private service: HiddenService | null = null
  private timer: ReturnType<typeof setInterval> | null = null
  private openId: string | null = null
  private pathFor: string | null = null
  private composerError: string | null = null
  private starting: Promise<void> | null = null
  private readonly delivery: Delivery
  private readonly sessions: Sessions
  private readonly requests: RequestPolicy
  /** Observers of this tab's onion service (measurement and tests; none in the app): an acknowledged INTRODUCE1 we sent, an introduction we refused. */
  onIntroduceSent: ((point: IntroPointInfo, data: Uint8Array) => void) | null = null
  onRefusedIntroduction: (() => void) | null = null

  constructor (private readonly deps: ChatServiceDeps) {
    this.now = deps.now ?? Date.now
    const host = {
      now: this.now,
      notifier: deps.notifier,
      profile: () => this.profile,
      isCurrent: (peer: PeerState) => this.peers.get(peer.contact.id) === peer,
      isOpen: (contactId: string) => this.openId === contactId,
      setStanding: async (peer: PeerState, state: Contact['state'], patch?: Partial<Contact>) => { await this.setStanding(peer, state, patch) },
      publish: () => { this.publish() },
      peers: () => this.peers.values(),
      peer: (contactId: string) => this.peers.get(contactId),
      syncContacts: async () => { await this.syncContacts() },
      contactsChanged: async () => { await deps.identity.contactsChanged() },
      notify: (title: string, body: string) => { notifyIfHidden(deps.notifier, title, body) },
      attach: (peer: PeerState, link: RendezvousLink) => { this.attach(peer, link) }
    }
    this.delivery = new Delivery(host)
    this.requests = new RequestPolicy(host)
    this.sessions = new Sessions({ ...host, delivery: this.delivery })
    this.view = new ExternalStore(this.buildSnapshot())
    deps.identity.subscribe(() => { void this.onIdentityChanged().catch(() => {}) })
    void this.onIdentityChanged().catch(() => {})
  }

  readonly subscribe = (listener: () => void): (() => void) => this.view.subscribe(listener)

  readonly getSnapshot = (): ChatSnapshot => this.view.getSnapshot()

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
    const rendezvous: RendezvousDeps = {
      onion: this.deps.onion, identity, dh: await bestDh(), random: systemRandom, now: this.now,
      onIntroduceSent: (point, data) => { this.onIntroduceSent?.(point, data) }
    }
    this.sessions.use(rendezvous)
    await this.syncContacts()
    if (this.profile !== profile) return
    const service = new HiddenService(rendezvous, (incoming) => { void this.requests.onIntroduction(incoming) })
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
      const messages = await profile.listMessages(contact.id)
      // Another sync (or a profile change) ran meanwhile: never replace a peer, its links and outbox.
      if (this.profile !== profile) return
      if (this.peers.has(contact.id)) continue
      this.peers.set(contact.id, loadConversation(contact, messages, this.now))
    }
    for (const id of [...this.peers.keys()]) {
      if (!contacts.some(c => c.id === id)) { for (const l of this.peers.get(id)!.links) l.close(); this.peers.delete(id) }
    }
    this.publish()
  }

  // ---- sessions -------------------------------------------------------------

  private tick (): void { this.sessions.tick(this.peers.values()) }

  private attach (peer: PeerState, link: RendezvousLink): void { this.sessions.attach(peer, link) }

  private async setStanding (peer: PeerState, state: Contact['state'], patch: Partial<Contact> = {}): Promise<void> {
    const contact: Contact = { ...peer.contact, ...patch, state }
    peer.contact = contact
    await this.profile?.putContact(contact)
    await this.deps.identity.contactsChanged()
    this.publish()
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
    this.sessions.kick(peer) // a new message is worth an attempt now
    return true
  }

  retry (contactId: string, messageId: string): void {
    const peer = this.peers.get(contactId)
    if (peer?.outbox.retry(messageId) == null) return
    this.sessions.retryNow(contactId)
    void this.delivery.setDelivery(peer, messageId, 'sending')
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
    this.sessions.kick(peer)
  }

  togglePath (contactId: string): void {
    this.pathFor = this.pathFor === contactId ? null : contactId
    this.publish()
  }

  async askNotifications (): Promise<void> {
    await this.deps.notifier?.request()
    this.publish()
  }

  // ---- history ----------------------------------------------------------------

  /**
   * Delete every message exchanged with this contact, in storage and on
   * screen. Messages not yet delivered are still sent (the contact gets
   * them), but their receipts change nothing: the history stays cleared.
   * Ids already received stay known, so a late copy is not shown again.
   */
  async clearHistory (contactId: string): Promise<void> {
    const profile = this.profile
    if (profile == null) throw new Error('no profile is open')
    await profile.clearHistory(contactId)
    this.forgetHistory(contactId)
  }

  /** Delete the 1:1 conversation with this contact (its record and messages); the contact stays. As clearHistory otherwise. */
  async deleteConversation (contactId: string): Promise<void> {
    const profile = this.profile
    if (profile == null) throw new Error('no profile is open')
    await profile.deleteConversation(contactId)
    if (this.openId === contactId) this.openId = null
    this.forgetHistory(contactId)
  }

  private forgetHistory (contactId: string): void {
    const peer = this.peers.get(contactId)
    if (peer != null) {
      peer.messages = []
      peer.unread = 0
    }
    this.publish()
  }

  // ---- snapshot --------------------------------------------------------------

  private publish (): void {
    this.view.set(this.buildSnapshot())
  }

  private buildSnapshot (): ChatSnapshot {
    return buildSnapshot({
      peers: this.peers,
      contacts: this.deps.identity.getSnapshot().contacts,
      openId: this.openId,
      pathFor: this.pathFor,
      composerError: this.composerError,
      notifications: this.deps.notifier?.permission() ?? 'unsupported'
    })
  }

  // ---- building blocks (sessions outside a conversation, inspection) --------

  /**
   * One rendezvous with `contactKey` (its descriptor from the cache unless
   * `fresh`): a joined link the caller owns, not attached to any conversation.
   */
  async reach (contactKey: Uint8Array, opts: { fresh?: boolean } = {}): Promise<RendezvousLink> {
    return await this.sessions.reach(contactKey, opts)
  }

  /** Introductions from unknown keys dropped since start, by reason (counts only: no names, keys or ids). */
  refusedRequests (): ReadonlyMap<RequestRefusal, number> { return new Map(this.requests.refused) }

  /** This tab's onion service while chat runs, else null. */
  get onionService (): HiddenService | null { return this.service }

  /** Every conversation's contact, live sessions and undelivered messages (read-only). */
  inspect (): Array<{ contact: Contact, liveSessions: number, undelivered: number }> {
    return [...this.peers.values()].map(p => ({ contact: p.contact, liveSessions: p.links.filter(l => l.live).length, undelivered: p.outbox.undelivered().length }))
  }
}

/**
 * One conversation's state in memory (a contact, its sessions, outbox, owed
 * controls, history) and the rules that read only that state: which session
 * is live, when one is presumed dead, whether we want one at all. Loaded
 * from the encrypted store (persistence): what was not delivered or not
 * acknowledged before a reload is owed still. Nothing here logs.
 */
import { fromHex, toHex } from '../../core/bytes.ts'
import { encodeChatFrame, Outbox, Reassembler, SeenIds, splitMessage } from '../../core/chat/index.ts'
import { systemRandom } from '../../core/random.ts'
import type { Contact, Message } from '../../storage/types.ts'
import { STALL_MS } from './constants.ts'
import type { ChatLink } from './link.ts'

/** A control frame (accept/decline) owed to the contact until its ACK comes. */
export interface OwedControl {
  readonly frame: Uint8Array
  /** The session it was last written on, and when: written again only on a new session or after ACK_TIMEOUT_MS. */
  sentOn: ChatLink | null
  sentAt: number
}

export interface PeerState {
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

/** A conversation as stored: its history, what is still owed, and messages not delivered before a reload (sent again; the receiver de-duplicates). */
export function loadConversation (contact: Contact, stored: readonly Message[], now: () => number): PeerState {
  const messages = sortMessages(stored)
  const outbox = new Outbox({ now })
  const peer: PeerState = {
    contact, links: [], connecting: false, everLinked: false, outbox, owed: new Map(), accepting: false, flushing: false, flushAgain: false,
    storing: new Set(),
    seen: SeenIds.from(messages.filter(m => m.direction === 'in').map(m => m.id)),
    reassembler: new Reassembler({ now }), messages, unread: 0, warning: null, authFailures: 0,
    lastTimestamp: messages.reduce((t, m) => Math.max(t, m.direction === 'out' ? m.timestamp : 0), 0)
  }
  // An accept or decline not acknowledged before a reload is owed still.
  if (contact.owedControl != null) peer.owed.set(...newControl(contact.owedControl, now()))
  outbox.restore(messages.filter(m => m.direction === 'out' && (m.status === 'sending' || m.status === 'sent')).map(m => ({
    id: m.id, frames: splitMessage(fromHex(m.id), m.timestamp, m.text).map(encodeChatFrame), queuedAt: now(), state: 'sending' as const
  })))
  return peer
}

/** A fresh control frame and its owed-state entry (keyed by its message id). */
export function newControl (what: 'accept' | 'decline', now: number): [string, OwedControl] {
  const msgId = systemRandom(16)
  return [toHex(msgId), { frame: encodeChatFrame({ type: 'control', msgId, timestamp: now, what }), sentOn: null, sentAt: 0 }]
}

export function sortMessages (messages: readonly Message[]): Message[] {
  return [...messages].sort((a, b) => a.timestamp - b.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}

/** The newest live session, or null. */
export function liveLink (peer: PeerState): ChatLink | null {
  for (let i = peer.links.length - 1; i >= 0; i--) if (peer.links[i]!.live) return peer.links[i]!
  return null
}

/**
 * A session that carried a message out STALL_MS ago and has brought nothing
 * back since is presumed dead: a relay on the path left without the close
 * reaching us yet, or drops cells. An ACK takes tens of milliseconds.
 */
export function isStalled (peer: PeerState, link: ChatLink, now: number): boolean {
  return peer.outbox.undelivered().some(item => item.state === 'sent' && item.lastSentAt != null &&
    now - item.lastSentAt > STALL_MS && link.lastReceivedAt < item.lastSentAt)
}

/** Whether we should make a session with this contact now. */
export function wantsLink (peer: PeerState): boolean {
  // Our own decline is owed to them until acknowledged (else they retry forever); nothing else goes to a declined contact.
  if (peer.contact.state === 'declined') return peer.contact.declinedByUs === true && peer.owed.size > 0
  if (peer.outbox.undelivered().length > 0 || peer.owed.size > 0) return true
  return peer.contact.state === 'pending' && !peer.everLinked
}

/** The outgoing message `id`, if still kept (a cleared history keeps none). */
export function outgoingMessage (peer: PeerState, id: string): Message | undefined {
  return peer.messages.find(m => m.id === id && m.direction === 'out')
}

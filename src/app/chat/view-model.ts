/**
 * What the chat UI shows (the view model): one immutable snapshot built from
 * the conversations in memory. Contacts we declined are not shown; the path
 * of a conversation is shown only as short hop ids, and only while the user
 * asked for it. Never reads storage.
 */
import type { ContactView } from '../identity/store.ts'
import { liveLink, type PeerState } from './conversation.ts'
import type { ChatMessageView, ChatSnapshot, ConversationView, DeliveryState, Reachability } from './types.ts'

export interface ViewState {
  readonly peers: ReadonlyMap<string, PeerState>
  /** The identity store's contacts (for safety numbers). */
  readonly contacts: readonly ContactView[]
  readonly openId: string | null
  readonly pathFor: string | null
  readonly composerError: string | null
  readonly notifications: ChatSnapshot['notifications']
}

function reachOf (peer: PeerState): Reachability {
  if (liveLink(peer) != null) return 'reachable'
  return peer.connecting ? 'connecting' : 'offline'
}

export function buildSnapshot (s: ViewState): ChatSnapshot {
  const conversations: ConversationView[] = [...s.peers.values()]
    .filter(p => !(p.contact.state === 'declined' && p.contact.declinedByUs === true))
    .map(p => {
      const last = p.messages[p.messages.length - 1]
      const view = s.contacts.find(c => c.id === p.contact.id)
      return {
        contactId: p.contact.id,
        displayName: p.contact.displayName,
        standing: p.contact.state,
        reach: reachOf(p),
        unread: p.unread,
        lastMessage: last == null ? null : { text: last.text, timestamp: last.timestamp, direction: last.direction },
        safetyNumber: view?.safetyNumber ?? '',
        verified: p.contact.verified,
        warning: p.warning
      }
    })
    .sort((a, b) => (b.lastMessage?.timestamp ?? 0) - (a.lastMessage?.timestamp ?? 0))
  const open = s.openId == null ? null : s.peers.get(s.openId) ?? null
  const messages: ChatMessageView[] = open?.messages.map(m => ({
    id: m.id, direction: m.direction, text: m.text, timestamp: m.timestamp,
    delivery: m.direction === 'out' ? (m.status as DeliveryState | undefined) ?? 'sending' : null
  })) ?? []
  const link = open != null && s.pathFor === open.contact.id ? liveLink(open) : null
  return {
    conversations,
    openId: open != null ? s.openId : null,
    messages,
    path: s.pathFor != null && open != null ? { hops: link?.link.hops ?? [], joined: link != null } : null,
    composerError: s.composerError,
    notifications: s.notifications
  }
}

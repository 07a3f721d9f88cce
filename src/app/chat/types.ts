/**
 * What the chat UI renders and what it can ask for: one snapshot (read with
 * useSyncExternalStore) and one method per user action. The chat service
 * (src/app/chat/service.ts) produces these; components only take them as props.
 */

/** Whether a contact can be reached right now, in plain words for the UI. */
export type Reachability = 'reachable' | 'connecting' | 'offline'

/** Delivery state of an outgoing message (docs/RENDEZVOUS.md §8). */
export type DeliveryState = 'sending' | 'sent' | 'delivered' | 'failed'

/**
 * Where the contact relationship stands:
 * - 'pending': we added them from their invite; they have not accepted yet;
 * - 'request': they reached us from our invite; we have not accepted yet;
 * - 'accepted': both sides agreed;
 * - 'declined': they declined our request (we may still read the history).
 */
export type ContactStanding = 'pending' | 'request' | 'accepted' | 'declined'

export interface ChatMessageView {
  /** Hex message id, unique in its conversation. */
  readonly id: string
  readonly direction: 'in' | 'out'
  /** Plain text: render as text only, never as HTML; links are not fetched. */
  readonly text: string
  /** ms since the Unix epoch on this tab's clock: when written (outgoing) or received (incoming). */
  readonly timestamp: number
  /** Outgoing messages only; null for incoming ones. */
  readonly delivery: DeliveryState | null
}

export interface ConversationView {
  /** The contact's id (1:1 conversation id = contact id). */
  readonly contactId: string
  readonly displayName: string
  readonly standing: ContactStanding
  readonly reach: Reachability
  readonly unread: number
  readonly lastMessage: { readonly text: string, readonly timestamp: number, readonly direction: 'in' | 'out' } | null
  /** 60 digits (12 groups of 5 when shown). */
  readonly safetyNumber: string
  readonly verified: boolean
  /** A security warning to show prominently (e.g. the contact's key did not match), or null. */
  readonly warning: string | null
}

/** The circuit path of a conversation, for "show path": short ids only. */
export interface ConversationPath {
  /** Our relays to the rendezvous point, first hop first; the last one is the rendezvous point. */
  readonly hops: readonly string[]
  /** Whether the contact's side was reached through this rendezvous point. */
  readonly joined: boolean
}

export interface ChatSnapshot {
  readonly conversations: readonly ConversationView[]
  /** The open conversation's contact id, or null. */
  readonly openId: string | null
  /** Messages of the open conversation, oldest first. */
  readonly messages: readonly ChatMessageView[]
  /** Path of the open conversation while "show path" is on, else null. */
  readonly path: ConversationPath | null
  /** A sentence to show near the composer (e.g. "Messages are limited to 16 KiB."), or null. */
  readonly composerError: string | null
  /** 'default' until asked; 'unsupported' without the Notification API. */
  readonly notifications: 'default' | 'granted' | 'denied' | 'unsupported'
}

export interface ChatActions {
  open (contactId: string | null): void
  /** Resolves false (and sets composerError) when the message was refused (too long, empty). */
  send (contactId: string, text: string): Promise<boolean>
  retry (contactId: string, messageId: string): void
  accept (contactId: string): Promise<void>
  decline (contactId: string): Promise<void>
  togglePath (contactId: string): void
  /** Ask for notification permission (only from a user gesture). */
  askNotifications (): Promise<void>
  /** Delete every message with this contact, in storage and on screen; it stays cleared. */
  clearHistory (contactId: string): Promise<void>
  /** Delete the conversation with this contact (record and messages); the contact stays. */
  deleteConversation (contactId: string): Promise<void>
}

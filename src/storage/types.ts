/**
 * What the rest of the app stores about people and conversations. Every field
 * is encrypted at rest (see seal.ts); only random ids are visible in
 * IndexedDB's keys.
 */

export interface StoredIdentity {
  readonly publicKey: Uint8Array
  readonly displayName: string
  /** ms since the Unix epoch */
  readonly createdAt: number
}

/**
 * 'pending': we added them from their invite and wait for them to accept;
 * 'request': they reached us through our invite and wait for us;
 * 'accepted': both agreed; 'declined': they declined our request, or we
 * declined theirs (then the contact is hidden and its introductions refused).
 */
export type ContactState = 'pending' | 'request' | 'accepted' | 'declined'

export interface Contact {
  /** Random id (hex), not derived from the key, so IndexedDB keys reveal nothing. */
  readonly id: string
  readonly publicKey: Uint8Array
  readonly displayName: string
  /** Bootstrap relay addresses from the invite. */
  readonly relays: readonly string[]
  readonly state: ContactState
  /** The user compared the safety number and marked it verified. */
  readonly verified: boolean
  readonly addedAt: number
  /** Hex id of the invite this contact came from, if any. */
  readonly inviteId?: string
  /** The secret of their invite (we added them from it): our introductions prove it until they know our key (core/rendezvous/invite-proof.ts). */
  readonly inviteSecret?: Uint8Array
  /** Set when *we* declined their request (as opposed to them declining ours). */
  readonly declinedByUs?: boolean
  /** Our accept or decline, until the contact acknowledges it (survives a reload). */
  readonly owedControl?: 'accept' | 'decline'
}

export interface Conversation {
  readonly id: string
  readonly contactId: string
  readonly createdAt: number
}

export type MessageDirection = 'in' | 'out'

export interface Message {
  /** Unique within its conversation (the chat protocol's message id). */
  readonly id: string
  readonly direction: MessageDirection
  readonly text: string
  /**
   * ms since the Unix epoch on this tab's clock: when it was written here
   * (outgoing) or when it arrived (incoming). listMessages sorts by it, then
   * by id, so the order on screen is the receiver's, never the sender's claim.
   */
  readonly timestamp: number
  /** Incoming only: when the sender says it wrote it (its own clock; kept, never used for order). */
  readonly sentAt?: number
  /** Delivery state, free-form for the chat layer (e.g. 'sending', 'acked', 'failed'). */
  readonly status?: string
}

/**
 * An invite this identity issued: what our service checks an introduction
 * from an unknown key against (docs/RENDEZVOUS.md §6 "Invite proof").
 */
export interface IssuedInvite {
  /** Hex of the invite id in the link. */
  readonly id: string
  /** The secret in the link, which an introduction must prove. */
  readonly secret: Uint8Array
  /** ms since the Unix epoch. */
  readonly createdAt: number
  /** ms since the Unix epoch, as in the link (1 s resolution). */
  readonly expiresAt: number
  /** Revoked by the user: its proofs are refused from then on. */
  readonly revoked: boolean
}

/** The message/contact API other features use. Conversation id of a 1:1 chat = the contact id. */
export interface ChatStore {
  putContact (contact: Contact): Promise<void>
  getContact (id: string): Promise<Contact | null>
  listContacts (): Promise<Contact[]>
  /** Removes the contact with its conversations and messages. */
  deleteContact (id: string): Promise<void>
  putConversation (conversation: Conversation): Promise<void>
  listConversations (): Promise<Conversation[]>
  putMessage (conversationId: string, message: Message): Promise<void>
  listMessages (conversationId: string): Promise<Message[]>
  /** Removes the conversation record and all its messages. */
  deleteConversation (conversationId: string): Promise<void>
  /** Removes every message exchanged with the contact (its conversations stay). */
  clearHistory (contactId: string): Promise<void>
  /** The invites this identity issued, oldest first. */
  listIssuedInvites (): Promise<IssuedInvite[]>
  /** Add an issued invite, or replace the one with its id (revoking). */
  putIssuedInvite (invite: IssuedInvite): Promise<void>
}

/** An unlocked profile: the identity, its signing key, and the encrypted store. */
export interface Profile extends ChatStore {
  readonly identity: StoredIdentity
  /** Ed25519 signature (RFC 8032) with the non-extractable identity key. */
  sign (message: Uint8Array): Promise<Uint8Array>
  /** The encrypted backup file written when the identity was made. */
  backupFile (): Promise<Uint8Array>
  close (): void
}

export interface NewIdentity extends StoredIdentity {
  /** The private seed; wiped by the backend once the non-extractable key is stored. */
  readonly seed: Uint8Array
  /** The passphrase-encrypted backup file. */
  readonly backup: Uint8Array
}

/** Where profiles live: IndexedDB in the app, memory in tests. */
export interface ProfileBackend {
  /** The saved profile, or null on a fresh profile. */
  open (): Promise<Profile | null>
  /** Save a new identity; throws IdentityExistsError if there already is one. */
  create (identity: NewIdentity): Promise<Profile>
  /** Erase identity, keys, contacts, history, caches and service workers of this origin. */
  wipe (): Promise<void>
}

export class IdentityExistsError extends Error {
  readonly kind = 'identity-exists' as const
  constructor () { super('An identity already exists in this browser profile.'); this.name = 'IdentityExistsError' }
}

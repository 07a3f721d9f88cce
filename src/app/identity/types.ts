/**
 * What the identity layer shows and what it can be asked: the snapshot the UI
 * renders (phase, own identity, contacts, busy, notice, invites) and
 * {@link IdentityActions}, one method per user action. The UI in
 * src/ui/identity/ takes these as props, never the store itself; the shapes
 * here are that contract and change only with the UI.
 */
import type { KdfParams } from '../../core/identity/index.ts'
import type { Contact, ProfileBackend } from '../../storage/types.ts'
import type { ProfileLock } from './lock.ts'

export type IdentityPhase = 'loading' | 'open-elsewhere' | 'first-run' | 'ready' | 'failed'

export interface SelfView {
  readonly displayName: string
  readonly publicKeyHex: string
  /** 30 digits: this key's half of every safety number. */
  readonly fingerprint: string
  readonly createdAt: number
}

export interface ContactView {
  readonly id: string
  readonly displayName: string
  readonly state: Contact['state']
  readonly verified: boolean
  readonly addedAt: number
  readonly relays: readonly string[]
  /** 60 digits. */
  readonly safetyNumber: string
}

export type IncomingInviteView =
  | {
    readonly status: 'valid'
    readonly inviterName: string
    readonly expiresAt: number
    /** Null until this profile has an identity. */
    readonly safetyNumber: string | null
    /** Set when the invite cannot be accepted as is (own invite, already a contact, no identity yet). */
    readonly blocker: 'own-invite' | 'already-contact' | 'no-identity' | null
  }
  | { readonly status: 'refused', readonly message: string }

export interface OutgoingInvite {
  readonly link: string
  readonly expiresAt: number
}

/** An invite this identity issued, as the list of invites shows it (never its secret). */
export interface IssuedInviteView {
  /** Hex invite id (what revokeInvite takes). */
  readonly id: string
  readonly createdAt: number
  readonly expiresAt: number
  /** 'active' until it expires or is revoked; only an active invite lets a new contact in. */
  readonly status: 'active' | 'expired' | 'revoked'
}

export interface BusyState {
  readonly task: 'create' | 'restore' | 'invite' | 'nuke' | 'accept' | 'update'
  /** Fraction in [0, 1] while the key-derivation function runs, else null. */
  readonly progress: number | null
}

export interface Notice {
  readonly kind: 'error' | 'success'
  readonly text: string
  /** Where it belongs in the UI. */
  readonly area: 'first-run' | 'you' | 'contacts' | 'invite'
}

export interface IdentitySnapshot {
  readonly phase: IdentityPhase
  readonly self: SelfView | null
  readonly contacts: readonly ContactView[]
  readonly busy: BusyState | null
  readonly notice: Notice | null
  readonly incoming: IncomingInviteView | null
  readonly outgoing: OutgoingInvite | null
  /** The invites this identity issued, oldest first. */
  readonly issued: readonly IssuedInviteView[]
}

/**
 * What the identity UI can ask for, one method per user action (as ChatActions
 * for the chat): components take this and the snapshot as props, never the
 * store itself. IdentityStore (./store.ts) implements it.
 */
export interface IdentityActions {
  /** A location hash or link; true when it held an invite (valid or not), so the caller clears it. */
  receiveInvite (hashOrLink: string): boolean
  /** Take the identity over from the other tab that has it open. */
  useHere (): Promise<void>
  createIdentity (name: string, passphrase: string, confirm: string): Promise<boolean>
  restoreFromBackup (file: Uint8Array, passphrase: string): Promise<boolean>
  backupFile (): Promise<{ bytes: Uint8Array, fileName: string } | null>
  createInvite (): Promise<OutgoingInvite | null>
  closeOutgoingInvite (): void
  /** Refuse, from now on, every introduction that proves this issued invite. */
  revokeInvite (inviteId: string): Promise<boolean>
  acceptInvite (): Promise<boolean>
  dismissInvite (): void
  setVerified (contactId: string, verified: boolean): Promise<boolean>
  clearHistory (contactId: string): Promise<boolean>
  deleteConversation (contactId: string): Promise<boolean>
  removeContact (contactId: string): Promise<boolean>
  /** Erase everything this app keeps in the browser. */
  nuke (): Promise<boolean>
  dismissNotice (): void
}

export interface IdentityStoreDeps {
  readonly backend: ProfileBackend
  readonly lock?: ProfileLock
  readonly now?: () => number
  /** The app's own URL (invite links are built on it). */
  readonly appUrl?: () => string
  /** Tests only: cheaper KDF parameters (with the explicit weak-KDF override). */
  readonly kdfParams?: KdfParams
  readonly unsafeAllowWeakKdfForTests?: boolean
}

/** Who keeps conversations in memory (chat): clearing history and deleting a conversation are theirs. */
export interface HistoryKeeper {
  clearHistory (contactId: string): Promise<void>
  deleteConversation (contactId: string): Promise<void>
}

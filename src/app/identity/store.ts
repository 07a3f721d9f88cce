/**
 * Identity use-cases and state, framework-free: a small store with
 * subscribe/getSnapshot (for React's useSyncExternalStore) and one method per
 * user action. Components stay thin: they render the snapshot and call these.
 *
 * This is the façade: it owns the one snapshot (./types.ts) and hands each
 * action to its concern, one per file: the profile's lifecycle, with the
 * tab lock and erasing (./profile.ts), the backup file (./backup.ts),
 * invites (./invites.ts), changing contacts (./contacts.ts), safety numbers
 * (./fingerprints.ts), what failures say (./errors.ts), numbers
 * (./constants.ts).
 *
 * Nothing here logs: errors shown to the user are the named errors' plain
 * messages, which never contain keys, names or file bytes.
 */
import type { ChatStore, Profile } from '../../storage/types.ts'
import { ExternalStore } from '../external-store.ts'
import { Backups } from './backup.ts'
import { Contacts } from './contacts.ts'
import type { IdentityHost } from './host.ts'
import { Invites } from './invites.ts'
import { ProfileLifecycle } from './profile.ts'
import type { HistoryKeeper, IdentityActions, IdentitySnapshot, IdentityStoreDeps, OutgoingInvite } from './types.ts'

export * from './types.ts'
export { MIN_PASSPHRASE_LENGTH } from './constants.ts'
export { newIdentityProblem } from './profile.ts'

export class IdentityStore implements IdentityActions {
  private readonly view = new ExternalStore<IdentitySnapshot>({ phase: 'loading', self: null, contacts: [], busy: null, notice: null, incoming: null, outgoing: null, issued: [] })
  private readonly profiles: ProfileLifecycle
  private readonly invites: Invites
  private readonly contactChanges: Contacts
  private readonly backups: Backups

  constructor (deps: IdentityStoreDeps) {
    const now = deps.now ?? Date.now
    const snapshot = (): IdentitySnapshot => this.getSnapshot()
    const set = (patch: Partial<IdentitySnapshot>): void => { this.set(patch) }
    this.profiles = new ProfileLifecycle({ deps, now, snapshot, set, forgetInvite: () => { this.invites.forget() } })
    const host: IdentityHost = {
      deps,
      now,
      snapshot,
      set,
      profile: () => this.profiles.profile(),
      contacts: () => this.profiles.contacts(),
      refresh: async () => { await this.profiles.refresh() }
    }
    this.invites = new Invites(host)
    this.contactChanges = new Contacts(host)
    this.backups = new Backups({ ...host, adopt: (p) => { this.profiles.adopt(p) } })
  }

  readonly subscribe = this.view.subscribe
  readonly getSnapshot = this.view.getSnapshot

  private set (patch: Partial<IdentitySnapshot>): void {
    this.view.set({ ...this.getSnapshot(), ...patch, incoming: this.invites.view() })
  }

  /** The unlocked profile's message/contact store, or null (for the chat layer and tests). */
  chatStore (): ChatStore | null { return this.profiles.profile() }

  /** The unlocked profile (identity, signing, store) for the chat layer, or null. */
  unlockedProfile (): Profile | null { return this.profiles.profile() }

  /**
   * Clear history and delete conversation through `keeper` (chat), so what it
   * shows and a late delivery receipt cannot bring messages back. Without
   * one, only the store is changed.
   */
  keepHistoryWith (keeper: HistoryKeeper): void { this.contactChanges.keepHistoryWith(keeper) }

  /** Re-read contacts after the chat layer changed one (a new request, an acceptance). */
  async contactsChanged (): Promise<void> { if (this.profiles.profile() != null) await this.profiles.refresh() }

  /** Take the profile lock and load the identity. Idempotent. */
  async start (): Promise<void> { await this.profiles.start() }

  /** "Use here": take the profile from the other tab. */
  async useHere (): Promise<void> { await this.profiles.useHere() }

  /** Make a new identity and its encrypted backup. Returns true on success. */
  async createIdentity (name: string, passphrase: string, confirm: string): Promise<boolean> {
    return await this.profiles.create(name, passphrase, confirm)
  }

  /** Restore from a backup file. Nothing is written unless the file opens and the key checks out. */
  async restoreFromBackup (file: Uint8Array, passphrase: string): Promise<boolean> {
    return await this.backups.restore(file, passphrase)
  }

  /** The backup file to download. */
  async backupFile (): Promise<{ bytes: Uint8Array, fileName: string } | null> { return await this.backups.file() }

  /**
   * Make a signed invite link. The app itself carries no relay addresses in it
   * (`relays` stays empty): the link's origin is the network, and an address in
   * a link is never used without the person's confirmation (app/config.ts).
   */
  async createInvite (relays: readonly string[] = []): Promise<OutgoingInvite | null> { return await this.invites.create(relays) }

  closeOutgoingInvite (): void { this.set({ outgoing: null }) }

  /** Revoke an invite we issued: our service refuses its proofs from now on. */
  async revokeInvite (inviteId: string): Promise<boolean> { return await this.invites.revoke(inviteId) }

  /**
   * Handle a location hash or link. Returns true when it held an invite (valid
   * or not), so the caller clears it from the address bar.
   */
  receiveInvite (hashOrLink: string): boolean { return this.invites.receive(hashOrLink) }

  /** "Add contact": store the inviter as a pending contact. */
  async acceptInvite (): Promise<boolean> { return await this.invites.accept() }

  dismissInvite (): void { this.invites.dismiss() }

  async setVerified (contactId: string, verified: boolean): Promise<boolean> { return await this.contactChanges.setVerified(contactId, verified) }

  /** Delete the 1:1 conversation with this contact (its record and messages). */
  async deleteConversation (contactId: string): Promise<boolean> { return await this.contactChanges.deleteConversation(contactId) }

  /** Delete every message exchanged with this contact. */
  async clearHistory (contactId: string): Promise<boolean> { return await this.contactChanges.clearHistory(contactId) }

  async removeContact (contactId: string): Promise<boolean> { return await this.contactChanges.remove(contactId) }

  /** Erase everything of this origin and go back to the first screen. */
  async nuke (): Promise<boolean> { return await this.profiles.nuke() }

  dismissNotice (): void { this.set({ notice: null }) }
}

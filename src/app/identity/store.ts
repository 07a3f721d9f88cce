/**
 * Identity use-cases and state, framework-free: a small store with
 * subscribe/getSnapshot (for React's useSyncExternalStore) and one method per
 * user action. Components stay thin: they render the snapshot and call these.
 *
 * Nothing here logs: errors shown to the user are the named errors' plain
 * messages, which never contain keys, names or file bytes.
 */
import { ctEqual, toHex } from '../../core/bytes.ts'
import {
  BACKUP_FILE_NAME, createInvitePayload, decodeInvite, decryptBackup, encryptBackup,
  ExpiredInviteError, extractInvitePayload, inviteLink, newInviteFields, normalizeDisplayName,
  type Invite, type KdfParams
} from '../../core/identity/index.ts'
import { systemRandom } from '../../core/random.ts'
import { generateIdentityKey } from '../../storage/keys.ts'
import type { ChatStore, Contact, Profile } from '../../storage/types.ts'
import { ExternalStore } from '../external-store.ts'
import { CONTACT_ID_BYTES, KDF_PROGRESS_STEPS, MIN_PASSPHRASE_LENGTH } from './constants.ts'
import { ERROR_TEXT, errorText } from './errors.ts'
import { fingerprintOf, safetyNumberOf } from './fingerprints.ts'
import { noProfileLock, type ProfileLock } from './lock.ts'
import type { BusyState, HistoryKeeper, IdentityActions, IdentitySnapshot, IdentityStoreDeps, IncomingInviteView, OutgoingInvite } from './types.ts'

export * from './types.ts'
export { MIN_PASSPHRASE_LENGTH } from './constants.ts'

/** Why a name or passphrase cannot be used, as a sentence, or null. */
export function newIdentityProblem (name: string, passphrase: string, confirm: string): string | null {
  if (normalizeDisplayName(name) == null) return 'Choose a display name (1 to 64 bytes, no control characters).'
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) return `Choose a passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters.`
  if (passphrase !== confirm) return 'The two passphrases do not match.'
  return null
}

export class IdentityStore implements IdentityActions {
  private readonly view = new ExternalStore<IdentitySnapshot>({ phase: 'loading', self: null, contacts: [], busy: null, notice: null, incoming: null, outgoing: null })
  private profile: Profile | null = null
  private contacts: Contact[] = []
  private invite: Invite | null = null
  private inviteRefusal: string | null = null
  private cancelWait: (() => void) | null = null
  private readonly lock: ProfileLock
  private readonly now: () => number
  private started = false
  private historyKeeper: HistoryKeeper | null = null

  constructor (private readonly deps: IdentityStoreDeps) {
    this.lock = deps.lock ?? noProfileLock
    this.now = deps.now ?? Date.now
  }

  readonly subscribe = this.view.subscribe
  readonly getSnapshot = this.view.getSnapshot

  private set (patch: Partial<IdentitySnapshot>): void {
    this.view.set({ ...this.getSnapshot(), ...patch, incoming: this.incomingView() })
  }

  /** The unlocked profile's message/contact store, or null (for the chat layer and tests). */
  chatStore (): ChatStore | null { return this.profile }

  /** The unlocked profile (identity, signing, store) for the chat layer, or null. */
  unlockedProfile (): Profile | null { return this.profile }

  /**
   * Clear history and delete conversation through `keeper` (chat), so what it
   * shows and a late delivery receipt cannot bring messages back. Without
   * one, only the store is changed.
   */
  keepHistoryWith (keeper: HistoryKeeper): void { this.historyKeeper = keeper }

  /** Re-read contacts after the chat layer changed one (a new request, an acceptance). */
  async contactsChanged (): Promise<void> { if (this.profile != null) await this.refresh() }

  /** Take the profile lock and load the identity. Idempotent. */
  async start (): Promise<void> {
    if (this.started) return
    this.started = true
    const held = await this.lock.acquire({ steal: false, onLost: () => { this.lost() } })
    if (held) await this.load()
    else this.waitForLock()
  }

  /** "Use here": take the profile from the other tab. */
  async useHere (): Promise<void> {
    this.cancelWait?.()
    this.cancelWait = null
    if (await this.lock.acquire({ steal: true, onLost: () => { this.lost() } })) await this.load()
  }

  private waitForLock (): void {
    this.set({ phase: 'open-elsewhere', self: null, contacts: [], outgoing: null })
    this.cancelWait = this.lock.waitInLine(() => { this.cancelWait = null; void this.load() }, () => { this.lost() })
  }

  private lost (): void {
    this.profile?.close()
    this.profile = null
    this.contacts = []
    this.waitForLock()
  }

  private async load (): Promise<void> {
    try {
      this.profile = await this.deps.backend.open()
      await this.refresh()
    } catch {
      this.set({ phase: 'failed', notice: { kind: 'error', area: 'first-run', text: ERROR_TEXT.profileUnopenable } })
    }
  }

  private async refresh (): Promise<void> {
    const p = this.profile
    if (p == null) {
      this.contacts = []
      this.set({ phase: 'first-run', self: null, contacts: [], outgoing: null })
      return
    }
    this.contacts = await p.listContacts()
    const own = p.identity.publicKey
    this.set({
      phase: 'ready',
      self: { displayName: p.identity.displayName, publicKeyHex: toHex(own), fingerprint: fingerprintOf(own), createdAt: p.identity.createdAt },
      contacts: this.contacts.map(c => ({
        id: c.id, displayName: c.displayName, state: c.state, verified: c.verified, addedAt: c.addedAt, relays: c.relays,
        safetyNumber: safetyNumberOf(own, c.publicKey)
      }))
    })
  }

  private progress (task: BusyState['task']): (f: number) => void {
    let last = -1
    return (f) => {
      const step = Math.floor(f * KDF_PROGRESS_STEPS)
      if (step !== last) { last = step; this.set({ busy: { task, progress: f } }) }
    }
  }

  private kdfOptions (): { params?: KdfParams, unsafeAllowWeakKdfForTests?: boolean } {
    return {
      ...(this.deps.kdfParams != null ? { params: this.deps.kdfParams } : {}),
      ...(this.deps.unsafeAllowWeakKdfForTests === true ? { unsafeAllowWeakKdfForTests: true } : {})
    }
  }

  /** Make a new identity and its encrypted backup. Returns true on success. */
  async createIdentity (name: string, passphrase: string, confirm: string): Promise<boolean> {
    if (this.getSnapshot().phase !== 'first-run' || this.getSnapshot().busy != null) return false
    const problem = newIdentityProblem(name, passphrase, confirm)
    if (problem != null) { this.set({ notice: { kind: 'error', area: 'first-run', text: problem } }); return false }
    const displayName = normalizeDisplayName(name) as string
    this.set({ busy: { task: 'create', progress: 0 }, notice: null })
    try {
      const key = await generateIdentityKey()
      const createdAt = this.now()
      const backup = await encryptBackup({ seed: key.seed, publicKey: key.publicKey, displayName, createdAt }, passphrase, {
        ...this.kdfOptions(), onProgress: this.progress('create')
      })
      this.profile = await this.deps.backend.create({ seed: key.seed, publicKey: key.publicKey, displayName, createdAt, backup })
      key.seed.fill(0)
      this.set({ busy: null, notice: { kind: 'success', area: 'you', text: 'Your identity is ready. Download the backup and keep it with your passphrase.' } })
      await this.refresh()
      return true
    } catch (e) {
      this.set({ busy: null, notice: { kind: 'error', area: 'first-run', text: errorText(e, ERROR_TEXT.createFailed) } })
      return false
    }
  }

  /** Restore from a backup file. Nothing is written unless the file opens and the key checks out. */
  async restoreFromBackup (file: Uint8Array, passphrase: string): Promise<boolean> {
    if (this.getSnapshot().phase !== 'first-run' || this.getSnapshot().busy != null) return false
    this.set({ busy: { task: 'restore', progress: 0 }, notice: null })
    try {
      const contents = await decryptBackup(file, passphrase, {
        onProgress: this.progress('restore'),
        ...(this.deps.unsafeAllowWeakKdfForTests === true ? { unsafeAllowWeakKdfForTests: true } : {})
      })
      this.profile = await this.deps.backend.create({ ...contents, backup: file.slice() })
      this.set({ busy: null, notice: { kind: 'success', area: 'you', text: 'Your identity was restored.' } })
      await this.refresh()
      return true
    } catch (e) {
      this.set({ busy: null, notice: { kind: 'error', area: 'first-run', text: errorText(e, ERROR_TEXT.restoreFailed) } })
      return false
    }
  }

  /** The backup file to download. */
  async backupFile (): Promise<{ bytes: Uint8Array, fileName: string } | null> {
    if (this.profile == null) return null
    try {
      return { bytes: await this.profile.backupFile(), fileName: BACKUP_FILE_NAME }
    } catch {
      this.set({ notice: { kind: 'error', area: 'you', text: ERROR_TEXT.backupUnreadable } })
      return null
    }
  }

  /**
   * Make a signed invite link. The app itself carries no relay addresses in it
   * (`relays` stays empty): the link's origin is the network, and an address in
   * a link is never used without the person's confirmation (app/config.ts).
   */
  async createInvite (relays: readonly string[] = []): Promise<OutgoingInvite | null> {
    const p = this.profile
    if (p == null) return null
    this.set({ busy: { task: 'invite', progress: null }, notice: null })
    try {
      const fields = newInviteFields({ publicKey: p.identity.publicKey, displayName: p.identity.displayName, relays, now: this.now() })
      const payload = await createInvitePayload(fields, async (m) => await p.sign(m))
      const outgoing = { link: inviteLink(this.deps.appUrl?.() ?? '', payload), expiresAt: fields.expiresAt }
      this.set({ busy: null, outgoing })
      return outgoing
    } catch {
      this.set({ busy: null, notice: { kind: 'error', area: 'invite', text: ERROR_TEXT.inviteNotMade } })
      return null
    }
  }

  closeOutgoingInvite (): void { this.set({ outgoing: null }) }

  /**
   * Handle a location hash or link. Returns true when it held an invite (valid
   * or not), so the caller clears it from the address bar.
   */
  receiveInvite (hashOrLink: string): boolean {
    let payload: string | null
    try {
      payload = extractInvitePayload(hashOrLink)
      if (payload == null) return false
      this.invite = decodeInvite(payload, this.now())
      this.inviteRefusal = null
    } catch (e) {
      this.invite = null
      this.inviteRefusal = errorText(e, ERROR_TEXT.inviteDamaged)
    }
    this.set({})
    return true
  }

  private incomingView (): IncomingInviteView | null {
    if (this.inviteRefusal != null) return { status: 'refused', message: this.inviteRefusal }
    const inv = this.invite
    if (inv == null) return null
    const own = this.profile?.identity.publicKey
    let blocker: 'own-invite' | 'already-contact' | 'no-identity' | null = null
    if (own == null) blocker = 'no-identity'
    else if (ctEqual(own, inv.publicKey)) blocker = 'own-invite'
    else if (this.contacts.some(c => ctEqual(c.publicKey, inv.publicKey))) blocker = 'already-contact'
    return {
      status: 'valid',
      inviterName: inv.displayName,
      expiresAt: inv.expiresAt,
      safetyNumber: own == null || blocker === 'own-invite' ? null : safetyNumberOf(own, inv.publicKey),
      blocker
    }
  }

  /** "Add contact": store the inviter as a pending contact. */
  async acceptInvite (): Promise<boolean> {
    const inv = this.invite
    const p = this.profile
    const view = this.getSnapshot().incoming
    if (inv == null || p == null || view?.status !== 'valid' || view.blocker != null) return false
    if (inv.expiresAt <= this.now()) {
      this.invite = null
      this.inviteRefusal = new ExpiredInviteError().message
      this.set({})
      return false
    }
    this.set({ busy: { task: 'accept', progress: null } })
    try {
      await p.putContact({
        id: toHex(systemRandom(CONTACT_ID_BYTES)),
        publicKey: inv.publicKey,
        displayName: inv.displayName,
        relays: inv.relays,
        state: 'pending',
        verified: false,
        addedAt: this.now(),
        inviteId: toHex(inv.inviteId)
      })
      this.invite = null
      this.set({ busy: null, notice: { kind: 'success', area: 'contacts', text: `${inv.displayName} was added as a pending contact.` } })
      await this.refresh()
      return true
    } catch {
      this.set({ busy: null, notice: { kind: 'error', area: 'invite', text: ERROR_TEXT.contactNotSaved } })
      return false
    }
  }

  dismissInvite (): void {
    this.invite = null
    this.inviteRefusal = null
    this.set({})
  }

  private async updateContact (id: string, work: (p: Profile, c: Contact) => Promise<void>, done: string, failed: string): Promise<boolean> {
    const p = this.profile
    const c = this.contacts.find(x => x.id === id)
    if (p == null || c == null) return false
    this.set({ busy: { task: 'update', progress: null } })
    try {
      await work(p, c)
      this.set({ busy: null, notice: done === '' ? null : { kind: 'success', area: 'contacts', text: done } })
      await this.refresh()
      return true
    } catch {
      this.set({ busy: null, notice: { kind: 'error', area: 'contacts', text: failed } })
      return false
    }
  }

  async setVerified (contactId: string, verified: boolean): Promise<boolean> {
    return await this.updateContact(contactId, async (p, c) => { await p.putContact({ ...c, verified }) },
      '', ERROR_TEXT.contactNotUpdated)
  }

  /** Delete the 1:1 conversation with this contact (its record and messages). */
  async deleteConversation (contactId: string): Promise<boolean> {
    return await this.updateContact(contactId, async (p) => { await (this.historyKeeper?.deleteConversation(contactId) ?? p.deleteConversation(contactId)) },
      'The conversation was deleted.', ERROR_TEXT.conversationNotDeleted)
  }

  /** Delete every message exchanged with this contact. */
  async clearHistory (contactId: string): Promise<boolean> {
    return await this.updateContact(contactId, async (p) => { await (this.historyKeeper?.clearHistory(contactId) ?? p.clearHistory(contactId)) },
      'The history was cleared.', ERROR_TEXT.historyNotCleared)
  }

  async removeContact (contactId: string): Promise<boolean> {
    return await this.updateContact(contactId, async (p) => { await p.deleteContact(contactId) },
      'The contact was removed.', ERROR_TEXT.contactNotRemoved)
  }

  /** Erase everything of this origin and go back to the first screen. */
  async nuke (): Promise<boolean> {
    this.set({ busy: { task: 'nuke', progress: null }, notice: null })
    try {
      this.profile?.close()
      this.profile = null
      this.contacts = []
      this.invite = null
      this.inviteRefusal = null
      await this.deps.backend.wipe()
      this.set({ busy: null, outgoing: null, notice: { kind: 'success', area: 'first-run', text: 'Everything was erased from this browser.' } })
      await this.refresh()
      return true
    } catch {
      this.set({ busy: null, notice: { kind: 'error', area: 'you', text: ERROR_TEXT.eraseFailed } })
      await this.load()
      return false
    }
  }

  dismissNotice (): void { this.set({ notice: null }) }
}

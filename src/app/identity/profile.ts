/**
 * The profile's lifecycle: taking the tab's profile lock and opening the
 * stored identity, creating a new one, losing the profile to another tab
 * ("open in another tab", "Use here": ./lock.ts), and erasing everything.
 * It owns the unlocked profile and its contacts as last read, and shows
 * them (phase, own identity, contacts with their safety numbers).
 *
 * The threats: two tabs writing one database (only the lock holder opens
 * it; a tab that loses the lock closes the profile at once and shows nothing
 * of it), and a weak passphrase on the backup a new identity is sealed with
 * (MIN_PASSPHRASE_LENGTH). The new key's seed is zeroed once the profile has
 * stored it.
 */
import { toHex } from '../../core/bytes.ts'
import { encryptBackup, normalizeDisplayName } from '../../core/identity/index.ts'
import { generateIdentityKey } from '../../storage/keys.ts'
import type { Contact, Profile } from '../../storage/types.ts'
import { kdfOptions, kdfProgress } from './backup.ts'
import { MIN_PASSPHRASE_LENGTH } from './constants.ts'
import { ERROR_TEXT, errorText } from './errors.ts'
import { fingerprintOf, safetyNumberOf } from './fingerprints.ts'
import type { IdentityHost } from './host.ts'
import { noProfileLock, type ProfileLock } from './lock.ts'

/** Why a name or passphrase cannot be used, as a sentence, or null. */
export function newIdentityProblem (name: string, passphrase: string, confirm: string): string | null {
  if (normalizeDisplayName(name) == null) return 'Choose a display name (1 to 64 bytes, no control characters).'
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH) return `Choose a passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters.`
  if (passphrase !== confirm) return 'The two passphrases do not match.'
  return null
}

/** What the lifecycle needs from the store: the snapshot, and forgetting the invite being shown when everything is erased. */
export interface ProfileHost extends Pick<IdentityHost, 'deps' | 'now' | 'snapshot' | 'set'> {
  forgetInvite (): void
}

export class ProfileLifecycle {
  private current: Profile | null = null
  private contactList: Contact[] = []
  private cancelWait: (() => void) | null = null
  private started = false
  private readonly lock: ProfileLock

  constructor (private readonly host: ProfileHost) {
    this.lock = host.deps.lock ?? noProfileLock
  }

  profile (): Profile | null { return this.current }
  contacts (): readonly Contact[] { return this.contactList }

  /** Take `profile` as the unlocked one (a restored backup). */
  adopt (profile: Profile): void { this.current = profile }

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
    this.host.set({ phase: 'open-elsewhere', self: null, contacts: [], outgoing: null, issued: [] })
    this.cancelWait = this.lock.waitInLine(() => { this.cancelWait = null; void this.load() }, () => { this.lost() })
  }

  /** Another tab took the profile: close it and wait in line. */
  private lost (): void {
    this.current?.close()
    this.current = null
    this.contactList = []
    this.waitForLock()
  }

  private async load (): Promise<void> {
    try {
      this.current = await this.host.deps.backend.open()
      await this.refresh()
    } catch {
      this.host.set({ phase: 'failed', notice: { kind: 'error', area: 'first-run', text: ERROR_TEXT.profileUnopenable } })
    }
  }

  /** Re-read the contacts and show the profile (or the first screen when there is none). */
  async refresh (): Promise<void> {
    const p = this.current
    if (p == null) {
      this.contactList = []
      this.host.set({ phase: 'first-run', self: null, contacts: [], outgoing: null, issued: [] })
      return
    }
    this.contactList = await p.listContacts()
    const issued = await p.listIssuedInvites()
    const now = this.host.now()
    const own = p.identity.publicKey
    this.host.set({
      phase: 'ready',
      self: { displayName: p.identity.displayName, publicKeyHex: toHex(own), fingerprint: fingerprintOf(own), createdAt: p.identity.createdAt },
      contacts: this.contactList.map(c => ({
        id: c.id, displayName: c.displayName, state: c.state, verified: c.verified, addedAt: c.addedAt, relays: c.relays,
        safetyNumber: safetyNumberOf(own, c.publicKey)
      })),
      issued: issued.map(i => ({ id: i.id, createdAt: i.createdAt, expiresAt: i.expiresAt, status: i.revoked ? 'revoked' : i.expiresAt <= now ? 'expired' : 'active' }))
    })
  }

  /** Make a new identity and its encrypted backup. Returns true on success. */
  async create (name: string, passphrase: string, confirm: string): Promise<boolean> {
    const h = this.host
    if (h.snapshot().phase !== 'first-run' || h.snapshot().busy != null) return false
    const problem = newIdentityProblem(name, passphrase, confirm)
    if (problem != null) { h.set({ notice: { kind: 'error', area: 'first-run', text: problem } }); return false }
    const displayName = normalizeDisplayName(name) as string
    h.set({ busy: { task: 'create', progress: 0 }, notice: null })
    try {
      const key = await generateIdentityKey()
      const createdAt = h.now()
      const backup = await encryptBackup({ seed: key.seed, publicKey: key.publicKey, displayName, createdAt }, passphrase, {
        ...kdfOptions(h.deps), onProgress: kdfProgress((p) => { h.set(p) }, 'create')
      })
      this.current = await h.deps.backend.create({ seed: key.seed, publicKey: key.publicKey, displayName, createdAt, backup })
      key.seed.fill(0)
      h.set({ busy: null, notice: { kind: 'success', area: 'you', text: 'Your identity is ready. Download the backup and keep it with your passphrase.' } })
      await this.refresh()
      return true
    } catch (e) {
      h.set({ busy: null, notice: { kind: 'error', area: 'first-run', text: errorText(e, ERROR_TEXT.createFailed) } })
      return false
    }
  }

  /** Erase everything of this origin and go back to the first screen. */
  async nuke (): Promise<boolean> {
    const h = this.host
    h.set({ busy: { task: 'nuke', progress: null }, notice: null })
    try {
      this.current?.close()
      this.current = null
      this.contactList = []
      h.forgetInvite()
      await h.deps.backend.wipe()
      h.set({ busy: null, outgoing: null, notice: { kind: 'success', area: 'first-run', text: 'Everything was erased from this browser.' } })
      await this.refresh()
      return true
    } catch {
      h.set({ busy: null, notice: { kind: 'error', area: 'you', text: ERROR_TEXT.eraseFailed } })
      await this.load()
      return false
    }
  }
}

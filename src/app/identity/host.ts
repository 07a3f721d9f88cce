/**
 * What each concern of the identity layer (./profile.ts, ./backup.ts,
 * ./invites.ts, ./contacts.ts) needs from the store that owns the state
 * (./store.ts): the snapshot and how to change it, the unlocked profile and
 * its contacts as last read. One snapshot, changed only through `set`, so
 * every change recomputes the incoming invite's view against the current
 * profile and contacts.
 */
import type { Contact, Profile } from '../../storage/types.ts'
import type { IdentitySnapshot, IdentityStoreDeps } from './types.ts'

export interface IdentityHost {
  readonly deps: IdentityStoreDeps
  readonly now: () => number
  snapshot (): IdentitySnapshot
  /** Change the snapshot (the incoming invite's view is recomputed). */
  set (patch: Partial<IdentitySnapshot>): void
  /** The unlocked profile, or null (no identity, locked, or open in another tab). */
  profile (): Profile | null
  /** The profile's contacts as last read. */
  contacts (): readonly Contact[]
  /** Re-read the contacts and show the profile (or the first screen when there is none). */
  refresh (): Promise<void>
}

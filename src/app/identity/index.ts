/**
 * Identity for the UI: one store per tab, backed by IndexedDB and guarded by
 * the Web Locks profile lock. See docs/IDENTITY.md.
 */
import { idbProfileBackend } from '../../storage/profile.ts'
import { noProfileLock, webProfileLock } from './lock.ts'
import { IdentityStore } from './store.ts'
import { installIdentityTestHooks } from '../testing/identity-hooks.ts'

export * from './store.ts'
export { webProfileLock, noProfileLock, PROFILE_LOCK_NAME, type ProfileLock } from './lock.ts'

let store: IdentityStore | null = null

/** The tab's identity store, started on first use. */
export function getIdentityStore (): IdentityStore {
  if (store == null) {
    const s: IdentityStore = new IdentityStore({
      backend: idbProfileBackend(),
      lock: typeof navigator !== 'undefined' && navigator.locks != null ? webProfileLock(navigator.locks) : noProfileLock,
      appUrl: () => location.origin + location.pathname
    })
    store = s
    // Test builds only (constant false in the release build: this and the hooks module are left out).
    if (import.meta.env.SHALLOT_TEST_HOOKS === true) installIdentityTestHooks(s)
    void s.start()
  }
  return store
}

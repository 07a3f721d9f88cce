/**
 * For end-to-end tests only (test builds: `npm run build:test`; never in the
 * release build): with `?identity-test-hooks` in the page URL,
 * `window.shallotIdentity` exposes the message/contact store of the unlocked
 * profile, so a test can write data and then inspect IndexedDB for plaintext.
 * It grants nothing a script of this origin could not already do (same-origin
 * code can use the stored CryptoKeys directly).
 */
import type { ChatStore } from '../../storage/types.ts'
import type { IdentityStore } from '../identity/store.ts'

export interface IdentityTestHooks {
  store (): ChatStore | null
  publicKeyHex (): string | null
}

declare global {
  interface Window { shallotIdentity?: IdentityTestHooks }
}

export function installIdentityTestHooks (store: IdentityStore): void {
  if (typeof window === 'undefined' || !new URLSearchParams(window.location.search).has('identity-test-hooks')) return
  window.shallotIdentity = {
    store: () => store.chatStore(),
    publicKeyHex: () => store.getSnapshot().self?.publicKeyHex ?? null
  }
}

/**
 * Chat for the UI: one service per tab on the tab's onion layer and identity
 * store, with browser notifications; clearing history and deleting a
 * conversation (asked of the identity store by the UI) are chat's. See
 * docs/RENDEZVOUS.md.
 */
import { getIdentityStore } from '../identity/index.ts'
import { getOnion } from '../services.ts'
import { installChatTestHooks } from '../testing/chat-hooks.ts'
import { browserNotifier } from './notifications.ts'
import { ChatService } from './service.ts'

export * from './types.ts'
export { ChatService } from './service.ts'

let service: ChatService | null = null

export function getChatService (): ChatService {
  if (service == null) {
    const identity = getIdentityStore()
    const s = new ChatService({ onion: getOnion(), identity, notifier: browserNotifier })
    service = s
    identity.keepHistoryWith(s)
    // Test builds only (constant false in the release build: this and the hooks module are left out).
    if (import.meta.env.SHALLOT_TEST_HOOKS === true) installChatTestHooks(s)
    window.addEventListener('pagehide', () => { s.stop() })
  }
  return service
}

/**
 * Chat for the UI: one service per tab on the tab's onion layer and identity
 * store, with browser notifications. See docs/RENDEZVOUS.md.
 */
import { getIdentityStore } from '../identity/index.ts'
import { getOnion } from '../network.ts'
import { installChatTestHooks } from '../testing/chat-hooks.ts'
import { ChatService, type Notifier } from './service.ts'

export * from './types.ts'
export { ChatService } from './service.ts'

const browserNotifier: Notifier = {
  permission: () => (typeof Notification === 'undefined' ? 'unsupported' : Notification.permission),
  request: async () => { if (typeof Notification !== 'undefined') await Notification.requestPermission() },
  hidden: () => document.visibilityState === 'hidden',
  // Only who wrote, never what: the text stays inside the app.
  show: (title, body) => { try { new Notification(title, { body, tag: 'shallot-message' }) } catch { /* not allowed here */ } }
}

let service: ChatService | null = null

export function getChatService (): ChatService {
  if (service == null) {
    const s = new ChatService({ onion: getOnion(), identity: getIdentityStore(), notifier: browserNotifier })
    service = s
    // Test builds only (constant false in the release build: this and the hooks module are left out).
    if (import.meta.env.SHALLOT_TEST_HOOKS === true) installChatTestHooks(s)
    window.addEventListener('pagehide', () => { s.stop() })
  }
  return service
}

/**
 * Chat for the UI: one service per tab on the tab's onion layer and identity
 * store, with browser notifications. See docs/RENDEZVOUS.md.
 */
import { getIdentityStore } from '../identity/index.ts'
import { getNetwork, getOnion } from '../network.ts'
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
    installChatTestHooks(s)
    window.addEventListener('pagehide', () => { s.stop() })
  }
  return service
}

export interface ChatTestHooks {
  peerId (): string
  /** Peer ids of every libp2p connection this tab has (direct or relayed). */
  connections (): string[]
  avoidPeer (peerId: string): void
  state (): ReturnType<ChatService['debugState']>
  refusedIntroductions (): number
}

declare global {
  interface Window { shallotChat?: ChatTestHooks }
}

/** With `?chat-test-hooks` in the URL (e2e tests only): what the tests inspect. Grants nothing same-origin script could not do. */
function installChatTestHooks (s: ChatService): void {
  if (!new URLSearchParams(window.location.search).has('chat-test-hooks')) return
  const network = getNetwork()
  window.shallotChat = {
    peerId: () => network.libp2p?.peerId.toString() ?? '',
    connections: () => network.libp2p?.getConnections().map(c => c.remotePeer.toString()) ?? [],
    avoidPeer: (id) => { getOnion().avoidPeer(id) },
    state: () => s.debugState(),
    refusedIntroductions: () => s.refusedIntroductions
  }
}

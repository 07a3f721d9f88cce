/**
 * Chat for the UI: one service per tab on the tab's onion layer and identity
 * store, with browser notifications. See docs/RENDEZVOUS.md.
 */
import { fromHex } from '../../core/bytes.ts'
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
  replayLastIntroduction (): Promise<boolean>
  impersonate (victimKeyHex: string): Promise<number>
  contacts (): number
  contactKeys (): Array<{ name: string, keyHex: string }>
  /** Bench: ms to reach the first accepted contact, `count` times (cold: fetching its descriptor each time). */
  measureConnect (count: number, cold: boolean): Promise<number[]>
  /** Send `count` messages one after another to `contactId` (default: the first accepted conversation); each one's ms from send() to 'delivered' (the ACK). For the bench. */
  measureRtt (contactId: string | undefined, count: number): Promise<number[]>
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
    refusedIntroductions: () => s.refusedIntroductions,
    replayLastIntroduction: async () => await s.replayLastIntroduction(),
    impersonate: async (hex) => await s.impersonate(fromHex(hex)),
    contacts: () => s.getSnapshot().conversations.length,
    contactKeys: () => s.contactKeys(),
    measureConnect: async (count, cold) => {
      const id = s.getSnapshot().conversations.find(c => c.standing === 'accepted')?.contactId
      if (id == null) throw new Error('no accepted conversation')
      return await s.measureConnect(id, count, cold)
    },
    measureRtt: async (contactId, count) => {
      const id = contactId ?? s.getSnapshot().conversations.find(c => c.standing === 'accepted')?.contactId
      if (id == null) throw new Error('no accepted conversation')
      s.open(id)
      const rtts: number[] = []
      for (let i = 0; i < count; i++) {
        const text = `rtt ${i} ${Math.random().toString(36).slice(2)}`
        let unsubscribe = (): void => {}
        const delivered = new Promise<void>((resolve) => {
          unsubscribe = s.subscribe(() => {
            if (s.getSnapshot().messages.some(m => m.text === text && m.delivery === 'delivered')) { unsubscribe(); resolve() }
          })
        })
        const t0 = performance.now()
        if (!await s.send(id, text)) { unsubscribe(); throw new Error('send refused') }
        await delivered
        rtts.push(performance.now() - t0)
      }
      return rtts
    }
  }
}

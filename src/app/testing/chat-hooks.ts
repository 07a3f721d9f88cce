/**
 * Chat test and bench hooks (test builds only: `npm run build:test`; the
 * release build has none of this, scripts/check-bundle.mjs proves it). With
 * `?chat-test-hooks` in the URL, `window.shallotChat` lets e2e tests and the
 * bench inspect sessions, replay an introduction, impersonate a contact and
 * time connects and round trips. Built only from what ChatService and the
 * onion-service module expose; nothing here is kept in a user's memory in a
 * release build. Grants nothing same-origin script could not do.
 */
import { fromHex, toHex } from '../../core/bytes.ts'
import { descriptorId, publishPeriods, responsibleHsDirs, type IntroPointInfo } from '../../core/rendezvous/index.ts'
import type { ChatService } from '../chat/service.ts'
import { getNetwork, getOnion } from '../services.ts'
import { introduceAt, storeAtAll } from '../onion-service/index.ts'

export interface ChatTestHooks {
  peerId (): string
  /** Peer ids of every libp2p connection this tab has (direct or relayed). */
  connections (): string[]
  avoidPeer (peerId: string): void
  /** Live sessions and undelivered messages per contact. */
  state (): Array<{ contactId: string, links: number, undelivered: number }>
  /** Introductions this tab's service refused (replays, bad signatures). */
  refusedIntroductions (): number
  /** Introductions from unknown keys the request policy dropped, by reason (no invite proof, revoked invite, quota…). */
  refusedRequests (): Record<string, number>
  /** Send the last acknowledged INTRODUCE1 again, unchanged, through its introduction point (a replay). */
  replayLastIntroduction (): Promise<boolean>
  /** Publish our descriptor under `victimKeyHex`'s descriptor id, as an impersonator would; how many HSDirs took it. */
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

/** With `?chat-test-hooks` in the URL: window.shallotChat for `s`. Call before chat starts (it observes introductions from then on). */
export function installChatTestHooks (s: ChatService): void {
  if (!new URLSearchParams(window.location.search).has('chat-test-hooks')) return
  const network = getNetwork()
  let refused = 0
  let lastIntroduction: { point: IntroPointInfo, data: Uint8Array } | null = null
  s.onRefusedIntroduction = () => { refused++ }
  s.onIntroduceSent = (point, data) => { lastIntroduction = { point, data } }
  const firstAccepted = (): string => {
    const id = s.getSnapshot().conversations.find(c => c.standing === 'accepted')?.contactId
    if (id == null) throw new Error('no accepted conversation')
    return id
  }
  window.shallotChat = {
    peerId: () => network.libp2p?.peerId.toString() ?? '',
    connections: () => network.libp2p?.getConnections().map(c => c.remotePeer.toString()) ?? [],
    avoidPeer: (id) => { getOnion().avoidPeer(id) },
    state: () => s.inspect().map(c => ({ contactId: c.contact.id, links: c.liveSessions, undelivered: c.undelivered })),
    refusedIntroductions: () => refused,
    refusedRequests: () => Object.fromEntries(s.refusedRequests()),
    replayLastIntroduction: async () => {
      const last = lastIntroduction
      if (last == null) throw new Error('no introduction sent yet')
      return await introduceAt(getOnion(), last.point, last.data)
    },
    impersonate: async (hex) => await impersonate(s, fromHex(hex)),
    contacts: () => s.getSnapshot().conversations.length,
    contactKeys: () => s.inspect().map(c => ({ name: c.contact.displayName, keyHex: toHex(c.contact.publicKey) })),
    measureConnect: async (count, cold) => await measureConnect(s, firstAccepted(), count, cold),
    measureRtt: async (contactId, count) => await measureRtt(s, contactId ?? firstAccepted(), count)
  }
}

/**
 * Our descriptor published under the descriptor id of `victimKey` (someone
 * whose invite we hold), as an impersonator would. Readers must refuse it
 * with IdentityMismatchError (docs/RENDEZVOUS.md §4).
 */
async function impersonate (s: ChatService, victimKey: Uint8Array): Promise<number> {
  const service = s.onionService
  if (service == null) throw new Error('not started')
  const onion = getOnion()
  const now = Date.now()
  let stored = 0
  for (const period of publishPeriods(now)) {
    const dirs = responsibleHsDirs(onion.ringMembers(), descriptorId(victimKey, period), period)
    stored += await storeAtAll(onion, dirs, await service.signedDescriptor(period, now, victimKey))
  }
  return stored
}

/**
 * Time to reach an accepted contact, `count` times: descriptor fetch (when
 * `cold`, else the cached one), rendezvous circuit, introduction and
 * handshake, until the joined session is up (Tor's "onion connect"). Each
 * session is closed again; messages are not involved.
 */
async function measureConnect (s: ChatService, contactId: string, count: number, cold: boolean): Promise<number[]> {
  const contact = s.inspect().find(c => c.contact.id === contactId)?.contact
  if (contact == null) throw new Error('no such contact')
  const out: number[] = []
  for (let i = 0; i < count; i++) {
    const t0 = performance.now()
    const link = await s.reach(contact.publicKey, { fresh: cold })
    out.push(performance.now() - t0)
    link.circuit.destroy()
    await new Promise(resolve => setTimeout(resolve, 300))
  }
  return out
}

/** Each of `count` messages' ms from send() to 'delivered' (the ACK), one after another. */
async function measureRtt (s: ChatService, id: string, count: number): Promise<number[]> {
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

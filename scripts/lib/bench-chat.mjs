// The chat figures of `npm run bench` (issue #5 item 6): Alice and Bob are the
// app (index.html?chat-test-hooks, own browser contexts), harness tabs
// relay. Driven through the UI with the e2e tests' driver (e2e/ui-driver.ts),
// except the RTT (window.shallotChat.measureRtt, in-page).
//
//   inviteToFirstMessageMs  Bob (identity already made) opens Alice's invite in a fresh tab → Add contact →
//                           Alice sees the request and accepts → Bob sees it, sends one message → "delivered"
//   inviteToRequestMs       the part of that until Alice's request appears
//   chatRttMs               send() → ACK ('delivered') over the rendezvous circuit, sequential
//   chatConnectMs           reaching the contact until the joined session is up, descriptor cached (Tor: onion connect)
//   chatConnectColdMs       the same, fetching the descriptor from the HSDirs each time
//   chatDeliveryUnderChurn  messages sent every CHURN_GAP_MS while the busiest relay tab closes
//
// The chat needs every tab's relay directory to list live tabs only: a tab that
// left stays listed until its descriptor expires (1 h), and the bench's
// fresh-connection builds leave up to five. With departed relays listed, the chat
// part runs on a clean network instead (own bootstrap relay, 4 new relay tabs;
// the bench's tabs are closed first) and says so in `chatNetwork`.
import { tsImport } from 'tsx/esm/api'
import { startRelay } from './relay-process.mjs'

// The e2e tests' UI driver is TypeScript; tsx loads it here, on plain Node.
const { acceptRequest, addContact, conversationEntry, createIdentity, delivered, inviteFragment, messages, send, waitAccepted } =
  await tsImport('../../e2e/ui-driver.ts', import.meta.url)
const RTT_MESSAGES = 30
/** Connections measured, each way (cached descriptor, cold). */
const CONNECT_TRIES = 10
const CHURN_MESSAGES = 20
const CHURN_GAP_MS = 300
/** The relay closes after this many churn messages were sent. */
const CHURN_CLOSE_AFTER = 5
const CHURN_DEADLINE_MS = 30_000

const withTimeout = async (promise, ms, what) => {
  let timer
  const timeout = new Promise((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms / 1000} s`)), ms) })
  try { return await Promise.race([promise, timeout]) } finally { clearTimeout(timer) }
}

async function chatPeerId (page) {
  await page.waitForFunction(() => (window.shallotChat?.peerId() ?? '') !== '', null, { timeout: 30_000, polling: 50 })
  return await page.evaluate(() => window.shallotChat.peerId())
}

/** Outgoing or incoming messages on screen: [text, delivery], read in one round trip. */
const listed = async (page, direction) => await messages(page, direction).evaluateAll((lis) =>
  lis.map(li => [li.querySelector('.msg-text')?.textContent ?? '', li.dataset.delivery ?? null]))

/**
 * @param {object} o
 * @param {import('@playwright/test').Browser} o.browser
 * @param {string} o.origin  where the built app is served, http://127.0.0.1:PORT
 * @param {string} o.bootstrap  the bench's bootstrap relay multiaddr
 * @param {Array<{context: any, page: any}>} o.relays  the bench's harness tabs; used when ≥ 4 and their directories list no departed relay
 *   (else closed, see above); the busiest one is closed during the churn figure
 * @returns {Promise<object>} figures to merge into the bench result
 */
export async function benchChat ({ browser, origin, bootstrap, relays, log, stats, debugDir }) {
  const out = {}
  const step = (m) => { if (debugDir != null) log(`  ${m}`) }
  const opened = []
  let ownRelay = null
  const openTab = async (url) => {
    const context = await browser.newContext()
    opened.push(context)
    const page = await context.newPage()
    await page.goto(url)
    return { context, page }
  }
  const knowsRelays = async (page, n) => await page.waitForFunction((k) => window.shallot?.knownRelays().length >= k, n, { timeout: 90_000, polling: 250 })
  try {
    const live = new Set(await Promise.all(relays.map(async r => await r.page.evaluate(() => window.shallot.peerId()))))
    const departed = relays.length === 0 ? 0 : (await relays[0].page.evaluate(() => window.shallot.knownRelays())).filter(id => !live.has(id)).length
    if (relays.length >= 4 && departed === 0) {
      out.chatNetwork = `the bench's ${relays.length} relay tabs`
    } else {
      log(`chat: the bench's tabs list ${departed} departed relays; a clean network for the chat (own bootstrap relay, 4 new relay tabs)`)
      out.chatNetwork = `clean: own bootstrap relay, 4 new relay tabs (the bench's tabs listed ${departed} departed relays)`
      for (const r of relays) await r.context.close()
      ownRelay = await startRelay({ port: 0 })
      bootstrap = ownRelay.multiaddrs[0]
      relays = []
      for (let i = 0; i < 4; i++) { relays.push(await openTab(`${origin}/harness.html?bootstrap=${encodeURIComponent(bootstrap)}`)); await new Promise(resolve => setTimeout(resolve, 300)) }
      for (const r of relays) await knowsRelays(r.page, 3)
    }
    const appUrl = `${origin}/?bootstrap=${encodeURIComponent(bootstrap)}&chat-test-hooks`
    const openApp = openTab
    log('chat: Alice and Bob create identities')
    const alice = await openApp(appUrl)
    await createIdentity(alice.page, 'Alice')
    const fragment = await inviteFragment(alice.page)
    const aliceId = await chatPeerId(alice.page)
    const bob = await openApp(appUrl)
    await createIdentity(bob.page, 'Bob')
    // A fresh tab with Bob's identity (same context, so same profile; the old tab lets go of it).
    for (const r of relays) await knowsRelays(r.page, relays.length + 1) // every relay tab knows Alice and Bob
    await bob.page.close()
    bob.page = await bob.context.newPage()

    log('chat invite → first message delivered')
    const t0 = Date.now()
    await bob.page.goto(appUrl + fragment)
    const bobId = await chatPeerId(bob.page)
    step('Bob\'s fresh tab is up')
    await bob.page.evaluate((id) => { window.shallotChat.avoidPeer(id) }, aliceId)
    await alice.page.evaluate((id) => { window.shallotChat.avoidPeer(id) }, bobId)
    await addContact(bob.page, { timeout: 60_000 })
    step('Add contact clicked')
    await conversationEntry(alice.page, 'Bob').click({ timeout: 120_000 })
    const tRequest = Date.now()
    step('the request reached Alice')
    await acceptRequest(alice.page)
    const tAccept = Date.now()
    await conversationEntry(bob.page, 'Alice').click()
    await waitAccepted(bob.page, 'Alice', 120_000)
    const tAcceptSeen = Date.now()
    step('Bob saw the acceptance')
    await send(bob.page, 'hello Alice')
    await delivered(bob.page).first().waitFor({ timeout: 120_000 })
    const tDelivered = Date.now()
    out.inviteToFirstMessageMs = tDelivered - t0
    out.inviteToRequestMs = tRequest - t0
    out.inviteFlowMs = { request: tRequest - t0, acceptClicked: tAccept - t0, acceptSeenByBob: tAcceptSeen - t0, firstDelivered: tDelivered - t0 }

    log(`chat: ${RTT_MESSAGES} messages send → ACK`)
    const rtts = await withTimeout(bob.page.evaluate(async (n) => await window.shallotChat.measureRtt(undefined, n), RTT_MESSAGES), 180_000, 'chat RTT')
    out.chatRttMs = stats(rtts)
    await conversationEntry(bob.page, 'Alice').click() // the UI's open conversation again

    log(`chat: ${CHURN_MESSAGES} messages every ${CHURN_GAP_MS} ms, the busiest relay tab closes`)
    const sentAt = new Map()
    const deliveredAt = new Map()
    let closed = null
    // Bob's screen is read every 100 ms all along: a message's delivery time is ±0.1 s.
    let polling = true
    const poller = (async () => {
      while (polling) {
        const now = Date.now()
        for (const [text, delivery] of await listed(bob.page, 'out')) {
          if (delivery === 'delivered' && sentAt.has(text) && !deliveredAt.has(text)) deliveredAt.set(text, now)
        }
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    })()
    const start = Date.now()
    let closing = null
    for (let i = 1; i <= CHURN_MESSAGES; i++) {
      const wait = start + (i - 1) * CHURN_GAP_MS - Date.now()
      if (wait > 0) await new Promise(resolve => setTimeout(resolve, wait))
      const text = `churn ${i}`
      sentAt.set(text, Date.now())
      await send(bob.page, text)
      if (i === CHURN_CLOSE_AFTER) {
        closing = (async () => {
          const load = await Promise.all(relays.map(async r => (await r.page.evaluate(() => window.shallot.relayStats())).relayCircuits))
          const k = load.indexOf(Math.max(...load))
          const closedAtMs = Date.now() - start
          await relays[k].context.close()
          relays.splice(k, 1)
          closed = { relayCircuits: load[k], closedAtMs }
        })()
      }
    }
    await closing
    const deadline = Date.now() + CHURN_DEADLINE_MS
    while (Date.now() < deadline && deliveredAt.size < CHURN_MESSAGES) await new Promise(resolve => setTimeout(resolve, 100))
    polling = false
    await poller
    await new Promise(resolve => setTimeout(resolve, 2_000)) // late resends would show up as duplicates
    const received = (await listed(alice.page, 'in')).map(([text]) => text).filter(t => sentAt.has(t))
    const counts = new Map()
    for (const t of received) counts.set(t, (counts.get(t) ?? 0) + 1)
    const latencies = [...deliveredAt].map(([text, at]) => at - sentAt.get(text))
    out.chatDeliveryUnderChurn = {
      sent: CHURN_MESSAGES,
      delivered: latencies.filter(ms => ms <= CHURN_DEADLINE_MS).length,
      fraction: latencies.filter(ms => ms <= CHURN_DEADLINE_MS).length / CHURN_MESSAGES,
      deliveryMs: latencies.length > 0 ? stats(latencies) : null,
      /** Per message in sending order, null when not delivered in time. */
      deliveryMsEach: [...sentAt].map(([text, at]) => (deliveredAt.has(text) ? deliveredAt.get(text) - at : null)),
      receivedDistinct: counts.size,
      duplicates: [...counts.values()].filter(c => c > 1).length,
      closedAfterMessage: CHURN_CLOSE_AFTER,
      /** When the relay tab was closed, ms after the first message was sent. */
      closedAtMs: closed?.closedAtMs ?? null,
      closedRelayCircuits: closed?.relayCircuits ?? null
    }
    // Reaching the contact (Tor's "onion connect"), last because each new session
    // replaces an older one: with its descriptor cached, and cold (fetched from the HSDirs).
    out.chatConnectMs = stats(await withTimeout(bob.page.evaluate(async (n) => await window.shallotChat.measureConnect(n, false), CONNECT_TRIES), 180_000, 'chat connect'))
    out.chatConnectColdMs = stats(await withTimeout(bob.page.evaluate(async (n) => await window.shallotChat.measureConnect(n, true), CONNECT_TRIES), 180_000, 'chat connect cold'))
  } catch (err) {
    if (debugDir != null) for (const [i, c] of opened.entries()) for (const [j, p] of c.pages().entries()) await p.screenshot({ path: `${debugDir}/ctx${i}-${j}.png`, fullPage: true }).catch(() => {})
    out.chatError = String(err?.message ?? err).split('\n')[0]
    log(`chat: ${out.chatError}`)
  } finally {
    for (const c of opened) await c.close().catch(() => {})
    await ownRelay?.stop()
  }
  return out
}

/** Table rows for the chat figures (same columns as bench.mjs's). */
export function chatRows (result, f, ratio) {
  if (result.chatError != null && result.inviteToFirstMessageMs == null) return [['chat', 'failed', '', result.chatError]]
  const rows = []
  const flow = result.inviteFlowMs
  if (flow != null) rows.push(['chat invite → first message delivered', `${f(result.inviteToFirstMessageMs / 1000)} s`, `request ${f(result.inviteToRequestMs / 1000)} s`, `accept seen ${f(flow.acceptSeenByBob / 1000)} s (fresh tab, one run)`])
  const rtt = result.chatRttMs
  if (rtt != null) rows.push(['chat message send → ACK', `median ${f(rtt.p50)} ms`, `p95 ${f(rtt.p95)} ms`, `×${ratio(rtt.p50, result.rawRttMs.p50)} raw, ×${ratio(rtt.p50, result.circuitRttMs.p50)} 3-hop (n=${rtt.n})`])
  for (const [label, key] of [['chat connect (descriptor cached)', 'chatConnectMs'], ['chat connect cold (HSDir fetch)', 'chatConnectColdMs']]) {
    const c = result[key]
    if (c != null) rows.push([label, `median ${f(c.p50)} ms`, `p95 ${f(c.p95)} ms`, `rendezvous until the session is up (n=${c.n})`])
  }
  const ch = result.chatDeliveryUnderChurn
  if (ch != null) rows.push(['chat delivery, a relay tab closes', `${(ch.fraction * 100).toFixed(0)} % in 30 s`, `${ch.duplicates} shown twice`, `${ch.delivered}/${ch.sent}, delivery median ${f(ch.deliveryMs == null ? null : ch.deliveryMs.p50 / 1000)} s, p95 ${f(ch.deliveryMs == null ? null : ch.deliveryMs.p95 / 1000)} s`])
  if (result.chatError != null) rows.push(['chat', 'error', '', result.chatError])
  return rows
}

/**
 * The lab's NATs behave as intended, seen by raw WebRTC (no app): two cone
 * NATs connect directly (STUN), a symmetric NAT needs TURN, a relay-only
 * policy hides the home's address behind coturn's, mDNS-only host candidates
 * do not cross homes, and cutting a home's uplink cuts it off the server.
 *
 * Pages are a static file served by Caddy (https://app.shallot.test/icon.svg):
 * a secure context without the app's own networking.
 */
import type { Browser, BrowserContext, Page } from '@playwright/test'
import { test, expect, type NetLab } from './lab-fixtures'
import { connectPair, describePair, type PairResult } from './webrtc'

const SERVER_IP = '203.0.113.10'
/** Time a pair that cannot connect is given before the test calls it unconnected. */
const NO_CONNECT_MS = 15_000

const browsers = new Map<string, Browser>()
let contexts: BrowserContext[] = []

test.beforeAll(async ({ netlab }) => {
  for (const home of ['h1', 'h2', 'h3']) browsers.set(home, await netlab.launchIn(home))
})

test.afterEach(async () => {
  await Promise.all(contexts.map(async c => { await c.close() }))
  contexts = []
})

/** A fresh browser context (own profile) in a home, on a static page served by Caddy. */
async function pageIn (netlab: NetLab, home: string): Promise<Page> {
  const browser = browsers.get(home)
  if (browser == null) throw new Error(`no browser in ${home}`)
  const context = await browser.newContext()
  contexts.push(context)
  const page = await context.newPage()
  const res = await page.goto(new URL('icon.svg', netlab.appUrl).href)
  expect(res?.status()).toBe(200)
  expect(await page.evaluate(() => window.isSecureContext)).toBe(true)
  return page
}

function report (label: string, r: PairResult): void {
  const text = r.connected ? `a: ${describePair(r.a)} | b: ${describePair(r.b)}` : 'not connected'
  test.info().annotations.push({ type: label, description: text })
  // Lab addresses only (documentation ranges): what the run observed, for the log.
  console.log('[netlab]', label, '→', text)
}

const types = (r: PairResult) => [r.a?.local.type, r.a?.remote.type, r.b?.local.type, r.b?.remote.type]

test('cone ↔ cone: a direct path through both NATs (STUN), no relay', async ({ netlab }) => {
  const [a, b] = [await pageIn(netlab, 'h1'), await pageIn(netlab, 'h2')]
  const config = { iceServers: netlab.iceServers() }
  const r = await connectPair(a, config, b, config)
  report('h1(cone) ↔ h2(cone)', r)
  expect(r.connected).toBe(true)
  expect(types(r)).not.toContain('relay')
  // Each side sees the other at its router's public address: hole punched.
  const { h1, h2 } = netlab.lab.homes
  for (const [seen, expected] of [[r.a?.remote.address, h2?.wanIp], [r.b?.remote.address, h1?.wanIp]]) {
    if (seen != null && seen !== '') expect(seen).toBe(expected)
  }
})

test('symmetric ↔ cone: no direct path with STUN alone; TURN connects', async ({ netlab }) => {
  const [a, b] = [await pageIn(netlab, 'h3'), await pageIn(netlab, 'h1')]
  const stunOnly = { iceServers: netlab.iceServers({ turn: false }) }
  const direct = await connectPair(a, stunOnly, b, stunOnly, NO_CONNECT_MS)
  report('h3(symmetric) ↔ h1(cone), STUN only', direct)
  expect(direct.connected).toBe(false)
  // Both gathered server-reflexive candidates: the failure is the NAT, not STUN.
  expect(direct.offerCandidates.some(c => c.includes(' typ srflx'))).toBe(true)
  expect(direct.answerCandidates.some(c => c.includes(' typ srflx'))).toBe(true)

  const withTurn = { iceServers: netlab.iceServers() }
  const r = await connectPair(a, withTurn, b, withTurn)
  report('h3(symmetric) ↔ h1(cone), STUN+TURN', r)
  expect(r.connected).toBe(true)
  expect(types(r)).toContain('relay')
  for (const pair of [r.a, r.b]) {
    const relayEnd = [pair?.local, pair?.remote].find(c => c?.type === 'relay')
    if (relayEnd?.address != null) expect(relayEnd.address).toBe(SERVER_IP)
  }
})

test("relay-only policy: the other side sees coturn's address, never the home's", async ({ netlab }) => {
  const [a, b] = [await pageIn(netlab, 'h1'), await pageIn(netlab, 'h2')]
  const relayOnly: RTCConfiguration = { iceServers: netlab.iceServers(), iceTransportPolicy: 'relay' }
  const r = await connectPair(a, relayOnly, b, { iceServers: netlab.iceServers() })
  report('h1(relay only) ↔ h2', r)
  expect(r.connected).toBe(true)
  expect(r.a?.local.type).toBe('relay')
  expect(r.a?.local.address).toBe(SERVER_IP)
  expect(r.b?.remote.address).toBe(SERVER_IP)
  // Nothing h1 offered names its router's address (or its LAN address).
  const h1 = netlab.lab.homes.h1
  expect(r.offerCandidates.length).toBeGreaterThan(0)
  for (const line of r.offerCandidates) {
    expect(line).toContain(' typ relay')
    expect(line).not.toContain(h1?.wanIp)
    expect(line).not.toContain(h1?.lanIp)
  }
})

test('no ICE servers: mDNS host candidates only, homes cannot connect', async ({ netlab }) => {
  const [a, b] = [await pageIn(netlab, 'h1'), await pageIn(netlab, 'h2')]
  const none = { iceServers: [] }
  const r = await connectPair(a, none, b, none, NO_CONNECT_MS)
  report('h1 ↔ h2, no ICE servers', r)
  expect(r.connected).toBe(false)
  for (const line of [...r.offerCandidates, ...r.answerCandidates]) {
    expect(line).toContain(' typ host')
    expect(line).toMatch(/ [0-9a-f-]+\.local /)
  }
})

test('cutUplink cuts a home off the server; restoreUplink brings it back', async ({ netlab }) => {
  const page = await pageIn(netlab, 'h1')
  const reach = async () => await page.evaluate(async (url) => {
    try {
      const res = await fetch(url, { cache: 'no-store', signal: AbortSignal.timeout(3_000) })
      return res.ok
    } catch { return false }
  }, netlab.relayInfoUrl)
  expect(await reach()).toBe(true)
  netlab.lab.cutUplink('h1')
  try {
    expect(await reach()).toBe(false)
    // The LAN still works: the router answers on its LAN side.
    const h1 = netlab.lab.homes.h1!
    const lan = await netlab.lab.run(h1.ns, [process.execPath, '-e',
      `require('net').connect(1, '${h1.gateway}').on('error', e => { console.log(e.code); process.exit(0) })`], { timeoutMs: 5_000 })
    expect(lan.stdout.trim()).toBe('ECONNREFUSED')
  } finally {
    netlab.lab.restoreUplink('h1')
  }
  await expect.poll(reach, { timeout: 15_000, intervals: [500] }).toBe(true)
})

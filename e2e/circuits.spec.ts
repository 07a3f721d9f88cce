/**
 * Onion circuits between real Chromium tabs over real WebRTC (issue #4):
 * harness pages (harness.html: the app's network and onion layers without UI,
 * plus recording hooks) as relays and client, and the app itself for the
 * "Test circuit" view.
 */
import type { Page } from '@playwright/test'
import { appPath, expect, openPeer, test, type Peer } from './fixtures.ts'

const MARKER_HEX = Buffer.from('SHALLOT-PLAINTEXT-MARKER').toString('hex')

function harnessPath (relay: string): string {
  return appPath(relay).replace('/?', '/harness.html?')
}

async function waitReady (page: Page, relays: number): Promise<void> {
  await page.waitForFunction((n) => window.shallot?.knownRelays().length >= n, relays, { timeout: 45_000, polling: 250 })
}

test('a circuit through three tabs echoes data; the middle hop forwards only whole cells and no plaintext; a hop closing is survived', async ({ browser, relay }) => {
  const peers: Peer[] = []
  for (let i = 0; i < 6; i++) peers.push(await openPeer(browser, harnessPath(relay.address)))
  const [a, ...relays] = peers as [Peer, ...Peer[]]
  for (const p of peers) await waitReady(p.page, 4)
  const ids = await Promise.all(relays.map(async r => await r.page.evaluate(() => window.shallot.peerId())))
  const byId = new Map(ids.map((id, i) => [id, relays[i]!]))

  // Tab A builds a circuit through three other tabs and echoes data carrying the marker.
  const built = await a.page.evaluate(async (path) => await window.shallot.build(path), ids.slice(0, 3))
  const payload = MARKER_HEX.repeat(40)
  const echoed = await a.page.evaluate(async ({ h, hex }) => await window.shallot.echo(h, hex), { h: built.handle, hex: payload })
  expect(echoed.hex).toBe(payload)

  // The middle hop forwarded cells of exactly the cell size, none with the plaintext.
  const middle = byId.get(built.path[1]!)!
  const frames = await middle.page.evaluate((m) => window.shallot.frames(m), MARKER_HEX)
  expect(frames.forwarded).toBeGreaterThan(0)
  expect(frames.allCellSize).toBe(true)
  expect(frames.withMarker).toBe(0)
  const stats = await middle.page.evaluate(() => window.shallot.relayStats())
  expect(stats.relayCircuits).toBe(1)

  // The middle hop's tab closes: A learns within seconds and rebuilds through others.
  const closedAt = Date.now()
  await middle.context.close()
  await expect.poll(async () => (await a.page.evaluate((h) => window.shallot.circuitState(h), built.handle)).state, { timeout: 15_000 }).toBe('closed')
  expect(Date.now() - closedAt).toBeLessThan(15_000)
  const others = ids.filter(id => id !== built.path[1])
  const rebuilt = await a.page.evaluate(async (path) => await window.shallot.build(path), others.slice(0, 3))
  const again = await a.page.evaluate(async ({ h, hex }) => await window.shallot.echo(h, hex), { h: rebuilt.handle, hex: 'c0ffee' })
  expect(again.hex).toBe('c0ffee')

  // A tab that keeps one mesh neighbour (?peers=1) builds through three tabs it
  // is not connected to: it opens WebRTC connections for the circuit beyond its
  // limit, and its peer manager must not close them while the circuit lives.
  const lone = await openPeer(browser, harnessPath(relay.address) + '&peers=1')
  const live = [await a.page.evaluate(() => window.shallot.peerId()), ...ids.filter(id => id !== built.path[1])]
  await lone.page.waitForFunction((l) => window.shallot?.directPeers().length >= 1 && window.shallot.knownRelays().filter(id => l.includes(id)).length === l.length, live, { timeout: 45_000, polling: 250 })
  // Other tabs may dial it too (it trims them after a grace period): choose
  // three it is not connected to and build at once, in one step.
  let loneCirc: { handle: number, path: string[] } | null = null
  await expect.poll(async () => {
    loneCirc = await lone.page.evaluate(async (l) => {
      const n = new Set(window.shallot.directPeers())
      const far = l.filter(id => !n.has(id)).slice(0, 3)
      return far.length === 3 ? await window.shallot.build(far) : null
    }, live)
    return loneCirc != null
  }, { timeout: 20_000 }).toBe(true)
  const { handle: loneHandle, path: lonePath } = loneCirc!
  await lone.page.waitForTimeout(3_000) // three rounds of the peer manager, two thirds of them past the grace
  expect((await lone.page.evaluate(async ({ h }) => await window.shallot.echo(h, 'beef'), { h: loneHandle })).hex).toBe('beef')
  expect(await lone.page.evaluate(() => window.shallot.directPeers())).toContain(lonePath[0])
  await lone.page.waitForTimeout(4_000) // past the 5 s grace for every link it opened
  expect((await lone.page.evaluate(async ({ h }) => await window.shallot.echo(h, 'f00d'), { h: loneHandle })).hex).toBe('f00d')
  await lone.context.close()

  for (const p of peers) if (p !== middle) await p.context.close()
})

test('garbage on the channel protocol is refused and crashes no tab; the app shows a working test circuit', async ({ browser, relay }) => {
  const peers: Peer[] = []
  for (let i = 0; i < 4; i++) peers.push(await openPeer(browser, harnessPath(relay.address)))
  const app = await openPeer(browser, appPath(relay.address))
  for (const p of peers) await waitReady(p.page, 4)
  const [attacker, victim] = peers as [Peer, Peer]
  const victimId = await victim.page.evaluate(() => window.shallot.peerId())
  await attacker.page.evaluate(async (id) => { await window.shallot.sendGarbage(id, 1024 * 20 + 300) }, victimId)
  await expect.poll(async () => (await victim.page.evaluate(() => window.shallot.relayStats())).protocolErrors, { timeout: 10_000 }).toBeGreaterThan(0)

  // The victim still relays: a circuit through it works.
  const others = await Promise.all(peers.slice(2).map(async p => await p.page.evaluate(() => window.shallot.peerId())))
  const built = await attacker.page.evaluate(async (path) => await window.shallot.build(path), [victimId, ...others])
  expect((await attacker.page.evaluate(async (h) => await window.shallot.echo(h, 'abcd'), built.handle)).hex).toBe('abcd')

  // The app's own "Test circuit": a path of three relays, each ready, and a round trip.
  await expect(app.page.getByTestId('relaying-for-others')).toContainText('knows 4 relays', { timeout: 45_000 })
  await app.page.getByRole('button', { name: 'Test circuit' }).click()
  await expect(app.page.getByRole('status', { name: 'Test circuit result' })).toContainText(/Circuit works: built in \d+ ms, echo round trip [\d.]+ ms/, { timeout: 30_000 })
  await expect(app.page.getByRole('listitem', { name: /^Relay \d: …\w+, ready$/ })).toHaveCount(3)
  for (const p of [...peers, app]) await p.context.close()
})

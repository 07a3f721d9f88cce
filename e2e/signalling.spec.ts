/**
 * Signalling through neighbours (docs/NETWORK.md): every tab relays WebRTC
 * signalling for its neighbours, so new connections between tabs no longer
 * need the bootstrap relay once they have neighbours. Harness pages, real
 * WebRTC, real circuit-relay-v2 hops in the tabs.
 */
import type { Page } from '@playwright/test'
import { appPath, expect, openPeer, test, type Peer } from './fixtures.ts'

const harnessPath = (relay: string): string => appPath(relay).replace('/?', '/harness.html?')

async function peerIdOf (page: Page): Promise<string> {
  return await page.evaluate(() => window.shallot.peerId())
}

async function directPeers (page: Page): Promise<string[]> {
  return await page.evaluate(() => window.shallot.directPeers())
}

test('with the bootstrap relay gone, tabs still open new connections, signalled through a neighbour, for the mesh and for circuits', async ({ browser, relay }) => {
  const peers: Peer[] = []
  for (let i = 0; i < 4; i++) peers.push(await openPeer(browser, harnessPath(relay.address)))
  const [a, b] = peers as [Peer, Peer, Peer, Peer]
  const [ida, idb, idc, idd] = await Promise.all(peers.map(async p => await peerIdOf(p.page)))
  // Everyone meets everyone, knows the relays, and has asked its neighbours who their neighbours are.
  for (const p of peers) {
    await expect.poll(async () => (await directPeers(p.page)).length, { timeout: 45_000 }).toBe(3)
    await p.page.waitForFunction(() => window.shallot.knownRelays().length >= 3, undefined, { timeout: 45_000 })
  }
  await new Promise(resolve => setTimeout(resolve, 3_000))

  // The bootstrap relay goes away: from now on, only a neighbour can relay signalling.
  await relay.stop()
  const before = await a.page.evaluate(() => window.shallot.dialRecords().length)

  // The mesh: A drops C; its peer manager dials C again, through B or D.
  await a.page.evaluate(async (id) => { await window.shallot.disconnect(id) }, idc!)
  await expect.poll(async () => (await directPeers(a.page)).includes(idc!), { timeout: 45_000 }).toBe(true)
  const mesh = (await a.page.evaluate(() => window.shallot.dialRecords())).slice(before)
  expect(mesh.some(r => r.purpose === 'mesh' && r.route === 'neighbour')).toBe(true)
  expect(mesh.filter(r => r.route === 'bootstrap')).toEqual([])

  // A circuit: B drops D, then A builds B → D → C; B must reach D again for the EXTEND, through A or C.
  await b.page.evaluate(async (id) => { await window.shallot.disconnect(id) }, idd!)
  await expect.poll(async () => (await directPeers(b.page)).includes(idd!), { timeout: 2_000 }).toBe(false)
  const bBefore = await b.page.evaluate(() => window.shallot.dialRecords().length)
  const built = await a.page.evaluate(async (path) => await window.shallot.build(path), [idb!, idd!, idc!])
  const echoed = await a.page.evaluate(async (h) => await window.shallot.echo(h, 'c0ffee'), built.handle)
  expect(echoed.hex).toBe('c0ffee')
  const bDials = (await b.page.evaluate(() => window.shallot.dialRecords())).slice(bBefore)
  // B's peer manager may have redialed D first (mesh) or the EXTEND did (circuit): either way through a neighbour.
  expect(bDials.length).toBeGreaterThan(0)
  expect(bDials.every(r => r.route === 'neighbour')).toBe(true)
  expect(await a.page.evaluate(() => window.shallot.networkFigures().signalledVia.bootstrap)).toBeGreaterThan(0)
  expect(ida).not.toBe(idb)

  for (const p of peers) await p.context.close()
})

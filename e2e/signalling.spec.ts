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
  const [a, b, c, d] = peers as [Peer, Peer, Peer, Peer]
  const [, idb, idc, idd] = await Promise.all(peers.map(async p => await peerIdOf(p.page)))
  // Everyone meets everyone, knows the relays, and has asked its neighbours who their neighbours are.
  for (const p of peers) {
    await expect.poll(async () => (await directPeers(p.page)).length, { timeout: 45_000 }).toBe(3)
    await p.page.waitForFunction(() => window.shallot.knownRelays().length >= 3, undefined, { timeout: 45_000 })
  }
  // Each tab asks a new neighbour again once the neighbours' own reservations have settled (peer-manager.ts).
  await new Promise(resolve => setTimeout(resolve, 6_000))

  // The bootstrap relay goes away: from now on, only a neighbour can relay signalling.
  await relay.stop()
  const dialsOf = async (p: Peer) => await p.page.evaluate(() => window.shallot.dialRecords())
  const [beforeA, beforeC] = [(await dialsOf(a)).length, (await dialsOf(c)).length]

  // The mesh: A drops C; one of them (whichever peer manager is first) dials the other again, through B or D.
  await a.page.evaluate(async (id) => { await window.shallot.disconnect(id) }, idc!)
  await expect.poll(async () => (await directPeers(a.page)).includes(idc!), { timeout: 45_000 }).toBe(true)
  const mesh = [...(await dialsOf(a)).slice(beforeA), ...(await dialsOf(c)).slice(beforeC)]
  expect(mesh.some(r => r.purpose === 'mesh' && r.route === 'neighbour')).toBe(true)
  expect(mesh.filter(r => r.route === 'bootstrap')).toEqual([])

  // A circuit: B drops D, then A builds B → D → C; B must reach D again for
  // the EXTEND (or D's peer manager reached B first), through A or C.
  const [beforeB, beforeD] = [(await dialsOf(b)).length, (await dialsOf(d)).length]
  await b.page.evaluate(async (id) => { await window.shallot.disconnect(id) }, idd!)
  const built = await a.page.evaluate(async (path) => await window.shallot.build(path), [idb!, idd!, idc!])
  const echoed = await a.page.evaluate(async (h) => await window.shallot.echo(h, 'c0ffee'), built.handle)
  expect(echoed.hex).toBe('c0ffee')
  const again = [...(await dialsOf(b)).slice(beforeB), ...(await dialsOf(d)).slice(beforeD)]
  expect(again.length).toBeGreaterThan(0)
  expect(again.every(r => r.route === 'neighbour')).toBe(true)

  // Before any tab had a neighbour, the first connections could only be signalled through the relay.
  const viaBootstrap = await Promise.all(peers.map(async p => await p.page.evaluate(() => window.shallot.networkFigures().signalledVia.bootstrap)))
  expect(viaBootstrap.reduce((x, y) => x + y, 0)).toBeGreaterThan(0)

  for (const p of peers) await p.context.close()
})

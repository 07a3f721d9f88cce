/**
 * The app across a small internet (issue #11): the production build served
 * over HTTPS by Caddy, the bootstrap relay over wss://, coturn beside it, and
 * tabs in homes behind NAT routers made of network namespaces
 * (scripts/netlab/): h1, h2 and h4 behind cone NATs, h3 behind a symmetric
 * NAT. The app uses its production connection gater (the page is not served
 * from a local address) and its built-in relay; nothing test-only is in it.
 * What a connection really is comes from the browser's own getStats()
 * (peer-connections.ts records each page's RTCPeerConnections).
 */
import type { Browser, BrowserContext, Page } from '@playwright/test'
import { test, expect, type NetLab } from './lab-fixtures'
import { connections, recordPeerConnections, type ConnectionView } from './peer-connections'
import { addAndAccept, createIdentity, delivered, directPeerRows, inviteLink, messages, networkStatus, send } from '../e2e/ui-driver.ts'

const SERVER_IP = '203.0.113.10'

const browsers = new Map<string, Browser>()
let contexts: BrowserContext[] = []

test.beforeAll(async ({ netlab }) => {
  for (const home of ['h1', 'h2', 'h3', 'h4']) browsers.set(home, await netlab.launchIn(home))
})

test.afterEach(async () => {
  await Promise.all(contexts.map(async c => { await c.close() }))
  contexts = []
})

/** A new tab (own browser profile) of the app in a home. */
async function tabIn (netlab: NetLab, home: string, url = netlab.appUrl): Promise<Page> {
  const context = await browsers.get(home)!.newContext()
  contexts.push(context)
  await context.addInitScript(recordPeerConnections)
  if (process.env.NETLAB_DEBUG != null) await context.addInitScript((d) => { localStorage.setItem('debug', d) }, process.env.NETLAB_DEBUG)
  const page = await context.newPage()
  // The tab's phase changes (and libp2p's debug lines with NETLAB_DEBUG=<namespaces>), to read a failure by.
  page.on('console', (m) => {
    const text = m.text()
    if (text.startsWith('shallot network:') || (process.env.NETLAB_DEBUG != null && text.includes('libp2p'))) console.log('[netlab]', home, new Date().toISOString().slice(11, 23), text.slice(0, 400))
  })
  await page.goto(url)
  return page
}

async function directCount (page: Page): Promise<number> {
  return await directPeerRows(page).count()
}

const relayed = (c: ConnectionView): boolean => c.local?.type === 'relay' || c.remote?.type === 'relay'

test('tabs behind the two cone NATs connect directly, the tab behind the symmetric NAT through TURN', async ({ netlab }) => {
  const t0 = Date.now()
  const h1 = [await tabIn(netlab, 'h1'), await tabIn(netlab, 'h1')]
  const h2 = [await tabIn(netlab, 'h2'), await tabIn(netlab, 'h2')]
  const h3 = await tabIn(netlab, 'h3')
  const all = [...h1, ...h2, h3]
  // Five tabs, eight neighbours allowed: everyone ends up connected to everyone.
  for (const page of all) await expect.poll(() => directCount(page), { timeout: 90_000 }).toBe(4)
  test.info().annotations.push({ type: 'full mesh after', description: `${Date.now() - t0} ms` })

  const wan = (home: string): string => netlab.lab.homes[home]!.wanIp
  // (Two tabs that dial each other at once may briefly hold two connections: counts are "at least".)
  for (const [page, home, otherCone] of [[h1[0]!, 'h1', 'h2'], [h1[1]!, 'h1', 'h2'], [h2[0]!, 'h2', 'h1'], [h2[1]!, 'h2', 'h1']] as const) {
    await expect.poll(async () => (await connections(page)).filter(c => c.local != null).length, { timeout: 20_000 }).toBeGreaterThanOrEqual(4)
    const conns = (await connections(page)).filter(c => c.local != null)
    // To the other cone home: a direct (srflx/prflx/host) pair, straight to that home's router address, no TURN.
    const toOtherCone = conns.filter(c => c.remote?.address === wan(otherCone))
    expect(toOtherCone.length, `${home} → ${otherCone}`).toBeGreaterThanOrEqual(2)
    for (const c of toOtherCone) expect(relayed(c), JSON.stringify(c)).toBe(false)
    // No connection goes to TURN's address but through a relayed pair, and only the
    // symmetric home's one tab is reached that way.
    for (const c of conns) if (c.remote?.address === SERVER_IP) expect(relayed(c), JSON.stringify(c)).toBe(true)
    const viaTurn = conns.filter(relayed)
    expect(viaTurn.length, `${home}: ${JSON.stringify(conns)}`).toBeGreaterThanOrEqual(1)
    expect(viaTurn.length, `${home}: ${JSON.stringify(conns)}`).toBeLessThanOrEqual(2)
  }
  // Behind the symmetric NAT, every connection goes through TURN; the Network panel says so.
  const sym = (await connections(h3)).filter(c => c.local != null)
  expect(sym.length).toBeGreaterThanOrEqual(4)
  for (const c of sym) expect(relayed(c), JSON.stringify(c)).toBe(true)
  await expect.poll(async () => await h3.locator('tr[data-peer-kind="direct-webrtc"][data-path="turn"]').count(), { timeout: 20_000 }).toBe(4)
  await expect(h1[0]!.locator('tr[data-peer-kind="direct-webrtc"][data-path="public"]')).toHaveCount(2, { timeout: 20_000 })
  // The connectivity line in plain words.
  await expect(h1[0]!.getByLabel('Connectivity')).toContainText('your public address (found through STUN), a TURN relay')
})

test('with "hide my IP" on, every connection of that tab is relayed and no other tab ever sees its address', async ({ netlab }) => {
  const hidden = await tabIn(netlab, 'h4')
  // Offered at first run, before any other tab is there to connect to.
  await hidden.getByRole('checkbox', { name: 'Hide my IP address from other tabs' }).first().check()
  await expect(hidden.getByRole('status').filter({ hasText: 'Your IP address is now hidden' })).toBeVisible()
  const others = [await tabIn(netlab, 'h1'), await tabIn(netlab, 'h2')]
  await expect.poll(() => directCount(hidden), { timeout: 90_000 }).toBe(2)
  for (const page of others) await expect.poll(() => directCount(page), { timeout: 60_000 }).toBe(2)

  const mine = await connections(hidden)
  expect(mine.length).toBeGreaterThanOrEqual(2)
  for (const c of mine) {
    expect(c.policy).toBe('relay')
    expect(c.local?.type, JSON.stringify(c)).toBe('relay')
  }
  await expect(hidden.locator('tr[data-peer-kind="direct-webrtc"][data-path="turn"]')).toHaveCount(2, { timeout: 20_000 })
  const home = netlab.lab.homes.h4!
  for (const page of others) {
    // Every candidate any of their connections ever heard of, connected or not.
    const seen = (await connections(page, { connectedOnly: false })).flatMap(c => c.remoteCandidates.map(r => r.address))
    expect(seen).not.toContain(home.wanIp)
    expect(seen).not.toContain(home.lanIp)
    const toHidden = (await connections(page)).filter(c => c.remote?.address === SERVER_IP)
    expect(toHidden.length).toBeGreaterThanOrEqual(1)
  }
  // After a reload the setting is still on (stored in the profile) and still honoured.
  await hidden.reload()
  await expect(hidden.getByRole('checkbox', { name: 'Hide my IP address from other tabs' }).first()).toBeChecked()
  await expect.poll(() => directCount(hidden), { timeout: 90_000 }).toBe(2)
  for (const c of await connections(hidden)) expect(c.local?.type).toBe('relay')
})

test('TURN credentials expire under a live connection and are renewed: the connection stays, new ones use the new credentials', async ({ netlab, turnTtl }) => {
  const sym = await tabIn(netlab, 'h3')
  const first = await tabIn(netlab, 'h1')
  await expect.poll(() => directCount(sym), { timeout: 90_000 }).toBe(1)
  const [live] = await connections(sym)
  expect(live != null && relayed(live)).toBe(true)
  const expiry = Math.max(...live!.usernames.map(u => Number(u.split(':')[0])))
  expect(expiry * 1000 - Date.now()).toBeLessThanOrEqual(turnTtl * 1000)

  // Past the credentials' expiry (and coturn's next refresh of the allocation), the same connection still answers pings.
  await sym.waitForTimeout(Math.max(0, expiry * 1000 - Date.now()) + 5_000)
  const row = directPeerRows(sym).first()
  const pings = Number(await row.getAttribute('data-pings'))
  await expect.poll(async () => Number(await row.getAttribute('data-pings')), { timeout: 20_000 }).toBeGreaterThan(pings)
  const still = await connections(sym)
  expect(still.map(c => c.createdAt)).toContain(live!.createdAt)

  // A connection made now uses renewed credentials (a later expiry), and works through TURN.
  await tabIn(netlab, 'h1')
  await expect.poll(() => directCount(sym), { timeout: 90_000 }).toBe(2)
  const fresh = (await connections(sym)).filter(c => c.createdAt > live!.createdAt)
  expect(fresh.length).toBeGreaterThanOrEqual(1)
  for (const c of fresh) {
    expect(relayed(c)).toBe(true)
    expect(Math.max(...c.usernames.map(u => Number(u.split(':')[0])))).toBeGreaterThan(expiry)
  }
  // And the first connection is still the same one, still up.
  expect((await connections(sym)).map(c => c.createdAt)).toContain(live!.createdAt)
  expect(await directCount(first)).toBeGreaterThanOrEqual(1)
})

test('Alice and Bob in different homes chat through circuits; a hostile ?bootstrap= on the invite changes nothing; Bob\'s uplink is cut for 20 s and what was written meanwhile arrives once', async ({ netlab }) => {
  test.setTimeout(420_000)
  const relays = [await tabIn(netlab, 'h3'), await tabIn(netlab, 'h4'), await tabIn(netlab, 'h4'), await tabIn(netlab, 'h4')]
  const alice = await tabIn(netlab, 'h1')
  expect(alice.url()).toBe(netlab.appUrl)
  expect(await alice.evaluate(() => window.isSecureContext)).toBe(true)
  await createIdentity(alice, 'Alice')
  const link = await inviteLink(alice)

  // Someone appended their own relay to Alice's genuine invite.
  const hostile = link.replace('#invite=', '?bootstrap=' + encodeURIComponent('https://evil.shallot.test/info') + '#invite=')
  const bob = await tabIn(netlab, 'h2', hostile)
  await expect(bob.getByTestId('inviter-name')).toHaveText('Alice')
  await expect.poll(() => bob.url()).not.toContain('?')
  await expect(bob.getByRole('list', { name: 'Bootstrap relays', exact: true }).getByRole('listitem')).toHaveText([/^relay\.shallot\.test\b/])
  await expect(bob.getByText('suggests another bootstrap relay')).toHaveCount(0)
  await createIdentity(bob, 'Bob')
  for (const page of [...relays, alice, bob]) await expect.poll(() => directCount(page), { timeout: 90_000 }).toBeGreaterThanOrEqual(3)
  await addAndAccept(bob, alice, 'Bob', 'Alice')

  for (let i = 1; i <= 10; i++) {
    await send(bob, `bob ${i}`)
    await send(alice, `alice ${i}`)
  }
  for (const [page, other] of [[alice, 'bob'], [bob, 'alice']] as const) {
    await expect(delivered(page)).toHaveCount(10, { timeout: 120_000 })
    await expect(messages(page, 'in').locator('.msg-text')).toHaveText(Array.from({ length: 10 }, (_, i) => `${other} ${i + 1}`))
  }

  // Bob's home loses its uplink for 20 s.
  const cutAt = Date.now()
  netlab.lab.cutUplink('h2')
  try {
    await expect(networkStatus(bob)).toContainText('You\'re offline', { timeout: 20_000 })
    test.info().annotations.push({ type: 'offline shown after', description: `${Date.now() - cutAt} ms` })
    await send(bob, 'bob while offline')
    await send(alice, 'alice while bob is offline')
    await bob.waitForTimeout(Math.max(0, 20_000 - (Date.now() - cutAt)))
  } finally {
    netlab.lab.restoreUplink('h2')
  }
  const restoredAt = Date.now()
  await expect(networkStatus(bob)).toContainText('Connected to 1 bootstrap relay', { timeout: 60_000 })
  test.info().annotations.push({ type: 'online again after', description: `${Date.now() - restoredAt} ms` })
  await expect(delivered(bob)).toHaveCount(11, { timeout: 120_000 })
  await expect(delivered(alice)).toHaveCount(11, { timeout: 120_000 })
  await expect(messages(alice, 'in').filter({ hasText: 'bob while offline' })).toHaveCount(1)
  await expect(messages(bob, 'in').filter({ hasText: 'alice while bob is offline' })).toHaveCount(1)
  await expect(messages(alice, 'in')).toHaveCount(11)
  await expect(messages(bob, 'in')).toHaveCount(11)
})

test('a relay link on an ordinary (non-invite) URL is only a suggestion until the person adds it in Settings', async ({ netlab }) => {
  const page = await tabIn(netlab, 'h1', `${netlab.appUrl}?bootstrap=${encodeURIComponent('https://evil.shallot.test/info')}`)
  await expect(page.getByText('suggests another bootstrap relay')).toBeVisible()
  await expect.poll(() => page.url()).toBe(netlab.appUrl)
  const suggested = page.getByRole('group', { name: 'Relays suggested by a link' })
  await expect(suggested).toContainText('evil.shallot.test')
  // Not in use: the only bootstrap the tab knows is the built-in one.
  await expect(page.getByRole('list', { name: 'Bootstrap relays', exact: true }).getByRole('listitem')).toHaveText([/^relay\.shallot\.test\b/])
  await suggested.getByRole('button', { name: 'Ignore' }).click()
  await expect(suggested).toHaveCount(0)
  await page.reload()
  await expect(page.getByText('suggests another bootstrap relay')).toHaveCount(0)
})

test('with no STUN/TURN from the relay, tabs in different homes say clearly that peers outside their network can\'t be reached', async ({ netlab }) => {
  await netlab.restartRelay({ ice: false })
  try {
    const a = await tabIn(netlab, 'h1')
    const b = await tabIn(netlab, 'h2')
    for (const page of [a, b]) {
      const line = page.getByRole('region', { name: 'Network status' }).filter({ hasText: 'Can\'t connect to other peers' })
      await expect(line).toBeVisible({ timeout: 90_000 })
      await expect(line).toContainText('peers outside this network can\'t be reached')
      await expect(line).toContainText('offer no STUN or TURN server')
      await expect(page.getByText('Connecting to the Shallot network')).toHaveCount(0)
      expect(await directCount(page)).toBe(0)
    }
    await expect(a.getByLabel('Connectivity')).toContainText('only tabs on your own network can connect')
  } finally {
    await netlab.restartRelay({ ice: true })
  }
})

/**
 * Anonymous 1:1 chat through rendezvous circuits (issue #5), in real Chromium
 * over real WebRTC: Alice and Bob are the app (own browser contexts, own
 * IndexedDB), four harness tabs relay and record every cell they send or
 * receive. Alice's and Bob's tabs are told to keep each other out of their
 * neighbours and paths (window.shallotChat.avoidPeer): in a six-tab network
 * they would otherwise meet as ordinary mesh neighbours, and the point is that
 * the *chat* never connects them.
 */
import type { Page } from '@playwright/test'
import { appPath, expect, openPeer, test, type Peer } from './fixtures.ts'
import { acceptRequest, addContact, conversationEntry, createIdentity, delivered, inviteFragment, messages, send, waitAccepted } from './ui-driver.ts'

const MARKER = 'SHALLOT-PLAINTEXT-MARKER'
const MARKER_HEX = Buffer.from(MARKER).toString('hex')

function chatPath (relay: string, invite = ''): string {
  return appPath(relay, '&chat-test-hooks') + invite
}

async function peerId (page: Page): Promise<string> {
  await page.waitForFunction(() => (window.shallotChat?.peerId() ?? '') !== '', null, { timeout: 30_000 })
  return await page.evaluate(() => window.shallotChat!.peerId())
}

async function waitRelays (page: Page, n: number): Promise<void> {
  await page.waitForFunction((k) => window.shallot?.knownRelays().length >= k, n, { timeout: 60_000, polling: 250 })
}

test('Alice and Bob chat through rendezvous circuits: delivered exactly once and in order, never connected, relays see only whole cells; a relay leaving, a reload and an absence are survived', async ({ browser, relay }) => {
  test.setTimeout(420_000)
  const relays: Peer[] = []
  for (let i = 0; i < 4; i++) relays.push(await openPeer(browser, appPath(relay.address).replace('/?', '/harness.html?')))
  const alice = await openPeer(browser, chatPath(relay.address))
  await createIdentity(alice.page, 'Alice')
  const fragment = await inviteFragment(alice.page)

  const bob = await openPeer(browser, chatPath(relay.address, fragment))
  await createIdentity(bob.page, 'Bob')
  const aliceId = await peerId(alice.page)
  let bobId = await peerId(bob.page)
  await alice.page.evaluate((id) => { window.shallotChat!.avoidPeer(id) }, bobId)
  await bob.page.evaluate((id) => { window.shallotChat!.avoidPeer(id) }, aliceId)
  for (const r of relays) await waitRelays(r.page, 5)

  // Never connected, checked all along. While Bob's tab (re)starts, before it
  // and Alice are told to avoid each other, an ordinary mesh link between them
  // may form: the check pauses then and resumes once avoidPeer has closed it.
  const violations: string[] = []
  let watching = true
  let bobStarting = false
  const watch = (async () => {
    while (watching) {
      try {
        if (bobStarting) { await new Promise(resolve => setTimeout(resolve, 100)); continue }
        if ((await alice.page.evaluate(() => window.shallotChat!.connections())).includes(bobId)) violations.push('alice→bob')
        if ((await bob.page.evaluate(() => window.shallotChat!.connections())).includes(aliceId)) violations.push('bob→alice')
      } catch { /* a page is reloading */ }
      await new Promise(resolve => setTimeout(resolve, 300))
    }
  })()

  // Bob adds Alice from her invite; the request reaches Alice, who accepts.
  await addContact(bob.page)
  await expect(conversationEntry(bob.page, 'Alice')).toBeVisible()
  await conversationEntry(alice.page, 'Bob').click({ timeout: 90_000 })
  await acceptRequest(alice.page)
  await conversationEntry(bob.page, 'Alice').click()
  await waitAccepted(bob.page, 'Alice', 60_000)

  // 20 messages each way, interleaved.
  for (let i = 1; i <= 20; i++) {
    await send(bob.page, `${MARKER} bob ${i}`)
    await send(alice.page, `${MARKER} alice ${i}`)
  }
  for (const [page, name] of [[alice.page, 'alice'], [bob.page, 'bob']] as const) {
    await expect(delivered(page)).toHaveCount(20, { timeout: 90_000 })
    const other = name === 'alice' ? 'bob' : 'alice'
    await expect(messages(page, 'in').locator('.msg-text')).toHaveText(Array.from({ length: 20 }, (_, i) => `${MARKER} ${other} ${i + 1}`))
  }

  // The relays carried only whole cells and never the plaintext.
  let relayed = 0
  for (const r of relays) {
    const f = await r.page.evaluate((m) => window.shallot.frames(m), MARKER_HEX)
    expect(f.allCellSize).toBe(true)
    expect(f.withMarker).toBe(0)
    relayed += f.forwarded
  }
  expect(relayed).toBeGreaterThan(40)

  // A relay on their path closes mid-conversation: later messages still arrive, once.
  const load = await Promise.all(relays.map(async r => (await r.page.evaluate(() => window.shallot.relayStats())).relayCircuits))
  const busiest = relays[load.indexOf(Math.max(...load))]!
  await busiest.context.close()
  relays.splice(relays.indexOf(busiest), 1)
  const t0 = Date.now()
  for (let i = 21; i <= 23; i++) {
    await send(bob.page, `${MARKER} bob ${i}`)
    await send(alice.page, `${MARKER} alice ${i}`)
  }
  await expect(delivered(alice.page)).toHaveCount(23, { timeout: 30_000 })
  await expect(delivered(bob.page)).toHaveCount(23, { timeout: 30_000 })
  expect(Date.now() - t0).toBeLessThan(30_000 + 5_000)
  await expect(messages(bob.page, 'in')).toHaveCount(23)
  await expect(messages(alice.page, 'in')).toHaveCount(23)

  // Bob's tab starts again (a reload, a new tab): the two avoid each other
  // anew, and the watch resumes once no link between them is left.
  const restartBob = async (start: () => Promise<void>): Promise<void> => {
    bobStarting = true
    await start()
    bobId = await peerId(bob.page)
    await bob.page.evaluate((id) => { window.shallotChat!.avoidPeer(id) }, aliceId)
    await alice.page.evaluate((id) => { window.shallotChat!.avoidPeer(id) }, bobId)
    await expect.poll(async () =>
      (await bob.page.evaluate(() => window.shallotChat!.connections())).includes(aliceId) ||
      (await alice.page.evaluate(() => window.shallotChat!.connections())).includes(bobId), { timeout: 10_000 }).toBe(false)
    bobStarting = false
  }

  // Bob reloads: the history is there and the conversation goes on.
  await restartBob(async () => { await bob.page.reload() })
  await conversationEntry(bob.page, 'Alice').click({ timeout: 60_000 })
  await expect(messages(bob.page, 'in')).toHaveCount(23)
  await expect(messages(bob.page, 'out')).toHaveCount(23)
  await send(bob.page, `${MARKER} bob after reload`)
  await expect(messages(alice.page, 'in').last().locator('.msg-text')).toHaveText(`${MARKER} bob after reload`, { timeout: 60_000 })

  // Bob closes his tab: Alice's next message is not delivered yet; it is when Bob is back.
  await bob.page.close()
  await send(alice.page, `${MARKER} while you were away`)
  const pending = messages(alice.page, 'out').last()
  await expect(pending).toContainText('while you were away')
  await alice.page.waitForTimeout(3_000)
  await expect(pending.locator('.delivery[data-delivery="delivered"]')).toHaveCount(0)
  await restartBob(async () => {
    bob.page = await bob.context.newPage()
    await bob.page.goto(chatPath(relay.address))
  })
  await expect(pending.locator('.delivery[data-delivery="delivered"]')).toHaveCount(1, { timeout: 90_000 })
  await conversationEntry(bob.page, 'Alice').click()
  await expect(messages(bob.page, 'in').filter({ hasText: 'while you were away' })).toHaveCount(1)

  watching = false
  await watch
  expect(violations).toEqual([])
  for (const p of [...relays, alice, bob]) await p.context.close()
})

test('an invite revoked before it is used lets nobody in: the request never appears and the inviter\'s service counts it as revoked', async ({ browser, relay }) => {
  test.setTimeout(240_000)
  const relays: Peer[] = []
  for (let i = 0; i < 4; i++) relays.push(await openPeer(browser, appPath(relay.address).replace('/?', '/harness.html?')))
  const carol = await openPeer(browser, chatPath(relay.address))
  await createIdentity(carol.page, 'Carol')
  const carolInvite = await inviteFragment(carol.page)
  await carol.page.getByTestId('issued-invite').getByRole('button', { name: 'Revoke' }).click()
  await expect(carol.page.getByTestId('issued-invite').filter({ hasText: 'Revoked' })).toHaveCount(1)
  const bob = await openPeer(browser, chatPath(relay.address, carolInvite))
  await createIdentity(bob.page, 'Bob')
  for (const r of relays) await waitRelays(r.page, 5)

  await addContact(bob.page) // the link itself still opens: only Carol's service knows it was revoked
  await expect.poll(async () => await carol.page.evaluate(() => window.shallotChat!.refusedRequests()['revoked-invite'] ?? 0), { timeout: 90_000 }).toBeGreaterThan(0)
  expect(await carol.page.evaluate(() => window.shallotChat!.contacts())).toBe(0)
  await expect(conversationEntry(carol.page, 'Bob')).toHaveCount(0)
  await conversationEntry(bob.page, 'Carol').click()
  await expect(bob.page.getByText('Waiting for Carol to accept')).toBeVisible()
  for (const p of [...relays, carol, bob]) await p.context.close()
})

test('an INTRODUCE replay is refused without any change, and a descriptor published under a contact\'s id by someone else gives a clear warning and no delivery', async ({ browser, relay }) => {
  test.setTimeout(300_000)
  const relays: Peer[] = []
  for (let i = 0; i < 4; i++) relays.push(await openPeer(browser, appPath(relay.address).replace('/?', '/harness.html?')))
  // Alice exists but never joins this network: only an impersonator can answer for her.
  const alice = await openPeer(browser, '/')
  await createIdentity(alice.page, 'Alice')
  const aliceInvite = await inviteFragment(alice.page)
  await alice.context.close()

  const carol = await openPeer(browser, chatPath(relay.address))
  await createIdentity(carol.page, 'Carol')
  const carolInvite = await inviteFragment(carol.page)
  const bob = await openPeer(browser, chatPath(relay.address, carolInvite))
  await createIdentity(bob.page, 'Bob')
  const mallory = await openPeer(browser, chatPath(relay.address, aliceInvite))
  await createIdentity(mallory.page, 'Mallory')
  await addContact(mallory.page)
  for (const r of relays) await waitRelays(r.page, 6)

  // Bob's request reaches Carol once; the same INTRODUCE sent again is refused and changes nothing.
  await addContact(bob.page)
  await expect(conversationEntry(carol.page, 'Bob')).toBeVisible({ timeout: 90_000 })
  const before = await carol.page.evaluate(() => ({ contacts: window.shallotChat!.contacts(), state: window.shallotChat!.state(), refused: window.shallotChat!.refusedIntroductions() }))
  expect(before.contacts).toBe(1)
  expect(before.state[0]?.links).toBe(0) // a request gets no rendezvous (docs/RENDEZVOUS.md §8)
  expect(await bob.page.evaluate(async () => await window.shallotChat!.replayLastIntroduction())).toBe(true) // the introduction point passed it on
  await expect.poll(async () => await carol.page.evaluate(() => window.shallotChat!.refusedIntroductions()), { timeout: 15_000 }).toBe(before.refused + 1)
  const after = await carol.page.evaluate(() => ({ contacts: window.shallotChat!.contacts(), state: window.shallotChat!.state() }))
  expect(after).toEqual({ contacts: before.contacts, state: before.state })

  // Mallory holds Alice's invite and publishes her own descriptor under Alice's id.
  await bob.page.goto(chatPath(relay.address, aliceInvite))
  await addContact(bob.page)
  await bob.page.waitForFunction(() => window.shallotChat!.contactKeys().some(k => k.name === 'Alice'), null, { timeout: 15_000 })
  const victim = await bob.page.evaluate(() => window.shallotChat!.contactKeys().find(k => k.name === 'Alice')!.keyHex)
  // (once Mallory's own introduction points are up: she lists them under Alice's id)
  await expect.poll(async () => await mallory.page.evaluate(async (k) => await window.shallotChat!.impersonate(k).catch(() => 0), victim), { timeout: 60_000, intervals: [1_000] }).toBeGreaterThan(0)
  await conversationEntry(bob.page, 'Alice').click()
  await send(bob.page, 'are you really Alice?')
  await expect(bob.page.getByRole('alert').filter({ hasText: 'someone other than the contact you added' })).toBeVisible({ timeout: 90_000 })
  await expect(delivered(bob.page)).toHaveCount(0)
  await expect(bob.page.getByText('Waiting for Alice to accept')).toBeVisible()
  for (const p of [...relays, carol, bob, mallory]) await p.context.close()
})

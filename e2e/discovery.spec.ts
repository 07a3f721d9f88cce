import { appPath, createRelayController, directPeerCount, expect, openPeer, test } from './fixtures.ts'

test('discovery spans bootstrap relays: tabs on different relays meet through a tab that knows both', async ({ browser, relay }) => {
  const second = await createRelayController()
  await second.start()
  try {
    const a = await openPeer(browser, appPath(relay.address))
    const b = await openPeer(browser, appPath(second.address))
    // A and B share no relay; C uses both and passes signed peer records on.
    const c = await openPeer(browser, appPath([relay.address, second.address]))
    await expect(c.page.getByRole('region', { name: 'Network status' })).toContainText('Connected to 2 bootstrap relays')
    for (const p of [a, b, c]) {
      await expect.poll(() => directPeerCount(p.page), { timeout: 45_000 }).toBe(2)
    }
    for (const p of [a, b, c]) await p.context.close()
  } finally {
    await second.dispose()
  }
})

import { appPath, directPeerCount, expect, openPeer, test, type Peer } from './fixtures.ts'
import { directPeerRows } from './ui-driver.ts'

const TABS = 5

async function pingFirstDirectPeer (page: Peer['page']): Promise<void> {
  const row = directPeerRows(page).first()
  const before = Number(await row.getAttribute('data-pings'))
  await row.getByRole('button', { name: /^Ping / }).click()
  // The count of successful pings over this direct connection grows.
  await expect.poll(async () => Number(await row.getAttribute('data-pings')), { timeout: 15_000 }).toBeGreaterThan(before)
  await expect(row.locator('td').nth(2)).toHaveText(/\d+(\.\d)? ms/)
}

test('tabs meet through the bootstrap relay, keep direct WebRTC links when it goes away, and rejoin', async ({ browser, relay }) => {
  const peers: Peer[] = []
  const t0 = Date.now()
  for (let i = 0; i < TABS; i++) peers.push(await openPeer(browser, appPath(relay.address)))

  // Within 30 s every tab lists at least 3 direct WebRTC peers.
  for (const { page } of peers) {
    await expect.poll(() => directPeerCount(page), { timeout: Math.max(5_000, 30_000 - (Date.now() - t0)) }).toBeGreaterThanOrEqual(3)
    await expect(page.getByRole('region', { name: 'Network status' })).toContainText('Connected to 1 bootstrap relay')
  }
  for (const { page } of peers) await pingFirstDirectPeer(page)

  // The relay goes away: direct links keep working, the UI says the relay is unreachable.
  await relay.stop()
  for (const { page } of peers) {
    await expect(page.getByRole('listitem', { name: /Bootstrap relay .*: unreachable/ })).toBeVisible({ timeout: 20_000 })
    await expect(page.getByRole('region', { name: 'Network status' })).toContainText('Connected to 0 bootstrap relays')
  }
  for (const { page } of peers) await pingFirstDirectPeer(page)

  // It comes back (same key, same address): tabs reserve again and a 6th tab joins.
  await relay.start()
  for (const { page } of peers) {
    await expect(page.getByRole('listitem', { name: /Bootstrap relay .*: connected/ })).toBeVisible({ timeout: 30_000 })
  }
  const late = await openPeer(browser, appPath(relay.address))
  peers.push(late)
  await expect.poll(() => directPeerCount(late.page), { timeout: 30_000 }).toBeGreaterThanOrEqual(3)
  await pingFirstDirectPeer(late.page)

  for (const p of peers) await p.context.close()
})

test('with no bootstrap relay reachable the page says so clearly, then recovers by itself', async ({ browser, relay }, testInfo) => {
  await relay.stop()
  const a = await openPeer(browser, appPath(relay.address))
  const status = a.page.getByRole('region', { name: 'Network status' })
  await expect(status).toContainText("Can't reach the Shallot network")
  await expect(status.getByRole('button', { name: 'Try again' })).toBeVisible()
  await a.page.screenshot({ path: testInfo.outputPath('no-bootstrap.png'), fullPage: true })
  await testInfo.attach('no-bootstrap', { path: testInfo.outputPath('no-bootstrap.png'), contentType: 'image/png' })
  // Not a blank page, not a stack trace.
  await expect(a.page.locator('body')).not.toContainText(/Error:|at .*\.js:\d+/)

  await relay.start()
  const b = await openPeer(browser, appPath(relay.address))
  await expect(a.page.getByRole('region', { name: 'Network status' })).toContainText('Connected to 1 bootstrap relay', { timeout: 30_000 })
  await expect.poll(() => directPeerCount(a.page), { timeout: 30_000 }).toBeGreaterThanOrEqual(1)
  await a.context.close()
  await b.context.close()
})

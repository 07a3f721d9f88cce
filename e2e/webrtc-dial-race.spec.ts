/**
 * Guards the patch we carry for @libp2p/webrtc 6.0.33 (patches/): in a
 * browser-to-browser dial the answerer can close the `init` data channel before
 * the initiator sees it open; unpatched, the initiator waits for `open` until
 * the dial times out (25 s here), which hit 20–30 % of dials on this machine.
 * Two tabs that keep one direct peer each drop and re-make their connection
 * many times; every re-dial must complete quickly. Without the patch, at least
 * one of the dials hangs with near certainty (0.75^15 ≈ 1 %).
 */
import { appPath, expect, openPeer, test } from './fixtures.ts'
import { directPeerRows } from './ui-driver.ts'

const CYCLES = 15
/** A healthy WebRTC dial here takes well under a second; the hang lasts until the 25 s address timeout. */
const REDIAL_DEADLINE_MS = 10_000

test('repeated browser-to-browser WebRTC dials never hang on the init channel', async ({ browser, relay }) => {
  const a = await openPeer(browser, appPath(relay.address, '&peers=1'))
  const b = await openPeer(browser, appPath(relay.address, '&peers=1'))
  const directRow = directPeerRows(a.page)
  await expect(directRow).toHaveCount(1, { timeout: 30_000 })
  const timings: number[] = []
  for (let i = 0; i < CYCLES; i++) {
    const openedBefore = await directRow.getAttribute('data-opened-at')
    const started = Date.now()
    await directRow.getByRole('button', { name: /^Disconnect / }).click()
    await expect.poll(async () => {
      const rows = await directRow.count()
      return rows === 1 ? await directRow.getAttribute('data-opened-at') : openedBefore
    }, { timeout: REDIAL_DEADLINE_MS, intervals: [50, 100, 200] }).not.toBe(openedBefore)
    timings.push(Date.now() - started)
  }
  test.info().annotations.push({ type: 'redial-ms', description: timings.join(',') })
  await a.context.close()
  await b.context.close()
})

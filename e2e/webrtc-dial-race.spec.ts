/**
 * Guards the patch we carry for @libp2p/webrtc 6.0.33 (patches/): in a
 * browser-to-browser dial the answerer can close the `init` data channel before
 * the initiator sees it open; unpatched, the initiator waits for `open` until
 * the dial times out (25 s here), which hit 20–30 % of dials on this machine.
 * Two tabs that keep one direct peer each drop and re-make their connection
 * many times; every re-dial must complete quickly. Without the patch, at least
 * one of the dials hangs with near certainty (0.75^15 ≈ 1 %).
 *
 * It also guards the second part of that patch: the tab at the other end must
 * notice the close at once (the remote's DTLS close_notify and SCTP ABORT),
 * not when ICE fails (~30 s; libp2p ignores the "disconnected" of ~8 s). Unpatched, B kept the
 * dead connection, showed it in its Network panel, and closed A's redial's
 * signalling connection as "signalling done" (about a third of redials failed).
 *
 * And the third: when both tabs redial at once and one abandons its dial, the
 * other must not keep a connection that never connected (unpatched, B showed
 * it as A's connection until its pings gave up, about 1 run in 6; the unit
 * test test/patches/webrtc-signalling-end.test.ts pins that part down).
 */
import { appPath, expect, openPeer, test } from './fixtures.ts'
import { directPeerRows } from './ui-driver.ts'

const CYCLES = 15
/** A healthy WebRTC dial here takes well under a second; the hang lasts until the 25 s address timeout. */
const REDIAL_DEADLINE_MS = 10_000
/**
 * B shows the new connection (the old one closed at its end too) this soon
 * after A does. Unpatched, B keeps the old one until ICE fails (~30 s), or
 * until its pings find A silent while its relay answers (9–14 s after the
 * disconnect, pings.ts); patched it is milliseconds after A's RTCPeerConnection
 * closes. Not less than this: A's close is graceful (its streams first), and
 * on a loaded CI machine it once took more than 3 s.
 */
const REMOTE_CLOSE_DEADLINE_MS = 6_000

test('repeated browser-to-browser WebRTC dials never hang on the init channel', async ({ browser, relay }) => {
  const a = await openPeer(browser, appPath(relay.address, '&peers=1'))
  const b = await openPeer(browser, appPath(relay.address, '&peers=1'))
  const directRow = directPeerRows(a.page)
  const bRow = directPeerRows(b.page)
  await expect(directRow).toHaveCount(1, { timeout: 30_000 })
  await expect(bRow).toHaveCount(1, { timeout: 30_000 })
  const timings: number[] = []
  for (let i = 0; i < CYCLES; i++) {
    const openedBefore = await directRow.getAttribute('data-opened-at')
    const bOpenedBefore = await bRow.getAttribute('data-opened-at')
    const started = Date.now()
    await directRow.getByRole('button', { name: /^Disconnect / }).click()
    await expect.poll(async () => {
      const rows = await directRow.count()
      return rows === 1 ? await directRow.getAttribute('data-opened-at') : openedBefore
    }, { timeout: REDIAL_DEADLINE_MS, intervals: [50, 100, 200] }).not.toBe(openedBefore)
    timings.push(Date.now() - started)
    // B's row shows its oldest direct connection to A: it changes only once B has closed the old one.
    await expect.poll(async () => {
      const rows = await bRow.count()
      return rows === 1 ? await bRow.getAttribute('data-opened-at') : bOpenedBefore
    }, { timeout: REMOTE_CLOSE_DEADLINE_MS, intervals: [50, 100, 200] }).not.toBe(bOpenedBefore)
  }
  test.info().annotations.push({ type: 'redial-ms', description: timings.join(',') })
  await a.context.close()
  await b.context.close()
})

/**
 * Test build only (imported by src/app/testing/harness.ts, checked out of the
 * release bundle by scripts/check-bundle.mjs): writes garbage on the channel
 * protocol to a neighbour, to show that hostile bytes are refused and crash
 * no tab (e2e/circuits.spec.ts).
 */
import { lpStream } from '@libp2p/utils'
import { CHANNEL_PROTOCOL } from '../channel.ts'
import type { Network } from '../network.ts'

export async function sendGarbageOnChannel (network: Network, peer: string, bytes: number): Promise<void> {
  const conn = network.directConnectionTo(peer)
  if (conn == null) throw new Error('no direct connection')
  const stream = await conn.newStream(CHANNEL_PROTOCOL)
  // Whole-cell-sized garbage (reaches the router) and then a torn tail.
  stream.send(crypto.getRandomValues(new Uint8Array(bytes)))
  await lpStream(stream).write(crypto.getRandomValues(new Uint8Array(100))).catch(() => {})
  await stream.close().catch(() => {})
}

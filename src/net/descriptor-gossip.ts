/**
 * Relay descriptors travel tab to tab (DESIGN.md §3 "Directory"): a tab pulls
 * its neighbours' descriptor sets when it meets them (so a new tab learns the
 * directory from whoever it meets first) and again now and then from one
 * random neighbour, so a descriptor spreads through the network in a few
 * rounds. Every descriptor is verified (signature, freshness, size) by the
 * directory in core before use; a neighbour can withhold descriptors but never
 * forge one. Only over direct connections.
 */
import { lpStream } from '@libp2p/utils'
import type { Connection, Stream } from '@libp2p/interface'

export const DESCRIPTOR_PROTOCOL = '/shallot/descriptors/1.0.0'

/** Most descriptors sent in one reply (newest first); a directory beyond that spreads over rounds. */
export const GOSSIP_MAX_DESCRIPTORS = 256

/** Largest single descriptor accepted on the wire. */
export const GOSSIP_MAX_DESCRIPTOR_BYTES = 2048

/** How often a tab pulls from one random neighbour. */
export const GOSSIP_INTERVAL_MS = 15_000

/** Time allowed for one pull. */
export const GOSSIP_TIMEOUT_MS = 10_000

/** The directory as gossip sees it: encoded descriptors in, encoded descriptors out. */
export interface GossipDirectory {
  /** Verify and store; false (never a throw) when refused. */
  addEncoded(bytes: Uint8Array): boolean
  /** Encoded descriptors to share (our own first). */
  encodedForSharing(limit: number): Uint8Array[]
}

export async function serveDescriptors (handle: (protocol: string, handler: (stream: Stream, connection: Connection) => void | Promise<void>) => Promise<void>, directory: GossipDirectory, isDirect: (c: Connection) => boolean): Promise<void> {
  await handle(DESCRIPTOR_PROTOCOL, async (stream, connection) => {
    if (!isDirect(connection)) {
      stream.abort(new Error('descriptors only over direct connections'))
      return
    }
    try {
      const lp = lpStream(stream, { maxDataLength: GOSSIP_MAX_DESCRIPTOR_BYTES })
      const all = directory.encodedForSharing(GOSSIP_MAX_DESCRIPTORS)
      const count = new Uint8Array(2)
      new DataView(count.buffer).setUint16(0, all.length)
      await lp.writeV([count, ...all])
      await stream.close()
    } catch (err) {
      stream.abort(err as Error)
    }
  })
}

/** Pull a neighbour's descriptors into `directory`; returns how many were accepted. */
export async function pullDescriptors (connection: Connection, directory: GossipDirectory): Promise<number> {
  const signal = AbortSignal.timeout(GOSSIP_TIMEOUT_MS)
  const stream = await connection.newStream(DESCRIPTOR_PROTOCOL, { signal })
  let accepted = 0
  try {
    const lp = lpStream(stream, { maxDataLength: GOSSIP_MAX_DESCRIPTOR_BYTES })
    const header = (await lp.read({ signal })).subarray()
    if (header.length !== 2) throw new Error('bad descriptor list header')
    const count = Math.min(new DataView(header.buffer, header.byteOffset, 2).getUint16(0), GOSSIP_MAX_DESCRIPTORS)
    for (let i = 0; i < count; i++) {
      if (directory.addEncoded((await lp.read({ signal })).subarray())) accepted++
    }
    await stream.close({ signal }).catch(() => {})
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
  return accepted
}

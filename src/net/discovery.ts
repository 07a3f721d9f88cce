/**
 * Peer exchange on the tab side (wire format in core/discovery/peer-exchange).
 *
 * Serving: a tab answers with the signed peer records (libp2p RecordEnvelopes,
 * signed by each peer's own transport key) of the peers it is directly
 * connected to and relays signalling for. Asking: records are verified by the peer store
 * (`consumePeerRecord` checks the signature and that it names the expected
 * peer) before their addresses are used; bare ids from a bootstrap relay become
 * `<relay>/p2p-circuit/webrtc/p2p/<id>` addresses, i.e. "reachable through the
 * relay that told us". Never served on limited (relayed) connections.
 */
import { lpStream } from '@libp2p/utils'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import type { Connection, PeerId, Stream } from '@libp2p/interface'
import {
  decodePeerExchange, encodePeerExchange, PEER_EXCHANGE_PROTOCOL, PX_MAX_PEERS, PX_MAX_REPLY_BYTES,
  type PeerExchangeEntry
} from '../core/discovery/peer-exchange.ts'
import { PEER_EXCHANGE_TIMEOUT_MS } from './constants.ts'
import type { TabNode } from './node.ts'

/**
 * Answer peer exchange with the neighbours that can be reached *through this
 * tab*: direct WebRTC neighbours holding a signalling reservation on it
 * (`reachable`, relay-control.ts). The asker both learns them as candidates
 * and may signal to them through this tab (adjacency.ts); a neighbour that
 * has not reserved yet is listed a second or so later.
 */
export async function servePeerExchange (node: TabNode, isDirect: (connection: Connection) => boolean, reachable: (peer: string) => boolean = () => true): Promise<void> {
  await node.handle(PEER_EXCHANGE_PROTOCOL, async (stream: Stream, connection: Connection) => {
    try {
      const asker = connection.remotePeer.toString()
      const entries: PeerExchangeEntry[] = []
      const seen = new Set<string>([asker])
      for (const conn of node.getConnections()) {
        const id = conn.remotePeer.toString()
        if (seen.has(id) || !isDirect(conn) || !reachable(id)) continue
        seen.add(id)
        const peer = await node.peerStore.get(conn.remotePeer).catch(() => undefined)
        if (peer?.peerRecordEnvelope == null) continue
        entries.push({ id, record: peer.peerRecordEnvelope })
        if (entries.length >= PX_MAX_PEERS) break
      }
      await lpStream(stream, { maxDataLength: PX_MAX_REPLY_BYTES }).write(encodePeerExchange(entries))
      await stream.close()
    } catch (err) {
      stream.abort(err as Error)
    }
  })
}

/**
 * Ask one neighbour for peers. Returns the ids learned (already merged into the
 * peer store with verified or relay-derived addresses). Throws on a broken or
 * malformed reply; the caller treats that neighbour as unhelpful, nothing more.
 */
export async function askPeerExchange (node: TabNode, connection: Connection, relayAddr: Multiaddr | null): Promise<PeerId[]> {
  const signal = AbortSignal.timeout(PEER_EXCHANGE_TIMEOUT_MS)
  const stream = await connection.newStream(PEER_EXCHANGE_PROTOCOL, { signal })
  let entries: PeerExchangeEntry[]
  try {
    const reply = await lpStream(stream, { maxDataLength: PX_MAX_REPLY_BYTES }).read({ signal })
    entries = decodePeerExchange(reply.subarray())
    await stream.close({ signal }).catch(() => {})
  } catch (err) {
    stream.abort(err as Error)
    throw err
  }
  const self = node.peerId.toString()
  const learned: PeerId[] = []
  for (const entry of entries) {
    if (entry.id === self) continue
    let peerId: PeerId
    try {
      peerId = peerIdFromString(entry.id)
    } catch {
      continue // not a peer id: skip the entry, keep the rest
    }
    if (entry.record != null) {
      const ok = await node.peerStore.consumePeerRecord(entry.record, { expectedPeer: peerId }).catch(() => false)
      // A record that fails verification is ignored; an older valid record
      // (consume returns false) still leaves usable addresses in the store.
      if (!ok && !(await node.peerStore.has(peerId))) continue
    } else if (relayAddr != null) {
      await node.peerStore.merge(peerId, {
        multiaddrs: [multiaddr(`${relayAddr.toString()}/p2p-circuit/webrtc/p2p/${entry.id}`)]
      })
    } else {
      continue
    }
    learned.push(peerId)
  }
  return learned
}

/** The `/webrtc` (browser-to-browser) addresses the peer store knows for a peer. */
export async function webrtcAddresses (node: TabNode, peerId: PeerId): Promise<Multiaddr[]> {
  const peer = await node.peerStore.get(peerId).catch(() => undefined)
  if (peer == null) return []
  return peer.addresses
    .map(a => a.multiaddr)
    .filter(ma => {
      const names = ma.getComponents().map(c => c.name)
      return names.includes('webrtc') && names.includes('p2p-circuit')
    })
    .map(ma => {
      // Make sure the address ends with the peer id, as a dial target must.
      const last = ma.getComponents().at(-1)
      return last?.name === 'p2p' ? ma : ma.encapsulate(`/p2p/${peerId.toString()}`)
    })
}

/**
 * What a libp2p connection is, in the words the Network panel uses.
 * A WebRTC connection's remote address still names the relay it was signalled
 * through (`…/p2p-circuit/webrtc/p2p/…`), so the kind is decided by the
 * `/webrtc` component and by whether libp2p marked the connection as limited.
 */
import type { Connection } from '@libp2p/interface'

export type ConnectionKind = 'direct-webrtc' | 'relayed' | 'bootstrap' | 'other'

export function connectionKind (connection: Pick<Connection, 'remoteAddr' | 'limits'>, bootstrapPeerIds: ReadonlySet<string>, remotePeer: string): ConnectionKind {
  if (bootstrapPeerIds.has(remotePeer)) return 'bootstrap'
  const names = connection.remoteAddr.getComponents().map(c => c.name)
  if (connection.limits != null) return 'relayed'
  if (names.includes('webrtc')) return 'direct-webrtc'
  if (names.includes('p2p-circuit')) return 'relayed'
  return 'other'
}

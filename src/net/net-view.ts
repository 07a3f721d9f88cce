/**
 * What the parts of the peer manager (bootstrap-links.ts, peer-manager.ts,
 * pings.ts) see of the running tab: its libp2p node and how to classify its
 * connections. network.ts makes one per started node and passes it in, so the
 * parts hold no reference to the Network itself.
 */
import type { Connection } from '@libp2p/interface'
import type { ConnectionKind } from './connection-kind.ts'
import type { TabNode } from './node.ts'

export interface NetView {
  readonly node: TabNode
  kindOf(connection: Connection): ConnectionKind
  /** Peers with a direct WebRTC connection (neighbours and circuit hops). */
  directPeerIds(): Set<string>
  directConnection(peer: string): Connection | undefined
}

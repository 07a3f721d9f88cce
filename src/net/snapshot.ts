/**
 * What the network shows the app: its configuration and the immutable
 * snapshot Network publishes (network.ts), in the words the UI uses.
 */
import type { BootstrapStatus } from './bootstraps.ts'
import type { ConnectionKind } from './connection-kind.ts'
import type { ConnectionPath } from './connection-path.ts'
import type { IceSnapshot } from './ice.ts'

export interface NetworkConfig {
  /** Bootstrap relays: multiaddrs (`/ip4/…/tcp/…/ws/p2p/…`) or http(s) URLs of a relay's info endpoint. */
  bootstraps: string[]
  maxDirectPeers?: number
  allowLocalAddresses: boolean
  /** Start with "hide my IP" on: every WebRTC connection through TURN. */
  relayOnly?: boolean
}

export interface PeerStatus {
  readonly id: string
  readonly shortId: string
  readonly kind: ConnectionKind
  /** Last round trip over this connection, ms. */
  readonly rttMs: number | null
  /** How many pings over this connection succeeded (tests wait for it to grow). */
  readonly pings: number
  readonly pingFailed: boolean
  /** When the connection shown was opened (epoch ms). */
  readonly openedAt: number
  /** How a direct connection travels (null until the browser says, or for non-WebRTC kinds). */
  readonly path: ConnectionPath | null
}

/**
 * - `starting`, `connecting`: before the first answer from a bootstrap relay;
 * - `online`: connected to a bootstrap relay or to direct peers;
 * - `isolated`: connected to a bootstrap relay, others are there, but no
 *   direct connection works (no STUN/TURN, a firewall, or "hide my IP"
 *   without TURN): the tab says so instead of "connecting" forever;
 * - `offline`: the tab lost the network (nothing answers) after being on it;
 * - `unreachable`: no bootstrap relay ever answered;
 * - `stopped`.
 */
export type NetworkPhase = 'starting' | 'connecting' | 'online' | 'isolated' | 'offline' | 'unreachable' | 'stopped'

export interface ConnectivitySnapshot {
  readonly ice: IceSnapshot
  /** Candidate kinds this tab gathered in its last probe (null: not probed yet). */
  readonly candidateKinds: readonly string[] | null
  /** Direct connections by path: through TURN, or not. */
  readonly directConnections: number
  readonly turnConnections: number
}

export interface NetworkSnapshot {
  readonly phase: NetworkPhase
  readonly bootstraps: readonly BootstrapStatus[]
  readonly connectedBootstraps: number
  readonly reservations: number
  readonly peers: readonly PeerStatus[]
  readonly directPeers: number
  /** ms from start to the first direct WebRTC peer, once there was one. */
  readonly firstDirectPeerMs: number | null
  readonly selfShortId: string | null
  /** Peers known (candidates) besides the direct ones: 0 means nobody else is on the network yet. */
  readonly knownPeers: number
  readonly connectivity: ConnectivitySnapshot
  /** Successful outbound dials by signalling route. */
  readonly signalledVia: { readonly neighbour: number, readonly bootstrap: number }
}

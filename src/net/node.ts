/**
 * The tab's libp2p node: WebRTC (browser to browser), WebSockets (to reach the
 * bootstrap relays) and the circuit-relay transport, used only to signal WebRTC,
 * plus a circuit-relay-v2 hop that signals for the tab's neighbours
 * (relay-control.ts). The transport key is made fresh for every tab and lives
 * only in memory: it is never stored and never linked to the user's chat identity.
 */
import { createLibp2p, type Libp2p } from 'libp2p'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import type { ConnectionGater, PeerId, PrivateKey } from '@libp2p/interface'
import type { Identify } from '@libp2p/identify'
import type { CircuitRelayService } from '@libp2p/circuit-relay-v2'
import { ADDRESS_DIAL_TIMEOUT_MS, DIAL_TIMEOUT_MS } from './constants.ts'
import { relayControl, tabRelayServer, type RelayControl } from './relay-control.ts'

export interface TabNodeOptions {
  /**
   * The configuration of each new RTCPeerConnection, asked per connection:
   * ICE servers only from the bootstrap relays the tab joined (ice.ts), and the
   * `relay` policy when the person hides their IP.
   */
  rtcConfiguration: () => RTCConfiguration
  /** Whether `peer` is a direct WebRTC neighbour: the only peers the tab's hop reserves for and relays between. */
  isNeighbour: (peer: string) => boolean
  /**
   * Allow dialing ws:// and private/loopback addresses. Only for local
   * development (the app turns it on when it is itself served from a loopback
   * or private host); production keeps libp2p's strict browser gater.
   */
  allowLocalAddresses: boolean
  /** The tab's transport key (made per tab by the caller, held in memory only). */
  privateKey: PrivateKey
}

export type TabNode = Libp2p<{ identify: Identify, ping: Ping, relay: CircuitRelayService, relayControl: RelayControl }>

/**
 * Bytes a WebRTC data channel may hold unsent before libp2p waits for it to
 * drain (@libp2p/webrtc's default: 2 MiB). Cells handed to a data channel are
 * past the channel's EWMA scheduler (core/channel/scheduler.ts), so with 2 MiB
 * a bulk circuit parked up to that much ahead of a chat cell: a chat circuit's
 * echo beside a bulk one took 150–250 ms (`npm run bench`, "echo RTT beside a
 * bulk circuit"). Tor's KIST bounds what it writes to the kernel for the same
 * reason. 64 KiB still keeps a link busy for a few milliseconds at raw speed.
 */
export const DATA_CHANNEL_MAX_BUFFERED_BYTES = 64 * 1024

/**
 * The connection gater: libp2p's strict browser rules for dialing (no ws://,
 * no private addresses) unless developing locally, and the tab's hop limited
 * to its direct neighbours. A reservation or relayed connection for anyone
 * else is refused.
 */
export function tabConnectionGater (allowLocalAddresses: boolean, isNeighbour: (peer: string) => boolean): ConnectionGater {
  const notNeighbour = (p: PeerId): boolean => !isNeighbour(p.toString())
  return {
    // Left undefined in production so libp2p applies its browser default.
    ...(allowLocalAddresses ? { denyDialMultiaddr: async () => false } : {}),
    denyInboundRelayReservation: async (source) => notNeighbour(source),
    denyOutboundRelayedConnection: async (source, destination) => notNeighbour(source) || notNeighbour(destination)
  }
}

export async function createTabNode (opts: TabNodeOptions): Promise<TabNode> {
  return await createLibp2p({
    privateKey: opts.privateKey,
    addresses: {
      // No '/p2p-circuit' search listeners: reservations are made explicitly,
      // on bootstrap relays and on neighbours (relay-control.ts).
      listen: ['/webrtc']
    },
    transports: [
      webSockets(),
      webRTC({ rtcConfiguration: opts.rtcConfiguration, dataChannel: { maxBufferedAmount: DATA_CHANNEL_MAX_BUFFERED_BYTES } }),
      circuitRelayTransport({ reservationCompletionTimeout: 15_000 })
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: tabConnectionGater(opts.allowLocalAddresses, opts.isNeighbour),
    // libp2p's monitor stays on (every 30 s, as on the relay): without it
    // e2e/webrtc-dial-race missed its 10 s redial in about half the runs
    // (it clears connections whose transport died). Its timeout starts at
    // 15 s, not 5: with 5 a single slow ping on a busy machine aborted live
    // TURN connections. pings.ts does liveness and the Network panel's RTT.
    connectionMonitor: { pingInterval: 30_000, pingTimeout: { minTimeout: 15_000 } },
    connectionManager: {
      dialTimeout: DIAL_TIMEOUT_MS,
      addressDialTimeout: ADDRESS_DIAL_TIMEOUT_MS,
      maxParallelDials: 8,
      // libp2p's own reconnect logic is off: the peer manager decides whom to keep.
      reconnectRetries: 0
    },
    services: {
      identify: identify(),
      ping: ping(),
      relay: tabRelayServer(),
      relayControl: relayControl()
    }
  })
}

/**
 * The tab's libp2p node: WebRTC (browser to browser), WebSockets (to reach the
 * bootstrap relays) and the circuit-relay transport, used only to signal WebRTC.
 * The transport key is made fresh for every tab and lives only in memory: it is
 * never stored and never linked to the user's chat identity.
 */
import { createLibp2p, type Libp2p } from 'libp2p'
import { webRTC } from '@libp2p/webrtc'
import { webSockets } from '@libp2p/websockets'
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import type { PrivateKey } from '@libp2p/interface'
import type { Identify } from '@libp2p/identify'
import { ADDRESS_DIAL_TIMEOUT_MS, DIAL_TIMEOUT_MS } from './constants.ts'

export interface TabNodeOptions {
  /** How many relay reservations to hold: one per configured bootstrap relay. */
  reservations: number
  /** ICE servers for WebRTC. Empty by default: no third-party STUN server learns of our tabs. */
  iceServers: RTCIceServer[]
  /**
   * Allow dialing ws:// and private/loopback addresses. Only for local
   * development (the app turns it on when it is itself served from a loopback
   * or private host); production keeps libp2p's strict browser gater.
   */
  allowLocalAddresses: boolean
  /** The tab's transport key (made per tab by the caller, held in memory only). */
  privateKey: PrivateKey
}

export type TabNode = Libp2p<{ identify: Identify, ping: Ping }>

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

export async function createTabNode (opts: TabNodeOptions): Promise<TabNode> {
  return await createLibp2p({
    privateKey: opts.privateKey,
    addresses: {
      // One '/p2p-circuit' per reservation wanted: the circuit-relay transport
      // reserves a slot on that many relays it discovers (our bootstraps).
      listen: [...Array.from({ length: Math.max(1, opts.reservations) }, () => '/p2p-circuit'), '/webrtc']
    },
    transports: [
      webSockets(),
      webRTC({ rtcConfiguration: { iceServers: opts.iceServers }, dataChannel: { maxBufferedAmount: DATA_CHANNEL_MAX_BUFFERED_BYTES } }),
      circuitRelayTransport({ reservationCompletionTimeout: 15_000 })
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: opts.allowLocalAddresses
      ? { denyDialMultiaddr: async () => false }
      : {},
    connectionManager: {
      dialTimeout: DIAL_TIMEOUT_MS,
      addressDialTimeout: ADDRESS_DIAL_TIMEOUT_MS,
      maxParallelDials: 8,
      // libp2p's own reconnect logic is off: the peer manager decides whom to keep.
      reconnectRetries: 0
    },
    services: {
      identify: identify(),
      ping: ping()
    }
  })
}

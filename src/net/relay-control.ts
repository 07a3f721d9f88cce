/**
 * Circuit-relay-v2 on a tab, for WebRTC signalling only.
 *
 * Two roles, one module:
 *
 * - **hop for neighbours** ({@link tabRelayServer}): every tab runs a
 *   circuit-relay-v2 server, so a tab's neighbours can signal new WebRTC
 *   connections to each other through it instead of through a bootstrap relay.
 *   Its limits are the bootstrap relay's (2 minutes, 128 KiB per relayed
 *   connection: SDP and ICE candidates fit many times over), it takes
 *   reservations only from direct WebRTC neighbours and relays only between
 *   two of them (the connection gater in node.ts), and the onion protocols
 *   refuse limited connections, so no cell ever crosses it.
 *
 * - **reservations** ({@link relayControl}): a tab holds a reservation on each
 *   bootstrap relay (so tabs that know no neighbour of it can still reach it)
 *   and on each direct neighbour (so that neighbour's other neighbours can).
 *   The circuit-relay transport's own relay *discovery* is never used: it would
 *   pick any peer that speaks the hop protocol, neighbours included, and dial
 *   peers from the peer store by itself. Reservations are made here,
 *   explicitly: on a bootstrap relay through a listener (which also gives the
 *   tab its `<relay>/p2p-circuit/webrtc` address for peer records), on a
 *   neighbour straight through the transport's reservation store (a
 *   neighbour's reservation is found through peer exchange, not advertised).
 */
import { circuitRelayServer } from '@libp2p/circuit-relay-v2'
import type { Multiaddr } from '@multiformats/multiaddr'
import type { Listener, PeerId, PeerStore, Transport } from '@libp2p/interface'
import {
  TAB_RELAY_DATA_LIMIT_BYTES, TAB_RELAY_DURATION_LIMIT_MS, TAB_RELAY_HOP_TIMEOUT_MS, TAB_RELAY_MAX_HOP_STREAMS,
  TAB_RELAY_MAX_RESERVATIONS, TAB_RELAY_MAX_STOP_STREAMS, TAB_RELAY_RESERVATION_TTL_MS
} from './constants.ts'

/** The tab's hop server, with the bootstrap relay's limits. */
export function tabRelayServer (): ReturnType<typeof circuitRelayServer> {
  return circuitRelayServer({
    hopTimeout: TAB_RELAY_HOP_TIMEOUT_MS,
    maxInboundHopStreams: TAB_RELAY_MAX_HOP_STREAMS,
    maxOutboundStopStreams: TAB_RELAY_MAX_STOP_STREAMS,
    reservations: {
      maxReservations: TAB_RELAY_MAX_RESERVATIONS,
      reservationTtl: TAB_RELAY_RESERVATION_TTL_MS,
      defaultDurationLimit: TAB_RELAY_DURATION_LIMIT_MS,
      defaultDataLimit: TAB_RELAY_DATA_LIMIT_BYTES
    }
  })
}

/** circuit-relay-v2's hop protocol (a peer that speaks it can relay for us). */
export const HOP_PROTOCOL = '/libp2p/circuit/relay/0.2.0/hop'

/** libp2p's keep-alive tag the reservation store puts on a relay it reserved on. */
const RELAY_KEEP_ALIVE_TAG = 'keep-alive-circuit-relay'

/** The parts of @libp2p/circuit-relay-v2's transport this module uses (its `reservationStore` is public). */
interface ReservationStoreLike {
  addRelay(peerId: PeerId, type: 'discovered' | 'configured'): Promise<unknown>
  hasReservation(peerId: PeerId): boolean
  addEventListener(type: 'relay:created-reservation', listener: (evt: CustomEvent<{ relay: PeerId }>) => void): void
}

interface RelayControlComponents {
  transportManager: {
    getTransports(): Transport[]
    getListeners(): Listener[]
    listen(addrs: Multiaddr[]): Promise<void>
  }
  peerStore: PeerStore
}

export class RelayControlUnavailableError extends Error {
  readonly kind = 'relay-control-unavailable' as const
  constructor (message: string) {
    super(message)
    this.name = 'RelayControlUnavailableError'
  }
}

export class RelayControl {
  /** One listener per bootstrap relay, reused when the tab reconnects to it. */
  private readonly bootstrapListeners = new Map<string, Listener>()
  /** Neighbours whose reservation must not keep libp2p redialing them (see untagNeighbour). */
  private readonly neighbourReservations = new Set<string>()
  private storeCache: ReservationStoreLike | null = null

  constructor (private readonly components: RelayControlComponents) {}

  readonly [Symbol.toStringTag] = 'shallot/relay-control'

  private store (): ReservationStoreLike {
    if (this.storeCache != null) return this.storeCache
    const transport = this.components.transportManager.getTransports()
      .find(t => (t as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === '@libp2p/circuit-relay-v2-transport') as (Transport & { reservationStore?: ReservationStoreLike }) | undefined
    const store = transport?.reservationStore
    if (store == null) throw new RelayControlUnavailableError('no circuit-relay transport')
    // A neighbour's reservation tags it keep-alive, and libp2p would then redial
    // it by itself when it goes: the peer manager alone decides whom to dial.
    store.addEventListener('relay:created-reservation', (evt) => {
      if (this.neighbourReservations.has(evt.detail.relay.toString())) void this.untag(evt.detail.relay)
    })
    this.storeCache = store
    return store
  }

  hasReservation (peerId: PeerId): boolean {
    return this.store().hasReservation(peerId)
  }

  /**
   * Reserve a slot on a bootstrap relay (the tab is connected to it): the
   * relay can then connect other tabs to this one, and the tab's peer record
   * carries `<relay>/p2p-circuit/webrtc`.
   */
  async reserveOnBootstrap (relayAddr: Multiaddr, relayId: string): Promise<void> {
    const addr = relayAddr.encapsulate('/p2p-circuit')
    const listener = this.bootstrapListeners.get(relayId)
    if (listener != null) {
      await listener.listen(addr)
      return
    }
    const before = new Set(this.components.transportManager.getListeners())
    await this.components.transportManager.listen([addr])
    const created = this.components.transportManager.getListeners().find(l => !before.has(l))
    if (created != null) this.bootstrapListeners.set(relayId, created)
  }

  /** Reserve a slot on a direct neighbour, so its other neighbours can signal to this tab through it. */
  async reserveOnNeighbour (peerId: PeerId): Promise<void> {
    this.neighbourReservations.add(peerId.toString())
    await this.store().addRelay(peerId, 'configured')
    await this.untag(peerId)
  }

  /** The neighbour left: nothing to undo (the reservation store drops it with the connection). */
  neighbourGone (peerId: string): void {
    this.neighbourReservations.delete(peerId)
  }

  private async untag (peerId: PeerId): Promise<void> {
    await this.components.peerStore.merge(peerId, { tags: { [RELAY_KEEP_ALIVE_TAG]: undefined } }).catch(() => {})
  }
}

/** The libp2p service factory (`services: { relayControl: relayControl() }`). */
export function relayControl (): (components: RelayControlComponents) => RelayControl {
  return (components) => new RelayControl(components)
}

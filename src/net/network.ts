/**
 * The tab's place in the network, as one object the app can start, watch and
 * stop. It owns the libp2p node and runs a small maintenance loop:
 *
 * 1. keep a connection and a reservation on every configured bootstrap relay
 *    (re-dial with backoff), and fetch STUN/TURN servers from it (ice.ts);
 * 2. learn peers by peer exchange from bootstrap relays and direct neighbours,
 *    and from neighbours also who *their* neighbours are (adjacency.ts);
 * 3. keep up to `maxDirectPeers` direct WebRTC connections, dialing one or two
 *    candidates at a time (staggered), signalled through a neighbour when one
 *    knows the candidate (dialer.ts), with per-peer backoff after failures;
 *    above the limit it closes the newest, but never a link that carries
 *    circuits ({@link Network.keepConnectionsWhere});
 * 4. hold a reservation on each neighbour, so its other neighbours can signal
 *    to this tab through it (relay-control.ts);
 * 5. ping everything it is connected to: the RTT shown in the Network panel,
 *    the connection's path (direct or through TURN, connection-path.ts), and
 *    whether the tab is online at all (liveness.ts). When answers come back
 *    after an outage, or the browser says it is online again, or the page
 *    becomes visible, it rejoins at once instead of waiting out backoffs.
 *
 * It publishes an immutable {@link NetworkSnapshot} to subscribers. Nothing here
 * logs peer ids or addresses.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, PrivateKey } from '@libp2p/interface'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { multiaddr } from '@multiformats/multiaddr'
import { Adjacency } from './adjacency.ts'
import { Backoff } from './backoff.ts'
import { fetchRelayAddrs, newBootstrapEntry, type BootstrapEntry, type BootstrapStatus } from './bootstraps.ts'
import { connectionKind, type ConnectionKind } from './connection-kind.ts'
import { connectionPath, type ConnectionPath } from './connection-path.ts'
import { probeCandidateKinds } from './connectivity-probe.ts'
import {
  BACKOFF_BASE_MS, BACKOFF_MAX_MS, DEFAULT_MAX_DIRECT_PEERS, DIAL_STAGGER_MS, DISCOVERY_INTERVAL_MS, ISOLATED_AFTER_FAILED_DIALS,
  ISOLATED_AFTER_MS, LIVENESS_PING_TIMEOUT_MS, MAINTENANCE_INTERVAL_MS, MAX_CANDIDATES, MAX_CONCURRENT_PEER_DIALS, NEIGHBOUR_ONLY_DIALS_FROM,
  NEIGHBOUR_PX_DELAY_MS, NEIGHBOUR_PX_INTERVAL_MS, BOOTSTRAP_DIAL_FALLBACK_MS, SIGNALLING_LINGER_MS,
  PEER_BACKOFF_MAX_MS, PING_INTERVAL_MS
} from './constants.ts'
import { Dialer, type DialPurpose, type DialRecord } from './dialer.ts'
import { askPeerExchange, servePeerExchange } from './discovery.ts'
import { IceServerProvider, type IceSnapshot } from './ice.ts'
import { Liveness } from './liveness.ts'
import { createTabNode, type TabNode } from './node.ts'
import { pingConnection } from './ping.ts'
import { HOP_PROTOCOL } from './relay-control.ts'

export type { BootstrapState, BootstrapStatus } from './bootstraps.ts'
export { bootstrapLabel } from './bootstraps.ts'

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

interface PingState { rttMs: number | null, pings: number, failed: boolean, lastAt: number, path: ConnectionPath | null }

export class NetworkUnavailableError extends Error {
  readonly kind = 'network-unavailable' as const
  constructor (message: string) {
    super(message)
    this.name = 'NetworkUnavailableError'
  }
}

export function shortPeerId (id: string): string {
  return id.length > 10 ? `…${id.slice(-8)}` : id
}

/**
 * A connection this young is never closed as surplus: a predecessor that
 * connected to extend a circuit through us sends its CREATE right after, and
 * until then the link carries no circuit.
 */
export const SURPLUS_GRACE_MS = 5_000

/**
 * Which direct connections to close to get `excess` fewer neighbours: the
 * newest first, but never one younger than {@link SURPLUS_GRACE_MS} or to a
 * peer that carries circuits (closing it would destroy them). Fewer than
 * `excess` when too many are young or carry circuits.
 */
export function surplusConnections<T extends { peer: string, openedAt: number }> (conns: readonly T[], excess: number, carriesCircuits: (peer: string) => boolean, now: number): T[] {
  if (excess <= 0) return []
  return conns
    .filter(c => now - c.openedAt >= SURPLUS_GRACE_MS && !carriesCircuits(c.peer))
    .sort((a, b) => b.openedAt - a.openedAt)
    .slice(0, excess)
}

export class Network {
  private node: TabNode | null = null
  /** Per-tab Ed25519 transport key: libp2p peer id and relay-descriptor signing key. Memory only. */
  private transportKey: PrivateKey | null = null
  private readonly maxDirect: number
  private bootstraps: BootstrapEntry[]
  private readonly bootstrapBackoff = new Backoff(BACKOFF_BASE_MS, BACKOFF_MAX_MS)
  private readonly peerBackoff = new Backoff(BACKOFF_BASE_MS * 2, PEER_BACKOFF_MAX_MS)
  private readonly reservationBackoff = new Backoff(BACKOFF_BASE_MS * 2, PEER_BACKOFF_MAX_MS)
  private readonly candidates = new Set<string>()
  /** Peers never dialed and disconnected when they dial us (see OnionService.avoidPeer). */
  private readonly avoided = new Set<string>()
  private readonly dialing = new Set<string>()
  /** Peers whose connection must not be closed as surplus (they carry circuits); set by the onion layer. */
  private carriesCircuits: (peerId: string) => boolean = () => false
  private readonly pingState = new Map<string, PingState>()
  private readonly listeners = new Set<() => void>()
  private readonly rejoinListeners = new Set<() => void>()
  readonly ice = new IceServerProvider()
  private readonly adjacency = new Adjacency()
  private dialer: Dialer | null = null
  private readonly liveness = new Liveness(() => performance.now())
  private candidateKinds: string[] | null = null
  private probing = false
  private snapshot: NetworkSnapshot
  private timer: ReturnType<typeof setInterval> | null = null
  private startedAt = 0
  private firstDirectPeerMs: number | null = null
  private lastDiscovery = 0
  private lastDialStart = 0
  private everReachedBootstrap = false
  private bootstrapAttempted = false
  private neighbourRound = 0
  private lastNeighbourAsk = 0
  /** Since when the tab has been on the network with nobody direct (for the isolated state). */
  private aloneSince: number | null = null
  private failedDialsWhileAlone = 0
  /** Since when the peer manager has had neighbours but no candidate any of them can signal to. */
  private noNeighbourRouteSince: number | null = null
  private readonly detach: Array<() => void> = []

  constructor (private readonly config: NetworkConfig) {
    this.maxDirect = config.maxDirectPeers ?? DEFAULT_MAX_DIRECT_PEERS
    this.bootstraps = config.bootstraps.map(newBootstrapEntry)
    this.ice.setRelayOnly(config.relayOnly === true)
    this.ice.subscribe(() => { this.publish() })
    this.snapshot = this.buildSnapshot('starting')
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  getSnapshot = (): NetworkSnapshot => this.snapshot

  /**
   * Called when the tab comes back after an outage (answers again, the
   * browser went online, the page became visible): layers above forget
   * failures that were the outage's, not their peers' (the onion layer's
   * "unreachable" marks), and retry now.
   */
  onRejoin (listener: () => void): () => void {
    this.rejoinListeners.add(listener)
    return () => { this.rejoinListeners.delete(listener) }
  }

  async start (): Promise<void> {
    if (this.node != null) return
    this.startedAt = performance.now()
    this.transportKey = await generateKeyPair('Ed25519')
    const node = await createTabNode({
      privateKey: this.transportKey,
      rtcConfiguration: this.ice.rtcConfiguration,
      isNeighbour: (peer) => this.directConnection(peer) != null,
      allowLocalAddresses: this.config.allowLocalAddresses
    })
    this.node = node
    this.dialer = new Dialer({
      node,
      adjacency: this.adjacency,
      isDirect: this.isDirect,
      // A peer known only from its relay descriptor: try it through our own bootstrap relays.
      fallbackAddresses: (peer) => this.bootstraps
        .filter(b => b.state === 'connected' && b.addrs[0] != null)
        .map(b => `${b.addrs[0]!.toString()}/p2p-circuit/webrtc/p2p/${peer}`)
    })
    await servePeerExchange(node, conn => this.kindOf(conn) === 'direct-webrtc', peer => node.services.relay.reservations.has(peerIdFromString(peer)))
    node.addEventListener('connection:open', (evt) => {
      const conn = evt.detail
      if (this.avoided.has(conn.remotePeer.toString())) void conn.close().catch(() => {})
      // A new neighbour: learn at once whom it can signal to (its neighbours),
      // and close the relayed connection its signalling used.
      else {
        setTimeout(() => { if (this.kindOf(conn) === 'direct-webrtc' && conn.status === 'open') void this.askNeighbour(node, conn) }, NEIGHBOUR_PX_DELAY_MS)
        if (this.kindOf(conn) === 'direct-webrtc') setTimeout(() => { this.closeSignallingConnections(node, conn.remotePeer.toString()) }, SIGNALLING_LINGER_MS)
      }
      this.publish()
    })
    node.addEventListener('connection:close', (evt) => {
      const id = evt.detail.remotePeer.toString()
      if (this.directConnection(id) == null) {
        this.pingState.delete(id)
        this.adjacency.forgetNeighbour(id)
        node.services.relayControl.neighbourGone(id)
        // The hop's reservation for this neighbour is useless now; free its slot.
        node.services.relay.reservations.delete(evt.detail.remotePeer)
      }
      this.publish()
    })
    node.addEventListener('self:peer:update', () => { this.publish() })
    await node.start()
    this.watchBrowser()
    this.startedPromise.resolve(node)
    this.timer = setInterval(() => { void this.maintain() }, MAINTENANCE_INTERVAL_MS)
    void this.maintain()
    this.publish()
  }

  async stop (): Promise<void> {
    if (this.timer != null) clearInterval(this.timer)
    this.timer = null
    for (const d of this.detach.splice(0)) d()
    const node = this.node
    this.node = null
    await node?.stop()
    this.snapshot = this.buildSnapshot('stopped')
    this.emit()
  }

  /** "Try again" from the UI: forget the backoffs and dial every bootstrap now. */
  retryNow (): void {
    this.rejoin()
  }

  /**
   * Use these bootstrap relays from now on (Settings changed): new ones are
   * dialed at once, removed ones disconnected. Direct peers stay.
   */
  setBootstraps (list: readonly string[]): void {
    const next = [...new Set(list)]
    const keep = this.bootstraps.filter(b => next.includes(b.configured))
    const removed = this.bootstraps.filter(b => !next.includes(b.configured))
    this.bootstraps = [...keep, ...next.filter(c => !keep.some(b => b.configured === c)).map(newBootstrapEntry)]
    for (const b of removed) {
      if (b.peerId == null) continue
      this.ice.forget(b.peerId)
      void this.disconnectPeer(b.peerId).catch(() => {})
    }
    this.bootstrapAttempted = false
    this.publish()
    void this.maintain()
  }

  /**
   * "Hide my IP address from other tabs": every WebRTC connection through
   * TURN from now on. Connections made before are closed, so none keeps a
   * direct path; the peer manager and the onion layer open new ones.
   */
  setRelayOnly (on: boolean): void {
    if (this.ice.isRelayOnly === on) return
    this.ice.setRelayOnly(on)
    this.candidateKinds = null
    const node = this.node
    if (node != null && on) {
      for (const c of node.getConnections()) {
        if (this.kindOf(c) === 'direct-webrtc') void c.close().catch(() => { c.abort(new Error('hide my IP')) })
      }
    }
    void this.probe()
    this.publish()
  }

  /** Ping one peer now over its direct WebRTC connection. */
  async pingPeer (id: string): Promise<number> {
    const conn = this.directConnection(id)
    if (conn == null) throw new NetworkUnavailableError('no direct connection to that peer')
    return await this.pingOver(id, conn)
  }

  /**
   * Drop every connection to one peer (the Network panel's "Disconnect").
   * The peer manager dials a replacement as usual, possibly the same peer.
   */
  async disconnectPeer (id: string): Promise<void> {
    const node = this.node
    if (node == null) return
    await Promise.all(node.getConnections(peerIdFromString(id)).map(async c => { await c.close().catch(() => { c.abort(new Error('disconnect')) }) }))
    this.publish()
  }

  /** Sign with this tab's transport key (relay descriptors). Never the user's identity key. */
  async signWithTransportKey (data: Uint8Array): Promise<Uint8Array> {
    if (this.transportKey == null) throw new NetworkUnavailableError('network not started')
    return await this.transportKey.sign(data)
  }

  /** The transport public key, raw 32 bytes (Ed25519). */
  get transportPublicKey (): Uint8Array | null {
    return this.transportKey?.publicKey.raw ?? null
  }

  /** True when a direct WebRTC connection to `peerId` is open. */
  isDirectPeer = (peerId: string): boolean => this.directConnection(peerId) != null

  /** True for a direct (non-relayed) WebRTC connection: the only kind onion protocols run on. */
  isDirect = (conn: Connection): boolean => this.kindOf(conn) === 'direct-webrtc'

  /**
   * A direct WebRTC connection to `peer`, opened if needed (signalled through
   * a neighbour when one knows `peer`). `purpose: 'circuit'` adds the random
   * delay a circuit's dials get (dialer.ts).
   */
  async connect (peer: string, purpose: DialPurpose, signal?: AbortSignal): Promise<Connection> {
    if (this.dialer == null) throw new NetworkUnavailableError('network not started')
    if (peer === this.node?.peerId.toString()) throw new NetworkUnavailableError('cannot connect to self')
    return await this.dialer.dial(peer, purpose, signal)
  }

  /** Successful outbound dials with their signalling route (bench). */
  dialRecords (): readonly DialRecord[] {
    return this.dialer?.dialRecords() ?? []
  }

  /** Resolves once the libp2p node is running. */
  get started (): Promise<TabNode> {
    return this.startedPromise.promise
  }

  private readonly startedPromise = (() => {
    let resolve!: (node: TabNode) => void
    const promise = new Promise<TabNode>(r => { resolve = r })
    return { promise, resolve }
  })()

  /** The libp2p node, for the layers built on it (channels, circuits). */
  get libp2p (): TabNode | null {
    return this.node
  }

  /** Gather candidates with the current ICE configuration, for the connectivity line. */
  async probe (): Promise<void> {
    if (this.probing || typeof RTCPeerConnection === 'undefined') return
    this.probing = true
    try {
      const result = await probeCandidateKinds(this.ice.rtcConfiguration())
      this.candidateKinds = [...result.kinds].sort()
    } catch {
      this.candidateKinds = []
    } finally {
      this.probing = false
      this.publish()
    }
  }

  // ---- maintenance -------------------------------------------------------

  private maintaining = false

  private async maintain (): Promise<void> {
    const node = this.node
    if (node == null || this.maintaining) return
    this.maintaining = true
    try {
      this.ice.prune()
      await this.maintainBootstraps(node)
      this.maintainIce(node)
      this.maintainNeighbourReservations(node)
      for (const id of this.directPeerIds(node)) this.closeSignallingConnections(node, id)
      if (!this.liveness.isOffline) {
        this.maintainPeers(node)
        if (this.shouldDiscover()) void this.discover(node)
        else if (performance.now() - this.lastNeighbourAsk >= NEIGHBOUR_PX_INTERVAL_MS) this.askNextNeighbour(node)
      }
      this.maintainPings(node)
      if (this.liveness.check(node.getConnections().length > 0)) this.publish()
    } finally {
      this.maintaining = false
      this.publish()
    }
  }

  private async maintainBootstraps (node: TabNode): Promise<void> {
    const now = performance.now()
    const attempts: Array<Promise<void>> = []
    for (const b of this.bootstraps) {
      const conn = b.peerId != null ? node.getConnections(peerIdFromString(b.peerId))[0] : undefined
      if (conn != null) {
        b.state = 'connected'
        this.everReachedBootstrap = true
        // Reconnected by someone else (libp2p's keep-alive redial), or the reservation lapsed: reserve again.
        if (!node.services.relayControl.hasReservation(conn.remotePeer) && this.reservationBackoff.ready(b.configured, now)) {
          void this.reserveOnBootstrap(node, b)
        }
        continue
      }
      if (b.state === 'connected') b.state = 'unreachable'
      if (!this.bootstrapBackoff.ready(b.configured, now)) continue
      attempts.push(this.dialBootstrap(node, b))
    }
    if (attempts.length > 0) {
      await Promise.all(attempts)
      this.bootstrapAttempted = true
    }
  }

  private async dialBootstrap (node: TabNode, b: BootstrapEntry): Promise<void> {
    if (b.state !== 'unreachable') b.state = 'connecting'
    try {
      if (/^https?:\/\//.test(b.configured)) b.addrs = await fetchRelayAddrs(b.configured)
      else if (b.addrs.length === 0) b.addrs = [multiaddr(b.configured)]
      const peer = b.addrs[0]?.getComponents().findLast(c => c.name === 'p2p')?.value
      if (peer == null) throw new NetworkUnavailableError('bootstrap address has no peer id')
      b.peerId = peer
      await node.dial(b.addrs, { signal: AbortSignal.timeout(10_000) })
      b.state = 'connected'
      this.everReachedBootstrap = true
      this.bootstrapBackoff.success(b.configured)
      if (this.liveness.answered()) this.rejoin()
      void this.reserveOnBootstrap(node, b)
      void this.fetchIce(node, b)
      this.lastDiscovery = 0 // ask the relay who is there right away
      void this.discover(node).catch(() => {})
    } catch {
      b.state = 'unreachable'
      this.bootstrapBackoff.failure(b.configured, performance.now())
    }
  }

  private async reserveOnBootstrap (node: TabNode, b: BootstrapEntry): Promise<void> {
    const addr = b.addrs[0]
    if (addr == null || b.peerId == null) return
    try {
      await node.services.relayControl.reserveOnBootstrap(addr, b.peerId)
      this.reservationBackoff.success(b.configured)
    } catch {
      this.reservationBackoff.failure(b.configured, performance.now())
    }
    this.publish()
  }

  /** Ask each connected bootstrap relay for STUN/TURN when due (first time, then at half the credentials' life). */
  private maintainIce (node: TabNode): void {
    for (const b of this.bootstraps) {
      if (b.state !== 'connected' || b.peerId == null || !this.ice.due(b.peerId)) continue
      void this.fetchIce(node, b)
    }
  }

  private async fetchIce (node: TabNode, b: BootstrapEntry): Promise<void> {
    if (b.peerId == null || !this.ice.due(b.peerId)) return
    const conn = node.getConnections(peerIdFromString(b.peerId))[0]
    if (conn == null) return
    const hadAny = this.ice.snapshot().relaysWithIce > 0
    try {
      await this.ice.fetchFrom(b.peerId, conn)
      if (!hadAny || this.candidateKinds == null) void this.probe()
    } catch {
      if (this.candidateKinds == null) void this.probe()
    }
  }

  /** Reserve on every direct neighbour that has none of ours yet (it then signals for its other neighbours to us). */
  private maintainNeighbourReservations (node: TabNode): void {
    const now = performance.now()
    for (const conn of node.getConnections()) {
      if (this.kindOf(conn) !== 'direct-webrtc') continue
      const id = conn.remotePeer.toString()
      if (node.services.relayControl.hasReservation(conn.remotePeer) || !this.reservationBackoff.ready(id, now)) continue
      this.reservationBackoff.failure(id, now) // until it succeeds, no second attempt in flight
      void this.reserveOnNeighbour(node, conn)
    }
  }

  /**
   * Only once identify has shown the neighbour runs the hop: libp2p's
   * reservation store never again tries a relay that once failed with
   * "unsupported protocol".
   */
  private async reserveOnNeighbour (node: TabNode, conn: Connection): Promise<void> {
    const id = conn.remotePeer.toString()
    const peer = await node.peerStore.get(conn.remotePeer).catch(() => undefined)
    if (peer?.protocols.includes(HOP_PROTOCOL) !== true || conn.status !== 'open') return
    try {
      await node.services.relayControl.reserveOnNeighbour(conn.remotePeer)
      this.reservationBackoff.success(id)
    } catch {
      // Backoff already set: try again later.
    }
  }

  private maintainPeers (node: TabNode): void {
    const direct = this.directPeerIds(node)
    if (direct.size > this.maxDirect) {
      // Too many (others dialed us, or circuits needed new hops): close the
      // newest surplus connections that carry no circuit.
      const conns = node.getConnections().filter(c => this.kindOf(c) === 'direct-webrtc')
      const surplus = surplusConnections(
        conns.map(c => ({ peer: c.remotePeer.toString(), openedAt: c.timeline.open, conn: c })),
        direct.size - this.maxDirect, this.carriesCircuits, Date.now())
      for (const { conn } of surplus) void conn.close().catch(() => {})
      return
    }
    const now = performance.now()
    if (direct.size + this.dialing.size >= this.maxDirect) return
    if (this.dialing.size >= MAX_CONCURRENT_PEER_DIALS || now - this.lastDialStart < DIAL_STAGGER_MS) return
    const self = node.peerId.toString()
    const bootstrapIds = this.bootstrapPeerIds()
    const choices = [...this.candidates].filter(id =>
      id !== self && !bootstrapIds.has(id) && !direct.has(id) && !this.avoided.has(id) && !this.dialing.has(id) && this.peerBackoff.ready(id, now))
    // Once the tab has a few neighbours, it grows only through them: a
    // neighbour signals the new connection, and the bootstrap relay never
    // sees it (dialer.ts). With fewer, any candidate will do.
    const viaNeighbour = choices.filter(id => this.adjacency.routesTo(id, p => direct.has(p)).length > 0)
    if (viaNeighbour.length > 0 || direct.size === 0) this.noNeighbourRouteSince = null
    else this.noNeighbourRouteSince ??= now
    // Through a bootstrap relay only with no neighbour at all, or too few for a while with none that can help.
    const stuck = direct.size < NEIGHBOUR_ONLY_DIALS_FROM && this.noNeighbourRouteSince != null && now - this.noNeighbourRouteSince >= BOOTSTRAP_DIAL_FALLBACK_MS
    const pool = viaNeighbour.length > 0 ? viaNeighbour : (direct.size === 0 || stuck ? choices : [])
    if (pool.length === 0) return
    const id = pool[Math.floor(Math.random() * pool.length)]!
    this.lastDialStart = now
    void this.dialPeer(id)
  }

  /**
   * Tell the peer manager which neighbours carry circuits: their connections
   * are never closed to get back under `maxDirectPeers` (a circuit's next hop
   * may be a tab that is not one of our mesh neighbours, tor-spec §5.1.2
   * EXTEND), so the limit is soft while circuits need them.
   */
  keepConnectionsWhere (carriesCircuits: (peerId: string) => boolean): void {
    this.carriesCircuits = carriesCircuits
  }

  /** Never be a direct neighbour of `id`: close what there is and refuse it from now on. */
  avoidPeer (id: string): void {
    this.avoided.add(id)
    void this.disconnectPeer(id).catch(() => {})
  }

  private async dialPeer (id: string): Promise<void> {
    this.dialing.add(id)
    try {
      await this.connect(id, 'mesh')
      this.peerBackoff.success(id)
      this.failedDialsWhileAlone = 0
    } catch {
      const failures = this.peerBackoff.failures(id)
      this.peerBackoff.failure(id, performance.now())
      this.failedDialsWhileAlone++
      // A peer that keeps failing has probably left; forget it until someone mentions it again.
      if (failures >= 4) this.candidates.delete(id)
    } finally {
      this.dialing.delete(id)
      this.publish()
    }
  }

  private shouldDiscover (): boolean {
    const now = performance.now()
    const below = this.snapshot.directPeers < this.maxDirect
    const interval = below ? DISCOVERY_INTERVAL_MS : DISCOVERY_INTERVAL_MS * 6
    return now - this.lastDiscovery >= interval
  }

  private async discover (node: TabNode): Promise<void> {
    this.lastDiscovery = performance.now()
    // Ask every connected bootstrap relay and one direct neighbour (rotating).
    const asks: Array<Promise<unknown>> = []
    const learned: string[] = []
    for (const b of this.bootstraps) {
      if (b.peerId == null) continue
      const conn = node.getConnections(peerIdFromString(b.peerId))[0]
      const relayAddr = b.addrs[0]
      if (conn != null && relayAddr != null) asks.push(askPeerExchange(node, conn, relayAddr).then(ids => { learned.push(...ids.map(p => p.toString())) }))
    }
    const neighbour = this.nextNeighbour(node)
    if (neighbour != null) asks.push(this.askNeighbour(node, neighbour, false))
    await Promise.allSettled(asks)
    this.addCandidates(learned)
  }

  /**
   * A relayed connection only carried the WebRTC signalling: once the direct
   * connection is up it has no use, and left open (up to its 2-minute limit)
   * it ties up a slot on the relay, tells the relay for longer that the two
   * tabs are connected, and can even be picked instead of the direct one by
   * libp2p code that takes a peer's first connection (the circuit-relay
   * transport does, for the neighbour it signals through).
   */
  private closeSignallingConnections (node: TabNode, peer: string): void {
    if (this.directConnection(peer) == null) return
    for (const c of node.getConnections(peerIdFromString(peer))) {
      if (c.limits != null) void c.close().catch(() => { c.abort(new Error('signalling done')) })
    }
  }

  /** The next direct neighbour to ask, in turn. */
  private nextNeighbour (node: TabNode): Connection | undefined {
    const neighbours = [...node.getConnections()].filter(c => this.kindOf(c) === 'direct-webrtc')
    this.lastNeighbourAsk = performance.now()
    return neighbours[this.neighbourRound++ % Math.max(1, neighbours.length)]
  }

  /**
   * Between discovery rounds (rarer once the tab has its neighbours), keep
   * asking neighbours in turn: who is reachable through whom changes with
   * every tab that comes or goes, and a stale answer costs a failed
   * signalling attempt.
   */
  private askNextNeighbour (node: TabNode): void {
    const neighbour = this.nextNeighbour(node)
    if (neighbour != null) void this.askNeighbour(node, neighbour, false)
  }

  /** Peer exchange with one neighbour: its direct neighbours are candidates, each reachable for signalling through it. */
  private async askNeighbour (node: TabNode, neighbour: Connection, dialNow = true): Promise<void> {
    const via = neighbour.remotePeer.toString()
    try {
      const list = (await askPeerExchange(node, neighbour, null)).map(p => p.toString())
      this.adjacency.record(via, list)
      if (dialNow) this.addCandidates(list)
      else for (const id of list) if (this.candidates.size < MAX_CANDIDATES) this.candidates.add(id)
    } catch {
      // An unhelpful neighbour: nothing learned from it this time.
    }
  }

  private addCandidates (ids: readonly string[]): void {
    const before = this.candidates.size
    for (const id of ids) {
      if (this.candidates.size >= MAX_CANDIDATES) break
      this.candidates.add(id)
    }
    // New candidates: dial now rather than at the next tick.
    if (this.candidates.size > before) void this.maintain()
  }

  private maintainPings (node: TabNode): void {
    const now = performance.now()
    const bootstrapIds = this.bootstrapPeerIds()
    // Bootstrap relays are pinged only by a tab with no neighbour to tell it
    // whether it is online: a thousand tabs pinging a relay every few seconds
    // would be most of its work.
    const hasNeighbours = this.directPeerIds(node).size > 0
    for (const conn of node.getConnections()) {
      const kind = this.kindOf(conn)
      if (kind !== 'direct-webrtc' && (kind !== 'bootstrap' || hasNeighbours)) continue
      const id = conn.remotePeer.toString()
      const state = this.pingState.get(id)
      if (state != null && now - state.lastAt < PING_INTERVAL_MS) continue
      if (bootstrapIds.has(id) && node.getConnections(conn.remotePeer)[0] !== conn) continue
      void this.pingOver(id, conn, LIVENESS_PING_TIMEOUT_MS).catch(() => {})
    }
  }

  private async pingOver (id: string, conn: Connection, timeoutMs?: number): Promise<number> {
    const state = this.pingState.get(id) ?? { rttMs: null, pings: 0, failed: false, lastAt: 0, path: null }
    state.lastAt = performance.now()
    this.pingState.set(id, state)
    this.liveness.tried()
    try {
      const rtt = await pingConnection(conn, timeoutMs)
      state.rttMs = rtt
      state.pings++
      state.failed = false
      if (this.liveness.answered()) this.rejoin()
      if (this.kindOf(conn) === 'direct-webrtc') state.path = await connectionPath(conn)
      return rtt
    } catch (err) {
      state.failed = true
      throw err
    } finally {
      this.publish()
    }
  }

  /** Back from an outage (or asked to retry): forget backoffs, look for peers and relays now, tell the layers above. */
  private rejoin (): void {
    for (const b of this.bootstraps) this.bootstrapBackoff.success(b.configured)
    for (const id of this.candidates) this.peerBackoff.success(id)
    this.bootstrapAttempted = false
    this.lastDiscovery = 0
    this.failedDialsWhileAlone = 0
    this.aloneSince = null
    for (const l of this.rejoinListeners) l()
    void this.maintain()
  }

  /** The browser's own hints: back online, or the page shown again (a phone bringing the app back). */
  private watchBrowser (): void {
    if (typeof window === 'undefined') return
    const online = (): void => { this.rejoin() }
    const offline = (): void => { if (this.liveness.markOffline()) this.publish() }
    const visible = (): void => { if (document.visibilityState === 'visible') { this.pingState.forEach(s => { s.lastAt = 0 }); void this.maintain() } }
    window.addEventListener('online', online)
    window.addEventListener('offline', offline)
    document.addEventListener('visibilitychange', visible)
    this.detach.push(() => {
      window.removeEventListener('online', online)
      window.removeEventListener('offline', offline)
      document.removeEventListener('visibilitychange', visible)
    })
  }

  // ---- state -------------------------------------------------------------

  private bootstrapPeerIds (): Set<string> {
    return new Set(this.bootstraps.map(b => b.peerId).filter((id): id is string => id != null))
  }

  private kindOf (conn: Connection): ConnectionKind {
    return connectionKind(conn, this.bootstrapPeerIds(), conn.remotePeer.toString())
  }

  private directPeerIds (node: TabNode): Set<string> {
    return new Set(node.getConnections().filter(c => this.kindOf(c) === 'direct-webrtc').map(c => c.remotePeer.toString()))
  }

  private directConnection (id: string): Connection | undefined {
    return this.node?.getConnections(peerIdFromString(id)).find(c => this.kindOf(c) === 'direct-webrtc')
  }

  private phase (connected: number, direct: number): NetworkPhase {
    const now = performance.now()
    if (this.liveness.isOffline) return 'offline'
    if (connected === 0 && direct === 0) {
      if (!this.bootstrapAttempted) return this.everReachedBootstrap ? 'offline' : 'connecting'
      return this.everReachedBootstrap ? 'offline' : 'unreachable'
    }
    if (direct > 0) {
      this.aloneSince = null
      return 'online'
    }
    this.aloneSince ??= now
    const othersKnown = [...this.candidates].some(id => !this.bootstrapPeerIds().has(id))
    if (othersKnown && now - this.aloneSince >= ISOLATED_AFTER_MS && this.failedDialsWhileAlone >= ISOLATED_AFTER_FAILED_DIALS) return 'isolated'
    return 'online'
  }

  private publish (): void {
    const node = this.node
    if (node == null) return
    const connected = this.bootstraps.filter(b => b.state === 'connected').length
    const direct = this.directPeerIds(node).size
    if (this.firstDirectPeerMs == null && direct > 0) this.firstDirectPeerMs = performance.now() - this.startedAt
    const next = this.buildSnapshot(this.phase(connected, direct))
    if (JSON.stringify(next) === JSON.stringify(this.snapshot)) return
    this.snapshot = next
    this.emit()
  }

  private buildSnapshot (phase: NetworkPhase): NetworkSnapshot {
    const node = this.node
    const peers = new Map<string, PeerStatus>()
    if (node != null) {
      const boot = this.bootstrapPeerIds()
      for (const conn of node.getConnections()) {
        const id = conn.remotePeer.toString()
        const kind = connectionKind(conn, boot, id)
        if (kind === 'bootstrap') continue
        const existing = peers.get(id)
        // A peer reached both ways is shown by its best connection.
        if (existing != null && existing.kind === 'direct-webrtc') continue
        const ping = kind === 'direct-webrtc' ? this.pingState.get(id) : undefined
        peers.set(id, {
          id, shortId: shortPeerId(id), kind, rttMs: ping?.rttMs ?? null, pings: ping?.pings ?? 0, pingFailed: ping?.failed ?? false,
          openedAt: conn.timeline.open, path: ping?.path ?? null
        })
      }
    }
    const list = [...peers.values()].sort((a, b) => a.id.localeCompare(b.id))
    const direct = list.filter(p => p.kind === 'direct-webrtc')
    const selfAddrs = node?.getMultiaddrs() ?? []
    const records = this.dialer?.dialRecords() ?? []
    return {
      phase,
      bootstraps: this.bootstraps.map(b => ({ label: b.label, state: b.state })),
      connectedBootstraps: this.bootstraps.filter(b => b.state === 'connected').length,
      reservations: selfAddrs.filter(ma => ma.toString().endsWith(`/p2p-circuit/p2p/${node?.peerId.toString() ?? ''}`)).length,
      peers: list,
      directPeers: direct.length,
      firstDirectPeerMs: this.firstDirectPeerMs,
      selfShortId: node != null ? shortPeerId(node.peerId.toString()) : null,
      knownPeers: this.candidates.size,
      connectivity: {
        ice: this.ice.snapshot(),
        candidateKinds: this.candidateKinds,
        directConnections: direct.filter(p => p.path != null && !p.path.relayed).length,
        turnConnections: direct.filter(p => p.path?.relayed === true).length
      },
      signalledVia: {
        neighbour: records.filter(r => r.route === 'neighbour').length,
        bootstrap: records.filter(r => r.route === 'bootstrap').length
      }
    }
  }

  private emit (): void {
    for (const l of this.listeners) l()
  }
}

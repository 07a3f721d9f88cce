/**
 * The tab's place in the network, as one object the app can start, watch and
 * stop. It owns the libp2p node and wires the parts that keep it connected,
 * each in its own module:
 *
 * - bootstrap-links.ts: a connection, a reservation and STUN/TURN from every
 *   configured bootstrap relay;
 * - peer-manager.ts: the mesh of direct WebRTC neighbours, peer exchange,
 *   who can signal to whom, reservations on neighbours;
 * - dialer.ts: opening a connection, signalled through a neighbour when one
 *   can (for the mesh and for circuits);
 * - pings.ts / liveness.ts: round trips, each connection's path, and whether
 *   the tab is online at all;
 * - ice.ts: the ICE configuration of each new connection ("hide my IP").
 *
 * When answers come back after an outage, or the browser says it is online
 * again, or the page becomes visible, it rejoins at once instead of waiting
 * out backoffs, and tells the layers above ({@link Network.onRejoin}).
 *
 * It publishes an immutable {@link NetworkSnapshot} (snapshot.ts) to
 * subscribers. Nothing here logs peer ids or addresses. (A little over 400
 * lines: most of it is the documented API the app and the onion layer use.)
 */
import { shortPeerId } from './peer-ids.ts'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, PrivateKey } from '@libp2p/interface'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { BootstrapLinks } from './bootstrap-links.ts'
import { connectionKind, type ConnectionKind } from './connection-kind.ts'
import { probeCandidateKinds } from './connectivity-probe.ts'
import { DEFAULT_MAX_DIRECT_PEERS, ISOLATED_AFTER_FAILED_DIALS, ISOLATED_AFTER_MS, MAINTENANCE_INTERVAL_MS } from './constants.ts'
import { Dialer, type DialFailure, type DialPurpose, type DialRecord } from './dialer.ts'
import { servePeerExchange } from './discovery.ts'
import { IceServerProvider } from './ice.ts'
import { RelayWorkAnnouncements } from './relay-work-params.ts'
import type { NetView } from './net-view.ts'
import { createTabNode, type TabNode } from './node.ts'
import { PeerManager } from './peer-manager.ts'
import { countsAsNeighbour, PingMonitor } from './pings.ts'
import { browserTimers, type NetTimers } from './timing.ts'

import type { NetworkConfig, NetworkPhase, NetworkSnapshot, PeerStatus } from './snapshot.ts'

export type { BootstrapState, BootstrapStatus } from './bootstraps.ts'
export { bootstrapLabel } from './bootstraps.ts'
export { SURPLUS_GRACE_MS, finishedSignalling, surplusConnections } from './peer-manager.ts'
export type { ConnectivitySnapshot, NetworkConfig, NetworkPhase, NetworkSnapshot, PeerStatus } from './snapshot.ts'

export class NetworkUnavailableError extends Error {
  readonly kind = 'network-unavailable' as const
  constructor (message: string) {
    super(message)
    this.name = 'NetworkUnavailableError'
  }
}

export { shortPeerId }

export class Network {
  private node: TabNode | null = null
  private view: NetView | null = null
  /** Per-tab Ed25519 transport key: libp2p peer id and relay-descriptor signing key. Memory only. */
  private transportKey: PrivateKey | null = null
  readonly ice = new IceServerProvider()
  /** The relay-descriptor proof-of-work effort the bootstrap relays announce. */
  readonly relayWork = new RelayWorkAnnouncements()
  private readonly bootstraps: BootstrapLinks
  private readonly peers: PeerManager
  private readonly pings: PingMonitor
  private dialer: Dialer | null = null
  private readonly listeners = new Set<() => void>()
  private readonly rejoinListeners = new Set<() => void>()
  private candidateKinds: string[] | null = null
  private probing = false
  private snapshot: NetworkSnapshot
  private stopMaintenance: (() => void) | null = null
  private readonly timers: NetTimers
  private startedAt = 0
  private firstDirectPeerMs: number | null = null
  /** Since when the tab has been on the network with nobody direct (for the isolated state). */
  private aloneSince: number | null = null
  private maintaining = false
  private readonly detach: Array<() => void> = []

  constructor (private readonly config: NetworkConfig, timers: NetTimers = browserTimers) {
    this.timers = timers
    this.bootstraps = new BootstrapLinks(config.bootstraps, {
      timers,
      ice: this.ice,
      relayWork: this.relayWork,
      onJoined: (view) => {
        if (this.pings.liveness.answered()) this.rejoin()
        this.peers.discoverNow(view)
      },
      onIceFetched: (first) => { if (first || this.candidateKinds == null) void this.probe() },
      publish: () => { this.publish() }
    })
    this.peers = new PeerManager({
      maxDirect: config.maxDirectPeers ?? DEFAULT_MAX_DIRECT_PEERS,
      bootstraps: this.bootstraps,
      connect: async (peer) => await this.connect(peer, 'mesh'),
      kick: () => { void this.maintain() },
      publish: () => { this.publish() },
      timers
    })
    this.pings = new PingMonitor({ onBackOnline: () => { this.rejoin() }, publish: () => { this.publish() }, timers })
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
    this.startedAt = this.timers.now()
    this.transportKey = await generateKeyPair('Ed25519')
    const node = await createTabNode({
      privateKey: this.transportKey,
      rtcConfiguration: this.ice.rtcConfiguration,
      isNeighbour: (peer) => this.directConnectionTo(peer) != null,
      allowLocalAddresses: this.config.allowLocalAddresses
    })
    this.node = node
    const view: NetView = {
      node,
      kindOf: (conn) => this.kindOf(conn),
      directPeerIds: () => this.directPeerIds(),
      directConnection: (peer) => this.directConnectionTo(peer)
    }
    this.view = view
    this.dialer = new Dialer({
      node,
      adjacency: this.peers.adjacency,
      isDirect: this.isDirect,
      now: () => this.timers.now(),
      sleep: async (ms) => { await new Promise<void>(resolve => { this.timers.after(ms, resolve) }) },
      // A peer known only from its relay descriptor: try it through our own bootstrap relays.
      fallbackAddresses: (peer) => this.bootstraps.connected(view).map(({ addr }) => `${addr.toString()}/p2p-circuit/webrtc/p2p/${peer}`)
    })
    await servePeerExchange(node, conn => this.kindOf(conn) === 'direct-webrtc', peer => node.services.relay.reservations.has(peerIdFromString(peer)))
    node.addEventListener('connection:open', (evt) => {
      const conn = evt.detail
      if (this.peers.isAvoided(conn.remotePeer.toString())) void conn.close().catch(() => {})
      else this.peers.onConnectionOpen(view, conn)
      this.publish()
    })
    node.addEventListener('connection:close', (evt) => {
      const id = evt.detail.remotePeer.toString()
      if (this.directConnectionTo(id) == null) {
        this.pings.forget(id)
        this.peers.onNeighbourGone(view, id)
      }
      this.publish()
    })
    node.addEventListener('self:peer:update', () => { this.publish() })
    await node.start()
    this.watchBrowser()
    this.startedPromise.resolve(node)
    this.stopMaintenance = this.timers.every(MAINTENANCE_INTERVAL_MS, () => { void this.maintain() })
    void this.maintain()
    this.publish()
  }

  async stop (): Promise<void> {
    this.stopMaintenance?.()
    this.stopMaintenance = null
    for (const d of this.detach.splice(0)) d()
    const node = this.node
    this.node = null
    this.view = null
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
    for (const b of this.bootstraps.set(list)) {
      if (b.peerId != null) void this.disconnectPeer(b.peerId).catch(() => {})
    }
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
    const conn = this.directConnectionTo(id)
    if (conn == null || this.view == null) throw new NetworkUnavailableError('no direct connection to that peer')
    return await this.pings.ping(this.view, id, conn)
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

  /** Never be a direct neighbour of `id`: close what there is and refuse it from now on. */
  avoidPeer (id: string): void {
    this.peers.avoid(id)
    void this.disconnectPeer(id).catch(() => {})
  }

  /**
   * Tell the peer manager which neighbours carry circuits: their connections
   * are never closed to get back under `maxDirectPeers`, so the limit is soft
   * while circuits need them (peer-manager.ts).
   */
  keepConnectionsWhere (carriesCircuits: (peerId: string) => boolean): void {
    this.peers.keepConnectionsWhere(carriesCircuits)
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
  isDirectPeer = (peerId: string): boolean => this.directConnectionTo(peerId) != null

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

  /** Outbound dials that failed, with what each route said (diagnostics). */
  dialFailures (): readonly DialFailure[] {
    return this.dialer?.dialFailures() ?? []
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

  private async maintain (): Promise<void> {
    const view = this.view
    if (view == null || this.maintaining) return
    this.maintaining = true
    try {
      this.ice.prune()
      await this.bootstraps.maintain(view)
      this.peers.maintain(view, this.pings.liveness.isOffline)
      this.pings.maintain(view, this.bootstraps.peerIds())
      if (this.pings.liveness.check(view.node.getConnections().length > 0)) this.publish()
    } finally {
      this.maintaining = false
      this.publish()
    }
  }

  /** Back from an outage (or asked to retry): forget backoffs, look for peers and relays now, tell the layers above. */
  private rejoin (): void {
    this.bootstraps.forgetBackoffs()
    this.peers.forgetBackoffs()
    this.aloneSince = null
    for (const l of this.rejoinListeners) l()
    void this.maintain()
  }

  /** The browser's own hints: back online, or the page shown again (a phone bringing the app back). */
  private watchBrowser (): void {
    if (typeof window === 'undefined') return
    const online = (): void => { this.rejoin() }
    const offline = (): void => { if (this.pings.liveness.markOffline()) this.publish() }
    const visible = (): void => { if (document.visibilityState === 'visible') { this.pings.soon(); void this.maintain() } }
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

  private kindOf (conn: Connection): ConnectionKind {
    return connectionKind(conn, this.bootstraps.peerIds(), conn.remotePeer.toString())
  }

  private directPeerIds (): Set<string> {
    return new Set((this.node?.getConnections() ?? []).filter(c => this.kindOf(c) === 'direct-webrtc').map(c => c.remotePeer.toString()))
  }

  /** This tab's direct WebRTC connection to `id`, if any. */
  directConnectionTo (id: string): Connection | undefined {
    return this.node?.getConnections(peerIdFromString(id)).find(c => this.kindOf(c) === 'direct-webrtc')
  }

  private phase (connected: number, direct: number): NetworkPhase {
    const now = this.timers.now()
    if (this.pings.liveness.isOffline) return 'offline'
    if (connected === 0 && direct === 0) {
      if (!this.bootstraps.attempted) return this.bootstraps.everReached ? 'offline' : 'connecting'
      return this.bootstraps.everReached ? 'offline' : 'unreachable'
    }
    if (direct > 0) {
      this.aloneSince = null
      return 'online'
    }
    this.aloneSince ??= now
    if (this.peers.knownPeers() > 0 && now - this.aloneSince >= ISOLATED_AFTER_MS && this.peers.failedDials >= ISOLATED_AFTER_FAILED_DIALS) return 'isolated'
    return 'online'
  }

  private publish (): void {
    if (this.node == null) return
    const directIds = [...this.directPeerIds()]
    if (this.firstDirectPeerMs == null && directIds.length > 0) this.firstDirectPeerMs = this.timers.now() - this.startedAt
    // For the phase, only neighbours that have answered (countsAsNeighbour).
    const answering = directIds.filter(id => countsAsNeighbour(this.pings.status(id))).length
    const next = this.buildSnapshot(this.phase(this.bootstraps.connectedCount(), answering))
    // Phase changes only (no peer, no address): what a developer looks for first.
    if (next.phase !== this.snapshot.phase) console.debug(`shallot network: ${this.snapshot.phase} → ${next.phase}`)
    if (JSON.stringify(next) === JSON.stringify(this.snapshot)) return
    this.snapshot = next
    this.emit()
  }

  private buildSnapshot (phase: NetworkPhase): NetworkSnapshot {
    const node = this.node
    const peers = new Map<string, PeerStatus>()
    if (node != null) {
      const boot = this.bootstraps.peerIds()
      for (const conn of node.getConnections()) {
        const id = conn.remotePeer.toString()
        const kind = connectionKind(conn, boot, id)
        if (kind === 'bootstrap') continue
        const existing = peers.get(id)
        // A peer reached both ways is shown by its best connection.
        if (existing != null && existing.kind === 'direct-webrtc') continue
        const ping = kind === 'direct-webrtc' ? this.pings.status(id) : undefined
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
      bootstraps: this.bootstraps.statuses(),
      connectedBootstraps: this.bootstraps.connectedCount(),
      reservations: selfAddrs.filter(ma => ma.toString().endsWith(`/p2p-circuit/p2p/${node?.peerId.toString() ?? ''}`)).length,
      peers: list,
      directPeers: direct.length,
      firstDirectPeerMs: this.firstDirectPeerMs,
      selfShortId: node != null ? shortPeerId(node.peerId.toString()) : null,
      knownPeers: this.peers.knownPeers(),
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

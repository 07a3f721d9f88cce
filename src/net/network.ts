/**
 * The tab's place in the network, as one object the app can start, watch and
 * stop. It owns the libp2p node and runs a small maintenance loop:
 *
 * 1. keep a connection to every configured bootstrap relay (re-dial with
 *    backoff; the circuit-relay transport reserves a slot on each, so other
 *    tabs can reach us at `<relay>/p2p-circuit`);
 * 2. learn peers by peer exchange from bootstrap relays and direct neighbours;
 * 3. keep up to `maxDirectPeers` direct WebRTC connections, dialing one or two
 *    candidates at a time (staggered), with per-peer backoff after failures;
 *    above the limit it closes the newest, but never a link that carries
 *    circuits ({@link Network.keepConnectionsWhere}): a circuit's hop need
 *    not be a mesh neighbour, so the limit is soft while circuits need it;
 * 4. ping each direct neighbour over *that* connection for the RTT shown in
 *    the Network panel.
 *
 * It publishes an immutable {@link NetworkSnapshot} to subscribers. Nothing here
 * logs peer ids or addresses.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, PeerId, PrivateKey } from '@libp2p/interface'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { Backoff } from './backoff.ts'
import { connectionKind, type ConnectionKind } from './connection-kind.ts'
import {
  BACKOFF_BASE_MS, BACKOFF_MAX_MS, DEFAULT_MAX_DIRECT_PEERS, DIAL_STAGGER_MS, DISCOVERY_INTERVAL_MS,
  MAINTENANCE_INTERVAL_MS, MAX_CANDIDATES, MAX_CONCURRENT_PEER_DIALS, PEER_BACKOFF_MAX_MS, PING_INTERVAL_MS
} from './constants.ts'
import { askPeerExchange, servePeerExchange, webrtcAddresses } from './discovery.ts'
import { createTabNode, type TabNode } from './node.ts'
import { pingConnection } from './ping.ts'

export interface NetworkConfig {
  /** Bootstrap relays: multiaddrs (`/ip4/…/tcp/…/ws/p2p/…`) or http(s) URLs of a relay's info endpoint. */
  bootstraps: string[]
  maxDirectPeers?: number
  iceServers?: RTCIceServer[]
  allowLocalAddresses: boolean
}

export type BootstrapState = 'connecting' | 'connected' | 'unreachable'

export interface BootstrapStatus {
  /** The configured entry, shortened for display (no peer id). */
  readonly label: string
  readonly state: BootstrapState
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
}

export type NetworkPhase = 'starting' | 'connecting' | 'online' | 'offline' | 'unreachable' | 'stopped'

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
}

interface BootstrapEntry {
  readonly configured: string
  readonly label: string
  addrs: Multiaddr[]
  peerId: string | null
  state: BootstrapState
}

interface PingState { rttMs: number | null, pings: number, failed: boolean, lastAt: number }

export class NetworkUnavailableError extends Error {
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
  private readonly bootstraps: BootstrapEntry[]
  private readonly bootstrapBackoff = new Backoff(BACKOFF_BASE_MS, BACKOFF_MAX_MS)
  private readonly peerBackoff = new Backoff(BACKOFF_BASE_MS * 2, PEER_BACKOFF_MAX_MS)
  private readonly candidates = new Set<string>()
  /** Peers never dialed and disconnected when they dial us (see OnionService.avoidPeer). */
  private readonly avoided = new Set<string>()
  private readonly dialing = new Set<string>()
  /** Peers whose connection must not be closed as surplus (they carry circuits); set by the onion layer. */
  private carriesCircuits: (peerId: string) => boolean = () => false
  private readonly pingState = new Map<string, PingState>()
  private readonly listeners = new Set<() => void>()
  private snapshot: NetworkSnapshot
  private timer: ReturnType<typeof setInterval> | null = null
  private startedAt = 0
  private firstDirectPeerMs: number | null = null
  private lastDiscovery = 0
  private lastDialStart = 0
  private everReachedBootstrap = false
  private bootstrapAttempted = false
  private discoveryRound = 0

  constructor (private readonly config: NetworkConfig) {
    this.maxDirect = config.maxDirectPeers ?? DEFAULT_MAX_DIRECT_PEERS
    this.bootstraps = config.bootstraps.map(configured => ({
      configured,
      label: bootstrapLabel(configured),
      addrs: [],
      peerId: null,
      state: 'connecting'
    }))
    this.snapshot = this.buildSnapshot('starting')
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  getSnapshot = (): NetworkSnapshot => this.snapshot

  async start (): Promise<void> {
    if (this.node != null) return
    this.startedAt = performance.now()
    this.transportKey = await generateKeyPair('Ed25519')
    const node = await createTabNode({
      privateKey: this.transportKey,
      reservations: Math.max(1, this.bootstraps.length),
      iceServers: this.config.iceServers ?? [],
      allowLocalAddresses: this.config.allowLocalAddresses
    })
    this.node = node
    await servePeerExchange(node, conn => this.kindOf(conn) === 'direct-webrtc')
    node.addEventListener('connection:open', (evt) => {
      if (this.avoided.has(evt.detail.remotePeer.toString())) void evt.detail.close().catch(() => {})
      this.publish()
    })
    node.addEventListener('connection:close', (evt) => {
      const id = evt.detail.remotePeer.toString()
      if (!node.getConnections(evt.detail.remotePeer).some(c => this.kindOf(c) === 'direct-webrtc')) this.pingState.delete(id)
      this.publish()
    })
    node.addEventListener('self:peer:update', () => { this.publish() })
    await node.start()
    this.startedPromise.resolve(node)
    this.timer = setInterval(() => { void this.maintain() }, MAINTENANCE_INTERVAL_MS)
    void this.maintain()
    this.publish()
  }

  async stop (): Promise<void> {
    if (this.timer != null) clearInterval(this.timer)
    this.timer = null
    const node = this.node
    this.node = null
    await node?.stop()
    this.snapshot = this.buildSnapshot('stopped')
    this.emit()
  }

  /** "Try again" from the UI: forget the backoff and dial every bootstrap now. */
  retryNow (): void {
    for (const b of this.bootstraps) this.bootstrapBackoff.success(b.configured)
    this.bootstrapAttempted = false
    void this.maintain()
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

  // ---- maintenance -------------------------------------------------------

  private maintaining = false

  private async maintain (): Promise<void> {
    const node = this.node
    if (node == null || this.maintaining) return
    this.maintaining = true
    try {
      await this.maintainBootstraps(node)
      this.maintainPeers(node)
      if (this.shouldDiscover()) void this.discover(node)
      this.maintainPings(node)
    } finally {
      this.maintaining = false
      this.publish()
    }
  }

  private async maintainBootstraps (node: TabNode): Promise<void> {
    const now = performance.now()
    const attempts: Array<Promise<void>> = []
    for (const b of this.bootstraps) {
      const connected = b.peerId != null && node.getConnections(peerIdFromString(b.peerId)).length > 0
      if (connected) {
        b.state = 'connected'
        this.everReachedBootstrap = true
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
      this.lastDiscovery = 0 // ask the relay who is there right away
      void this.discover(node).catch(() => {})
    } catch {
      b.state = 'unreachable'
      this.bootstrapBackoff.failure(b.configured, performance.now())
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
    const choices = [...this.candidates].filter(id =>
      id !== self && !direct.has(id) && !this.avoided.has(id) && !this.dialing.has(id) && this.peerBackoff.ready(id, now))
    if (choices.length === 0) return
    const id = choices[Math.floor(Math.random() * choices.length)]!
    this.lastDialStart = now
    void this.dialPeer(node, id)
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

  private async dialPeer (node: TabNode, id: string): Promise<void> {
    this.dialing.add(id)
    try {
      const peerId = peerIdFromString(id)
      const addrs = await webrtcAddresses(node, peerId)
      if (addrs.length === 0) throw new NetworkUnavailableError('no WebRTC address')
      await node.dial(addrs)
      this.peerBackoff.success(id)
      if (this.firstDirectPeerMs == null && this.directPeerIds(node).size > 0) {
        this.firstDirectPeerMs = performance.now() - this.startedAt
      }
    } catch {
      const failures = this.peerBackoff.failures(id)
      this.peerBackoff.failure(id, performance.now())
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
    this.discoveryRound++
    // Ask every connected bootstrap relay and one direct neighbour (rotating).
    const asks: Array<Promise<PeerId[]>> = []
    for (const b of this.bootstraps) {
      if (b.peerId == null) continue
      const conn = node.getConnections(peerIdFromString(b.peerId))[0]
      const relayAddr = b.addrs[0]
      if (conn != null && relayAddr != null) asks.push(askPeerExchange(node, conn, relayAddr))
    }
    const neighbours = [...node.getConnections()].filter(c => this.kindOf(c) === 'direct-webrtc')
    const neighbour = neighbours[this.discoveryRound % Math.max(1, neighbours.length)]
    if (neighbour != null) asks.push(askPeerExchange(node, neighbour, null))
    const results = await Promise.allSettled(asks)
    const before = this.candidates.size
    for (const r of results) {
      if (r.status !== 'fulfilled') continue
      for (const p of r.value) {
        if (this.candidates.size >= MAX_CANDIDATES) break
        this.candidates.add(p.toString())
      }
    }
    // New candidates: dial now rather than at the next tick.
    if (this.candidates.size > before) void this.maintain()
  }

  private maintainPings (node: TabNode): void {
    const now = performance.now()
    for (const conn of node.getConnections()) {
      if (this.kindOf(conn) !== 'direct-webrtc') continue
      const id = conn.remotePeer.toString()
      const state = this.pingState.get(id)
      if (state != null && now - state.lastAt < PING_INTERVAL_MS) continue
      void this.pingOver(id, conn).catch(() => {})
    }
  }

  private async pingOver (id: string, conn: Connection): Promise<number> {
    const state = this.pingState.get(id) ?? { rttMs: null, pings: 0, failed: false, lastAt: 0 }
    state.lastAt = performance.now()
    this.pingState.set(id, state)
    try {
      const rtt = await pingConnection(conn)
      state.rttMs = rtt
      state.pings++
      state.failed = false
      return rtt
    } catch (err) {
      state.failed = true
      throw err
    } finally {
      this.publish()
    }
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

  private publish (): void {
    const node = this.node
    if (node == null) return
    const connected = this.bootstraps.filter(b => b.state === 'connected').length
    const direct = this.directPeerIds(node).size
    let phase: NetworkPhase
    if (connected > 0 || direct > 0) phase = 'online'
    else if (!this.bootstrapAttempted) phase = 'connecting'
    else if (this.everReachedBootstrap) phase = 'offline'
    else phase = 'unreachable'
    if (this.firstDirectPeerMs == null && direct > 0) this.firstDirectPeerMs = performance.now() - this.startedAt
    const next = this.buildSnapshot(phase)
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
        peers.set(id, { id, shortId: shortPeerId(id), kind, rttMs: ping?.rttMs ?? null, pings: ping?.pings ?? 0, pingFailed: ping?.failed ?? false, openedAt: conn.timeline.open })
      }
    }
    const list = [...peers.values()].sort((a, b) => a.id.localeCompare(b.id))
    const selfAddrs = node?.getMultiaddrs() ?? []
    return {
      phase,
      bootstraps: this.bootstraps.map(b => ({ label: b.label, state: b.state })),
      connectedBootstraps: this.bootstraps.filter(b => b.state === 'connected').length,
      reservations: selfAddrs.filter(ma => ma.toString().endsWith(`/p2p-circuit/p2p/${node?.peerId.toString() ?? ''}`)).length,
      peers: list,
      directPeers: list.filter(p => p.kind === 'direct-webrtc').length,
      firstDirectPeerMs: this.firstDirectPeerMs,
      selfShortId: node != null ? shortPeerId(node.peerId.toString()) : null
    }
  }

  private emit (): void {
    for (const l of this.listeners) l()
  }
}

/** A bootstrap's display label: host and port, never the peer id. */
export function bootstrapLabel (configured: string): string {
  if (/^https?:\/\//.test(configured)) {
    try {
      return new URL(configured).host
    } catch {
      return 'bootstrap relay'
    }
  }
  try {
    const parts = multiaddr(configured).getComponents()
    const host = parts.find(c => ['ip4', 'ip6', 'dns', 'dns4', 'dns6'].includes(c.name))?.value
    const port = parts.find(c => c.name === 'tcp')?.value
    return host != null ? `${host}${port != null ? `:${port}` : ''}` : 'bootstrap relay'
  } catch {
    return 'bootstrap relay'
  }
}

async function fetchRelayAddrs (url: string): Promise<Multiaddr[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000), cache: 'no-store' })
  if (!res.ok) throw new NetworkUnavailableError(`relay info endpoint answered ${res.status}`)
  const body = await res.json() as { multiaddrs?: unknown }
  if (!Array.isArray(body.multiaddrs)) throw new NetworkUnavailableError('relay info endpoint sent no multiaddrs')
  return body.multiaddrs.filter((a): a is string => typeof a === 'string').map(a => multiaddr(a))
}

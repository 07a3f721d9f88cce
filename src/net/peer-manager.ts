/**
 * The mesh: which tabs this one keeps direct WebRTC connections with.
 *
 * - learn candidates by peer exchange from bootstrap relays and neighbours;
 *   from a neighbour also whom it can signal to (adjacency.ts), asking the
 *   neighbours in turn;
 * - keep up to `maxDirect` direct connections, dialing one or two candidates
 *   at a time (staggered), with per-peer backoff after failures; once the tab
 *   has neighbours, only candidates a neighbour can signal to (the bootstrap
 *   relay then never sees the connection, dialer.ts);
 * - above the limit close the newest, but never a link that carries circuits
 *   ({@link PeerManager.keepConnectionsWhere}): a circuit's hop need not be a
 *   mesh neighbour, so the limit is soft while circuits need them;
 * - hold a signalling reservation on every neighbour (relay-control.ts), and
 *   close a relayed signalling connection once its direct one is up
 *   ({@link finishedSignalling}).
 */
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection } from '@libp2p/interface'
import { Adjacency } from './adjacency.ts'
import { Backoff } from './backoff.ts'
import type { BootstrapLinks } from './bootstrap-links.ts'
import {
  ADDRESS_DIAL_TIMEOUT_MS, BACKOFF_BASE_MS, BOOTSTRAP_DIAL_FALLBACK_MS, DIAL_STAGGER_MS, DISCOVERY_INTERVAL_MS, MAX_CANDIDATES, MAX_CONCURRENT_PEER_DIALS,
  NEIGHBOUR_ONLY_DIALS_FROM, NEIGHBOUR_PX_DELAY_MS, NEIGHBOUR_PX_INTERVAL_MS, NEIGHBOUR_PX_SETTLED_MS, PEER_BACKOFF_MAX_MS, SIGNALLING_LINGER_MS
} from './constants.ts'
import { askPeerExchange } from './discovery.ts'
import type { NetView } from './net-view.ts'
import { HOP_PROTOCOL } from './relay-control.ts'
import type { NetTimers } from './timing.ts'

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

/**
 * Which relayed connections to a peer have done their signalling, given when
 * the direct connection to it opened: those that opened before it (they set it
 * up, or an earlier attempt did), and any older than a whole address dial.
 * A relayed connection that opened *after* the direct one is the signalling
 * of a new dial in progress: the peer is redialling, most likely because the
 * direct connection this tab still holds is dead at its end (the peer closed
 * it and this side has not noticed yet). Closing it there failed that redial.
 */
export function finishedSignalling<T extends { openedAt: number }> (relayed: readonly T[], directOpenedAt: number, now: number): T[] {
  return relayed.filter(c => c.openedAt <= directOpenedAt || now - c.openedAt >= ADDRESS_DIAL_TIMEOUT_MS)
}

export interface PeerManagerOptions {
  maxDirect: number
  bootstraps: BootstrapLinks
  /** Open a direct connection (the dialer, purpose 'mesh'). */
  connect(peer: string): Promise<unknown>
  /** Run the maintenance now (new candidates arrived). */
  kick(): void
  publish(): void
  timers: NetTimers
}

export class PeerManager {
  readonly adjacency = new Adjacency()
  private readonly candidates = new Set<string>()
  /** Peers never dialed and disconnected when they dial us (see OnionService.avoidPeer). */
  private readonly avoided = new Set<string>()
  private readonly dialing = new Set<string>()
  private readonly peerBackoff = new Backoff(BACKOFF_BASE_MS * 2, PEER_BACKOFF_MAX_MS)
  private readonly reservationBackoff = new Backoff(BACKOFF_BASE_MS * 2, PEER_BACKOFF_MAX_MS)
  /** Peers whose connection must not be closed as surplus (they carry circuits); set by the onion layer. */
  private carriesCircuits: (peerId: string) => boolean = () => false
  private lastDiscovery = 0
  private lastDialStart = 0
  private neighbourRound = 0
  private lastNeighbourAsk = 0
  /** Since when the tab has had neighbours but no candidate any of them can signal to. */
  private noNeighbourRouteSince: number | null = null
  /** Mesh dials that failed since the last one that worked (the isolated state counts them). */
  failedDials = 0

  constructor (private readonly opts: PeerManagerOptions) {}

  /** Candidates known besides the bootstrap relays. */
  knownPeers (): number {
    const boot = this.opts.bootstraps.peerIds()
    return [...this.candidates].filter(id => !boot.has(id)).length
  }

  isAvoided (peer: string): boolean {
    return this.avoided.has(peer)
  }

  /** Never be a direct neighbour of `peer` (the caller closes what there is). */
  avoid (peer: string): void {
    this.avoided.add(peer)
  }

  /**
   * Tell the peer manager which neighbours carry circuits: their connections
   * are never closed to get back under `maxDirect` (a circuit's next hop may
   * be a tab that is not one of our mesh neighbours, tor-spec §5.1.2 EXTEND).
   */
  keepConnectionsWhere (carriesCircuits: (peerId: string) => boolean): void {
    this.carriesCircuits = carriesCircuits
  }

  /** Back from an outage: dial candidates and ask for more at once. */
  forgetBackoffs (): void {
    for (const id of this.candidates) this.peerBackoff.success(id)
    this.lastDiscovery = 0
    this.failedDials = 0
  }

  /** A bootstrap relay answered: ask who is there right away. */
  discoverNow (view: NetView): void {
    this.lastDiscovery = 0
    void this.discover(view)
  }

  onConnectionOpen (view: NetView, conn: Connection): void {
    if (view.kindOf(conn) !== 'direct-webrtc') return
    // A new neighbour: learn at once whom it can signal to (its neighbours),
    // and close the relayed connection its signalling used.
    this.opts.timers.after(NEIGHBOUR_PX_DELAY_MS, () => { if (conn.status === 'open') void this.askNeighbour(view, conn, true) })
    // Its own neighbours reserve on it a second or so after they connect: ask
    // again once that has settled, or whom it can signal to stays unknown
    // until its turn in the rotation comes.
    this.opts.timers.after(NEIGHBOUR_PX_SETTLED_MS, () => { if (conn.status === 'open') void this.askNeighbour(view, conn, false) })
    this.opts.timers.after(SIGNALLING_LINGER_MS, () => { this.closeSignallingConnections(view, conn.remotePeer.toString()) })
  }

  /** `peer` has no direct connection left. */
  onNeighbourGone (view: NetView, peer: string): void {
    this.adjacency.forgetNeighbour(peer)
    view.node.services.relayControl.neighbourGone(peer)
    // The hop's reservation for this neighbour is useless now; free its slot.
    view.node.services.relay.reservations.delete(peerIdFromString(peer))
  }

  /** One maintenance round. While offline nothing is dialed: failures then would make it forget good candidates. */
  maintain (view: NetView, offline: boolean): void {
    this.maintainNeighbourReservations(view)
    for (const id of view.directPeerIds()) this.closeSignallingConnections(view, id)
    if (offline) return
    this.maintainMesh(view)
    if (this.shouldDiscover(view)) void this.discover(view)
    else if (this.opts.timers.now() - this.lastNeighbourAsk >= NEIGHBOUR_PX_INTERVAL_MS) {
      const neighbour = this.nextNeighbour(view)
      if (neighbour != null) void this.askNeighbour(view, neighbour, false)
    }
  }

  /** Reserve on every direct neighbour that has none of ours yet (it then signals for its other neighbours to us). */
  private maintainNeighbourReservations (view: NetView): void {
    const now = this.opts.timers.now()
    for (const conn of view.node.getConnections()) {
      if (view.kindOf(conn) !== 'direct-webrtc') continue
      const id = conn.remotePeer.toString()
      if (view.node.services.relayControl.hasReservation(conn.remotePeer) || !this.reservationBackoff.ready(id, now)) continue
      this.reservationBackoff.failure(id, now) // until it succeeds, no second attempt in flight
      void this.reserveOnNeighbour(view, conn)
    }
  }

  /**
   * Only once identify has shown the neighbour runs the hop: libp2p's
   * reservation store never again tries a relay that once failed with
   * "unsupported protocol".
   */
  private async reserveOnNeighbour (view: NetView, conn: Connection): Promise<void> {
    const peer = await view.node.peerStore.get(conn.remotePeer).catch(() => undefined)
    if (peer?.protocols.includes(HOP_PROTOCOL) !== true || conn.status !== 'open') return
    try {
      await view.node.services.relayControl.reserveOnNeighbour(conn.remotePeer)
      this.reservationBackoff.success(conn.remotePeer.toString())
    } catch {
      // Backoff already set: try again later.
    }
  }

  /**
   * A relayed connection only carried the WebRTC signalling: once the direct
   * connection is up it has no use, and left open (up to its 2-minute limit)
   * it ties up a slot on the relay, tells the relay for longer that the two
   * tabs are connected, and can even be picked instead of the direct one by
   * libp2p code that takes a peer's first connection (the circuit-relay
   * transport does, for the neighbour it signals through).
   */
  private closeSignallingConnections (view: NetView, peer: string): void {
    const direct = view.directConnection(peer)
    if (direct == null) return
    const relayed = view.node.getConnections(peerIdFromString(peer))
      .filter(c => c.limits != null)
      .map(c => ({ conn: c, openedAt: c.timeline.open }))
    for (const { conn } of finishedSignalling(relayed, direct.timeline.open, this.opts.timers.wallNow())) {
      void conn.close().catch(() => { conn.abort(new Error('signalling done')) })
    }
  }

  private maintainMesh (view: NetView): void {
    const { node } = view
    const direct = view.directPeerIds()
    const { maxDirect } = this.opts
    if (direct.size > maxDirect) {
      // Too many (others dialed us, or circuits needed new hops): close the
      // newest surplus connections that carry no circuit.
      const conns = node.getConnections().filter(c => view.kindOf(c) === 'direct-webrtc')
      const surplus = surplusConnections(
        conns.map(c => ({ peer: c.remotePeer.toString(), openedAt: c.timeline.open, conn: c })),
        direct.size - maxDirect, this.carriesCircuits, this.opts.timers.wallNow())
      for (const { conn } of surplus) void conn.close().catch(() => {})
      return
    }
    const now = this.opts.timers.now()
    if (direct.size + this.dialing.size >= maxDirect) return
    if (this.dialing.size >= MAX_CONCURRENT_PEER_DIALS || now - this.lastDialStart < DIAL_STAGGER_MS) return
    const self = node.peerId.toString()
    const bootstrapIds = this.opts.bootstraps.peerIds()
    const choices = [...this.candidates].filter(id =>
      id !== self && !bootstrapIds.has(id) && !direct.has(id) && !this.avoided.has(id) && !this.dialing.has(id) && this.peerBackoff.ready(id, now))
    // Once the tab has neighbours, it grows only through them: a neighbour
    // signals the new connection, and the bootstrap relay never sees it.
    const viaNeighbour = choices.filter(id => this.adjacency.routesTo(id, p => direct.has(p)).length > 0)
    if (viaNeighbour.length > 0 || direct.size === 0) this.noNeighbourRouteSince = null
    else this.noNeighbourRouteSince ??= now
    // Through a bootstrap relay only with no neighbour at all, or too few for a while with none that can help.
    const stuck = direct.size < NEIGHBOUR_ONLY_DIALS_FROM && this.noNeighbourRouteSince != null && now - this.noNeighbourRouteSince >= BOOTSTRAP_DIAL_FALLBACK_MS
    const pool = viaNeighbour.length > 0 ? viaNeighbour : (direct.size === 0 || stuck ? choices : [])
    if (pool.length === 0) return
    const id = pool[Math.floor(Math.random() * pool.length)]!
    this.lastDialStart = now
    void this.dial(id)
  }

  private async dial (id: string): Promise<void> {
    this.dialing.add(id)
    try {
      await this.opts.connect(id)
      this.peerBackoff.success(id)
      this.failedDials = 0
    } catch (err) {
      // How it failed (the error's name only: its message can hold addresses).
      console.debug(`shallot network: mesh dial failed (${(err as Error).name})`)
      const failures = this.peerBackoff.failures(id)
      this.peerBackoff.failure(id, this.opts.timers.now())
      this.failedDials++
      // A peer that keeps failing has probably left; forget it until someone mentions it again.
      if (failures >= 4) this.candidates.delete(id)
    } finally {
      this.dialing.delete(id)
      this.opts.publish()
    }
  }

  private shouldDiscover (view: NetView): boolean {
    const below = view.directPeerIds().size < this.opts.maxDirect
    const interval = below ? DISCOVERY_INTERVAL_MS : DISCOVERY_INTERVAL_MS * 6
    return this.opts.timers.now() - this.lastDiscovery >= interval
  }

  /** Ask every connected bootstrap relay and the next neighbour (in turn). */
  private async discover (view: NetView): Promise<void> {
    this.lastDiscovery = this.opts.timers.now()
    const asks: Array<Promise<unknown>> = []
    const learned: string[] = []
    for (const { connection, addr } of this.opts.bootstraps.connected(view)) {
      asks.push(askPeerExchange(view.node, connection, addr).then(ids => { learned.push(...ids.map(p => p.toString())) }))
    }
    const neighbour = this.nextNeighbour(view)
    if (neighbour != null) asks.push(this.askNeighbour(view, neighbour, false))
    await Promise.allSettled(asks)
    this.addCandidates(learned, true)
  }

  /** The next direct neighbour to ask, in turn. */
  private nextNeighbour (view: NetView): Connection | undefined {
    const neighbours = view.node.getConnections().filter(c => view.kindOf(c) === 'direct-webrtc')
    this.lastNeighbourAsk = this.opts.timers.now()
    return neighbours[this.neighbourRound++ % Math.max(1, neighbours.length)]
  }

  /**
   * Peer exchange with one neighbour: its direct neighbours are candidates,
   * each reachable for signalling through it. Neighbours are asked in turn
   * between discovery rounds too: who is reachable through whom changes with
   * every tab that comes or goes, and a stale answer costs a failed
   * signalling attempt.
   */
  private async askNeighbour (view: NetView, neighbour: Connection, dialNow: boolean): Promise<void> {
    const via = neighbour.remotePeer.toString()
    try {
      const list = (await askPeerExchange(view.node, neighbour, null)).map(p => p.toString())
      this.adjacency.record(via, list)
      this.addCandidates(list, dialNow)
    } catch {
      // An unhelpful neighbour: nothing learned from it this time.
    }
  }

  private addCandidates (ids: readonly string[], dialNow: boolean): void {
    const before = this.candidates.size
    for (const id of ids) {
      if (this.candidates.size >= MAX_CANDIDATES) break
      this.candidates.add(id)
    }
    // New candidates: dial now rather than at the next tick.
    if (dialNow && this.candidates.size > before) this.opts.kick()
  }
}

/**
 * Pinging what the tab is connected to, for three things at once: the round
 * trip shown per peer in the Network panel, each direct connection's path
 * (direct or through TURN, read from getStats(), connection-path.ts), and
 * whether the tab is online at all (liveness.ts: a cut uplink closes nothing,
 * it only stops answers).
 *
 * Neighbours are pinged every PING_INTERVAL_MS; bootstrap relays every
 * PING_INTERVAL_MS by a tab with no neighbour that answers, otherwise only
 * every BOOTSTRAP_PING_INTERVAL_MS (a thousand tabs pinging a relay every few
 * seconds would be most of its work; {@link bootstrapPingInterval}). libp2p's connection monitor also runs (node.ts:
 * every 30 s, 15 s minimum timeout); with its default 5 s it aborted live
 * TURN connections on a single slow ping on a busy machine.
 *
 * A neighbour that stays silent while others answer is disconnected: its
 * peer is gone (a tab closed without a goodbye, its network dropped), and
 * closing tears the circuits through it down now (tor-spec §5.4) rather than
 * when ICE gives up half a minute later. The rule ({@link isGone}): it missed
 * a ping and a *different* connection answered after that ping was sent. A
 * lone neighbour is never "others" to itself (counting its own earlier answer
 * closed live TURN connections on a loaded CI machine), and when nobody
 * answers it is this tab that is offline, whose neighbour connections are
 * kept for when it is back.
 *
 * A bootstrap relay that misses two pings is disconnected whoever else
 * answers, and dialled again (bootstrap-links.ts): after a cut uplink the old
 * WebSocket is a half-open TCP connection that may stay silent for minutes in
 * retransmission backoff, while a fresh one answers at once when the network
 * is back, and that answer is what ends the offline state. An offline tab
 * therefore pings its relays every PING_INTERVAL_MS ({@link closeAfterMiss}).
 */
import type { Connection } from '@libp2p/interface'
import { connectionPath, type ConnectionPath } from './connection-path.ts'
import { BOOTSTRAP_DROP_AFTER_MISSED_PINGS, BOOTSTRAP_PING_INTERVAL_MS, LIVENESS_PING_TIMEOUT_MS, NEIGHBOUR_GONE_AFTER_MISSED_PINGS, PING_INTERVAL_MS } from './constants.ts'
import { Liveness } from './liveness.ts'
import type { NetView } from './net-view.ts'
import { pingConnection } from './ping.ts'
import type { NetTimers } from './timing.ts'

export class PeerUnresponsiveError extends Error {
  readonly kind = 'peer-unresponsive' as const
  constructor () {
    super('the peer stopped answering pings')
    this.name = 'PeerUnresponsiveError'
  }
}

export interface PingState {
  rttMs: number | null
  /** Answers so far. */
  pings: number
  /** The last ping went unanswered. */
  failed: boolean
  /** When the last ping was sent (monotonic ms, NetTimers.now). */
  lastAt: number
  /** When this connection last answered. */
  lastAnswerAt: number
  /** Pings missed in a row, and when the first of them was sent. */
  missed: number
  firstMissSentAt: number
  path: ConnectionPath | null
  /** The connection these misses were counted on. */
  connectionId: string
}

/**
 * Is the peer behind `peer` gone? Yes when it missed {@link NEIGHBOUR_GONE_AFTER_MISSED_PINGS}
 * pings in a row and some other connection answered after the first of them
 * was sent (so this tab was online the whole time).
 */
/**
 * After a missed ping: close this connection? A bootstrap relay after
 * {@link BOOTSTRAP_DROP_AFTER_MISSED_PINGS} misses in a row (a fresh connection is the
 * probe); a neighbour only when it {@link isGone} and this tab is not offline.
 */
export function closeAfterMiss (kind: 'bootstrap' | 'neighbour', peer: string, state: ReadonlyMap<string, Pick<PingState, 'missed' | 'firstMissSentAt' | 'lastAnswerAt'>>, offline: boolean): boolean {
  if (kind === 'bootstrap') return (state.get(peer)?.missed ?? 0) >= BOOTSTRAP_DROP_AFTER_MISSED_PINGS
  return !offline && isGone(peer, state)
}

export function isGone (peer: string, state: ReadonlyMap<string, Pick<PingState, 'missed' | 'firstMissSentAt' | 'lastAnswerAt'>>): boolean {
  const s = state.get(peer)
  if (s == null || s.missed < NEIGHBOUR_GONE_AFTER_MISSED_PINGS) return false
  for (const [other, o] of state) {
    if (other !== peer && o.lastAnswerAt > s.firstMissSentAt) return true
  }
  return false
}

/**
 * How often to ping a bootstrap relay. Every PING_INTERVAL_MS while the tab is
 * offline or no neighbour is answering (none, or all of them missed their last
 * ping): the relay's answer is then what tells "this tab is offline" from "its
 * neighbours are gone", and without it a tab whose only neighbour died went
 * offline after a few seconds and kept the dead connection (a neighbour is
 * never closed while offline). Otherwise every BOOTSTRAP_PING_INTERVAL_MS.
 */
export function bootstrapPingInterval (neighbours: ReadonlyArray<Pick<PingState, 'failed'> | undefined>, offline: boolean): number {
  const answering = neighbours.some(s => s?.failed !== true)
  return answering && !offline ? BOOTSTRAP_PING_INTERVAL_MS : PING_INTERVAL_MS
}

/**
 * Does a direct connection count as a neighbour for the tab's state (online
 * or isolated)? Only once its peer has answered a ping (a new connection is
 * pinged within a second). In the no-STUN lab libp2p reported WebRTC
 * connections across two homes as open that never carried a byte: counted
 * at once, each new one turned "isolated" back to "online" within
 * milliseconds and restarted the wait for it (two fresh-clone CI runs).
 */
export function countsAsNeighbour (s: Pick<PingState, 'pings'> | undefined): boolean {
  return s != null && s.pings > 0
}

export class PingMonitor {
  private readonly state = new Map<string, PingState>()
  readonly liveness: Liveness
  private readonly ping1: (conn: Connection, timeoutMs?: number) => Promise<number>
  private readonly path: (conn: Connection) => Promise<ConnectionPath | null>

  constructor (private readonly hooks: {
    /** The first answer after an outage. */
    onBackOnline(): void
    publish(): void
    timers: NetTimers
    /** One ping over one connection (ping.ts; a test passes its own). */
    pingConnection?: (conn: Connection, timeoutMs?: number) => Promise<number>
    /** A direct connection's path (connection-path.ts; a test passes its own). */
    connectionPath?: (conn: Connection) => Promise<ConnectionPath | null>
  }) {
    this.liveness = new Liveness(() => hooks.timers.now())
    this.ping1 = hooks.pingConnection ?? pingConnection
    this.path = hooks.connectionPath ?? connectionPath
  }

  status (peer: string): PingState | undefined {
    return this.state.get(peer)
  }

  forget (peer: string): void {
    this.state.delete(peer)
  }

  /** Ping everything at the next round (the page became visible again). */
  soon (): void {
    this.state.forEach(s => { s.lastAt = 0 })
  }

  maintain (view: NetView, bootstrapIds: ReadonlySet<string>): void {
    const now = this.hooks.timers.now()
    const { node } = view
    const bootstrapInterval = bootstrapPingInterval([...view.directPeerIds()].map(id => this.state.get(id)), this.liveness.isOffline)
    for (const conn of node.getConnections()) {
      const kind = view.kindOf(conn)
      if (kind !== 'direct-webrtc' && kind !== 'bootstrap') continue
      const id = conn.remotePeer.toString()
      const interval = kind === 'bootstrap' ? bootstrapInterval : PING_INTERVAL_MS
      const s = this.state.get(id)
      if (s != null && now - s.lastAt < interval) continue
      if (bootstrapIds.has(id) && node.getConnections(conn.remotePeer)[0] !== conn) continue
      void this.ping(view, id, conn, LIVENESS_PING_TIMEOUT_MS).catch(() => {})
    }
  }

  async ping (view: NetView, id: string, conn: Connection, timeoutMs?: number): Promise<number> {
    const known = this.state.get(id)
    // Misses belong to a connection: a new connection to the same peer (a redial, the
    // survivor of two tabs dialling each other) starts with none.
    const s = known != null && known.connectionId === conn.id
      ? known
      : { rttMs: known?.rttMs ?? null, pings: known?.pings ?? 0, failed: false, lastAt: 0, lastAnswerAt: known?.lastAnswerAt ?? -Infinity, missed: 0, firstMissSentAt: 0, path: null, connectionId: conn.id }
    const sentAt = this.hooks.timers.now()
    s.lastAt = sentAt
    this.state.set(id, s)
    this.liveness.tried()
    try {
      const rtt = await this.ping1(conn, timeoutMs)
      s.rttMs = rtt
      s.pings++
      s.failed = false
      s.missed = 0
      s.lastAnswerAt = this.hooks.timers.now()
      if (this.liveness.answered()) this.hooks.onBackOnline()
      if (view.kindOf(conn) === 'direct-webrtc') s.path = await this.path(conn)
      return rtt
    } catch (err) {
      // A connection closing under the ping is not a silent peer: its close is handled elsewhere.
      if (conn.status !== 'open') throw err
      s.failed = true
      if (s.missed++ === 0) s.firstMissSentAt = sentAt
      const kind = view.kindOf(conn) === 'bootstrap' ? 'bootstrap' : 'neighbour'
      // Which kind of connection missed, and how (no peer id, no address): what a developer reads a flaky liveness by.
      console.debug(`shallot network: ${kind} ping missed (${(err as Error).name}${s.pings === 0 ? ', never answered' : ''})`)
      if (closeAfterMiss(kind, id, this.state, this.liveness.isOffline)) {
        this.state.delete(id)
        conn.abort(new PeerUnresponsiveError())
      }
      throw err
    } finally {
      this.hooks.publish()
    }
  }
}

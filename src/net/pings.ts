/**
 * Pinging what the tab is connected to, for three things at once: the round
 * trip shown per peer in the Network panel, each direct connection's path
 * (direct or through TURN, read from getStats(), connection-path.ts), and
 * whether the tab is online at all (liveness.ts: a cut uplink closes nothing,
 * it only stops answers).
 *
 * Neighbours are pinged every PING_INTERVAL_MS; bootstrap relays only by a tab
 * with no neighbour (a thousand tabs pinging a relay every few seconds would
 * be most of its work). A neighbour that does not answer while others do is
 * disconnected (its tab is gone); libp2p's own connection monitor pings only
 * every 30 s (node.ts).
 */
import type { Connection } from '@libp2p/interface'
import { connectionPath, type ConnectionPath } from './connection-path.ts'
import { LIVENESS_PING_TIMEOUT_MS, PING_INTERVAL_MS } from './constants.ts'
import { Liveness } from './liveness.ts'
import type { NetView } from './net-view.ts'
import { pingConnection } from './ping.ts'

/** Another connection answered within this (while this one did not): the silent peer is gone, not us. */
const OTHERS_ANSWERED_WITHIN_MS = 6_000

export class PeerUnresponsiveError extends Error {
  readonly kind = 'peer-unresponsive' as const
  constructor () {
    super('the peer stopped answering pings while others answered')
    this.name = 'PeerUnresponsiveError'
  }
}

export interface PingState { rttMs: number | null, pings: number, failed: boolean, lastAt: number, path: ConnectionPath | null }

export class PingMonitor {
  private readonly state = new Map<string, PingState>()
  readonly liveness = new Liveness(() => performance.now())

  constructor (private readonly hooks: {
    /** The first answer after an outage. */
    onBackOnline(): void
    publish(): void
  }) {}

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
    const now = performance.now()
    const { node } = view
    const hasNeighbours = view.directPeerIds().size > 0
    for (const conn of node.getConnections()) {
      const kind = view.kindOf(conn)
      if (kind !== 'direct-webrtc' && (kind !== 'bootstrap' || hasNeighbours)) continue
      const id = conn.remotePeer.toString()
      const s = this.state.get(id)
      if (s != null && now - s.lastAt < PING_INTERVAL_MS) continue
      if (bootstrapIds.has(id) && node.getConnections(conn.remotePeer)[0] !== conn) continue
      void this.ping(view, id, conn, LIVENESS_PING_TIMEOUT_MS).catch(() => {})
    }
  }

  async ping (view: NetView, id: string, conn: Connection, timeoutMs?: number): Promise<number> {
    const s = this.state.get(id) ?? { rttMs: null, pings: 0, failed: false, lastAt: 0, path: null }
    s.lastAt = performance.now()
    this.state.set(id, s)
    this.liveness.tried()
    try {
      const rtt = await pingConnection(conn, timeoutMs)
      s.rttMs = rtt
      s.pings++
      s.failed = false
      if (this.liveness.answered()) this.hooks.onBackOnline()
      if (view.kindOf(conn) === 'direct-webrtc') s.path = await connectionPath(conn)
      return rtt
    } catch (err) {
      s.failed = true
      // Silent while others answer: that neighbour is gone (its tab closed
      // without a goodbye, its network dropped). Close the connection, so the
      // circuits through it are torn down now (tor-spec §5.4) rather than when
      // ICE gives up half a minute later. When nobody answers, it is this tab
      // that is offline, and its connections are kept for when it is back.
      if (view.kindOf(conn) === 'direct-webrtc' && !this.liveness.isOffline && performance.now() - this.liveness.lastAnswer < OTHERS_ANSWERED_WITHIN_MS) {
        conn.abort(new PeerUnresponsiveError())
      }
      throw err
    } finally {
      this.hooks.publish()
    }
  }
}

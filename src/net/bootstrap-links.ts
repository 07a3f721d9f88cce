/**
 * The tab's links to its bootstrap relays: keep a connection to each
 * configured relay (re-dial with backoff), a reservation on each (so tabs
 * that know no neighbour of this one can still reach it), and fresh STUN/TURN
 * servers from each (ice.ts). Nothing here names a relay in a log.
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection } from '@libp2p/interface'
import { Backoff } from './backoff.ts'
import { BootstrapAddressError, fetchRelayAddrs, newBootstrapEntry, type BootstrapEntry, type BootstrapStatus } from './bootstraps.ts'
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, BOOTSTRAP_DIAL_TIMEOUT_MS, PEER_BACKOFF_MAX_MS } from './constants.ts'
import type { IceServerProvider } from './ice.ts'
import type { NetView } from './net-view.ts'
import type { RelayWorkAnnouncements } from './relay-work-params.ts'
import type { NetTimers } from './timing.ts'

export interface BootstrapLinkHooks {
  ice: IceServerProvider
  /** The relay-descriptor effort each relay announces (relay-work-params.ts). */
  relayWork: RelayWorkAnnouncements
  /** A relay answered (a dial succeeded): the tab is on the network; ask who is there. */
  onJoined(view: NetView): void
  /** ICE servers were fetched (`first`: the first set this tab got) or failed to be. */
  onIceFetched(first: boolean): void
  publish(): void
  timers: NetTimers
}

export class BootstrapLinks {
  private entries: BootstrapEntry[]
  private readonly dialBackoff = new Backoff(BACKOFF_BASE_MS, BACKOFF_MAX_MS)
  private readonly reservationBackoff = new Backoff(BACKOFF_BASE_MS * 2, PEER_BACKOFF_MAX_MS)
  /** Some relay answered at least once. */
  everReached = false
  /** Every relay has been tried at least once since start (or since the list changed). */
  attempted = false

  constructor (configured: readonly string[], private readonly hooks: BootstrapLinkHooks) {
    this.entries = configured.map(newBootstrapEntry)
  }

  /** Use these relays from now on; returns the entries dropped (to be disconnected). */
  set (list: readonly string[]): BootstrapEntry[] {
    const next = [...new Set(list)]
    const keep = this.entries.filter(b => next.includes(b.configured))
    const removed = this.entries.filter(b => !next.includes(b.configured))
    this.entries = [...keep, ...next.filter(c => !keep.some(b => b.configured === c)).map(newBootstrapEntry)]
    for (const b of removed) if (b.peerId != null) { this.hooks.ice.forget(b.peerId); this.hooks.relayWork.drop(b.peerId) }
    this.attempted = false
    return removed
  }

  peerIds (): Set<string> {
    return new Set(this.entries.map(b => b.peerId).filter((id): id is string => id != null))
  }

  statuses (): BootstrapStatus[] {
    return this.entries.map(b => ({ label: b.label, state: b.state }))
  }

  connectedCount (): number {
    return this.entries.filter(b => b.state === 'connected').length
  }

  /** Connected relays, with the address they were reached at (peer exchange builds `<addr>/p2p-circuit/…` from it). */
  connected (view: NetView): Array<{ connection: Connection, addr: Multiaddr }> {
    const out: Array<{ connection: Connection, addr: Multiaddr }> = []
    for (const b of this.entries) {
      const connection = b.peerId != null ? view.node.getConnections(peerIdFromString(b.peerId))[0] : undefined
      const addr = b.addrs[0]
      if (connection != null && addr != null && b.state === 'connected') out.push({ connection, addr })
    }
    return out
  }

  /** Back from an outage, or "Try again": dial every relay now. */
  forgetBackoffs (): void {
    for (const b of this.entries) this.dialBackoff.success(b.configured)
    this.attempted = false
  }

  async maintain (view: NetView): Promise<void> {
    const now = this.hooks.timers.now()
    const attempts: Array<Promise<void>> = []
    for (const b of this.entries) {
      const conn = b.peerId != null ? view.node.getConnections(peerIdFromString(b.peerId))[0] : undefined
      if (conn != null) {
        b.state = 'connected'
        this.everReached = true
        // Reconnected by someone else (libp2p's keep-alive redial), or the reservation lapsed: reserve again.
        if (!view.node.services.relayControl.hasReservation(conn.remotePeer) && this.reservationBackoff.ready(b.configured, now)) {
          void this.reserve(view, b)
        }
        // STUN/TURN when due (first time, then at half the credentials' life).
        if (this.hooks.ice.due(conn.remotePeer.toString())) void this.fetchIce(b.peerId!, conn)
        if (this.hooks.relayWork.due(b.peerId!)) void this.hooks.relayWork.fetchFrom(b.peerId!, conn)
        continue
      }
      if (b.state === 'connected') b.state = 'unreachable'
      if (!this.dialBackoff.ready(b.configured, now)) continue
      attempts.push(this.dial(view, b))
    }
    if (attempts.length > 0) {
      await Promise.all(attempts)
      this.attempted = true
    }
  }

  private async dial (view: NetView, b: BootstrapEntry): Promise<void> {
    if (b.state !== 'unreachable') b.state = 'connecting'
    try {
      if (/^https?:\/\//.test(b.configured)) b.addrs = await fetchRelayAddrs(b.configured)
      else if (b.addrs.length === 0) b.addrs = [multiaddr(b.configured)]
      const peer = b.addrs[0]?.getComponents().findLast(c => c.name === 'p2p')?.value
      if (peer == null) throw new BootstrapAddressError('bootstrap address has no peer id')
      b.peerId = peer
      const conn = await view.node.dial(b.addrs, { signal: AbortSignal.timeout(BOOTSTRAP_DIAL_TIMEOUT_MS) })
      b.state = 'connected'
      this.everReached = true
      this.dialBackoff.success(b.configured)
      void this.reserve(view, b)
      void this.fetchIce(peer, conn)
      this.hooks.relayWork.forget(peer)
      void this.hooks.relayWork.fetchFrom(peer, conn)
      this.hooks.onJoined(view)
    } catch {
      b.state = 'unreachable'
      this.dialBackoff.failure(b.configured, this.hooks.timers.now())
    }
  }

  private async reserve (view: NetView, b: BootstrapEntry): Promise<void> {
    const addr = b.addrs[0]
    if (addr == null || b.peerId == null) return
    try {
      await view.node.services.relayControl.reserveOnBootstrap(addr, b.peerId)
      this.reservationBackoff.success(b.configured)
    } catch {
      this.reservationBackoff.failure(b.configured, this.hooks.timers.now())
    }
    this.hooks.publish()
  }

  private async fetchIce (relay: string, connection: Connection): Promise<void> {
    const { ice } = this.hooks
    if (!ice.due(relay)) return
    const first = ice.snapshot().relaysWithIce === 0
    try {
      await ice.fetchFrom(relay, connection)
      this.hooks.onIceFetched(first)
    } catch {
      this.hooks.onIceFetched(false)
    }
  }
}

/**
 * ICE servers for the tab's WebRTC connections, and only from the bootstrap
 * relays the tab joined (core/discovery/ice-servers.ts has the wire format).
 *
 * The idea: a tab behind a NAT needs STUN to learn its public address and,
 * behind a symmetric NAT (or when the person hides their IP), TURN to relay
 * its WebRTC traffic. Public STUN servers would learn of every tab; so the
 * operators who already run the bootstrap relays run coturn beside them and
 * hand each tab short-lived TURN credentials over the libp2p connection it
 * already has. This module asks, keeps the freshest set per relay, renews it
 * at half its lifetime (so no connection is ever set up with credentials about
 * to expire), and builds the RTCConfiguration each *new* WebRTC connection
 * uses (`@libp2p/webrtc` calls {@link IceServerProvider.rtcConfiguration}
 * per connection). Connections already up keep their TURN allocation: coturn
 * refreshes it with the key it was made with (docs/NETWORK.md §ICE).
 *
 * With "hide my IP" on, the policy is `relay`: Chromium then gathers relayed
 * candidates only, so a neighbour never sees any of this tab's addresses.
 */
import { lpStream } from '@libp2p/utils'
import { UnsupportedProtocolError, type Connection } from '@libp2p/interface'
import { decodeIceServers, ICE_MAX_REPLY_BYTES, ICE_SERVERS_PROTOCOL, type IceServersReply } from '../core/discovery/ice-servers.ts'
import { ICE_FETCH_TIMEOUT_MS, ICE_RENEW_FRACTION, ICE_RETRY_MS } from './constants.ts'

export interface IceSnapshot {
  /** Relays that handed this tab ICE servers (by relay peer id count, not ids). */
  readonly relaysWithIce: number
  readonly hasStun: boolean
  readonly hasTurn: boolean
  /** Earliest expiry of the TURN credentials in use (epoch ms), null without TURN. */
  readonly turnExpiresAt: number | null
  /** How many times credentials were fetched (first fetch included). */
  readonly fetches: number
  /** "Hide my IP": every connection through TURN. */
  readonly relayOnly: boolean
}

interface Held {
  reply: IceServersReply
  /**
   * When the credentials expire, on *our* clock: received + (expiresAt −
   * issuedAt). A tab whose clock is off still renews in time. Infinity
   * without credentials.
   */
  expiresAt: number
  /** When to ask this relay again (epoch ms). */
  renewAt: number
}

export class IceServerProvider {
  private readonly held = new Map<string, Held>()
  private readonly inFlight = new Set<string>()
  private relayOnly = false
  private fetches = 0
  private readonly listeners = new Set<() => void>()

  constructor (private readonly now: () => number = Date.now) {}

  /** The configuration for one new RTCPeerConnection. */
  rtcConfiguration = (): RTCConfiguration => {
    const iceServers: RTCIceServer[] = []
    for (const { reply } of this.held.values()) {
      for (const s of reply.servers) {
        iceServers.push(s.username != null ? { urls: [...s.urls], username: s.username, credential: s.credential } : { urls: [...s.urls] })
      }
    }
    return { iceServers, iceTransportPolicy: this.relayOnly ? 'relay' : 'all' }
  }

  setRelayOnly (on: boolean): void {
    if (this.relayOnly === on) return
    this.relayOnly = on
    this.emit()
  }

  get isRelayOnly (): boolean {
    return this.relayOnly
  }

  /** True when a new connection could gather a relayed candidate. */
  get hasTurn (): boolean {
    return [...this.held.values()].some(h => h.reply.servers.some(s => s.urls.some(u => u.startsWith('turn'))))
  }

  snapshot (): IceSnapshot {
    const all = [...this.held.values()]
    const urls = all.flatMap(h => h.reply.servers.flatMap(s => s.urls))
    const turnExpiries = all.filter(h => h.reply.expiresAt > 0).map(h => h.expiresAt)
    return {
      relaysWithIce: all.length,
      hasStun: urls.some(u => u.startsWith('stun:')),
      hasTurn: urls.some(u => u.startsWith('turn')),
      turnExpiresAt: turnExpiries.length > 0 ? Math.min(...turnExpiries) : null,
      fetches: this.fetches,
      relayOnly: this.relayOnly
    }
  }

  subscribe (listener: () => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  /** Whether `relay` should be asked now (never asked, or its set is due for renewal). */
  due (relay: string): boolean {
    if (this.inFlight.has(relay)) return false
    const h = this.held.get(relay)
    return h == null || this.now() >= h.renewAt
  }

  /**
   * Ask one bootstrap relay over its connection. A relay without a TURN server
   * does not speak the protocol: that is remembered as "nothing" until the
   * next renewal time, not as an error.
   */
  async fetchFrom (relay: string, connection: Connection): Promise<void> {
    if (this.inFlight.has(relay)) return
    this.inFlight.add(relay)
    try {
      const signal = AbortSignal.timeout(ICE_FETCH_TIMEOUT_MS)
      const stream = await connection.newStream(ICE_SERVERS_PROTOCOL, { signal })
      let reply: IceServersReply
      try {
        reply = decodeIceServers((await lpStream(stream, { maxDataLength: ICE_MAX_REPLY_BYTES }).read({ signal })).subarray())
        await stream.close({ signal }).catch(() => {})
      } catch (err) {
        stream.abort(err as Error)
        throw err
      }
      this.accept(relay, reply)
    } catch (err) {
      // Keep what we had (it may still be valid); ask again soon.
      const h = this.held.get(relay)
      if (h != null) h.renewAt = this.now() + ICE_RETRY_MS
      // By name, as libp2p itself tests its errors (a second copy of @libp2p/interface would fail instanceof).
      else if ((err as Error).name === UnsupportedProtocolError.name) this.held.set(relay, { reply: { issuedAt: 0, expiresAt: 0, servers: [] }, expiresAt: Infinity, renewAt: this.now() + ICE_RETRY_MS * 10 })
      throw err
    } finally {
      this.inFlight.delete(relay)
    }
  }

  /** Take a relay's reply: renew at {@link ICE_RENEW_FRACTION} of its lifetime (STUN only: much later). */
  accept (relay: string, reply: IceServersReply): void {
    const now = this.now()
    const lifetimeMs = reply.expiresAt > 0 ? (reply.expiresAt - reply.issuedAt) * 1000 : Infinity
    const renewAt = Number.isFinite(lifetimeMs) ? now + Math.max(ICE_RETRY_MS, lifetimeMs * ICE_RENEW_FRACTION) : now + ICE_RETRY_MS * 60
    this.held.set(relay, { reply, expiresAt: now + lifetimeMs, renewAt })
    this.fetches++
    this.emit()
  }

  /** Forget a relay's servers (the tab no longer uses that relay). */
  forget (relay: string): void {
    if (this.held.delete(relay)) this.emit()
  }

  /** Drop credentials past their expiry: a new connection must not try them. */
  prune (): void {
    let changed = false
    for (const [relay, h] of this.held) {
      if (this.now() >= h.expiresAt) {
        this.held.delete(relay)
        changed = true
      }
    }
    if (changed) this.emit()
  }

  private emit (): void {
    for (const l of this.listeners) l()
  }
}

/**
 * Opening a direct WebRTC connection to a tab, signalled through a neighbour
 * whenever one can.
 *
 * A WebRTC connection between two tabs needs a signalling path first (SDP
 * offer and answer, ICE candidates): a short-lived relayed circuit-relay-v2
 * connection. Whoever relays it learns that these two tabs are connecting,
 * and when. If every signalling went through the bootstrap relay, it would
 * see each connection a pipelined circuit build opens, hop after hop within
 * milliseconds, and could chain them into the circuit's path. So:
 *
 * 1. a neighbour that reported the target in peer exchange (adjacency.ts)
 *    relays the signalling (relay-control.ts): at most
 *    {@link MAX_NEIGHBOUR_ROUTES} of them are tried, freshest first;
 * 2. only then the addresses through bootstrap relays (from the peer store);
 * 3. a dial made for a circuit first waits a random time up to
 *    {@link CIRCUIT_DIAL_JITTER_MS}, so a relay that does see two of a
 *    build's dials cannot tell them from unrelated ones by their spacing.
 *
 * A failure in the signalling step (no reservation there, the neighbour
 * refused) moves on to the next route; a failure after it (ICE found no
 * working pair, or the time ran out) ends the dial: another signalling path
 * would meet the same NATs.
 *
 * Every successful dial is counted by route, so the share signalled through
 * bootstrap relays can be measured (`npm run bench`).
 */
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection } from '@libp2p/interface'
import type { Adjacency } from './adjacency.ts'
import { ADDRESS_DIAL_TIMEOUT_MS, CIRCUIT_DIAL_JITTER_MS, MAX_NEIGHBOUR_ROUTES } from './constants.ts'
import { webrtcAddresses } from './discovery.ts'
import type { TabNode } from './node.ts'

export type DialPurpose = 'mesh' | 'circuit'
export type SignallingRoute = 'neighbour' | 'bootstrap'

export interface DialRecord {
  /** ms since the dialer was made. */
  readonly at: number
  readonly route: SignallingRoute
  readonly purpose: DialPurpose
  /** Neighbour routes tried first that failed to signal (error names), when the route is 'bootstrap'. */
  readonly neighbourFailures: readonly string[]
  /** Whether a neighbour route was known at all. */
  readonly hadNeighbourRoute: boolean
}

export interface DialFailure {
  readonly at: number
  readonly purpose: DialPurpose
  /** What each route tried said, in order (error names and the start of their messages). */
  readonly errors: readonly string[]
  readonly neighbourRoutes: number
}

function describe (err: unknown): string {
  return `${(err as Error)?.name ?? 'Error'}: ${String((err as Error)?.message ?? '').slice(0, 60)}`
}

/** Most dial records kept (for the bench's share; oldest dropped first). */
const MAX_RECORDS = 2048

export class NoRouteError extends Error {
  readonly kind = 'no-route' as const
  constructor () {
    super('no WebRTC address for that peer')
    this.name = 'NoRouteError'
  }
}

export class RelayedOnlyError extends Error {
  readonly kind = 'relayed-only' as const
  constructor () {
    super('only a relayed connection could be made')
    this.name = 'RelayedOnlyError'
  }
}

export interface DialerOptions {
  node: TabNode
  adjacency: Adjacency
  isDirect(connection: Connection): boolean
  /** Extra addresses when the peer store has none (relay-derived, from the caller). */
  fallbackAddresses?(peer: string): string[]
  random?: () => number
  sleep?: (ms: number) => Promise<void>
  /** Monotonic ms for the dial records (NetTimers.now). */
  now?: () => number
}

/**
 * Errors after which another signalling route cannot help: the WebRTC
 * transport's own (ICE or SDP failed) and running out of time.
 */
export function endsDial (err: unknown): boolean {
  const name = (err as Error | null)?.name ?? ''
  return name.startsWith('WebRTC') || name === 'SDPHandshakeFailedError' || name === 'TimeoutError' || name === 'AbortError'
}

export class Dialer {
  private readonly records: DialRecord[] = []
  private readonly failed: DialFailure[] = []
  private readonly startedAt: number
  private readonly now: () => number
  private readonly random: () => number
  private readonly sleep: (ms: number) => Promise<void>

  constructor (private readonly opts: DialerOptions) {
    this.now = opts.now ?? (() => performance.now())
    this.startedAt = this.now()
    this.random = opts.random ?? Math.random
    this.sleep = opts.sleep ?? (async (ms) => { await new Promise(resolve => setTimeout(resolve, ms)) })
  }

  /** Current direct connection to `peer`, if any. */
  existing (peer: string): Connection | undefined {
    return this.opts.node.getConnections(peerIdFromString(peer)).find(c => this.opts.isDirect(c))
  }

  async dial (peer: string, purpose: DialPurpose, signal?: AbortSignal): Promise<Connection> {
    const have = this.existing(peer)
    if (have != null) return have
    if (purpose === 'circuit') {
      await this.sleep(Math.floor(this.random() * CIRCUIT_DIAL_JITTER_MS))
      const raced = this.existing(peer)
      if (raced != null) return raced
    }
    const { adjacency } = this.opts
    const isNeighbour = (id: string): boolean => this.existing(id) != null
    const vias = adjacency.routesTo(peer, isNeighbour).slice(0, MAX_NEIGHBOUR_ROUTES)
    let lastError: unknown = null
    const failures: string[] = []
    for (const via of vias) {
      try {
        const conn = await this.dialOne([multiaddr(`/p2p/${via}/p2p-circuit/webrtc/p2p/${peer}`)], signal)
        this.record('neighbour', purpose, failures, true)
        return conn
      } catch (err) {
        lastError = err
        failures.push(describe(err))
        adjacency.forgetRoute(via, peer)
        if (endsDial(err) || signal?.aborted === true) {
          this.recordFailure(purpose, failures, vias.length)
          throw err
        }
      }
    }
    const addrs = await this.bootstrapAddresses(peer)
    try {
      if (addrs.length === 0) throw lastError ?? new NoRouteError()
      const conn = await this.dialOne(addrs, signal)
      this.record('bootstrap', purpose, failures, vias.length > 0)
      return conn
    } catch (err) {
      if (addrs.length > 0) failures.push(describe(err))
      else failures.push('no address through a bootstrap relay')
      this.recordFailure(purpose, failures, vias.length)
      throw err
    }
  }

  /** Dials that failed, with what each route said (diagnostics, bench). */
  dialFailures (): readonly DialFailure[] {
    return this.failed
  }

  private recordFailure (purpose: DialPurpose, errors: string[], neighbourRoutes: number): void {
    this.failed.push({ at: this.now() - this.startedAt, purpose, errors, neighbourRoutes })
    if (this.failed.length > MAX_RECORDS) this.failed.splice(0, this.failed.length - MAX_RECORDS)
  }

  /** Successful dials so far, by route (the bench reads them). */
  dialRecords (): readonly DialRecord[] {
    return this.records
  }

  private async bootstrapAddresses (peer: string): Promise<Multiaddr[]> {
    const fromStore = (await webrtcAddresses(this.opts.node, peerIdFromString(peer)))
      // Only addresses through a relay that is not a tab: a neighbour route is tried above.
      .filter(a => !a.toString().startsWith('/p2p/'))
    if (fromStore.length > 0) return fromStore
    return (this.opts.fallbackAddresses?.(peer) ?? []).map(a => multiaddr(a))
  }

  private async dialOne (addrs: Multiaddr[], signal?: AbortSignal): Promise<Connection> {
    const timeout = AbortSignal.timeout(ADDRESS_DIAL_TIMEOUT_MS)
    try {
      const conn = await this.opts.node.dial(addrs, { signal: signal != null ? AbortSignal.any([signal, timeout]) : timeout })
      if (!this.opts.isDirect(conn)) throw new RelayedOnlyError()
      return conn
    } catch (err) {
      // A failed dial may leave its relayed signalling connection open (up to
      // its 2-minute limit), holding a hop stream on the relay: close it.
      const peer = addrs[0]?.getComponents().findLast(c => c.name === 'p2p')?.value
      if (peer != null) {
        for (const c of this.opts.node.getConnections(peerIdFromString(peer))) {
          if (c.limits != null) void c.close().catch(() => { c.abort(new Error('dial failed')) })
        }
      }
      throw err
    }
  }

  private record (route: SignallingRoute, purpose: DialPurpose, neighbourFailures: string[], hadNeighbourRoute: boolean): void {
    this.records.push({ at: this.now() - this.startedAt, route, purpose, neighbourFailures, hadNeighbourRoute })
    if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS)
  }
}

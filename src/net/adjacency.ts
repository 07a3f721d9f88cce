/**
 * Who is a direct neighbour of whom, as far as this tab has heard.
 *
 * A neighbour's peer-exchange reply lists *its* direct WebRTC neighbours
 * (discovery.ts). Each of those can be reached for WebRTC signalling through
 * that neighbour: it runs a circuit-relay-v2 hop for its own neighbours, who
 * hold a reservation there (relay-control.ts). So to open a connection to a
 * tab C, a tab first looks here for one of its own neighbours that reported C,
 * and signals through it; only when there is none does the signalling go
 * through a bootstrap relay, which would otherwise see every connection a
 * circuit build opens (docs/NETWORK.md §Signalling).
 *
 * Pure bookkeeping with a clock; entries age out, and a neighbour that leaves
 * takes what it reported with it.
 */

/**
 * What a neighbour reported is trusted this long: tabs come and go, and a
 * stale route costs a failed signalling attempt. Neighbours are asked in turn
 * often enough to renew it (network.ts).
 */
export const ADJACENCY_TTL_MS = 90_000

/** Most peers remembered per neighbour (a peer-exchange reply lists at most 32). */
const MAX_PER_NEIGHBOUR = 64

export class Adjacency {
  /** neighbour → (peer it reported → when) */
  private readonly reported = new Map<string, Map<string, number>>()

  constructor (private readonly now: () => number = Date.now) {}

  /** `neighbour` said it is directly connected to `peers` (replaces what it said before). */
  record (neighbour: string, peers: readonly string[]): void {
    const at = this.now()
    const map = new Map<string, number>()
    for (const p of peers.slice(0, MAX_PER_NEIGHBOUR)) if (p !== neighbour) map.set(p, at)
    this.reported.set(neighbour, map)
  }

  /** The neighbour is gone: nothing it said helps any more. */
  forgetNeighbour (neighbour: string): void {
    this.reported.delete(neighbour)
  }

  /** Signalling through `via` to `target` failed: don't try that route again until `via` reports it anew. */
  forgetRoute (via: string, target: string): void {
    this.reported.get(via)?.delete(target)
  }

  /**
   * Neighbours through which `target` may be reached, freshest report first,
   * among those `isNeighbour` still confirms.
   */
  routesTo (target: string, isNeighbour: (peer: string) => boolean): string[] {
    const cutoff = this.now() - ADJACENCY_TTL_MS
    const routes: Array<{ via: string, at: number }> = []
    for (const [via, peers] of this.reported) {
      const at = peers.get(target)
      if (at == null || via === target) continue
      if (at < cutoff) {
        peers.delete(target)
        continue
      }
      if (isNeighbour(via)) routes.push({ via, at })
    }
    return routes.sort((a, b) => b.at - a.at).map(r => r.via)
  }

  /** Number of neighbours whose reports are held (tests, diagnostics). */
  get size (): number {
    return this.reported.size
  }
}

/**
 * Layer-2 vanguards (vanguards-lite, Tor proposal 333). The threat is guard
 * discovery: anyone can make an onion service build circuits to an endpoint
 * they name (the rendezvous point in an introduction, the introduction point
 * in a descriptor, a predictable HSDir). With guard → middle → endpoint, a
 * middle colluding with that endpoint recognises the circuit at once and has
 * the guard as its predecessor; asking again and again puts it there soon
 * (prop 333 §0 and prop 292, after Øverlier & Syverson, "Locating Hidden
 * Servers", 2006). Then only the guard stands between the adversary and the service.
 *
 * Prop 333's answer: onion-service circuits go guard → L2 → middle →
 * endpoint, where L2 is drawn from a small set ({@link L2_VANGUARD_COUNT})
 * chosen once and rotated slowly (each member lives max(X, X), X uniform in
 * [{@link L2_MIN_LIFETIME_MS}, {@link L2_MAX_LIFETIME_MS}]). The relay next to
 * the endpoint is then an ordinary middle whose predecessor is one of four L2
 * relays, never the guard; to reach the guard the adversary must first find
 * and then become (or watch) an L2 relay, and the set turns over before a
 * Sybil attack on it pays off (prop 292 §3.1).
 *
 * Simplified as for guards (guards.ts): nothing persists across sessions
 * (prop 333 does not write L2s to disk either), a member that leaves the
 * directory (or that the caller leaves out of `refresh`, believing it gone)
 * is replaced at once, as prop 333 replaces an L2 that leaves the consensus. Lifetimes are scaled to tab sessions
 * (limits.ts says why). Each circuit takes one member uniformly at random
 * among those usable for it (not its guard, not its endpoint, not excluded),
 * as prop 292's mesh does.
 */
import type { RandomSource } from '../random.ts'
import type { RelayDescriptor } from '../directory/descriptor.ts'
import { L2_MAX_LIFETIME_MS, L2_MIN_LIFETIME_MS, L2_VANGUARD_COUNT } from './limits.ts'
import { uniformInt, weightedIndex } from './sampling.ts'
import { relayWeight, weightCap } from './weights.ts'

export interface VanguardSetOptions {
  /** Randomness for sampling members and their lifetimes (seeded in tests). */
  readonly rng: RandomSource
  /** Current time, ms (rotation); a manual clock in tests. */
  readonly now: () => number
  /** Members kept (default {@link L2_VANGUARD_COUNT}). */
  readonly size?: number
}

export interface VanguardState {
  readonly peerId: string
  /** When this member is rotated out (ms, the same clock as `now`). */
  readonly expires: number
}

/**
 * A member's lifetime: max(X, X), X uniform in [min, max] (prop 333 §1, the
 * distribution prop 292 uses: it leans towards the longer lifetimes).
 */
export function vanguardLifetime (rng: RandomSource, min = L2_MIN_LIFETIME_MS, max = L2_MAX_LIFETIME_MS): number {
  const span = max - min + 1
  return min + Math.max(uniformInt(rng, span), uniformInt(rng, span))
}

export class VanguardSet {
  private readonly rng: RandomSource
  private readonly now: () => number
  private readonly size: number
  private list: Array<{ peerId: string, expires: number }> = []

  constructor (opts: VanguardSetOptions) {
    this.rng = opts.rng
    this.now = opts.now
    this.size = opts.size ?? L2_VANGUARD_COUNT
    if (!Number.isInteger(this.size) || this.size < 1) throw new RangeError('VanguardSet: size must be a positive integer')
  }

  /** The current members. */
  get vanguards (): readonly VanguardState[] {
    return this.list.map(v => ({ ...v }))
  }

  /**
   * Drop members that expired or left the directory, then sample new ones,
   * weighted by capped capacity, until the set is full or nothing is left.
   * Never samples `self`.
   */
  refresh (relays: readonly RelayDescriptor[], self: string): void {
    const now = this.now()
    const listed = new Map<string, RelayDescriptor>()
    for (const r of relays) if (r.capacity > 0 && r.peerId !== self && !listed.has(r.peerId)) listed.set(r.peerId, r)
    this.list = this.list.filter(v => v.expires > now && listed.has(v.peerId))
    if (this.list.length >= this.size) return
    const cap = weightCap(relays)
    const taken = new Set(this.list.map(v => v.peerId))
    const candidates = [...listed.values()].filter(r => !taken.has(r.peerId))
    while (this.list.length < this.size && candidates.length > 0) {
      const i = weightedIndex(this.rng, candidates.map(r => relayWeight(r, cap)))
      const [chosen] = candidates.splice(i, 1)
      this.list.push({ peerId: (chosen as RelayDescriptor).peerId, expires: now + vanguardLifetime(this.rng) })
    }
  }

  /**
   * The second hop of an onion-service circuit: after {@link refresh}, one
   * member chosen uniformly among those listed in `relays` and allowed by
   * `usable` (not excluded, not this circuit's guard, not in its guard's
   * network). Undefined when none is.
   */
  pick (relays: readonly RelayDescriptor[], self: string, usable: (r: RelayDescriptor) => boolean): RelayDescriptor | undefined {
    this.refresh(relays, self)
    const byId = new Map(relays.map(r => [r.peerId, r]))
    const candidates = this.list.map(v => byId.get(v.peerId)).filter((r): r is RelayDescriptor => r != null && usable(r))
    if (candidates.length === 0) return undefined
    return candidates[uniformInt(this.rng, candidates.length)]
  }
}

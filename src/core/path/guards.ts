/**
 * Entry guards (guard-spec, simplified). If every circuit used a fresh random
 * first hop, an adversary running a fraction f of relays would eventually be
 * the first hop of some circuit of every user (guard-spec §1). So a tab
 * keeps a small ordered set of guards for the session, and every circuit's
 * first hop is the first *usable* guard in that order (guard-spec §4.6: "return
 * the first such guard" from PRIMARY_GUARDS).
 *
 * What we keep from guard-spec: a small primary set ({@link DEFAULT_GUARD_COUNT},
 * guard-spec's N_PRIMARY_GUARDS = 3) sampled with bandwidth weights; ordered
 * use; guards that leave the directory are dropped (guard-spec removes
 * unlisted guards after `guard-remove-unlisted-guards-after-days`; we do it at
 * once). What we simplify, because relays are browser tabs that live minutes
 * to hours, not servers that live years: no persistent sample or confirmed
 * list across sessions (tab identity is per session anyway), no
 * GUARD_LIFETIME rotation (the session is shorter), and a guard that fails
 * {@link GUARD_MAX_FAILURES} times in a row is retired for the rest of the
 * session and replaced, rather than retried on a schedule (a tab that
 * stopped answering has almost always closed). Only the guard's own failures
 * may be reported to {@link GuardSet.markFailure} (guard-spec §4.8: we could
 * not reach it, or it did not answer its CREATE): whoever can fail a later
 * hop must not walk the tab to a new guard (app/onion/builder.ts decides).
 * A guard whose circuits fail beyond it far too often is retired through
 * {@link GuardSet.retire} by path bias (path-bias.ts). Retired guards are remembered
 * (up to {@link MAX_RETIRED_GUARDS}) so a flapping or malicious relay cannot
 * be re-sampled straight away.
 */
import type { RandomSource } from '../random.ts'
import type { RelayDescriptor } from '../directory/descriptor.ts'
import { weightedIndex } from './sampling.ts'
import { relayWeight, weightCap } from './weights.ts'

/** Guards kept per session (guard-spec N_PRIMARY_GUARDS). */
export const DEFAULT_GUARD_COUNT = 3

/** Consecutive failures of the guard's own (no channel to it, no CREATED from it) before it is retired and replaced. */
export const GUARD_MAX_FAILURES = 3

/** Retired guards remembered so they are not re-sampled; the oldest is forgotten beyond this. */
export const MAX_RETIRED_GUARDS = 64

export interface GuardSetOptions {
  /** Randomness for sampling new guards (seeded in tests). */
  readonly rng: RandomSource
  /** Guards to keep (default {@link DEFAULT_GUARD_COUNT}). */
  readonly size?: number
  /** Failures before replacement (default {@link GUARD_MAX_FAILURES}). */
  readonly maxFailures?: number
}

export interface GuardState {
  readonly peerId: string
  /** Consecutive failures since the last success. */
  readonly failures: number
}

export class GuardSet {
  private readonly rng: RandomSource
  private readonly size: number
  private readonly maxFailures: number
  private list: Array<{ peerId: string, failures: number }> = []
  private readonly retired: string[] = []

  constructor (opts: GuardSetOptions) {
    this.rng = opts.rng
    this.size = opts.size ?? DEFAULT_GUARD_COUNT
    this.maxFailures = opts.maxFailures ?? GUARD_MAX_FAILURES
    if (!Number.isInteger(this.size) || this.size < 1) throw new RangeError('GuardSet: size must be a positive integer')
    if (!Number.isInteger(this.maxFailures) || this.maxFailures < 1) throw new RangeError('GuardSet: maxFailures must be a positive integer')
  }

  /** The current guards, in order of preference. */
  get guards (): readonly GuardState[] {
    return this.list.map(g => ({ peerId: g.peerId, failures: g.failures }))
  }

  /** Peer ids retired this session (most recent last). */
  get retiredGuards (): readonly string[] { return [...this.retired] }

  /**
   * Bring the set up to date with the directory: drop guards no longer
   * listed in `relays` (expired, pruned or zero capacity), then sample new
   * ones, weighted by capped capacity, until the set is full or nothing is
   * left to sample. Never samples `self` or a retired relay.
   */
  refresh (relays: readonly RelayDescriptor[], self: string): void {
    const listed = new Map<string, RelayDescriptor>()
    for (const r of relays) if (r.capacity > 0 && r.peerId !== self && !listed.has(r.peerId)) listed.set(r.peerId, r)
    this.list = this.list.filter(g => listed.has(g.peerId))
    if (this.list.length >= this.size) return
    const cap = weightCap(relays)
    const taken = new Set([...this.list.map(g => g.peerId), ...this.retired])
    const candidates = [...listed.values()].filter(r => !taken.has(r.peerId))
    while (this.list.length < this.size && candidates.length > 0) {
      const i = weightedIndex(this.rng, candidates.map(r => relayWeight(r, cap)))
      const [chosen] = candidates.splice(i, 1)
      this.list.push({ peerId: (chosen as RelayDescriptor).peerId, failures: 0 })
    }
  }

  /**
   * The first-hop relay for a new circuit: after {@link refresh}, the first
   * guard (in order) that is listed in `relays` and not in `exclude`.
   * Undefined when no guard is usable for this circuit.
   */
  pick (relays: readonly RelayDescriptor[], self: string, exclude: ReadonlySet<string> = new Set()): RelayDescriptor | undefined {
    this.refresh(relays, self)
    for (const g of this.list) {
      if (exclude.has(g.peerId)) continue
      const r = relays.find(x => x.peerId === g.peerId)
      if (r != null) return r
    }
    return undefined
  }

  /** A circuit through `peerId` was built (or it answered): its failure count resets. */
  markSuccess (peerId: string): void {
    const g = this.list.find(x => x.peerId === peerId)
    if (g != null) g.failures = 0
  }

  /** Connecting to or building through `peerId` failed; at the limit it is retired. True when retired. */
  markFailure (peerId: string): boolean {
    const g = this.list.find(x => x.peerId === peerId)
    if (g == null) return false
    g.failures++
    if (g.failures < this.maxFailures) return false
    this.retire(peerId)
    return true
  }

  /** Retire a guard now (e.g. it misbehaved); the next refresh replaces it. */
  retire (peerId: string): void {
    this.list = this.list.filter(g => g.peerId !== peerId)
    if (!this.retired.includes(peerId)) {
      this.retired.push(peerId)
      if (this.retired.length > MAX_RETIRED_GUARDS) this.retired.shift()
    }
  }
}

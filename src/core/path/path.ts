/**
 * Path selection (path-spec §2, simplified): choose the hops of a circuit
 * from verified descriptors. Every hop is a distinct relay, never this tab and
 * never a peer in the excluded set (the destination: rendezvous or
 * introduction point, or relays that just failed), chosen with probability
 * proportional to its capped advertised capacity (./weights.ts). Like
 * path-spec §2.2 ("we do not choose more than one router in a given network
 * range, IPv4 /16 or IPv6 /32"), no two hops share a network hint when both
 * hints are known; tabs rarely know their address, so this usually does not
 * bind. With a {@link GuardSet}, the first hop is always a usable entry guard
 * (guard-spec); with a {@link VanguardSet} too, the second is one of its
 * layer-2 vanguards (prop 333, vanguards.ts: onion-service circuits); later
 * hops are drawn from the rest of the pool.
 *
 * Tor's path-spec picks exit, then guard, then middle with position-dependent
 * weights (Wgg, Wmd, …). Shallot has no exits (all traffic stays inside the
 * network) and no Guard flag (every tab may be a guard), so one weight serves
 * every position. Deterministic for a seeded {@link RandomSource}.
 */
import type { RandomSource } from '../random.ts'
import { networkHintKey, type RelayDescriptor } from '../directory/descriptor.ts'
import { NoPathError } from './errors.ts'
import type { GuardSet } from './guards.ts'
import type { VanguardSet } from './vanguards.ts'
import { weightedIndex } from './sampling.ts'
import { relayWeight, weightCap } from './weights.ts'

/** Hops per circuit unless asked otherwise (tor's default path length, path-spec §2). */
export const DEFAULT_PATH_LENGTH = 3

/** Longest path we will build (each hop costs a handshake and latency). */
export const MAX_PATH_LENGTH = 8

export interface PathOptions {
  /** This tab's peer id: never a hop. */
  readonly self: string
  /** Randomness (seeded in tests, the CSPRNG in production). */
  readonly rng: RandomSource
  /** Number of hops (default {@link DEFAULT_PATH_LENGTH}). */
  readonly hops?: number
  /** Peer ids that must not be hops (the destination, known-bad relays). */
  readonly exclude?: Iterable<string>
  /** When given, hop 0 is this set's first usable guard. */
  readonly guards?: GuardSet
  /** When given (with `guards`, at least 2 hops), hop 1 is one of this set's layer-2 vanguards (prop 333). */
  readonly vanguards?: VanguardSet
}

/**
 * Choose `hops` relays from `relays` (verified, unexpired descriptors, e.g.
 * `directory.list()` after `prune`). Throws {@link NoPathError} when the
 * constraints cannot be met.
 */
export function choosePath (relays: readonly RelayDescriptor[], opts: PathOptions): RelayDescriptor[] {
  const hops = opts.hops ?? DEFAULT_PATH_LENGTH
  if (!Number.isInteger(hops) || hops < 1 || hops > MAX_PATH_LENGTH) throw new RangeError(`choosePath: hops must be 1..${MAX_PATH_LENGTH}`)
  if (opts.vanguards != null && (opts.guards == null || hops < 2)) throw new RangeError('choosePath: vanguards need guards and at least 2 hops')
  const exclude = new Set(opts.exclude ?? [])
  exclude.add(opts.self)

  const seen = new Set<string>()
  const eligible: RelayDescriptor[] = []
  for (const r of relays) {
    if (r.capacity > 0 && !exclude.has(r.peerId) && !seen.has(r.peerId)) {
      seen.add(r.peerId)
      eligible.push(r)
    }
  }
  if (eligible.length < hops) throw new NoPathError(`need ${hops} relays, ${eligible.length} usable`, hops, eligible.length)

  const cap = weightCap(relays)
  const path: RelayDescriptor[] = []
  const usedHints = new Set<string>()
  const sharesNetwork = (r: RelayDescriptor): boolean => {
    const key = networkHintKey(r.networkHint)
    return key != null && usedHints.has(key)
  }
  const take = (r: RelayDescriptor): void => {
    path.push(r)
    const key = networkHintKey(r.networkHint)
    if (key != null) usedHints.add(key)
  }

  if (opts.guards != null) {
    // The full list, so a guard excluded for this circuit only (say, it is the
    // destination) stays in the set for the next one.
    const guard = opts.guards.pick(relays, opts.self, exclude)
    if (guard == null) throw new NoPathError('no usable entry guard', hops, eligible.length)
    take(guard)
  }

  if (opts.vanguards != null) {
    // Never resampled because none fits this circuit: an adversary who could
    // make members unusable would otherwise walk the set onto its own relays.
    const l2 = opts.vanguards.pick(relays, opts.self, (r) => r.capacity > 0 && !exclude.has(r.peerId) && !path.includes(r) && !sharesNetwork(r))
    if (l2 == null) throw new NoPathError('no usable layer-2 vanguard', hops, eligible.length)
    take(l2)
  }

  while (path.length < hops) {
    const candidates = eligible.filter(r => !path.includes(r) && !sharesNetwork(r))
    if (candidates.length === 0) {
      throw new NoPathError(`only ${path.length} of ${hops} hops possible (distinct relays in distinct networks)`, hops, eligible.length)
    }
    take(candidates[weightedIndex(opts.rng, candidates.map(r => relayWeight(r, cap)))] as RelayDescriptor)
  }
  return path
}

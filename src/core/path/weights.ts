/**
 * Path weights: how likely each relay is to be chosen for a hop.
 *
 * Tor weights relays by consensus bandwidth — measured by bandwidth
 * authorities, not self-reported (path-spec §2.2; dir-spec §3.4.1
 * `w Bandwidth=`), and caps what an unmeasured relay may claim. Shallot has no
 * measurers, so the weight is the relay's own advertised capacity, and a liar
 * could claim 2^32 KiB/s to attract every circuit. Two caps bound that:
 *
 *  1. relative: no relay weighs more than {@link MEDIAN_WEIGHT_MULTIPLIER} ×
 *     the median advertised capacity of the relays considered. With N honest
 *     relays of similar capacity, one liar's share of first picks is at most
 *     k / (N − 1 + k) (k = the multiplier), e.g. 4/13 ≈ 31% with N = 10 and
 *     under 4% with N = 100 — it grows only with the number of Sybils, which
 *     proof of work (DESIGN.md §7) is meant to price;
 *  2. absolute: no relay weighs more than {@link MAX_PATH_WEIGHT}, like tor's
 *     ceiling on believable self-advertised bandwidth.
 *
 * Honest fast tabs above k × median lose some share; we accept that to keep a
 * single liar from dominating. A capacity of 0 means "do not route through
 * me" and gives weight 0.
 */
import type { RelayDescriptor } from '../directory/descriptor.ts'

/** A relay weighs at most this multiple of the median advertised capacity. */
export const MEDIAN_WEIGHT_MULTIPLIER = 4

/** Absolute ceiling on any relay's weight: 10 240 KiB/s (10 MiB/s), as tor disbelieves self-reported bandwidth above ~10 MB/s. */
export const MAX_PATH_WEIGHT = 10_240

/** Lower median of positive integers (integer result); 0 for an empty list. */
function lowerMedian (values: number[]): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[(sorted.length - 1) >> 1] as number
}

/** The weight cap for a set of relays: min(MAX_PATH_WEIGHT, k × median capacity), at least 1. */
export function weightCap (relays: readonly RelayDescriptor[]): number {
  const median = lowerMedian(relays.map(r => r.capacity).filter(c => c > 0))
  return Math.max(1, Math.min(MAX_PATH_WEIGHT, MEDIAN_WEIGHT_MULTIPLIER * median))
}

/** The integer weight of `relay` under `cap` (from {@link weightCap}). */
export function relayWeight (relay: RelayDescriptor, cap: number): number {
  return Math.min(relay.capacity, cap)
}

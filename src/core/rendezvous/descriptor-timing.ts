/**
 * The times in a service descriptor, and when it is uploaded, chosen so they
 * say nothing about the tab (docs/RENDEZVOUS.md §4 "Timing", issue #13).
 *
 * The threat: a descriptor's header is in clear. When its revision was the
 * publish time in ms and its expiry publish time + a constant, anyone holding
 * the invite (who can fetch and open the descriptor) could match the service
 * to the relay descriptor that tab published at the same moment (hence a peer
 * id, hence an IP), and an HSDir could link a service's current and next
 * period descriptors, which carried the same revision and expiry. Now:
 *
 * - the revision is an order-preserving encoding of the time since the
 *   period's publishing window opened, keyed by a secret of that period, and
 *   shifted by a secret per-period offset: higher for a later publish within a
 *   period (an HSDir still replaces an older copy, rend-spec-v3 §2.4), equal
 *   after a reload (the key is derived, not stored), and from one value alone
 *   it reveals neither the time nor anything shared with another period.
 *   This is Tor's "encrypted time in period" revision counter (rend-spec-v3,
 *   revision-counter-mgt; Tor's crypto_ope.c, after Bebek 2002), plus the
 *   offset: Tor's output divided by its mean step reveals the time, which Tor
 *   accepts because it only hides clock skew; here the time itself is what
 *   links a service to its relay.
 * - the expiry is a function of the period alone (the end of the window in
 *   which clients still look the period up), the same for every service, as
 *   every Tor service writes the same descriptor-lifetime (3 h; rend-spec-v3
 *   §2.4 [DESC-OUTER]).
 * - uploads happen after a random first delay and at random intervals, drawn
 *   per period's descriptor (Tor: hs_service.c next_upload_time).
 */
import { chacha20 } from '@noble/ciphers/chacha.js'
import { hkdfSha256 } from '../crypto/primitives.ts'
import { uniformInt } from '../path/sampling.ts'
import type { RandomSource } from '../random.ts'
import {
  HS_FIRST_PUBLISH_DELAY_MAX_MS, HS_PERIOD_MS, HS_PERIOD_OVERLAP_MS, HS_REPUBLISH_MIN_MS, HS_REPUBLISH_MS,
  HS_REVISION_OFFSET_RANGE, HS_REVISION_STEP_MS
} from './constants.ts'
import { checkLen, utf8 } from './wire.ts'

const L_REVISION = utf8('shallot-hs-revision-v1')
/** Steps in one period's publishing window: from HS_PERIOD_OVERLAP_MS before its start to its end (spec §2). */
const REVISION_STEPS = (HS_PERIOD_MS + HS_PERIOD_OVERLAP_MS) / HS_REVISION_STEP_MS
/** Bytes of keystream for the offset: 6 for HS_REVISION_OFFSET_RANGE = 2^48. */
const OFFSET_BYTES = Math.log2(HS_REVISION_OFFSET_RANGE) / 8

/**
 * The revision counter of the descriptor for `period` published at `nowMs`
 * (spec §4): with k = ChaCha20(HKDF-SHA256(IKM = signingSeed, salt = "",
 * info = "shallot-hs-revision-v1", L = 32), nonce = 0) read as a 48-bit
 * big-endian offset O followed by little-endian u16 words w_0, w_1, …, and
 * s = ⌊(nowMs − (period·HS_PERIOD_MS − HS_PERIOD_OVERLAP_MS)) / 1 s⌋ clamped
 * to the window, revision = O + Σ_{i=0..s} (w_i + 1). Strictly increasing in
 * s; O hides where the sum starts. `signingSeed` is the period's
 * {@link descriptorSigningSeed}: secret, per period, and the same after a
 * reload. At most 2^48 + 4201·2^16 < 2^53, so it fits the u64 of the header.
 */
export function hsRevision (signingSeed: Uint8Array, period: number, nowMs: number): number {
  checkLen(signingSeed, 32, 'signing seed')
  if (!Number.isSafeInteger(period) || period < 0) throw new RangeError('hsRevision: period must be a non-negative integer')
  const windowStart = period * HS_PERIOD_MS - HS_PERIOD_OVERLAP_MS
  const s = Math.min(REVISION_STEPS, Math.max(0, Math.floor((nowMs - windowStart) / HS_REVISION_STEP_MS)))
  const key = hkdfSha256(signingSeed, new Uint8Array(0), L_REVISION, 32)
  const stream = chacha20(key, new Uint8Array(12), new Uint8Array(OFFSET_BYTES + 2 * (s + 1)))
  key.fill(0)
  let offset = 0
  for (let i = 0; i < OFFSET_BYTES; i++) offset = offset * 256 + (stream[i] as number)
  let sum = 0
  for (let i = 0; i <= s; i++) {
    const j = OFFSET_BYTES + 2 * i
    sum += (stream[j] as number) + 256 * (stream[j + 1] as number) + 1
  }
  return offset + sum
}

/**
 * When the descriptor for `period` expires (spec §4): when clients stop
 * looking that period up, HS_PERIOD_OVERLAP_MS into the next one (spec §2).
 * The same for every service, so it links nothing; at any time a service
 * publishes for `period` it is within HS_DESCRIPTOR_LIFETIME_MS.
 */
export function hsDescriptorExpires (period: number): number {
  return (period + 1) * HS_PERIOD_MS + HS_PERIOD_OVERLAP_MS
}

/** How long after an upload a descriptor is next uploaded: uniform in [HS_REPUBLISH_MIN_MS, HS_REPUBLISH_MS]. */
export function hsRepublishDelay (random: RandomSource): number {
  return HS_REPUBLISH_MIN_MS + uniformInt(random, HS_REPUBLISH_MS - HS_REPUBLISH_MIN_MS + 1)
}

/** How long a started service waits before its first upload: uniform in [0, HS_FIRST_PUBLISH_DELAY_MAX_MS]. */
export function hsFirstPublishDelay (random: RandomSource): number {
  return uniformInt(random, HS_FIRST_PUBLISH_DELAY_MAX_MS + 1)
}

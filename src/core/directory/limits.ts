/**
 * Limits of the relay directory's defences against a flood of cheap relay
 * identities (issue #13 item 3; docs/PROTOCOL.md "Directory flood"). Every
 * value here is a trade between an honest tab's cost and an attacker's; the
 * reasons are in the comments and in PROTOCOL.md.
 */

/**
 * Proof-of-work epoch length. The work binds a descriptor's signing key to an
 * epoch number (./work.ts), not to `published` or the descriptor bytes, so an
 * honest tab computes it once per epoch and every republish in between reuses
 * it. An hour covers three honest descriptor lifetimes (20 min each).
 */
export const RELAY_WORK_EPOCH_MS = 60 * 60_000

/**
 * Epochs accepted besides the current one: the previous one (a proof made
 * just before the epoch turned stays good while the tab computes the next),
 * and any epoch within the descriptor clock skew either side of `now`.
 */
export const RELAY_WORK_PAST_EPOCHS = 1

/**
 * Default minimum effort (expected blake2b attempts, Tor proposal 327's E)
 * when no bootstrap relay has announced one. Measured with
 * `node --import tsx scripts/measure-relay-work.mjs`: median 1.6 s, mean
 * 1.9 s of one core on the 2-core development machine with hash-wasm's
 * blake2b (what the tab's Web Worker uses), once an hour; an attacker pays
 * the same per identity (docs/PROTOCOL.md §8). Seeds announce their own
 * (`--relay-work-effort`).
 */
export const DEFAULT_RELAY_WORK_EFFORT = 3_000_000

/** Smallest effort a descriptor may carry: 1 means "any nonce" (proposal 327's effort 0 is "no PoW"). */
export const MIN_RELAY_WORK_EFFORT = 1

/** Largest effort (the field is a u32; at E = 2^32 − 1 only R = 0 or 1 pass). */
export const MAX_RELAY_WORK_EFFORT = 0xffff_ffff

/**
 * Most effort a tab spends on its own descriptor, whatever a seed or a full
 * directory asks: 16 × the default (about 30 s of a core here). Above it the
 * tab stays a client, chatting through others' relays.
 */
export const MAX_OWN_RELAY_WORK_EFFORT = 16 * DEFAULT_RELAY_WORK_EFFORT

/**
 * A republished descriptor moves to the front of gossip (its "listed" time is
 * renewed) at most this often. Honest tabs republish every 12 min (20 min
 * lifetime, 8 min margin); an identity that republishes every second to stay
 * first in every gossip reply gets the front no more often than this.
 */
export const RELIST_MIN_INTERVAL_MS = 5 * 60_000

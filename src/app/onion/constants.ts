/**
 * The onion layer's numbers, named in one place: path length, build tries,
 * how long a relay that failed is kept out of paths, when a guard's failure
 * is counted, and the wiring's polling intervals. The retry and avoidance
 * numbers are policy (path-policy.ts, builder.ts); change them there only
 * with the threat in mind: shorter avoidance walks paths back onto dead tabs,
 * longer lets a few failures shrink the set of relays a tab uses.
 */

/** Hops in a circuit (DESIGN.md §4: default 3, all distinct, never self). */
export const CIRCUIT_HOPS = 3

/**
 * Relays before the endpoint of an onion-service circuit: guard → layer-2
 * vanguard → middle (prop 333 §1), so the relay next to an endpoint someone
 * else chose is a middle whose predecessor is an L2 vanguard, never the guard.
 */
export const ONION_SERVICE_STEM_HOPS = 3
/**
 * The stem when the network is too small for {@link ONION_SERVICE_STEM_HOPS}
 * distinct relays besides this tab and the endpoint: guard → L2 (prop 333's
 * client rendezvous shape). The guard is still never next to the endpoint;
 * the old guard → middle path needed as many relays.
 */
export const SMALL_NETWORK_STEM_HOPS = 2

/** Tries for a circuit on a chosen path before giving up. */
export const BUILD_ATTEMPTS = 3

/**
 * A relay that could not be reached (its tab probably closed: its descriptor
 * outlives it by up to its lifetime) is kept out of paths and of the HSDir
 * ring for this long.
 */
export const UNREACHABLE_MS = 10 * 60_000
/** A relay that timed out is avoided for this long (it may only have been slow). */
export const SUSPECT_MS = 60_000

/** A guard's build failure is counted after this, unless the tab went offline meanwhile (liveness decides within ~9 s). */
export const GUARD_FAILURE_SETTLE_MS = 15_000
/** How often guard failures waiting to be counted are looked at. */
export const GUARD_FAILURE_CHECK_MS = GUARD_FAILURE_SETTLE_MS / 2

/** Bytes echoed by "Test circuit". */
export const TEST_ECHO_BYTES = 32

/** Wait after a connection opens before pulling descriptors over it (let it settle first). */
export const PULL_AFTER_OPEN_MS = 200
/** How often the UI's snapshot (circuits relayed, relays known) is refreshed. */
export const VIEW_REFRESH_MS = 2_000

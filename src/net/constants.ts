/**
 * Every limit of the tab peer's networking, named and documented in one place.
 * Timeouts are generous: a 2-core machine running a dozen tabs is slow to
 * answer, and a dial that times out early only costs another dial.
 */

/** Direct WebRTC connections a tab keeps by default (issue #2: bounded, configurable). */
export const DEFAULT_MAX_DIRECT_PEERS = 8

/** Whole-dial timeout (all addresses of one peer). libp2p's default of 10 s is too short for WebRTC on a busy machine. */
export const DIAL_TIMEOUT_MS = 30_000

/** Timeout for one address; WebRTC signalling through a relay plus ICE needs more than libp2p's 6 s default here. */
export const ADDRESS_DIAL_TIMEOUT_MS = 25_000

/** At most this many WebRTC dials run at once, so a joining tab does not swamp the CPU (dials are staggered). */
export const MAX_CONCURRENT_PEER_DIALS = 2

/** Delay between starting two peer dials. */
export const DIAL_STAGGER_MS = 250

/** How often the peer manager looks at its connections and decides what to dial. */
export const MAINTENANCE_INTERVAL_MS = 1_000

/** How often a tab asks for more peers while below its target; once at target, 6× less often. */
export const DISCOVERY_INTERVAL_MS = 3_000

/** Reconnect backoff (bootstrap relays and peers): first retry after this, doubling per failure… */
export const BACKOFF_BASE_MS = 1_000

/** …capped here, so a relay that comes back is found again within seconds. */
export const BACKOFF_MAX_MS = 8_000

/** Backoff cap for a peer that failed to connect several times (it may be gone). */
export const PEER_BACKOFF_MAX_MS = 60_000

/** How often each direct peer is pinged for the RTT shown in the Network panel. */
export const PING_INTERVAL_MS = 5_000

/** A ping that takes longer than this counts as failed. */
export const PING_TIMEOUT_MS = 10_000

/** Candidate peers remembered at most (learned via peer exchange). */
export const MAX_CANDIDATES = 256

/** Time allowed for one peer-exchange request. */
export const PEER_EXCHANGE_TIMEOUT_MS = 10_000

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

/** Time allowed to fetch ICE servers from a bootstrap relay. */
export const ICE_FETCH_TIMEOUT_MS = 10_000

/** TURN credentials are renewed at this fraction of their lifetime, so a new connection never uses ones about to expire. */
export const ICE_RENEW_FRACTION = 0.5

/** After a failed ICE-server fetch, ask again this much later (also the shortest renewal interval). */
export const ICE_RETRY_MS = 5_000

// ---- the tab's circuit-relay-v2 hop, for its neighbours' WebRTC signalling (relay-control.ts)

/** Reservations a tab holds for its neighbours at most (each neighbour holds one; neighbours can outnumber maxDirectPeers while circuits need them). */
export const TAB_RELAY_MAX_RESERVATIONS = 32

/** A neighbour's reservation lasts this long; the neighbour renews it 5 minutes before it ends (libp2p's refresh window). */
export const TAB_RELAY_RESERVATION_TTL_MS = 10 * 60_000

/** Relayed signalling connection limits: the bootstrap relay's (core/discovery/signalling.ts). */
export { SIGNALLING_DURATION_LIMIT_MS as TAB_RELAY_DURATION_LIMIT_MS, SIGNALLING_DATA_LIMIT_BYTES as TAB_RELAY_DATA_LIMIT_BYTES } from '../core/discovery/signalling.ts'

/** A hop request must be answered within this. */
export const TAB_RELAY_HOP_TIMEOUT_MS = 15_000

/**
 * Hop streams one neighbour may have open at once: each relayed connection
 * keeps its hop stream until it closes (a second after the direct connection
 * it set up opened, or when its dial fails).
 */
export const TAB_RELAY_MAX_HOP_STREAMS = 8

/** Stop streams the hop opens to one neighbour at once (one per relayed connection to it). */
export const TAB_RELAY_MAX_STOP_STREAMS = 16

// ---- dialing (dialer.ts)

/**
 * A dial made for a circuit (a hop extending to a tab it is not connected to)
 * waits a random time up to this first: otherwise whoever relays the
 * signalling sees hop i dial hop i+1 a few milliseconds after hop i−1 dialed
 * hop i, and can chain a pipelined build's connections.
 */
export const CIRCUIT_DIAL_JITTER_MS = 200

/** Signalling routes through neighbours tried per dial before the bootstrap relays. */
export const MAX_NEIGHBOUR_ROUTES = 2

// ---- liveness (liveness.ts)

/**
 * No answer over any connection (bootstrap relay or neighbour) for this long,
 * while pings were tried, means the tab lost the network (a cut uplink looks
 * like this: sockets stay open, nothing comes back).
 */
export const OFFLINE_AFTER_MS = 9_000

/** A ping used to decide liveness gives up after this (shorter than the RTT-display ping's timeout). */
export const LIVENESS_PING_TIMEOUT_MS = 4_000

/**
 * A tab with neighbours pings its bootstrap relays this seldom (the relay
 * pings its tabs as often, and serves thousands).
 */
export const BOOTSTRAP_PING_INTERVAL_MS = 30_000

/**
 * A neighbour that missed this many pings in a row while a *different*
 * connection answered is taken for gone and disconnected (pings.ts). One: a
 * dead neighbour must be noticed within seconds (its circuits are torn down
 * then), and "a different connection answered meanwhile" already rules out
 * this tab being the one that is offline or stalled.
 */
export const NEIGHBOUR_GONE_AFTER_MISSED_PINGS = 1

/**
 * A bootstrap relay that missed this many pings in a row is dropped and
 * dialled again, whoever else answers (pings.ts): a fresh connection is the
 * probe. Two, not one: dropping it costs the reservation neighbours signal
 * through.
 */
export const BOOTSTRAP_DROP_AFTER_MISSED_PINGS = 2

/**
 * Connected to a bootstrap relay, others known, no direct peer: after this long
 * (and at least {@link ISOLATED_AFTER_FAILED_DIALS} failed dials) the tab says
 * it cannot reach peers outside its own network instead of "connecting".
 */
export const ISOLATED_AFTER_MS = 20_000
export const ISOLATED_AFTER_FAILED_DIALS = 2

/**
 * A tab with neighbours dials only candidates a neighbour can signal to. Below
 * this many neighbours, and with no such candidate for
 * {@link BOOTSTRAP_DIAL_FALLBACK_MS}, it may dial through a bootstrap relay
 * again (a tab left with one neighbour that knows nobody must not stay stuck).
 */
export const NEIGHBOUR_ONLY_DIALS_FROM = 2
export const BOOTSTRAP_DIAL_FALLBACK_MS = 15_000

/** Between discovery rounds, one neighbour (in turn) is asked for its neighbours this often: with 8 neighbours each is asked about every 50 s, within the adjacency's lifetime (adjacency.ts). */
export const NEIGHBOUR_PX_INTERVAL_MS = 6_000

/** A new neighbour is asked for its neighbours this long after it connected (identify runs first)… */
export const NEIGHBOUR_PX_DELAY_MS = 500

/** …and again this long after, once its other neighbours' reservations on it have settled. */
export const NEIGHBOUR_PX_SETTLED_MS = 5_000

/** A relayed signalling connection is closed this long after the direct connection it set up opened (its last signalling messages are through by then). */
export const SIGNALLING_LINGER_MS = 1_000

/** Time allowed to dial a bootstrap relay (WebSocket, Noise, Yamux). */
export const BOOTSTRAP_DIAL_TIMEOUT_MS = 10_000

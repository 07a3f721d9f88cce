/**
 * Every limit and constant of the onion router, named and documented in one
 * place (the table in docs/PROTOCOL.md §7 "Limits" lists the same). A tab
 * relays for others only within these bounds, and drops relay work before it
 * hurts its own user (DESIGN.md §4 "Relay duty"). The channel layer's queue
 * bounds, which follow from the circuit window, are in ../channel/limits.ts.
 *
 * Relayed bytes are not metered by a rate of their own: SENDME windows and
 * the queue bounds limit what a circuit can push, and the capacity a tab
 * advertises ({@link ADVERTISED_CAPACITY_KIBPS}) is a path weight only.
 */

/** Most circuits this tab relays for others at once; a CREATE beyond it gets DESTROY(RESOURCELIMIT). */
export const MAX_RELAY_CIRCUITS = 512

/**
 * Most of those that come from one neighbour (a CREATE beyond → DESTROY
 * RESOURCELIMIT): a quarter, so no single neighbour can take the whole table
 * and refuse everyone else's circuits here (a cheap way to push honest builds
 * onto the attacker's relays). Tor's dos-spec bounds concurrent connections and
 * circuit creation per client address for the same reason.
 */
export const MAX_RELAY_CIRCUITS_PER_NEIGHBOUR = 128

/**
 * CREATE cells accepted per neighbour per second (token-bucket rate), and the
 * burst above it. Tor's DoS defence allows a client address 3 circuits/s with a
 * burst of 90 (dos-spec, DoSCircuitCreationRate/Burst); a Shallot neighbour is
 * often a relay carrying many users' circuits, so the sustained rate is higher
 * and the burst a little lower.
 */
export const CREATE_RATE_PER_SECOND = 20
export const CREATE_BURST = 60

/**
 * Circuit-level flow control (tor-spec §7.3): a sender may have this many
 * relay DATA cells unacknowledged on a circuit…
 */
export const CIRCUIT_WINDOW = 1000
/** …and each circuit-level SENDME acknowledges this many (tor-spec §7.3; §7.4's stream windows are 500/50). */
export const SENDME_INCREMENT = 100

/** A relayed circuit with no cell for this long is torn down (DESTROY FINISHED). Tor clients retire dirty circuits after 10 minutes (MaxCircuitDirtiness). */
export const IDLE_CIRCUIT_TIMEOUT_MS = 10 * 60_000

/**
 * Capacity a tab advertises in its descriptor, KiB/s (docs/PROTOCOL.md §8):
 * what one tab relays comfortably (bench: ~4 MB/s through a circuit). A path
 * weight, capped by path/weights.ts; nothing enforces it as a rate.
 */
export const ADVERTISED_CAPACITY_KIBPS = 1024

export interface RouterLimits {
  /** Most circuits this tab relays for others at once; CREATE beyond → DESTROY(RESOURCELIMIT). */
  maxRelayCircuits: number
  /** …of which from one neighbour (the previous hop) at most this many. */
  maxRelayCircuitsPerNeighbour: number
  /** Most circuits this tab has open as a client. */
  maxClientCircuits: number
  /** CREATE cells accepted per neighbour per second (token-bucket rate)… */
  createRatePerSecond: number
  /** …and the burst allowed above that rate. */
  createBurst: number
  /** A relayed circuit with no cell for this long is torn down (DESTROY FINISHED). */
  idleCircuitMs: number
  /** A circuit build (all hops) that takes longer fails with a timeout. */
  buildTimeoutMs: number
  /** One hop's CREATE/EXTEND (including a fresh WebRTC connection from its predecessor) that takes longer fails the build. */
  hopTimeoutMs: number
  /** Circuit-level flow control (tor-spec §7.3): cells one side may send before a SENDME… */
  circuitWindow: number
  /** …and how many delivered cells each SENDME acknowledges (tor-spec §7.4). */
  sendmeIncrement: number
  /** Introduction points this tab serves at once (ESTABLISH_INTRO beyond → protocol error, circuit destroyed). */
  maxIntroPoints: number
  /** Rendezvous cookies waiting for their RENDEZVOUS1 at once (ESTABLISH_RENDEZVOUS beyond → destroyed). */
  maxPendingRendezvous: number
  /** A rendezvous cookie not joined within this long is forgotten and its circuit closed (rend-spec-v3 §4.1). */
  rendezvousTimeoutMs: number
  /** INTRODUCE2 cells an introduction point passes to one service per second, and the burst (rend-spec-v3 §3.2 DoS defences, simplified); beyond → INTRODUCE_ACK refused. */
  introduceRatePerSecond: number
  introduceBurst: number
  /**
   * HSDIR_STOREs accepted from one neighbour (the previous hop) per second, and
   * the burst; beyond → HSDIR_STORED refused. With one HSDir request per circuit
   * and a store that refuses rather than evicts when full, a flood fills the
   * store slowly and flushes nothing (docs/RENDEZVOUS.md §4).
   */
  hsdirStoreRatePerSecond: number
  hsdirStoreBurst: number
  /** Control replies (INTRO_ESTABLISHED, HSDIR_FOUND, …) a client waits for before giving up. */
  controlTimeoutMs: number
}

/**
 * Onionskins kept ready (onionskin.ts): the next build's first hop, and the
 * hops of a path the app chose ahead (app/onion/path-policy.ts), with room for one such
 * set to linger…
 */
export const MAX_PREPARED_ONIONSKINS = 8
/** …and each is kept at most this long; an older one is wiped and made anew. */
export const PREPARED_ONIONSKIN_TTL_MS = 10 * 60_000

/**
 * Longest a hop holds an onward CREATE's CREATED waiting for its successor's
 * (docs/PROTOCOL.md §7 "Building with an onward header"). Over open links the
 * answer comes in milliseconds; a fresh WebRTC connection takes 150–300 ms here.
 */
export const ONWARD_HOLD_MS = 250

/**
 * Client ephemerals X of onward CREATEs a relay remembers (../replay-cache.ts):
 * 64 hex characters each, ≈ 1 MiB at most with the Set's overhead. Onion keys
 * live only as long as the tab, so an entry can matter only that long.
 */
export const ONWARD_REPLAY_CACHE_MAX = 8192

/**
 * Cells per write() of the sink test endpoint (endpoints.ts). Large, so the
 * cells of one write leave in full channel batches (a write of n cells is sent
 * in ceil(n / batch) messages; 16-cell writes made a 15-cell and a 1-cell one).
 */
export const SINK_CHUNK_CELLS = 240

export const DEFAULT_ROUTER_LIMITS: RouterLimits = Object.freeze({
  maxRelayCircuits: MAX_RELAY_CIRCUITS,
  maxRelayCircuitsPerNeighbour: MAX_RELAY_CIRCUITS_PER_NEIGHBOUR,
  maxClientCircuits: 64,
  createRatePerSecond: CREATE_RATE_PER_SECOND,
  createBurst: CREATE_BURST,
  idleCircuitMs: IDLE_CIRCUIT_TIMEOUT_MS,
  buildTimeoutMs: 30_000,
  hopTimeoutMs: 6_000,
  circuitWindow: CIRCUIT_WINDOW,
  sendmeIncrement: SENDME_INCREMENT,
  maxIntroPoints: 256,
  maxPendingRendezvous: 256,
  rendezvousTimeoutMs: 60_000,
  introduceRatePerSecond: 10,
  introduceBurst: 50,
  hsdirStoreRatePerSecond: 1,
  hsdirStoreBurst: 20,
  controlTimeoutMs: 15_000
})

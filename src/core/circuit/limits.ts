/**
 * Every limit of the onion router, named and documented. A tab relays for
 * others only within these bounds, and drops relay work before it hurts its
 * own user (DESIGN.md §4 "Relay duty").
 */
import { CIRCUIT_WINDOW, CREATE_BURST, CREATE_RATE_PER_SECOND, IDLE_CIRCUIT_TIMEOUT_MS, MAX_RELAY_CIRCUITS, SENDME_INCREMENT } from '../channel/limits.ts'

export interface RouterLimits {
  /** Most circuits this tab relays for others at once; CREATE beyond → DESTROY(RESOURCELIMIT). */
  maxRelayCircuits: number
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
  /** Control replies (INTRO_ESTABLISHED, HSDIR_FOUND, …) a client waits for before giving up. */
  controlTimeoutMs: number
}

/**
 * Onionskins kept ready (onionskin.ts): the next build's first hop, and the
 * hops of a path the app chose ahead (app/onion.ts), with room for one such
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

export const DEFAULT_ROUTER_LIMITS: RouterLimits = {
  maxRelayCircuits: MAX_RELAY_CIRCUITS,
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
  controlTimeoutMs: 15_000
}

/**
 * Relay limits: every bound a tab applies to the work it does for others,
 * named and documented in one place (DESIGN.md §4 "Relay duty": relay within
 * limits, and drop relay work before the user's own experience suffers). The
 * channel scheduler and token buckets in this folder enforce the queue and
 * rate limits; the circuit layer enforces the circuit counts, idle timeout and
 * SENDME windows.
 */

/** Most circuits this tab relays for others at once; a CREATE beyond it gets DESTROY(RESOURCELIMIT). */
export const MAX_RELAY_CIRCUITS = 512

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
 * Relayed bytes per second for the whole tab, and the burst (in bytes). Half a
 * MiB/s is a fraction of a typical home uplink, so the user's own traffic keeps
 * room; it is also what a tab should advertise as its capacity (in KiB/s).
 */
export const RELAY_BYTES_PER_SECOND = 512 * 1024
export const RELAY_BYTES_BURST = 2 * 1024 * 1024

/**
 * Circuit-level flow control (tor-spec §7.3): a sender may have this many
 * relay DATA cells unacknowledged on a circuit…
 */
export const CIRCUIT_WINDOW = 1000
/** …and each circuit-level SENDME acknowledges this many (tor-spec §7.3; §7.4's stream windows are 500/50). */
export const SENDME_INCREMENT = 100

/**
 * Cells one circuit may have queued on one channel. A sender that respects
 * the window never has more than {@link CIRCUIT_WINDOW} data cells in flight,
 * plus a few control cells (SENDME, DESTROY), so a full window plus one
 * increment of slack never overflows an honest circuit; more means the peer
 * ignores flow control and the circuit is torn down (tor kills such circuits
 * too, with a much larger limit, circ_max_cell_queue_size).
 */
export const MAX_CELLS_PER_CIRCUIT_QUEUE = CIRCUIT_WINDOW + SENDME_INCREMENT

/**
 * Cells queued on one channel across all its circuits: 4096 cells = 4 MiB at
 * 1024-byte cells. Several full windows could exceed it when the neighbour
 * reads slowly; then the net layer destroys the circuit with the most queued
 * cells ({@link CellScheduler.heaviestCircuit}, like tor's OOM handler) rather
 * than grow memory.
 */
export const MAX_CELLS_PER_CHANNEL_QUEUE = 4096

/** A relayed circuit with no cell for this long is torn down (DESTROY FINISHED). Tor clients retire dirty circuits after 10 minutes (MaxCircuitDirtiness). */
export const IDLE_CIRCUIT_TIMEOUT_MS = 10 * 60_000

/** The limits as one object, for passing around and overriding in tests. */
export interface RelayLimits {
  readonly maxRelayCircuits: number
  readonly createRatePerSecond: number
  readonly createBurst: number
  readonly relayBytesPerSecond: number
  readonly relayBytesBurst: number
  readonly circuitWindow: number
  readonly sendmeIncrement: number
  readonly maxCellsPerCircuitQueue: number
  readonly maxCellsPerChannelQueue: number
  readonly idleCircuitMs: number
}

export const RELAY_LIMITS: RelayLimits = Object.freeze({
  maxRelayCircuits: MAX_RELAY_CIRCUITS,
  createRatePerSecond: CREATE_RATE_PER_SECOND,
  createBurst: CREATE_BURST,
  relayBytesPerSecond: RELAY_BYTES_PER_SECOND,
  relayBytesBurst: RELAY_BYTES_BURST,
  circuitWindow: CIRCUIT_WINDOW,
  sendmeIncrement: SENDME_INCREMENT,
  maxCellsPerCircuitQueue: MAX_CELLS_PER_CIRCUIT_QUEUE,
  maxCellsPerChannelQueue: MAX_CELLS_PER_CHANNEL_QUEUE,
  idleCircuitMs: IDLE_CIRCUIT_TIMEOUT_MS
})

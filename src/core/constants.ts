/**
 * Protocol-wide constants shared by every core module. Each is a named,
 * documented limit (see docs/PROTOCOL.md); change one only with a benchmark.
 */

/** Every cell on every link is exactly this many bytes, circuit id and command included. */
export const CELL_SIZE = 1024

/** Bytes of the circuit id at the start of each cell (big-endian u32, tor-spec §3 uses 4 bytes on link protocol ≥ 4). */
export const CIRC_ID_LEN = 4

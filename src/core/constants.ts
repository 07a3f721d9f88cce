/**
 * Protocol-wide constants shared by every core module. Each is a named,
 * documented limit (see docs/PROTOCOL.md); change one only with a benchmark.
 */

/**
 * Every cell on every link is exactly this many bytes, circuit id and command included.
 * 1026, not 1024: CGO's 16-byte tag (prop 359) made the relay header 21 bytes
 * instead of tor1's 11, and the largest onion-service descriptor (999 bytes,
 * 3 introduction points with 128-byte peer ids) plus HSDIR_FOUND's flag byte
 * must still fit one relay cell's data (RELAY_DATA_MAX = 1000). 15 cells per
 * WebRTC message (net/channel.ts) stay under its 16 KiB.
 */
export const CELL_SIZE = 1026

/** Bytes of the circuit id at the start of each cell (big-endian u32, tor-spec §3 uses 4 bytes on link protocol ≥ 4). */
export const CIRC_ID_LEN = 4

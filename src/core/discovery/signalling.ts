/**
 * Limits of a relayed (circuit-relay-v2) connection that carries WebRTC
 * signalling, the same on a bootstrap relay and on a tab relaying for its
 * neighbours: long enough and large enough for an SDP offer and answer and a
 * few ICE candidates (a few KiB in all), far too small to carry a chat. These
 * are libp2p's own defaults (go-libp2p circuitv2 `resources.go`), kept.
 */

/** A relayed signalling connection lives at most this long. */
export const SIGNALLING_DURATION_LIMIT_MS = 2 * 60 * 1000

/** A relayed signalling connection carries at most this many bytes each way. */
export const SIGNALLING_DATA_LIMIT_BYTES = 131_072n

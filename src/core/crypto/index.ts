/**
 * Onion-protocol cryptography (the crypto half of arti's `tor-proto`): the
 * ntor handshake and the per-hop relay crypto, over primitive wrappers that
 * the published vectors check.
 */
export * from './primitives.ts'
export * from './ntor.ts'
export * from './cgo.ts'
export * from './onward.ts'

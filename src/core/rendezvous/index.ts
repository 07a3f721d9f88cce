/**
 * Onion services, rendezvous and end-to-end sessions (docs/RENDEZVOUS.md
 * §2–7): descriptors and the HSDir hash ring, the relay-cell bodies, the
 * INTRODUCE encryption and the end-to-end handshake, and the fixed-size
 * end-to-end frames.
 */
export * from './constants.ts'
export * from './errors.ts'
export * from './descriptor.ts'
export * from './descriptor-timing.ts'
export * from './hsdir-store.ts'
export * from './hash-ring.ts'
export * from './cells.ts'
export * from '../replay-cache.ts'
export * from './introduce.ts'
export * from './invite-proof.ts'
export * from './handshake.ts'
export * from './static-key.ts'
export * from './session.ts'
export * from './limiter.ts'

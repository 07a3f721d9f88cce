/**
 * Onion services for the tab's identity (docs/RENDEZVOUS.md): the service
 * side (./service.ts: introduction points, descriptor publication, answering
 * introductions), the client side (./client.ts: descriptor fetch, rendezvous,
 * handshake), HSDir access (./hsdir.ts), the descriptor cache, errors with
 * kinds and timing constants. Chat uses it, and next groups and files: what
 * a session carries is theirs; this layer only proves whose key is at the
 * other end.
 */
export * from './constants.ts'
export * from './errors.ts'
export * from './types.ts'
export { DescriptorCache } from './descriptor-cache.ts'
export { HsdirFoundCollector, fetchAt, storeAt, storeAtAll } from './hsdir.ts'
export { HiddenService } from './service.ts'
export { connectToContact, fetchDescriptor, introduceAt, RendezvousWait } from './client.ts'

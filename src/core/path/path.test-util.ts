/** Test helpers: unsigned descriptors for path selection (path code trusts its caller to pass verified ones). */
import type { NetworkHint, RelayDescriptor } from '../directory/descriptor.ts'

export function fakeRelay (peerId: string, capacity = 100, networkHint: NetworkHint | null = null): RelayDescriptor {
  return {
    version: 1,
    peerId,
    onionKey: new Uint8Array(32).fill(1),
    signingKey: new Uint8Array(32).fill(2),
    published: 0,
    expires: 1,
    capacity,
    maxCircuits: 512,
    networkHint,
    powNonce: null
  }
}

export function ipv4 (a: number, b: number): NetworkHint {
  return { family: 'ipv4', prefix: Uint8Array.of(a, b) }
}

/** n relays named r0..r(n-1), capacity 100. */
export function fakeRelays (n: number, capacity = 100): RelayDescriptor[] {
  return Array.from({ length: n }, (_, i) => fakeRelay(`r${i}`, capacity))
}

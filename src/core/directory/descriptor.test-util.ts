/**
 * Test helpers: deterministic relay keys and signed descriptors. Test-only
 * (imported by *.test.ts); uses noble directly with keys from a seeded source.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { seededRandom } from '../random.ts'
import { ed25519Signer, signDescriptor, type DescriptorFields } from './descriptor.ts'
import { encodeRelayWorkProof, relayWorkEpoch, solveRelayWork } from './work.ts'

export interface TestRelayKeys {
  readonly signingSecret: Uint8Array
  readonly signingKey: Uint8Array
  readonly onionKey: Uint8Array
}

/** Keys derived from a seed string, so every test run sees the same bytes. */
export function testRelayKeys (seed: string): TestRelayKeys {
  const rnd = seededRandom(`relay-keys:${seed}`)
  const signingSecret = rnd(32)
  return { signingSecret, signingKey: ed25519.getPublicKey(signingSecret), onionKey: x25519.getPublicKey(rnd(32)) }
}

/** Descriptor fields for `peerId` with sensible defaults (published = now, 20 min lifetime as honest tabs claim). */
export function testDescriptorFields (peerId: string, now: number, over: Partial<DescriptorFields> = {}): DescriptorFields {
  const keys = testRelayKeys(peerId)
  const signingKey = over.signingKey ?? keys.signingKey
  return {
    peerId,
    onionKey: keys.onionKey,
    signingKey,
    published: now,
    expires: now + 20 * 60_000,
    capacity: 100,
    maxCircuits: 512,
    networkHint: null,
    powNonce: testWorkProof(signingKey, now, 1),
    ...over
  }
}

/** A signed encoded descriptor for `peerId` (signed with the key derived from `keySeed`, default the peer id). */
export async function testDescriptorBytes (peerId: string, now: number, over: Partial<DescriptorFields> = {}, keySeed = peerId): Promise<Uint8Array> {
  const keys = testRelayKeys(keySeed)
  return signDescriptor(testDescriptorFields(peerId, now, { signingKey: keys.signingKey, ...over }), ed25519Signer(keys.signingSecret))
}

/** An encoded proof of work (./work.ts) for `signingKey` in the epoch of `now`; effort 1 passes at the first nonce. */
export function testWorkProof (signingKey: Uint8Array, now: number, effort: number): Uint8Array {
  return encodeRelayWorkProof(solveRelayWork({ signingKey, epoch: relayWorkEpoch(now), effort }, new Uint8Array(16)))
}

/**
 * Test helpers for the rendezvous modules: deterministic identities (seed,
 * public key, async signer), introduction points, descriptor content and a
 * low-level re-wrapper that builds outer descriptors around arbitrary inner
 * bytes, for tests of the reader checks. Test-only (imported by *.test.ts).
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { concatBytes } from '../bytes.ts'
import { x25519PublicKey } from '../crypto/primitives.ts'
import { ed25519PublicKeyFromSeed, ed25519SignWithSeed } from '../identity/keys.ts'
import { type RandomSource, seededRandom } from '../random.ts'
import { HS_PERIOD_MS } from './constants.ts'
import { descriptorId, descriptorKey, descriptorSigningSeed, type HsDescriptorContent, type IntroPointInfo, type Signer } from './descriptor.ts'
import { u64, utf8 } from './wire.ts'

/** A fixed time 20 minutes into a period. */
export const NOW = 491_000 * HS_PERIOD_MS + 20 * 60_000

export interface TestIdentity { readonly seed: Uint8Array, readonly publicKey: Uint8Array, readonly sign: Signer }

export function testIdentity (seed: Uint8Array): TestIdentity {
  const s = seed.slice()
  return { seed: s, publicKey: ed25519PublicKeyFromSeed(s), sign: async (m) => ed25519SignWithSeed(s, m) }
}

export function testIntroPoints (r: RandomSource, n = 3): IntroPointInfo[] {
  return Array.from({ length: n }, (_, i) => ({ peerId: `12D3KooWIntroPoint${i}`, nodeId: r(32), onionKey: x25519PublicKey(r(32)), authId: r(32) }))
}

export function testContent (id: TestIdentity, r: RandomSource, over: Partial<HsDescriptorContent> = {}): HsDescriptorContent {
  const period = over.period ?? Math.floor(NOW / HS_PERIOD_MS)
  return {
    identityKey: id.publicKey,
    introEncKey: x25519PublicKey(r(32)),
    introPoints: testIntroPoints(r),
    period,
    revision: NOW,
    expires: NOW + HS_PERIOD_MS,
    ...over
  }
}

export const rnd = (label: string): RandomSource => seededRandom(`rendezvous-test:${label}`)

/** Descriptor bytes before the nonce (spec §4): version, descId, period, revision, expires, signingKey, ctLen. */
export const HEADER_LEN = 1 + 32 + 8 + 8 + 8 + 32 + 2

/** Decrypt a descriptor's inner part (no checks). */
export function innerOf (bytes: Uint8Array, identityKey: Uint8Array, period: number): Uint8Array {
  const header = bytes.subarray(0, HEADER_LEN)
  const ctLen = ((bytes[HEADER_LEN - 2] as number) << 8) | (bytes[HEADER_LEN - 1] as number)
  return xchacha20poly1305(descriptorKey(identityKey, period), bytes.subarray(HEADER_LEN, HEADER_LEN + 24), header).decrypt(bytes.subarray(HEADER_LEN + 24, HEADER_LEN + 24 + ctLen))
}

/** Build a correctly signed outer descriptor for `identityKey`'s id around arbitrary inner bytes. */
export async function wrapInner (o: {
  identityKey: Uint8Array, period: number, revision: number, expires: number, signingSeed: Uint8Array, inner: Uint8Array, version?: number
}): Promise<Uint8Array> {
  const signingKey = ed25519PublicKeyFromSeed(o.signingSeed)
  const ctLen = o.inner.length + 16
  const header = concatBytes(Uint8Array.of(o.version ?? 1), descriptorId(o.identityKey, o.period), u64(o.period), u64(o.revision), u64(o.expires), signingKey, Uint8Array.of(ctLen >> 8, ctLen & 255))
  const nonce = new Uint8Array(24).fill(7)
  const ct = xchacha20poly1305(descriptorKey(o.identityKey, o.period), nonce, header).encrypt(o.inner)
  const signed = concatBytes(header, nonce, ct)
  return concatBytes(signed, ed25519SignWithSeed(o.signingSeed, concatBytes(utf8('shallot-hs-desc-outer-v1'), signed)))
}

export { descriptorSigningSeed }

/**
 * Randomness is injected, never global: every core function that needs random
 * bytes takes a {@link RandomSource}. Production passes {@link systemRandom}
 * (the platform CSPRNG, `crypto.getRandomValues`, through @noble/hashes);
 * tests pass {@link seededRandom}, a deterministic ChaCha20 keystream, so
 * handshakes and padded cells are reproducible test vectors.
 */
import { chacha20 } from '@noble/ciphers/chacha.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { randomBytes } from '@noble/hashes/utils.js'

/** Returns `n` fresh random bytes (a new array each call). */
export type RandomSource = (n: number) => Uint8Array

/** The platform CSPRNG (Web Crypto `getRandomValues`, present in browsers, workers and Node ≥ 19). */
export const systemRandom: RandomSource = (n) => randomBytes(n)

/**
 * Deterministic random source for tests ONLY: the ChaCha20 keystream (RFC 8439)
 * under key SHA-256(seed) and an all-zero nonce, consumed sequentially. The same
 * seed always yields the same byte sequence, however it is split into calls.
 */
export function seededRandom (seed: string | Uint8Array): RandomSource {
  const key = sha256(typeof seed === 'string' ? new TextEncoder().encode(seed) : seed)
  const nonce = new Uint8Array(12)
  const zero = new Uint8Array(64)
  const block = new Uint8Array(64)
  let counter = 0
  let used = 64
  return (n) => {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) {
      if (used === 64) { chacha20(key, nonce, zero, block, counter++); used = 0 }
      out[i] = block[used++] as number
    }
    return out
  }
}

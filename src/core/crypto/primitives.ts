/**
 * Thin wrappers over @noble for the primitives the onion protocol uses, so the
 * rest of core has one place that maps library errors to ProtocolErrors and one
 * place the published test vectors check: X25519 (RFC 7748), HMAC-SHA256
 * (RFC 2104), HKDF-SHA256 (RFC 5869) and ChaCha20 (RFC 8439).
 */
import { chacha20 } from '@noble/ciphers/chacha.js'
import { x25519 } from '@noble/curves/ed25519.js'
import { expand, extract, hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { isAllZero } from '../bytes.ts'
import { LowOrderPointError, MalformedCellError } from '../errors.ts'
import type { RandomSource } from '../random.ts'

export const X25519_KEY_LEN = 32

export interface X25519Keypair {
  readonly secret: Uint8Array
  readonly publicKey: Uint8Array
}

/** Fresh X25519 key pair from injected randomness (the scalar is clamped inside X25519, RFC 7748 §5). */
export function x25519Keypair (random: RandomSource): X25519Keypair {
  const secret = random(X25519_KEY_LEN)
  if (secret.length !== X25519_KEY_LEN) throw new RangeError('random source returned the wrong length')
  return { secret, publicKey: x25519.getPublicKey(secret) }
}

/** Public key for a secret scalar. */
export function x25519PublicKey (secret: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secret)
}

/**
 * X25519(secret, publicKey). A public key of small order (which gives an
 * all-zero shared secret) throws LowOrderPointError: RFC 7748 §6.1 and
 * tor-spec §5.1.4 ("check that none of the EXP() operations produced the point
 * at infinity"). noble rejects the known low-order u-coordinates before the
 * ladder; we also check the output for all zeros as the RFCs describe.
 */
export function x25519Shared (secret: Uint8Array, publicKey: Uint8Array): Uint8Array {
  if (publicKey.length !== X25519_KEY_LEN) throw new MalformedCellError('X25519 public key must be 32 bytes')
  let out: Uint8Array
  try {
    out = x25519.getSharedSecret(secret, publicKey)
  } catch {
    throw new LowOrderPointError()
  }
  if (isAllZero(out)) throw new LowOrderPointError()
  return out
}

export function sha256 (data: Uint8Array): Uint8Array { return nobleSha256(data) }

/** HMAC-SHA256(key, msg) (RFC 2104). */
export function hmacSha256 (key: Uint8Array, msg: Uint8Array): Uint8Array { return hmac(nobleSha256, key, msg) }

/** HKDF-SHA256 (RFC 5869) extract + expand. */
export function hkdfSha256 (ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return hkdf(nobleSha256, ikm, salt, info, length)
}

/** HKDF-Extract (RFC 5869 §2.2): PRK = HMAC-SHA256(salt, IKM). */
export function hkdfExtract (ikm: Uint8Array, salt: Uint8Array): Uint8Array { return extract(nobleSha256, ikm, salt) }

/** HKDF-Expand (RFC 5869 §2.3). */
export function hkdfExpand (prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return expand(nobleSha256, prk, info, length)
}

/**
 * ChaCha20 (RFC 8439 §2.4): XOR `data` with the keystream of (key, 12-byte
 * nonce) starting at 64-byte block `counter`. In place when `out === data`.
 */
export function chacha20Xor (key: Uint8Array, nonce: Uint8Array, counter: number, data: Uint8Array, out?: Uint8Array): Uint8Array {
  return chacha20(key, nonce, data, out, counter)
}

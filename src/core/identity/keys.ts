/**
 * Ed25519 key encodings (RFC 8032 §5.1.5: the private key is a 32-byte seed,
 * the public key 32 bytes) and the PKCS#8 wrapping Web Crypto exports and
 * imports (RFC 8410 §7: OneAsymmetricKey with the id-Ed25519 OID 1.3.101.112
 * and the seed as a 32-byte OCTET STRING inside the privateKey OCTET STRING).
 * Verification uses noble's RFC 8032 implementation, which accepts the
 * signatures Web Crypto's Ed25519 makes.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { concatBytes, ctEqual } from '../bytes.ts'

export const ED25519_SEED_LEN = 32
export const ED25519_PUBLIC_KEY_LEN = 32
export const ED25519_SIGNATURE_LEN = 64

/** The fixed DER prefix of an Ed25519 PKCS#8 private key without the optional public key (RFC 8410 §10.3). */
const PKCS8_ED25519_PREFIX = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])

/** The seed inside a PKCS#8 Ed25519 key as Web Crypto exports it; RangeError for any other shape. */
export function seedFromPkcs8 (der: Uint8Array): Uint8Array {
  if (der.length !== PKCS8_ED25519_PREFIX.length + ED25519_SEED_LEN || !ctEqual(der.subarray(0, PKCS8_ED25519_PREFIX.length), PKCS8_ED25519_PREFIX)) {
    throw new RangeError('not an RFC 8410 Ed25519 PKCS#8 private key')
  }
  return der.slice(PKCS8_ED25519_PREFIX.length)
}

/** PKCS#8 DER for a 32-byte Ed25519 seed, for Web Crypto `importKey('pkcs8', …)`. */
export function pkcs8FromSeed (seed: Uint8Array): Uint8Array {
  if (seed.length !== ED25519_SEED_LEN) throw new RangeError('Ed25519 seed must be 32 bytes')
  return concatBytes(PKCS8_ED25519_PREFIX, seed)
}

/** Public key of a seed (RFC 8032 §5.1.5). */
export function ed25519PublicKeyFromSeed (seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed)
}

/** Sign with a raw seed (tests and vectors only; the app signs with a non-extractable Web Crypto key). */
export function ed25519SignWithSeed (seed: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, seed)
}

/** Strict RFC 8032 §5.1.7 verification (no ZIP-215 leniency); false for any malformed input. */
export function ed25519Verify (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== ED25519_SIGNATURE_LEN || publicKey.length !== ED25519_PUBLIC_KEY_LEN) return false
  try {
    return ed25519.verify(signature, message, publicKey, { zip215: false })
  } catch {
    return false
  }
}

/**
 * Each identity's static X25519 key for the end-to-end handshake
 * (docs/RENDEZVOUS.md §6, docs/IDENTITY.md "Static DH key"), and the
 * certificate that binds it to the identity key.
 *
 * The identity key is a non-extractable Web Crypto Ed25519 key, so it cannot
 * do X25519 itself. As with the descriptor signing key (spec §4), the static
 * secret is derived from a deterministic identity signature (RFC 8032 §5.1.6:
 * Ed25519 signing is deterministic), so the same identity has the same static
 * key after a reload or a restore and nothing new has to be stored:
 *
 *     s_static = SHA-256("shallot-dh-static-v1" | Sign_identity("shallot-dh-static-seed-v1" | K))
 *     cert     = Sign_identity("shallot-dh-cert-v1" | K | X25519(s_static, 9))
 *
 * The certificate is what X3DH calls the signed prekey's signature (Signal
 * X3DH §3.3) and Noise's "static key known by the peer" assumes
 * out of band (Noise rev 34 §7.5): it is transferable, but it says only
 * "K owns this DH key", nothing about any conversation (X3DH §4.4).
 */
import { concatBytes } from '../bytes.ts'
import type { X25519Dh } from '../crypto/ntor.ts'
import { sha256 } from '../crypto/primitives.ts'
import { ed25519Verify } from '../identity/keys.ts'
import { ED25519_KEY_LEN, ED25519_SIG_LEN, X25519_LEN } from './constants.ts'
import type { Signer } from './descriptor.ts'
import { checkLen, utf8 } from './wire.ts'

const L_STATIC_SEED = utf8('shallot-dh-static-seed-v1')
const L_STATIC = utf8('shallot-dh-static-v1')
const L_CERT = utf8('shallot-dh-cert-v1')

/** An identity's static X25519 key pair and the identity's certificate over its public half. */
export interface StaticDhKey {
  /** s: the X25519 secret (long-lived: never wiped by the handshake). */
  readonly secret: Uint8Array
  /** S = X25519(s, 9). */
  readonly publicKey: Uint8Array
  /** Ed25519(identity, "shallot-dh-cert-v1" | identity key | S). */
  readonly cert: Uint8Array
}

/** The message the certificate signs. */
export function staticCertMessage (identityKey: Uint8Array, staticKey: Uint8Array): Uint8Array {
  return concatBytes(L_CERT, identityKey, staticKey)
}

/** Derive `identityKey`'s static DH key and certificate with its signer (two identity signatures). */
export async function deriveStaticDhKey (identityKey: Uint8Array, sign: Signer, dh: X25519Dh): Promise<StaticDhKey> {
  checkLen(identityKey, ED25519_KEY_LEN, 'identity key')
  const sigma = await sign(concatBytes(L_STATIC_SEED, identityKey))
  checkLen(sigma, ED25519_SIG_LEN, 'identity signature')
  const secret = sha256(concatBytes(L_STATIC, sigma))
  sigma.fill(0)
  const publicKey = await dh.publicKey(secret)
  const cert = await sign(staticCertMessage(identityKey, publicKey))
  checkLen(cert, ED25519_SIG_LEN, 'static key certificate')
  if (!ed25519Verify(cert, staticCertMessage(identityKey, publicKey), identityKey)) throw new RangeError('the signer does not belong to the identity key')
  return { secret, publicKey, cert }
}

/** True when `cert` is `identityKey`'s certificate for `staticKey` (RFC 8032 §5.1.7, strict). */
export function verifyStaticCert (identityKey: Uint8Array, staticKey: Uint8Array, cert: Uint8Array): boolean {
  if (identityKey.length !== ED25519_KEY_LEN || staticKey.length !== X25519_LEN || cert.length !== ED25519_SIG_LEN) return false
  return ed25519Verify(cert, staticCertMessage(identityKey, staticKey), identityKey)
}

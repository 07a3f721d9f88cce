/**
 * The identity signing key in Web Crypto (Ed25519, RFC 8032).
 *
 * A non-extractable key can never be exported, so the backup must be written
 * when the key is made: generate it extractable, export the PKCS#8 once (the
 * caller encrypts the seed into the backup), re-import the same seed as a
 * non-extractable key for storage, and overwrite the bytes.
 */
import { ed25519Verify, pkcs8FromSeed, seedFromPkcs8 } from '../core/identity/keys.ts'

export interface GeneratedIdentityKey {
  /** The private seed: encrypt it into the backup, then call {@link importSigningKey} and wipe it. */
  readonly seed: Uint8Array
  readonly publicKey: Uint8Array
}

export async function generateIdentityKey (): Promise<GeneratedIdentityKey> {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, true, ['sign', 'verify'])
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey))
  const publicKey = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey))
  const seed = seedFromPkcs8(pkcs8)
  pkcs8.fill(0)
  return { seed, publicKey }
}

/**
 * Import a seed as a non-extractable signing key and prove it matches
 * `publicKey` by signing and verifying a probe. The PKCS#8 copy is wiped.
 */
export async function importSigningKey (seed: Uint8Array, publicKey: Uint8Array): Promise<CryptoKey> {
  const der = pkcs8FromSeed(seed) as Uint8Array<ArrayBuffer>
  try {
    const key = await crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, false, ['sign'])
    const probe = crypto.getRandomValues(new Uint8Array(32))
    const sig = await signWith(key, probe)
    if (!ed25519Verify(sig, probe, publicKey)) throw new Error('signing key does not match the public key')
    return key
  } finally {
    der.fill(0)
  }
}

export async function signWith (key: CryptoKey, message: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key, new Uint8Array(message)))
}

/**
 * Records at rest: every value this layer writes to IndexedDB (except the
 * CryptoKey objects themselves) is sealed with AES-256-GCM (NIST SP 800-38D)
 * under the profile's non-extractable storage key.
 *
 * - IV: 96 random bits per record (SP 800-38D §8.2.2, RBG-based construction).
 *   §8.3 caps such a key at 2^32 encryptions, far above what a chat profile
 *   writes; re-sealing on every write keeps IVs fresh.
 * - AAD: JSON of [schema tag, store name, record key parts], so a sealed value
 *   copied into another slot (another contact, another message) fails to open.
 * - Plaintext: JSON; Uint8Array values are written as {"$b": base64url}.
 */
import { base64urlDecode, base64urlEncode } from '../core/identity/base64url.ts'

export interface Sealed {
  readonly iv: Uint8Array
  readonly ct: Uint8Array
}

const AAD_TAG = 'shallot-store-v1'
const IV_LEN = 12

/** The storage key: AES-256-GCM, generated inside Web Crypto, never extractable. */
export async function generateStorageKey (): Promise<CryptoKey> {
  return await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt'])
}

function aad (store: string, keyParts: readonly string[]): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(JSON.stringify([AAD_TAG, store, ...keyParts]))
}

function replacer (_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { $b: base64urlEncode(value) } : value
}

function reviver (_key: string, value: unknown): unknown {
  if (value != null && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value)
    const b = (value as { $b?: unknown }).$b
    if (keys.length === 1 && typeof b === 'string') {
      const bytes = base64urlDecode(b)
      if (bytes == null) throw new Error('sealed record: bad bytes')
      return bytes
    }
  }
  return value
}

export class RecordCipher {
  constructor (private readonly key: CryptoKey) {}

  async seal (store: string, keyParts: readonly string[], value: unknown): Promise<Sealed> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_LEN))
    const pt = new TextEncoder().encode(JSON.stringify(value, replacer))
    const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad(store, keyParts), tagLength: 128 }, this.key, pt))
    pt.fill(0)
    return { iv, ct }
  }

  /** Throws when the record was modified or moved (GCM tag mismatch). */
  async open<T> (store: string, keyParts: readonly string[], sealed: Sealed): Promise<T> {
    const pt = new Uint8Array(await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: new Uint8Array(sealed.iv), additionalData: aad(store, keyParts), tagLength: 128 },
      this.key,
      new Uint8Array(sealed.ct)
    ))
    return JSON.parse(new TextDecoder().decode(pt), reviver) as T
  }
}

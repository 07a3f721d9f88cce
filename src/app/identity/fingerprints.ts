/**
 * Fingerprints and safety numbers for the views, cached per key. A key's
 * fingerprint costs 5200 SHA-512 rounds (core/identity/safety-number.ts) and
 * every contact, the own identity and an opened invite each need one on
 * every change of the snapshot, so each is computed once per key per tab.
 * The numbers are exactly core's: what two people compare out of band must
 * not depend on which code computed it.
 */
import { toHex } from '../../core/bytes.ts'
import { keyFingerprintDigits } from '../../core/identity/index.ts'

const fingerprintCache = new Map<string, string>()

/** core's keyFingerprintDigits(), computed once per key. */
export function fingerprintOf (publicKey: Uint8Array): string {
  const hex = toHex(publicKey)
  let fp = fingerprintCache.get(hex)
  if (fp == null) { fp = keyFingerprintDigits(publicKey); fingerprintCache.set(hex, fp) }
  return fp
}

/** core's safetyNumber(), reusing the per-key cache: the two fingerprints, smaller first. */
export function safetyNumberOf (a: Uint8Array, b: Uint8Array): string {
  const fa = fingerprintOf(a)
  const fb = fingerprintOf(b)
  return fa < fb ? fa + fb : fb + fa
}

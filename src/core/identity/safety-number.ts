/**
 * Safety numbers: a short fingerprint of two identity keys that both people
 * compute identically and compare by eye or by QR code.
 *
 * The construction is Signal's "numeric fingerprint" (libsignal
 * NumericFingerprintGenerator, version 0) with our key and identifier:
 *
 *   h_0     = SHA-512( u16 0 ‖ publicKey ‖ "shallot-safety-number" )
 *   h_{i+1} = SHA-512( h_i ‖ publicKey )            for i < 5200
 *   half    = the first 30 bytes of h_5200 as six 5-byte big-endian integers,
 *             each reduced mod 100000 and written as 5 digits  (30 digits)
 *
 * The safety number is the two halves sorted as strings and concatenated: 60
 * digits, shown as 12 groups of 5. Sorting makes it independent of order, so
 * both sides see the same number. 5200 iterations of SHA-512 (FIPS 180-4) make
 * a search for a second key with a colliding half cost ~2^112 hash operations.
 */
import { sha512 } from '@noble/hashes/sha2.js'
import { concatBytes } from '../bytes.ts'
import { ED25519_PUBLIC_KEY_LEN } from './keys.ts'

export const SAFETY_NUMBER_ITERATIONS = 5200
export const SAFETY_NUMBER_VERSION = 0
const IDENTIFIER = new TextEncoder().encode('shallot-safety-number')

/** The 30-digit half of the safety number that belongs to one key (also the "your key" fingerprint). */
export function keyFingerprintDigits (publicKey: Uint8Array): string {
  if (publicKey.length !== ED25519_PUBLIC_KEY_LEN) throw new RangeError('public key must be 32 bytes')
  let h = sha512(concatBytes(Uint8Array.of(0, SAFETY_NUMBER_VERSION), publicKey, IDENTIFIER))
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) h = sha512(concatBytes(h, publicKey))
  let out = ''
  for (let chunk = 0; chunk < 6; chunk++) {
    let v = 0
    for (let j = 0; j < 5; j++) v = v * 256 + (h[chunk * 5 + j] as number)
    out += String(v % 100000).padStart(5, '0')
  }
  return out
}

/** The 60-digit safety number of two keys, the same whichever order they are given in. */
export function safetyNumber (keyA: Uint8Array, keyB: Uint8Array): string {
  const a = keyFingerprintDigits(keyA)
  const b = keyFingerprintDigits(keyB)
  return a < b ? a + b : b + a
}

/** Digits split into groups of 5 (12 groups for a safety number, 6 for one key). */
export function groupDigits (digits: string): string[] {
  const groups: string[] = []
  for (let i = 0; i < digits.length; i += 5) groups.push(digits.slice(i, i + 5))
  return groups
}

/** What the safety-number QR code encodes. */
export function safetyNumberQrText (digits: string): string {
  return `shallot-safety-number:${SAFETY_NUMBER_VERSION}:${digits}`
}

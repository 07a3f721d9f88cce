import { describe, expect, it } from 'vitest'
import { ed25519PublicKeyFromSeed, keyFingerprintDigits, safetyNumber } from '../../core/identity/index.ts'
import { fingerprintOf, safetyNumberOf } from './fingerprints.ts'

const key = (n: number): Uint8Array => ed25519PublicKeyFromSeed(new Uint8Array(32).fill(n))

describe('cached fingerprints and safety numbers', () => {
  it('give exactly core\'s numbers, the same for a key however often and from whichever copy it is asked', () => {
    const a = key(1)
    expect(fingerprintOf(a)).toBe(keyFingerprintDigits(a))
    expect(fingerprintOf(a.slice())).toBe(keyFingerprintDigits(a))
    expect(fingerprintOf(key(2))).toBe(keyFingerprintDigits(key(2)))
    expect(fingerprintOf(key(2))).not.toBe(fingerprintOf(a))
  })

  it('a safety number is core\'s and does not depend on who computes it', () => {
    const a = key(3)
    const b = key(4)
    expect(safetyNumberOf(a, b)).toBe(safetyNumber(a, b))
    expect(safetyNumberOf(b, a)).toBe(safetyNumberOf(a, b))
    expect(safetyNumberOf(a, b)).toMatch(/^\d{60}$/)
  })
})

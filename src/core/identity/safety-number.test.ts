import { describe, expect, it } from 'vitest'
import { fromHex } from '../bytes.ts'
import { seededRandom } from '../random.ts'
import { ed25519PublicKeyFromSeed, groupDigits, keyFingerprintDigits, safetyNumber } from './index.ts'

/** Independent implementation with Web Crypto's SHA-512, to cross-check the noble one. */
async function reference (pub: Uint8Array): Promise<string> {
  const sha512 = async (...parts: Uint8Array[]) => Buffer.from(await crypto.subtle.digest('SHA-512', Buffer.concat(parts)))
  let h = await sha512(Uint8Array.of(0, 0), pub, new TextEncoder().encode('shallot-safety-number'))
  for (let i = 0; i < 5200; i++) h = await sha512(h, pub)
  let s = ''
  for (let c = 0; c < 6; c++) s += String(h.readUIntBE(c * 5, 5) % 100000).padStart(5, '0')
  return s
}

// Fixed vectors (checked in): keys are RFC 8032 §7.1 TEST 1 and TEST 2 public keys.
const KEY_1 = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a')
const KEY_2 = fromHex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c')
const VECTORS = {
  half1: '375801885816754005733456618448',
  half2: '430589646568345529365356474887',
  number: '375801885816754005733456618448430589646568345529365356474887'
}

describe('safety number', () => {
  it('matches the checked-in vectors', () => {
    expect(keyFingerprintDigits(KEY_1)).toBe(VECTORS.half1)
    expect(keyFingerprintDigits(KEY_2)).toBe(VECTORS.half2)
    expect(safetyNumber(KEY_1, KEY_2)).toBe(VECTORS.number)
  })

  it('matches an independent implementation', async () => {
    for (const label of ['a', 'b', 'c']) {
      const pub = ed25519PublicKeyFromSeed(seededRandom(label)(32))
      expect(keyFingerprintDigits(pub)).toBe(await reference(pub))
    }
  })

  it('is symmetric, stable, 60 digits in 12 groups of 5', () => {
    const a = ed25519PublicKeyFromSeed(seededRandom('x')(32))
    const b = ed25519PublicKeyFromSeed(seededRandom('y')(32))
    const n = safetyNumber(a, b)
    expect(safetyNumber(b, a)).toBe(n)
    expect(safetyNumber(a, b)).toBe(n)
    expect(n).toMatch(/^\d{60}$/)
    expect(groupDigits(n)).toHaveLength(12)
    expect(groupDigits(n).every(g => /^\d{5}$/.test(g))).toBe(true)
  })

  it('changes when either key changes', () => {
    const a = ed25519PublicKeyFromSeed(seededRandom('x')(32))
    const b = ed25519PublicKeyFromSeed(seededRandom('y')(32))
    const c = ed25519PublicKeyFromSeed(seededRandom('z')(32))
    expect(safetyNumber(a, b)).not.toBe(safetyNumber(a, c))
    expect(safetyNumber(a, b)).not.toBe(safetyNumber(c, b))
  })
})

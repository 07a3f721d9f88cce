import { describe, expect, it } from 'vitest'
import { x25519 } from '@noble/curves/ed25519.js'
import { LowOrderPointError } from '../core/errors.ts'
import { createWebCryptoDh, selfTest } from './webcrypto-dh.ts'

// Node's Web Crypto implements X25519 too, so the browser code runs here as is.
describe('Web Crypto X25519 for ntor', () => {
  const dh = createWebCryptoDh(globalThis.crypto.subtle)

  it('passes its RFC 7748 self-test and agrees with noble on random keys', async () => {
    expect(await selfTest(dh)).toBe(true)
    for (let i = 0; i < 5; i++) {
      const a = crypto.getRandomValues(new Uint8Array(32))
      const b = crypto.getRandomValues(new Uint8Array(32))
      expect(await dh.publicKey(a)).toEqual(x25519.getPublicKey(a))
      expect(await dh.shared(a, x25519.getPublicKey(b))).toEqual(x25519.getSharedSecret(a, x25519.getPublicKey(b)))
    }
  })

  it('refuses a low-order point with LowOrderPointError (RFC 7748 §6.1)', async () => {
    const secret = crypto.getRandomValues(new Uint8Array(32))
    await expect(dh.shared(secret, new Uint8Array(32))).rejects.toBeInstanceOf(LowOrderPointError)
  })

  it('a broken implementation fails the self-test', async () => {
    expect(await selfTest({ publicKey: async () => new Uint8Array(32), shared: async () => new Uint8Array(32).fill(1) })).toBe(false)
  })
})

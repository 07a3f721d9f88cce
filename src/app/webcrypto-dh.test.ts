import { describe, expect, it } from 'vitest'
import { x25519 } from '@noble/curves/ed25519.js'
import { LowOrderPointError } from '../core/errors.ts'
import { generateOnionKey, ntorClientCreateWith, ntorClientFinishWith, ntorServerRespondWith } from '../core/crypto/index.ts'
import { systemRandom } from '../core/random.ts'
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

  it('pooled ephemerals are real pairs (secret → public key as noble computes it), all distinct, and usable at once', async () => {
    const pairs = await Promise.all(Array.from({ length: 12 }, async () => await dh.ephemeral!()))
    for (const p of pairs) expect(p.publicKey).toEqual(x25519.getPublicKey(p.secret))
    expect(new Set(pairs.map(p => Buffer.from(p.secret).toString('hex'))).size).toBe(12)
    const other = crypto.getRandomValues(new Uint8Array(32))
    expect(await dh.shared(pairs[0]!.secret, x25519.getPublicKey(other))).toEqual(x25519.getSharedSecret(other, pairs[0]!.publicKey))
  })

  it('an ephemeral is gone once its handshake is done: the CryptoKey made from it is released, not only our bytes zeroed', async () => {
    const onion = generateOnionKey(systemRandom)
    const relay = { nodeId: new Uint8Array(32).fill(9), onionKey: onion.onionKey, onionSecret: onion.onionSecret }
    const { state, onionskin } = await ntorClientCreateWith(relay, systemRandom, dh)
    const x = state.x.slice() // what an attacker who later reads the tab's memory would want
    const { reply } = await ntorServerRespondWith(relay, onionskin, systemRandom, dh)
    await ntorClientFinishWith(state, reply, dh)
    expect(state.x.every(b => b === 0)).toBe(true)
    // Kept, the CryptoKey still computes with the real x through the zeroed array.
    const probe = x25519.getPublicKey(crypto.getRandomValues(new Uint8Array(32)))
    const withRealX = x25519.getSharedSecret(x, probe)
    const after = await dh.shared(state.x, probe).catch(() => null)
    expect(after).not.toEqual(withRealX)
  })

  it('an ntor handshake over it gives both sides the same keys (client EXP(B,x) made ahead)', async () => {
    const onion = generateOnionKey(systemRandom)
    const relay = { nodeId: new Uint8Array(32).fill(9), onionKey: onion.onionKey, onionSecret: onion.onionSecret }
    const { state, onionskin } = await ntorClientCreateWith(relay, systemRandom, dh)
    const { reply, keys } = await ntorServerRespondWith(relay, onionskin, systemRandom, dh)
    expect(await ntorClientFinishWith(state, reply, dh)).toEqual(keys)
  })

  it('a broken implementation fails the self-test', async () => {
    expect(await selfTest({ publicKey: async () => new Uint8Array(32), shared: async () => new Uint8Array(32).fill(1) })).toBe(false)
  })
})

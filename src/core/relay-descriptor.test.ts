import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ed25519 } from '@noble/curves/ed25519.js'
import { isProtocolError } from './errors.ts'
import { MAX_DESCRIPTOR_LIFETIME_MS, signDescriptor, verifyDescriptor, type RelayDescriptor } from './relay-descriptor.ts'

const secret = new Uint8Array(32).fill(7)
const pub = ed25519.getPublicKey(secret)
const sign = async (m: Uint8Array): Promise<Uint8Array> => ed25519.sign(m, secret)
const base: RelayDescriptor = { peerId: '12D3KooWTest', signingKey: pub, onionKey: new Uint8Array(32).fill(9), published: 1_000_000, expires: 1_000_000 + 3_600_000, capacity: 100 }

describe('relay descriptor', () => {
  it('round-trips and verifies', async () => {
    const bytes = await signDescriptor(base, sign)
    expect(verifyDescriptor(bytes, 1_000_001)).toEqual(base)
  })

  it('refuses tampering, expiry, a future date and an over-long lifetime, with named errors', async () => {
    const bytes = await signDescriptor(base, sign)
    const tampered = bytes.slice(); tampered[20]! ^= 1
    expect(() => verifyDescriptor(tampered, 1_000_001)).toThrow(/signature/)
    expect(() => verifyDescriptor(bytes, base.expires)).toThrow(/expired/)
    expect(() => verifyDescriptor(bytes, base.published - 10 * 60_000)).toThrow(/future/)
    const long = await signDescriptor({ ...base, expires: base.published + MAX_DESCRIPTOR_LIFETIME_MS + 1 }, sign)
    expect(() => verifyDescriptor(long, 1_000_001)).toThrow(/lifetime/)
    const other = await signDescriptor(base, async (m) => ed25519.sign(m, new Uint8Array(32).fill(8)))
    expect(() => verifyDescriptor(other, 1_000_001)).toThrow(/signature/)
  })

  it('random bytes throw only named protocol errors', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
      try { verifyDescriptor(b, 1) } catch (err) { expect(isProtocolError(err)).toBe(true) }
    }), { numRuns: 1000 })
  })
})

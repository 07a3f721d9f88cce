import { describe, expect, it, vi } from 'vitest'
import { toHex } from '../../core/bytes.ts'
import { nobleDh } from '../../core/crypto/ntor.ts'
import { verifyStaticCert } from '../../core/rendezvous/index.ts'
import { rnd, testIdentity } from '../../core/rendezvous/rendezvous.test-util.ts'
import { staticKeyOf } from './static-key.ts'

const r = rnd('app-static-key')

describe('staticKeyOf (docs/IDENTITY.md "Static DH key")', () => {
  it('derives once per identity object (two signatures), certified by the identity, the same for a new object of the same identity', async () => {
    const id = testIdentity(r(32))
    const sign = vi.fn(id.sign)
    const identity = { publicKey: id.publicKey, displayName: 'Bob', sign }
    const a = await staticKeyOf(identity, nobleDh)
    const b = await staticKeyOf(identity, nobleDh)
    expect(a).toBe(b)
    expect(sign).toHaveBeenCalledTimes(2)
    expect(verifyStaticCert(id.publicKey, a.publicKey, a.cert)).toBe(true)
    const again = await staticKeyOf({ publicKey: id.publicKey, displayName: 'Bob', sign: id.sign }, nobleDh) // after a reload
    expect(toHex(again.publicKey)).toBe(toHex(a.publicKey))
  })
  it('a failed signature (a locked profile) is not remembered: the next call tries again', async () => {
    const id = testIdentity(r(32))
    let fail = true
    const identity = { publicKey: id.publicKey, displayName: 'Bob', sign: async (m: Uint8Array) => { if (fail) throw new Error('locked'); return await id.sign(m) } }
    await expect(staticKeyOf(identity, nobleDh)).rejects.toThrow('locked')
    fail = false
    expect(verifyStaticCert(id.publicKey, (await staticKeyOf(identity, nobleDh)).publicKey, (await staticKeyOf(identity, nobleDh)).cert)).toBe(true)
  })
})

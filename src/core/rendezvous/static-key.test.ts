import { describe, expect, it } from 'vitest'
import { ed25519 } from '@noble/curves/ed25519.js'
import { toHex } from '../bytes.ts'
import { nobleDh } from '../crypto/ntor.ts'
import * as spec from './handshake-spec.test-util.ts'
import { rnd, testIdentity } from './rendezvous.test-util.ts'
import { deriveStaticDhKey, verifyStaticCert } from './static-key.ts'

const r = rnd('static-key')
const bob = testIdentity(r(32))
const mallory = testIdentity(r(32))

describe('static DH key (spec §6, IDENTITY.md)', () => {
  it('is a function of the identity (same key after a reload or restore) and matches the spec, recomputed with @noble', async () => {
    const a = await deriveStaticDhKey(bob.publicKey, bob.sign, nobleDh)
    const b = await deriveStaticDhKey(bob.publicKey, bob.sign, nobleDh)
    expect(toHex(a.secret)).toBe(toHex(b.secret))
    const secret = spec.staticSecretFrom(ed25519.sign(spec.staticSeedMessage(bob.publicKey), bob.seed))
    expect(toHex(a.secret)).toBe(toHex(secret))
    expect(toHex(a.publicKey)).toBe(toHex(spec.pub(secret)))
    expect(ed25519.verify(a.cert, spec.certMessage(bob.publicKey, a.publicKey), bob.publicKey)).toBe(true)
  })
  it('differs between identities, and a certificate binds one identity to one key', async () => {
    const a = await deriveStaticDhKey(bob.publicKey, bob.sign, nobleDh)
    const m = await deriveStaticDhKey(mallory.publicKey, mallory.sign, nobleDh)
    expect(toHex(a.publicKey)).not.toBe(toHex(m.publicKey))
    expect(verifyStaticCert(bob.publicKey, a.publicKey, a.cert)).toBe(true)
    expect(verifyStaticCert(bob.publicKey, m.publicKey, m.cert)).toBe(false)
    expect(verifyStaticCert(bob.publicKey, m.publicKey, a.cert)).toBe(false)
    expect(verifyStaticCert(mallory.publicKey, a.publicKey, a.cert)).toBe(false)
    expect(verifyStaticCert(bob.publicKey, a.publicKey, a.cert.subarray(1))).toBe(false)
  })
  it('a signer that is not the identity\'s is a RangeError (a caller bug)', async () => {
    await expect(deriveStaticDhKey(bob.publicKey, mallory.sign, nobleDh)).rejects.toThrow(RangeError)
  })
})

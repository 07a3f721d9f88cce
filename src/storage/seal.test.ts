import { describe, expect, it } from 'vitest'
import { ed25519Verify } from '../core/identity/keys.ts'
import { generateIdentityKey, importSigningKey, signWith } from './keys.ts'
import { RecordCipher, generateStorageKey } from './seal.ts'

describe('sealed records (AES-GCM storage key)', () => {
  it('round-trips JSON with bytes; ciphertext shows no plaintext', async () => {
    const key = await generateStorageKey()
    expect(key.extractable).toBe(false)
    await expect(crypto.subtle.exportKey('raw', key)).rejects.toThrow()
    const c = new RecordCipher(key)
    const value = { name: 'Bob Plaintext', key: new Uint8Array([1, 2, 3, 250]), n: 5, list: ['x'] }
    const sealed = await c.seal('contacts', ['id1'], value)
    expect(Buffer.from(sealed.ct).includes(Buffer.from('Bob'))).toBe(false)
    expect(await c.open('contacts', ['id1'], sealed)).toEqual(value)
  })

  it('a record moved to another slot, or modified, does not open', async () => {
    const c = new RecordCipher(await generateStorageKey())
    const sealed = await c.seal('messages', ['conv', 'm1'], { text: 'hi' })
    await expect(c.open('messages', ['conv', 'm2'], sealed)).rejects.toThrow()
    await expect(c.open('contacts', ['conv', 'm1'], sealed)).rejects.toThrow()
    const ct = sealed.ct.slice()
    ct[0] = (ct[0] as number) ^ 1
    await expect(c.open('messages', ['conv', 'm1'], { iv: sealed.iv, ct })).rejects.toThrow()
  })

  it('fresh IV per seal', async () => {
    const c = new RecordCipher(await generateStorageKey())
    const a = await c.seal('s', ['k'], 1)
    const b = await c.seal('s', ['k'], 1)
    expect(a.iv).not.toEqual(b.iv)
  })
})

describe('identity signing key', () => {
  it('generate → import non-extractable → signs verifiably; export rejects', async () => {
    const g = await generateIdentityKey()
    expect(g.seed).toHaveLength(32)
    expect(g.publicKey).toHaveLength(32)
    const key = await importSigningKey(g.seed, g.publicKey)
    expect(key.extractable).toBe(false)
    await expect(crypto.subtle.exportKey('pkcs8', key)).rejects.toThrow()
    const msg = new TextEncoder().encode('hello')
    expect(ed25519Verify(await signWith(key, msg), msg, g.publicKey)).toBe(true)
  })

  it('refuses a seed that does not match the public key', async () => {
    const a = await generateIdentityKey()
    const b = await generateIdentityKey()
    await expect(importSigningKey(a.seed, b.publicKey)).rejects.toThrow(/does not match/)
  })
})

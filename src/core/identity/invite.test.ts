import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../random.ts'
import {
  ExpiredInviteError, INVITE_FRAGMENT_PREFIX, INVITE_SECRET_LEN, InviteError, InviteSignatureError, MAX_INVITE_BYTES, MAX_INVITE_FRAGMENT_CHARS,
  MalformedInviteError, OversizedInviteError, UnsupportedInviteVersionError, base64urlDecode, base64urlEncode,
  createInvitePayload, decodeInvite, ed25519PublicKeyFromSeed, ed25519SignWithSeed, extractInvitePayload, inviteLink,
  newInviteFields, pkcs8FromSeed
} from './index.ts'

const NOW = 1_750_000_000_000
const seed = seededRandom('inviter')(32)
const publicKey = ed25519PublicKeyFromSeed(seed)
const signer = async (m: Uint8Array): Promise<Uint8Array> => ed25519SignWithSeed(seed, m)
const RELAYS = ['/ip4/127.0.0.1/tcp/4001/ws/p2p/12D3KooWExampleRelayPeerIdxxxxxxxxxxxxxxxxxxxxxxxxxx', 'wss://relay.example.org/']

function fields (over: Partial<Parameters<typeof newInviteFields>[0]> = {}) {
  return newInviteFields({ publicKey, displayName: 'Alice', relays: RELAYS, now: NOW, random: seededRandom('id'), ...over })
}

describe('base64url', () => {
  it('round-trips and is canonical', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
      const s = base64urlEncode(b)
      expect(s).toMatch(/^[A-Za-z0-9_-]*$/)
      expect(base64urlDecode(s)).toEqual(b)
      expect(s).toBe(Buffer.from(b).toString('base64url'))
    }))
    expect(base64urlDecode('A')).toBeNull()
    expect(base64urlDecode('AB')).toBeNull() // non-zero trailing bits
    expect(base64urlDecode('AA+A')).toBeNull()
    expect(base64urlDecode('AA==')).toBeNull()
  })
})

describe('invite links', () => {
  it('round-trips every field, signed with the identity key', async () => {
    const f = fields()
    const payload = await createInvitePayload(f, signer)
    const inv = decodeInvite(payload, NOW)
    expect(inv.publicKey).toEqual(publicKey)
    expect(inv.displayName).toBe('Alice')
    expect(inv.relays).toEqual(RELAYS)
    expect(inv.inviteId).toEqual(f.inviteId)
    expect(inv.secret).toEqual(f.secret)
    expect(inv.secret).toHaveLength(INVITE_SECRET_LEN)
    expect(inv.expiresAt).toBe(Math.floor(f.expiresAt / 1000) * 1000)
  })

  it('verifies signatures made by Web Crypto Ed25519', async () => {
    const key = await crypto.subtle.importKey('pkcs8', pkcs8FromSeed(seed) as Uint8Array<ArrayBuffer>, { name: 'Ed25519' }, false, ['sign'])
    const webSigner = async (m: Uint8Array) => new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key, m as Uint8Array<ArrayBuffer>))
    const payload = await createInvitePayload(fields(), webSigner)
    expect(decodeInvite(payload, NOW).displayName).toBe('Alice')
  })

  it('links put the payload in the fragment and extract back', async () => {
    const payload = await createInvitePayload(fields(), signer)
    const link = inviteLink('https://shallot.example/app/?x=1#old', payload)
    expect(link).toBe(`https://shallot.example/app/?x=1${INVITE_FRAGMENT_PREFIX}${payload}`)
    expect(extractInvitePayload(new URL(link).hash)).toBe(payload)
    expect(extractInvitePayload('#something-else')).toBeNull()
  })

  it('expired → ExpiredInviteError', async () => {
    const payload = await createInvitePayload(fields({ lifetimeMs: 60_000 }), signer)
    expect(() => decodeInvite(payload, NOW + 59_000)).not.toThrow()
    expect(() => decodeInvite(payload, NOW + 60_000)).toThrow(ExpiredInviteError)
  })

  it('any single changed character is refused (signature, encoding or structure)', async () => {
    const payload = await createInvitePayload(fields(), signer)
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
    for (let i = 0; i < payload.length; i++) {
      const c = payload[i] as string
      const repl = alphabet[(alphabet.indexOf(c) + 1) % 64] as string
      const t = payload.slice(0, i) + repl + payload.slice(i + 1)
      expect(() => decodeInvite(t, NOW), `char ${i}`).toThrow(InviteError)
    }
  })

  it('a changed byte in the signed body → InviteSignatureError', async () => {
    const payload = await createInvitePayload(fields(), signer)
    const bytes = base64urlDecode(payload)!
    bytes[20] = (bytes[20] as number) ^ 1 // expiry
    expect(() => decodeInvite(base64urlEncode(bytes), NOW)).toThrow(InviteSignatureError)
    const bytes2 = base64urlDecode(payload)!
    bytes2[21] = (bytes2[21] as number) ^ 1 // public key
    expect(() => decodeInvite(base64urlEncode(bytes2), NOW)).toThrow(InviteError)
  })

  it('truncated, padded, empty and garbage → MalformedInviteError', async () => {
    const payload = await createInvitePayload(fields(), signer)
    const bytes = base64urlDecode(payload)!
    for (const len of [1, 10, 60, bytes.length - 1]) {
      expect(() => decodeInvite(base64urlEncode(bytes.subarray(0, len)), NOW), `len ${len}`).toThrow(InviteError)
    }
    expect(() => decodeInvite('', NOW)).toThrow(MalformedInviteError)
    expect(() => decodeInvite('not base64!', NOW)).toThrow(MalformedInviteError)
    const longer = new Uint8Array(bytes.length + 1)
    longer.set(bytes)
    expect(() => decodeInvite(base64urlEncode(longer), NOW)).toThrow(InviteError)
  })

  it('another version → UnsupportedInviteVersionError', async () => {
    const bytes = base64urlDecode(await createInvitePayload(fields(), signer))!
    bytes[0] = 3
    expect(() => decodeInvite(base64urlEncode(bytes), NOW)).toThrow(UnsupportedInviteVersionError)
  })

  it('a version-1 link (no invite secret, so no service would let it in) → UnsupportedInviteVersionError, not a request that can never arrive', async () => {
    const bytes = base64urlDecode(await createInvitePayload(fields(), signer))!
    bytes[0] = 1
    expect(() => decodeInvite(base64urlEncode(bytes), NOW)).toThrow(UnsupportedInviteVersionError)
    expect(() => decodeInvite(base64urlEncode(bytes), NOW)).toThrow(/older version of Shallot and no longer works/)
  })

  it('each invite gets a fresh secret', () => {
    const a = newInviteFields({ publicKey, displayName: 'Alice', relays: [], now: NOW })
    const b = newInviteFields({ publicKey, displayName: 'Alice', relays: [], now: NOW })
    expect(a.secret).toHaveLength(INVITE_SECRET_LEN)
    expect(a.secret).not.toEqual(b.secret)
    expect(a.secret).not.toEqual(a.inviteId)
  })

  it('size: oversized text is refused before decoding; too many/too long relays cannot be encoded', async () => {
    expect(MAX_INVITE_FRAGMENT_CHARS).toBe(Math.ceil(MAX_INVITE_BYTES * 4 / 3))
    expect(() => decodeInvite('A'.repeat(MAX_INVITE_FRAGMENT_CHARS + 1), NOW)).toThrow(OversizedInviteError)
    expect(() => extractInvitePayload('#invite=' + 'A'.repeat(MAX_INVITE_FRAGMENT_CHARS + 1))).toThrow(OversizedInviteError)
    await expect(createInvitePayload(fields({ relays: Array(9).fill('/dns4/a/tcp/1/wss') }), signer)).rejects.toThrow(RangeError)
    await expect(createInvitePayload(fields({ relays: ['x'.repeat(257)] }), signer)).rejects.toThrow(RangeError)
    await expect(createInvitePayload(fields({ relays: Array(8).fill('y'.repeat(200)) }), signer)).rejects.toThrow(/MAX_INVITE_BYTES/)
    // the largest accepted invite still fits
    const big = await createInvitePayload(fields({ relays: Array(4).fill('z'.repeat(200)), displayName: 'n'.repeat(64) }), signer)
    expect(big.length).toBeLessThanOrEqual(MAX_INVITE_FRAGMENT_CHARS)
    expect(decodeInvite(big, NOW).relays).toHaveLength(4)
  })

  it('names with control or bidi-override characters cannot be carried', async () => {
    await expect(createInvitePayload(fields({ displayName: 'Eve\u202eecilA' }), signer)).rejects.toThrow(RangeError)
  })

  it('random garbage never throws anything but InviteError', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
      try { decodeInvite(base64urlEncode(b), NOW) } catch (e) { expect(e).toBeInstanceOf(InviteError) }
    }))
  })
})

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { decodeIceServers, encodeIceServers, IceServersFormatError, isIceUrl, ICE_MAX_REPLY_BYTES, type IceServersReply } from './ice-servers.ts'

const sample: IceServersReply = {
  issuedAt: 1_799_996_400,
  expiresAt: 1_800_000_000,
  servers: [
    { urls: ['stun:turn.example.org:3478'] },
    { urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349?transport=tcp'], username: '1800000000:9f2c', credential: 'c2VjcmV0' }
  ]
}

describe('ICE server hand-out format', () => {
  it('round-trips STUN and TURN entries with their credentials and expiry', () => {
    expect(decodeIceServers(encodeIceServers(sample))).toEqual(sample)
  })

  it('accepts only stun:, turn: and turns: URLs', () => {
    expect(isIceUrl('stun:203.0.113.10:3478')).toBe(true)
    expect(isIceUrl('turn:[2001:db8::1]:3478?transport=tcp')).toBe(true)
    for (const bad of ['http://evil.example/', 'javascript:alert(1)', 'turn:host:3478?transport=udp&x=1', 'stun:', 'turn:a b', 'data:,x']) {
      expect(isIceUrl(bad), bad).toBe(false)
      expect(() => encodeIceServers({ issuedAt: 0, expiresAt: 0, servers: [{ urls: [bad] }] })).toThrow(IceServersFormatError)
    }
  })

  it('refuses a TURN URL without credentials and a username without a credential', () => {
    expect(() => encodeIceServers({ issuedAt: 0, expiresAt: 0, servers: [{ urls: ['turn:h:3478'] }] })).toThrow(/without credentials/)
    expect(() => encodeIceServers({ issuedAt: 0, expiresAt: 0, servers: [{ urls: ['stun:h:3478'], username: 'u' }] })).toThrow(/username without credential/)
  })

  it('a decoded reply never smuggles in a URL the encoder would refuse (hand-made bytes)', () => {
    const url = new TextEncoder().encode('http://x')
    const bytes = Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, url.length, ...url, 0, 0)
    expect(() => decodeIceServers(bytes)).toThrow(IceServersFormatError)
  })

  it('refuses credentials that expire before they were issued', () => {
    expect(() => encodeIceServers({ ...sample, expiresAt: sample.issuedAt - 1 })).toThrow(/expires before issued/)
    const bytes = encodeIceServers(sample)
    bytes.set([0xff, 0xff, 0xff, 0xff], 1)
    expect(() => decodeIceServers(bytes)).toThrow(/expires before issued/)
  })

  it('truncations, trailing bytes and random bytes give only the named error', () => {
    const good = encodeIceServers(sample)
    for (let n = 0; n < good.length; n++) expect(() => decodeIceServers(good.subarray(0, n))).toThrow(IceServersFormatError)
    expect(() => decodeIceServers(Uint8Array.of(...good, 0))).toThrow(/trailing/)
    expect(() => decodeIceServers(new Uint8Array(ICE_MAX_REPLY_BYTES + 1))).toThrow(/too large/)
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
      try {
        decodeIceServers(bytes)
      } catch (err) {
        expect(err).toBeInstanceOf(IceServersFormatError)
      }
    }), { numRuns: 2000 })
  })
})

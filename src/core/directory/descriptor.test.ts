import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ed25519 } from '@noble/curves/ed25519.js'
import { isProtocolError } from '../errors.ts'
import {
  DESCRIPTOR_SIGNING_CONTEXT, MAX_DESCRIPTOR_BYTES, MAX_DESCRIPTOR_CLOCK_SKEW_MS, MAX_DESCRIPTOR_LIFETIME_MS,
  MAX_DESCRIPTOR_V1_BYTES, MAX_PEER_ID_LENGTH, MAX_POW_NONCE_LENGTH,
  decodeDescriptor, ed25519Signer, encodeDescriptorBody, networkHintKey, signDescriptor, verifyDescriptor
} from './descriptor.ts'
import {
  DescriptorError, DescriptorExpiredError, DescriptorFromFutureError, DescriptorLifetimeError,
  DescriptorSignatureError, DescriptorTooLargeError, MalformedDescriptorError
} from './errors.ts'
import { testDescriptorBytes, testDescriptorFields, testRelayKeys } from './descriptor.test-util.ts'

const NOW = 1_700_000_000_000
const keys = testRelayKeys('relayA')
const sign = ed25519Signer(keys.signingSecret)
const fields = testDescriptorFields('relayA', NOW, { powNonce: null })

describe('relay descriptor encoding', () => {
  it('round-trips without optional fields', async () => {
    const bytes = await signDescriptor(fields, sign)
    expect(verifyDescriptor(bytes, NOW + 1)).toEqual({ version: 1, ...fields })
  })

  it('round-trips with a network hint and a proof-of-work nonce', async () => {
    for (const networkHint of [{ family: 'ipv4' as const, prefix: Uint8Array.of(203, 0) }, { family: 'ipv6' as const, prefix: Uint8Array.of(0x20, 0x01, 0x0d, 0xb8) }]) {
      const d = { ...fields, networkHint, powNonce: new Uint8Array(16).fill(5), capacity: 0xffff_ffff, maxCircuits: 0 }
      const bytes = await signDescriptor(d, sign)
      const back = verifyDescriptor(bytes, NOW)
      expect(back).toEqual({ version: 1, ...d })
      // canonical: re-encoding the decoded fields gives the signed body exactly
      expect(encodeDescriptorBody(back)).toEqual(decodeDescriptor(bytes).body)
    }
  })

  it('signs the domain-separated body', async () => {
    const bytes = await signDescriptor(fields, sign)
    const { body, signature } = decodeDescriptor(bytes)
    const msg = new Uint8Array([...DESCRIPTOR_SIGNING_CONTEXT, ...body])
    expect(ed25519.verify(signature, msg, keys.signingKey)).toBe(true)
    expect(ed25519.verify(signature, body, keys.signingKey)).toBe(false)
    expect(new TextDecoder().decode(DESCRIPTOR_SIGNING_CONTEXT)).toBe('shallot-relay-descriptor-v1')
  })

  it('accepts an async (Web Crypto-style) signer', async () => {
    const bytes = await signDescriptor(fields, async (m) => ed25519.sign(m, keys.signingSecret))
    expect(verifyDescriptor(bytes, NOW).peerId).toBe('relayA')
  })

  it('fits the size cap at every field maximum', async () => {
    expect(MAX_DESCRIPTOR_V1_BYTES).toBeLessThanOrEqual(MAX_DESCRIPTOR_BYTES)
    const max = {
      ...fields,
      peerId: 'x'.repeat(MAX_PEER_ID_LENGTH),
      networkHint: { family: 'ipv6' as const, prefix: new Uint8Array(4) },
      powNonce: new Uint8Array(MAX_POW_NONCE_LENGTH)
    }
    expect((await signDescriptor(max, sign)).length).toBe(MAX_DESCRIPTOR_V1_BYTES)
  })

  it('refuses to encode invalid fields (programming errors)', () => {
    const bad = [
      { peerId: '' }, { peerId: 'has space' }, { peerId: 'é' }, { peerId: 'x'.repeat(MAX_PEER_ID_LENGTH + 1) },
      { onionKey: new Uint8Array(31) }, { onionKey: new Uint8Array(32) }, { signingKey: new Uint8Array(33) },
      { published: -1 }, { published: 1.5 }, { expires: NOW }, { expires: 2 ** 53 },
      { capacity: -1 }, { capacity: 2 ** 32 }, { maxCircuits: 65536 },
      { networkHint: { family: 'ipv4' as const, prefix: new Uint8Array(4) } },
      { powNonce: new Uint8Array(0) }, { powNonce: new Uint8Array(MAX_POW_NONCE_LENGTH + 1) }
    ]
    for (const over of bad) expect(() => encodeDescriptorBody({ ...fields, ...over }), JSON.stringify(over)).toThrow(RangeError)
  })

  it('keys network hints by family and prefix', () => {
    expect(networkHintKey(null)).toBeNull()
    expect(networkHintKey({ family: 'ipv4', prefix: Uint8Array.of(10, 1) })).toBe('ipv4:0a01')
    expect(networkHintKey({ family: 'ipv6', prefix: Uint8Array.of(10, 1, 0, 0) })).not.toBe(networkHintKey({ family: 'ipv4', prefix: Uint8Array.of(10, 1) }))
  })
})

describe('relay descriptor verification', () => {
  it('detects tampering with any byte, and tampering with signed fields as a bad signature', async () => {
    const bytes = await signDescriptor({ ...fields, powNonce: Uint8Array.of(1, 2, 3) }, sign)
    for (let i = 0; i < bytes.length; i++) {
      const t = bytes.slice(); t[i]! ^= 0x01
      expect(() => verifyDescriptor(t, NOW), `byte ${i}`).toThrow(DescriptorError)
    }
    // onion key (offset 2 + 6), capacity, pow nonce, signature: structurally valid, so the signature catches them
    const idLen = 'relayA'.length
    const offsets = { onionKey: 2 + idLen, capacity: 2 + idLen + 64 + 16, pow: bytes.length - 64 - 1, sig: bytes.length - 1 }
    for (const [what, off] of Object.entries(offsets)) {
      const t = bytes.slice(); t[off]! ^= 0x40
      expect(() => verifyDescriptor(t, NOW), what).toThrow(DescriptorSignatureError)
    }
  })

  it('rejects a descriptor signed by another key', async () => {
    const bytes = await testDescriptorBytes('relayA', NOW, {}, 'mallory') // claims mallory's key, but...
    expect(verifyDescriptor(bytes, NOW).signingKey).toEqual(testRelayKeys('mallory').signingKey) // ...self-consistent is fine
    const forged = await signDescriptor(fields, ed25519Signer(testRelayKeys('mallory').signingSecret)) // relayA's key, mallory's signature
    expect(() => verifyDescriptor(forged, NOW)).toThrow(DescriptorSignatureError)
  })

  it('rejects expired, future-dated and over-long descriptors with named errors', async () => {
    const bytes = await signDescriptor(fields, sign)
    expect(() => verifyDescriptor(bytes, fields.expires)).toThrow(DescriptorExpiredError)
    expect(() => verifyDescriptor(bytes, fields.expires + 1)).toThrow(DescriptorExpiredError)
    expect(() => verifyDescriptor(bytes, fields.published - MAX_DESCRIPTOR_CLOCK_SKEW_MS)).not.toThrow()
    expect(() => verifyDescriptor(bytes, fields.published - MAX_DESCRIPTOR_CLOCK_SKEW_MS - 1)).toThrow(DescriptorFromFutureError)
    const long = await signDescriptor({ ...fields, expires: NOW + MAX_DESCRIPTOR_LIFETIME_MS + 1 }, sign)
    expect(() => verifyDescriptor(long, NOW)).toThrow(DescriptorLifetimeError)
    const exact = await signDescriptor({ ...fields, expires: NOW + MAX_DESCRIPTOR_LIFETIME_MS }, sign)
    expect(() => verifyDescriptor(exact, NOW)).not.toThrow()
    try { verifyDescriptor(bytes, fields.expires) } catch (e) { expect(isProtocolError(e, 'expired')).toBe(true) }
  })

  it('rejects oversize input before parsing, and malformed input, with named errors', async () => {
    const bytes = await signDescriptor(fields, sign)
    expect(() => verifyDescriptor(new Uint8Array(MAX_DESCRIPTOR_BYTES + 1), NOW)).toThrow(DescriptorTooLargeError)
    const padded = new Uint8Array(MAX_DESCRIPTOR_BYTES + 1); padded.set(bytes)
    expect(() => verifyDescriptor(padded, NOW)).toThrow(DescriptorTooLargeError)
    expect(() => verifyDescriptor(bytes.subarray(0, bytes.length - 1), NOW)).toThrow(MalformedDescriptorError)
    expect(() => verifyDescriptor(new Uint8Array([...bytes, 0]), NOW)).toThrow(MalformedDescriptorError)
    expect(() => verifyDescriptor(new Uint8Array(0), NOW)).toThrow(MalformedDescriptorError)
    const v2 = bytes.slice(); v2[0] = 2
    expect(() => verifyDescriptor(v2, NOW)).toThrow(/version/)
    const hintOff = 2 + 'relayA'.length + 64 + 16 + 6
    const badHint = bytes.slice(); badHint[hintOff] = 3
    expect(() => verifyDescriptor(badHint, NOW)).toThrow(/network hint/)
    try { verifyDescriptor(v2, NOW) } catch (e) { expect(isProtocolError(e, 'bad-descriptor')).toBe(true) }
  })

  it('random bytes into the decoder throw only named descriptor errors', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: MAX_DESCRIPTOR_BYTES + 64 }), (b) => {
      try { verifyDescriptor(b, NOW) } catch (err) {
        expect(err).toBeInstanceOf(DescriptorError)
      }
    }), { numRuns: 3000 })
  })

  it('random mutations of a valid descriptor throw only named descriptor errors', async () => {
    const bytes = await signDescriptor({ ...fields, networkHint: { family: 'ipv4', prefix: Uint8Array.of(1, 2) } }, sign)
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      fc.integer({ min: -3, max: 3 }),
      (edits, lenDelta) => {
        const t = bytes.slice()
        for (const [i, v] of edits) t[i] = v
        const input = lenDelta >= 0 ? new Uint8Array([...t, ...new Uint8Array(lenDelta)]) : t.subarray(0, t.length + lenDelta)
        try { verifyDescriptor(input, NOW) } catch (err) { expect(err).toBeInstanceOf(DescriptorError) }
      }
    ), { numRuns: 2000 })
  })
})

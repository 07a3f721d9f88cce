import { beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { toHex } from '../bytes.ts'
import { hkdfSha256, sha256 } from '../crypto/primitives.ts'
import { ed25519PublicKeyFromSeed } from '../identity/keys.ts'
import { HS_DESCRIPTOR_LIFETIME_MS, HS_DESCRIPTOR_MAX, HS_PERIOD_MS, hsPeriod, PEER_ID_MAX_LEN } from './constants.ts'
import { descriptorId, descriptorKey, descriptorSigningSeed, encodeHsDescriptor, openHsDescriptor, parseHsDescriptorOuter } from './descriptor.ts'
import { HsDescriptorError, IdentityMismatchError } from './errors.ts'
import { encodeHsdirFound } from './cells.ts'
import { encodeRelayBody, RelayCommand } from '../cell/relay.ts'
import { innerOf, NOW, rnd, testContent, testIdentity, wrapInner } from './rendezvous.test-util.ts'
import { u64, utf8 } from './wire.ts'

const r = rnd('descriptor')
const alice = testIdentity(r(32))
const mallory = testIdentity(r(32))
const P = hsPeriod(NOW)

async function make (over: Parameters<typeof testContent>[2] = {}, id = alice): Promise<Uint8Array> {
  const content = testContent(id, r, over)
  return await encodeHsDescriptor(content, { sign: id.sign, signingSeed: await descriptorSigningSeed(id.sign, content.period), random: r })
}

/** A valid descriptor of Alice's for period P (top-level await: vitest runs test files as ES modules). */
const realBytes = await make()

function expectDescError (f: () => unknown, kind: 'bad-descriptor' | 'expired' = 'bad-descriptor'): void {
  let err: unknown
  try { f() } catch (e) { err = e }
  expect(err).toBeInstanceOf(HsDescriptorError)
  expect((err as HsDescriptorError).kind).toBe(kind)
}

describe('descriptor id and key (spec §3)', () => {
  it('follow the formulas', () => {
    const K = alice.publicKey
    const id = descriptorId(K, P)
    expect(toHex(id)).toBe(toHex(sha256(new Uint8Array([...utf8('shallot-hs-desc-id-v1'), ...K, ...u64(P)]))))
    expect(toHex(descriptorKey(K, P))).toBe(toHex(hkdfSha256(K, id, utf8('shallot-hs-desc-key-v1'), 32)))
  })
  it('change every period and differ per identity', () => {
    const K = alice.publicKey
    expect(toHex(descriptorId(K, P))).not.toBe(toHex(descriptorId(K, P + 1)))
    expect(toHex(descriptorId(K, P))).not.toBe(toHex(descriptorId(mallory.publicKey, P)))
    expect(toHex(descriptorKey(K, P))).not.toBe(toHex(descriptorId(K, P)))
  })
  it('signing seed is deterministic for a deterministic signer, and per period', async () => {
    const a = await descriptorSigningSeed(alice.sign, P)
    expect(toHex(await descriptorSigningSeed(alice.sign, P))).toBe(toHex(a))
    expect(toHex(await descriptorSigningSeed(alice.sign, P + 1))).not.toBe(toHex(a))
    expect(toHex(await descriptorSigningSeed(mallory.sign, P))).not.toBe(toHex(a))
  })
})

describe('descriptor round trip', () => {
  it('encodes, passes the HSDir checks and opens to the same content', async () => {
    const content = testContent(alice, r)
    const seed = await descriptorSigningSeed(alice.sign, P)
    const bytes = await encodeHsDescriptor(content, { sign: alice.sign, signingSeed: seed, random: r })
    expect(bytes.length).toBeLessThanOrEqual(HS_DESCRIPTOR_MAX)
    const outer = parseHsDescriptorOuter(bytes, NOW)
    expect(toHex(outer.descId)).toBe(toHex(descriptorId(alice.publicKey, P)))
    expect(outer).toMatchObject({ period: P, revision: content.revision, expires: content.expires })
    expect(toHex(outer.signingKey)).toBe(toHex(ed25519PublicKeyFromSeed(seed)))
    expect(openHsDescriptor(bytes, alice.publicKey, NOW)).toEqual(content)
  })
  it('the largest descriptor (3 points, 128-byte peer ids) fits HS_DESCRIPTOR_MAX', async () => {
    const c = testContent(alice, r)
    const points = c.introPoints.map((p, i) => ({ ...p, peerId: String(i).repeat(PEER_ID_MAX_LEN) }))
    const bytes = await make({ introPoints: points })
    expect(bytes.length).toBeLessThanOrEqual(HS_DESCRIPTOR_MAX)
    expect(openHsDescriptor(bytes, alice.publicKey, NOW).introPoints).toEqual(points)
    // …and so travels in one relay cell both ways (HSDIR_STORE carries it alone, HSDIR_FOUND after a flag byte).
    expect(() => encodeRelayBody({ command: RelayCommand.HSDIR_STORE, streamId: 0, data: bytes }, r)).not.toThrow()
    expect(() => encodeRelayBody({ command: RelayCommand.HSDIR_FOUND, streamId: 0, data: encodeHsdirFound({ more: false, descriptor: bytes }) }, r)).not.toThrow()
  })
  it('accepts the adjacent periods', async () => {
    for (const period of [P - 1, P + 1]) expect(parseHsDescriptorOuter(await make({ period }), NOW).period).toBe(period)
  })
  it('refuses bad content and a signer for another identity (RangeError, caller bugs)', async () => {
    const c = testContent(alice, r)
    const seed = await descriptorSigningSeed(alice.sign, P)
    await expect(encodeHsDescriptor({ ...c, introPoints: [] }, { sign: alice.sign, signingSeed: seed, random: r })).rejects.toThrow(RangeError)
    await expect(encodeHsDescriptor({ ...c, introPoints: [...c.introPoints, ...c.introPoints] }, { sign: alice.sign, signingSeed: seed, random: r })).rejects.toThrow(RangeError)
    await expect(encodeHsDescriptor({ ...c, introPoints: [{ ...c.introPoints[0]!, peerId: 'x'.repeat(PEER_ID_MAX_LEN + 1) }] }, { sign: alice.sign, signingSeed: seed, random: r })).rejects.toThrow(RangeError)
    await expect(encodeHsDescriptor(c, { sign: mallory.sign, signingSeed: seed, random: r })).rejects.toThrow(RangeError)
  })
})

describe('HSDir checks (spec §4)', () => {
  it('expired → kind expired', async () => {
    const bytes = await make()
    expectDescError(() => parseHsDescriptorOuter(bytes, NOW + HS_PERIOD_MS), 'expired')
    expectDescError(() => openHsDescriptor(bytes, alice.publicKey, NOW + 2 * HS_PERIOD_MS), 'expired')
  })
  it('lifetime longer than two periods', async () => {
    const bytes = await make({ expires: NOW + HS_DESCRIPTOR_LIFETIME_MS + 1 })
    expectDescError(() => parseHsDescriptorOuter(bytes, NOW))
  })
  it('wrong period', async () => {
    expectDescError(() => parseHsDescriptorOuter(wrongP, NOW))
  })
  let wrongP: Uint8Array = new Uint8Array(0)
  beforeAll(async () => { wrongP = await make({ period: P + 2 }) })
  it('bad outer signature', async () => {
    const bytes = await make()
    bytes[bytes.length - 1]! ^= 1
    expectDescError(() => parseHsDescriptorOuter(bytes, NOW))
    const signed = await make()
    signed[10]! ^= 0x80 // inside descId, covered by the signature
    expectDescError(() => parseHsDescriptorOuter(signed, NOW))
  })
  it('oversized, truncated, trailing bytes, unknown version', async () => {
    const bytes = await make()
    expectDescError(() => parseHsDescriptorOuter(new Uint8Array(HS_DESCRIPTOR_MAX + 1), NOW))
    expectDescError(() => parseHsDescriptorOuter(bytes.subarray(0, bytes.length - 1), NOW))
    expectDescError(() => parseHsDescriptorOuter(new Uint8Array([...bytes, 0]), NOW))
    expectDescError(() => parseHsDescriptorOuter(new Uint8Array(0), NOW))
    const inner = innerOf(bytes, alice.publicKey, P)
    const v2 = await wrapInner({ identityKey: alice.publicKey, period: P, revision: NOW, expires: NOW + HS_PERIOD_MS, signingSeed: r(32), inner, version: 2 })
    expectDescError(() => parseHsDescriptorOuter(v2, NOW))
  })
})

describe('reader checks (spec §4)', () => {
  const base = { period: P, revision: NOW, expires: NOW + HS_PERIOD_MS }
  it('a descriptor under another identity id', async () => {
    expectDescError(() => openHsDescriptor(realBytes, mallory.publicKey, NOW))
  })
  it('wrong identity inside → IdentityMismatchError', async () => {
    // Mallory knows Alice's key (an invite holder) and publishes her own signed inner part under Alice's id.
    const mine = await make({}, mallory)
    const inner = innerOf(mine, mallory.publicKey, P)
    const squat = await wrapInner({ ...base, identityKey: alice.publicKey, signingSeed: await descriptorSigningSeed(mallory.sign, P), inner })
    expect(parseHsDescriptorOuter(squat, NOW).period).toBe(P) // the HSDir cannot tell
    expect(() => openHsDescriptor(squat, alice.publicKey, NOW)).toThrow(IdentityMismatchError)
  })
  it('tampered inner → HsDescriptorError (identity signature)', async () => {
    const inner = innerOf(realBytes, alice.publicKey, P)
    inner[inner.length - 70]! ^= 1 // inside the last auth id
    const tampered = await wrapInner({ ...base, identityKey: alice.publicKey, signingSeed: r(32), inner })
    expectDescError(() => openHsDescriptor(tampered, alice.publicKey, NOW))
  })
  it('the real inner part re-wrapped under another signing key or revision → HsDescriptorError', async () => {
    const inner = innerOf(realBytes, alice.publicKey, P)
    const seed = await descriptorSigningSeed(alice.sign, P)
    expect(openHsDescriptor(await wrapInner({ ...base, identityKey: alice.publicKey, signingSeed: seed, inner }), alice.publicKey, NOW).revision).toBe(NOW)
    expectDescError(() => openHsDescriptor(squatted, alice.publicKey, NOW))
    expectDescError(() => openHsDescriptor(bumped, alice.publicKey, NOW))
  })
  let squatted: Uint8Array = new Uint8Array(0)
  let bumped: Uint8Array = new Uint8Array(0)
  beforeAll(async () => {
    const inner = innerOf(realBytes, alice.publicKey, P)
    squatted = await wrapInner({ ...base, identityKey: alice.publicKey, signingSeed: r(32), inner })
    bumped = await wrapInner({ ...base, revision: NOW + 1, identityKey: alice.publicKey, signingSeed: await descriptorSigningSeed(alice.sign, P), inner })
  })
  it('malformed inner (no intro points, trailing bytes, undecryptable) → HsDescriptorError', async () => {
    const inner = innerOf(realBytes, alice.publicKey, P)
    const zero = inner.slice(); zero[64] = 0
    expectDescError(() => openHsDescriptor(wrap(zero), alice.publicKey, NOW))
    expectDescError(() => openHsDescriptor(wrap(new Uint8Array([...inner, 0])), alice.publicKey, NOW))
    const other = await make({ period: P + 1 })
    const cross = other.slice(); cross.set(realBytes.subarray(1, 33), 1) // Alice's P id on a P+1 body: bad outer sig
    expectDescError(() => openHsDescriptor(cross, alice.publicKey, NOW))
  })
  const wrapped = new Map<string, Uint8Array>()
  const wrap = (inner: Uint8Array): Uint8Array => wrapped.get(toHex(inner)) ?? (() => { throw new Error('not prepared') })()
  beforeAll(async () => {
    const inner = innerOf(realBytes, alice.publicKey, P)
    const zero = inner.slice(); zero[64] = 0
    const seed = await descriptorSigningSeed(alice.sign, P)
    for (const i of [zero, new Uint8Array([...inner, 0])]) wrapped.set(toHex(i), await wrapInner({ ...base, identityKey: alice.publicKey, signingSeed: seed, inner: i }))
  })
})

describe('only HsDescriptorError escapes (property)', () => {
  const onlyDescErrors = (f: () => unknown): void => {
    try { f() } catch (e) {
      if (!(e instanceof HsDescriptorError) && !(e instanceof IdentityMismatchError)) throw e
    }
  }
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: HS_DESCRIPTOR_MAX + 10 }), (b) => {
      onlyDescErrors(() => parseHsDescriptorOuter(b, NOW))
      onlyDescErrors(() => openHsDescriptor(b, alice.publicKey, NOW))
    }))
  })
  it('random bytes with a valid header prefix', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 900 }), (tail) => {
      const b = new Uint8Array([...realBytes.subarray(0, 91), ...tail])
      onlyDescErrors(() => openHsDescriptor(b, alice.publicKey, NOW))
    }))
  })
  it('any single bit flip of a valid descriptor → HsDescriptorError', () => {
    fc.assert(fc.property(fc.nat({ max: realBytes.length * 8 - 1 }), (bit) => {
      const b = realBytes.slice()
      b[bit >> 3]! ^= 1 << (bit & 7)
      expect(() => parseHsDescriptorOuter(b, NOW)).toThrow(HsDescriptorError)
      expect(() => openHsDescriptor(b, alice.publicKey, NOW)).toThrow(HsDescriptorError)
    }), { numRuns: 150 })
  })
})

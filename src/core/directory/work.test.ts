import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createBLAKE2b } from 'hash-wasm'
import { fromHex } from '../bytes.ts'
import { MAX_DESCRIPTOR_CLOCK_SKEW_MS } from './descriptor.ts'
import { DescriptorError, DescriptorStaleWorkError, DescriptorWorkError, MalformedDescriptorError } from './errors.ts'
import { RELAY_WORK_EPOCH_MS } from './limits.ts'
import {
  checkRelayWork, decodeRelayWorkProof, encodeRelayWorkProof, meetsEffort, nobleRelayWorkHash, relayWorkEpoch,
  relayWorkInput, searchRelayWork, solveRelayWork, type RelayWorkHash
} from './work.ts'
import { testDescriptorFields, testRelayKeys } from './descriptor.test-util.ts'

const NOW = 1_700_000_000_000
const KEY = Uint8Array.from({ length: 32 }, (_, i) => i)
const EPOCH = 472222 // relayWorkEpoch(NOW)
const counterNonce = (c: number): Uint8Array => { const n = new Uint8Array(16); new DataView(n.buffer).setBigUint64(0, BigInt(c), true); return n }

/**
 * Vectors computed with CPython 3's hashlib.blake2b(digest_size=4) (the
 * BLAKE2 reference code, independent of @noble/hashes and hash-wasm): key
 * bytes 0..31, epoch 472222, nonce = little-endian counter in the first 8
 * bytes, first counter that passes from 0. The script (2026-12-03):
 *
 *   import hashlib, struct
 *   P = b'shallot relay work v1'; key = bytes(range(32)); epoch = 472222
 *   R = lambda e, n: int.from_bytes(hashlib.blake2b(P + key + struct.pack('>II', epoch, e) + n, digest_size=4).digest(), 'big')
 *   print(hex(R(1000, bytes(16))))                      # 0x7b7b16f3
 *   for e in (1000, 100000):
 *       c = 0
 *       while R(e, struct.pack('<Q', c) + bytes(8)) * e > 0xffffffff: c += 1
 *       print(e, c, hex(R(e, struct.pack('<Q', c) + bytes(8))))   # 1000 529 0x8d26a / 100000 125328 0x34c9
 */
const VECTORS = {
  zeroNonceEffort1000: 0x7b7b16f3,
  effort1000: { counter: 529, r: 0x8d26a, nonce: '11020000000000000000000000000000' },
  effort100000: { counter: 125328, r: 0x34c9, nonce: '90e90100000000000000000000000000' }
}

describe('relay work (Tor proposal 327 effort check over blake2b)', () => {
  it('matches the reference vectors, with @noble/hashes and with hash-wasm', async () => {
    const wasm = await createBLAKE2b(32)
    const wasmHash: RelayWorkHash = (input) => { wasm.init(); wasm.update(input); return new DataView(wasm.digest('binary').buffer).getUint32(0) }
    expect(relayWorkEpoch(NOW)).toBe(EPOCH)
    for (const hash of [nobleRelayWorkHash, wasmHash]) {
      expect(hash(relayWorkInput({ signingKey: KEY, epoch: EPOCH, effort: 1000 }))).toBe(VECTORS.zeroNonceEffort1000)
      for (const [effort, v] of [[1000, VECTORS.effort1000], [100000, VECTORS.effort100000]] as const) {
        const proof = solveRelayWork({ signingKey: KEY, epoch: EPOCH, effort }, new Uint8Array(16), hash)
        expect(proof.nonce).toEqual(fromHex(v.nonce))
        expect(proof.nonce).toEqual(counterNonce(v.counter))
        expect(hash(relayWorkInput({ signingKey: KEY, epoch: EPOCH, effort }, proof.nonce))).toBe(v.r)
      }
    }
  })

  it('checks R × E ≤ 2^32 − 1 exactly at the boundary', () => {
    expect(meetsEffort(0xffff_ffff, 1)).toBe(true)
    expect(meetsEffort(0x7fff_ffff, 2)).toBe(true)
    expect(meetsEffort(0x8000_0000, 2)).toBe(false)
    expect(meetsEffort(0xffff_ffff, 0xffff_ffff)).toBe(false)
    expect(meetsEffort(1, 0xffff_ffff)).toBe(true)
  })

  it('searches in slices and resumes where it stopped', () => {
    const input = relayWorkInput({ signingKey: KEY, epoch: EPOCH, effort: 1000 })
    expect(searchRelayWork(input, 1000, 500)).toBeNull()
    expect(searchRelayWork(input, 1000, 100)).toEqual(counterNonce(VECTORS.effort1000.counter))
  })

  it('round-trips the proof encoding and refuses other schemes and lengths', () => {
    const proof = { epoch: EPOCH, effort: 1000, nonce: counterNonce(529) }
    const bytes = encodeRelayWorkProof(proof)
    expect(bytes.length).toBe(25)
    expect(decodeRelayWorkProof(bytes)).toEqual(proof)
    const other = bytes.slice(); other[0] = 2
    expect(() => decodeRelayWorkProof(other)).toThrow(MalformedDescriptorError)
    expect(() => decodeRelayWorkProof(bytes.subarray(0, 24))).toThrow(MalformedDescriptorError)
    const zero = bytes.slice(); zero.fill(0, 5, 9)
    expect(() => decodeRelayWorkProof(zero)).toThrow(MalformedDescriptorError)
  })

  describe('attacks on the proof', () => {
    const keys = testRelayKeys('relayA')
    const proofFor = (effort: number, epoch = EPOCH, signingKey = keys.signingKey): Uint8Array =>
      encodeRelayWorkProof(solveRelayWork({ signingKey, epoch, effort }, new Uint8Array(16)))
    const check = (powNonce: Uint8Array | null, minEffort = 1000, now = NOW): number =>
      checkRelayWork(testDescriptorFields('relayA', now, { powNonce }), now, minEffort, MAX_DESCRIPTOR_CLOCK_SKEW_MS)

    it('accepts an honest proof and returns its effort', () => {
      expect(check(proofFor(1000))).toBe(1000)
      expect(check(proofFor(2000))).toBe(2000)
    })

    it('no proof: refused', () => {
      expect(() => check(null)).toThrow(DescriptorWorkError)
    })

    it('under-worked proof: refused', () => {
      expect(() => check(proofFor(999))).toThrow(DescriptorWorkError)
    })

    it('claiming more effort than the nonce proves: refused', () => {
      const cheap = decodeRelayWorkProof(proofFor(1))
      // nonce 0 meets effort 1 (every nonce does); its R for effort 1,000,000 does not (deterministic: fixed keys)
      expect(() => check(encodeRelayWorkProof({ ...cheap, effort: 1_000_000 }))).toThrow(DescriptorWorkError)
    })

    it('a proof made for another identity: refused', () => {
      expect(() => check(proofFor(10_000, EPOCH, testRelayKeys('relayB').signingKey))).toThrow(DescriptorWorkError)
    })

    it('a proof from an old epoch (precomputed long ago) or a far future one: refused', () => {
      expect(check(proofFor(1000, EPOCH - 1))).toBe(1000) // the previous epoch is still good
      expect(() => check(proofFor(1000, EPOCH - 2))).toThrow(DescriptorStaleWorkError)
      expect(() => check(proofFor(1000, EPOCH + 2))).toThrow(DescriptorStaleWorkError)
      // clock skew reaches the next epoch only near its start
      const nearNext = (EPOCH + 1) * RELAY_WORK_EPOCH_MS - 60_000
      expect(check(proofFor(1000, EPOCH + 1), 1000, nearNext)).toBe(1000)
      expect(() => check(proofFor(1000, EPOCH + 1), 1000, NOW)).toThrow(DescriptorStaleWorkError)
    })

    it('random proof bytes throw only named descriptor errors', () => {
      fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 32 }), (bytes) => {
        try {
          check(bytes.length === 0 ? null : bytes)
        } catch (err) {
          expect(err).toBeInstanceOf(DescriptorError)
        }
      }))
    })
  })
})

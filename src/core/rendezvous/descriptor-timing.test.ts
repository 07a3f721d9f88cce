import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../random.ts'
import {
  HS_DESCRIPTOR_LIFETIME_MS, HS_FIRST_PUBLISH_DELAY_MAX_MS, HS_PERIOD_MS, HS_PERIOD_OVERLAP_MS, HS_REPUBLISH_MIN_MS, HS_REPUBLISH_MS,
  HS_REVISION_STEP_MS, hsPeriod, publishPeriods
} from './constants.ts'
import { encodeHsDescriptor, descriptorSigningSeed, parseHsDescriptorOuter } from './descriptor.ts'
import { hsDescriptorExpires, hsFirstPublishDelay, hsRepublishDelay, hsRevision } from './descriptor-timing.ts'
import { HsDirStore } from './hsdir-store.ts'
import { NOW, rnd, testContent, testIdentity } from './rendezvous.test-util.ts'

const P = hsPeriod(NOW)
const windowStart = (p: number): number => p * HS_PERIOD_MS - HS_PERIOD_OVERLAP_MS
const windowEnd = (p: number): number => (p + 1) * HS_PERIOD_MS

describe('hsRevision', () => {
  // Recomputed independently from the formula in docs/RENDEZVOUS.md §4 with
  // pyca/cryptography 48.0.0 (HKDF-SHA256, RFC 8439 ChaCha20 with counter 0
  // and a zero nonce); seed = bytes 0..31, period 491000.
  it('matches vectors computed with another implementation', () => {
    const seed = Uint8Array.from({ length: 32 }, (_, i) => i)
    expect(hsRevision(seed, 491_000, 1767599400000)).toBe(61954139199883)
    expect(hsRevision(seed, 491_000, 1767600000000)).toBe(61954158048413)
    expect(hsRevision(seed, 491_000, 1767601200999)).toBe(61954198253828)
    expect(hsRevision(seed, 491_000, 1767603599999)).toBe(61954277585116)
  })

  it('grows with every step across the whole publishing window, so a republish replaces the last upload', () => {
    const seed = rnd('rev-order')(32)
    fc.assert(fc.property(fc.integer({ min: windowStart(P), max: windowEnd(P) - 1 }), fc.integer({ min: 0, max: 30 * 60_000 }), (t, d) => {
      const later = Math.min(t + d, windowEnd(P) - 1)
      const a = hsRevision(seed, P, t)
      const b = hsRevision(seed, P, later)
      if (Math.floor(later / HS_REVISION_STEP_MS) > Math.floor(t / HS_REVISION_STEP_MS)) expect(b).toBeGreaterThan(a)
      else expect(b).toBe(a)
      expect(Number.isSafeInteger(b)).toBe(true)
    }), { numRuns: 60 })
  })

  it('is the same after a reload (derived from the period signing seed, nothing stored)', async () => {
    const id = testIdentity(rnd('rev-reload')(32))
    const s1 = await descriptorSigningSeed(id.sign, P)
    const s2 = await descriptorSigningSeed(id.sign, P)
    expect(hsRevision(s2, P, NOW)).toBe(hsRevision(s1, P, NOW))
  })

  it('refuses a seed of the wrong length', () => {
    expect(() => hsRevision(new Uint8Array(31), P, NOW)).toThrow(RangeError)
  })

  it('revision-reveals-publish-time: one revision says nothing of when it was made (spread of services at one instant covers the offset range)', () => {
    // Different services publishing at the same instant: their revisions lie
    // anywhere in [0, 2^48), so a revision cannot be read back as a time.
    const r = rnd('rev-spread')
    const revs = Array.from({ length: 64 }, () => hsRevision(r(32), P, NOW))
    const spread = Math.max(...revs) - Math.min(...revs)
    // The time part of the sum is at most 4201 · 2^16 < 2^29; the spread across services is of the order of 2^48.
    expect(spread).toBeGreaterThan(2 ** 46)
  })
})

describe('HSDir replacement with the new revision counter (rend-spec-v3 §2.4)', () => {
  it('a later upload replaces the held one within a period; a replay of the earlier one is refused', async () => {
    const r = rnd('rev-hsdir')
    const id = testIdentity(r(32))
    let now = NOW
    const store = new HsDirStore({ now: () => now })
    const seed = await descriptorSigningSeed(id.sign, P)
    const make = async (t: number): Promise<Uint8Array> => await encodeHsDescriptor(
      testContent(id, r, { period: P, revision: hsRevision(seed, P, t), expires: hsDescriptorExpires(P) }), { sign: id.sign, signingSeed: seed, random: r })
    const first = await make(NOW)
    expect(store.store(first)).toBe(true)
    now = NOW + HS_REPUBLISH_MIN_MS
    const second = await make(now)
    expect(store.store(second)).toBe(true)
    expect(store.store(first)).toBe(false)
    expect(store.fetch(parseHsDescriptorOuter(second, now).descId)).toEqual([second])
  })
})

describe('hsDescriptorExpires', () => {
  it('is accepted by an HSDir at every time a service publishes for the period, and expires when lookups of it stop', () => {
    fc.assert(fc.property(fc.integer({ min: windowStart(P), max: windowEnd(P) - 1 }), (t) => {
      for (const p of publishPeriods(t)) {
        const e = hsDescriptorExpires(p)
        expect(e).toBeGreaterThan(t)
        expect(e - t).toBeLessThanOrEqual(HS_DESCRIPTOR_LIFETIME_MS)
      }
    }), { numRuns: 200 })
    expect(hsDescriptorExpires(P)).toBe(windowEnd(P) + HS_PERIOD_OVERLAP_MS)
  })

  it('expiry-links-periods: the current and next period descriptors expire at different times', () => {
    expect(hsDescriptorExpires(P + 1)).toBe(hsDescriptorExpires(P) + HS_PERIOD_MS)
  })
})

describe('upload delays', () => {
  it('are uniform draws within their bounds', () => {
    const r = seededRandom('delays')
    const re = Array.from({ length: 400 }, () => hsRepublishDelay(r))
    const fi = Array.from({ length: 400 }, () => hsFirstPublishDelay(r))
    expect(Math.min(...re)).toBeGreaterThanOrEqual(HS_REPUBLISH_MIN_MS)
    expect(Math.max(...re)).toBeLessThanOrEqual(HS_REPUBLISH_MS)
    expect(Math.min(...fi)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...fi)).toBeLessThanOrEqual(HS_FIRST_PUBLISH_DELAY_MAX_MS)
    // Not a fixed beat: the draws spread over most of the range.
    expect(Math.max(...re) - Math.min(...re)).toBeGreaterThan(0.9 * (HS_REPUBLISH_MS - HS_REPUBLISH_MIN_MS))
    expect(Math.max(...fi) - Math.min(...fi)).toBeGreaterThan(0.9 * HS_FIRST_PUBLISH_DELAY_MAX_MS)
  })
})

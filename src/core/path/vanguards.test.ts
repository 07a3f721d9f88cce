import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { seededRandom } from '../random.ts'
import { NoPathError } from './errors.ts'
import { GuardSet } from './guards.ts'
import { L2_MAX_LIFETIME_MS, L2_MIN_LIFETIME_MS, L2_VANGUARD_COUNT } from './limits.ts'
import { choosePath } from './path.ts'
import { fakeRelay, fakeRelays, ipv4 } from './path.test-util.ts'
import { vanguardLifetime, VanguardSet } from './vanguards.ts'

const SELF = 'self'

function sets (seed: string, start = 0) {
  let now = start
  const rng = seededRandom(seed)
  return {
    rng,
    guards: new GuardSet({ rng }),
    vanguards: new VanguardSet({ rng, now: () => now }),
    advance: (ms: number) => { now += ms }
  }
}

describe('vanguardLifetime (prop 333: max(X, X), X uniform in [min, max])', () => {
  it('stays within the bounds and leans towards the longer lifetimes', () => {
    const rng = seededRandom('l2-lifetime')
    const draws = Array.from({ length: 4000 }, () => vanguardLifetime(rng))
    for (const d of draws) {
      expect(d).toBeGreaterThanOrEqual(L2_MIN_LIFETIME_MS)
      expect(d).toBeLessThanOrEqual(L2_MAX_LIFETIME_MS)
    }
    // max of two uniforms on [0,1] has mean 2/3: the mean sits at min + 2/3 of the span, not halfway.
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length
    const twoThirds = L2_MIN_LIFETIME_MS + (2 / 3) * (L2_MAX_LIFETIME_MS - L2_MIN_LIFETIME_MS)
    expect(Math.abs(mean - twoThirds)).toBeLessThan(0.03 * (L2_MAX_LIFETIME_MS - L2_MIN_LIFETIME_MS))
  })
})

describe('VanguardSet', () => {
  it(`keeps ${L2_VANGUARD_COUNT} members, never self, and the same ones until they expire`, () => {
    const relays = [fakeRelay(SELF, 10_000), ...fakeRelays(30)]
    const { vanguards, advance } = sets('l2-keep')
    vanguards.refresh(relays, SELF)
    const first = vanguards.vanguards
    expect(first).toHaveLength(L2_VANGUARD_COUNT)
    expect(first.map(v => v.peerId)).not.toContain(SELF)
    advance(L2_MIN_LIFETIME_MS - 1)
    vanguards.refresh(relays, SELF)
    expect(vanguards.vanguards).toEqual(first)
    // Each is replaced when its own lifetime is over, the others stay.
    const soonest = Math.min(...first.map(v => v.expires))
    advance(soonest - (L2_MIN_LIFETIME_MS - 1))
    vanguards.refresh(relays, SELF)
    const kept = vanguards.vanguards.filter(v => first.some(f => f.peerId === v.peerId && f.expires === v.expires))
    expect(kept).toHaveLength(first.filter(v => v.expires > soonest).length)
    expect(vanguards.vanguards).toHaveLength(L2_VANGUARD_COUNT)
    advance(L2_MAX_LIFETIME_MS)
    vanguards.refresh(relays, SELF)
    expect(vanguards.vanguards.some(v => first.some(f => f.peerId === v.peerId && f.expires === v.expires))).toBe(false)
  })

  it('replaces a member that leaves the directory at once', () => {
    const relays = fakeRelays(20)
    const { vanguards } = sets('l2-unlisted')
    vanguards.refresh(relays, SELF)
    const gone = vanguards.vanguards[0]!.peerId
    vanguards.refresh(relays.filter(r => r.peerId !== gone), SELF)
    expect(vanguards.vanguards).toHaveLength(L2_VANGUARD_COUNT)
    expect(vanguards.vanguards.map(v => v.peerId)).not.toContain(gone)
  })
})

describe('choosePath with vanguards (prop 333)', () => {
  it('hop 0 is the guard, hop 1 always one of the L2 set, and neither is ever the excluded endpoint', () => {
    fc.assert(fc.property(fc.integer({ min: 6, max: 40 }), fc.integer({ min: 0, max: 1000 }), (n, seed) => {
      const relays = fakeRelays(n)
      const { rng, guards, vanguards } = sets(`l2-path-${seed}`)
      const endpoint = `r${seed % n}`
      for (let i = 0; i < 20; i++) {
        const path = choosePath(relays, { self: SELF, rng, hops: 3, exclude: [endpoint], guards, vanguards }).map(r => r.peerId)
        expect(new Set(path).size).toBe(3)
        expect(path).not.toContain(endpoint)
        expect(path[0]).toBe(guards.pick(relays, SELF, new Set([endpoint]))!.peerId)
        expect(vanguards.vanguards.map(v => v.peerId)).toContain(path[1])
      }
    }), { numRuns: 50 })
  })

  it('spreads circuits over the L2 members usable for each, and does not resample when none is', () => {
    const relays = fakeRelays(30)
    const { rng, guards, vanguards } = sets('l2-spread')
    const seen = new Map<string, number>()
    for (let i = 0; i < 800; i++) {
      const l2 = choosePath(relays, { self: SELF, rng, hops: 3, guards, vanguards })[1]!.peerId
      seen.set(l2, (seen.get(l2) ?? 0) + 1)
    }
    const members = vanguards.vanguards.map(v => v.peerId).filter(id => id !== guards.guards[0]!.peerId)
    expect([...seen.keys()].sort()).toEqual(members.sort())
    for (const count of seen.values()) expect(count).toBeGreaterThan(800 / members.length / 2)
    // Every member excluded for this circuit: no path, and the set is unchanged.
    const before = vanguards.vanguards
    expect(() => choosePath(relays, { self: SELF, rng, hops: 3, guards, vanguards, exclude: before.map(v => v.peerId) })).toThrow(NoPathError)
    expect(vanguards.vanguards).toEqual(before)
  })

  it('an L2 member in the guard\'s network is not used after that guard', () => {
    const relays = Array.from({ length: 12 }, (_, i) => fakeRelay(`r${i}`, 100, ipv4(10, i % 2)))
    const { rng, guards, vanguards } = sets('l2-hints')
    for (let i = 0; i < 100; i++) {
      const path = choosePath(relays, { self: SELF, rng, hops: 2, guards, vanguards })
      expect(path[1]!.networkHint!.prefix[1]).not.toBe(path[0]!.networkHint!.prefix[1])
    }
  })

  it('refuses vanguards without guards or with a one-hop path', () => {
    const relays = fakeRelays(10)
    const { rng, guards, vanguards } = sets('l2-args')
    expect(() => choosePath(relays, { self: SELF, rng, vanguards })).toThrow(RangeError)
    expect(() => choosePath(relays, { self: SELF, rng, hops: 1, guards, vanguards })).toThrow(RangeError)
  })
})

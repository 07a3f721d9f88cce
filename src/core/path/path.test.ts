import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { seededRandom } from '../random.ts'
import { choosePath, DEFAULT_PATH_LENGTH } from './path.ts'
import { GuardSet, GUARD_MAX_FAILURES, DEFAULT_GUARD_COUNT } from './guards.ts'
import { NoPathError } from './errors.ts'
import { uniformInt, weightedIndex } from './sampling.ts'
import { MAX_PATH_WEIGHT, MEDIAN_WEIGHT_MULTIPLIER, weightCap } from './weights.ts'
import { fakeRelay, fakeRelays, ipv4 } from './path.test-util.ts'

const SELF = 'self'

describe('sampling', () => {
  it('uniformInt stays in range and covers it', () => {
    const rng = seededRandom('uniform')
    const seen = new Set<number>()
    for (let i = 0; i < 2000; i++) {
      const v = uniformInt(rng, 7)
      expect(v).toBeGreaterThanOrEqual(0)
      expect(v).toBeLessThan(7)
      seen.add(v)
    }
    expect(seen.size).toBe(7)
    expect(uniformInt(rng, 1)).toBe(0)
    expect(() => uniformInt(rng, 0)).toThrow(RangeError)
    expect(() => uniformInt(rng, 1.5)).toThrow(RangeError)
  })

  it('weightedIndex never picks a zero weight and refuses an all-zero list', () => {
    const rng = seededRandom('weighted')
    for (let i = 0; i < 1000; i++) expect(weightedIndex(rng, [0, 3, 0, 1])).toSatisfy((x: number) => x === 1 || x === 3)
    expect(() => weightedIndex(rng, [0, 0])).toThrow(RangeError)
    expect(() => weightedIndex(rng, [-1, 2])).toThrow(RangeError)
  })
})

describe('choosePath', () => {
  it('defaults to 3 distinct hops, never self, never the excluded set (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 3, max: 30 }),
      fc.string({ minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(40), { maxLength: 5 }),
      fc.boolean(),
      (n, seed, excludedIdx, withGuards) => {
        const relays = [...fakeRelays(n), fakeRelay(SELF)]
        const exclude = excludedIdx.map(i => `r${i}`)
        const usable = relays.filter(r => r.peerId !== SELF && !exclude.includes(r.peerId)).length
        const rng = seededRandom(seed)
        const guards = withGuards ? new GuardSet({ rng }) : undefined
        try {
          const path = choosePath(relays, { self: SELF, rng, exclude, ...(guards != null ? { guards } : {}) })
          expect(path).toHaveLength(DEFAULT_PATH_LENGTH)
          expect(new Set(path.map(r => r.peerId)).size).toBe(path.length)
          for (const hop of path) {
            expect(hop.peerId).not.toBe(SELF)
            expect(exclude).not.toContain(hop.peerId)
          }
          if (guards != null) expect(guards.guards.map(g => g.peerId)).toContain(path[0]?.peerId)
        } catch (err) {
          expect(err).toBeInstanceOf(NoPathError)
          // with enough usable relays only an all-guards-excluded case may fail
          if (usable >= 3) expect(withGuards).toBe(true)
        }
      }
    ), { numRuns: 500 })
  })

  it('is deterministic for a seed', () => {
    const relays = fakeRelays(20)
    const run = (seed: string): string[][] => {
      const rng = seededRandom(seed)
      return Array.from({ length: 20 }, () => choosePath(relays, { self: SELF, rng }).map(r => r.peerId))
    }
    expect(run('det')).toEqual(run('det'))
    expect(run('det')).not.toEqual(run('other'))
  })

  it('picks relays in proportion to capacity (10 000 seeded draws)', () => {
    // one relay at 4× the others: expected share 400 / (400 + 9 × 100)
    const relays = [fakeRelay('heavy', 400), ...fakeRelays(9)]
    const rng = seededRandom('weights')
    const counts = new Map<string, number>()
    const draws = 10_000
    for (let i = 0; i < draws; i++) {
      const [hop] = choosePath(relays, { self: SELF, rng, hops: 1 })
      counts.set(hop!.peerId, (counts.get(hop!.peerId) ?? 0) + 1)
    }
    const expected = 400 / 1300
    // binomial sd ≈ sqrt(p(1-p)/n) ≈ 0.0046; allow ~4 sd
    expect(Math.abs((counts.get('heavy') ?? 0) / draws - expected)).toBeLessThan(0.02)
    for (let i = 0; i < 9; i++) expect(Math.abs((counts.get(`r${i}`) ?? 0) / draws - 100 / 1300)).toBeLessThan(0.015)
  })

  it('caps a liar\'s weight at k × the median capacity', () => {
    const relays = [fakeRelay('liar', 0xffff_ffff), ...fakeRelays(9)]
    expect(weightCap(relays)).toBe(MEDIAN_WEIGHT_MULTIPLIER * 100)
    expect(weightCap(fakeRelays(5, 1_000_000))).toBe(MAX_PATH_WEIGHT)
    const rng = seededRandom('liar')
    let liar = 0
    for (let i = 0; i < 10_000; i++) if (choosePath(relays, { self: SELF, rng, hops: 1 })[0]!.peerId === 'liar') liar++
    expect(Math.abs(liar / 10_000 - 400 / 1300)).toBeLessThan(0.02)
  })

  it('never uses zero-capacity relays', () => {
    const relays = [...fakeRelays(3), fakeRelay('optout', 0)]
    const rng = seededRandom('zero')
    for (let i = 0; i < 200; i++) expect(choosePath(relays, { self: SELF, rng }).map(r => r.peerId)).not.toContain('optout')
  })

  it('puts no two hops in the same network when hints are known', () => {
    const relays = [
      ...Array.from({ length: 6 }, (_, i) => fakeRelay(`a${i}`, 100, ipv4(10, 1))),
      ...Array.from({ length: 6 }, (_, i) => fakeRelay(`b${i}`, 100, ipv4(10, 2))),
      fakeRelay('v6', 100, { family: 'ipv6', prefix: Uint8Array.of(0x20, 0x01, 0x0d, 0xb8) }),
      fakeRelay('u0'), fakeRelay('u1')
    ]
    const rng = seededRandom('hints')
    for (let i = 0; i < 1000; i++) {
      const path = choosePath(relays, { self: SELF, rng, hops: 4 })
      const hints = path.map(r => r.peerId[0]).filter(c => c === 'a' || c === 'b')
      expect(new Set(hints).size).toBe(hints.length)
    }
    // five relays in one /16: only one can be used
    const same = Array.from({ length: 5 }, (_, i) => fakeRelay(`s${i}`, 100, ipv4(10, 9)))
    expect(() => choosePath(same, { self: SELF, rng })).toThrow(NoPathError)
    expect(choosePath([...same, fakeRelay('x'), fakeRelay('y')], { self: SELF, rng })).toHaveLength(3)
  })

  it('fails with NoPathError when there are too few relays', () => {
    const rng = seededRandom('few')
    const relays = [fakeRelay(SELF), fakeRelay('r0'), fakeRelay('r1'), fakeRelay('dest')]
    try {
      choosePath(relays, { self: SELF, rng, exclude: ['dest'] })
      expect.unreachable()
    } catch (err) {
      expect(err).toBeInstanceOf(NoPathError)
      expect((err as NoPathError).kind).toBe('no-path')
      expect((err as NoPathError).needed).toBe(3)
      expect((err as NoPathError).available).toBe(2)
    }
    expect(() => choosePath([], { self: SELF, rng })).toThrow(NoPathError)
    expect(choosePath(relays, { self: SELF, rng, hops: 2, exclude: ['dest'] })).toHaveLength(2)
    expect(() => choosePath(relays, { self: SELF, rng, hops: 0 })).toThrow(RangeError)
  })
})

describe('GuardSet', () => {
  it('keeps the same guards across builds; the first hop is always the first usable guard', () => {
    const relays = fakeRelays(30)
    const rng = seededRandom('guards-stable')
    const guards = new GuardSet({ rng })
    const first = choosePath(relays, { self: SELF, rng, guards })[0]!.peerId
    const set = guards.guards.map(g => g.peerId)
    expect(set).toHaveLength(DEFAULT_GUARD_COUNT)
    expect(set[0]).toBe(first)
    for (let i = 0; i < 200; i++) {
      const path = choosePath(relays, { self: SELF, rng, guards })
      expect(path[0]!.peerId).toBe(first)
      expect(path.slice(1).map(r => r.peerId)).not.toContain(first)
    }
    expect(guards.guards.map(g => g.peerId)).toEqual(set)
  })

  it('skips a guard excluded for one circuit without dropping it', () => {
    const relays = fakeRelays(10)
    const rng = seededRandom('guards-exclude')
    const guards = new GuardSet({ rng })
    guards.refresh(relays, SELF)
    const [g0, g1] = guards.guards.map(g => g.peerId)
    expect(choosePath(relays, { self: SELF, rng, guards, exclude: [g0!] })[0]!.peerId).toBe(g1)
    expect(choosePath(relays, { self: SELF, rng, guards })[0]!.peerId).toBe(g0)
  })

  it('replaces a guard after repeated failures, and a success resets the count', () => {
    const relays = fakeRelays(10)
    const rng = seededRandom('guards-fail')
    const guards = new GuardSet({ rng })
    guards.refresh(relays, SELF)
    const [g0, g1] = guards.guards.map(g => g.peerId)
    for (let i = 0; i < GUARD_MAX_FAILURES - 1; i++) expect(guards.markFailure(g0!)).toBe(false)
    guards.markSuccess(g0!)
    expect(guards.guards[0]?.failures).toBe(0)
    for (let i = 0; i < GUARD_MAX_FAILURES - 1; i++) guards.markFailure(g0!)
    expect(guards.markFailure(g0!)).toBe(true)
    expect(guards.retiredGuards).toEqual([g0])
    const path = choosePath(relays, { self: SELF, rng, guards })
    expect(path[0]!.peerId).toBe(g1)
    expect(guards.guards).toHaveLength(DEFAULT_GUARD_COUNT)
    expect(guards.guards.map(g => g.peerId)).not.toContain(g0)
    // a retired guard is not sampled again this session
    // (10 relays: g0 retired, 3 guards; retiring 6 more uses up every fresh relay)
    for (let i = 0; i < 6; i++) {
      guards.retire(guards.guards[guards.guards.length - 1]!.peerId)
      guards.refresh(relays, SELF)
      expect(guards.guards.map(g => g.peerId)).not.toContain(g0)
    }
    expect(guards.guards).toHaveLength(3)
    guards.retire(guards.guards[2]!.peerId)
    guards.refresh(relays, SELF)
    expect(guards.guards).toHaveLength(2) // nothing fresh left: retired relays are not re-sampled
  })

  it('drops guards that leave the directory and never picks self', () => {
    const relays = [fakeRelay(SELF, 10_000), ...fakeRelays(6)]
    const rng = seededRandom('guards-expire')
    const guards = new GuardSet({ rng })
    guards.refresh(relays, SELF)
    const ids = guards.guards.map(g => g.peerId)
    expect(ids).not.toContain(SELF)
    const remaining = relays.filter(r => r.peerId !== ids[0])
    const path = choosePath(remaining, { self: SELF, rng, guards })
    expect(guards.guards.map(g => g.peerId)).not.toContain(ids[0])
    expect(guards.guards).toHaveLength(DEFAULT_GUARD_COUNT)
    expect(path[0]!.peerId).toBe(ids[1])
  })

  it('throws NoPathError when no guard is usable for the circuit', () => {
    const relays = fakeRelays(5)
    const rng = seededRandom('guards-none')
    const guards = new GuardSet({ rng, size: 1 })
    guards.refresh(relays, SELF)
    const only = guards.guards[0]!.peerId
    expect(() => choosePath(relays, { self: SELF, rng, guards, exclude: [only] })).toThrow(NoPathError)
  })
})

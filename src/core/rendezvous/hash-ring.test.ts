import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { concatBytes, toHex } from '../bytes.ts'
import { sha256 } from '../crypto/primitives.ts'
import { HSDIR_REPLICAS, HSDIR_SPREAD } from './constants.ts'
import { responsibleHsDirs } from './hash-ring.ts'
import { rnd } from './rendezvous.test-util.ts'
import { u64, utf8 } from './wire.ts'

const r = rnd('hash-ring')
const relays = (n: number): { nodeId: Uint8Array, name: string }[] => Array.from({ length: n }, (_, i) => ({ nodeId: r(32), name: `relay${i}` }))
const names = (xs: { name: string }[]): string[] => xs.map(x => x.name)
const P = 491_000

describe('HSDir hash ring (spec §3)', () => {
  const ring = relays(20)
  const descId = r(32)
  it(`picks ${HSDIR_REPLICAS * HSDIR_SPREAD} distinct relays, deterministically and independent of input order`, () => {
    const a = responsibleHsDirs(ring, descId, P)
    expect(a.length).toBe(HSDIR_REPLICAS * HSDIR_SPREAD)
    expect(new Set(names(a)).size).toBe(a.length)
    expect(names(responsibleHsDirs(ring, descId, P))).toEqual(names(a))
    expect(names(responsibleHsDirs([...ring].reverse(), descId, P))).toEqual(names(a))
  })
  it('matches the spec formula (first HSDIR_SPREAD at or after hsIndex per replica, wrapping)', () => {
    const idx = (id: Uint8Array): string => toHex(sha256(concatBytes(utf8('shallot-hsdir-index-v1'), id, u64(P))))
    const sorted = [...ring].sort((a, b) => idx(a.nodeId) < idx(b.nodeId) ? -1 : 1)
    const want: string[] = []
    for (let rep = 1; rep <= HSDIR_REPLICAS; rep++) {
      const h = toHex(sha256(concatBytes(utf8('shallot-hs-index-v1'), descId, u64(rep), u64(P))))
      let s = sorted.findIndex(x => idx(x.nodeId) >= h); if (s < 0) s = 0
      let taken = 0
      for (let k = 0; k < sorted.length && taken < HSDIR_SPREAD; k++) {
        const x = sorted[(s + k) % sorted.length]!
        if (!want.includes(x.name)) { want.push(x.name); taken++ }
      }
    }
    expect(names(responsibleHsDirs(ring, descId, P))).toEqual(want)
  })
  it('changes with the period', () => {
    const a = names(responsibleHsDirs(ring, descId, P))
    const changed = [1, 2, 3, 4, 5].some(d => names(responsibleHsDirs(ring, descId, P + d)).join() !== a.join())
    expect(changed).toBe(true)
  })
  it('returns all relays when there are fewer than 4, at least 3 when there are ≥ 3', () => {
    expect(responsibleHsDirs([], descId, P)).toEqual([])
    for (const n of [1, 2, 3]) {
      const few = relays(n)
      expect(new Set(names(responsibleHsDirs(few, descId, P)))).toEqual(new Set(names(few)))
    }
    fc.assert(fc.property(fc.integer({ min: 3, max: 30 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.nat(), (n, id, p) => {
      const got = responsibleHsDirs(relays(n), id, p)
      expect(new Set(names(got)).size).toBeGreaterThanOrEqual(3)
      expect(got.length).toBeLessThanOrEqual(4)
    }), { numRuns: 50 })
  })
})

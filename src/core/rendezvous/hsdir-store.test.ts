import { describe, expect, it } from 'vitest'
import { toHex } from '../bytes.ts'
import { HS_PERIOD_MS, HSDIR_KEYS_PER_ID, hsPeriod } from './constants.ts'
import { descriptorId, descriptorSigningSeed, encodeHsDescriptor, parseHsDescriptorOuter } from './descriptor.ts'
import { HsDescriptorError } from './errors.ts'
import { HsDirStore } from './hsdir-store.ts'
import { NOW, rnd, testContent, testIdentity, type TestIdentity } from './rendezvous.test-util.ts'

const r = rnd('hsdir-store')
const alice = testIdentity(r(32))
const P = hsPeriod(NOW)

async function desc (o: { revision?: number, expires?: number, seed?: Uint8Array, id?: TestIdentity } = {}): Promise<Uint8Array> {
  const id = o.id ?? alice
  const content = testContent(id, r, { revision: o.revision ?? NOW, expires: o.expires ?? NOW + HS_PERIOD_MS })
  return await encodeHsDescriptor(content, { sign: id.sign, signingSeed: o.seed ?? await descriptorSigningSeed(id.sign, P), random: r })
}

const revisions = (store: HsDirStore): number[] => store.fetch(descriptorId(alice.publicKey, P)).map(b => parseHsDescriptorOuter(b, NOW).revision)

describe('HsDirStore (spec §4)', () => {
  it('stores, replaces a newer revision of the same key and keeps on older-or-equal', async () => {
    const store = new HsDirStore({ now: () => NOW })
    expect(store.store(await desc({ revision: NOW }))).toBe(true)
    expect(store.store(await desc({ revision: NOW }))).toBe(false)
    expect(store.store(await desc({ revision: NOW - 1 }))).toBe(false)
    expect(revisions(store)).toEqual([NOW])
    expect(store.store(await desc({ revision: NOW + 5 }))).toBe(true)
    expect(revisions(store)).toEqual([NOW + 5])
    expect(store.size).toBe(1)
  })
  it('keeps one per signing key, newest first, and a fifth key evicts the one stored longest ago', async () => {
    const store = new HsDirStore({ now: () => NOW })
    const seeds = Array.from({ length: HSDIR_KEYS_PER_ID + 1 }, () => r(32))
    const revs = [NOW + 3, NOW + 1, NOW + 4, NOW + 2, NOW]
    for (let i = 0; i < HSDIR_KEYS_PER_ID; i++) expect(store.store(await desc({ seed: seeds[i], revision: revs[i] }))).toBe(true)
    expect(revisions(store)).toEqual([NOW + 4, NOW + 3, NOW + 2, NOW + 1])
    expect(store.store(await desc({ seed: seeds[4], revision: revs[4] }))).toBe(true)
    expect(revisions(store)).toEqual([NOW + 4, NOW + 2, NOW + 1, NOW]) // seeds[0] (NOW + 3) went
    expect(store.size).toBe(HSDIR_KEYS_PER_ID)
    // A republish refreshes an entry: seeds[1] is now the most recent, so seeds[2] goes next.
    expect(store.store(await desc({ seed: seeds[1], revision: NOW + 10 }))).toBe(true)
    expect(store.store(await desc({ seed: seeds[0], revision: NOW + 20 }))).toBe(true)
    expect(revisions(store)).toEqual([NOW + 20, NOW + 10, NOW + 2, NOW])
  })
  it('refuses invalid descriptors with HsDescriptorError', async () => {
    const store = new HsDirStore({ now: () => NOW })
    const bad = await desc(); bad[20]! ^= 1
    expect(() => store.store(bad)).toThrow(HsDescriptorError)
    expect(() => store.store(new Uint8Array(5))).toThrow(HsDescriptorError)
    expect(store.size).toBe(0)
  })
  it('hides expired descriptors, prunes them and accepts a replacement for an expired one', async () => {
    let now = NOW
    const store = new HsDirStore({ now: () => now })
    store.store(await desc({ expires: NOW + 1000 }))
    store.store(await desc({ id: testIdentity(r(32)), expires: NOW + 2 * HS_PERIOD_MS }))
    now = NOW + 1000
    expect(store.fetch(descriptorId(alice.publicKey, P))).toEqual([])
    expect(store.size).toBe(2)
    store.prune()
    expect(store.size).toBe(1)
  })
  it('holds at most maxDescriptors and refuses a new one when full; expired ones make room', async () => {
    let now = NOW
    const store = new HsDirStore({ now: () => now, maxDescriptors: 3 })
    const ids = Array.from({ length: 4 }, () => testIdentity(r(32)))
    const short = await desc({ id: ids[0], expires: NOW + 1_000 })
    expect(store.store(short)).toBe(true)
    for (const id of ids.slice(1, 3)) expect(store.store(await desc({ id }))).toBe(true)
    const late = await desc({ id: ids[3] })
    expect(store.store(late)).toBe(false)
    expect(store.size).toBe(3)
    for (const id of ids.slice(0, 3)) expect(store.fetch(descriptorId(id.publicKey, P)).length).toBe(1)
    now = NOW + 1_001 // the first one has expired: its place is free
    expect(store.store(late)).toBe(true)
    expect(store.fetch(descriptorId(ids[3]!.publicKey, P)).length).toBe(1)
  })

  it('HSDir flush: a flood of descriptors leaves the honest ones fetchable, and their republish still replaces them', async () => {
    // The attack: every tab is an HSDir, and descriptors cost nothing, so one circuit used to
    // store ~1,000 of them and evict everything held. Now a full store refuses newcomers instead.
    const store = new HsDirStore({ now: () => NOW, maxDescriptors: 8 })
    const honest = Array.from({ length: 3 }, () => testIdentity(r(32)))
    for (const id of honest) expect(store.store(await desc({ id, revision: NOW }))).toBe(true)
    let accepted = 0
    for (let i = 0; i < 20; i++) if (store.store(await desc({ id: testIdentity(r(32)) }))) accepted++
    expect(accepted).toBe(5) // the free places only
    expect(store.size).toBe(8)
    for (const id of honest) expect(store.fetch(descriptorId(id.publicKey, P)).length).toBe(1)
    // A republish (same key, higher revision) is not a new place: it goes in while the store is full.
    expect(store.store(await desc({ id: honest[0], revision: NOW + 300_000 }))).toBe(true)
    expect(store.fetch(descriptorId(honest[0]!.publicKey, P)).map(b => parseHsDescriptorOuter(b, NOW).revision)).toEqual([NOW + 300_000])
  })

  it('returns copies', async () => {
    const store = new HsDirStore({ now: () => NOW })
    const d = await desc()
    store.store(d)
    d.fill(0)
    const got = store.fetch(descriptorId(alice.publicKey, P))[0]!
    got.fill(0)
    expect(toHex(store.fetch(descriptorId(alice.publicKey, P))[0]!)).not.toBe(toHex(got))
  })
})

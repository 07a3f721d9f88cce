import { describe, expect, it } from 'vitest'
import { Directory, type DirectoryEvent } from './directory.ts'
import { DescriptorExpiredError, DescriptorLifetimeError, DescriptorPeerIdMismatchError, DescriptorSignatureError, DescriptorStaleWorkError, DescriptorWorkError, MalformedDescriptorError } from './errors.ts'
import { decodeDescriptor, ed25519Signer, MAX_DESCRIPTOR_CLOCK_SKEW_MS, signDescriptor } from './descriptor.ts'
import { testDescriptorBytes, testDescriptorFields, testRelayKeys, testWorkProof } from './descriptor.test-util.ts'

const NOW = 1_700_000_000_000
const HOUR = 60 * 60_000

describe('Directory', () => {
  it('adds, gets, lists and hands back the exact signed bytes', async () => {
    const dir = new Directory({ minEffort: 1 })
    const a = await testDescriptorBytes('relayA', NOW)
    const b = await testDescriptorBytes('relayB', NOW)
    expect(dir.add(b, NOW)).toBe('added')
    expect(dir.add(a, NOW)).toBe('added')
    expect(dir.size).toBe(2)
    expect(dir.get('relayA')?.peerId).toBe('relayA')
    expect(dir.get('nobody')).toBeUndefined()
    expect(dir.list().map(d => d.peerId)).toEqual(['relayA', 'relayB'])
    expect(dir.getEncoded('relayA')).toEqual(a)
    expect(dir.encodedForSharing(NOW, 1)).toHaveLength(1)
  })

  it('keeps only the newest descriptor per peer id and reports changes', async () => {
    const dir = new Directory({ minEffort: 1 })
    const events: DirectoryEvent[] = []
    const off = dir.subscribe(e => events.push(e))
    const v1 = await testDescriptorBytes('relayA', NOW)
    const v2 = await testDescriptorBytes('relayA', NOW + 1000, { capacity: 200 })
    expect(dir.add(v1, NOW + 1000)).toBe('added')
    expect(dir.add(v1, NOW + 1000)).toBe('unchanged')
    expect(dir.add(v2, NOW + 1000)).toBe('replaced')
    expect(dir.add(v1, NOW + 1000)).toBe('unchanged')
    expect(dir.get('relayA')?.capacity).toBe(200)
    expect(events.map(e => e.type)).toEqual(['added', 'replaced'])
    const replaced = events[1]
    expect(replaced?.type === 'replaced' && replaced.previous.capacity).toBe(100)
    off()
    dir.remove('relayA')
    expect(events).toHaveLength(2)
  })

  it('does not verify the signature of a repeat it would ignore, but rejects forgeries of new ones', async () => {
    const dir = new Directory({ minEffort: 1 })
    const good = await testDescriptorBytes('relayA', NOW)
    dir.add(good, NOW)
    const tampered = good.slice(); tampered[tampered.length - 1]! ^= 1
    expect(dir.add(tampered, NOW)).toBe('unchanged') // same published: ignored cheaply, nothing stored
    expect(dir.getEncoded('relayA')).toEqual(good)
    const newer = await testDescriptorBytes('relayA', NOW + 1)
    const newerTampered = newer.slice(); newerTampered[newerTampered.length - 1]! ^= 1
    expect(() => dir.add(newerTampered, NOW)).toThrow(DescriptorSignatureError)
  })

  it('pins the signing key of a peer id while its descriptor is live', async () => {
    const dir = new Directory({ minEffort: 1 })
    dir.add(await testDescriptorBytes('relayA', NOW), NOW)
    const hijack = await testDescriptorBytes('relayA', NOW + 1, {}, 'mallory')
    expect(() => dir.add(hijack, NOW + 1)).toThrow(DescriptorPeerIdMismatchError)
    expect(dir.get('relayA')?.published).toBe(NOW)
  })

  it('applies the caller\'s peer-id binding', async () => {
    const dir = new Directory({ bindsPeerId: (peerId) => peerId !== 'liar', minEffort: 1 })
    const liar = await testDescriptorBytes('liar', NOW)
    expect(() => dir.add(liar, NOW)).toThrow(DescriptorPeerIdMismatchError)
    expect(dir.add(await testDescriptorBytes('honest', NOW), NOW)).toBe('added')
  })

  it('rejects invalid descriptors with named errors and leaves the state alone', async () => {
    const dir = new Directory({ minEffort: 1 })
    const bytes = await testDescriptorBytes('relayA', NOW)
    expect(() => dir.add(bytes, NOW + 2 * HOUR)).toThrow(DescriptorExpiredError)
    expect(() => dir.add(bytes.subarray(0, 10), NOW)).toThrow(MalformedDescriptorError)
    expect(dir.size).toBe(0)
  })

  it('prunes expired descriptors', async () => {
    const dir = new Directory({ minEffort: 1 })
    const removed: string[] = []
    dir.subscribe(e => { if (e.type === 'removed') removed.push(`${e.descriptor.peerId}:${e.reason}`) })
    dir.add(await testDescriptorBytes('short', NOW, { expires: NOW + 1000 }), NOW)
    dir.add(await testDescriptorBytes('long', NOW), NOW)
    expect(dir.prune(NOW + 999)).toEqual([])
    expect(dir.encodedForSharing(NOW + 1000, 10)).toHaveLength(1)
    expect(dir.prune(NOW + 1000).map(d => d.peerId)).toEqual(['short'])
    expect(dir.list().map(d => d.peerId)).toEqual(['long'])
    expect(removed).toEqual(['short:expired'])
  })

  it('is bounded: when full the first seen stay, and only strictly more proven effort displaces the least-worked', async () => {
    const dir = new Directory({ maxEntries: 3, minEffort: 1 })
    const evicted: string[] = []
    dir.subscribe(e => { if (e.type === 'removed' && e.reason === 'evicted') evicted.push(e.descriptor.peerId) })
    const worked = async (id: string, effort: number, t = NOW): Promise<Uint8Array> =>
      await testDescriptorBytes(id, t, { powNonce: testWorkProof(testRelayKeys(id).signingKey, t, effort) })
    expect(dir.add(await worked('a', 4), NOW)).toBe('added')
    expect(dir.add(await worked('b', 2), NOW)).toBe('added')
    expect(dir.add(await worked('c', 2), NOW)).toBe('added')
    expect(dir.admissionEffort()).toBe(3)
    expect(dir.add(await worked('d', 2), NOW)).toBe('full') // equal effort: first seen wins
    expect(dir.add(await worked('e', 3), NOW)).toBe('added') // more effort: the least-worked, most recent arrival goes
    expect(evicted).toEqual(['c'])
    expect(dir.effortOf('e')).toBe(3)
    // replacing a known peer never needs room
    expect(dir.add(await testDescriptorBytes('a', NOW + 1), NOW + 1)).toBe('replaced')
    expect(dir.size).toBe(3)
    // an expired entry makes room before anyone is refused
    expect(dir.add(await worked('f', 1, NOW + 21 * 60_000), NOW + 21 * 60_000)).toBe('added')
  })
})

describe('Directory against a flood of cheap relay identities (issue #13 item 3)', () => {
  const MIN = 64
  const worked = async (id: string, t: number, effort = MIN, over: Parameters<typeof testDescriptorBytes>[2] = {}): Promise<Uint8Array> =>
    await testDescriptorBytes(id, t, { powNonce: testWorkProof(testRelayKeys(id).signingKey, t, effort), ...over })
  const honest = ['honest0', 'honest1', 'honest2', 'honest3']

  it('a flood claiming hours of lifetime neither evicts honest 20-minute relays nor gets stored', async () => {
    const dir = new Directory({ maxEntries: 4, minEffort: MIN })
    for (const id of honest) expect(dir.add(await worked(id, NOW), NOW)).toBe('added')
    for (let i = 0; i < 8; i++) {
      const long = await worked(`sybil${i}`, NOW, MIN, { expires: NOW + 3 * HOUR })
      expect(() => dir.add(long, NOW)).toThrow(DescriptorLifetimeError)
      // within the cap, a longer claim than honest tabs' buys nothing either
      expect(dir.add(await worked(`sybilcap${i}`, NOW + 1000, MIN, { expires: NOW + 1000 + 30 * 60_000 }), NOW + 1000)).toBe('full')
    }
    expect(dir.list().map(d => d.peerId)).toEqual(honest)
  })

  it('a flood claiming a future `published` does not go first in gossip, even by republishing', async () => {
    const dir = new Directory({ maxEntries: 16, minEffort: MIN })
    const future = NOW + MAX_DESCRIPTOR_CLOCK_SKEW_MS
    for (let i = 0; i < 4; i++) dir.add(await worked(`sybil${i}`, future), NOW)
    for (const id of honest) dir.add(await worked(id, NOW + 1000), NOW + 1000)
    // the sybils republish every second, each time claiming the future
    for (let s = 2; s <= 5; s++) for (let i = 0; i < 4; i++) dir.add(await worked(`sybil${i}`, future + s * 1000), NOW + s * 1000)
    const firstFour = dir.encodedForSharing(NOW + 6000, 4).map(b => decodeDescriptor(b).descriptor.peerId).sort()
    expect(firstFour).toEqual(honest)
  })

  it('unproven and under-worked descriptors are ignored with named errors', async () => {
    const dir = new Directory({ minEffort: MIN })
    const noProof = await signDescriptor(testDescriptorFields('noproof', NOW, { powNonce: null }), ed25519Signer(testRelayKeys('noproof').signingSecret))
    expect(() => dir.add(noProof, NOW)).toThrow(DescriptorWorkError)
    const cheap = await worked('cheap', NOW, MIN - 1)
    expect(() => dir.add(cheap, NOW)).toThrow(DescriptorWorkError)
    const stale = await worked('stale', NOW, MIN, { powNonce: testWorkProof(testRelayKeys('stale').signingKey, NOW - 2 * HOUR, MIN) })
    expect(() => dir.add(stale, NOW)).toThrow(DescriptorStaleWorkError)
    expect(dir.size).toBe(0)
    expect(dir.add(await worked('enough', NOW), NOW)).toBe('added')
    // a seed raising the minimum applies to newcomers from then on
    dir.setMinEffort(MIN * 2)
    const late = await worked('late', NOW)
    expect(() => dir.add(late, NOW)).toThrow(DescriptorWorkError)
  })

  it('a full directory is not flushed by cheap identities, whatever they claim', async () => {
    const dir = new Directory({ maxEntries: 4, minEffort: MIN })
    for (const id of honest) dir.add(await worked(id, NOW), NOW)
    const evicted: string[] = []
    dir.subscribe(e => { if (e.type === 'removed') evicted.push(e.descriptor.peerId) })
    for (let i = 0; i < 40; i++) {
      const t = NOW + 60_000 + i
      // later expiry, higher capacity, newer published: everything the old eviction ranked by
      expect(dir.add(await worked(`sybil${i}`, t, MIN, { capacity: 0xffff_ffff }), t)).toBe('full')
    }
    expect(evicted).toEqual([])
    expect(dir.list().map(d => d.peerId)).toEqual(honest)
    // the price of getting in has risen above what the flood paid
    expect(dir.admissionEffort()).toBe(MIN + 1)
    // outbidding with a forged signature does not get in either (the signature is still checked before eviction)
    const forged = (await worked('forger', NOW + 2000, MIN + 1)).slice(); forged[forged.length - 1]! ^= 1
    expect(() => dir.add(forged, NOW + 2000)).toThrow(DescriptorSignatureError)
    expect(evicted).toEqual([])
  })
})

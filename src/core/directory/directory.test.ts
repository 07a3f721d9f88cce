import { describe, expect, it } from 'vitest'
import { Directory, type DirectoryEvent } from './directory.ts'
import { DescriptorExpiredError, DescriptorPeerIdMismatchError, DescriptorSignatureError, MalformedDescriptorError } from './errors.ts'
import { testDescriptorBytes } from './descriptor.test-util.ts'

const NOW = 1_700_000_000_000
const HOUR = 60 * 60_000

describe('Directory', () => {
  it('adds, gets, lists and hands back the exact signed bytes', async () => {
    const dir = new Directory()
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
    const dir = new Directory()
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
    const dir = new Directory()
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
    const dir = new Directory()
    dir.add(await testDescriptorBytes('relayA', NOW), NOW)
    const hijack = await testDescriptorBytes('relayA', NOW + 1, {}, 'mallory')
    expect(() => dir.add(hijack, NOW + 1)).toThrow(DescriptorPeerIdMismatchError)
    expect(dir.get('relayA')?.published).toBe(NOW)
  })

  it('applies the caller\'s peer-id binding', async () => {
    const dir = new Directory({ bindsPeerId: (peerId) => peerId !== 'liar' })
    const liar = await testDescriptorBytes('liar', NOW)
    expect(() => dir.add(liar, NOW)).toThrow(DescriptorPeerIdMismatchError)
    expect(dir.add(await testDescriptorBytes('honest', NOW), NOW)).toBe('added')
  })

  it('rejects invalid descriptors with named errors and leaves the state alone', async () => {
    const dir = new Directory()
    const bytes = await testDescriptorBytes('relayA', NOW)
    expect(() => dir.add(bytes, NOW + 2 * HOUR)).toThrow(DescriptorExpiredError)
    expect(() => dir.add(bytes.subarray(0, 10), NOW)).toThrow(MalformedDescriptorError)
    expect(dir.size).toBe(0)
  })

  it('prunes expired descriptors', async () => {
    const dir = new Directory()
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

  it('is bounded: evicts the soonest-expiring entry, refuses a newcomer that ranks lowest', async () => {
    const dir = new Directory({ maxEntries: 3 })
    const evicted: string[] = []
    dir.subscribe(e => { if (e.type === 'removed' && e.reason === 'evicted') evicted.push(e.descriptor.peerId) })
    dir.add(await testDescriptorBytes('a', NOW, { expires: NOW + 1 * HOUR }), NOW)
    dir.add(await testDescriptorBytes('b', NOW, { expires: NOW + 2 * HOUR }), NOW)
    dir.add(await testDescriptorBytes('c', NOW, { expires: NOW + 2 * HOUR, capacity: 50 }), NOW)
    expect(dir.add(await testDescriptorBytes('d', NOW, { expires: NOW + HOUR / 2 }), NOW)).toBe('full')
    expect(dir.add(await testDescriptorBytes('e', NOW, { expires: NOW + 2 * HOUR }), NOW)).toBe('added')
    expect(evicted).toEqual(['a'])
    expect(dir.add(await testDescriptorBytes('f', NOW, { expires: NOW + 2 * HOUR, capacity: 60 }), NOW)).toBe('added')
    expect(evicted).toEqual(['a', 'c']) // equal expiry: lowest capacity goes
    expect(dir.size).toBe(3)
    // replacing a known peer never needs room
    expect(dir.add(await testDescriptorBytes('b', NOW + 1, { expires: NOW + 2 * HOUR }), NOW + 1)).toBe('replaced')
    expect(dir.size).toBe(3)
  })
})

import { afterEach, describe, expect, it, vi } from 'vitest'
import { nobleDh } from '../../core/crypto/ntor.ts'
import { x25519PublicKey } from '../../core/crypto/primitives.ts'
import { MalformedCellError } from '../../core/errors.ts'
import { toHex } from '../../core/bytes.ts'
import {
  createIntroduce, deriveStaticDhKey, descriptorSigningSeed, encodeHsDescriptor, encodeHsdirFound, HS_PERIOD_MS, HSDIR_KEYS_PER_ID, hsDescriptorExpires, hsPeriod,
  MAX_CONCURRENT_RENDEZVOUS, type HsDescriptorContent
} from '../../core/rendezvous/index.ts'
import { NOW, rnd, testContent, testIdentity } from '../../core/rendezvous/rendezvous.test-util.ts'
import type { OnionService } from '../onion/index.ts'
import { DESCRIPTOR_CACHE_MS, DescriptorCache, fetchDescriptor, HiddenService, HsdirFoundCollector, RendezvousLimitError, RendezvousWait, ServiceUnreachableError, type IncomingIntroduction } from './index.ts'

const r = rnd('app-rendezvous')
const alice = testIdentity(r(32))
const rp = { peerId: '12D3KooWRendezvousPoint', nodeId: r(32), onionKey: x25519PublicKey(r(32)) }

interface FakeCircuit { path: Array<{ peerId: string }>, state: string, destroy: ReturnType<typeof vi.fn>, sendControl: ReturnType<typeof vi.fn>, request: ReturnType<typeof vi.fn>, onControl: ReturnType<typeof vi.fn>, onClose: ReturnType<typeof vi.fn>, keepAlive: () => void }

function fakeCircuit (over: Partial<FakeCircuit> = {}): FakeCircuit {
  return {
    path: [{ peerId: 'g' }, { peerId: 'm' }, { peerId: rp.peerId }], state: 'open', destroy: vi.fn(), sendControl: vi.fn(),
    request: vi.fn(async () => new Uint8Array(0)), onControl: vi.fn(() => () => {}), onClose: vi.fn(() => () => {}), keepAlive: () => {}, ...over
  }
}

function fakeOnion (over: Record<string, unknown> = {}): OnionService {
  return {
    chooseDestination: () => { throw new Error('no relays in this test') },
    buildCircuitTo: vi.fn(async () => await new Promise(() => {})),
    ringMembers: () => [],
    selfRelay: null,
    onionRouter: null,
    ...over
  } as unknown as OnionService
}

const services: HiddenService[] = []
afterEach(() => { for (const s of services.splice(0)) s.stop() })

async function startService (onion: OnionService): Promise<{ hs: HiddenService, incoming: IncomingIntroduction[] }> {
  const incoming: IncomingIntroduction[] = []
  const hs = new HiddenService({ onion, identity: { publicKey: alice.publicKey, displayName: 'Alice', sign: alice.sign }, dh: nobleDh, random: r, now: () => NOW }, (i) => { incoming.push(i) })
  services.push(hs)
  await hs.start()
  return { hs, incoming }
}

async function introduceFrom (hs: HiddenService): Promise<void> {
  const enc = (hs as unknown as { introEnc: { publicKey: Uint8Array } }).introEnc
  const bob = testIdentity(r(32))
  const { data } = await createIntroduce({
    serviceKey: alice.publicKey, authId: r(32), introEncKey: enc.publicKey, rp, cookie: r(20), clientKey: bob.publicKey,
    clientStatic: await deriveStaticDhKey(bob.publicKey, bob.sign, nobleDh), clientName: 'Bob', timestamp: NOW, random: r, dh: nobleDh
  })
  await (hs as unknown as { onIntroduce2: (d: Uint8Array) => Promise<void> }).onIntroduce2(data)
}

describe('HiddenService rendezvous limits', () => {
  it('builds at most MAX_CONCURRENT_RENDEZVOUS rendezvous circuits at once; the other introductions are refused', async () => {
    const onion = fakeOnion()
    const { hs, incoming } = await startService(onion)
    for (let i = 0; i < MAX_CONCURRENT_RENDEZVOUS + 6; i++) await introduceFrom(hs)
    expect(incoming).toHaveLength(MAX_CONCURRENT_RENDEZVOUS + 6)
    const results = incoming.map(async i => await i.accept())
    const refused = await Promise.allSettled(results.slice(MAX_CONCURRENT_RENDEZVOUS))
    expect(refused.every(x => x.status === 'rejected' && x.reason instanceof RendezvousLimitError)).toBe(true)
    expect(onion.buildCircuitTo).toHaveBeenCalledTimes(MAX_CONCURRENT_RENDEZVOUS)
  })

  it('destroys the rendezvous circuit and frees its slot when RENDEZVOUS1 cannot be sent', async () => {
    const circuit = fakeCircuit({ sendControl: vi.fn(() => { throw new Error('closed') }) })
    const onion = fakeOnion({ buildCircuitTo: vi.fn(async () => circuit) })
    const { hs, incoming } = await startService(onion)
    for (let i = 0; i < MAX_CONCURRENT_RENDEZVOUS + 1; i++) await introduceFrom(hs)
    for (const i of incoming) await expect(i.accept()).rejects.toThrow('closed')
    expect(circuit.destroy).toHaveBeenCalledTimes(MAX_CONCURRENT_RENDEZVOUS + 1)
  })
})

describe('HiddenService robustness', () => {
  it('destroys an introduction circuit whose ESTABLISH_INTRO failed', async () => {
    const circuit = fakeCircuit({ request: vi.fn(async () => { throw new Error('timeout') }) })
    const onion = fakeOnion({ chooseDestination: () => ({ peerId: 'intro', nodeId: r(32), onionKey: r(32) }), buildCircuitTo: vi.fn(async () => circuit) })
    const { hs } = await startService(onion)
    await (hs as unknown as { check: () => Promise<void> }).check()
    await vi.waitFor(() => { expect(circuit.destroy).toHaveBeenCalled() })
  })

  it('a failing descriptor publication does not reject check() (no unhandled rejection from the timer)', async () => {
    const circuit = fakeCircuit()
    const onion = fakeOnion({
      chooseDestination: () => ({ peerId: `intro${Math.random()}`, nodeId: r(32), onionKey: r(32) }),
      buildCircuitTo: vi.fn(async () => circuit),
      ringMembers: () => { throw new Error('onion layer not started') }
    })
    const { hs } = await startService(onion)
    await expect((hs as unknown as { check: () => Promise<void> }).check()).resolves.toBeUndefined()
  })
})

describe('RendezvousWait (client side of RENDEZVOUS2)', () => {
  it('ignores a RENDEZVOUS2 that arrives before any INTRODUCE1 was sent', async () => {
    const w = new RendezvousWait()
    expect(w.offer(Uint8Array.of(1))).toBe(false)
    w.arm()
    expect(w.offer(Uint8Array.of(2))).toBe(true)
    await expect(w.wait(1000)).resolves.toEqual(Uint8Array.of(2))
  })

  it('keeps a reply that came before wait() and accepts only the first one', async () => {
    const w = new RendezvousWait()
    w.arm()
    w.offer(Uint8Array.of(3))
    expect(w.offer(Uint8Array.of(4))).toBe(false)
    await expect(w.wait(1000)).resolves.toEqual(Uint8Array.of(3))
  })

  it('times out per wait, so a later introduction can still be waited for', async () => {
    vi.useFakeTimers()
    try {
      const w = new RendezvousWait()
      w.arm()
      const first = w.wait(100)
      vi.advanceTimersByTime(100)
      await expect(first).rejects.toBeInstanceOf(ServiceUnreachableError)
      const second = w.wait(100)
      w.offer(Uint8Array.of(5))
      await expect(second).resolves.toEqual(Uint8Array.of(5))
    } finally { vi.useRealTimers() }
  })

  it('rejects once the circuit closed', async () => {
    const w = new RendezvousWait()
    w.arm()
    w.fail(new Error('destroyed'))
    await expect(w.wait(1000)).rejects.toThrow('destroyed')
  })
})

describe('HsdirFoundCollector (client side of HSDIR_FETCH)', () => {
  const d = (n: number): Uint8Array => encodeHsdirFound({ more: true, descriptor: new Uint8Array(10).fill(n) })
  it('collects until more = 0', () => {
    const c = new HsdirFoundCollector()
    expect(c.offer(d(1))).toBeNull()
    expect(c.offer(encodeHsdirFound({ more: false, descriptor: new Uint8Array(10).fill(2) }))).toHaveLength(2)
  })
  it('refuses an HSDir that sends more than HSDIR_KEYS_PER_ID descriptors (memory a directory could grow)', () => {
    const c = new HsdirFoundCollector()
    for (let i = 0; i < HSDIR_KEYS_PER_ID; i++) expect(c.offer(d(i))).toBeNull()
    expect(() => c.offer(d(9))).toThrow(MalformedCellError)
  })
})


describe('DescriptorCache', () => {
  it('gives a descriptor back for DESCRIPTOR_CACHE_MS, never past its expiry, and not after forget', () => {
    const cache = new DescriptorCache()
    const key = new Uint8Array(32).fill(7)
    const content = { identityKey: key, introEncKey: new Uint8Array(32), introPoints: [], period: 1, revision: 1, expires: 10_000_000 } as HsDescriptorContent
    cache.set(key, content, 1_000)
    expect(cache.get(key, 1_000 + DESCRIPTOR_CACHE_MS)).toBe(content)
    expect(cache.get(key, 1_001 + DESCRIPTOR_CACHE_MS)).toBeNull()
    cache.set(key, { ...content, expires: 2_000 }, 1_000)
    expect(cache.get(key, 2_000)).toBeNull()
    cache.set(key, content, 1_000)
    cache.forget(key)
    expect(cache.get(key, 1_000)).toBeNull()
    expect(cache.get(new Uint8Array(32), 1_000)).toBeNull()
  })
})

describe('fetchDescriptor across periods', () => {
  it('stale-period-descriptor-wins: a previous period\'s descriptor with a higher revision does not beat the current one (revisions have a secret offset per period)', async () => {
    const rs = rnd('client-periods')
    const carol = testIdentity(rs(32))
    const p = hsPeriod(NOW)
    const now = p * HS_PERIOD_MS + 60_000 // early in the period: clients also look up p − 1
    const make = async (period: number, revision: number): Promise<Uint8Array> => await encodeHsDescriptor(
      testContent(carol, rs, { period, revision, expires: hsDescriptorExpires(period) }),
      { sign: carol.sign, signingSeed: await descriptorSigningSeed(carol.sign, period), random: rs })
    const stale = await make(p - 1, 2 ** 47) // last period's upload: older introduction points, a larger offset
    const current = await make(p, 2 ** 20)
    const dir = { peerId: '12D3KooWDirectory', nodeId: rs(32), onionKey: x25519PublicKey(rs(32)) }
    const onion = fakeOnion({
      ringMembers: () => [dir],
      selfRelay: dir,
      hsdir: { fetch: (descId: Uint8Array) => [stale, current].filter(d => toHex(d.subarray(1, 33)) === toHex(descId)) }
    })
    const got = await fetchDescriptor({ onion, identity: { publicKey: alice.publicKey, displayName: 'Alice', sign: alice.sign }, dh: nobleDh, random: r, now: () => now }, carol.publicKey)
    expect(got.period).toBe(p)
    expect(got.revision).toBe(2 ** 20)
  })
})

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { toHex } from '../bytes.ts'
import { nobleDh } from '../crypto/ntor.ts'
import { x25519PublicKey } from '../crypto/primitives.ts'
import { LowOrderPointError, ProtocolViolationError } from '../errors.ts'
import { INTRODUCE_CT_MAX, INTRODUCE_CT_MIN } from './cells.ts'
import { INTRODUCE_MAX_SKEW_MS, RENDEZVOUS_REPLY_LEN, REPLAY_CACHE_MAX } from './constants.ts'
import { IdentityMismatchError, IntroduceError, IntroduceReplayError } from './errors.ts'
import { clientFinishHandshake, serviceHandshake } from './handshake.ts'
import { createIntroduce, openIntroduce } from './introduce.ts'
import { deriveStaticDhKey, staticCertMessage, type StaticDhKey } from './static-key.ts'
import { ReplayCache } from '../replay-cache.ts'
import { NOW, rnd, testIdentity } from './rendezvous.test-util.ts'
import { E2eSession } from './session.ts'

const r = rnd('introduce')
const alice = testIdentity(r(32)) // service, A
const bob = testIdentity(r(32)) // client, B
const mallory = testIdentity(r(32))
const bobStatic = await deriveStaticDhKey(bob.publicKey, bob.sign, nobleDh)
const malloryStatic = await deriveStaticDhKey(mallory.publicKey, mallory.sign, nobleDh)
const s = r(32)
const S = x25519PublicKey(s)
const authId = r(32)
const rp = { peerId: '12D3KooWRendezvousPoint', nodeId: r(32), onionKey: x25519PublicKey(r(32)) }
/** A small-order u-coordinate (u = 1, order 4): X25519 with it is all zeros (RFC 7748 §6.1). */
const LOW_ORDER = Uint8Array.of(1, ...new Array<number>(31).fill(0))

async function intro (over: { timestamp?: number, clientStatic?: StaticDhKey, clientName?: string, introEncKey?: Uint8Array } = {}): Promise<Awaited<ReturnType<typeof createIntroduce>>> {
  return await createIntroduce({
    serviceKey: alice.publicKey, authId, introEncKey: over.introEncKey ?? S, rp, cookie: r(20), clientKey: bob.publicKey,
    clientStatic: over.clientStatic ?? bobStatic, clientName: over.clientName ?? 'Bob', timestamp: over.timestamp ?? NOW, random: r, dh: nobleDh
  })
}
const open = async (data: Uint8Array, o: { replay?: ReplayCache, now?: number, serviceKey?: Uint8Array, secret?: Uint8Array } = {}): Promise<Awaited<ReturnType<typeof openIntroduce>>> =>
  await openIntroduce({ data, serviceKey: o.serviceKey ?? alice.publicKey, introEncSecret: o.secret ?? s, introEncKey: S, replay: o.replay ?? new ReplayCache(REPLAY_CACHE_MAX), now: o.now ?? NOW, dh: nobleDh })

async function rejects (p: Promise<unknown>, cls: abstract new (...a: never[]) => Error, kind?: string): Promise<void> {
  let err: unknown
  try { await p } catch (e) { err = e }
  expect(err).toBeInstanceOf(cls)
  if (kind !== undefined) expect((err as { kind: string }).kind).toBe(kind)
}

describe('INTRODUCE (spec §6)', () => {
  it('round trip', async () => {
    const { data, state } = await intro({ clientName: 'Bob ☕' })
    const got = await open(data)
    expect(toHex(got.clientEphemeral)).toBe(toHex(state.X))
    expect(got.intro.rp).toEqual(rp)
    expect(toHex(got.intro.cookie)).toBe(toHex(state.cookie))
    expect(toHex(got.intro.clientKey)).toBe(toHex(bob.publicKey))
    expect(toHex(got.intro.clientStaticKey)).toBe(toHex(bobStatic.publicKey))
    expect(got.intro.clientName).toBe('Bob ☕')
    expect(got.intro.timestamp).toBe(NOW)
    expect(toHex(data.subarray(0, 32))).toBe(toHex(authId))
  })
  it('a replay is refused on the second call', async () => {
    const { data } = await intro()
    const replay = new ReplayCache(REPLAY_CACHE_MAX)
    await open(data, { replay })
    await rejects(open(data, { replay }), IntroduceReplayError, 'protocol-violation')
  })
  it('garbage does not enter the replay cache (checked only after decryption)', async () => {
    const { data } = await intro()
    const replay = new ReplayCache(REPLAY_CACHE_MAX)
    const bad = data.slice(); bad[bad.length - 1]! ^= 1
    await rejects(open(bad, { replay }), IntroduceError)
    expect(replay.size).toBe(0)
    await open(data, { replay })
  })
  it('wrong introduction key fails', async () => {
    const { data } = await intro()
    await rejects(open(data, { secret: r(32) }), IntroduceError, 'bad-handshake')
  })
  it('impersonating B: a static key B did not certify, or B\'s certified key without its secret s_B, or a MAC for another service key, fails', async () => {
    await rejects(open((await intro({ clientStatic: malloryStatic })).data), IntroduceError, 'bad-handshake') // Mallory's own static key, claimed for B
    await rejects(open((await intro({ clientStatic: { ...bobStatic, cert: malloryStatic.cert } })).data), IntroduceError, 'bad-handshake')
    await rejects(open((await intro({ clientStatic: { ...bobStatic, secret: r(32) } })).data), IntroduceError, 'bad-handshake') // S_B and cert are public; s_B is not
    await rejects(open((await intro()).data, { serviceKey: mallory.publicKey }), IntroduceError, 'bad-handshake')
  })
  it('a low-order client static key is refused (RFC 7748 §6.1)', async () => {
    // Certified, so that only the point check can refuse it.
    const cert = await bob.sign(staticCertMessage(bob.publicKey, LOW_ORDER))
    await rejects(open((await intro({ clientStatic: { secret: r(32), publicKey: LOW_ORDER, cert } })).data), IntroduceError, 'bad-handshake')
  })
  it(`clock skew over ${INTRODUCE_MAX_SKEW_MS} ms is refused, at the limit accepted`, async () => {
    await open((await intro({ timestamp: NOW - INTRODUCE_MAX_SKEW_MS })).data)
    await open((await intro({ timestamp: NOW + INTRODUCE_MAX_SKEW_MS })).data)
    await rejects(open((await intro({ timestamp: NOW - INTRODUCE_MAX_SKEW_MS - 1 })).data), IntroduceError)
    await rejects(open((await intro()).data, { now: NOW + INTRODUCE_MAX_SKEW_MS + 1 }), IntroduceError)
  })
  it('low-order points are rejected (RFC 7748 §6.1)', async () => {
    const { data } = await intro()
    const bad = data.slice(); bad.set(LOW_ORDER, 32)
    await rejects(open(bad), IntroduceError)
    await rejects(intro({ introEncKey: LOW_ORDER }), LowOrderPointError)
  })
  it('wrong length → IntroduceError(malformed-cell)', async () => {
    const { data } = await intro()
    await rejects(open(data.subarray(0, 100)), IntroduceError, 'malformed-cell')
    await rejects(open(new Uint8Array([...data, 0])), IntroduceError)
  })
  it('bad arguments are RangeErrors', async () => {
    await expect(intro({ clientName: 'x'.repeat(65) })).rejects.toThrow(RangeError)
  })
})

describe('only IntroduceError escapes openIntroduce (property)', () => {
  it('random bytes', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (b) => {
      try { await open(b) } catch (e) { if (!(e instanceof IntroduceError)) throw e }
    }), { numRuns: 200 })
  })
  it('random bodies of a plausible length (reach decryption)', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 64 + INTRODUCE_CT_MIN, max: 64 + INTRODUCE_CT_MAX }).chain(n => fc.uint8Array({ minLength: n, maxLength: n })), async (b) => {
      await rejects(open(b), IntroduceError, 'bad-handshake')
    }), { numRuns: 100 })
  })
  it('any single bit flip of a valid INTRODUCE1 → IntroduceError', async () => {
    const { data } = await intro()
    const replay = new ReplayCache(REPLAY_CACHE_MAX)
    await fc.assert(fc.asyncProperty(fc.nat({ max: data.length * 8 - 1 }), async (bit) => {
      const b = data.slice(); b[bit >> 3]! ^= 1 << (bit & 7)
      await rejects(open(b, { replay }), IntroduceError)
    }), { numRuns: 150 })
    expect(replay.size).toBe(0)
  })
})

describe('end-to-end handshake (spec §6)', () => {
  async function both (o: { secret?: Uint8Array, serviceKey?: Uint8Array } = {}): Promise<{ reply: Uint8Array, service: { send: Uint8Array, receive: Uint8Array }, state: Awaited<ReturnType<typeof intro>>['state'] }> {
    const { data, state } = await intro()
    const { intro: pt, clientEphemeral } = await open(data)
    const { reply, keys } = await serviceHandshake({
      serviceKey: o.serviceKey ?? alice.publicKey, clientKey: pt.clientKey, clientStaticKey: pt.clientStaticKey, clientEphemeral, cookie: pt.cookie,
      introEncSecret: o.secret ?? s, introEncKey: S, random: r, dh: nobleDh
    })
    return { reply, service: keys, state }
  }
  it('both sides derive matching keys; the session works', async () => {
    const { reply, service, state } = await both()
    expect(reply.length).toBe(RENDEZVOUS_REPLY_LEN)
    const client = await clientFinishHandshake(state, reply, nobleDh)
    expect(toHex(client.send)).toBe(toHex(service.receive))
    expect(toHex(client.receive)).toBe(toHex(service.send))
    expect(toHex(client.send)).not.toBe(toHex(client.receive))
    expect(state.x.every(b => b === 0)).toBe(true) // x wiped
    const c = new E2eSession(client); const sv = new E2eSession(service)
    expect(new TextDecoder().decode(sv.open(c.seal(new TextEncoder().encode('hi'))))).toBe('hi')
    expect(new TextDecoder().decode(c.open(sv.seal(new TextEncoder().encode('hello'))))).toBe('hello')
  })
  it('an answer without the service\'s DH secret s, or under another identity key, gives IdentityMismatchError', async () => {
    const { reply, state } = await both({ secret: r(32) })
    await rejects(clientFinishHandshake(state, reply, nobleDh), IdentityMismatchError, 'bad-handshake')
    expect(state.x.every(b => b === 0)).toBe(true)
    const other = await both({ serviceKey: mallory.publicKey })
    await rejects(clientFinishHandshake(other.state, other.reply, nobleDh), IdentityMismatchError, 'bad-handshake')
  })
  it('a tampered reply or a low-order Y gives IdentityMismatchError', async () => {
    const a = await both()
    const t = a.reply.slice(); t[50]! ^= 4 // in the MAC
    await rejects(clientFinishHandshake(a.state, t, nobleDh), IdentityMismatchError)
    const b = await both()
    const y = b.reply.slice(); y.set(LOW_ORDER, 0)
    await rejects(clientFinishHandshake(b.state, y, nobleDh), IdentityMismatchError)
  })
  it('a wrong length is malformed, and the state is single use', async () => {
    const { reply, state } = await both()
    await rejects(clientFinishHandshake(state, reply.subarray(1), nobleDh), IntroduceError, 'malformed-cell')
    await rejects(clientFinishHandshake(state, reply, nobleDh), ProtocolViolationError)
  })
})

/**
 * Deniability and key-compromise impersonation of the end-to-end handshake
 * (docs/RENDEZVOUS.md §6; issue #13 item 8). Until INTRODUCE version 2 both
 * ends signed the conversation with their identity keys (B over A, authId and
 * X in the INTRODUCE; A over th in RENDEZVOUS1), so each kept a proof a third
 * party could check. Now each side is authenticated by Diffie-Hellman
 * (X3DH §3.3 / Noise KK-like "ee, es, se"), and:
 *
 * - a search of everything either party holds afterwards finds no signature by
 *   the other over the conversation (only B's static-key certificate, which
 *   names no ephemeral and no transcript);
 * - each party can simulate the other's messages with its own secrets only
 *   (X3DH §4.4), and the real checks accept the simulation;
 * - KCI: A's secrets do not give the keys of a session "from B", and B's
 *   secrets do not let anyone answer B as A (Krawczyk, HMQV; X3DH §4.6).
 *
 * The simulators and the v1 search use handshake-spec.test-util.ts, written
 * from the spec with @noble primitives, not the code under test.
 */
import { describe, expect, it } from 'vitest'
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { concatBytes, toHex } from '../bytes.ts'
import { nobleDh } from '../crypto/ntor.ts'
import { x25519PublicKey } from '../crypto/primitives.ts'
import { ed25519Verify } from '../identity/keys.ts'
import { ReplayCache } from '../replay-cache.ts'
import { REPLAY_CACHE_MAX, RENDEZVOUS_REPLY_LEN } from './constants.ts'
import { IdentityMismatchError, IntroduceError, SessionError } from './errors.ts'
import { type ClientHandshakeState, clientFinishHandshake, serviceHandshake, type SessionKeys } from './handshake.ts'
import * as spec from './handshake-spec.test-util.ts'
import { createIntroduce, openIntroduce } from './introduce.ts'
import { NOW, rnd, testIdentity } from './rendezvous.test-util.ts'
import { E2eSession } from './session.ts'
import { deriveStaticDhKey } from './static-key.ts'

const r = rnd('deniability')
const alice = testIdentity(r(32)) // the service, A
const bob = testIdentity(r(32)) // the client, B
const s = r(32) // the service's DH secret (its introEncKey, signed by A in its descriptor)
const S = x25519PublicKey(s)
const bobStatic = await deriveStaticDhKey(bob.publicKey, bob.sign, nobleDh)
const authId = r(32)
const rp = { peerId: '12D3KooWRendezvousPoint', nodeId: r(32), onionKey: x25519PublicKey(r(32)) }
const te = new TextEncoder()

function indexOf (hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer
    return i
  }
  return -1
}
const mentions = (m: Uint8Array, values: Uint8Array[]): boolean => values.some(v => indexOf(m, v) >= 0)

const openAt = async (data: Uint8Array): Promise<Awaited<ReturnType<typeof openIntroduce>>> =>
  await openIntroduce({ data, serviceKey: alice.publicKey, introEncSecret: s, introEncKey: S, replay: new ReplayCache(REPLAY_CACHE_MAX), now: NOW, dh: nobleDh })

/** Clone a client state with its own copy of x (clientFinishHandshake wipes x and is single-use). */
const cloneState = (st: ClientHandshakeState, x: Uint8Array): ClientHandshakeState => ({ ...st, x: x.slice(), used: false })

/** One whole conversation, honestly run; returns what each side holds afterwards. */
async function conversation (): Promise<{
  introduce1: Uint8Array, reply: Uint8Array, x: Uint8Array, X: Uint8Array, cookie: Uint8Array, state: ClientHandshakeState,
  clientKeys: SessionKeys, serviceKeys: SessionKeys, c2s: Uint8Array, s2c: Uint8Array
}> {
  const cookie = r(20)
  const { data, state } = await createIntroduce({
    serviceKey: alice.publicKey, authId, introEncKey: S, rp, cookie, clientKey: bob.publicKey, clientStatic: bobStatic,
    clientName: 'Bob', timestamp: NOW, random: r, dh: nobleDh
  })
  const x = state.x.slice()
  const kept = cloneState(state, x)
  const { intro, clientEphemeral } = await openAt(data)
  const { reply, keys: serviceKeys } = await serviceHandshake({
    serviceKey: alice.publicKey, clientKey: intro.clientKey, clientStaticKey: intro.clientStaticKey, clientEphemeral, cookie: intro.cookie,
    introEncSecret: s, introEncKey: S, random: r, dh: nobleDh
  })
  const clientKeys = await clientFinishHandshake(state, reply, nobleDh)
  const c2s = new E2eSession(clientKeys).seal(te.encode('Bob: the thing I would rather not have on record'))
  const s2c = new E2eSession(serviceKeys).seal(te.encode('Alice: likewise'))
  return { introduce1: data, reply, x, X: state.X, cookie, state: kept, clientKeys, serviceKeys, c2s, s2c }
}

/** 64-byte windows of `bytes`. */
function * windows (bytes: Uint8Array): Generator<{ at: number, sig: Uint8Array }> {
  for (let at = 0; at + 64 <= bytes.length; at++) yield { at, sig: bytes.subarray(at, at + 64) }
}

describe('deniability: no transcript proof (issue #13 item 8)', () => {
  it('a transcript proof a third party can verify: nothing either party holds after a conversation is a signature by the other over its ephemerals or transcript', async () => {
    const c = await conversation()
    const Y = c.reply.subarray(0, 32)
    const found: Array<{ who: string, message: Uint8Array }> = []

    // The client's view: the reply (and whatever it can decrypt with x under the v1 rules), the frames it opened.
    const thV1 = sha256(concatBytes(te.encode('shallot-e2e-v1'), alice.publicKey, bob.publicKey, c.X, Y, c.cookie))
    const clientView = [c.reply, new E2eSession({ send: c.clientKeys.send, receive: c.clientKeys.receive }).open(c.s2c)]
    try {
      const kConfirmV1 = hkdf(sha256, spec.dh(c.x, Y), thV1, te.encode('shallot-e2e-keys-v1'), 96).subarray(0, 32)
      clientView.push(chacha20poly1305(kConfirmV1, new Uint8Array(12), thV1).decrypt(c.reply.subarray(32)))
    } catch { /* nothing to decrypt: v2 replies carry a MAC, not a boxed signature */ }
    for (const bytes of clientView) {
      for (const { sig } of windows(bytes)) {
        for (const message of [concatBytes(te.encode('shallot-e2e-service-v1'), thV1)]) {
          if (ed25519Verify(sig, message, alice.publicKey)) found.push({ who: 'A, held by the client', message })
        }
      }
    }

    // The service's view: the INTRODUCE plaintext (it holds s), the frames it opened.
    const plaintext = spec.openIntroduceBody(spec.dh(s, c.X), c.introduce1, S)
    const serviceView = [plaintext, new E2eSession({ send: c.serviceKeys.send, receive: c.serviceKeys.receive }).open(c.c2s)]
    for (const bytes of serviceView) {
      for (const { at, sig } of windows(bytes)) {
        const before = bytes.subarray(0, at)
        const candidates = [
          concatBytes(te.encode('shallot-hs-introduce-v1'), alice.publicKey, authId, c.X, before), // v1's client signature
          spec.certMessage(bob.publicKey, bytes.subarray(Math.max(0, at - 32), at)) // a certificate over the 32 bytes before it
        ]
        for (const message of candidates) if (ed25519Verify(sig, message, bob.publicKey)) found.push({ who: 'B, held by the service', message })
      }
    }

    // The only signature left is B's certificate of S_B: transferable, but it proves key ownership only.
    const conversationValues = [c.X, Y, c.cookie, thV1, authId]
    expect(found.filter(f => mentions(f.message, conversationValues)).map(f => f.who)).toEqual([])
    expect(found.map(f => toHex(f.message))).toEqual([toHex(spec.certMessage(bob.publicKey, bobStatic.publicKey))])
  })

  it('simulation by the client: with only x, s_B and the public A and S, B makes a reply "from A" that its own check accepts, for any Y', async () => {
    const c = await conversation()
    const Yfake = spec.pub(r(32)) // no y known: any point will do
    const sim = spec.e2e(spec.dh(c.x, Yfake), spec.dh(c.x, S), spec.dh(bobStatic.secret, Yfake), { A: alice.publicKey, B: bob.publicKey, S, SB: bobStatic.publicKey, X: c.X, Y: Yfake, cookie: c.cookie })
    expect(sim.reply.length).toBe(RENDEZVOUS_REPLY_LEN) // the same form as a real reply
    const keys = await clientFinishHandshake(c.state, sim.reply, nobleDh)
    expect(toHex(keys.send)).toBe(toHex(sim.kC2S))
    // …and frames "from A" under those keys open like real ones.
    const fake = new E2eSession({ send: sim.kS2C, receive: sim.kC2S }).seal(te.encode('Alice: something she never said'))
    expect(new TextDecoder().decode(new E2eSession(keys).open(fake))).toBe('Alice: something she never said')
  })

  it('simulation by the service: with only s and B\'s public key, static key and certificate, A makes an INTRODUCE1 "from B" that openIntroduce accepts, and B\'s frames', async () => {
    // S_B and cert_B are what every introduction from B carries: the service has them without s_B.
    const x = r(32); const X = spec.pub(x); const cookie = r(20)
    const body = spec.introduceBody({ rp, cookie, B: bob.publicKey, SB: bobStatic.publicKey, certB: bobStatic.cert, name: 'Bob', timestamp: NOW })
    const mac = spec.introduceMac(spec.dh(s, X), spec.dh(s, bobStatic.publicKey), alice.publicKey, authId, X, S, body)
    const forged = spec.sealIntroduce(spec.dh(x, S), authId, X, S, concatBytes(body, mac))
    const real = await conversation()
    expect(forged.length).toBe(real.introduce1.length) // the same form as a real one
    const { intro, clientEphemeral } = await openAt(forged)
    expect(toHex(intro.clientKey)).toBe(toHex(bob.publicKey))
    // The service's answer, and the client's side of it, computed by the service alone (y, s and x are all its own).
    const y = r(32)
    const { reply, keys } = await serviceHandshake({
      serviceKey: alice.publicKey, clientKey: intro.clientKey, clientStaticKey: intro.clientStaticKey, clientEphemeral, cookie,
      introEncSecret: s, introEncKey: S, random: () => y.slice(), dh: nobleDh
    })
    const Y = reply.subarray(0, 32)
    const sim = spec.e2e(spec.dh(x, Y), spec.dh(s, X), spec.dh(y, bobStatic.publicKey), { A: alice.publicKey, B: bob.publicKey, S, SB: bobStatic.publicKey, X, Y, cookie })
    expect(toHex(sim.reply)).toBe(toHex(reply))
    const fake = new E2eSession({ send: sim.kC2S, receive: sim.kS2C }).seal(te.encode('Bob: something he never said'))
    expect(new TextDecoder().decode(new E2eSession(keys).open(fake))).toBe('Bob: something he never said')
  })

  it('the introduction point and the rendezvous point see no identity: INTRODUCE1 and the reply contain none of A, B, S_B or cert_B', async () => {
    const c = await conversation()
    for (const wire of [c.introduce1, c.reply]) {
      expect(mentions(wire, [alice.publicKey, bob.publicKey, bobStatic.publicKey, bobStatic.cert])).toBe(false)
    }
  })
})

describe('key-compromise impersonation (Krawczyk, HMQV; X3DH §4.6)', () => {
  it('KCI: holding all of A\'s secrets (identity key, s), Mallory cannot impersonate B to A: the session keys need X25519(s_B, Y)', async () => {
    // She can make A accept an INTRODUCE "from B" (the IK-style MAC is not KCI-resistant, spec §6)…
    const x = r(32); const X = spec.pub(x); const cookie = r(20)
    const body = spec.introduceBody({ rp, cookie, B: bob.publicKey, SB: bobStatic.publicKey, certB: bobStatic.cert, name: 'Bob', timestamp: NOW })
    const mac = spec.introduceMac(spec.dh(s, X), spec.dh(s, bobStatic.publicKey), alice.publicKey, authId, X, S, body)
    const { intro, clientEphemeral } = await openAt(spec.sealIntroduce(spec.dh(x, S), authId, X, S, concatBytes(body, mac)))
    const { reply, keys } = await serviceHandshake({
      serviceKey: alice.publicKey, clientKey: intro.clientKey, clientStaticKey: intro.clientStaticKey, clientEphemeral, cookie,
      introEncSecret: s, introEncKey: S, random: r, dh: nobleDh
    })
    // …but every se she can compute (she has x, s and A's seed, not s_B or y) gives other keys: A's session refuses her frames.
    const Y = reply.subarray(0, 32)
    const t = { A: alice.publicKey, B: bob.publicKey, S, SB: bobStatic.publicKey, X, Y, cookie }
    const guesses = [spec.dh(x, bobStatic.publicKey), spec.dh(s, Y), spec.dh(s, bobStatic.publicKey), spec.dh(alice.seed, Y), new Uint8Array(32), new Uint8Array(0)]
    for (const se of guesses) {
      const k = spec.e2e(spec.dh(x, Y), spec.dh(x, S), se, t)
      expect(toHex(k.reply)).not.toBe(toHex(reply)) // she cannot even check A's confirmation
      const atA = new E2eSession(keys)
      expect(() => atA.open(new E2eSession({ send: k.kC2S, receive: k.kS2C }).seal(te.encode('Bob (really Mallory): hi')))).toThrow(SessionError)
    }
  })

  it('KCI: holding all of B\'s secrets (identity key, s_B), Mallory cannot impersonate A to B: the reply must prove X25519(s, X)', async () => {
    const c = await conversation()
    const y = r(32); const Y = spec.pub(y)
    const t = { A: alice.publicKey, B: bob.publicKey, S, SB: bobStatic.publicKey, X: c.X, Y, cookie: c.cookie }
    // She saw INTRODUCE1 (X) and holds s_B and B's seed, not s or x.
    const guesses = [spec.dh(y, S), spec.dh(bobStatic.secret, c.X), spec.dh(bobStatic.secret, S), spec.dh(bob.seed, c.X), new Uint8Array(32), new Uint8Array(0)]
    for (const es of guesses) {
      const forged = spec.e2e(spec.dh(y, c.X), es, spec.dh(bobStatic.secret, Y), t)
      await expect(clientFinishHandshake(cloneState(c.state, c.x), forged.reply, nobleDh)).rejects.toBeInstanceOf(IdentityMismatchError)
    }
    // With the real es (which needs s or x) it would have worked: the check is what refuses her, not a slip in the test.
    const right = spec.e2e(spec.dh(y, c.X), spec.dh(s, c.X), spec.dh(bobStatic.secret, Y), t)
    await clientFinishHandshake(cloneState(c.state, c.x), right.reply, nobleDh)
  })

  it('without A\'s s, Mallory\'s INTRODUCE as B needs s_B: B\'s public static key and certificate are not enough', async () => {
    const x = r(32); const X = spec.pub(x); const cookie = r(20); const mine = r(32)
    const body = spec.introduceBody({ rp, cookie, B: bob.publicKey, SB: bobStatic.publicKey, certB: bobStatic.cert, name: 'Bob', timestamp: NOW })
    const mac = spec.introduceMac(spec.dh(x, S), spec.dh(mine, S), alice.publicKey, authId, X, S, body)
    await expect(openAt(spec.sealIntroduce(spec.dh(x, S), authId, X, S, concatBytes(body, mac)))).rejects.toBeInstanceOf(IntroduceError)
  })
})

import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { fromHex, toHex } from '../bytes.ts'
import { HandshakeError, LowOrderPointError, ProtocolError, ProtocolViolationError } from '../errors.ts'
import { type RandomSource, seededRandom } from '../random.ts'
import {
  generateOnionKey, nobleDh, NTOR_REPLY_LEN, nodeIdFromIdentityKey, ntorClientCreate, ntorClientCreateWith, ntorClientFinish,
  ntorClientFinishWith, ntorOnionskinLen, ntorServerRespond, ntorServerRespondWith, type NtorSecretKey, SHALLOT_NTOR, TOR_NTOR
} from './ntor.ts'
import { x25519PublicKey } from './primitives.ts'
import { CGO_KEY_MATERIAL_LEN } from './cgo.ts'

/** A random source that hands out the given byte strings in order (for fixed ephemerals). */
function fixedRandom (...chunks: Uint8Array[]): RandomSource {
  return (n) => {
    const c = chunks.shift()
    if (c === undefined || c.length !== n) throw new Error('fixedRandom: unexpected request')
    return c
  }
}

describe('ntor with Tor parameters reproduces Tor\'s reference vector', () => {
  // From tor's src/test/ntor_ref.py, as carried in arti
  // crates/tor-proto/src/crypto/handshake/ntor.rs `testvec`.
  const bSk = fromHex('4820544f4c4420594f5520444f474954204b454550532048415050454e494e47')
  const bPk = fromHex('ccbc8541904d18af08753eae967874749e6149f873de937f57f8fd903a21c471')
  const xSk = fromHex('706f6461792069207075742e2e2e2e2e2e2e2e4a454c4c59206f6e2074686973')
  const xPk = 'e65dfdbef8b2635837fe2cebc086a8096eae3213e6830dc407516083d412b078'
  const ySk = fromHex('70686520737175697272656c2e2e2e2e2e2e2e2e686173206869732067616d65')
  const yPk = '390480a14362761d6aec1fea840f6e9e928fb2adb7b25c670be1045e35133a37'
  const id = fromHex('69546f6c64596f7541626f75745374616972732e')
  const clientHandshake = '69546f6c64596f7541626f75745374616972732eccbc8541904d18af08753eae967874749e6149f873de937f57f8fd903a21c471e65dfdbef8b2635837fe2cebc086a8096eae3213e6830dc407516083d412b078'
  const serverHandshake = '390480a14362761d6aec1fea840f6e9e928fb2adb7b25c670be1045e35133a371cbdf68b89923e1f85e8e18ee6e805ea333fe4849c790ffd2670bd80fec95cc8'
  const keys = '0c62dee7f48893370d0ef896758d35729867beef1a5121df80e00f79ed349af39b51cae125719182f19d932a667dae1afbf2e336e6910e7822223e763afad0a13342157969dc6b79'

  it('client, relay and keys match byte for byte', () => {
    expect(toHex(x25519PublicKey(bSk))).toBe(toHex(bPk))
    const relay: NtorSecretKey = { nodeId: id, onionKey: bPk, onionSecret: bSk }
    const { state, onionskin } = ntorClientCreate(relay, fixedRandom(xSk.slice()), TOR_NTOR)
    expect(toHex(state.X)).toBe(xPk)
    expect(toHex(onionskin)).toBe(clientHandshake)
    const server = ntorServerRespond(relay, onionskin, fixedRandom(ySk.slice()), TOR_NTOR)
    expect(toHex(server.reply.subarray(0, 32))).toBe(yPk)
    expect(toHex(server.reply)).toBe(serverHandshake)
    expect(toHex(server.keys)).toBe(keys)
    expect(toHex(ntorClientFinish(state, server.reply))).toBe(keys)
  })
})

describe('Shallot ntor', () => {
  const rnd = seededRandom('ntor-test')
  const identity = rnd(32)
  const onion = generateOnionKey(rnd)
  const relay: NtorSecretKey = { nodeId: nodeIdFromIdentityKey(identity), ...onion }

  it('client and relay agree on the 160 bytes of key material one CGO hop needs', () => {
    const { state, onionskin } = ntorClientCreate(relay, rnd)
    expect(onionskin.length).toBe(ntorOnionskinLen())
    expect(onionskin.length).toBe(96)
    const { reply, keys } = ntorServerRespond(relay, onionskin, rnd)
    expect(reply.length).toBe(NTOR_REPLY_LEN)
    expect(keys.length).toBe(SHALLOT_NTOR.keyLen)
    expect(SHALLOT_NTOR.keyLen).toBe(CGO_KEY_MATERIAL_LEN)
    expect(CGO_KEY_MATERIAL_LEN).toBe(160)
    expect(ntorClientFinish(state, reply)).toEqual(keys)
  })

  it('differs from Tor\'s instance (domain separation by PROTOID)', () => {
    const torRelay: NtorSecretKey = { ...relay, nodeId: relay.nodeId.subarray(0, 20) }
    const seed = 'same-ephemerals'
    const s = ntorServerRespond(relay, ntorClientCreate(relay, seededRandom(seed)).onionskin, seededRandom(seed))
    const t = ntorServerRespond(torRelay, ntorClientCreate(torRelay, seededRandom(seed), TOR_NTOR).onionskin, seededRandom(seed), TOR_NTOR)
    expect(toHex(s.keys.subarray(0, 72))).not.toBe(toHex(t.keys))
  })

  it('accepts any of several onion keys (rotation) and rejects unknown ones', () => {
    const old = { nodeId: relay.nodeId, ...generateOnionKey(rnd) }
    const { state, onionskin } = ntorClientCreate(old, rnd)
    const { reply, keys } = ntorServerRespond([relay, old], onionskin, rnd)
    expect(ntorClientFinish(state, reply)).toEqual(keys)
    expect(() => ntorServerRespond([relay], onionskin, rnd)).toThrow(HandshakeError)
  })

  it('rejects a wrong node id, wrong lengths, and a tampered reply', () => {
    const other = { ...relay, nodeId: new Uint8Array(32).fill(7) }
    expect(() => ntorServerRespond(relay, ntorClientCreate(other, rnd).onionskin, rnd)).toThrow(HandshakeError)
    expect(() => ntorServerRespond(relay, new Uint8Array(95), rnd)).toThrow(HandshakeError)
    const { state, onionskin } = ntorClientCreate(relay, rnd)
    const { reply } = ntorServerRespond(relay, onionskin, rnd)
    const bad = reply.slice(); bad[60] = (bad[60] as number) ^ 7
    expect(() => ntorClientFinish(state, bad)).toThrow(HandshakeError)
    const { state: s2 } = ntorClientCreate(relay, rnd)
    expect(() => ntorClientFinish(s2, reply.subarray(0, 63))).toThrow(HandshakeError)
  })

  it('a client that used the wrong onion key fails AUTH', () => {
    const wrong = { ...relay, onionKey: generateOnionKey(rnd).onionKey }
    const { state } = ntorClientCreate(wrong, rnd)
    const { onionskin } = ntorClientCreate(relay, rnd)
    const { reply } = ntorServerRespond(relay, onionskin, rnd)
    expect(() => ntorClientFinish(state, reply)).toThrow(HandshakeError)
  })

  it('rejects low-order X and Y with LowOrderPointError', () => {
    const onionskin = ntorClientCreate(relay, rnd).onionskin
    onionskin.fill(0, 64) // X = 0
    expect(() => ntorServerRespond(relay, onionskin, rnd)).toThrow(LowOrderPointError)
    const { state, onionskin: ok } = ntorClientCreate(relay, rnd)
    const { reply } = ntorServerRespond(relay, ok, rnd)
    reply.fill(0, 0, 32); reply[0] = 1 // Y = 1
    expect(() => ntorClientFinish(state, reply)).toThrow(LowOrderPointError)
  })

  it('client state is single use', () => {
    const { state, onionskin } = ntorClientCreate(relay, rnd)
    const { reply } = ntorServerRespond(relay, onionskin, rnd)
    ntorClientFinish(state, reply)
    expect(() => ntorClientFinish(state, reply)).toThrow(ProtocolViolationError)
  })

  it('garbage onionskins and replies only ever throw ProtocolErrors', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 130 }), fc.boolean(), (junk, keepPrefix) => {
      const skin = junk.slice()
      if (keepPrefix && skin.length >= 64) { skin.set(relay.nodeId, 0); skin.set(relay.onionKey, 32) }
      try { ntorServerRespond(relay, skin, rnd) } catch (e) { expect(e).toBeInstanceOf(ProtocolError) }
      const { state } = ntorClientCreate(relay, rnd)
      try { ntorClientFinish(state, junk) } catch (e) { expect(e).toBeInstanceOf(ProtocolError) }
    }), { numRuns: 200 })
  })
})

describe('ntor with an injected X25519 (the path the router uses)', () => {
  it('reproduces Tor\'s reference vector, with EXP(B,x) computed ahead at create time', async () => {
    const bSk = fromHex('4820544f4c4420594f5520444f474954204b454550532048415050454e494e47')
    const xSk = fromHex('706f6461792069207075742e2e2e2e2e2e2e2e4a454c4c59206f6e2074686973')
    const ySk = fromHex('70686520737175697272656c2e2e2e2e2e2e2e2e686173206869732067616d65')
    const id = fromHex('69546f6c64596f7541626f75745374616972732e')
    const relay: NtorSecretKey = { nodeId: id, onionKey: x25519PublicKey(bSk), onionSecret: bSk }
    const { state, onionskin } = await ntorClientCreateWith(relay, fixedRandom(xSk.slice()), nobleDh, TOR_NTOR)
    expect(state.xb).toBeInstanceOf(Uint8Array)
    const { reply, keys: relayKeys } = await ntorServerRespondWith(relay, onionskin, fixedRandom(ySk.slice()), nobleDh, TOR_NTOR)
    const clientKeys = await ntorClientFinishWith(state, reply, nobleDh)
    expect(toHex(clientKeys)).toBe('0c62dee7f48893370d0ef896758d35729867beef1a5121df80e00f79ed349af39b51cae125719182f19d932a667dae1afbf2e336e6910e7822223e763afad0a13342157969dc6b79')
    expect(toHex(relayKeys)).toBe(toHex(clientKeys))
    expect(state.xb!.every(b => b === 0) && state.x.every(b => b === 0)).toBe(true) // wiped after use
  })
})

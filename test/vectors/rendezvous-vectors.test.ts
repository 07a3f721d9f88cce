/**
 * Regenerates the seeded onion-service vector and compares it with the
 * committed JSON (SHALLOT_UPDATE_VECTORS=1 npx vitest run test/vectors
 * rewrites it). Also checks the JSON independently of the generator: the
 * descriptor opens under the recorded identity key, the INTRODUCE1 body opens
 * with the recorded secret, the recorded y reproduces the reply, the recorded
 * x finishes the handshake to the recorded keys, and the frames open. The
 * version-2 handshake (static key and certificate, INTRODUCE MAC, session keys
 * from ee | es | se, key confirmation) is also recomputed straight from
 * docs/RENDEZVOUS.md §6 with @noble primitives
 * (src/core/rendezvous/handshake-spec.test-util.ts), not with the code.
 */
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ed25519 } from '@noble/curves/ed25519.js'
import * as spec from '../../src/core/rendezvous/handshake-spec.test-util.ts'
import { readFileSync } from 'node:fs'
import { check, once } from './vector-file.ts'
import { fromHex, toHex } from '../../src/core/bytes.ts'
import { nobleDh } from '../../src/core/crypto/ntor.ts'
import {
  clientFinishHandshake, descriptorId, descriptorKey, E2eSession, openHsDescriptor, openIntroduce, parseHsDescriptorOuter,
  REPLAY_CACHE_MAX, ReplayCache, serviceHandshake, verifyInviteProof
} from '../../src/core/rendezvous/index.ts'
import { generateRendezvousVector } from './generate-rendezvous.ts'


interface Vector {
  now: number, period: number, serviceIdentitySeed: string, serviceIdentityKey: string, clientIdentitySeed: string, clientIdentityKey: string,
  clientStaticSecret: string, clientStaticKey: string, clientStaticCert: string, Y: string, descId: string, descKey: string,
  descriptorSigningKey: string, introEncSecret: string, introEncKey: string, introPoints: { peerId: string, nodeId: string, onionKey: string, authId: string }[],
  revision: number, expires: number, descriptor: string, rendezvousPoint: { peerId: string, nodeId: string, onionKey: string }, cookie: string,
  clientName: string, timestamp: number, inviteId: string, inviteSecret: string, inviteProof: string, x: string, X: string, introduce1: string, y: string, reply: string, rendezvous1: string, kC2S: string, kS2C: string,
  frames: { direction: string, text: string, frame: string }[]
}

describe('seeded vectors', () => {
  it('rendezvous.json', async () => {
    const v = check('./rendezvous.json', await generateRendezvousVector()) as unknown as Vector
    const A = fromHex(v.serviceIdentityKey)
    expect(toHex(descriptorId(A, v.period))).toBe(v.descId)
    expect(toHex(descriptorKey(A, v.period))).toBe(v.descKey)

    const outer = parseHsDescriptorOuter(fromHex(v.descriptor), v.now)
    expect(toHex(outer.signingKey)).toBe(v.descriptorSigningKey)
    const content = openHsDescriptor(fromHex(v.descriptor), A, v.now)
    expect(toHex(content.introEncKey)).toBe(v.introEncKey)
    expect(content.introPoints.map(p => ({ peerId: p.peerId, nodeId: toHex(p.nodeId), onionKey: toHex(p.onionKey), authId: toHex(p.authId) }))).toEqual(v.introPoints)
    expect([content.revision, content.expires]).toEqual([v.revision, v.expires])

    const { intro, clientEphemeral, invite } = await openIntroduce({
      data: fromHex(v.introduce1), serviceKey: A, introEncSecret: fromHex(v.introEncSecret), introEncKey: fromHex(v.introEncKey), replay: new ReplayCache(REPLAY_CACHE_MAX), now: v.now, dh: nobleDh
    })
    expect(toHex(clientEphemeral)).toBe(v.X)
    expect(toHex(intro.clientKey)).toBe(v.clientIdentityKey)
    expect(toHex(intro.clientStaticKey)).toBe(v.clientStaticKey)
    expect(toHex(intro.cookie)).toBe(v.cookie)
    expect(intro.rp.peerId).toBe(v.rendezvousPoint.peerId)
    expect([intro.clientName, intro.timestamp]).toEqual([v.clientName, v.timestamp])
    // The invite proof (§6 "Invite proof"): the recorded one, and Node's own HMAC-SHA256 (RFC 2104) of the documented input.
    expect([toHex(invite!.inviteId), toHex(invite!.proof)]).toEqual([v.inviteId, v.inviteProof])
    const proofInput = Buffer.concat([Buffer.from('shallot-invite-proof-v1'), A, intro.clientKey, clientEphemeral, fromHex(v.inviteId)])
    expect(createHmac('sha256', fromHex(v.inviteSecret)).update(proofInput).digest('hex')).toBe(v.inviteProof)
    expect(verifyInviteProof(invite!, fromHex(v.inviteSecret), { serviceKey: A, clientKey: intro.clientKey, clientEphemeral })).toBe(true)

    const service = await serviceHandshake({
      serviceKey: A, clientKey: intro.clientKey, clientStaticKey: intro.clientStaticKey, clientEphemeral, cookie: intro.cookie,
      introEncSecret: fromHex(v.introEncSecret), introEncKey: fromHex(v.introEncKey), random: once(v.y), dh: nobleDh
    })
    expect(toHex(service.reply)).toBe(v.reply)
    expect(v.rendezvous1).toBe(v.cookie + v.reply)
    const clientStatic = { secret: fromHex(v.clientStaticSecret), publicKey: fromHex(v.clientStaticKey), cert: fromHex(v.clientStaticCert) }
    const state = {
      serviceKey: A, clientKey: fromHex(v.clientIdentityKey), serviceStaticKey: fromHex(v.introEncKey), clientStatic, cookie: fromHex(v.cookie), x: fromHex(v.x), X: fromHex(v.X), used: false
    }
    const keys = await clientFinishHandshake(state, fromHex(v.reply), nobleDh)
    expect([toHex(keys.send), toHex(keys.receive)]).toEqual([v.kC2S, v.kS2C])
    expect([toHex(service.keys.receive), toHex(service.keys.send)]).toEqual([v.kC2S, v.kS2C])

    const atService = new E2eSession({ send: fromHex(v.kS2C), receive: fromHex(v.kC2S) })
    const atClient = new E2eSession({ send: fromHex(v.kC2S), receive: fromHex(v.kS2C) })
    const dec = new TextDecoder()
    for (const f of v.frames) {
      const s = f.direction === 'client-to-service' ? atService : atClient
      expect(dec.decode(s.open(fromHex(f.frame)))).toBe(f.text)
    }
  })

  it('rendezvous.json: the version-2 handshake recomputed from the spec (§6) with @noble', () => {
    const v = JSON.parse(readFileSync(new URL('./rendezvous.json', import.meta.url), 'utf8')) as Vector
    const h = fromHex
    const A = h(v.serviceIdentityKey); const B = h(v.clientIdentityKey); const S = h(v.introEncKey); const s = h(v.introEncSecret)
    const x = h(v.x); const y = h(v.y); const X = spec.pub(x); const Y = spec.pub(y)
    expect([toHex(X), toHex(Y)]).toEqual([v.X, v.Y])
    // Static key: s_B = SHA-256("shallot-dh-static-v1" | Ed25519(B, "shallot-dh-static-seed-v1" | B)), cert over "shallot-dh-cert-v1" | B | S_B.
    const sB = spec.staticSecretFrom(ed25519.sign(spec.staticSeedMessage(B), h(v.clientIdentitySeed)))
    const SB = spec.pub(sB)
    expect([toHex(sB), toHex(SB)]).toEqual([v.clientStaticSecret, v.clientStaticKey])
    expect(toHex(ed25519.sign(spec.certMessage(B, SB), h(v.clientIdentitySeed)))).toBe(v.clientStaticCert)
    // INTRODUCE1: authId | X | AEAD(k_intro, body | mac), mac under es | ss.
    const authId = h(v.introPoints[0]!.authId)
    const rp = { peerId: v.rendezvousPoint.peerId, nodeId: h(v.rendezvousPoint.nodeId), onionKey: h(v.rendezvousPoint.onionKey) }
    const body = spec.introduceBody({ rp, cookie: h(v.cookie), B, SB, certB: h(v.clientStaticCert), name: v.clientName, timestamp: v.timestamp, invite: { inviteId: h(v.inviteId), proof: h(v.inviteProof) } })
    const mac = spec.introduceMac(spec.dh(x, S), spec.dh(sB, S), A, authId, X, S, body)
    expect(toHex(spec.sealIntroduce(spec.dh(x, S), authId, X, S, new Uint8Array([...body, ...mac])))).toBe(v.introduce1)
    // The service computes the same MAC from its side (s), which is why it proves nothing to anyone else.
    expect(toHex(spec.introduceMac(spec.dh(s, X), spec.dh(s, SB), A, authId, X, S, body))).toBe(toHex(mac))
    // Session: IKM = ee | es | se, the same from both sides; reply = Y | HMAC(kConfirm, label | th).
    const t = { A, B, S, SB, X, Y, cookie: h(v.cookie) }
    const client = spec.e2e(spec.dh(x, Y), spec.dh(x, S), spec.dh(sB, Y), t)
    const service = spec.e2e(spec.dh(y, X), spec.dh(s, X), spec.dh(y, SB), t)
    expect([toHex(client.reply), toHex(service.reply)]).toEqual([v.reply, v.reply])
    expect([toHex(client.kC2S), toHex(client.kS2C)]).toEqual([v.kC2S, v.kS2C])
  })
})

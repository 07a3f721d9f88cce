/**
 * Regenerates the seeded onion-service vector and compares it with the
 * committed JSON (SHALLOT_UPDATE_VECTORS=1 npx vitest run test/vectors
 * rewrites it). Also checks the JSON independently of the generator: the
 * descriptor opens under the recorded identity key, the INTRODUCE1 body opens
 * with the recorded secret, the recorded y reproduces the reply, the recorded
 * x finishes the handshake to the recorded keys, and the frames open.
 */
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { check, once } from './vector-file.ts'
import { fromHex, toHex } from '../../src/core/bytes.ts'
import { nobleDh } from '../../src/core/crypto/ntor.ts'
import { ed25519SignWithSeed } from '../../src/core/identity/keys.ts'
import {
  clientFinishHandshake, descriptorId, descriptorKey, E2eSession, openHsDescriptor, openIntroduce, parseHsDescriptorOuter,
  REPLAY_CACHE_MAX, ReplayCache, serviceHandshake, verifyInviteProof
} from '../../src/core/rendezvous/index.ts'
import { generateRendezvousVector } from './generate-rendezvous.ts'


interface Vector {
  now: number, period: number, serviceIdentitySeed: string, serviceIdentityKey: string, clientIdentityKey: string, descId: string, descKey: string,
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
    expect(toHex(intro.cookie)).toBe(v.cookie)
    expect(intro.rp.peerId).toBe(v.rendezvousPoint.peerId)
    expect([intro.clientName, intro.timestamp]).toEqual([v.clientName, v.timestamp])
    // The invite proof (§6 "Invite proof"): the recorded one, and Node's own HMAC-SHA256 (RFC 2104) of the documented input.
    expect([toHex(invite!.inviteId), toHex(invite!.proof)]).toEqual([v.inviteId, v.inviteProof])
    const proofInput = Buffer.concat([Buffer.from('shallot-invite-proof-v1'), A, intro.clientKey, clientEphemeral, fromHex(v.inviteId)])
    expect(createHmac('sha256', fromHex(v.inviteSecret)).update(proofInput).digest('hex')).toBe(v.inviteProof)
    expect(verifyInviteProof(invite!, fromHex(v.inviteSecret), { serviceKey: A, clientKey: intro.clientKey, clientEphemeral })).toBe(true)

    const seed = fromHex(v.serviceIdentitySeed)
    const service = await serviceHandshake({
      serviceKey: A, clientKey: intro.clientKey, clientEphemeral, cookie: intro.cookie, sign: async (m) => ed25519SignWithSeed(seed, m), random: once(v.y), dh: nobleDh
    })
    expect(toHex(service.reply)).toBe(v.reply)
    expect(v.rendezvous1).toBe(v.cookie + v.reply)
    const state = { serviceKey: A, clientKey: fromHex(v.clientIdentityKey), cookie: fromHex(v.cookie), x: fromHex(v.x), X: fromHex(v.X), used: false }
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
})

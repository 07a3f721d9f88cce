/**
 * Invite proofs (./invite-proof.ts): what an INTRODUCE carries to show it
 * holds a live invite, and that the proof is bound to its service, its
 * client key and its X.
 */
import { sha256 } from '@noble/hashes/sha2.js'
import { describe, expect, it } from 'vitest'
import { concatBytes, toHex } from '../bytes.ts'
import { nobleDh } from '../crypto/ntor.ts'
import { x25519PublicKey } from '../crypto/primitives.ts'
import { ReplayCache } from '../replay-cache.ts'
import { REPLAY_CACHE_MAX } from './constants.ts'
import { createIntroduce, openIntroduce } from './introduce.ts'
import { deriveStaticDhKey } from './static-key.ts'
import { inviteProof, verifyInviteProof } from './invite-proof.ts'
import { NOW, rnd, testIdentity } from './rendezvous.test-util.ts'

const r = rnd('invite-proof')
const alice = testIdentity(r(32)) // service, A
const bob = testIdentity(r(32)) // client, B
const carol = testIdentity(r(32)) // another service
const s = r(32)
const S = x25519PublicKey(s)
const rp = { peerId: '12D3KooWRendezvousPoint', nodeId: r(32), onionKey: x25519PublicKey(r(32)) }
const invite = { inviteId: r(16), secret: r(32) }

async function introduce (held: typeof invite | null): Promise<Uint8Array> {
  return (await createIntroduce({
    serviceKey: alice.publicKey, authId: r(32), introEncKey: S, rp, cookie: r(20), clientKey: bob.publicKey,
    clientStatic: await deriveStaticDhKey(bob.publicKey, bob.sign, nobleDh), clientName: 'Bob', timestamp: NOW, random: r, dh: nobleDh, invite: held
  })).data
}
const open = async (data: Uint8Array): Promise<Awaited<ReturnType<typeof openIntroduce>>> =>
  await openIntroduce({ data, serviceKey: alice.publicKey, introEncSecret: s, introEncKey: S, replay: new ReplayCache(REPLAY_CACHE_MAX), now: NOW, dh: nobleDh })

describe('invite proof (spec §6 "Invite proof"; rend-spec-v3 §7 [CLIENT-AUTH])', () => {
  it('is HMAC-SHA256(secret, "shallot-invite-proof-v1" | A | B | X | inviteId), checked against Node\'s own HMAC (RFC 2104)', () => {
    const X = r(32)
    const ctx = { serviceKey: alice.publicKey, clientKey: bob.publicKey, clientEphemeral: X }
    // HMAC written out from RFC 2104 §2 over plain SHA-256 (a 32-byte key is shorter than the block): the
    // recorded vector is also checked against Node's own HMAC in test/vectors/rendezvous-vectors.test.ts.
    const block = (pad: number): Uint8Array => Uint8Array.from({ length: 64 }, (_, i) => (invite.secret[i] ?? 0) ^ pad)
    const msg = concatBytes(new TextEncoder().encode('shallot-invite-proof-v1'), alice.publicKey, bob.publicKey, X, invite.inviteId)
    const expected = sha256(concatBytes(block(0x5c), sha256(concatBytes(block(0x36), msg))))
    expect(toHex(inviteProof(invite.inviteId, invite.secret, ctx))).toBe(toHex(expected))
  })

  it('travels inside the encrypted INTRODUCE and verifies with the secret for that transcript', async () => {
    const got = await open(await introduce(invite))
    expect(got.invite).not.toBeNull()
    expect(toHex(got.invite!.inviteId)).toBe(toHex(invite.inviteId))
    const ctx = { serviceKey: alice.publicKey, clientKey: got.intro.clientKey, clientEphemeral: got.clientEphemeral }
    expect(verifyInviteProof(got.invite!, invite.secret, ctx)).toBe(true)
    // and the invite id is not visible to the introduction point: it is not in the cell in clear
    expect(toHex(await introduce(invite))).not.toContain(toHex(invite.inviteId))
  })

  it('an INTRODUCE without an invite carries no claim, and is as long as one with a proof (the introduction point cannot tell a first contact by size)', async () => {
    const without = await introduce(null)
    expect((await open(without)).invite).toBeNull()
    expect(without.length).toBe((await introduce(invite)).length)
  })

  it('a wrong secret, a proof replayed with another X, shown to another service or moved to another client key does not verify', async () => {
    const got = await open(await introduce(invite))
    const ctx = { serviceKey: alice.publicKey, clientKey: got.intro.clientKey, clientEphemeral: got.clientEphemeral }
    expect(verifyInviteProof(got.invite!, r(32), ctx)).toBe(false)
    expect(verifyInviteProof(got.invite!, invite.secret, { ...ctx, clientEphemeral: r(32) })).toBe(false)
    expect(verifyInviteProof(got.invite!, invite.secret, { ...ctx, serviceKey: carol.publicKey })).toBe(false)
    expect(verifyInviteProof(got.invite!, invite.secret, { ...ctx, clientKey: carol.publicKey })).toBe(false)
    expect(verifyInviteProof({ inviteId: r(16), proof: got.invite!.proof }, invite.secret, ctx)).toBe(false)
    expect(verifyInviteProof({ ...got.invite!, proof: got.invite!.proof.subarray(1) }, invite.secret, ctx)).toBe(false)
  })
})

/**
 * Generator for Shallot's seeded onion-service vector
 * (test/vectors/rendezvous.json, docs/RENDEZVOUS.md §9).
 *
 * Everything random comes from `seededRandom(RENDEZVOUS_SEED)` in the order
 * the fields are listed, and the time is the fixed RENDEZVOUS_NOW, so the
 * output is a pure function of the code. rendezvous-vectors.test.ts
 * regenerates it and compares it with the committed JSON; run with
 * SHALLOT_UPDATE_VECTORS=1 to rewrite it after an intentional format change
 * (and say so in docs/RENDEZVOUS.md).
 */
import { toHex } from '../../src/core/bytes.ts'
import { nobleDh } from '../../src/core/crypto/ntor.ts'
import { x25519PublicKey } from '../../src/core/crypto/primitives.ts'
import { ed25519PublicKeyFromSeed, ed25519SignWithSeed } from '../../src/core/identity/keys.ts'
import { type RandomSource, seededRandom } from '../../src/core/random.ts'
import {
  clientFinishHandshake, createIntroduce, deriveStaticDhKey, descriptorId, descriptorKey, descriptorSigningSeed, E2eSession, encodeHsDescriptor,
  encodeRendezvous1, HS_PERIOD_MS, hsPeriod, type HsDescriptorContent, openIntroduce, REPLAY_CACHE_MAX, ReplayCache, serviceHandshake, type Signer
} from '../../src/core/rendezvous/index.ts'

/** Wrap a random source so every output is also recorded (copies, since callers may wipe them). */
function recording (r: RandomSource): { random: RandomSource, log: Uint8Array[] } {
  const log: Uint8Array[] = []
  return { log, random: (n) => { const b = r(n); log.push(b.slice()); return b } }
}

export const RENDEZVOUS_SEED = 'shallot-rendezvous-v1'
/** The invite the client proves comes from its own stream, so adding it left every other recorded value as it was. */
export const RENDEZVOUS_INVITE_SEED = 'shallot-rendezvous-invite-v1'
/** 2026-01-01T00:20:34.567Z, 20 minutes into a period (so only one period is published). */
export const RENDEZVOUS_NOW = 1_767_225_600_000 + 1_234_567

const signer = (seed: Uint8Array): Signer => async (m) => ed25519SignWithSeed(seed, m)
const enc = new TextEncoder()

export async function generateRendezvousVector (): Promise<Record<string, unknown>> {
  const r = seededRandom(RENDEZVOUS_SEED)
  const now = RENDEZVOUS_NOW
  const serviceSeed = r(32)
  const A = ed25519PublicKeyFromSeed(serviceSeed)
  const clientSeed = r(32)
  const B = ed25519PublicKeyFromSeed(clientSeed)
  const clientStatic = await deriveStaticDhKey(B, signer(clientSeed), nobleDh)
  const period = hsPeriod(now)
  const signingSeed = await descriptorSigningSeed(signer(serviceSeed), period)
  const introEncSecret = r(32)
  const S = x25519PublicKey(introEncSecret)
  const introPoints = [0, 1, 2].map(i => ({ peerId: `12D3KooWShallotIntroPoint${i}`, nodeId: r(32), onionKey: x25519PublicKey(r(32)), authId: r(32) }))
  const content: HsDescriptorContent = { identityKey: A, introEncKey: S, introPoints, period, revision: now, expires: now + HS_PERIOD_MS }
  const d = recording(r)
  const descriptor = await encodeHsDescriptor(content, { sign: signer(serviceSeed), signingSeed, random: d.random })

  const rp = { peerId: '12D3KooWShallotRendezvousPoint', nodeId: r(32), onionKey: x25519PublicKey(r(32)) }
  const cookie = r(20)
  const authId = (introPoints[0] as { authId: Uint8Array }).authId
  const ri = seededRandom(RENDEZVOUS_INVITE_SEED)
  const invite = { inviteId: ri(16), secret: ri(32) }
  const c = recording(r)
  const { data: introduce1, state } = await createIntroduce({
    serviceKey: A, authId, introEncKey: S, rp, cookie, clientKey: B, clientStatic, clientName: 'Bob', timestamp: now, random: c.random, dh: nobleDh, invite
  })
  const X = state.X.slice()
  const { intro, clientEphemeral, invite: claim } = await openIntroduce({ data: introduce1, serviceKey: A, introEncSecret, introEncKey: S, replay: new ReplayCache(REPLAY_CACHE_MAX), now, dh: nobleDh })
  const s = recording(r)
  const { reply, keys: serviceKeys } = await serviceHandshake({
    serviceKey: A, clientKey: intro.clientKey, clientStaticKey: intro.clientStaticKey, clientEphemeral, cookie: intro.cookie, introEncSecret, introEncKey: S, random: s.random, dh: nobleDh
  })
  const clientKeys = await clientFinishHandshake(state, reply, nobleDh)
  if (toHex(clientKeys.send) !== toHex(serviceKeys.receive) || toHex(clientKeys.receive) !== toHex(serviceKeys.send)) throw new Error('rendezvous vector: keys disagree')

  const client = new E2eSession(clientKeys)
  const service = new E2eSession(serviceKeys)
  const frames = [
    { direction: 'client-to-service', n: 0, text: 'hello from the client', frame: toHex(client.seal(enc.encode('hello from the client'))) },
    { direction: 'service-to-client', n: 0, text: 'hello from the service', frame: toHex(service.seal(enc.encode('hello from the service'))) }
  ]

  return {
    description: 'Shallot onion service (docs/RENDEZVOUS.md §3-7), INTRODUCE version 2 (DH-authenticated, deniable): descriptor id/key, one descriptor, the client static DH key and its certificate (derived from the client identity seed, no randomness), one INTRODUCE1 body (with an invite proof; invite id and secret from seededRandom(inviteSeed)), one RENDEZVOUS1 body and reply, the session keys and one e2e frame per direction. Randomness is seededRandom(seed), consumed in this order: serviceIdentitySeed, clientIdentitySeed, introEncSecret, per intro point nodeId | onion secret (not recorded) | authId, descriptorNonce, rendezvousPoint nodeId | onion secret (not recorded), cookie, x, y. now is fixed; revision = timestamp = now, expires = now + 1 period. Signers are Ed25519 over the recorded seeds. See docs/RENDEZVOUS.md §9.',
    seed: RENDEZVOUS_SEED,
    inviteSeed: RENDEZVOUS_INVITE_SEED,
    now,
    serviceIdentitySeed: toHex(serviceSeed),
    serviceIdentityKey: toHex(A),
    clientIdentitySeed: toHex(clientSeed),
    clientIdentityKey: toHex(B),
    clientStaticSecret: toHex(clientStatic.secret),
    clientStaticKey: toHex(clientStatic.publicKey),
    clientStaticCert: toHex(clientStatic.cert),
    period,
    descId: toHex(descriptorId(A, period)),
    descKey: toHex(descriptorKey(A, period)),
    descriptorSigningSeed: toHex(signingSeed),
    descriptorSigningKey: toHex(ed25519PublicKeyFromSeed(signingSeed)),
    introEncSecret: toHex(introEncSecret),
    introEncKey: toHex(S),
    introPoints: introPoints.map(p => ({ peerId: p.peerId, nodeId: toHex(p.nodeId), onionKey: toHex(p.onionKey), authId: toHex(p.authId) })),
    revision: content.revision,
    expires: content.expires,
    descriptorNonce: toHex(d.log[0] as Uint8Array),
    descriptor: toHex(descriptor),
    rendezvousPoint: { peerId: rp.peerId, nodeId: toHex(rp.nodeId), onionKey: toHex(rp.onionKey) },
    cookie: toHex(cookie),
    clientName: 'Bob',
    timestamp: now,
    inviteId: toHex(invite.inviteId),
    inviteSecret: toHex(invite.secret),
    inviteProof: toHex((claim as { proof: Uint8Array }).proof),
    x: toHex(c.log[0] as Uint8Array),
    X: toHex(X),
    introduce1: toHex(introduce1),
    y: toHex(s.log[0] as Uint8Array),
    Y: toHex(reply.subarray(0, 32)),
    reply: toHex(reply),
    rendezvous1: toHex(encodeRendezvous1({ cookie, reply })),
    kC2S: toHex(clientKeys.send),
    kS2C: toHex(clientKeys.receive),
    frames
  }
}

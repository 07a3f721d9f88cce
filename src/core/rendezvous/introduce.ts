/**
 * INTRODUCE1/2 (docs/RENDEZVOUS.md §6; rend-spec-v3 §3.2–3.3): the client
 * tells the service, through one of its introduction points, which
 * rendezvous point and cookie to meet at, who it is (B, display name) and its
 * ephemeral X, all encrypted to the service's introduction key S with a
 * one-off key from X25519(x, S), and authenticated by B's static DH key
 * S_B (certified by B) with a MAC under X25519(x, S) | X25519(s_B, S), so
 * nobody can introduce under someone else's identity or redirect the service,
 * and the service, which can compute the same MAC, holds no proof a third party
 * would accept (Noise rev 34 §7.5 IK's "es, s, ss"; X3DH §4.4 deniability).
 * A first contact also proves the invite it holds (./invite-proof.ts), in a
 * field of its own, under the MAC. The introduction point sees authId, X and
 * ciphertext only.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ByteReader, concatBytes, ctEqual, isAllZero } from '../bytes.ts'
import { forgetSecret, type X25519Dh } from '../crypto/ntor.ts'
import { ProtocolError } from '../errors.ts'
import { hkdfSha256, hmacSha256, sha256 } from '../crypto/primitives.ts'
import type { RandomSource } from '../random.ts'
import { decodeIntroduce1, encodeIntroduce1 } from './cells.ts'
import {
  AUTH_ID_LEN, CLIENT_NAME_MAX_LEN, COOKIE_LEN, ED25519_KEY_LEN, ED25519_SIG_LEN, HS_NODE_ID_LEN, INTRODUCE_MAX_SKEW_MS,
  INTRODUCE_VERSION, INVITE_PROOF_LEN, MAC_LEN, PEER_ID_MAX_LEN, X25519_LEN
} from './constants.ts'
import { IntroduceError, IntroduceReplayError } from './errors.ts'
import type { ClientHandshakeState } from './handshake.ts'
import { inviteProof, type InviteClaim } from './invite-proof.ts'
import { INVITE_ID_LEN } from '../identity/invite.ts'
import { type StaticDhKey, verifyStaticCert } from './static-key.ts'
import type { ReplayCache } from '../replay-cache.ts'
import { checkLen, lengthPrefixed, readLengthPrefixed, readU64, u64, utf8 } from './wire.ts'

export interface RendezvousPointInfo {
  readonly peerId: string
  readonly nodeId: Uint8Array
  readonly onionKey: Uint8Array
}

export interface IntroducePlaintext {
  readonly rp: RendezvousPointInfo
  readonly cookie: Uint8Array
  /** B: the client's Ed25519 identity key. */
  readonly clientKey: Uint8Array
  /** S_B: the client's static X25519 key, certified by B (checked by openIntroduce). */
  readonly clientStaticKey: Uint8Array
  readonly clientName: string
  /** ms since the epoch, by the client's clock. */
  readonly timestamp: number
}

const L_SALT = utf8('shallot-hs-intro-v1')
const L_KEY = utf8('shallot-hs-intro-key-v1')
const L_MAC = utf8('shallot-hs-introduce-v2')
const L_AUTH_SALT = utf8('shallot-hs-introduce-auth-v2')
const L_AUTH_KEY = utf8('shallot-hs-introduce-mac-key-v2')
/** The zero nonce is safe: k_intro is fresh per INTRODUCE because x is (RFC 8439 §2.8: never reuse a (key, nonce) pair). */
const ZERO_NONCE = new Uint8Array(12)

/** k_intro = HKDF-SHA256(X25519(x, S), salt = SHA-256("shallot-hs-intro-v1" | authId | X | S), "shallot-hs-intro-key-v1", 32) (RFC 5869). */
function introKey (shared: Uint8Array, authId: Uint8Array, X: Uint8Array, S: Uint8Array): Uint8Array {
  return hkdfSha256(shared, sha256(concatBytes(L_SALT, authId, X, S)), L_KEY, 32)
}

function macedPart (A: Uint8Array, authId: Uint8Array, X: Uint8Array, body: Uint8Array): Uint8Array {
  return concatBytes(L_MAC, A, authId, X, body)
}

/**
 * The client's MAC (spec §6), in place of a signature: Noise IK's first
 * message authenticates the initiator by "es, ss" (Noise rev 34 §7.5), here
 * es = X25519(x, S), ss = X25519(s_B, S):
 * k_auth = HKDF-SHA256(es | ss, salt = SHA-256("shallot-hs-introduce-auth-v2" | A | authId | X | S), "shallot-hs-introduce-mac-key-v2", 32) (RFC 5869),
 * mac = HMAC-SHA256(k_auth, "shallot-hs-introduce-v2" | A | authId | X | plaintext before the MAC).
 * The service computes the same value with s, so the MAC convinces it and no
 * one else. Like IK's first message it is not KCI-resistant (Noise §7.7,
 * authentication level 1): whoever holds s can make one as B; the session keys
 * (handshake.ts) also need X25519(s_B, Y), which they cannot.
 */
function introduceMac (es: Uint8Array, ss: Uint8Array, A: Uint8Array, authId: Uint8Array, X: Uint8Array, S: Uint8Array, body: Uint8Array): Uint8Array {
  const ikm = concatBytes(es, ss)
  const k = hkdfSha256(ikm, sha256(concatBytes(L_AUTH_SALT, A, authId, X, S)), L_AUTH_KEY, 32)
  ikm.fill(0)
  const mac = hmacSha256(k, macedPart(A, authId, X, body))
  k.fill(0)
  return mac
}

/** The invite a first contact holds (core/identity/invite.ts): its id and secret. */
export interface HeldInvite {
  readonly inviteId: Uint8Array
  readonly secret: Uint8Array
}

/** Length of the invite-proof field: flag, invite id, proof. */
const INVITE_FIELD_LEN = 1 + INVITE_ID_LEN + INVITE_PROOF_LEN

/**
 * The invite-proof field (spec §6 "Invite proof"): u8 1 | inviteId | proof,
 * or u8 0 and zeros. Always the same length, so the introduction point
 * cannot tell a first contact from a known contact reconnecting by the
 * ciphertext's size.
 */
function inviteField (claim: InviteClaim | null): Uint8Array {
  return claim == null ? new Uint8Array(INVITE_FIELD_LEN) : concatBytes(Uint8Array.of(1), claim.inviteId, claim.proof)
}

/**
 * Build INTRODUCE1 (spec §6) and the state the client needs for RENDEZVOUS2.
 * With `invite`, the body proves it (./invite-proof.ts), bound to this X.
 * RangeError on bad arguments.
 */
export async function createIntroduce (a: {
  serviceKey: Uint8Array, authId: Uint8Array, introEncKey: Uint8Array, rp: RendezvousPointInfo, cookie: Uint8Array,
  clientKey: Uint8Array, clientStatic: StaticDhKey, clientName: string, timestamp: number, random: RandomSource, dh: X25519Dh,
  invite?: HeldInvite | null
}): Promise<{ data: Uint8Array, state: ClientHandshakeState }> {
  checkLen(a.serviceKey, ED25519_KEY_LEN, 'service key')
  checkLen(a.authId, AUTH_ID_LEN, 'auth id')
  checkLen(a.introEncKey, X25519_LEN, 'introduction encryption key')
  checkLen(a.rp.nodeId, HS_NODE_ID_LEN, 'rendezvous node id')
  checkLen(a.rp.onionKey, X25519_LEN, 'rendezvous onion key')
  checkLen(a.cookie, COOKIE_LEN, 'cookie')
  checkLen(a.clientKey, ED25519_KEY_LEN, 'client key')
  checkLen(a.clientStatic.publicKey, X25519_LEN, 'client static key')
  checkLen(a.clientStatic.cert, ED25519_SIG_LEN, 'client static key certificate')
  const head = concatBytes(
    Uint8Array.of(INTRODUCE_VERSION),
    lengthPrefixed(a.rp.peerId, 1, PEER_ID_MAX_LEN, 'rendezvous peer id'), a.rp.nodeId, a.rp.onionKey,
    a.cookie, a.clientKey, a.clientStatic.publicKey, a.clientStatic.cert,
    lengthPrefixed(a.clientName, 0, CLIENT_NAME_MAX_LEN, 'client name'),
    u64(a.timestamp)
  )
  const x = a.random(X25519_LEN)
  checkLen(x, X25519_LEN, 'random scalar')
  let X: Uint8Array
  let ct: Uint8Array
  try {
    X = await a.dh.publicKey(x)
    const held = a.invite ?? null
    const claim = held == null ? null : { inviteId: held.inviteId, proof: inviteProof(held.inviteId, held.secret, { serviceKey: a.serviceKey, clientKey: a.clientKey, clientEphemeral: X }) }
    const body = concatBytes(head, inviteField(claim))
    const shared = await a.dh.shared(x, a.introEncKey) // low-order S → LowOrderPointError (RFC 7748 §6.1)
    const ss = await a.dh.shared(a.clientStatic.secret, a.introEncKey)
    const mac = introduceMac(shared, ss, a.serviceKey, a.authId, X, a.introEncKey, body)
    ss.fill(0)
    const k = introKey(shared, a.authId, X, a.introEncKey)
    shared.fill(0)
    // ChaCha20-Poly1305 (RFC 8439 §2.8), AAD = authId | X so the introduction point cannot swap them.
    ct = chacha20poly1305(k, ZERO_NONCE, concatBytes(a.authId, X)).encrypt(concatBytes(body, mac))
    k.fill(0)
  } catch (e) {
    forgetSecret(a.dh, x)
    throw e
  }
  const data = encodeIntroduce1({ authId: a.authId, clientKey: X, ct })
  return { data, state: {
    serviceKey: a.serviceKey.slice(), clientKey: a.clientKey.slice(), serviceStaticKey: a.introEncKey.slice(), clientStatic: a.clientStatic, cookie: a.cookie.slice(), x, X, used: false
  } }
}

function parsePlaintext (pt: Uint8Array): { intro: IntroducePlaintext, invite: InviteClaim | null, body: Uint8Array, cert: Uint8Array, mac: Uint8Array } {
  try {
    const r = new ByteReader(pt, 'introduce plaintext')
    if (r.u8() !== INTRODUCE_VERSION) throw new IntroduceError('The introduction has an unknown version.', 'malformed-cell')
    const peerId = readLengthPrefixed(r, 1, PEER_ID_MAX_LEN, 'rendezvous peer id')
    const rp = { peerId, nodeId: r.bytes(HS_NODE_ID_LEN), onionKey: r.bytes(X25519_LEN) }
    const cookie = r.bytes(COOKIE_LEN)
    const clientKey = r.bytes(ED25519_KEY_LEN)
    const clientStaticKey = r.bytes(X25519_LEN)
    const cert = r.bytes(ED25519_SIG_LEN)
    const clientName = readLengthPrefixed(r, 0, CLIENT_NAME_MAX_LEN, 'client name')
    const timestamp = readU64(r)
    const hasInvite = r.u8()
    const inviteId = r.bytes(INVITE_ID_LEN)
    const proof = r.bytes(INVITE_PROOF_LEN)
    // One encoding only: flag 0 comes with zeros.
    if (hasInvite > 1 || (hasInvite === 0 && !(isAllZero(inviteId) && isAllZero(proof)))) throw new IntroduceError('The introduction is malformed.', 'malformed-cell')
    const invite = hasInvite === 1 ? { inviteId, proof } : null
    const bodyLen = r.offset
    const mac = r.bytes(MAC_LEN)
    r.end()
    return { intro: { rp, cookie, clientKey, clientStaticKey, clientName, timestamp }, invite, body: pt.subarray(0, bodyLen), cert, mac }
  } catch (e) {
    if (e instanceof IntroduceError) throw e
    throw new IntroduceError('The introduction is malformed.', 'malformed-cell')
  }
}

/**
 * Service on INTRODUCE2 (spec §6). Order: decode, decrypt, replay check (only
 * after successful decryption, so garbage from anyone without S cannot fill
 * the cache), the client's static-key certificate and MAC, clock skew. Throws
 * IntroduceError (malformed, undecryptable, uncertified static key, bad MAC,
 * skew) or IntroduceReplayError. The invite claim, if any, is returned
 * unchecked (the MAC covers it): only the caller knows the invites it issued
 * (verifyInviteProof, ./invite-proof.ts).
 */
export async function openIntroduce (a: {
  data: Uint8Array, serviceKey: Uint8Array, introEncSecret: Uint8Array, introEncKey: Uint8Array, replay: ReplayCache, now: number, dh: X25519Dh
}): Promise<{ intro: IntroducePlaintext, clientEphemeral: Uint8Array, invite: InviteClaim | null }> {
  let m
  try {
    m = decodeIntroduce1(a.data)
  } catch (e) {
    if (e instanceof ProtocolError) throw new IntroduceError('The introduction is malformed.', 'malformed-cell')
    throw e
  }
  let shared: Uint8Array
  try {
    shared = await a.dh.shared(a.introEncSecret, m.clientKey) // low-order X refused (RFC 7748 §6.1)
  } catch (e) {
    if (e instanceof ProtocolError) throw new IntroduceError('The introduction carries an invalid key.')
    throw e
  }
  const k = introKey(shared, m.authId, m.clientKey, a.introEncKey)
  shared.fill(0)
  let pt: Uint8Array
  try {
    pt = chacha20poly1305(k, ZERO_NONCE, concatBytes(m.authId, m.clientKey)).decrypt(m.ct) // RFC 8439 §2.8: tag checked before any plaintext is used
  } catch {
    throw new IntroduceError('The introduction could not be decrypted.')
  } finally {
    k.fill(0)
  }
  const { intro, invite, body, cert, mac } = parsePlaintext(pt)
  // Replay: X seen before under this introEncKey (rend-spec-v3 §1.8, §3.3 replay cache).
  if (!a.replay.checkAndAdd(m.clientKey)) throw new IntroduceReplayError()
  // B certified S_B (strict RFC 8032 §5.1.7), and the MAC under X25519(s, X) | X25519(s, S_B) binds A, authId and X (spec §6).
  if (!verifyStaticCert(intro.clientKey, intro.clientStaticKey, cert)) throw new IntroduceError('The introduction\'s static key is not certified by its identity key.')
  let es: Uint8Array, ss: Uint8Array
  try {
    [es, ss] = [await a.dh.shared(a.introEncSecret, m.clientKey), await a.dh.shared(a.introEncSecret, intro.clientStaticKey)] // low-order S_B refused (RFC 7748 §6.1)
  } catch (e) {
    if (e instanceof ProtocolError) throw new IntroduceError('The introduction carries an invalid key.')
    throw e
  }
  const expected = introduceMac(es, ss, a.serviceKey, m.authId, m.clientKey, a.introEncKey, body)
  es.fill(0); ss.fill(0)
  if (!ctEqual(expected, mac)) throw new IntroduceError('The introduction does not authenticate its sender.')
  if (Math.abs(a.now - intro.timestamp) > INTRODUCE_MAX_SKEW_MS) throw new IntroduceError('The introduction was sent with a clock too far from ours.')
  return { intro, clientEphemeral: m.clientKey, invite }
}

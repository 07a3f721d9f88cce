/**
 * The ntor circuit handshake, exactly as tor-spec §5.1.4 (ntor, not ntor-v3).
 *
 * The client knows the relay's node id ID and long-term onion key B (from its
 * signed descriptor). It sends an ephemeral X; the relay answers with an
 * ephemeral Y and AUTH. Both sides compute
 *   secret_input = EXP(X,y)|EXP(X,b)|ID|B|X|Y|PROTOID   (relay)
 *                = EXP(Y,x)|EXP(B,x)|ID|B|X|Y|PROTOID   (client)
 * so the keys have forward secrecy (x, y are ephemeral) and only the holder of
 * b can produce AUTH (relay authentication). Keys come from HKDF-SHA256 with
 * KEY_SEED = HMAC(t_key, secret_input) as PRK and m_expand as info
 * (tor-spec §5.2.2, RFC 5869).
 *
 * The protocol id, node-id length and key length are parameters: with
 * {@link TOR_NTOR} this reproduces Tor's reference vectors (ntor_ref.py);
 * Shallot uses {@link SHALLOT_NTOR}, its own PROTOID (domain separation from
 * Tor) and a 32-byte node id, SHA-256 of the relay's Ed25519 identity key
 * (Tor uses the 20-byte SHA-1 of its RSA identity key).
 */
import { concatBytes, ctEqual } from '../bytes.ts'
import { HandshakeError, ProtocolViolationError } from '../errors.ts'
import type { RandomSource } from '../random.ts'
import { NODE_ID_LEN } from '../cell/messages.ts'
import { hkdfExpand, hmacSha256, sha256, X25519_KEY_LEN, x25519Keypair, x25519PublicKey, x25519Shared } from './primitives.ts'
import { CGO_KEY_MATERIAL_LEN } from './cgo.ts'

export interface NtorParams {
  /** PROTOID string (tor-spec §5.1.4). */
  readonly protoId: string
  /** ID_LENGTH: bytes of the relay's node id. */
  readonly nodeIdLen: number
  /** Bytes of key material to expand after the handshake. */
  readonly keyLen: number
}

/** Tor's ntor: PROTOID "ntor-curve25519-sha256-1", ID_LENGTH 20, 72 bytes of keys (Df|Db|Kf|Kb, SHA-1/AES-128 sizes). */
export const TOR_NTOR: NtorParams = { protoId: 'ntor-curve25519-sha256-1', nodeIdLen: 20, keyLen: 72 }

/** Shallot's ntor: own PROTOID, 32-byte node id, key material for one CGO hop (cgo.ts, 160 bytes). */
export const SHALLOT_NTOR: NtorParams = { protoId: 'shallot-ntor-x25519-sha256-1', nodeIdLen: NODE_ID_LEN, keyLen: CGO_KEY_MATERIAL_LEN }

/** G_LENGTH and H_LENGTH (tor-spec §5.1.4). */
const G_LENGTH = X25519_KEY_LEN
const H_LENGTH = 32

/** Length of the client's onionskin: NODEID | KEYID | CLIENT_KP. */
export function ntorOnionskinLen (params: NtorParams = SHALLOT_NTOR): number { return params.nodeIdLen + H_LENGTH + G_LENGTH }
/** Length of the relay's reply: SERVER_KP | AUTH. */
export const NTOR_REPLY_LEN = G_LENGTH + H_LENGTH

const enc = new TextEncoder()

interface Tags { protoId: Uint8Array, tMac: Uint8Array, tKey: Uint8Array, tVerify: Uint8Array, mExpand: Uint8Array, server: Uint8Array }
const tagCache = new Map<string, Tags>()
function tags (params: NtorParams): Tags {
  let t = tagCache.get(params.protoId)
  if (t === undefined) {
    const p = params.protoId
    t = {
      protoId: enc.encode(p),
      tMac: enc.encode(p + ':mac'),
      tKey: enc.encode(p + ':key_extract'),
      tVerify: enc.encode(p + ':verify'),
      mExpand: enc.encode(p + ':key_expand'),
      server: enc.encode('Server')
    }
    tagCache.set(p, t)
  }
  return t
}

/** What a client knows about a relay: its node id and onion key B. */
export interface NtorPublicKey {
  readonly nodeId: Uint8Array
  readonly onionKey: Uint8Array
}

/** What a relay holds: its node id, onion key B and secret b. */
export interface NtorSecretKey extends NtorPublicKey {
  readonly onionSecret: Uint8Array
}

/** Client state between create and finish. Single use: finish wipes x. */
export interface NtorClientState {
  readonly params: NtorParams
  readonly relay: NtorPublicKey
  readonly x: Uint8Array
  readonly X: Uint8Array
  /**
   * EXP(B,x), when computed ahead: it needs only the relay's onion key, so
   * {@link ntorClientCreateWith} computes it before the reply arrives and
   * finishing costs one X25519 instead of two (same result, tor-spec §5.1.4).
   */
  xb?: Uint8Array
  used: boolean
}

/**
 * Shallot node id: SHA-256 of the relay's 32-byte Ed25519 identity public key
 * (the key that signs its descriptor and its libp2p peer id).
 */
export function nodeIdFromIdentityKey (identityPublicKey: Uint8Array): Uint8Array {
  if (identityPublicKey.length !== 32) throw new RangeError('nodeIdFromIdentityKey: expected a 32-byte Ed25519 public key')
  return sha256(identityPublicKey)
}

/** A relay's long-term onion key pair (b, B), from injected randomness. */
export function generateOnionKey (random: RandomSource): { onionSecret: Uint8Array, onionKey: Uint8Array } {
  const kp = x25519Keypair(random)
  return { onionSecret: kp.secret, onionKey: kp.publicKey }
}

function checkRelayKey (params: NtorParams, k: NtorPublicKey): void {
  if (k.nodeId.length !== params.nodeIdLen) throw new RangeError(`ntor: node id must be ${params.nodeIdLen} bytes`)
  if (k.onionKey.length !== G_LENGTH) throw new RangeError('ntor: onion key must be 32 bytes')
}

/** Client step 1 (tor-spec §5.1.4): pick x, send NODEID | KEYID(B) | X. */
export function ntorClientCreate (relay: NtorPublicKey, random: RandomSource, params: NtorParams = SHALLOT_NTOR): { state: NtorClientState, onionskin: Uint8Array } {
  checkRelayKey(params, relay)
  const { secret: x, publicKey: X } = x25519Keypair(random)
  const onionskin = concatBytes(relay.nodeId, relay.onionKey, X)
  return { state: { params, relay, x, X, used: false }, onionskin }
}

/** secret_input → (KEY_SEED-expanded keys, AUTH) per tor-spec §5.1.4 and §5.2.2. */
function derive (params: NtorParams, xy: Uint8Array, xb: Uint8Array, nodeId: Uint8Array, B: Uint8Array, X: Uint8Array, Y: Uint8Array): { keys: Uint8Array, auth: Uint8Array } {
  const t = tags(params)
  const secretInput = concatBytes(xy, xb, nodeId, B, X, Y, t.protoId)
  const keySeed = hmacSha256(t.tKey, secretInput) // KEY_SEED = H(secret_input, t_key)
  const verify = hmacSha256(t.tVerify, secretInput) // verify = H(secret_input, t_verify)
  const authInput = concatBytes(verify, nodeId, B, Y, X, t.protoId, t.server)
  const auth = hmacSha256(t.tMac, authInput) // AUTH = H(auth_input, t_mac)
  const keys = hkdfExpand(keySeed, t.mExpand, params.keyLen) // KDF-RFC5869, tor-spec §5.2.2
  secretInput.fill(0); keySeed.fill(0); verify.fill(0)
  return { keys, auth }
}

/** The onion key an onionskin names (NODEID and KEYID(B)), and the client's X. */
function findRelayKey (relayKeys: NtorSecretKey | readonly NtorSecretKey[], onionskin: Uint8Array, params: NtorParams): { mine: NtorSecretKey, X: Uint8Array } {
  const candidates: readonly NtorSecretKey[] = Array.isArray(relayKeys) ? relayKeys : [relayKeys as NtorSecretKey]
  const idLen = params.nodeIdLen
  if (onionskin.length !== ntorOnionskinLen(params)) throw new HandshakeError(`ntor: onionskin must be ${ntorOnionskinLen(params)} bytes`)
  const nodeId = onionskin.subarray(0, idLen)
  const keyId = onionskin.subarray(idLen, idLen + H_LENGTH)
  const X = onionskin.slice(idLen + H_LENGTH)
  const mine = candidates.find(k => ctEqual(k.nodeId, nodeId) && ctEqual(k.onionKey, keyId))
  if (mine === undefined) throw new HandshakeError('ntor: onionskin is not for this relay or onion key')
  checkRelayKey(params, mine)
  return { mine, X }
}

/** Marks a client state used and splits the reply into Y and AUTH. */
function openReply (state: NtorClientState, reply: Uint8Array): { Y: Uint8Array, auth: Uint8Array } {
  if (state.used) throw new ProtocolViolationError('ntor: client state already used')
  state.used = true
  if (reply.length !== NTOR_REPLY_LEN) throw new HandshakeError(`ntor: reply must be ${NTOR_REPLY_LEN} bytes`)
  return { Y: reply.subarray(0, G_LENGTH), auth: reply.subarray(G_LENGTH) }
}

/** AUTH check in constant time (tor-spec §5.1.4); returns the keys or throws. */
function acceptAuth (d: { keys: Uint8Array, auth: Uint8Array }, auth: Uint8Array): Uint8Array {
  if (!ctEqual(d.auth, auth)) { d.keys.fill(0); throw new HandshakeError('ntor: AUTH mismatch') }
  return d.keys
}

/**
 * Relay step (tor-spec §5.1.4): check that the onionskin names this relay
 * (NODEID and one of its onion keys; several are accepted during onion-key
 * rotation), pick y, compute the keys and reply SERVER_KP | AUTH.
 * Throws HandshakeError (wrong length / id / key) or LowOrderPointError (bad X).
 */
export function ntorServerRespond (
  relayKeys: NtorSecretKey | readonly NtorSecretKey[],
  onionskin: Uint8Array,
  random: RandomSource,
  params: NtorParams = SHALLOT_NTOR
): { reply: Uint8Array, keys: Uint8Array } {
  const { mine, X } = findRelayKey(relayKeys, onionskin, params)
  const { secret: y, publicKey: Y } = x25519Keypair(random)
  const xy = x25519Shared(y, X) // EXP(X,y); low order → LowOrderPointError (tor-spec §5.1.4)
  const xb = x25519Shared(mine.onionSecret, X) // EXP(X,b)
  const { keys, auth } = derive(params, xy, xb, mine.nodeId, mine.onionKey, X, Y)
  xy.fill(0); xb.fill(0); y.fill(0)
  return { reply: concatBytes(Y, auth), keys }
}

/**
 * Client step 2: check AUTH in constant time and return the key material.
 * Throws HandshakeError on a wrong reply, LowOrderPointError on a bad Y.
 * The state is single-use (its secret x is wiped).
 */
export function ntorClientFinish (state: NtorClientState, reply: Uint8Array): Uint8Array {
  try {
    const { Y, auth } = openReply(state, reply)
    const { relay, x, X, params } = state
    const xy = x25519Shared(x, Y) // EXP(Y,x)
    const xb = x25519Shared(x, relay.onionKey) // EXP(B,x)
    const d = derive(params, xy, xb, relay.nodeId, relay.onionKey, X, Y)
    xy.fill(0); xb.fill(0)
    return acceptAuth(d, auth)
  } finally {
    state.x.fill(0)
  }
}

/**
 * X25519 as an injected, possibly asynchronous, primitive (RFC 7748), so a
 * browser can use Web Crypto's native X25519 (several times faster than
 * noble's) while core stays platform-free. Secrets are raw 32-byte scalars.
 */
export interface X25519Dh {
  publicKey(secret: Uint8Array): Promise<Uint8Array>
  /** Must throw LowOrderPointError for an all-zero result (RFC 7748 §6.1). */
  shared(secret: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array>
  /**
   * Optionally, a fresh ephemeral key pair made ahead of time (from the
   * platform's CSPRNG), so a handshake does not wait for key generation.
   * Without it the handshake draws the secret from its RandomSource.
   */
  ephemeral?(): Promise<{ secret: Uint8Array, publicKey: Uint8Array }>
  /**
   * Optionally, drop whatever this implementation holds for `secret` (Web
   * Crypto's imported CryptoKey), so a wiped ephemeral is gone and not only
   * zeroed in our copy (issue #13 item 10). Called by {@link forgetSecret}.
   */
  release?(secret: Uint8Array): void
}

/**
 * End an ephemeral secret's life: the DH implementation lets go of anything it
 * keeps for it, and our bytes are zeroed (forward secrecy holds only if the
 * secret is gone everywhere once the handshake is done).
 */
export function forgetSecret (dh: X25519Dh, secret: Uint8Array): void {
  dh.release?.(secret)
  secret.fill(0)
}

/** An ephemeral X25519 pair for a handshake: the DH's pre-made one, else from `random`. */
async function ephemeralPair (dh: X25519Dh, random: RandomSource): Promise<{ secret: Uint8Array, publicKey: Uint8Array }> {
  if (dh.ephemeral != null) return await dh.ephemeral()
  const secret = random(G_LENGTH)
  return { secret, publicKey: await dh.publicKey(secret) }
}

/** The default X25519: noble, synchronous underneath. */
export const nobleDh: X25519Dh = {
  publicKey: async (secret) => x25519PublicKey(secret),
  shared: async (secret, publicKey) => x25519Shared(secret, publicKey)
}

/** {@link ntorClientCreate} with an injected X25519. */
export async function ntorClientCreateWith (relay: NtorPublicKey, random: RandomSource, dh: X25519Dh, params: NtorParams = SHALLOT_NTOR): Promise<{ state: NtorClientState, onionskin: Uint8Array }> {
  checkRelayKey(params, relay)
  const { secret: x, publicKey: X } = await ephemeralPair(dh, random)
  const xb = await dh.shared(x, relay.onionKey) // EXP(B,x), ahead of the reply
  return { state: { params, relay, x, X, xb, used: false }, onionskin: concatBytes(relay.nodeId, relay.onionKey, X) }
}

/** {@link ntorServerRespond} with an injected X25519. */
export async function ntorServerRespondWith (
  relayKeys: NtorSecretKey | readonly NtorSecretKey[], onionskin: Uint8Array, random: RandomSource, dh: X25519Dh, params: NtorParams = SHALLOT_NTOR,
  /** Sees EXP(X,b) before it is wiped, with the key it was for and X: the onward header's keys come from it (crypto/onward.ts). */
  withXb?: (xb: Uint8Array, relay: NtorPublicKey, X: Uint8Array) => void
): Promise<{ reply: Uint8Array, keys: Uint8Array }> {
  const { mine, X } = findRelayKey(relayKeys, onionskin, params)
  const { secret: y, publicKey: Y } = await ephemeralPair(dh, random)
  const [xy, xb] = await Promise.all([dh.shared(y, X), dh.shared(mine.onionSecret, X)]) // EXP(X,y), EXP(X,b)
  withXb?.(xb, mine, X)
  const { keys, auth } = derive(params, xy, xb, mine.nodeId, mine.onionKey, X, Y)
  xy.fill(0); xb.fill(0); forgetSecret(dh, y)
  return { reply: concatBytes(Y, auth), keys }
}

/** {@link ntorClientFinish} with an injected X25519. */
export async function ntorClientFinishWith (state: NtorClientState, reply: Uint8Array, dh: X25519Dh): Promise<Uint8Array> {
  try {
    const { Y, auth } = openReply(state, reply)
    const { relay, x, X, params } = state
    const [xy, xb] = await Promise.all([dh.shared(x, Y), state.xb ?? dh.shared(x, relay.onionKey)]) // EXP(Y,x), EXP(B,x)
    const d = derive(params, xy, xb, relay.nodeId, relay.onionKey, X, Y)
    xy.fill(0); xb.fill(0)
    return acceptAuth(d, auth)
  } finally {
    forgetSecret(dh, state.x)
    state.xb?.fill(0)
  }
}

/** The public key for a secret scalar (re-exported for relays that load b from storage). */
export { x25519PublicKey as onionKeyFromSecret }

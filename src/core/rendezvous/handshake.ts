/**
 * The end-to-end handshake's second half (docs/RENDEZVOUS.md §6): the service
 * answers an INTRODUCE with an ephemeral Y and a key-confirmation MAC, and
 * both ends derive the session keys from three X25519 outputs:
 *
 *     ee = X25519(x, Y)      es = X25519(x, S)      se = X25519(s_B, Y)
 *
 * where S is the service's DH key (its introduction encryption key, which A
 * signs in its descriptor, spec §4) and S_B the client's static key (certified
 * by B, carried in the INTRODUCE). This is Noise KK/IK's "ee, se" after "es"
 * (Noise rev 34 §7.5) and X3DH's DH1..DH3 (Signal X3DH §3.3): each side is
 * authenticated by its static key with the *other's ephemeral* (es proves S to
 * the client, se proves S_B to the service), which is what makes the keys
 * resistant to key-compromise impersonation (Krawczyk, HMQV, CRYPTO 2005; X3DH
 * §4.6): holding A's secrets does not give se, holding B's does not give es.
 * Forward secrecy comes from ee (x and y are wiped). No one signs anything
 * about the conversation: every value here is one the client can compute from
 * x and s_B, and the service from y and s, so neither holds a proof a third
 * party would accept (X3DH §4.4; Noise §14, identity hiding and deniability).
 * The rendezvous point sees Y and a MAC only.
 */
import { concatBytes, ctEqual } from '../bytes.ts'
import { forgetSecret, type X25519Dh } from '../crypto/ntor.ts'
import { ProtocolError, ProtocolViolationError } from '../errors.ts'
import { hkdfSha256, hmacSha256, sha256 } from '../crypto/primitives.ts'
import type { RandomSource } from '../random.ts'
import { COOKIE_LEN, ED25519_KEY_LEN, RENDEZVOUS_REPLY_LEN, X25519_LEN } from './constants.ts'
import { IdentityMismatchError, IntroduceError } from './errors.ts'
import type { StaticDhKey } from './static-key.ts'
import { checkLen, utf8 } from './wire.ts'

const L_TH = utf8('shallot-e2e-v2')
const L_KEYS = utf8('shallot-e2e-keys-v2')
const L_CONFIRM = utf8('shallot-e2e-service-confirm-v2')

/**
 * What the client keeps between INTRODUCE1 and RENDEZVOUS2. Opaque to
 * callers: pass it to {@link clientFinishHandshake} once.
 */
export interface ClientHandshakeState {
  /** A: the service's identity key, from the invite. */
  readonly serviceKey: Uint8Array
  /** B: the client's identity key. */
  readonly clientKey: Uint8Array
  /** S: the service's DH key (introEncKey of a descriptor A signed). */
  readonly serviceStaticKey: Uint8Array
  /** s_B, S_B: the client's static key (not wiped: it outlives the handshake). */
  readonly clientStatic: StaticDhKey
  readonly cookie: Uint8Array
  /** x, X: the client's ephemeral X25519 pair; x is wiped by clientFinishHandshake. */
  readonly x: Uint8Array
  readonly X: Uint8Array
  used: boolean
}

export interface SessionKeys {
  readonly send: Uint8Array
  readonly receive: Uint8Array
}

/** The public half of the transcript. */
interface Transcript { readonly A: Uint8Array, readonly B: Uint8Array, readonly S: Uint8Array, readonly SB: Uint8Array, readonly X: Uint8Array, readonly Y: Uint8Array, readonly cookie: Uint8Array }

interface Derived { readonly th: Uint8Array, readonly kConfirm: Uint8Array, readonly kC2S: Uint8Array, readonly kS2C: Uint8Array }

/**
 * th and keys (spec §6):
 * th = SHA-256("shallot-e2e-v2" | A | B | S | S_B | X | Y | cookie),
 * keys = HKDF-SHA256(IKM = ee | es | se, salt = th, info = "shallot-e2e-keys-v2", L = 96) (RFC 5869; X3DH §3.3's KDF(DH1 ‖ DH2 ‖ DH3)).
 */
function derive (ee: Uint8Array, es: Uint8Array, se: Uint8Array, t: Transcript): Derived {
  const th = sha256(concatBytes(L_TH, t.A, t.B, t.S, t.SB, t.X, t.Y, t.cookie))
  const ikm = concatBytes(ee, es, se)
  const keys = hkdfSha256(ikm, th, L_KEYS, 96)
  ikm.fill(0)
  const out = { th, kConfirm: keys.slice(0, 32), kC2S: keys.slice(32, 64), kS2C: keys.slice(64, 96) }
  keys.fill(0)
  return out
}

/** The service's key confirmation: HMAC-SHA256(kConfirm, "shallot-e2e-service-confirm-v2" | th) (RFC 2104). */
function confirmation (d: Derived): Uint8Array {
  return hmacSha256(d.kConfirm, concatBytes(L_CONFIRM, d.th))
}

/**
 * Service side: pick y, derive the keys from ee = X25519(y, X),
 * es = X25519(s, X), se = X25519(y, S_B), and return
 * reply = Y | HMAC(kConfirm, label | th) (64 bytes). The service learns B's
 * key from an INTRODUCE that openIntroduce checked (certificate and MAC); the
 * session keys themselves prove S_B only to whoever holds s_B, so frames that
 * open under kC2S come from B (implicit authentication, as in X3DH §3.3).
 */
export async function serviceHandshake (a: {
  serviceKey: Uint8Array, clientKey: Uint8Array, clientStaticKey: Uint8Array, clientEphemeral: Uint8Array, cookie: Uint8Array,
  introEncSecret: Uint8Array, introEncKey: Uint8Array, random: RandomSource, dh: X25519Dh
}): Promise<{ reply: Uint8Array, keys: SessionKeys }> {
  checkLen(a.serviceKey, ED25519_KEY_LEN, 'service key')
  checkLen(a.clientKey, ED25519_KEY_LEN, 'client key')
  checkLen(a.clientStaticKey, X25519_LEN, 'client static key')
  checkLen(a.clientEphemeral, X25519_LEN, 'client ephemeral key')
  checkLen(a.introEncKey, X25519_LEN, 'service static key')
  checkLen(a.cookie, COOKIE_LEN, 'cookie')
  const y = a.random(X25519_LEN)
  checkLen(y, X25519_LEN, 'random scalar')
  try {
    const Y = await a.dh.publicKey(y)
    // Low-order X or S_B → LowOrderPointError (RFC 7748 §6.1)
    const [ee, es, se] = [await a.dh.shared(y, a.clientEphemeral), await a.dh.shared(a.introEncSecret, a.clientEphemeral), await a.dh.shared(y, a.clientStaticKey)]
    const d = derive(ee, es, se, { A: a.serviceKey, B: a.clientKey, S: a.introEncKey, SB: a.clientStaticKey, X: a.clientEphemeral, Y, cookie: a.cookie })
    ee.fill(0); es.fill(0); se.fill(0)
    const mac = confirmation(d)
    d.kConfirm.fill(0)
    return { reply: concatBytes(Y, mac), keys: { send: d.kS2C, receive: d.kC2S } }
  } finally {
    forgetSecret(a.dh, y) // ephemerals are wiped after use (spec §6), and released
  }
}

/**
 * Client side: derive the keys from ee = X25519(x, Y), es = X25519(x, S),
 * se = X25519(s_B, Y) and check the service's MAC (constant time). Only the
 * holder of s (the key A signed into its descriptor) can compute es, so a
 * reply that confirms proves A. A reply that does not (wrong key, tampered,
 * low-order Y) → IdentityMismatchError; wrong length →
 * IntroduceError('malformed-cell'). Single use; x is wiped either way.
 */
export async function clientFinishHandshake (state: ClientHandshakeState, reply: Uint8Array, dh: X25519Dh): Promise<SessionKeys> {
  if (state.used) throw new ProtocolViolationError('This handshake was already finished.')
  state.used = true
  try {
    if (reply.length !== RENDEZVOUS_REPLY_LEN) throw new IntroduceError('The rendezvous reply has the wrong length.', 'malformed-cell')
    const Y = reply.slice(0, X25519_LEN)
    let ee: Uint8Array, es: Uint8Array, se: Uint8Array
    try {
      [ee, es, se] = [await dh.shared(state.x, Y), await dh.shared(state.x, state.serviceStaticKey), await dh.shared(state.clientStatic.secret, Y)]
    } catch (e) {
      if (e instanceof ProtocolError) throw new IdentityMismatchError()
      throw e
    }
    const d = derive(ee, es, se, { A: state.serviceKey, B: state.clientKey, S: state.serviceStaticKey, SB: state.clientStatic.publicKey, X: state.X, Y, cookie: state.cookie })
    ee.fill(0); es.fill(0); se.fill(0)
    const expected = confirmation(d)
    d.kConfirm.fill(0)
    if (!ctEqual(expected, reply.subarray(X25519_LEN))) {
      d.kC2S.fill(0); d.kS2C.fill(0)
      throw new IdentityMismatchError()
    }
    return { send: d.kC2S, receive: d.kS2C }
  } finally {
    forgetSecret(dh, state.x)
  }
}

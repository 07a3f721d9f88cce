/**
 * The end-to-end handshake's second half (docs/RENDEZVOUS.md §6): the service
 * answers an INTRODUCE with an ephemeral Y and its identity signature over the
 * transcript, encrypted under a confirmation key, and both ends derive the
 * session keys from X25519(y, X) alone. SIGMA-style (Krawczyk 2003): the
 * client signed its X in the INTRODUCE, the service signs th, which holds
 * both ephemerals and both identities, so each end knows who holds the other
 * ephemeral and the keys are forward secret. σA travels encrypted so the
 * rendezvous point cannot tell who answered.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { concatBytes } from '../bytes.ts'
import { forgetSecret, type X25519Dh } from '../crypto/ntor.ts'
import { ProtocolError, ProtocolViolationError } from '../errors.ts'
import { hkdfSha256, sha256 } from '../crypto/primitives.ts'
import { ed25519Verify } from '../identity/keys.ts'
import type { RandomSource } from '../random.ts'
import { COOKIE_LEN, ED25519_KEY_LEN, ED25519_SIG_LEN, RENDEZVOUS_REPLY_LEN, X25519_LEN } from './constants.ts'
import type { Signer } from './descriptor.ts'
import { IdentityMismatchError, IntroduceError } from './errors.ts'
import { checkLen, utf8 } from './wire.ts'

const L_TH = utf8('shallot-e2e-v1')
const L_KEYS = utf8('shallot-e2e-keys-v1')
const L_SERVICE = utf8('shallot-e2e-service-v1')
const ZERO_NONCE = new Uint8Array(12)

/**
 * What the client keeps between INTRODUCE1 and RENDEZVOUS2. Opaque to
 * callers: pass it to {@link clientFinishHandshake} once.
 */
export interface ClientHandshakeState {
  /** A: the service's identity key, from the invite. */
  readonly serviceKey: Uint8Array
  /** B: the client's identity key. */
  readonly clientKey: Uint8Array
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

interface Derived { readonly th: Uint8Array, readonly kConfirm: Uint8Array, readonly kC2S: Uint8Array, readonly kS2C: Uint8Array }

/** th and keys (spec §6): HKDF-SHA256(IKM = X25519 output, salt = th, info = "shallot-e2e-keys-v1", L = 96) (RFC 5869). */
function derive (shared: Uint8Array, A: Uint8Array, B: Uint8Array, X: Uint8Array, Y: Uint8Array, cookie: Uint8Array): Derived {
  const th = sha256(concatBytes(L_TH, A, B, X, Y, cookie))
  const keys = hkdfSha256(shared, th, L_KEYS, 96)
  const out = { th, kConfirm: keys.slice(0, 32), kC2S: keys.slice(32, 64), kS2C: keys.slice(64, 96) }
  keys.fill(0)
  return out
}

/**
 * Service side: pick y, derive the keys from X25519(y, X), sign th with A and
 * return reply = Y | ChaCha20-Poly1305(kConfirm, 0^12, σA, AAD = th) (112
 * bytes). kConfirm is used for this one message only, so the zero nonce is
 * never reused (RFC 8439 §2.8 requires a unique nonce per key).
 */
export async function serviceHandshake (a: { serviceKey: Uint8Array, clientKey: Uint8Array, clientEphemeral: Uint8Array, cookie: Uint8Array, sign: Signer, random: RandomSource, dh: X25519Dh }): Promise<{ reply: Uint8Array, keys: SessionKeys }> {
  checkLen(a.serviceKey, ED25519_KEY_LEN, 'service key')
  checkLen(a.clientKey, ED25519_KEY_LEN, 'client key')
  checkLen(a.clientEphemeral, X25519_LEN, 'client ephemeral key')
  checkLen(a.cookie, COOKIE_LEN, 'cookie')
  const y = a.random(X25519_LEN)
  checkLen(y, X25519_LEN, 'random scalar')
  try {
    const Y = await a.dh.publicKey(y)
    const shared = await a.dh.shared(y, a.clientEphemeral) // low-order X → LowOrderPointError (RFC 7748 §6.1)
    const d = derive(shared, a.serviceKey, a.clientKey, a.clientEphemeral, Y, a.cookie)
    shared.fill(0)
    const sigma = await a.sign(concatBytes(L_SERVICE, d.th))
    checkLen(sigma, ED25519_SIG_LEN, 'service signature')
    const boxed = chacha20poly1305(d.kConfirm, ZERO_NONCE, d.th).encrypt(sigma)
    d.kConfirm.fill(0)
    return { reply: concatBytes(Y, boxed), keys: { send: d.kS2C, receive: d.kC2S } }
  } finally {
    forgetSecret(a.dh, y) // ephemerals are wiped after use (spec §6), and released
  }
}

/**
 * Client side: derive the keys from X25519(x, Y), open σA and verify it with
 * the A from the invite (RFC 8032 §5.1.7 strict). A reply that does not prove
 * A (wrong key, tampered, low-order Y) → IdentityMismatchError; wrong length
 * → IntroduceError('malformed-cell'). Single use; x is wiped either way.
 */
export async function clientFinishHandshake (state: ClientHandshakeState, reply: Uint8Array, dh: X25519Dh): Promise<SessionKeys> {
  if (state.used) throw new ProtocolViolationError('This handshake was already finished.')
  state.used = true
  try {
    if (reply.length !== RENDEZVOUS_REPLY_LEN) throw new IntroduceError('The rendezvous reply has the wrong length.', 'malformed-cell')
    const Y = reply.slice(0, X25519_LEN)
    let shared: Uint8Array
    try {
      shared = await dh.shared(state.x, Y)
    } catch (e) {
      if (e instanceof ProtocolError) throw new IdentityMismatchError()
      throw e
    }
    const d = derive(shared, state.serviceKey, state.clientKey, state.X, Y, state.cookie)
    shared.fill(0)
    let sigma: Uint8Array
    try {
      sigma = chacha20poly1305(d.kConfirm, ZERO_NONCE, d.th).decrypt(reply.subarray(X25519_LEN))
    } catch {
      sigma = new Uint8Array(0)
    } finally {
      d.kConfirm.fill(0)
    }
    if (!ed25519Verify(sigma, concatBytes(L_SERVICE, d.th), state.serviceKey)) {
      d.kC2S.fill(0); d.kS2C.fill(0)
      throw new IdentityMismatchError()
    }
    return { send: d.kC2S, receive: d.kS2C }
  } finally {
    forgetSecret(dh, state.x)
  }
}

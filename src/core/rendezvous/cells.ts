/**
 * Bodies (relay-cell data) of the onion-service commands of
 * docs/RENDEZVOUS.md §5: ESTABLISH_INTRO, INTRODUCE1/2, ESTABLISH_RENDEZVOUS,
 * RENDEZVOUS1, the one-byte statuses (INTRODUCE_ACK, HSDIR_STORED),
 * HSDIR_FETCH and HSDIR_FOUND. The command numbers live with the relay cell
 * code; here are only the byte layouts. Empty-bodied commands
 * (INTRO_ESTABLISHED, RENDEZVOUS_ESTABLISHED) need no codec, and RENDEZVOUS2's
 * data is the reply itself. Decoders check exact lengths, never read past
 * their input and throw MalformedCellError on anything else.
 */
import { concatBytes } from '../bytes.ts'
import { MalformedCellError } from '../errors.ts'
import {
  AEAD_TAG_LEN, AUTH_ID_LEN, CLIENT_NAME_MAX_LEN, COOKIE_LEN, DESC_ID_LEN, ED25519_KEY_LEN, ED25519_SIG_LEN,
  HS_DESCRIPTOR_MAX, HS_NODE_ID_LEN, INVITE_PROOF_LEN, MAC_LEN, PEER_ID_MAX_LEN, RENDEZVOUS_REPLY_LEN, X25519_LEN
} from './constants.ts'
import { INVITE_ID_LEN } from '../identity/invite.ts'
import { checkLen } from './wire.ts'

/** Smallest INTRODUCE plaintext (spec §6): version, RP with a 1-byte peer id, cookie, B, static key S_B and its certificate, empty name, timestamp, invite-proof field (always full length), MAC. */
export const INTRODUCE_PLAINTEXT_MIN = 1 + (1 + 1 + HS_NODE_ID_LEN + X25519_LEN) + COOKIE_LEN + ED25519_KEY_LEN + X25519_LEN + ED25519_SIG_LEN + 1 + 8 + (1 + INVITE_ID_LEN + INVITE_PROOF_LEN) + MAC_LEN
/** Largest INTRODUCE plaintext: longest peer id and name. */
export const INTRODUCE_PLAINTEXT_MAX = INTRODUCE_PLAINTEXT_MIN - 1 + PEER_ID_MAX_LEN + CLIENT_NAME_MAX_LEN
/** Bounds of the INTRODUCE1 ciphertext (plaintext + Poly1305 tag, RFC 8439 §2.8). */
export const INTRODUCE_CT_MIN = INTRODUCE_PLAINTEXT_MIN + AEAD_TAG_LEN
export const INTRODUCE_CT_MAX = INTRODUCE_PLAINTEXT_MAX + AEAD_TAG_LEN

function exact (data: Uint8Array, n: number, what: string): Uint8Array {
  if (data.length !== n) throw new MalformedCellError(`${what}: body must be ${n} bytes, got ${data.length}`)
  return data.slice()
}

/** ESTABLISH_INTRO: authId[32]. */
export function encodeEstablishIntro (authId: Uint8Array): Uint8Array {
  checkLen(authId, AUTH_ID_LEN, 'auth id')
  return authId.slice()
}
export function decodeEstablishIntro (data: Uint8Array): Uint8Array { return exact(data, AUTH_ID_LEN, 'ESTABLISH_INTRO') }

export interface Introduce1 {
  readonly authId: Uint8Array
  /** X: the client's ephemeral X25519 public key. */
  readonly clientKey: Uint8Array
  readonly ct: Uint8Array
}

/** INTRODUCE1 / INTRODUCE2: authId[32] | X[32] | ct. */
export function encodeIntroduce1 (m: Introduce1): Uint8Array {
  checkLen(m.authId, AUTH_ID_LEN, 'auth id')
  checkLen(m.clientKey, X25519_LEN, 'client ephemeral key')
  if (m.ct.length < INTRODUCE_CT_MIN || m.ct.length > INTRODUCE_CT_MAX) throw new RangeError('INTRODUCE1 ciphertext length out of range')
  return concatBytes(m.authId, m.clientKey, m.ct)
}
export function decodeIntroduce1 (data: Uint8Array): Introduce1 {
  const ctLen = data.length - AUTH_ID_LEN - X25519_LEN
  if (ctLen < INTRODUCE_CT_MIN || ctLen > INTRODUCE_CT_MAX) throw new MalformedCellError('INTRODUCE1: wrong length')
  return {
    authId: data.slice(0, AUTH_ID_LEN),
    clientKey: data.slice(AUTH_ID_LEN, AUTH_ID_LEN + X25519_LEN),
    ct: data.slice(AUTH_ID_LEN + X25519_LEN)
  }
}

/** ESTABLISH_RENDEZVOUS: cookie[20]. */
export function encodeEstablishRendezvous (cookie: Uint8Array): Uint8Array {
  checkLen(cookie, COOKIE_LEN, 'cookie')
  return cookie.slice()
}
export function decodeEstablishRendezvous (data: Uint8Array): Uint8Array { return exact(data, COOKIE_LEN, 'ESTABLISH_RENDEZVOUS') }

/** RENDEZVOUS1: cookie[20] | reply[64] (RENDEZVOUS2 carries the reply alone). */
export function encodeRendezvous1 (m: { cookie: Uint8Array, reply: Uint8Array }): Uint8Array {
  checkLen(m.cookie, COOKIE_LEN, 'cookie')
  checkLen(m.reply, RENDEZVOUS_REPLY_LEN, 'rendezvous reply')
  return concatBytes(m.cookie, m.reply)
}
export function decodeRendezvous1 (data: Uint8Array): { cookie: Uint8Array, reply: Uint8Array } {
  if (data.length !== COOKIE_LEN + RENDEZVOUS_REPLY_LEN) throw new MalformedCellError(`RENDEZVOUS1: body must be ${COOKIE_LEN + RENDEZVOUS_REPLY_LEN} bytes`)
  return { cookie: data.slice(0, COOKIE_LEN), reply: data.slice(COOKIE_LEN) }
}

/** INTRODUCE_ACK / HSDIR_STORED: u8 status (0 ok; any other value is a refusal). */
export function encodeStatus (status: number): Uint8Array {
  if (!Number.isInteger(status) || status < 0 || status > 255) throw new RangeError('status must be a u8')
  return Uint8Array.of(status)
}
export function decodeStatus (data: Uint8Array): number {
  if (data.length !== 1) throw new MalformedCellError('status: body must be 1 byte')
  return data[0] as number
}

/** HSDIR_FETCH: descId[32]. */
export function encodeHsdirFetch (descId: Uint8Array): Uint8Array {
  checkLen(descId, DESC_ID_LEN, 'descriptor id')
  return descId.slice()
}
export function decodeHsdirFetch (data: Uint8Array): Uint8Array { return exact(data, DESC_ID_LEN, 'HSDIR_FETCH') }

/**
 * HSDIR_FOUND: u8 more | descriptor. One cell per held descriptor, more = 1 on
 * all but the last; "none" is more = 0 with an empty descriptor. more must be
 * 0 or 1, and more = 1 with no descriptor is malformed.
 */
export function encodeHsdirFound (m: { more: boolean, descriptor: Uint8Array | null }): Uint8Array {
  const d = m.descriptor ?? new Uint8Array(0)
  if (d.length > HS_DESCRIPTOR_MAX) throw new RangeError('descriptor too large for HSDIR_FOUND')
  if (m.more && d.length === 0) throw new RangeError('HSDIR_FOUND with more = 1 must carry a descriptor')
  return concatBytes(Uint8Array.of(m.more ? 1 : 0), d)
}
export function decodeHsdirFound (data: Uint8Array): { more: boolean, descriptor: Uint8Array | null } {
  if (data.length < 1 || data.length > 1 + HS_DESCRIPTOR_MAX) throw new MalformedCellError('HSDIR_FOUND: wrong length')
  const flag = data[0] as number
  if (flag > 1) throw new MalformedCellError('HSDIR_FOUND: more must be 0 or 1')
  const more = flag === 1
  if (data.length === 1) {
    if (more) throw new MalformedCellError('HSDIR_FOUND: more = 1 without a descriptor')
    return { more, descriptor: null }
  }
  return { more, descriptor: data.slice(1) }
}

/**
 * Service descriptors (docs/RENDEZVOUS.md §3–4): how a contact finds an
 * online identity's introduction points without an HSDir learning whose they
 * are. The descriptor is stored under descId(K, p), a per-period hash of the
 * identity key K (the blinded id of rend-spec-v3 §2.1), and its content is
 * encrypted under descKey(K, p), so only someone who already knows K (an
 * invite holder) can find or read it. HSDirs check a per-period signing key
 * derived from the identity (they cannot know K); readers check the identity
 * signature inside. Layout and checks are in the spec's tables.
 */
import { xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { ByteReader, concatBytes, ctEqual } from '../bytes.ts'
import { hkdfSha256, sha256 } from '../crypto/primitives.ts'
import { ed25519PublicKeyFromSeed, ed25519SignWithSeed, ed25519Verify } from '../identity/keys.ts'
import type { RandomSource } from '../random.ts'
import {
  AEAD_TAG_LEN, AUTH_ID_LEN, DESC_ID_LEN, DESC_KEY_LEN, ED25519_KEY_LEN, ED25519_SIG_LEN, HS_DESCRIPTOR_LIFETIME_MS,
  HS_DESCRIPTOR_MAX, HS_DESCRIPTOR_VERSION, HS_NODE_ID_LEN, hsPeriod, INTRO_POINTS, PEER_ID_MAX_LEN, X25519_LEN, XNONCE_LEN
} from './constants.ts'
import { HsDescriptorError, IdentityMismatchError } from './errors.ts'
import { checkLen, lengthPrefixed, readLengthPrefixed, readU64, u64, utf8 } from './wire.ts'

export interface IntroPointInfo {
  /** libp2p peer id of the introduction point (UTF-8, 1..PEER_ID_MAX_LEN bytes). */
  readonly peerId: string
  readonly nodeId: Uint8Array
  /** Its ntor onion key (X25519). */
  readonly onionKey: Uint8Array
  /** The auth id the service registered there with ESTABLISH_INTRO. */
  readonly authId: Uint8Array
}

export interface HsDescriptorContent {
  /** K: the service's Ed25519 identity public key. */
  readonly identityKey: Uint8Array
  /** S: the service's X25519 introduction encryption key (spec §6). */
  readonly introEncKey: Uint8Array
  /** 1..INTRO_POINTS introduction points. */
  readonly introPoints: readonly IntroPointInfo[]
  readonly period: number
  /** ms since the epoch; a higher revision replaces a lower one at an HSDir. */
  readonly revision: number
  /** ms since the epoch. */
  readonly expires: number
}

/** Signs with the identity's Ed25519 key (Web Crypto in the app). */
export type Signer = (message: Uint8Array) => Promise<Uint8Array>

const L_DESC_ID = utf8('shallot-hs-desc-id-v1')
const L_DESC_KEY = utf8('shallot-hs-desc-key-v1')
const L_SIGNING = utf8('shallot-hs-desc-signing-v1')
const L_SIGNING_SEED = utf8('shallot-hs-desc-signing-seed-v1')
const L_OUTER = utf8('shallot-hs-desc-outer-v1')
const L_INNER = utf8('shallot-hs-desc-inner-v1')

/** Smallest inner part: K, S, n, one point with a 1-byte peer id, identity signature. */
const INNER_MIN = ED25519_KEY_LEN + X25519_LEN + 1 + (1 + 1 + HS_NODE_ID_LEN + X25519_LEN + AUTH_ID_LEN) + ED25519_SIG_LEN

/** descId(K, p) = SHA-256("shallot-hs-desc-id-v1" | K | u64(p)) (spec §3; rend-spec-v3 §2.1 blinded id). */
export function descriptorId (identityKey: Uint8Array, period: number): Uint8Array {
  checkLen(identityKey, ED25519_KEY_LEN, 'identity key')
  return sha256(concatBytes(L_DESC_ID, identityKey, u64(period)))
}

/** descKey(K, p) = HKDF-SHA256(IKM = K, salt = descId(K, p), info = "shallot-hs-desc-key-v1", L = 32) (spec §3; RFC 5869). */
export function descriptorKey (identityKey: Uint8Array, period: number): Uint8Array {
  return hkdfSha256(identityKey, descriptorId(identityKey, period), L_DESC_KEY, DESC_KEY_LEN)
}

/**
 * The per-period descriptor signing seed (spec §4):
 * SHA-256("shallot-hs-desc-signing-v1" | Sign_identity("shallot-hs-desc-signing-seed-v1" | u64(p))).
 * Deterministic because Ed25519 signatures are (RFC 8032 §5.1.6), so a reloaded
 * tab signs with the same key and its HSDir entries are replaced, not added.
 */
export async function descriptorSigningSeed (sign: Signer, period: number): Promise<Uint8Array> {
  const sigma = await sign(concatBytes(L_SIGNING_SEED, u64(period)))
  checkLen(sigma, ED25519_SIG_LEN, 'identity signature')
  return sha256(concatBytes(L_SIGNING, sigma))
}

function innerSigned (descId: Uint8Array, signingKey: Uint8Array, revision: number, body: Uint8Array): Uint8Array {
  return concatBytes(L_INNER, descId, signingKey, u64(revision), body)
}

function encodeInnerBody (c: HsDescriptorContent): Uint8Array {
  checkLen(c.identityKey, ED25519_KEY_LEN, 'identity key')
  checkLen(c.introEncKey, X25519_LEN, 'introduction encryption key')
  const n = c.introPoints.length
  if (n < 1 || n > INTRO_POINTS) throw new RangeError(`a descriptor lists 1..${INTRO_POINTS} introduction points`)
  const parts: Uint8Array[] = [c.identityKey, c.introEncKey, Uint8Array.of(n)]
  for (const p of c.introPoints) {
    checkLen(p.nodeId, HS_NODE_ID_LEN, 'node id')
    checkLen(p.onionKey, X25519_LEN, 'onion key')
    checkLen(p.authId, AUTH_ID_LEN, 'auth id')
    parts.push(lengthPrefixed(p.peerId, 1, PEER_ID_MAX_LEN, 'peer id'), p.nodeId, p.onionKey, p.authId)
  }
  return concatBytes(...parts)
}

/**
 * Encode and sign a descriptor. `sign` is the identity (K) signer, used for
 * the inner signature; `signingSeed` is {@link descriptorSigningSeed} for
 * `content.period`. RangeError on invalid content (a caller bug), including a
 * signer that does not belong to `content.identityKey`.
 */
export async function encodeHsDescriptor (content: HsDescriptorContent, opts: {
  sign: Signer
  signingSeed: Uint8Array
  random: RandomSource
  /**
   * Publish under the descriptor id of this key instead of the content's own
   * identity key: what an impersonator who holds someone's invite would do.
   * Only tests use it, to show that readers refuse the result (openHsDescriptor
   * → IdentityMismatchError).
   */
  publishUnder?: Uint8Array
}): Promise<Uint8Array> {
  const { identityKey, period, revision, expires } = content
  const idKey = opts.publishUnder ?? identityKey
  checkLen(opts.signingSeed, 32, 'signing seed')
  const body = encodeInnerBody(content)
  const descId = descriptorId(idKey, period)
  const signingKey = ed25519PublicKeyFromSeed(opts.signingSeed)
  const toSign = innerSigned(descId, signingKey, revision, body)
  const idSig = await opts.sign(toSign)
  // Catch a signer for the wrong identity here rather than at every reader (RFC 8032 §5.1.7 verify).
  if (!ed25519Verify(idSig, toSign, identityKey)) throw new RangeError('the signer does not belong to the descriptor identity key')
  const inner = concatBytes(body, idSig)
  const ctLen = inner.length + AEAD_TAG_LEN
  const header = concatBytes(Uint8Array.of(HS_DESCRIPTOR_VERSION), descId, u64(period), u64(revision), u64(expires), signingKey, Uint8Array.of(ctLen >>> 8, ctLen & 0xff))
  const nonce = opts.random(XNONCE_LEN)
  checkLen(nonce, XNONCE_LEN, 'random nonce')
  const descKey = descriptorKey(idKey, period)
  // XChaCha20-Poly1305 with a random 192-bit nonce (draft-irtf-cfrg-xchacha §2; random nonces are safe at this size, §3.1); AAD = header.
  const ct = xchacha20poly1305(descKey, nonce, header).encrypt(inner)
  descKey.fill(0)
  const signed = concatBytes(header, nonce, ct)
  const outerSig = ed25519SignWithSeed(opts.signingSeed, concatBytes(L_OUTER, signed))
  const out = concatBytes(signed, outerSig)
  if (out.length > HS_DESCRIPTOR_MAX) throw new RangeError(`descriptor would be ${out.length} bytes, more than ${HS_DESCRIPTOR_MAX}`)
  return out
}

export interface HsDescriptorOuter {
  readonly descId: Uint8Array
  readonly period: number
  readonly revision: number
  readonly expires: number
  readonly signingKey: Uint8Array
  /** The whole descriptor as received. */
  readonly bytes: Uint8Array
}

interface ParsedOuter extends HsDescriptorOuter {
  readonly header: Uint8Array
  readonly nonce: Uint8Array
  readonly ct: Uint8Array
}

function parseOuter (bytes: Uint8Array, nowMs: number): ParsedOuter {
  // Size first, so nothing bigger than a cell is parsed (spec §4).
  if (!(bytes instanceof Uint8Array) || bytes.length > HS_DESCRIPTOR_MAX) throw new HsDescriptorError(`The descriptor is larger than ${HS_DESCRIPTOR_MAX} bytes.`)
  let f
  try {
    const r = new ByteReader(bytes, 'hs descriptor')
    const version = r.u8()
    if (version !== HS_DESCRIPTOR_VERSION) throw new HsDescriptorError('The descriptor has an unknown version.')
    const descId = r.bytes(DESC_ID_LEN)
    const period = readU64(r)
    const revision = readU64(r)
    const expires = readU64(r)
    const signingKey = r.bytes(ED25519_KEY_LEN)
    const ctLen = r.u16()
    if (ctLen < INNER_MIN + AEAD_TAG_LEN) throw new HsDescriptorError('The descriptor ciphertext is too short.')
    const headerLen = r.offset
    const nonce = r.bytes(XNONCE_LEN)
    const ct = r.bytes(ctLen)
    const signedLen = r.offset
    const sig = r.bytes(ED25519_SIG_LEN)
    r.end()
    f = { descId, period, revision, expires, signingKey, nonce, ct, sig, headerLen, signedLen }
  } catch (e) {
    if (e instanceof HsDescriptorError) throw e
    throw new HsDescriptorError('The descriptor is malformed.')
  }
  // HSDir checks, spec §4 (rend-spec-v3 §2.2.5 expiry, §2.4 outer wrapper: lifetime, time period, then signature).
  if (f.expires <= nowMs) throw new HsDescriptorError('The descriptor has expired.', 'expired')
  if (f.expires - nowMs > HS_DESCRIPTOR_LIFETIME_MS) throw new HsDescriptorError('The descriptor claims a lifetime longer than allowed.')
  if (Math.abs(f.period - hsPeriod(nowMs)) > 1) throw new HsDescriptorError('The descriptor is for a time period that is neither current nor adjacent.')
  // Outer signature: strict RFC 8032 §5.1.7 verification over the label and every byte before it.
  if (!ed25519Verify(f.sig, concatBytes(L_OUTER, bytes.subarray(0, f.signedLen)), f.signingKey)) {
    throw new HsDescriptorError('The descriptor signature does not verify.')
  }
  return {
    descId: f.descId, period: f.period, revision: f.revision, expires: f.expires, signingKey: f.signingKey,
    bytes, header: bytes.subarray(0, f.headerLen), nonce: f.nonce, ct: f.ct
  }
}

/** HSDir checks (spec §4), synchronous, throws HsDescriptorError. */
export function parseHsDescriptorOuter (bytes: Uint8Array, nowMs: number): HsDescriptorOuter {
  const p = parseOuter(bytes, nowMs)
  return { descId: p.descId, period: p.period, revision: p.revision, expires: p.expires, signingKey: p.signingKey, bytes: p.bytes }
}

/** Reader checks (spec §4); throws HsDescriptorError or IdentityMismatchError. */
export function openHsDescriptor (bytes: Uint8Array, identityKey: Uint8Array, nowMs: number): HsDescriptorContent {
  checkLen(identityKey, ED25519_KEY_LEN, 'identity key')
  const outer = parseOuter(bytes, nowMs)
  if (!ctEqual(outer.descId, descriptorId(identityKey, outer.period))) throw new HsDescriptorError('The descriptor is not for this contact.')
  const descKey = descriptorKey(identityKey, outer.period)
  let inner: Uint8Array
  try {
    // AEAD open fails closed on any change to header, nonce or ciphertext (draft-irtf-cfrg-xchacha §2, RFC 8439 §2.8).
    inner = xchacha20poly1305(descKey, outer.nonce, outer.header).decrypt(outer.ct)
  } catch {
    throw new HsDescriptorError('The descriptor could not be decrypted.')
  } finally {
    descKey.fill(0)
  }
  let c
  try {
    const r = new ByteReader(inner, 'hs descriptor inner')
    const innerKey = r.bytes(ED25519_KEY_LEN)
    const introEncKey = r.bytes(X25519_LEN)
    const n = r.u8()
    if (n < 1 || n > INTRO_POINTS) throw new HsDescriptorError('The descriptor lists a wrong number of introduction points.')
    const introPoints: IntroPointInfo[] = []
    for (let i = 0; i < n; i++) {
      const peerId = readLengthPrefixed(r, 1, PEER_ID_MAX_LEN, 'peer id')
      introPoints.push({ peerId, nodeId: r.bytes(HS_NODE_ID_LEN), onionKey: r.bytes(X25519_LEN), authId: r.bytes(AUTH_ID_LEN) })
    }
    const bodyLen = r.offset
    const sig = r.bytes(ED25519_SIG_LEN)
    r.end()
    c = { innerKey, introEncKey, introPoints, sig, body: inner.subarray(0, bodyLen) }
  } catch (e) {
    if (e instanceof HsDescriptorError) throw e
    throw new HsDescriptorError('The descriptor content is malformed.')
  }
  // Someone who knows K published under K's id with another identity (spec §4 departure).
  if (!ctEqual(c.innerKey, identityKey)) throw new IdentityMismatchError('This descriptor was published by someone other than the contact you added.')
  // Identity signature binds descId (hence K and p), the signing key and revision: RFC 8032 §5.1.7 strict verify.
  if (!ed25519Verify(c.sig, innerSigned(outer.descId, outer.signingKey, outer.revision, c.body), identityKey)) {
    throw new HsDescriptorError('The descriptor identity signature does not verify.')
  }
  return { identityKey: c.innerKey, introEncKey: c.introEncKey, introPoints: c.introPoints, period: outer.period, revision: outer.revision, expires: outer.expires }
}

/**
 * Invite links: `<app URL>#invite=<base64url(invite)>`. The payload is in the
 * URL fragment, which browsers never send to a web server.
 *
 * Binary layout, version 2 (big-endian; docs/IDENTITY.md has the table):
 *
 *   0   1   version (2)
 *   1   16  invite id (random)
 *   17  4   expiry, seconds since the Unix epoch (u32)
 *   21  32  inviter's Ed25519 public key (RFC 8032)
 *   53  1   name length n (1..64)
 *   54  n   display name, UTF-8
 *   ..  1   relay count k (0..8)
 *   ..      k × (u16 length m (1..256) ‖ m bytes UTF-8 relay address)
 *   ..  32  invite secret (random): what an introduction must prove to the
 *           inviter's service (core/rendezvous/invite-proof.ts); it travels
 *           only in the fragment and in the holder's encrypted store
 *   ..  64  Ed25519 signature (RFC 8032 §5.1.6) over
 *           "shallot-invite-v2" ‖ 0x00 ‖ every byte above
 *
 * Version 1 links carried no secret: no service accepts an introduction
 * without one, so they are refused as an unsupported version.
 *
 * The whole invite is at most MAX_INVITE_BYTES, so the fragment is at most
 * MAX_INVITE_FRAGMENT_CHARS characters; longer input is refused before it is
 * decoded. Checks run in the order size → encoding → version → structure →
 * signature → expiry, so a link whose expiry was edited reads as tampered.
 */
import { ByteReader, concatBytes, writeU16, writeU32 } from '../bytes.ts'
import { systemRandom, type RandomSource } from '../random.ts'
import { base64urlDecode, base64urlEncode, base64urlLength } from './base64url.ts'
import {
  ExpiredInviteError, InviteSignatureError, MalformedInviteError, OversizedInviteError, UnsupportedInviteVersionError
} from './errors.ts'
import { ED25519_PUBLIC_KEY_LEN, ED25519_SIGNATURE_LEN, ed25519Verify } from './keys.ts'
import { MAX_DISPLAY_NAME_BYTES, normalizeDisplayName } from './names.ts'

export const INVITE_VERSION = 2
export const INVITE_ID_LEN = 16
/** The invite secret: 256 bits, so it can be neither guessed nor searched for. */
export const INVITE_SECRET_LEN = 32
export const MAX_INVITE_RELAYS = 8
export const MAX_RELAY_ADDR_BYTES = 256
/** Largest binary invite. */
export const MAX_INVITE_BYTES = 1024
/** Largest `#invite=` value accepted (the base64url length of MAX_INVITE_BYTES). */
export const MAX_INVITE_FRAGMENT_CHARS = base64urlLength(MAX_INVITE_BYTES)
/** Default and longest lifetime of an invite. */
export const DEFAULT_INVITE_LIFETIME_MS = 7 * 24 * 3600 * 1000
export const MAX_INVITE_LIFETIME_MS = 30 * 24 * 3600 * 1000
export const INVITE_FRAGMENT_PREFIX = '#invite='
const SIGNATURE_CONTEXT = new TextEncoder().encode('shallot-invite-v2\u0000')

export interface InviteFields {
  readonly inviteId: Uint8Array
  /** Proves to the inviter's service that an introduction comes from someone holding this link (never sent in clear). */
  readonly secret: Uint8Array
  /** Expiry, ms since the Unix epoch (stored with 1 s resolution, rounded down). */
  readonly expiresAt: number
  readonly publicKey: Uint8Array
  readonly displayName: string
  readonly relays: readonly string[]
}

export interface Invite extends InviteFields {
  readonly signature: Uint8Array
}

/** Signs with the identity key (Web Crypto Ed25519 in the app). */
export type InviteSigner = (message: Uint8Array) => Promise<Uint8Array>

function encodeFields (f: InviteFields): Uint8Array {
  const name = normalizeDisplayName(f.displayName)
  if (name == null) throw new RangeError('invalid display name')
  if (f.inviteId.length !== INVITE_ID_LEN || f.publicKey.length !== ED25519_PUBLIC_KEY_LEN) throw new RangeError('bad invite id or key length')
  if (f.secret.length !== INVITE_SECRET_LEN) throw new RangeError('bad invite secret length')
  const expirySeconds = Math.floor(f.expiresAt / 1000)
  if (!Number.isInteger(expirySeconds) || expirySeconds < 0 || expirySeconds > 0xffffffff) throw new RangeError('expiry out of range')
  if (f.relays.length > MAX_INVITE_RELAYS) throw new RangeError(`at most ${MAX_INVITE_RELAYS} relays`)
  const enc = new TextEncoder()
  const nameBytes = enc.encode(name)
  const parts: Uint8Array[] = []
  const head = new Uint8Array(1 + INVITE_ID_LEN + 4)
  head[0] = INVITE_VERSION
  head.set(f.inviteId, 1)
  writeU32(head, 1 + INVITE_ID_LEN, expirySeconds)
  parts.push(head, f.publicKey, Uint8Array.of(nameBytes.length), nameBytes, Uint8Array.of(f.relays.length))
  for (const relay of f.relays) {
    const b = enc.encode(relay)
    if (b.length === 0 || b.length > MAX_RELAY_ADDR_BYTES) throw new RangeError('relay address length out of range')
    const len = new Uint8Array(2)
    writeU16(len, 0, b.length)
    parts.push(len, b)
  }
  parts.push(f.secret)
  return concatBytes(...parts)
}

function signedMessage (body: Uint8Array): Uint8Array {
  return concatBytes(SIGNATURE_CONTEXT, body)
}

/** Fresh fields for an invite: random id and secret, expiry `lifetimeMs` from `now`. */
export function newInviteFields (args: { publicKey: Uint8Array, displayName: string, relays: readonly string[], now: number, lifetimeMs?: number, random?: RandomSource }): InviteFields {
  const lifetime = Math.min(args.lifetimeMs ?? DEFAULT_INVITE_LIFETIME_MS, MAX_INVITE_LIFETIME_MS)
  return {
    inviteId: (args.random ?? systemRandom)(INVITE_ID_LEN),
    secret: (args.random ?? systemRandom)(INVITE_SECRET_LEN),
    expiresAt: args.now + lifetime,
    publicKey: args.publicKey,
    displayName: args.displayName,
    relays: [...args.relays]
  }
}

/**
 * Sign and encode an invite; returns the base64url payload (without `#invite=`).
 * Throws RangeError when the fields do not fit (e.g. too many or too long relay addresses).
 */
export async function createInvitePayload (fields: InviteFields, sign: InviteSigner): Promise<string> {
  const body = encodeFields(fields)
  if (body.length + ED25519_SIGNATURE_LEN > MAX_INVITE_BYTES) throw new RangeError('invite larger than MAX_INVITE_BYTES')
  const signature = await sign(signedMessage(body))
  if (signature.length !== ED25519_SIGNATURE_LEN) throw new RangeError('signer returned a bad signature length')
  return base64urlEncode(concatBytes(body, signature))
}

/** The full link for a payload, on the given app URL (any existing fragment is replaced). */
export function inviteLink (appUrl: string, payload: string): string {
  const hash = appUrl.indexOf('#')
  return (hash >= 0 ? appUrl.slice(0, hash) : appUrl) + INVITE_FRAGMENT_PREFIX + payload
}

/**
 * The `#invite=` payload of a location hash or a whole link, or null when it
 * has none. Size is checked here too, before anything is decoded.
 */
export function extractInvitePayload (hashOrLink: string): string | null {
  const at = hashOrLink.indexOf(INVITE_FRAGMENT_PREFIX)
  if (at < 0) return null
  const payload = hashOrLink.slice(at + INVITE_FRAGMENT_PREFIX.length)
  if (payload.length > MAX_INVITE_FRAGMENT_CHARS) throw new OversizedInviteError()
  return payload
}

/** Decode and fully verify an invite payload at time `now` (ms). */
export function decodeInvite (payload: string, now: number): Invite {
  if (payload.length > MAX_INVITE_FRAGMENT_CHARS) throw new OversizedInviteError()
  const bytes = base64urlDecode(payload)
  if (bytes == null || bytes.length === 0) throw new MalformedInviteError()
  if (bytes.length > MAX_INVITE_BYTES) throw new OversizedInviteError()
  const version = bytes[0] as number
  if (version !== INVITE_VERSION) throw new UnsupportedInviteVersionError(version)
  if (bytes.length < ED25519_SIGNATURE_LEN + 1) throw new MalformedInviteError()
  const bodyLen = bytes.length - ED25519_SIGNATURE_LEN
  const body = bytes.subarray(0, bodyLen)
  const signature = bytes.slice(bodyLen)
  let fields: InviteFields
  try {
    const r = new ByteReader(body, 'invite')
    r.u8()
    const inviteId = r.bytes(INVITE_ID_LEN)
    const expiresAt = r.u32() * 1000
    const publicKey = r.bytes(ED25519_PUBLIC_KEY_LEN)
    const nameLen = r.u8()
    if (nameLen === 0 || nameLen > MAX_DISPLAY_NAME_BYTES) throw new Error('name length')
    const dec = new TextDecoder('utf-8', { fatal: true })
    const rawName = dec.decode(r.bytes(nameLen))
    const displayName = normalizeDisplayName(rawName)
    if (displayName == null || displayName !== rawName) throw new Error('name not canonical')
    const count = r.u8()
    if (count > MAX_INVITE_RELAYS) throw new Error('too many relays')
    const relays: string[] = []
    for (let i = 0; i < count; i++) {
      const len = r.u16()
      if (len === 0 || len > MAX_RELAY_ADDR_BYTES) throw new Error('relay length')
      relays.push(dec.decode(r.bytes(len)))
    }
    const secret = r.bytes(INVITE_SECRET_LEN)
    r.end()
    fields = { inviteId, secret, expiresAt, publicKey, displayName, relays }
  } catch {
    throw new MalformedInviteError()
  }
  if (!ed25519Verify(signature, signedMessage(body), fields.publicKey)) throw new InviteSignatureError()
  if (fields.expiresAt <= now) throw new ExpiredInviteError()
  return { ...fields, signature }
}

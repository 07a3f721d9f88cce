/**
 * Relay descriptors: Tor's server descriptor (dir-spec §2.1.1) reduced to what
 * a browser-tab relay needs. Each tab announces, signed with a per-tab Ed25519
 * key (never the user's chat identity), how to use it as a relay: its libp2p
 * transport peer id, its X25519 onion key for the ntor handshake (dir-spec's
 * `ntor-onion-key`), a validity window, its advertised capacity (dir-spec's
 * `bandwidth` line, self-reported and therefore capped by path selection) and,
 * when it knows one, a coarse network hint so paths can avoid two hops in one
 * network (path-spec §2.2). Neighbours gossip descriptors; because they are
 * signed, a neighbour or bootstrap relay can withhold but never forge one.
 *
 * Unlike dir-spec's text format this is a canonical binary encoding: exactly
 * one byte string per descriptor, every length checked, no trailing bytes, no
 * optional whitespace, so the signed bytes are the parsed bytes. Layout
 * (big-endian, tor-spec §0.2 style), followed by a 64-byte Ed25519 signature
 * (RFC 8032, verified strictly, not ZIP-215) over
 * `DESCRIPTOR_SIGNING_CONTEXT || body` — domain-separated like dir-spec's
 * `router-sig-ed25519`, which signs "Tor router descriptor signature v1" || doc:
 *
 *   u8   version            = DESCRIPTOR_VERSION (1)
 *   u8   peerIdLength       1..MAX_PEER_ID_LENGTH
 *   …    peerId             ASCII letters and digits (base58btc / base32 peer id)
 *   32   onionKey           X25519 public key (ntor "B")
 *   32   signingKey         Ed25519 public key that signs this descriptor
 *   u64  published          ms since the epoch, ≤ 2^53 − 1
 *   u64  expires            ms since the epoch, > published
 *   u32  capacity           advertised relay bandwidth, KiB/s (path weight)
 *   u16  maxCircuits        most circuits the tab will relay
 *   u8   networkHintType    0 none | 1 IPv4 /16 (2 bytes follow) | 2 IPv6 /32 (4 bytes follow)
 *   …    networkHintPrefix
 *   u8   powNonceLength     0 (absent) .. MAX_POW_NONCE_LENGTH
 *   …    powNonce
 *   64   signature
 *
 * Decoding throws only {@link DescriptorError} subclasses (see ./errors.ts).
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { ByteReader, concatBytes, isAllZero, readU32, toHex, writeU16, writeU32 } from '../bytes.ts'
import {
  DescriptorError,
  DescriptorExpiredError,
  DescriptorFromFutureError,
  DescriptorLifetimeError,
  DescriptorSignatureError,
  DescriptorTooLargeError,
  MalformedDescriptorError
} from './errors.ts'

/** The only descriptor format version this code reads and writes. A new layout gets a new number and a new signing context. */
export const DESCRIPTOR_VERSION = 1

/** Signature domain separation, so a descriptor signature can never be replayed as another message's (dir-spec §2.1.1 `router-sig-ed25519` does the same). */
export const DESCRIPTOR_SIGNING_CONTEXT: Uint8Array = new TextEncoder().encode('shallot-relay-descriptor-v1')

/** Longest peer id accepted, in bytes. libp2p Ed25519 peer ids are 52 base58 characters; 128 leaves room for other key types and multibase encodings. */
export const MAX_PEER_ID_LENGTH = 128

/** Longest proof-of-work field. Carries the relay work proof (./work.ts, 25 bytes); the directory verifies it. */
export const MAX_POW_NONCE_LENGTH = 32

/** Bytes of an Ed25519 signature (RFC 8032). */
export const DESCRIPTOR_SIGNATURE_LENGTH = 64

/** Largest capacity value (the field is a u32). */
export const MAX_CAPACITY = 0xffff_ffff

/** Largest maxCircuits value (the field is a u16). */
export const MAX_ADVERTISED_CIRCUITS = 0xffff

/** Largest encoding the current layout can produce: every field at its maximum. */
export const MAX_DESCRIPTOR_V1_BYTES =
  1 + 1 + MAX_PEER_ID_LENGTH + 32 + 32 + 8 + 8 + 4 + 2 + 1 + 4 + 1 + MAX_POW_NONCE_LENGTH + DESCRIPTOR_SIGNATURE_LENGTH

/**
 * Hard cap on a descriptor's size, checked before any parsing (a gossip
 * message can carry many; a peer must not make us parse megabytes). Above the
 * v1 maximum (318 bytes) with headroom, below what would matter for memory.
 */
export const MAX_DESCRIPTOR_BYTES = 512

/**
 * Longest validity a descriptor may claim: 30 min, against the 20 min honest
 * tabs claim (app/relay-directory.ts), the rest headroom for coarse or
 * jittered timestamps. Tor relays republish at least every 18 hours (dir-spec
 * §2.1); tabs churn in minutes, and a long claim only helps an attacker: it
 * keeps a closed or malicious tab in everyone's directory (the 3 h allowed
 * before issue #13 item 3 let a flood outlive honest descriptors). Longer
 * claims are refused with {@link DescriptorLifetimeError}.
 */
export const MAX_DESCRIPTOR_LIFETIME_MS = 30 * 60_000

/**
 * How far in the future `published` may be (clock skew between tabs). Tor's
 * directory authorities allow a similar skew (ROUTER_ALLOW_SKEW) before
 * refusing a descriptor as "from the future".
 */
export const MAX_DESCRIPTOR_CLOCK_SKEW_MS = 5 * 60_000

/** A coarse network location, when the tab knows it (usually it does not). */
export type NetworkHint =
  | { readonly family: 'ipv4', /** the first 2 bytes: a /16 */ readonly prefix: Uint8Array }
  | { readonly family: 'ipv6', /** the first 4 bytes: a /32 */ readonly prefix: Uint8Array }

const HINT_NONE = 0
const HINT_IPV4_16 = 1
const HINT_IPV6_32 = 2
const HINT_PREFIX_LENGTH = { ipv4: 2, ipv6: 4 } as const

/** A decoded relay descriptor. */
export interface RelayDescriptor {
  readonly version: typeof DESCRIPTOR_VERSION
  /** The libp2p peer id of the tab (its transport identity, per tab, never the chat identity). */
  readonly peerId: string
  /** X25519 public key for the ntor handshake (32 bytes). */
  readonly onionKey: Uint8Array
  /** Ed25519 public key that signed this descriptor (32 bytes; a per-tab key). */
  readonly signingKey: Uint8Array
  /** When it was made, ms since the epoch. Newer replaces older for the same peer id. */
  readonly published: number
  /** When it stops being valid, ms since the epoch. */
  readonly expires: number
  /** Advertised relay bandwidth in KiB/s; self-reported, so path selection caps it. 0 = "do not route through me". */
  readonly capacity: number
  /** Most circuits this relay will carry. */
  readonly maxCircuits: number
  /** IPv4 /16 or IPv6 /32 of the tab, or null when unknown (the usual case in a browser). */
  readonly networkHint: NetworkHint | null
  /**
   * Proof of work binding the signing key to an epoch (./work.ts, Tor
   * proposal 327's effort check), or null. Signed and carried here; the
   * directory (./directory.ts) ignores descriptors without enough of it.
   */
  readonly powNonce: Uint8Array | null
}

/** The fields a caller fills in to publish; `version` is implied. */
export type DescriptorFields = Omit<RelayDescriptor, 'version'>

/** Signs a message with the descriptor's signing key; Web Crypto (async) or noble (sync). */
export type DescriptorSigner = (message: Uint8Array) => Uint8Array | Promise<Uint8Array>

/** A parsed but not yet signature-checked descriptor, with the exact bytes that were signed. */
export interface DecodedDescriptor {
  readonly descriptor: RelayDescriptor
  /** The body (everything before the signature), a view into the input. */
  readonly body: Uint8Array
  readonly signature: Uint8Array
}

const PEER_ID_CHAR = /^[A-Za-z0-9]+$/

function isSafeTime (t: number): boolean {
  return Number.isSafeInteger(t) && t >= 0
}

function writeU64 (buf: Uint8Array, off: number, v: number): void {
  writeU32(buf, off, Math.floor(v / 2 ** 32))
  writeU32(buf, off + 4, v >>> 0)
}

/** A stable string for comparing hints ("ipv4:cb00"), or null for no hint. */
export function networkHintKey (hint: NetworkHint | null): string | null {
  return hint == null ? null : `${hint.family}:${toHex(hint.prefix)}`
}

/**
 * Canonical body encoding (no signature). Throws RangeError on fields our own
 * code should never produce (a programming error, not wire input).
 */
export function encodeDescriptorBody (d: DescriptorFields): Uint8Array {
  if (d.peerId.length < 1 || d.peerId.length > MAX_PEER_ID_LENGTH || !PEER_ID_CHAR.test(d.peerId)) {
    throw new RangeError(`descriptor: peer id must be 1..${MAX_PEER_ID_LENGTH} ASCII letters and digits`)
  }
  if (d.onionKey.length !== 32 || d.signingKey.length !== 32) throw new RangeError('descriptor: keys must be 32 bytes')
  if (isAllZero(d.onionKey)) throw new RangeError('descriptor: all-zero onion key')
  if (!isSafeTime(d.published) || !isSafeTime(d.expires)) throw new RangeError('descriptor: times must be non-negative safe integers')
  if (d.expires <= d.published) throw new RangeError('descriptor: expires must be after published')
  if (!Number.isInteger(d.capacity) || d.capacity < 0 || d.capacity > MAX_CAPACITY) throw new RangeError('descriptor: capacity out of range')
  if (!Number.isInteger(d.maxCircuits) || d.maxCircuits < 0 || d.maxCircuits > MAX_ADVERTISED_CIRCUITS) throw new RangeError('descriptor: maxCircuits out of range')
  const hint = d.networkHint
  if (hint != null && hint.prefix.length !== HINT_PREFIX_LENGTH[hint.family]) throw new RangeError('descriptor: network hint prefix length')
  const pow = d.powNonce
  if (pow != null && (pow.length < 1 || pow.length > MAX_POW_NONCE_LENGTH)) throw new RangeError(`descriptor: pow nonce must be 1..${MAX_POW_NONCE_LENGTH} bytes (null when absent)`)

  const id = new TextEncoder().encode(d.peerId)
  const hintLen = hint == null ? 0 : hint.prefix.length
  const powLen = pow == null ? 0 : pow.length
  const out = new Uint8Array(2 + id.length + 64 + 16 + 4 + 2 + 1 + hintLen + 1 + powLen)
  let o = 0
  out[o++] = DESCRIPTOR_VERSION
  out[o++] = id.length
  out.set(id, o); o += id.length
  out.set(d.onionKey, o); o += 32
  out.set(d.signingKey, o); o += 32
  writeU64(out, o, d.published); o += 8
  writeU64(out, o, d.expires); o += 8
  writeU32(out, o, d.capacity); o += 4
  writeU16(out, o, d.maxCircuits); o += 2
  out[o++] = hint == null ? HINT_NONE : hint.family === 'ipv4' ? HINT_IPV4_16 : HINT_IPV6_32
  if (hint != null) { out.set(hint.prefix, o); o += hint.prefix.length }
  out[o++] = powLen
  if (pow != null) out.set(pow, o)
  return out
}

/** The exact message a descriptor's signature covers. */
export function descriptorSigningMessage (body: Uint8Array): Uint8Array {
  return concatBytes(DESCRIPTOR_SIGNING_CONTEXT, body)
}

/** Encode and sign. `signer` holds the per-tab signing key (Web Crypto or noble). */
export async function signDescriptor (d: DescriptorFields, signer: DescriptorSigner): Promise<Uint8Array> {
  const body = encodeDescriptorBody(d)
  const sig = await signer(descriptorSigningMessage(body))
  if (sig.length !== DESCRIPTOR_SIGNATURE_LENGTH) throw new RangeError('descriptor: signature must be 64 bytes')
  const out = concatBytes(body, sig)
  if (out.length > MAX_DESCRIPTOR_BYTES) throw new RangeError('descriptor: encoding exceeds MAX_DESCRIPTOR_BYTES')
  return out
}

/** A signer over a raw 32-byte Ed25519 secret key, using noble (tests, Node tools). */
export function ed25519Signer (secretKey: Uint8Array): DescriptorSigner {
  return (message) => ed25519.sign(message, secretKey)
}

function readU64 (r: ByteReader): number {
  const b = r.bytes(8)
  const hi = readU32(b, 0)
  const lo = readU32(b, 4)
  if (hi > 0x1f_ffff) throw new MalformedDescriptorError('descriptor: time beyond 2^53')
  return hi * 2 ** 32 + lo
}

/**
 * Parse the structure only: size, version, every length and field range, no
 * trailing bytes. Does NOT check the signature or freshness; use
 * {@link verifyDescriptor} for anything from the network.
 */
export function decodeDescriptor (bytes: Uint8Array): DecodedDescriptor {
  if (bytes.length > MAX_DESCRIPTOR_BYTES) throw new DescriptorTooLargeError(`descriptor is ${bytes.length} bytes, limit ${MAX_DESCRIPTOR_BYTES}`)
  try {
    const r = new ByteReader(bytes, 'descriptor')
    const version = r.u8()
    if (version !== DESCRIPTOR_VERSION) throw new MalformedDescriptorError(`unknown descriptor version ${version}`)
    const idLen = r.u8()
    if (idLen < 1 || idLen > MAX_PEER_ID_LENGTH) throw new MalformedDescriptorError('descriptor: peer id length out of range')
    const idBytes = r.bytes(idLen)
    let peerId = ''
    for (const b of idBytes) peerId += String.fromCharCode(b)
    if (!PEER_ID_CHAR.test(peerId)) throw new MalformedDescriptorError('descriptor: peer id must be ASCII letters and digits')
    const onionKey = r.bytes(32)
    if (isAllZero(onionKey)) throw new MalformedDescriptorError('descriptor: all-zero onion key')
    const signingKey = r.bytes(32)
    const published = readU64(r)
    const expires = readU64(r)
    if (expires <= published) throw new MalformedDescriptorError('descriptor: expires is not after published')
    const capacity = r.u32()
    const maxCircuits = r.u16()
    const hintType = r.u8()
    let networkHint: NetworkHint | null
    switch (hintType) {
      case HINT_NONE: networkHint = null; break
      case HINT_IPV4_16: networkHint = { family: 'ipv4', prefix: r.bytes(HINT_PREFIX_LENGTH.ipv4) }; break
      case HINT_IPV6_32: networkHint = { family: 'ipv6', prefix: r.bytes(HINT_PREFIX_LENGTH.ipv6) }; break
      default: throw new MalformedDescriptorError(`descriptor: unknown network hint type ${hintType}`)
    }
    const powLen = r.u8()
    if (powLen > MAX_POW_NONCE_LENGTH) throw new MalformedDescriptorError('descriptor: pow nonce too long')
    const powNonce = powLen === 0 ? null : r.bytes(powLen)
    const bodyLen = r.offset
    const signature = r.bytes(DESCRIPTOR_SIGNATURE_LENGTH)
    r.end()
    return {
      descriptor: { version: DESCRIPTOR_VERSION, peerId, onionKey, signingKey, published, expires, capacity, maxCircuits, networkHint, powNonce },
      body: bytes.subarray(0, bodyLen),
      signature
    }
  } catch (err) {
    if (err instanceof DescriptorError) throw err
    // ByteReader's MalformedCellError (truncation, trailing bytes) and anything else.
    throw new MalformedDescriptorError(`malformed descriptor: ${err instanceof Error ? err.message : String(err)}`)
  }
}

/** Throws {@link DescriptorSignatureError} unless the signature verifies (RFC 8032 strict). */
export function checkDescriptorSignature (decoded: DecodedDescriptor): void {
  let ok: boolean
  try {
    ok = ed25519.verify(decoded.signature, descriptorSigningMessage(decoded.body), decoded.descriptor.signingKey, { zip215: false })
  } catch {
    ok = false // an invalid public key encoding
  }
  if (!ok) throw new DescriptorSignatureError()
}

/** Throws the named error when `d` is not valid at `now` (ms). */
export function checkDescriptorFreshness (d: RelayDescriptor, now: number): void {
  if (d.expires <= now) throw new DescriptorExpiredError()
  if (d.published > now + MAX_DESCRIPTOR_CLOCK_SKEW_MS) throw new DescriptorFromFutureError()
  if (d.expires - d.published > MAX_DESCRIPTOR_LIFETIME_MS) throw new DescriptorLifetimeError()
}

/**
 * Everything a descriptor from the network must pass, cheapest first: size,
 * structure, freshness at `now`, then the Ed25519 signature. Returns the
 * descriptor or throws a {@link DescriptorError} subclass.
 */
export function verifyDescriptor (bytes: Uint8Array, now: number): RelayDescriptor {
  const decoded = decodeDescriptor(bytes)
  checkDescriptorFreshness(decoded.descriptor, now)
  checkDescriptorSignature(decoded)
  return decoded.descriptor
}

/**
 * Relay descriptors (dir-spec's server descriptor, reduced to what Shallot
 * needs): each tab announces how to reach it as a relay — its transport peer
 * id, its Ed25519 signing key (the tab's per-tab transport key, never the
 * user's identity), its X25519 onion key for ntor, validity and capacity —
 * signed, so a neighbour passing it on can withhold it but never forge it.
 *
 * Layout (big-endian), then a 64-byte Ed25519 signature (RFC 8032) over
 * `"shallot-relay-descriptor-v1" || body`:
 *
 *   u8 version (1) | u8 idLen | peerId (utf-8) | signingKey (32) | onionKey (32)
 *   | u32 publishedHi | u32 publishedLo | u32 expiresHi | u32 expiresLo | u16 capacity
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { ByteReader, concatBytes, writeU16, writeU32 } from './bytes.ts'
import { nodeIdFromIdentityKey } from './crypto/ntor.ts'
import { ProtocolError } from './errors.ts'

export const DESCRIPTOR_VERSION = 1
/** Signature domain separation, so a descriptor signature can never be replayed as another message's. */
export const DESCRIPTOR_SIGNING_CONTEXT = new TextEncoder().encode('shallot-relay-descriptor-v1')
/** Longest encoded descriptor accepted. */
export const MAX_DESCRIPTOR_BYTES = 512
/** Longest validity a descriptor may claim (tabs republish well before). */
export const MAX_DESCRIPTOR_LIFETIME_MS = 3 * 60 * 60_000
/** Clock skew tolerated for `published` in the future. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000

export interface RelayDescriptor {
  readonly peerId: string
  readonly signingKey: Uint8Array
  readonly onionKey: Uint8Array
  readonly published: number
  readonly expires: number
  /** Advertised capacity, relative units (path weight). */
  readonly capacity: number
}

export class DescriptorError extends ProtocolError {
  constructor (kind: 'bad-descriptor' | 'expired', message: string) {
    super(kind, message)
    this.name = 'DescriptorError'
  }
}

function body (d: RelayDescriptor): Uint8Array {
  const id = new TextEncoder().encode(d.peerId)
  if (id.length === 0 || id.length > 255) throw new RangeError('descriptor: peer id length')
  if (d.signingKey.length !== 32 || d.onionKey.length !== 32) throw new RangeError('descriptor: key length')
  const out = new Uint8Array(2 + id.length + 64 + 16 + 2)
  let o = 0
  out[o++] = DESCRIPTOR_VERSION
  out[o++] = id.length
  out.set(id, o); o += id.length
  out.set(d.signingKey, o); o += 32
  out.set(d.onionKey, o); o += 32
  writeU32(out, o, Math.floor(d.published / 2 ** 32)); writeU32(out, o + 4, d.published >>> 0); o += 8
  writeU32(out, o, Math.floor(d.expires / 2 ** 32)); writeU32(out, o + 4, d.expires >>> 0); o += 8
  writeU16(out, o, Math.min(0xffff, Math.max(0, Math.round(d.capacity))))
  return out
}

/** Encode and sign; `sign` is the holder of the signing key (Web Crypto or libp2p key). */
export async function signDescriptor (d: RelayDescriptor, sign: (msg: Uint8Array) => Promise<Uint8Array>): Promise<Uint8Array> {
  const b = body(d)
  const sig = await sign(concatBytes(DESCRIPTOR_SIGNING_CONTEXT, b))
  if (sig.length !== 64) throw new RangeError('descriptor: signature must be 64 bytes')
  return concatBytes(b, sig)
}

/**
 * Decode and verify: format, signature (RFC 8032 verify, noble), and freshness
 * at `now`. Throws DescriptorError (named kinds) on anything wrong.
 */
export function verifyDescriptor (bytes: Uint8Array, now: number): RelayDescriptor {
  if (bytes.length > MAX_DESCRIPTOR_BYTES) throw new DescriptorError('bad-descriptor', 'descriptor too large')
  let d: RelayDescriptor
  let bodyLen: number
  try {
    const r = new ByteReader(bytes, 'descriptor')
    if (r.u8() !== DESCRIPTOR_VERSION) throw new DescriptorError('bad-descriptor', 'unknown descriptor version')
    const idBytes = r.bytes(r.u8())
    const peerId = new TextDecoder('utf-8', { fatal: true }).decode(idBytes)
    const signingKey = r.bytes(32)
    const onionKey = r.bytes(32)
    const published = r.u32() * 2 ** 32 + r.u32()
    const expires = r.u32() * 2 ** 32 + r.u32()
    const capacity = r.u16()
    bodyLen = r.offset
    r.bytes(64)
    r.end()
    d = { peerId, signingKey, onionKey, published, expires, capacity }
  } catch (err) {
    if (err instanceof DescriptorError) throw err
    throw new DescriptorError('bad-descriptor', `malformed descriptor: ${(err as Error).message}`)
  }
  const sig = bytes.subarray(bodyLen, bodyLen + 64)
  let ok: boolean
  try {
    ok = ed25519.verify(sig, concatBytes(DESCRIPTOR_SIGNING_CONTEXT, bytes.subarray(0, bodyLen)), d.signingKey)
  } catch {
    ok = false
  }
  if (!ok) throw new DescriptorError('bad-descriptor', 'descriptor signature does not verify')
  if (d.expires <= now) throw new DescriptorError('expired', 'descriptor expired')
  if (d.published > now + MAX_CLOCK_SKEW_MS) throw new DescriptorError('bad-descriptor', 'descriptor published in the future')
  if (d.expires - d.published > MAX_DESCRIPTOR_LIFETIME_MS) throw new DescriptorError('bad-descriptor', 'descriptor lifetime too long')
  return d
}

/** The ntor node id of a descriptor's relay (SHA-256 of its signing key). */
export function descriptorNodeId (d: RelayDescriptor): Uint8Array {
  return nodeIdFromIdentityKey(d.signingKey)
}

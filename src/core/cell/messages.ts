/**
 * Bodies (the `data` field) of the structured relay messages: EXTEND, EXTENDED,
 * END, SENDME, TRUNCATED. Modelled on tor-spec §5.1.2 (EXTEND2/EXTENDED2),
 * §6.3 (END), §7.4 + prop 289 (authenticated SENDME) and §5.4 (TRUNCATED),
 * simplified to what Shallot needs. DATA, BEGIN, CONNECTED, DROP and the
 * onion-service commands carry opaque data defined by their owners.
 * All decoders are strict: trailing bytes, short input and unknown values throw
 * named ProtocolErrors.
 */
import { ByteReader, writeU16 } from '../bytes.ts'
import { MalformedCellError, UnknownCommandError } from '../errors.ts'
import { type DestroyReason, type HandshakeType, isDestroyReason, isHandshakeType } from './link.ts'
import { RELAY_DATA_MAX } from './relay.ts'

/** Shallot node id: SHA-256 of the relay's Ed25519 identity key (see crypto/ntor.ts nodeIdFromIdentityKey). */
export const NODE_ID_LEN = 32
/** Longest link specifier (a libp2p peer id in bytes is 38 for Ed25519 keys). */
export const LINK_SPECIFIER_MAX = 255

/**
 * EXTEND: ask the last hop to open the next hop.
 *
 *   u8 lsLen (1..255) | linkSpec (lsLen) | nodeId (32) | u16 htype | u16 hlen | hdata
 *
 * `linkSpec` tells the extending relay how to reach the next hop (opaque here;
 * the net layer uses libp2p peer id bytes). `nodeId` lets it check, before
 * sending CREATE, that the authenticated peer on that channel is the relay the
 * client meant (tor-spec §5.1.2 carries identities as link specifiers for the
 * same reason); the handshake itself is forwarded untouched in CREATE.
 */
export interface ExtendMsg {
  readonly linkSpec: Uint8Array
  readonly nodeId: Uint8Array
  readonly htype: HandshakeType
  readonly hdata: Uint8Array
}

export function encodeExtend (m: ExtendMsg): Uint8Array {
  if (m.linkSpec.length < 1 || m.linkSpec.length > LINK_SPECIFIER_MAX) throw new RangeError('encodeExtend: link specifier length')
  if (m.nodeId.length !== NODE_ID_LEN) throw new RangeError('encodeExtend: node id length')
  const len = 1 + m.linkSpec.length + NODE_ID_LEN + 4 + m.hdata.length
  if (len > RELAY_DATA_MAX) throw new RangeError('encodeExtend: too long for one relay cell')
  const out = new Uint8Array(len)
  let o = 0
  out[o++] = m.linkSpec.length
  out.set(m.linkSpec, o); o += m.linkSpec.length
  out.set(m.nodeId, o); o += NODE_ID_LEN
  writeU16(out, o, m.htype); o += 2
  writeU16(out, o, m.hdata.length); o += 2
  out.set(m.hdata, o)
  return out
}

export function decodeExtend (data: Uint8Array): ExtendMsg {
  const r = new ByteReader(data, 'EXTEND')
  const lsLen = r.u8()
  if (lsLen === 0) throw new MalformedCellError('EXTEND: empty link specifier')
  const linkSpec = r.bytes(lsLen)
  const nodeId = r.bytes(NODE_ID_LEN)
  const htype = r.u16()
  if (!isHandshakeType(htype)) throw new UnknownCommandError(`EXTEND: unknown handshake type ${htype}`)
  const hdata = r.bytes(r.u16())
  r.end()
  return { linkSpec, nodeId, htype, hdata }
}

/** EXTENDED: u16 hlen | hdata (the next hop's CREATED handshake, tor-spec §5.1.2 EXTENDED2). */
export function encodeExtended (hdata: Uint8Array): Uint8Array {
  if (hdata.length + 2 > RELAY_DATA_MAX) throw new RangeError('encodeExtended: too long')
  const out = new Uint8Array(2 + hdata.length)
  writeU16(out, 0, hdata.length)
  out.set(hdata, 2)
  return out
}

export function decodeExtended (data: Uint8Array): Uint8Array {
  const r = new ByteReader(data, 'EXTENDED')
  const hdata = r.bytes(r.u16())
  r.end()
  return hdata
}

/** END reasons: the subset of tor-spec §6.3 that applies without exits, Tor's numbers. */
export const EndReason = {
  MISC: 1,
  DESTROY: 5,
  DONE: 6,
  TIMEOUT: 7,
  INTERNAL: 10,
  RESOURCELIMIT: 11,
  CONNRESET: 12,
  PROTOCOL: 13 // tor-spec REASON_TORPROTOCOL
} as const
export type EndReason = typeof EndReason[keyof typeof EndReason]
const END_REASONS: ReadonlySet<number> = new Set(Object.values(EndReason))

/** END: exactly one reason byte. */
export function encodeEnd (reason: EndReason): Uint8Array { return Uint8Array.of(reason) }

export function decodeEnd (data: Uint8Array): EndReason {
  const r = new ByteReader(data, 'END')
  const reason = r.u8()
  r.end()
  if (!END_REASONS.has(reason)) throw new MalformedCellError(`END: unknown reason ${reason}`)
  return reason as EndReason
}

/** TRUNCATED: exactly one DESTROY reason byte (tor-spec §5.4). TRUNCATE has empty data. */
export function encodeTruncated (reason: DestroyReason): Uint8Array { return Uint8Array.of(reason) }

export function decodeTruncated (data: Uint8Array): DestroyReason {
  const r = new ByteReader(data, 'TRUNCATED')
  const reason = r.u8()
  r.end()
  if (!isDestroyReason(reason)) throw new MalformedCellError(`TRUNCATED: unknown reason ${reason}`)
  return reason
}

/** SENDME version: only authenticated v1 exists in Shallot (prop 289; Tor's v0 is never accepted). */
export const SENDME_VERSION = 1
/**
 * Length of the authenticator in a SENDME: the 16-byte CGO tag of the cell
 * that made it due (prop 359 §"SENDME authentication"; arti's CGO SENDME tag
 * is 16 bytes too). Under tor1 it was a running digest (Tor: 20-byte SHA-1).
 */
export const SENDME_TAG_LEN = 16

/** SENDME: u8 version (1) | u16 len (16) | tag of the cell that triggered it (prop 289 §3, with prop 359's tag as the authenticator). */
export function encodeSendme (tag: Uint8Array): Uint8Array {
  if (tag.length !== SENDME_TAG_LEN) throw new RangeError('encodeSendme: tag length')
  const out = new Uint8Array(3 + SENDME_TAG_LEN)
  out[0] = SENDME_VERSION
  writeU16(out, 1, SENDME_TAG_LEN)
  out.set(tag, 3)
  return out
}

export function decodeSendme (data: Uint8Array): Uint8Array {
  const r = new ByteReader(data, 'SENDME')
  const version = r.u8()
  if (version !== SENDME_VERSION) throw new MalformedCellError(`SENDME: unsupported version ${version}`)
  const len = r.u16()
  if (len !== SENDME_TAG_LEN) throw new MalformedCellError(`SENDME: tag length ${len}`)
  const tag = r.bytes(len)
  r.end()
  return tag
}

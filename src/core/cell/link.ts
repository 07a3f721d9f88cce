/**
 * Link cells: the fixed-size unit every channel carries (tor-spec §3).
 *
 * A cell is exactly {@link CELL_SIZE} bytes: circuit id (u32 BE) | command (u8)
 * | body. Every link carries only whole cells, so an observer of a link, or a
 * relay forwarding one, never learns message lengths (DESIGN.md §4). This
 * module only encodes and decodes; it keeps no state. Decoding is strict:
 * wrong size, unknown command, bad length fields and unknown reasons all throw
 * a named {@link ProtocolError} and nothing ever reads past the input.
 */
import { CELL_SIZE, CIRC_ID_LEN } from '../constants.ts'
import { ByteReader, readU32, writeU16, writeU32 } from '../bytes.ts'
import { MalformedCellError, UnknownCommandError } from '../errors.ts'

/** circId (4) + command (1). */
export const CELL_HEADER_LEN = CIRC_ID_LEN + 1
/** Bytes of body after the header: 1021 with CELL_SIZE 1026. */
export const CELL_BODY_LEN = CELL_SIZE - CELL_HEADER_LEN
/** Largest circuit id (u32). Circuit id 0 means "no circuit" (tor-spec §3). */
export const MAX_CIRC_ID = 0xffff_ffff

/**
 * Link commands. Numbers follow tor-spec §3 where the meaning matches. CREATE
 * and CREATED take Tor's numbers 1/2 but carry the CREATE2/CREATED2 body format
 * (tor-spec §5.1): Shallot has no TAP handshake, so the old formats never exist.
 */
export const LinkCommand = {
  /** Link padding; body ignored (tor-spec §3, padding-spec). circId must be 0. */
  PADDING: 0,
  /** Open a circuit: handshake type + client handshake (tor-spec §5.1 CREATE2 body). */
  CREATE: 1,
  /** Circuit opened: server handshake (tor-spec §5.1 CREATED2 body). */
  CREATED: 2,
  /** Onion-encrypted relay cell (tor-spec §6.1); the body is opaque here. */
  RELAY: 3,
  /** Tear the circuit down, with a reason (tor-spec §5.4). */
  DESTROY: 4
} as const
export type LinkCommand = typeof LinkCommand[keyof typeof LinkCommand]

const LINK_COMMANDS: ReadonlySet<number> = new Set(Object.values(LinkCommand))
export function isLinkCommand (n: number): n is LinkCommand { return LINK_COMMANDS.has(n) }

/** Handshake types in CREATE / EXTEND (tor-spec §5.1 HTYPE). */
export const HandshakeType = {
  /** ntor (tor-spec §5.1.4) with Shallot's parameters: see crypto/ntor.ts SHALLOT_NTOR. Tor's number for ntor. */
  NTOR: 0x0002,
  /**
   * ntor plus an onward header (docs/PROTOCOL.md §7 "Building with an onward header", crypto/onward.ts): the
   * client's whole path in one CREATE, each hop's slot sealed to that hop.
   * Shallot's own number (Tor's 0x0003 is ntor-v3).
   */
  NTOR_ONWARD: 0x0102
} as const
export type HandshakeType = typeof HandshakeType[keyof typeof HandshakeType]

const HANDSHAKE_TYPES: ReadonlySet<number> = new Set(Object.values(HandshakeType))
export function isHandshakeType (n: number): n is HandshakeType { return HANDSHAKE_TYPES.has(n) }

/** DESTROY / TRUNCATED reasons, numbers exactly as tor-spec §5.4. */
export const DestroyReason = {
  NONE: 0, // no reason given
  PROTOCOL: 1, // tor protocol violation
  INTERNAL: 2, // internal error
  REQUESTED: 3, // a client sent TRUNCATE
  HIBERNATING: 4, // not currently operating; trying to save bandwidth
  RESOURCELIMIT: 5, // out of memory, sockets, or circuit ids
  CONNECTFAILED: 6, // unable to reach relay
  OR_IDENTITY: 7, // connected, but its identity was not as expected
  CHANNEL_CLOSED: 8, // the link carrying this circuit closed
  FINISHED: 9, // the circuit has expired for being dirty or old
  TIMEOUT: 10, // circuit construction took too long
  DESTROYED: 11, // the circuit was destroyed without a client TRUNCATE
  NOSUCHSERVICE: 12 // request for unknown onion service
} as const
export type DestroyReason = typeof DestroyReason[keyof typeof DestroyReason]

const DESTROY_REASONS: ReadonlySet<number> = new Set(Object.values(DestroyReason))
export function isDestroyReason (n: number): n is DestroyReason { return DESTROY_REASONS.has(n) }

/** Most handshake bytes a CREATE body can carry (htype u16 + hlen u16 + hdata). */
export const CREATE_HDATA_MAX = CELL_BODY_LEN - 4
/** Most handshake bytes a CREATED body can carry (hlen u16 + hdata). */
export const CREATED_HDATA_MAX = CELL_BODY_LEN - 2

export type LinkMsg =
  | { readonly command: typeof LinkCommand.PADDING }
  | { readonly command: typeof LinkCommand.CREATE, readonly htype: HandshakeType, readonly hdata: Uint8Array }
  | { readonly command: typeof LinkCommand.CREATED, readonly hdata: Uint8Array }
  /** `body` is exactly CELL_BODY_LEN bytes of onion-encrypted relay cell. */
  | { readonly command: typeof LinkCommand.RELAY, readonly body: Uint8Array }
  | { readonly command: typeof LinkCommand.DESTROY, readonly reason: DestroyReason }

export interface LinkCell {
  /** u32; 0 only for PADDING. */
  readonly circId: number
  readonly msg: LinkMsg
}

/**
 * Encode a cell into exactly CELL_SIZE bytes (into `out` when given; it must be
 * CELL_SIZE long). Unused body bytes are zero: the link itself is encrypted, so
 * link-level padding needs no randomness (relay bodies carry their own random
 * padding, see relay.ts). Throws RangeError on arguments no caller should pass.
 */
export function encodeCell (cell: LinkCell, out?: Uint8Array): Uint8Array {
  const buf = out ?? new Uint8Array(CELL_SIZE)
  if (buf.length !== CELL_SIZE) throw new RangeError(`encodeCell: output must be ${CELL_SIZE} bytes`)
  const { circId, msg } = cell
  if (!Number.isInteger(circId) || circId < 0 || circId > MAX_CIRC_ID) throw new RangeError('encodeCell: circId out of range')
  if ((msg.command === LinkCommand.PADDING) !== (circId === 0)) throw new RangeError('encodeCell: circId 0 is for PADDING only')
  if (out !== undefined) buf.fill(0)
  writeU32(buf, 0, circId)
  buf[CIRC_ID_LEN] = msg.command
  const b = CELL_HEADER_LEN
  switch (msg.command) {
    case LinkCommand.PADDING:
      break
    case LinkCommand.CREATE:
      if (msg.hdata.length > CREATE_HDATA_MAX) throw new RangeError('encodeCell: CREATE handshake too long')
      writeU16(buf, b, msg.htype)
      writeU16(buf, b + 2, msg.hdata.length)
      buf.set(msg.hdata, b + 4)
      break
    case LinkCommand.CREATED:
      if (msg.hdata.length > CREATED_HDATA_MAX) throw new RangeError('encodeCell: CREATED handshake too long')
      writeU16(buf, b, msg.hdata.length)
      buf.set(msg.hdata, b + 2)
      break
    case LinkCommand.RELAY:
      if (msg.body.length !== CELL_BODY_LEN) throw new RangeError(`encodeCell: RELAY body must be ${CELL_BODY_LEN} bytes`)
      buf.set(msg.body, b)
      break
    case LinkCommand.DESTROY:
      buf[b] = msg.reason
      break
  }
  return buf
}

/**
 * Decode one cell. `bytes` must be exactly CELL_SIZE long. The returned byte
 * strings are copies. Throws MalformedCellError / UnknownCommandError only.
 */
export function decodeCell (bytes: Uint8Array): LinkCell {
  if (bytes.length !== CELL_SIZE) throw new MalformedCellError(`cell must be ${CELL_SIZE} bytes, got ${bytes.length}`)
  const circId = readU32(bytes, 0)
  const command = bytes[CIRC_ID_LEN] as number
  if (!isLinkCommand(command)) throw new UnknownCommandError(`unknown link command ${command}`)
  // tor-spec §3/§5.1.1: circuit id 0 names no circuit; only link-level PADDING uses it.
  if ((command === LinkCommand.PADDING) !== (circId === 0)) {
    throw new MalformedCellError(command === LinkCommand.PADDING ? 'PADDING must use circId 0' : 'circId 0 on a circuit cell')
  }
  const body = bytes.subarray(CELL_HEADER_LEN)
  switch (command) {
    case LinkCommand.PADDING:
      return { circId, msg: { command } }
    case LinkCommand.CREATE: {
      const r = new ByteReader(body, 'CREATE')
      const htype = r.u16()
      if (!isHandshakeType(htype)) throw new UnknownCommandError(`unknown handshake type ${htype}`)
      const hlen = r.u16()
      return { circId, msg: { command, htype, hdata: r.bytes(hlen) } }
    }
    case LinkCommand.CREATED: {
      const r = new ByteReader(body, 'CREATED')
      const hlen = r.u16()
      return { circId, msg: { command, hdata: r.bytes(hlen) } }
    }
    case LinkCommand.RELAY:
      return { circId, msg: { command, body: body.slice() } }
    case LinkCommand.DESTROY: {
      const reason = body[0] as number
      if (!isDestroyReason(reason)) throw new MalformedCellError(`unknown DESTROY reason ${reason}`)
      return { circId, msg: { command, reason } }
    }
  }
}

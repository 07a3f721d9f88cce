/**
 * Relay cells: the plaintext inside a RELAY link cell's body, once every onion
 * layer addressed to it has been removed (tor-spec §6.1).
 *
 *   offset  size  field
 *   0       16    T           (the CGO tag: zero in plaintext; relay crypto
 *                              sets it, see crypto/cgo.ts; prop 359)
 *   16      1     relay command
 *   17      2     stream id   (0 for circuit-level commands)
 *   19      2     length      (bytes of data, ≤ RELAY_DATA_MAX)
 *   21      len   data
 *   21+len  ...   padding: random bytes up to CELL_BODY_LEN
 *
 * Under CGO the hop a cell is for recognizes it by T (a 128-bit check), so
 * tor1's `recognized` and 4-byte `digest` fields are gone (prop 359 §"Cell
 * format"; arti tor-cell relaycell/msg.rs, the V1 "tagged" body format puts
 * the 16-byte tag first as well).
 * Padding is entirely random (prop 289 §3.1 asks for random padding so a
 * cell, and hence its SENDME tag, is unpredictable; Tor additionally keeps 4
 * zero bytes after the data as a reserved field — we drop that: `length`
 * delimits the data and nothing parses the padding).
 * The body is onion-encrypted as a whole, so on the wire all of it is opaque.
 */
import { ByteReader, readU16, writeU16 } from '../bytes.ts'
import { MalformedCellError, UnknownCommandError } from '../errors.ts'
import type { RandomSource } from '../random.ts'
import { CELL_BODY_LEN } from './link.ts'

/** A relay cell body fills the whole link-cell body. */
export const RELAY_BODY_LEN = CELL_BODY_LEN
/** CGO's tag T at the start of every relay body (prop 359; equals crypto/cgo.ts CGO_TAG_LEN, checked in cell.test.ts). */
export const RELAY_TAG_LEN = 16
export const RELAY_COMMAND_OFFSET = RELAY_TAG_LEN
export const RELAY_STREAM_ID_OFFSET = RELAY_COMMAND_OFFSET + 1
export const RELAY_LENGTH_OFFSET = RELAY_STREAM_ID_OFFSET + 2
export const RELAY_HEADER_LEN = RELAY_LENGTH_OFFSET + 2
/** Most data bytes one relay cell carries: 1000 with CELL_SIZE 1026. */
export const RELAY_DATA_MAX = RELAY_BODY_LEN - RELAY_HEADER_LEN

/**
 * Relay commands. Numbers are Tor's (tor-spec §6.1; onion-service commands from
 * rend-spec-v3 §3–4), so a reader of the Tor specs is never surprised. EXTEND /
 * EXTENDED carry the EXTEND2 / EXTENDED2 bodies in Shallot's form (messages.ts)
 * under Tor's original numbers 6/7, since Shallot has no legacy format.
 */
export const RelayCommand = {
  /** Open a stream (here: to an application endpoint at the last hop; used by echo tests). */
  BEGIN: 1,
  /** Stream data. */
  DATA: 2,
  /** Close a stream, with a reason (tor-spec §6.3). */
  END: 3,
  /** Stream opened. */
  CONNECTED: 4,
  /** Flow-control window increment (tor-spec §7.3–7.4, authenticated as prop 289). */
  SENDME: 5,
  /** Ask the last hop to extend the circuit (tor-spec §5.1.2). */
  EXTEND: 6,
  /** Extension succeeded. */
  EXTENDED: 7,
  /** Ask the last hop to drop the rest of the circuit (tor-spec §5.4). */
  TRUNCATE: 8,
  /** The circuit was cut after this hop, with a reason. */
  TRUNCATED: 9,
  /** Long-range padding; data ignored (tor-spec §6.1 RELAY_DROP). */
  DROP: 10,
  // Onion services (rend-spec-v3 §3–4; bodies in core/rendezvous/cells.ts, docs/RENDEZVOUS.md §5).
  ESTABLISH_INTRO: 32,
  ESTABLISH_RENDEZVOUS: 33,
  INTRODUCE1: 34,
  INTRODUCE2: 35,
  RENDEZVOUS1: 36,
  RENDEZVOUS2: 37,
  INTRO_ESTABLISHED: 38,
  RENDEZVOUS_ESTABLISHED: 39,
  INTRODUCE_ACK: 40,
  // Shallot's own: descriptor storage at HSDirs (docs/RENDEZVOUS.md §5; Tor
  // uses BEGIN_DIR and HTTP instead, which a tab has no use for).
  HSDIR_STORE: 48,
  HSDIR_STORED: 49,
  HSDIR_FETCH: 50,
  HSDIR_FOUND: 51
} as const
export type RelayCommand = typeof RelayCommand[keyof typeof RelayCommand]

const RELAY_COMMANDS: ReadonlySet<number> = new Set(Object.values(RelayCommand))
export function isRelayCommand (n: number): n is RelayCommand { return RELAY_COMMANDS.has(n) }

/** A decoded (plaintext, recognized) relay cell. */
export interface RelayCell {
  readonly command: RelayCommand
  /** u16; 0 for circuit-level messages. */
  readonly streamId: number
  /** At most RELAY_DATA_MAX bytes. */
  readonly data: Uint8Array
}

/**
 * Build the plaintext body of a relay cell: T = 0 (relay crypto sets it to
 * the target hop's nonce), the header, the data, then random padding
 * from `random` (prop 289). Writes into `out` (RELAY_BODY_LEN bytes) if given.
 */
export function encodeRelayBody (cell: RelayCell, random: RandomSource, out?: Uint8Array): Uint8Array {
  const buf = out ?? new Uint8Array(RELAY_BODY_LEN)
  if (buf.length !== RELAY_BODY_LEN) throw new RangeError(`encodeRelayBody: output must be ${RELAY_BODY_LEN} bytes`)
  if (!isRelayCommand(cell.command)) throw new RangeError('encodeRelayBody: unknown relay command')
  if (!Number.isInteger(cell.streamId) || cell.streamId < 0 || cell.streamId > 0xffff) throw new RangeError('encodeRelayBody: streamId out of range')
  const len = cell.data.length
  if (len > RELAY_DATA_MAX) throw new RangeError(`encodeRelayBody: data longer than ${RELAY_DATA_MAX}`)
  buf.fill(0, 0, RELAY_TAG_LEN)
  buf[RELAY_COMMAND_OFFSET] = cell.command
  writeU16(buf, RELAY_STREAM_ID_OFFSET, cell.streamId)
  writeU16(buf, RELAY_LENGTH_OFFSET, len)
  buf.set(cell.data, RELAY_HEADER_LEN)
  const padLen = RELAY_DATA_MAX - len
  if (padLen > 0) {
    const pad = random(padLen)
    if (pad.length !== padLen) throw new RangeError('encodeRelayBody: random source returned the wrong length')
    buf.set(pad, RELAY_HEADER_LEN + len)
  }
  return buf
}

/**
 * Decode a plaintext relay body that relay crypto has recognized. Checks the
 * size, a known command and length ≤ RELAY_DATA_MAX; T is not interpreted
 * here (relay crypto recognized the cell by it). `data` is a copy.
 */
export function decodeRelayBody (body: Uint8Array): RelayCell {
  if (body.length !== RELAY_BODY_LEN) throw new MalformedCellError(`relay body must be ${RELAY_BODY_LEN} bytes, got ${body.length}`)
  const command = body[RELAY_COMMAND_OFFSET] as number
  if (!isRelayCommand(command)) throw new UnknownCommandError(`unknown relay command ${command}`)
  const streamId = readU16(body, RELAY_STREAM_ID_OFFSET)
  const len = readU16(body, RELAY_LENGTH_OFFSET)
  if (len > RELAY_DATA_MAX) throw new MalformedCellError(`relay cell: length ${len} > ${RELAY_DATA_MAX}`)
  const r = new ByteReader(body.subarray(RELAY_HEADER_LEN), 'relay cell')
  return { command, streamId, data: r.bytes(len) }
}

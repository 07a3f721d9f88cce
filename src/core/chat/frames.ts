/**
 * Chat frames: what one end-to-end frame carries between two contacts
 * (docs/RENDEZVOUS.md §8). A text message is UTF-8 encoded and cut into
 * PART frames that each fit one e2e payload; the receiver reassembles them by
 * message id (reassembly.ts) and answers with an ACK; CONTROL answers a
 * contact request. Layout (big-endian):
 *
 *   PART     1 ‖ msgId[16] ‖ u64 timestamp ‖ u16 index ‖ u16 count ‖ chunk (1..PART_CHUNK_MAX = 953)
 *   ACK      2 ‖ msgId[16]
 *   CONTROL  3 ‖ msgId[16] ‖ u64 timestamp ‖ u8 what (1 accept, 2 decline)
 *
 * Decoding is strict: every length is exact, the timestamp (ms since the Unix
 * epoch) must be a safe integer, and anything else is a {@link ChatFrameError},
 * the only error bytes from a peer can cause here.
 */
import { readU32, writeU16, writeU32, readU16 } from '../bytes.ts'
import { ProtocolError } from '../errors.ts'
import { E2E_PAYLOAD_MAX } from '../rendezvous/constants.ts'

/** What one end-to-end frame carries (E2E_PAYLOAD_MAX, RENDEZVOUS.md §7). */
export const CHAT_PAYLOAD_MAX = E2E_PAYLOAD_MAX
/** Message ids are 16 random bytes. */
export const MSG_ID_LEN = 16
/** type(1) + msgId(16) + timestamp(8) + index(2) + count(2). */
export const PART_HEADER_LEN = 29
/** Most text bytes one PART carries. */
export const PART_CHUNK_MAX = CHAT_PAYLOAD_MAX - PART_HEADER_LEN
/** Longest text message, in UTF-8 bytes (16 KiB). */
export const MAX_MESSAGE_BYTES = 16_384
/** Most PARTs one message may be cut into (18). */
export const MAX_PARTS = Math.ceil(MAX_MESSAGE_BYTES / PART_CHUNK_MAX)

const TYPE_PART = 1
const TYPE_ACK = 2
const TYPE_CONTROL = 3
const ACK_LEN = 1 + MSG_ID_LEN
const CONTROL_LEN = 1 + MSG_ID_LEN + 8 + 1
const WHAT_CODES = { accept: 1, decline: 2 } as const
const TWO_32 = 2 ** 32
/** Largest high word of a u64 that still gives a safe integer. */
const MAX_SAFE_HIGH = Math.floor(Number.MAX_SAFE_INTEGER / TWO_32)

export type ChatFrame =
  | { type: 'part', msgId: Uint8Array, timestamp: number, index: number, count: number, chunk: Uint8Array }
  | { type: 'ack', msgId: Uint8Array }
  | { type: 'control', msgId: Uint8Array, timestamp: number, what: 'accept' | 'decline' }

/** A chat frame from a peer that is malformed (wrong length, unknown type, field out of range, bad UTF-8). */
export class ChatFrameError extends ProtocolError {
  constructor (message: string) { super('malformed-cell', message); this.name = 'ChatFrameError' }
}

/** The user's message is longer than MAX_MESSAGE_BYTES. The message is shown to the user as is. */
export class MessageTooLongError extends Error {
  readonly kind = 'message-too-long' as const
  constructor (message = 'Messages are limited to 16 KiB.') { super(message); this.name = 'MessageTooLongError' }
}

/** The user tried to send an empty or whitespace-only message. The message is shown to the user as is. */
export class EmptyMessageError extends Error {
  readonly kind = 'empty-message' as const
  constructor (message = 'Type a message first.') { super(message); this.name = 'EmptyMessageError' }
}

function isTimestamp (t: number): boolean {
  return Number.isSafeInteger(t) && t >= 0
}

function header (type: number, len: number, msgId: Uint8Array): Uint8Array {
  if (msgId.length !== MSG_ID_LEN) throw new RangeError(`msgId must be ${MSG_ID_LEN} bytes`)
  const out = new Uint8Array(len)
  out[0] = type
  out.set(msgId, 1)
  return out
}

function writeTimestamp (buf: Uint8Array, off: number, t: number): void {
  if (!isTimestamp(t)) throw new RangeError('timestamp must be a non-negative safe integer')
  writeU32(buf, off, Math.floor(t / TWO_32))
  writeU32(buf, off + 4, t % TWO_32)
}

/** Encode a chat frame (at most CHAT_PAYLOAD_MAX bytes). RangeError when a field is out of range. */
export function encodeChatFrame (f: ChatFrame): Uint8Array {
  switch (f.type) {
    case 'part': {
      if (!Number.isInteger(f.count) || f.count < 1 || f.count > MAX_PARTS) throw new RangeError(`count must be 1..${MAX_PARTS}`)
      if (!Number.isInteger(f.index) || f.index < 0 || f.index >= f.count) throw new RangeError('index must be 0..count-1')
      if (f.chunk.length < 1 || f.chunk.length > PART_CHUNK_MAX) throw new RangeError(`chunk must be 1..${PART_CHUNK_MAX} bytes`)
      const out = header(TYPE_PART, PART_HEADER_LEN + f.chunk.length, f.msgId)
      writeTimestamp(out, 1 + MSG_ID_LEN, f.timestamp)
      writeU16(out, 25, f.index)
      writeU16(out, 27, f.count)
      out.set(f.chunk, PART_HEADER_LEN)
      return out
    }
    case 'ack':
      return header(TYPE_ACK, ACK_LEN, f.msgId)
    case 'control': {
      const code = WHAT_CODES[f.what] as number | undefined
      if (code === undefined) throw new RangeError('control must be accept or decline')
      const out = header(TYPE_CONTROL, CONTROL_LEN, f.msgId)
      writeTimestamp(out, 1 + MSG_ID_LEN, f.timestamp)
      out[CONTROL_LEN - 1] = code
      return out
    }
    default:
      throw new RangeError('unknown chat frame type')
  }
}

function readTimestamp (b: Uint8Array, off: number): number {
  const hi = readU32(b, off)
  if (hi > MAX_SAFE_HIGH) throw new ChatFrameError('chat frame: timestamp out of range')
  return hi * TWO_32 + readU32(b, off + 4)
}

/** Decode a chat frame from a peer; {@link ChatFrameError} on anything malformed. */
export function decodeChatFrame (bytes: Uint8Array): ChatFrame {
  if (bytes.length === 0) throw new ChatFrameError('chat frame: empty')
  if (bytes.length > CHAT_PAYLOAD_MAX) throw new ChatFrameError('chat frame: too long')
  const type = bytes[0] as number
  switch (type) {
    case TYPE_PART: {
      if (bytes.length <= PART_HEADER_LEN) throw new ChatFrameError('chat part: truncated or empty chunk')
      const timestamp = readTimestamp(bytes, 1 + MSG_ID_LEN)
      const index = readU16(bytes, 25)
      const count = readU16(bytes, 27)
      if (count === 0 || count > MAX_PARTS) throw new ChatFrameError('chat part: count out of range')
      if (index >= count) throw new ChatFrameError('chat part: index out of range')
      return { type: 'part', msgId: bytes.slice(1, 1 + MSG_ID_LEN), timestamp, index, count, chunk: bytes.slice(PART_HEADER_LEN) }
    }
    case TYPE_ACK:
      if (bytes.length !== ACK_LEN) throw new ChatFrameError(`chat ack: ${bytes.length} bytes, expected ${ACK_LEN}`)
      return { type: 'ack', msgId: bytes.slice(1, 1 + MSG_ID_LEN) }
    case TYPE_CONTROL: {
      if (bytes.length !== CONTROL_LEN) throw new ChatFrameError(`chat control: ${bytes.length} bytes, expected ${CONTROL_LEN}`)
      const timestamp = readTimestamp(bytes, 1 + MSG_ID_LEN)
      const code = bytes[CONTROL_LEN - 1] as number
      if (code !== WHAT_CODES.accept && code !== WHAT_CODES.decline) throw new ChatFrameError(`chat control: unknown code ${code}`)
      return { type: 'control', msgId: bytes.slice(1, 1 + MSG_ID_LEN), timestamp, what: code === WHAT_CODES.accept ? 'accept' : 'decline' }
    }
    default:
      throw new ChatFrameError(`chat frame: unknown type ${type}`)
  }
}

/**
 * Split a text message into PART frames (not yet encoded). Chunks are cut on
 * byte boundaries, which may fall inside a multi-byte character; reassembly
 * concatenates bytes before decoding, so the text comes back exactly.
 * Empty or whitespace-only → {@link EmptyMessageError}; more than
 * MAX_MESSAGE_BYTES of UTF-8 → {@link MessageTooLongError}; text that is not
 * well-formed Unicode (a lone surrogate, which UTF-8 cannot carry) → RangeError.
 */
export function splitMessage (msgId: Uint8Array, timestamp: number, text: string): ChatFrame[] {
  if (msgId.length !== MSG_ID_LEN) throw new RangeError(`msgId must be ${MSG_ID_LEN} bytes`)
  if (!isTimestamp(timestamp)) throw new RangeError('timestamp must be a non-negative safe integer')
  if (text.trim() === '') throw new EmptyMessageError()
  const bytes = new TextEncoder().encode(text)
  if (bytes.length > MAX_MESSAGE_BYTES) throw new MessageTooLongError()
  if (new TextDecoder().decode(bytes) !== text) throw new RangeError('text is not well-formed Unicode')
  const count = Math.ceil(bytes.length / PART_CHUNK_MAX)
  const frames: ChatFrame[] = []
  for (let index = 0; index < count; index++) {
    const chunk = bytes.slice(index * PART_CHUNK_MAX, (index + 1) * PART_CHUNK_MAX)
    frames.push({ type: 'part', msgId: msgId.slice(), timestamp, index, count, chunk })
  }
  return frames
}

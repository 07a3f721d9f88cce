/**
 * Small wire helpers shared by the rendezvous modules (internal, not part of
 * the public API): 64-bit big-endian integers limited to JavaScript's safe
 * integers (times in ms and period numbers fit easily), ASCII labels, and
 * bounded UTF-8 strings. Reads go through ByteReader, so they never pass the
 * end of the input and fail with MalformedCellError.
 */
import { type ByteReader } from '../bytes.ts'
import { MalformedCellError } from '../errors.ts'

const TWO32 = 0x1_0000_0000

/** u64(n): 8 bytes big-endian. RangeError for a negative or unsafe n (a caller bug). */
export function u64 (n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('u64: not a non-negative safe integer')
  const out = new Uint8Array(8)
  const hi = Math.floor(n / TWO32)
  const lo = n - hi * TWO32
  const v = new DataView(out.buffer)
  v.setUint32(0, hi)
  v.setUint32(4, lo)
  return out
}

/** Read a u64; values above Number.MAX_SAFE_INTEGER are malformed. */
export function readU64 (r: ByteReader): number {
  const hi = r.u32()
  const lo = r.u32()
  if (hi > 0x1f_ffff) throw new MalformedCellError('u64 out of range')
  return hi * TWO32 + lo
}

const enc = new TextEncoder()
const dec = new TextDecoder('utf-8', { fatal: true })

/** ASCII/UTF-8 bytes of a label or string. */
export function utf8 (s: string): Uint8Array { return enc.encode(s) }

/** Strict UTF-8 decoding (no replacement characters); MalformedCellError on invalid bytes. */
export function fromUtf8 (b: Uint8Array): string {
  try {
    return dec.decode(b)
  } catch {
    throw new MalformedCellError('invalid UTF-8')
  }
}

/** u8 length | UTF-8 bytes of `s`; RangeError when outside [min, max] bytes. */
export function lengthPrefixed (s: string, min: number, max: number, what: string): Uint8Array {
  const b = enc.encode(s)
  if (b.length < min || b.length > max) throw new RangeError(`${what} must be ${min}..${max} UTF-8 bytes`)
  const out = new Uint8Array(1 + b.length)
  out[0] = b.length
  out.set(b, 1)
  return out
}

/** Read u8 length | UTF-8 string with the length in [min, max]. */
export function readLengthPrefixed (r: ByteReader, min: number, max: number, what: string): string {
  const n = r.u8()
  if (n < min || n > max) throw new MalformedCellError(`${what}: length out of range`)
  return fromUtf8(r.bytes(n))
}

/** RangeError unless `b` is a Uint8Array of exactly `n` bytes (argument checks on our own callers). */
export function checkLen (b: Uint8Array, n: number, what: string): void {
  if (!(b instanceof Uint8Array) || b.length !== n) throw new RangeError(`${what} must be ${n} bytes`)
}

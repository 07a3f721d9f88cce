/**
 * Byte helpers for the wire formats: big-endian integers (every network format
 * in Shallot is big-endian, as in tor-spec §0.2), a bounds-checked reader that
 * turns any out-of-range read into a {@link MalformedCellError} instead of
 * reading past the end, a constant-time comparison for secrets, and hex.
 * Pure: no Buffer, no Node APIs.
 */
import { MalformedCellError } from './errors.ts'

/** Concatenate byte arrays into a new array. */
export function concatBytes (...parts: readonly Uint8Array[]): Uint8Array {
  let len = 0
  for (const p of parts) len += p.length
  const out = new Uint8Array(len)
  let off = 0
  for (const p of parts) { out.set(p, off); off += p.length }
  return out
}

/**
 * Constant-time equality: the running time depends only on the lengths, never
 * on where the inputs differ. Use it for every comparison of a MAC, AUTH or
 * digest (tor-spec §5.1.4 requires AUTH be checked; timing must not leak it).
 */
export function ctEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number)
  return diff === 0
}

/** True when every byte is zero (constant time in the length). */
export function isAllZero (a: Uint8Array): boolean {
  let acc = 0
  for (let i = 0; i < a.length; i++) acc |= a[i] as number
  return acc === 0
}

export function writeU16 (buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 8) & 0xff
  buf[off + 1] = v & 0xff
}

export function writeU32 (buf: Uint8Array, off: number, v: number): void {
  buf[off] = (v >>> 24) & 0xff
  buf[off + 1] = (v >>> 16) & 0xff
  buf[off + 2] = (v >>> 8) & 0xff
  buf[off + 3] = v & 0xff
}

/** Read a big-endian u16; the caller guarantees `off + 2 <= buf.length`. */
export function readU16 (buf: Uint8Array, off: number): number {
  return ((buf[off] as number) << 8) | (buf[off + 1] as number)
}

/** Read a big-endian u32; the caller guarantees `off + 4 <= buf.length`. */
export function readU32 (buf: Uint8Array, off: number): number {
  return (((buf[off] as number) << 24) | ((buf[off + 1] as number) << 16) |
    ((buf[off + 2] as number) << 8) | (buf[off + 3] as number)) >>> 0
}

/**
 * Sequential, bounds-checked reader. Every read past the end throws
 * {@link MalformedCellError}; it never returns `undefined` bytes.
 * Byte strings it returns are copies, so callers may keep them.
 */
export class ByteReader {
  private pos = 0
  constructor (private readonly buf: Uint8Array, private readonly what = 'message') {}

  get offset (): number { return this.pos }
  get remaining (): number { return this.buf.length - this.pos }

  private need (n: number): void {
    if (n > this.buf.length - this.pos) throw new MalformedCellError(`${this.what}: truncated (need ${n} bytes at offset ${this.pos})`)
  }

  u8 (): number { this.need(1); return this.buf[this.pos++] as number }
  u16 (): number { this.need(2); const v = readU16(this.buf, this.pos); this.pos += 2; return v }
  u32 (): number { this.need(4); const v = readU32(this.buf, this.pos); this.pos += 4; return v }
  bytes (n: number): Uint8Array { this.need(n); const v = this.buf.slice(this.pos, this.pos + n); this.pos += n; return v }
  /** Assert that nothing is left (for bodies with no trailing padding). */
  end (): void {
    if (this.pos !== this.buf.length) throw new MalformedCellError(`${this.what}: ${this.buf.length - this.pos} trailing bytes`)
  }
}

const HEX = '0123456789abcdef'

/** Lower-case hex. */
export function toHex (bytes: Uint8Array): string {
  let s = ''
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number
    s += (HEX[b >> 4] as string) + (HEX[b & 15] as string)
  }
  return s
}

/** Parse hex (either case, no separators); throws RangeError on bad input (a programming error, not wire input). */
export function fromHex (hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new RangeError('fromHex: invalid hex string')
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return out
}

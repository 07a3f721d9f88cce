/**
 * Strict base64url (RFC 4648 §5) without padding. Decoding is canonical: it
 * refuses any character outside the alphabet, a length that no byte string
 * encodes to (length ≡ 1 mod 4), and non-zero unused trailing bits, so every
 * byte string has exactly one accepted encoding. Returns null on bad input.
 */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const LOOKUP = new Int16Array(128).fill(-1)
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i

export function base64urlEncode (bytes: Uint8Array): string {
  let out = ''
  let i = 0
  for (; i + 3 <= bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number)
    out += (ALPHABET[n >> 18] as string) + (ALPHABET[(n >> 12) & 63] as string) + (ALPHABET[(n >> 6) & 63] as string) + (ALPHABET[n & 63] as string)
  }
  const rest = bytes.length - i
  if (rest === 1) {
    const n = (bytes[i] as number) << 16
    out += (ALPHABET[n >> 18] as string) + (ALPHABET[(n >> 12) & 63] as string)
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8)
    out += (ALPHABET[n >> 18] as string) + (ALPHABET[(n >> 12) & 63] as string) + (ALPHABET[(n >> 6) & 63] as string)
  }
  return out
}

/** Length of the unpadded base64url encoding of `n` bytes. */
export function base64urlLength (n: number): number {
  return Math.ceil((n * 4) / 3)
}

export function base64urlDecode (text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null
  const out = new Uint8Array(Math.floor((text.length * 3) / 4))
  let acc = 0
  let bits = 0
  let o = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    const v = c < 128 ? (LOOKUP[c] as number) : -1
    if (v < 0) return null
    acc = (acc << 6) | v
    bits += 6
    if (bits >= 8) {
      bits -= 8
      out[o++] = (acc >> bits) & 0xff
    }
    acc &= (1 << bits) - 1
  }
  if (acc !== 0) return null // non-canonical: unused bits must be zero
  return out
}

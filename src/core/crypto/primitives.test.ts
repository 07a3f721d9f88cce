import { describe, expect, it } from 'vitest'
import { fromHex, toHex } from '../bytes.ts'
import { LowOrderPointError } from '../errors.ts'
import { chacha20Xor, hkdfExpand, hkdfExtract, hkdfSha256, x25519PublicKey, x25519Shared } from './primitives.ts'

const range = (from: number, to: number): Uint8Array => Uint8Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('X25519 (RFC 7748)', () => {
  it('§5.2 test vectors', () => {
    expect(toHex(x25519Shared(
      fromHex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
      fromHex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c')
    ))).toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552')
    expect(toHex(x25519Shared(
      fromHex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d'),
      fromHex('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493')
    ))).toBe('95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957')
  })

  it('§6.1 Diffie-Hellman', () => {
    const a = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')
    const b = fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb')
    const A = x25519PublicKey(a)
    const B = x25519PublicKey(b)
    expect(toHex(A)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a')
    expect(toHex(B)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f')
    const k = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'
    expect(toHex(x25519Shared(a, B))).toBe(k)
    expect(toHex(x25519Shared(b, A))).toBe(k)
  })

  it('rejects low-order points (all-zero shared secret, RFC 7748 §6.1) with LowOrderPointError', () => {
    const lowOrder = [
      '0000000000000000000000000000000000000000000000000000000000000000',
      '0100000000000000000000000000000000000000000000000000000000000000',
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'
    ]
    const secret = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')
    for (const u of lowOrder) expect(() => x25519Shared(secret, fromHex(u)), u).toThrow(LowOrderPointError)
  })
})

describe('HKDF-SHA256 (RFC 5869 appendix A)', () => {
  it('A.1 basic', () => {
    const ikm = new Uint8Array(22).fill(0x0b)
    const salt = range(0x00, 0x0c)
    const info = range(0xf0, 0xf9)
    expect(toHex(hkdfExtract(ikm, salt))).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5')
    expect(toHex(hkdfSha256(ikm, salt, info, 42))).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865')
  })

  it('A.2 longer inputs', () => {
    const prk = hkdfExtract(range(0x00, 0x4f), range(0x60, 0xaf))
    expect(toHex(prk)).toBe('06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244')
    expect(toHex(hkdfExpand(prk, range(0xb0, 0xff), 82))).toBe(
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87')
  })

  it('A.3 zero-length salt and info', () => {
    const ikm = new Uint8Array(22).fill(0x0b)
    expect(toHex(hkdfExtract(ikm, new Uint8Array(0)))).toBe('19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04')
    expect(toHex(hkdfSha256(ikm, new Uint8Array(0), new Uint8Array(0), 42))).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8')
  })
})

describe('ChaCha20 (RFC 8439)', () => {
  it('§2.4.2 sunscreen vector', () => {
    const key = range(0x00, 0x1f)
    const nonce = fromHex('000000000000004a00000000')
    const plaintext = new TextEncoder().encode("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.")
    const ct = chacha20Xor(key, nonce, 1, plaintext)
    expect(toHex(ct)).toBe(
      '6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d807ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d')
    // in place, and decryption is the same operation
    chacha20Xor(key, nonce, 1, ct, ct)
    expect(ct).toEqual(plaintext)
  })
})

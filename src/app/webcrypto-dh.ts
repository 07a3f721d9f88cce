/**
 * X25519 (RFC 7748) through Web Crypto for the ntor handshakes: native code,
 * several times faster than a JavaScript implementation, injected into the
 * core router as its `X25519Dh`. Raw 32-byte secrets are imported as PKCS#8
 * (RFC 8410 §7: the fixed 16-byte prefix for an X25519 private key).
 *
 * Before use it checks itself against RFC 7748 §6.1's test vector; a browser
 * without (correct) X25519 in Web Crypto gets noble's instead.
 */
import { LowOrderPointError } from '../core/errors.ts'
import { nobleDh, type X25519Dh } from '../core/crypto/index.ts'

/** RFC 8410 §7: SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.110 }, OCTET STRING { OCTET STRING (32) } }. */
const PKCS8_X25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20])
const ALGORITHM = { name: 'X25519' }

function pkcs8 (secret: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(PKCS8_X25519_PREFIX.length + 32)
  out.set(PKCS8_X25519_PREFIX)
  out.set(secret, PKCS8_X25519_PREFIX.length)
  return out
}

function fromBase64url (s: string): Uint8Array {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4)
  return Uint8Array.from(atob(b64), c => c.charCodeAt(0))
}

/** Ephemeral key pairs kept ready for handshakes (each circuit build uses one per hop, each CREATE one). */
export const EPHEMERAL_POOL_SIZE = 8

export function createWebCryptoDh (subtle: SubtleCrypto = crypto.subtle): X25519Dh {
  // The relay's onion secret is used for every CREATE: import it once. Pooled
  // ephemerals are entered here too, so using them needs no import.
  const imported = new WeakMap<Uint8Array, Promise<CryptoKey>>()
  // A public key used twice in a row (ntor's EXP(X,y) and EXP(X,b)) is imported once.
  const importedPublic = new WeakMap<Uint8Array, Promise<CryptoKey>>()
  const pool: Array<{ secret: Uint8Array, publicKey: Uint8Array }> = []
  let filling = false
  const generate = async (): Promise<{ secret: Uint8Array, publicKey: Uint8Array }> => {
    const pair = await subtle.generateKey(ALGORITHM, true, ['deriveBits']) as CryptoKeyPair
    const [der, raw] = await Promise.all([subtle.exportKey('pkcs8', pair.privateKey), subtle.exportKey('raw', pair.publicKey)])
    const secret = new Uint8Array(der).slice(PKCS8_X25519_PREFIX.length)
    imported.set(secret, Promise.resolve(pair.privateKey))
    return { secret, publicKey: new Uint8Array(raw) }
  }
  const refill = (): void => {
    if (filling || pool.length >= EPHEMERAL_POOL_SIZE) return
    filling = true
    void generate().then((p) => { pool.push(p) }, () => {}).finally(() => { filling = false; refill() })
  }
  const privateKey = (secret: Uint8Array): Promise<CryptoKey> => {
    let key = imported.get(secret)
    if (key == null) {
      key = subtle.importKey('pkcs8', pkcs8(secret), ALGORITHM, true, ['deriveBits'])
      imported.set(secret, key)
    }
    return key
  }
  return {
    async publicKey (secret) {
      const jwk = await subtle.exportKey('jwk', await privateKey(secret))
      if (typeof jwk.x !== 'string') throw new Error('X25519 JWK without x')
      return fromBase64url(jwk.x)
    },
    async ephemeral () {
      // The pool refills when a handshake's X25519 has finished (in shared()
      // below), not now: Web Crypto runs operations in the order they are
      // asked for, so a refill asked for now would sit in front of that
      // X25519, on the handshake's critical path. An empty pool makes a pair here.
      return pool.shift() ?? await generate()
    },
    release (secret) {
      // The CryptoKey made from an ephemeral holds the scalar inside the
      // browser; dropping our only reference lets it go with the handshake,
      // instead of living as long as the (zeroed) array it was keyed by.
      imported.delete(secret)
    },
    async shared (secret, publicKey) {
      let bits: ArrayBuffer
      try {
        let peerKey = importedPublic.get(publicKey)
        if (peerKey == null) {
          peerKey = subtle.importKey('raw', Uint8Array.from(publicKey), ALGORITHM, false, [])
          importedPublic.set(publicKey, peerKey)
        }
        const peer = await peerKey
        bits = await subtle.deriveBits({ name: 'X25519', public: peer }, await privateKey(secret), 256)
      } catch {
        throw new LowOrderPointError() // Web Crypto refuses an all-zero result (and malformed points)
      }
      refill()
      const out = new Uint8Array(bits)
      if (out.every(b => b === 0)) throw new LowOrderPointError()
      return out
    }
  }
}

const hex = (h: string): Uint8Array => Uint8Array.from(h.match(/../g) ?? [], b => parseInt(b, 16))

/**
 * RFC 7748 §6.1's inputs (Alice's secret, Bob's public key) through `dh` must
 * give what noble gives (noble is checked against the RFC's outputs in
 * core/crypto/primitives.test.ts).
 */
export async function selfTest (dh: X25519Dh): Promise<boolean> {
  try {
    const alicePriv = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')
    const bobPub = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f')
    const [pub, shared, refPub, refShared] = await Promise.all([
      dh.publicKey(alicePriv), dh.shared(alicePriv, bobPub), nobleDh.publicKey(alicePriv), nobleDh.shared(alicePriv, bobPub)
    ])
    const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, k) => x === b[k])
    // A generated ephemeral's secret must be the scalar of its public key.
    const eph = await dh.ephemeral?.()
    const ephOk = eph == null || same(eph.publicKey, await nobleDh.publicKey(eph.secret))
    return same(pub, refPub) && same(shared, refShared) && ephOk
  } catch {
    return false
  }
}

/** Web Crypto's X25519 when it passes the RFC vector, otherwise noble's. */
export async function bestDh (): Promise<X25519Dh> {
  if (typeof crypto === 'undefined' || crypto.subtle == null) return nobleDh
  const web = createWebCryptoDh()
  return (await selfTest(web)) ? web : nobleDh
}

/**
 * Counter Galois Onion (CGO) relay crypto: Tor proposal 359 ("CGO redux"),
 * as arti implements it (crates/tor-proto/src/crypto/cell/cgo.rs) and as the
 * paper defines it (Degabriele, Melloni, Münch, Stam, "Counter Galois Onion",
 * https://eprint.iacr.org/2025/583).
 *
 * The threat it answers: tor1 (relay-crypto.ts) is a plain XOR stream per hop
 * with a digest checked only where the cell is recognized. XOR commutes, so a
 * colluding first hop can XOR a pattern into a cell and a colluding last hop
 * can XOR it back out before the digest is checked: the cell is recognized and
 * the honest middle never notices. The pair has confirmed they carry the same
 * circuit ("tagging"), which is exactly what onion routing must not allow.
 *
 * The idea: each hop and direction runs UIV+, a tweakable *wide-block* cipher
 * whose encryption direction is non-malleable. Relays only ever *encrypt*
 * (outbound they "decrypt" a client layer by running UIV+ encryption; inbound
 * they add a layer by encryption), the client only ever *decrypts*. Changing
 * any bit of a cell before an honest relay encrypts it turns the whole cell
 * into unrelated garbage, which the attacker cannot undo. And the tweak of
 * every cell includes the previous cell's tag T' (the "tag chaining"), so the
 * garbage also spreads to every later cell in that direction: the circuit is
 * dead, the target hop fails to recognize the cell, and it destroys the
 * circuit (tor-spec: an unrecognized cell at the last hop is a violation).
 *
 * Cell body = T (16-byte tag) | C (payload). The parts, with prop 359's
 * names (as arti's cgo.rs quotes them in its comments):
 *   ET  — an LRW2 tweakable block cipher: ENC_ET((KB,KU), tw, M) =
 *         UH(KU,tw) ^ AES(KB, M ^ UH(KU,tw)); UH = POLYVAL (RFC 8452).
 *   PRF — PRF((K,B), tw, t) = AES-CTR(K, IV = UH(B,tw) + t·n1); t=0 gives the
 *         payload keystream, t=1 (counter offset n1) gives fresh keys.
 *   UIV+— ENC((J,S), H, (X_L,X_R)): Y_L = ENC_ET(J, H|X_R, X_L);
 *                                   Y_R = X_R ^ PRF(S, Y_L, 0).
 *   UPDATE((J,S), N): (J', S', N') = PRF(S, N, 1) — the keys change after every
 *         cell a hop originates or recognizes (forward secrecy per cell).
 * H = T' (previous tag of this direction) | AD, where AD is the link command
 * byte (RELAY or RELAY_EARLY), so a cell cannot be moved between the two.
 *
 * Recognition: the sender puts the hop's current nonce N in T; after its
 * layer, the target hop sees T == N (a 128-bit check instead of tor1's
 * recognized + 4-byte digest).
 *
 * Generalised body length. Tor's body is 509 bytes (C = 493 = 31 blocks, and
 * arti's PRF_N1_OFFSET is 31 blocks). Shallot's relay body is 1021 bytes
 * (C = 1005); the t=1 offset must stay past the t=0 stream or the next keys
 * would be bytes of the keystream that just encrypted the payload, so we use
 * n1 = ceil(C / 16) blocks, which is exactly 31 for Tor's 493 bytes: with
 * bodyLen 509 this module reproduces arti's published vectors unchanged
 * (test/vectors/cgo-arti.json), and with 1021 it is Shallot's CGO
 * (test/vectors/cgo-shallot.json).
 *
 * Block cipher: AES-128 for both ET and PRF, as arti's `CgoRelayCrypto`
 * (crypto/cell.rs: CryptStatePair<Aes128, Aes128Enc>) and C tor use.
 * AES and POLYVAL are @noble/ciphers' (not hand-written); we use its
 * low-level `unsafe` block/CTR helpers so key schedules are expanded once per
 * key change instead of once per block.
 */
import { unsafe as aes } from '@noble/ciphers/aes.js'
import { Polyval } from '@noble/ciphers/_polyval.js'
import { DigestMismatchError } from '../errors.ts'

const BLK = 16
/** CGO's tag T (and nonce N, and SENDME tag): one AES block. Prop 359. */
export const CGO_TAG_LEN = BLK
const AES_KEY_LEN = 16
const POLYVAL_KEY_LEN = 16
/** ET key (KB | KU) and PRF key (K | B), each AES-128 key | POLYVAL key. */
const ET_SEED_LEN = AES_KEY_LEN + POLYVAL_KEY_LEN
const PRF_SEED_LEN = AES_KEY_LEN + POLYVAL_KEY_LEN
/** UIV+ keys (J | S). */
export const CGO_UIV_SEED_LEN = ET_SEED_LEN + PRF_SEED_LEN
/** One direction's initial state: K = (J | S), then N (arti CryptState::seed_len). */
export const CGO_STATE_SEED_LEN = CGO_UIV_SEED_LEN + BLK
/** Tor's relay cell body (CELL_DATA_LEN = 509): the length the published vectors use. */
export const TOR_CELL_BODY_LEN = 509

/** POLYVAL that can be reset to its key's empty state, so its key table is built once per key. */
class KeyedPolyval extends Polyval {
  reset (): this {
    this.s0 = 0; this.s1 = 0; this.s2 = 0; this.s3 = 0
    this.finished = false
    return this
  }
}

/** Constant-time equality of two 16-byte blocks. */
function blockEquals (a: Uint8Array, aOff: number, b: Uint8Array): boolean {
  let diff = 0
  for (let i = 0; i < BLK; i++) diff |= (a[aOff + i] as number) ^ (b[i] as number)
  return diff === 0
}

/** Add `n` to a 16-byte big-endian counter in place (arti: Ctr128BE seek). */
function addToCounter (ctr: Uint8Array, n: number): void {
  let carry = n
  for (let i = BLK - 1; i >= 0 && carry > 0; i--) {
    const s = (ctr[i] as number) + (carry & 0xff)
    ctr[i] = s & 0xff
    carry = (carry >>> 8) + (s >>> 8)
  }
}

/**
 * The hop-direction parameters that depend on the body length: C's length and
 * the PRF's t=1 counter offset n1 (see the module doc).
 */
export interface CgoShape {
  readonly bodyLen: number
  readonly payloadLen: number
  readonly n1Blocks: number
  /** Mask for the PRF IV's last byte: its low bits are cleared (see CgoPrf). */
  readonly ivLastByteMask: number
}

export function cgoShape (bodyLen: number): CgoShape {
  if (!Number.isInteger(bodyLen) || bodyLen <= BLK + 15) throw new RangeError('cgoShape: body too short')
  const payloadLen = bodyLen - CGO_TAG_LEN
  const n1Blocks = Math.ceil(payloadLen / BLK)
  // Blocks one tweak's PRF ever reads: the payload stream, then the key update.
  const window = n1Blocks + Math.ceil((CGO_UIV_SEED_LEN + BLK) / BLK)
  const lowBits = Math.ceil(Math.log2(window))
  if (lowBits > 8) throw new RangeError('cgoShape: body too long for a one-byte counter window')
  return { bodyLen, payloadLen, n1Blocks, ivLastByteMask: (0xff << lowBits) & 0xff }
}

/**
 * ET: LRW2 tweakable block cipher over AES with POLYVAL (prop 359 "ET";
 * arti `et::EtCipher`). The tweak is T' | AD | X_R, hashed as one zero-padded
 * POLYVAL message.
 */
export class CgoEt {
  private readonly kb: Uint8Array
  private xkEnc: Uint32Array | undefined
  private xkDec: Uint32Array | undefined
  private readonly ku: KeyedPolyval
  private readonly mask = new Uint8Array(BLK)
  private readonly block = new Uint8Array(BLK)

  constructor (seed: Uint8Array) {
    if (seed.length !== ET_SEED_LEN) throw new RangeError(`CgoEt: key must be ${ET_SEED_LEN} bytes`)
    this.kb = seed.slice(0, AES_KEY_LEN)
    this.ku = new KeyedPolyval(seed.subarray(AES_KEY_LEN))
  }

  /** UH(KU, tweak): `tweak` is the whole tweak string (T' | AD | X_R). */
  private hashTweak (tweak: Uint8Array): void {
    this.ku.reset().update(tweak).digestInto(this.mask)
  }

  private run (tweak: Uint8Array, m: Uint8Array, mOff: number, encrypt: boolean): void {
    this.hashTweak(tweak)
    const b = this.block
    for (let i = 0; i < BLK; i++) b[i] = (m[mOff + i] as number) ^ (this.mask[i] as number)
    if (encrypt) aes.encryptBlock(this.xkEnc ??= aes.expandKeyLE(this.kb), b)
    else aes.decryptBlock(this.xkDec ??= aes.expandKeyDecLE(this.kb), b)
    for (let i = 0; i < BLK; i++) m[mOff + i] = (b[i] as number) ^ (this.mask[i] as number)
  }

  /** ENC_ET in place on m[mOff .. mOff+16]. */
  encrypt (tweak: Uint8Array, m: Uint8Array, mOff = 0): void { this.run(tweak, m, mOff, true) }
  /** DEC_ET in place on m[mOff .. mOff+16]. */
  decrypt (tweak: Uint8Array, m: Uint8Array, mOff = 0): void { this.run(tweak, m, mOff, false) }

  wipe (): void {
    this.kb.fill(0); this.xkEnc?.fill(0); this.xkDec?.fill(0); this.mask.fill(0); this.block.fill(0)
    this.ku.destroy()
  }
}

/**
 * PRF((K,B), tw, t) = AES-CTR(K, IV + t·n1) with IV = UH(B, tw) whose last
 * byte has its low bits cleared (prop 359 "PRF"; arti `prf::Prf`: a 128-bit
 * big-endian counter, `iv[15] &= 0xC0`). Clearing them makes every IV the start
 * of an aligned window of 2^bits blocks, so the counter never carries out of
 * the last byte and two tweaks' keystreams can only coincide if their masked
 * IVs are equal. Tor reads 31 + 5 = 36 blocks per tweak (window 64: 6 bits,
 * arti's 0xC0); Shallot's 1021-byte body reads 63 + 5 = 68 (window 128: 7 bits,
 * 0x80). cgoShape derives the mask from the body length.
 */
export class CgoPrf {
  private readonly xk: Uint32Array
  private readonly b: KeyedPolyval
  private readonly iv = new Uint8Array(BLK)
  private readonly tw = new Uint8Array(BLK)

  constructor (seed: Uint8Array, private readonly shape: CgoShape) {
    if (seed.length !== PRF_SEED_LEN) throw new RangeError(`CgoPrf: key must be ${PRF_SEED_LEN} bytes`)
    this.xk = aes.expandKeyLE(seed.slice(0, AES_KEY_LEN))
    this.b = new KeyedPolyval(seed.subarray(AES_KEY_LEN))
  }

  private startIv (tweak: Uint8Array, tweakOff: number): void {
    this.tw.set(tweak.subarray(tweakOff, tweakOff + BLK))
    this.b.reset().update(this.tw).digestInto(this.iv)
    this.iv[BLK - 1] = (this.iv[BLK - 1] as number) & this.shape.ivLastByteMask
  }

  /** XOR PRF(S, tweak, 0) into `data` (payloadLen bytes, 4-byte aligned). */
  xorN0 (tweak: Uint8Array, tweakOff: number, data: Uint8Array): void {
    if (data.length !== this.shape.payloadLen) throw new RangeError('CgoPrf.xorN0: wrong payload length')
    this.startIv(tweak, tweakOff)
    aes.ctrCounter(this.xk, this.iv, data, data)
  }

  /** The first `n` bytes of PRF(S, tweak, 1). */
  n1 (tweak: Uint8Array, n: number): Uint8Array {
    this.startIv(tweak, 0)
    addToCounter(this.iv, this.shape.n1Blocks)
    const out = new Uint8Array(n)
    aes.ctrCounter(this.xk, this.iv, out, out)
    return out
  }

  wipe (): void { this.xk.fill(0); this.iv.fill(0); this.tw.fill(0); this.b.destroy() }
}

/**
 * UIV+ over one relay cell body (prop 359 "UIV+"; arti `uiv::Uiv`). Works in
 * place on a 4-byte-aligned body buffer of shape.bodyLen bytes.
 */
export class CgoUiv {
  private j: CgoEt
  private s: CgoPrf
  /** T' | AD | X_R: the ET tweak, rebuilt per cell. */
  private readonly tweak: Uint8Array
  /** The key material currently in use (for the update vectors). */
  private current: Uint8Array

  constructor (seed: Uint8Array, private readonly shape: CgoShape) {
    if (seed.length !== CGO_UIV_SEED_LEN) throw new RangeError(`CgoUiv: key must be ${CGO_UIV_SEED_LEN} bytes`)
    this.current = seed.slice()
    this.j = new CgoEt(seed.subarray(0, ET_SEED_LEN))
    this.s = new CgoPrf(seed.subarray(ET_SEED_LEN), shape)
    this.tweak = new Uint8Array(BLK + 1 + shape.payloadLen)
  }

  get keys (): Uint8Array { return this.current.slice() }

  private setTweak (tPrime: Uint8Array, ad: number, body: Uint8Array): void {
    this.tweak.set(tPrime)
    this.tweak[BLK] = ad
    this.tweak.set(body.subarray(BLK), BLK + 1)
  }

  /** ENC_UIV((J,S), (T', AD), body) in place. */
  encrypt (tPrime: Uint8Array, ad: number, body: Uint8Array): void {
    this.setTweak(tPrime, ad, body)
    this.j.encrypt(this.tweak, body, 0)
    this.s.xorN0(body, 0, body.subarray(BLK))
  }

  /** DEC_UIV((J,S), (T', AD), body) in place. */
  decrypt (tPrime: Uint8Array, ad: number, body: Uint8Array): void {
    this.s.xorN0(body, 0, body.subarray(BLK))
    this.setTweak(tPrime, ad, body)
    this.j.decrypt(this.tweak, body, 0)
  }

  /** UPDATE_UIV: new (J, S) and nonce from PRF(S, N, 1); `nonce` is replaced in place. */
  update (nonce: Uint8Array): void {
    const seed = this.s.n1(nonce, CGO_UIV_SEED_LEN + BLK)
    this.j.wipe(); this.s.wipe(); this.current.fill(0)
    this.current = seed.slice(0, CGO_UIV_SEED_LEN)
    this.j = new CgoEt(seed.subarray(0, ET_SEED_LEN))
    this.s = new CgoPrf(seed.subarray(ET_SEED_LEN, CGO_UIV_SEED_LEN), this.shape)
    nonce.set(seed.subarray(CGO_UIV_SEED_LEN))
    seed.fill(0)
  }

  wipe (): void { this.j.wipe(); this.s.wipe(); this.current.fill(0); this.tweak.fill(0) }
}

/**
 * One direction of one hop, at the client or at the relay: keys K, nonce N,
 * previous tag T' (arti `CryptState`; T' starts as zeros). The method names
 * are arti's layer operations; each works in place on a 4-byte-aligned body.
 */
export class CgoState {
  readonly uiv: CgoUiv
  readonly nonce = new Uint8Array(BLK)
  readonly tag = new Uint8Array(BLK)
  /** The SENDME tag of the last cell this side originated or recognized. */
  readonly lastTag = new Uint8Array(BLK)
  private readonly saved = new Uint8Array(BLK)

  constructor (seed: Uint8Array, readonly shape: CgoShape) {
    if (seed.length !== CGO_STATE_SEED_LEN) throw new RangeError(`CgoState: seed must be ${CGO_STATE_SEED_LEN} bytes`)
    this.uiv = new CgoUiv(seed.subarray(0, CGO_UIV_SEED_LEN), shape)
    this.nonce.set(seed.subarray(CGO_UIV_SEED_LEN))
  }

  private check (body: Uint8Array): void {
    if (body.length !== this.shape.bodyLen) throw new RangeError(`CGO: body must be ${this.shape.bodyLen} bytes`)
    if (body.byteOffset % 4 !== 0) throw new RangeError('CGO: body must be 4-byte aligned')
  }

  // Client side: the client only ever runs UIV+ *decryption* (prop 359).

  /** Client, one layer of an outbound cell it sends through this hop (arti ClientOutbound::encrypt_outbound). */
  clientEncryptOutbound (ad: number, body: Uint8Array): void {
    this.check(body)
    this.saved.set(body.subarray(0, BLK))
    this.uiv.decrypt(this.tag, ad, body)
    this.tag.set(this.saved)
  }

  /** Client, the innermost layer of a cell for this hop: T = N, then rekey (arti originate_for). */
  clientOriginate (ad: number, body: Uint8Array): void {
    this.check(body)
    body.set(this.nonce, 0)
    this.clientEncryptOutbound(ad, body)
    this.uiv.update(this.nonce)
    this.lastTag.set(body.subarray(0, BLK))
  }

  /** Client, one layer of an inbound cell; true if this hop originated it (arti ClientInbound::decrypt_inbound). */
  clientDecryptInbound (ad: number, body: Uint8Array): boolean {
    this.check(body)
    this.saved.set(body.subarray(0, BLK))
    this.uiv.decrypt(this.tag, ad, body)
    this.tag.set(this.saved)
    if (!blockEquals(body, 0, this.nonce)) return false
    this.nonce.set(this.saved)
    this.uiv.update(this.nonce)
    this.lastTag.set(this.saved)
    return true
  }

  // Relay side: a relay only ever runs UIV+ *encryption*, the non-malleable direction.

  /** Relay, an outbound cell: remove the client's layer; true if it is for us (arti RelayOutbound::decrypt_outbound). */
  relayDecryptOutbound (ad: number, body: Uint8Array): boolean {
    this.check(body)
    this.saved.set(body.subarray(0, BLK))
    this.uiv.encrypt(this.tag, ad, body)
    this.tag.set(body.subarray(0, BLK))
    if (!blockEquals(this.tag, 0, this.nonce)) return false
    this.uiv.update(this.nonce)
    this.lastTag.set(this.saved)
    return true
  }

  /** Relay, an inbound cell from the next hop: add our layer (arti RelayInbound::encrypt_inbound). */
  relayEncryptInbound (ad: number, body: Uint8Array): void {
    this.check(body)
    this.uiv.encrypt(this.tag, ad, body)
    this.tag.set(body.subarray(0, BLK))
  }

  /** Relay, a cell it originates toward the client: T = N, encrypt, rekey from the new T (arti RelayInbound::originate). */
  relayOriginate (ad: number, body: Uint8Array): void {
    this.check(body)
    body.set(this.nonce, 0)
    this.relayEncryptInbound(ad, body)
    this.nonce.set(body.subarray(0, BLK))
    this.uiv.update(this.nonce)
    this.lastTag.set(this.tag)
  }

  wipe (): void { this.uiv.wipe(); this.nonce.fill(0); this.tag.fill(0); this.lastTag.fill(0); this.saved.fill(0) }
}

// ---------------------------------------------------------------------------
// Circuits: the client's stack of layers and a relay's single layer, with the
// same operations as tor1's ClientCircuitCrypto / RelayCircuitCrypto
// (relay-crypto.ts), so a router can use either.

/** Handshake output one hop needs: forward state (K | N), then backward state (arti CryptStatePair, without the circuit binding Shallot has no use for). */
export const CGO_KEY_MATERIAL_LEN = 2 * CGO_STATE_SEED_LEN

/** Both directions of one hop. `forward` = client → relay. */
export interface CgoHop {
  readonly forward: CgoState
  readonly backward: CgoState
}

export function cgoHopFromMaterial (material: Uint8Array, shape: CgoShape): CgoHop {
  if (material.length !== CGO_KEY_MATERIAL_LEN) throw new RangeError(`CGO: need ${CGO_KEY_MATERIAL_LEN} bytes of key material`)
  return {
    forward: new CgoState(material.subarray(0, CGO_STATE_SEED_LEN), shape),
    backward: new CgoState(material.subarray(CGO_STATE_SEED_LEN), shape)
  }
}

/**
 * Bodies arrive as views into link cells (offset 5, unaligned); noble's AES
 * works on 32-bit words, so each cell is processed in one aligned buffer and
 * copied back once.
 */
class AlignedWork {
  readonly buf: Uint8Array
  constructor (readonly shape: CgoShape) { this.buf = new Uint8Array(shape.bodyLen) }
  load (body: Uint8Array): Uint8Array {
    if (body.length !== this.shape.bodyLen) throw new RangeError(`CGO: body must be ${this.shape.bodyLen} bytes`)
    this.buf.set(body)
    return this.buf
  }
  store (body: Uint8Array): void { body.set(this.buf) }
}

/** The client's view of a circuit: one CgoHop per hop, hop 0 nearest. */
export class CgoClientCircuitCrypto {
  private readonly hops: CgoHop[] = []
  private readonly work: AlignedWork

  constructor (readonly shape: CgoShape) { this.work = new AlignedWork(shape) }

  get length (): number { return this.hops.length }

  /** Append a hop after a successful CREATED / EXTENDED handshake. */
  addHop (material: Uint8Array): void { this.hops.push(cgoHopFromMaterial(material, this.shape)) }

  /** Forget hops beyond `length` (after TRUNCATED). */
  truncate (length: number): void {
    for (const h of this.hops.splice(length)) { h.forward.wipe(); h.backward.wipe() }
  }

  private hop (i: number): CgoHop {
    const h = this.hops[i]
    if (h === undefined) throw new RangeError(`no hop ${i} on this circuit`)
    return h
  }

  /**
   * Onion-encrypt a body in place so that hop `target` recognizes it. The
   * first 16 bytes (T) are overwritten with that hop's nonce; the message is
   * in the rest. `ad` is the link command the cell travels in.
   */
  encryptOutbound (body: Uint8Array, target: number, ad: number): void {
    const w = this.work.load(body)
    this.hop(target).forward.clientOriginate(ad, w)
    for (let i = target - 1; i >= 0; i--) this.hop(i).forward.clientEncryptOutbound(ad, w)
    this.work.store(body)
  }

  /**
   * Remove layers from an inbound body in place, hop 0 first, until one
   * recognizes it (T == its nonce); returns that hop's index. None → the cell
   * was modified, replayed, reordered or dropped somewhere (and, CGO's point,
   * every later cell is garbage too): DigestMismatchError, and the circuit
   * must be destroyed.
   */
  decryptInbound (body: Uint8Array, ad: number): number {
    const w = this.work.load(body)
    for (let i = 0; i < this.hops.length; i++) {
      if (this.hop(i).backward.clientDecryptInbound(ad, w)) { this.work.store(body); return i }
    }
    throw new DigestMismatchError('inbound relay cell recognized by no hop (CGO tag mismatch)')
  }

  /** SENDME tag of the last cell sent to `hop` (prop 359: T of the cell as that hop received it). */
  lastOutboundTag (hop: number): Uint8Array { return this.hop(hop).forward.lastTag.slice() }
  /** SENDME tag of the last cell received from `hop`. */
  lastInboundTag (hop: number): Uint8Array { return this.hop(hop).backward.lastTag.slice() }

  wipe (): void { this.truncate(0); this.work.buf.fill(0) }
}

/** A relay's view of one circuit passing through it. */
export class CgoRelayCircuitCrypto {
  private readonly hop: CgoHop
  private readonly work: AlignedWork

  constructor (material: Uint8Array, readonly shape: CgoShape) {
    this.hop = cgoHopFromMaterial(material, shape)
    this.work = new AlignedWork(shape)
  }

  /**
   * An outbound cell from the previous hop: run our layer in place. True if it
   * is for us; otherwise forward it, or, at the last hop, destroy the circuit
   * (an unrecognized cell there is what a tagging attempt looks like).
   */
  decryptOutbound (body: Uint8Array, ad: number): boolean {
    const w = this.work.load(body)
    const mine = this.hop.forward.relayDecryptOutbound(ad, w)
    this.work.store(body)
    return mine
  }

  /** A cell we originate toward the client. */
  originateInbound (body: Uint8Array, ad: number): void {
    this.hop.backward.relayOriginate(ad, this.work.load(body))
    this.work.store(body)
  }

  /** A cell from the next hop toward the client: add our layer. */
  forwardInbound (body: Uint8Array, ad: number): void {
    this.hop.backward.relayEncryptInbound(ad, this.work.load(body))
    this.work.store(body)
  }

  lastOutboundTag (): Uint8Array { return this.hop.forward.lastTag.slice() }
  lastInboundTag (): Uint8Array { return this.hop.backward.lastTag.slice() }

  wipe (): void { this.hop.forward.wipe(); this.hop.backward.wipe(); this.work.buf.fill(0) }
}

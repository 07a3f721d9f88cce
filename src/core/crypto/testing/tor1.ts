/**
 * TEST-ONLY REFERENCE, NOT SHIPPED (nothing outside tests and the crypto
 * bench imports it): tor1, the relay crypto Shallot used before CGO
 * (crypto/cgo.ts) replaced it on the wire. It stays as the foil of the
 * tagging tests (crypto/cgo.test.ts: "tor1 lets the same tag through") and
 * the baseline of scripts/bench-cell-crypto.ts. Its body layout is tor1's
 * (recognized at 1, digest at 5..9), which the all-zero T of a CGO-format
 * plaintext body (cell/relay.ts) happens to satisfy.
 *
 * Relay crypto: Tor's "tor1" onion layers (tor-spec §6.1, keys per §5.2.2)
 * with ChaCha20 in place of AES-128-CTR and SHA-256 in place of SHA-1.
 *
 * Each hop shares four secrets with the client, one pair per direction:
 * a stream cipher key (Kf forward, Kb backward) and a running digest seed
 * (Df, Db). Every relay cell body on a circuit is XORed with one keystream
 * segment per hop it crosses. The hop a cell is for "recognizes" it: after
 * removing its layer the `recognized` field is 0 and the 4-byte `digest`
 * equals the first 4 bytes of SHA-256(D | every body so far in this direction
 * for this hop, each with its digest field zeroed). Since both the keystream
 * position and the digest state run over all cells, a replayed, reordered,
 * dropped or modified cell makes the digest fail at its destination.
 *
 *   client → hop i:   set digest with hop i's forward state, then encrypt with
 *                     Kf of hop i, i-1, …, 0 (outermost last).
 *   relay, outbound:  decrypt one layer; recognized? → for me; else forward.
 *   relay, inbound:   cells from the next hop get one more layer (Kb);
 *                     cells it originates: set digest, then encrypt.
 *   client, inbound:  peel layers 0, 1, …; the first hop whose digest matches
 *                     sent it; none → DigestMismatchError (circuit must close).
 *
 * Key material (RELAY_KEY_MATERIAL_LEN = 152 bytes of ntor output), in order:
 *   Df 32 | Db 32 | Kf 32 | Kb 32 | Nf 12 | Nb 12
 * (tor-spec §5.2.2 order Df|Db|Kf|Kb, followed by the two ChaCha20 nonces.)
 *
 * Keystream: cell number c (0, 1, …) in one direction uses ChaCha20 blocks
 * 16c … 16c+15 (RFC 8439 block counter), i.e. 1024 bytes of which the 1021-byte
 * body uses the first 1021; the last 3 are discarded, never reused. The 32-bit
 * block counter thus allows 2^28 - 1 cells per hop and direction (~275 GB); the
 * next cell throws KeystreamExhaustedError. (Tor's AES-CTR stream instead
 * continues mid-block; discarding is simpler and keeps every cell block-aligned.)
 */
import { chacha20 } from '@noble/ciphers/chacha.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { DigestMismatchError, KeystreamExhaustedError } from '../../errors.ts'
import { RELAY_BODY_LEN } from '../../cell/relay.ts'

/** tor1's relay header fields (tor-spec §6.1): recognized at 1..3, digest at 5..9. */
const RELAY_RECOGNIZED_OFFSET = 1
const RELAY_DIGEST_OFFSET = 5
const RELAY_DIGEST_LEN = 4

/** One direction's running SHA-256 (tor-spec §6.1): peek a candidate, commit it once recognized. */
interface RunningDigest { peek(body: Uint8Array, out: Uint8Array): void, commit(): void, wipe(): void }
type RunningDigestFactory = (seed: Uint8Array) => RunningDigest
function nobleRunningDigest (seed: Uint8Array): RunningDigest {
  let running = sha256.create().update(seed)
  let pending: typeof running | null = null
  return {
    peek (body, out) { pending = running.clone().update(body); pending.clone().digestInto(out) },
    commit () { if (pending == null) throw new Error('commit without peek'); running = pending; pending = null },
    wipe () { running.destroy(); pending?.destroy() }
  }
}

export const RELAY_DIGEST_KEY_LEN = 32
export const RELAY_CIPHER_KEY_LEN = 32
export const RELAY_NONCE_LEN = 12
/** Bytes of handshake output consumed by {@link deriveRelayKeys}. */
export const RELAY_KEY_MATERIAL_LEN = 2 * RELAY_DIGEST_KEY_LEN + 2 * RELAY_CIPHER_KEY_LEN + 2 * RELAY_NONCE_LEN
/** Full running digest length (what an authenticated SENDME carries). */
export const RELAY_FULL_DIGEST_LEN = 32

/** ChaCha20 blocks consumed per cell: ceil(1021 / 64) = 16. */
const BLOCKS_PER_CELL = Math.ceil(RELAY_BODY_LEN / 64)
const KEYSTREAM_LEN = BLOCKS_PER_CELL * 64
/** RFC 8439's block counter is 32 bits; noble never uses block 2^32 - 1, so blocks 0 … 2^32 - 2 are usable. */
const MAX_COUNTER = 2 ** 32 - 1

export interface RelayKeys {
  readonly df: Uint8Array
  readonly db: Uint8Array
  readonly kf: Uint8Array
  readonly kb: Uint8Array
  readonly nf: Uint8Array
  readonly nb: Uint8Array
}

/** Split handshake key material into the six per-hop secrets (layout above). */
export function deriveRelayKeys (material: Uint8Array): RelayKeys {
  if (material.length !== RELAY_KEY_MATERIAL_LEN) throw new RangeError(`deriveRelayKeys: need ${RELAY_KEY_MATERIAL_LEN} bytes`)
  let o = 0
  const take = (n: number): Uint8Array => { const v = material.slice(o, o + n); o += n; return v }
  const df = take(RELAY_DIGEST_KEY_LEN)
  const db = take(RELAY_DIGEST_KEY_LEN)
  const kf = take(RELAY_CIPHER_KEY_LEN)
  const kb = take(RELAY_CIPHER_KEY_LEN)
  const nf = take(RELAY_NONCE_LEN)
  const nb = take(RELAY_NONCE_LEN)
  return { df, db, kf, kb, nf, nb }
}

function checkBody (body: Uint8Array): void {
  if (body.length !== RELAY_BODY_LEN) throw new RangeError(`relay crypto: body must be ${RELAY_BODY_LEN} bytes`)
}

/** recognized == 0 (tor-spec §6.1). */
function isRecognizedZero (body: Uint8Array): boolean {
  return ((body[RELAY_RECOGNIZED_OFFSET] as number) | (body[RELAY_RECOGNIZED_OFFSET + 1] as number)) === 0
}

/**
 * One direction of one hop: a running ChaCha20 keystream and a running digest
 * (an injected engine, here noble's SHA-256). Fixed scratch buffers are reused.
 */
export class RelayCryptState {
  private readonly key: Uint8Array
  private readonly nonce: Uint8Array
  private counter = 0
  private readonly digest: RunningDigest
  /** 4-byte aligned work buffer: noble's ChaCha20 takes its fast 32-bit path on aligned input. */
  private readonly work = new Uint8Array(KEYSTREAM_LEN)
  private readonly full = new Uint8Array(RELAY_FULL_DIGEST_LEN)
  private readonly saved = new Uint8Array(RELAY_DIGEST_LEN)
  private readonly last = new Uint8Array(RELAY_FULL_DIGEST_LEN)

  constructor (key: Uint8Array, nonce: Uint8Array, digestSeed: Uint8Array, runningDigest: RunningDigestFactory = nobleRunningDigest) {
    if (key.length !== RELAY_CIPHER_KEY_LEN || nonce.length !== RELAY_NONCE_LEN || digestSeed.length !== RELAY_DIGEST_KEY_LEN) {
      throw new RangeError('RelayCryptState: bad key, nonce or digest seed length')
    }
    this.key = key.slice()
    this.nonce = nonce.slice()
    // tor-spec §5.2.2/§6.1: the running digest is seeded with Df (resp. Db).
    this.digest = runningDigest(digestSeed)
  }

  /** XOR the next cell's keystream segment into `body` (encrypt = decrypt). */
  xor (body: Uint8Array): void {
    checkBody(body)
    // Never reuse keystream: the counter only grows; at the end, refuse.
    if (this.counter + BLOCKS_PER_CELL > MAX_COUNTER) throw new KeystreamExhaustedError()
    const w = this.work
    w.set(body)
    chacha20(this.key, this.nonce, w, w, this.counter)
    this.counter += BLOCKS_PER_CELL
    body.set(w.subarray(0, RELAY_BODY_LEN))
  }

  /** Digest of `body` (digest field must already be zero) appended to the running state, into scratch/full. */
  private candidate (body: Uint8Array): void {
    this.digest.peek(body, this.full)
  }

  private commit (): void {
    this.digest.commit()
    this.last.set(this.full)
  }

  /** Sender side: zero the digest field, absorb the body, write the first 4 digest bytes. */
  setDigest (body: Uint8Array): void {
    checkBody(body)
    body.fill(0, RELAY_DIGEST_OFFSET, RELAY_DIGEST_OFFSET + RELAY_DIGEST_LEN)
    this.candidate(body)
    this.commit()
    body.set(this.full.subarray(0, RELAY_DIGEST_LEN), RELAY_DIGEST_OFFSET)
  }

  /**
   * Receiver side (tor-spec §6.1 "recognized"): true when recognized == 0 and
   * the digest matches; only then is the running state advanced. The body is
   * left exactly as given either way (a cell not for us is forwarded intact).
   */
  recognize (body: Uint8Array): boolean {
    checkBody(body)
    if (!isRecognizedZero(body)) return false
    const d = RELAY_DIGEST_OFFSET
    this.saved.set(body.subarray(d, d + RELAY_DIGEST_LEN))
    body.fill(0, d, d + RELAY_DIGEST_LEN)
    this.candidate(body)
    body.set(this.saved, d)
    // constant-time 4-byte compare
    let diff = 0
    for (let i = 0; i < RELAY_DIGEST_LEN; i++) diff |= (this.saved[i] as number) ^ (this.full[i] as number)
    if (diff !== 0) return false
    this.commit()
    return true
  }

  /** Full 32-byte running digest after the last cell set or recognized (for authenticated SENDME, prop 289). */
  lastDigest (): Uint8Array { return this.last.slice() }

  /** Cells processed so far in this direction. */
  get cells (): number { return this.counter / BLOCKS_PER_CELL }

  /** Wipe key material. The state is unusable afterwards. */
  wipe (): void {
    this.key.fill(0); this.nonce.fill(0); this.work.fill(0); this.full.fill(0); this.last.fill(0)
    this.digest.wipe()
    this.counter = MAX_COUNTER
  }
}

/** Both directions of one hop. `forward` = client→relay (Kf, Nf, Df). */
export interface HopCrypt {
  readonly forward: RelayCryptState
  readonly backward: RelayCryptState
}

export function hopCryptFromKeys (keys: RelayKeys, runningDigest: RunningDigestFactory = nobleRunningDigest): HopCrypt {
  return {
    forward: new RelayCryptState(keys.kf, keys.nf, keys.df, runningDigest),
    backward: new RelayCryptState(keys.kb, keys.nb, keys.db, runningDigest)
  }
}

/** The client's view of a circuit: one HopCrypt per hop, hop 0 nearest. */
export class ClientCircuitCrypto {
  private readonly hops: HopCrypt[] = []

  constructor (private readonly runningDigest: RunningDigestFactory = nobleRunningDigest) {}

  get length (): number { return this.hops.length }

  /** Append a hop after a successful CREATED / EXTENDED handshake. */
  addHop (keys: RelayKeys | Uint8Array): void {
    this.hops.push(hopCryptFromKeys(keys instanceof Uint8Array ? deriveRelayKeys(keys) : keys, this.runningDigest))
  }

  /** Forget hops beyond `length` (after TRUNCATED). */
  truncate (length: number): void {
    for (const h of this.hops.splice(length)) { h.forward.wipe(); h.backward.wipe() }
  }

  private hop (i: number): HopCrypt {
    const h = this.hops[i]
    if (h === undefined) throw new RangeError(`no hop ${i} on this circuit`)
    return h
  }

  /**
   * Onion-encrypt a plaintext relay body (from encodeRelayBody) in place so
   * that hop `target` recognizes it: digest with that hop's forward state,
   * then encrypt with layers target, target-1, …, 0 (tor-spec §6.1).
   */
  encryptOutbound (body: Uint8Array, target: number): void {
    this.hop(target).forward.setDigest(body)
    for (let i = target; i >= 0; i--) this.hop(i).forward.xor(body)
  }

  /**
   * Remove layers from an inbound relay body in place, hop 0 first, until one
   * recognizes it; returns that hop's index. No hop → DigestMismatchError: the
   * cell was tampered with, replayed, reordered or corrupted, and the circuit
   * must be destroyed (its keystreams are now out of step).
   */
  decryptInbound (body: Uint8Array): number {
    for (let i = 0; i < this.hops.length; i++) {
      const b = this.hop(i).backward
      b.xor(body)
      if (b.recognize(body)) return i
    }
    throw new DigestMismatchError('inbound relay cell recognized by no hop')
  }

  /** Full digest of the last cell sent to `hop` (the sender keeps it to check SENDMEs, prop 289). */
  lastOutboundDigest (hop: number): Uint8Array { return this.hop(hop).forward.lastDigest() }
  /** Full digest of the last cell received from `hop` (a SENDME to that hop carries it). */
  lastInboundDigest (hop: number): Uint8Array { return this.hop(hop).backward.lastDigest() }

  wipe (): void { this.truncate(0) }
}

/** A relay's view of one circuit passing through it. */
export class RelayCircuitCrypto {
  private readonly hop: HopCrypt

  constructor (keys: RelayKeys | Uint8Array, runningDigest: RunningDigestFactory = nobleRunningDigest) {
    this.hop = hopCryptFromKeys(keys instanceof Uint8Array ? deriveRelayKeys(keys) : keys, runningDigest)
  }

  /**
   * An outbound cell (from the previous hop): remove our layer in place.
   * Returns true if it is for us (recognized and digest matches); otherwise the
   * caller forwards the body to the next hop, or, if there is none, destroys
   * the circuit (tor-spec §6.1: unrecognized at the last hop is a violation).
   */
  decryptOutbound (body: Uint8Array): boolean {
    this.hop.forward.xor(body)
    return this.hop.forward.recognize(body)
  }

  /** A cell we originate toward the client: set digest, then encrypt (tor-spec §6.1). */
  originateInbound (body: Uint8Array): void {
    this.hop.backward.setDigest(body)
    this.hop.backward.xor(body)
  }

  /** A cell from the next hop toward the client: add our layer. */
  forwardInbound (body: Uint8Array): void {
    this.hop.backward.xor(body)
  }

  lastOutboundDigest (): Uint8Array { return this.hop.forward.lastDigest() }
  lastInboundDigest (): Uint8Array { return this.hop.backward.lastDigest() }

  wipe (): void { this.hop.forward.wipe(); this.hop.backward.wipe() }
}

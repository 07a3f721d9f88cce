/**
 * Proof of work on relay descriptors: what makes a relay identity cost
 * something (issue #13 item 3, "Directory flood"; docs/PROTOCOL.md).
 *
 * The threat: a tab's relay identity is an Ed25519 key it makes for free. An
 * attacker who makes thousands fills every directory (capacity is bounded),
 * pushes honest relays out, and is then most of every path: a Sybil attack
 * on path selection. Tor prices identities with bandwidth and directory
 * authorities; we have neither, so we price them with CPU, as Tor prices
 * introductions to an onion service under attack (Tor proposal 327, "A
 * First Take at PoW Over Introduction Circuits"; spec: hspow-spec v1).
 *
 * The puzzle is proposal 327's effort check without its Equi-X step:
 *
 *   R = blake2b-32(P || signingKey || epoch_be32 || effort_be32 || nonce16)
 *   accept iff R × effort ≤ 2^32 − 1   (proposal 327: "R * E <= UINT32_MAX")
 *
 * so `effort` is the expected number of attempts, a linear cost knob the
 * verifier can rank by (proposal 327's priority queue by effort). P is
 * {@link RELAY_WORK_PERSONALIZATION} (proposal 327 uses "Tor hs intro v1\0").
 *
 * What it is bound to, and why:
 *  - the descriptor's signing key (the relay identity; the directory checks
 *    the key belongs to the peer id): one proof cannot serve two identities;
 *  - a coarse epoch number ({@link RELAY_WORK_EPOCH_MS}), not `published` nor
 *    the descriptor bytes: an honest tab computes once per epoch and every
 *    republish reuses the proof; a verifier accepts the current epoch and the
 *    previous one (plus clock skew), so a proof lives one to two epochs.
 *  - the effort itself, so a proof for a small effort cannot be claimed as a
 *    larger one.
 *
 * Why blake2b and not Equi-X: verification must be far cheaper than the
 * Ed25519 check we already do (a flood of unproven descriptors must cost the
 * receiver almost nothing: one 4-byte blake2b, microseconds), and the
 * primitive must be one the stack already keeps: @noble/hashes here (pure,
 * audited), hash-wasm's blake2b in the tab's Web Worker (8× faster, same
 * function; tests compare them). Equi-X (what proposal 327 adds on top) would
 * narrow the gap to GPU and ASIC attackers; blake2b does not, which is why
 * docs/PROTOCOL.md reports the attacker's cost on CPUs and says so.
 *
 * The proof travels in the descriptor's `powNonce` field, inside the signed
 * bytes: u8 scheme (1) | u32 epoch | u32 effort | 16-byte nonce.
 */
import { blake2b } from '@noble/hashes/blake2.js'
import { readU32, writeU32 } from '../bytes.ts'
import type { RelayDescriptor } from './descriptor.ts'
import { DescriptorStaleWorkError, DescriptorWorkError, MalformedDescriptorError } from './errors.ts'
import { MAX_RELAY_WORK_EFFORT, MIN_RELAY_WORK_EFFORT, RELAY_WORK_EPOCH_MS, RELAY_WORK_PAST_EPOCHS } from './limits.ts'

/** Domain separation of the puzzle's hash input (proposal 327's P). */
export const RELAY_WORK_PERSONALIZATION: Uint8Array = new TextEncoder().encode('shallot relay work v1')

/** The only proof scheme this code reads and writes (first byte of the proof). */
export const RELAY_WORK_SCHEME = 1

/** Bytes of the nonce (proposal 327's N is 16 bytes too). */
export const RELAY_WORK_NONCE_LENGTH = 16

/** Bytes of an encoded proof: scheme, epoch, effort, nonce. */
export const RELAY_WORK_PROOF_LENGTH = 1 + 4 + 4 + RELAY_WORK_NONCE_LENGTH

const KEY_OFFSET = RELAY_WORK_PERSONALIZATION.length
const EPOCH_OFFSET = KEY_OFFSET + 32
const EFFORT_OFFSET = EPOCH_OFFSET + 4
const NONCE_OFFSET = EFFORT_OFFSET + 4
/** Length of the puzzle's hash input. */
export const RELAY_WORK_INPUT_LENGTH = NONCE_OFFSET + RELAY_WORK_NONCE_LENGTH

/** What a proof is for: one identity, one epoch, one effort. */
export interface RelayWorkChallenge {
  /** The descriptor's Ed25519 signing key (32 bytes). */
  readonly signingKey: Uint8Array
  readonly epoch: number
  readonly effort: number
}

export interface RelayWorkProof {
  readonly epoch: number
  readonly effort: number
  readonly nonce: Uint8Array
}

/** The puzzle's hash: blake2b with a 4-byte output, read big-endian (proposal 327's R). */
export type RelayWorkHash = (input: Uint8Array) => number

/** The reference hash (@noble/hashes); the worker may use a faster implementation of the same function. */
export const nobleRelayWorkHash: RelayWorkHash = (input) => readU32(blake2b(input, { dkLen: 4 }), 0)

/** The epoch `now` (ms) falls in. */
export function relayWorkEpoch (now: number): number {
  return Math.floor(now / RELAY_WORK_EPOCH_MS)
}

/** Epochs a verifier accepts at `now` with clock skew `skewMs`: previous one(s), current, and any the skew reaches. */
export function acceptedWorkEpochs (now: number, skewMs: number): { readonly first: number, readonly last: number } {
  return { first: relayWorkEpoch(now - skewMs) - RELAY_WORK_PAST_EPOCHS, last: relayWorkEpoch(now + skewMs) }
}

function isEffort (e: number): boolean {
  return Number.isInteger(e) && e >= MIN_RELAY_WORK_EFFORT && e <= MAX_RELAY_WORK_EFFORT
}

/**
 * proposal 327's check, R × E ≤ 2^32 − 1. The product is exact in a double
 * whenever it is at most 2^53, and anything above that fails either way.
 */
export function meetsEffort (r: number, effort: number): boolean {
  return r * effort <= 0xffff_ffff
}

/** The hash input for `challenge` with a zero nonce; the solver writes nonces at {@link relayWorkNonceOffset}. */
export function relayWorkInput (challenge: RelayWorkChallenge, nonce: Uint8Array = new Uint8Array(RELAY_WORK_NONCE_LENGTH)): Uint8Array {
  if (challenge.signingKey.length !== 32) throw new RangeError('relay work: signing key must be 32 bytes')
  if (!Number.isInteger(challenge.epoch) || challenge.epoch < 0 || challenge.epoch > 0xffff_ffff) throw new RangeError('relay work: epoch out of range')
  if (!isEffort(challenge.effort)) throw new RangeError('relay work: effort out of range')
  if (nonce.length !== RELAY_WORK_NONCE_LENGTH) throw new RangeError('relay work: nonce must be 16 bytes')
  const input = new Uint8Array(RELAY_WORK_INPUT_LENGTH)
  input.set(RELAY_WORK_PERSONALIZATION, 0)
  input.set(challenge.signingKey, KEY_OFFSET)
  writeU32(input, EPOCH_OFFSET, challenge.epoch)
  writeU32(input, EFFORT_OFFSET, challenge.effort)
  input.set(nonce, NONCE_OFFSET)
  return input
}

export const relayWorkNonceOffset = NONCE_OFFSET

/**
 * Try up to `attempts` nonces, starting from the one in `input` (made by
 * {@link relayWorkInput}) and counting up in its first 8 bytes (little
 * endian). Returns the winning nonce, or null; `input` is left at the next
 * nonce to try, so a caller can search in slices (and report progress).
 */
export function searchRelayWork (input: Uint8Array, effort: number, attempts: number, hash: RelayWorkHash = nobleRelayWorkHash): Uint8Array | null {
  for (let i = 0; i < attempts; i++) {
    const found = meetsEffort(hash(input), effort)
    const nonce = found ? input.slice(NONCE_OFFSET) : null
    // next nonce: increment the 64-bit little-endian counter
    for (let b = NONCE_OFFSET; b < NONCE_OFFSET + 8; b++) {
      input[b] = (input[b]! + 1) & 0xff
      if (input[b] !== 0) break
    }
    if (nonce != null) return nonce
  }
  return null
}

/** Solve in one go (tests and Node tools; the tab solves in a Web Worker, app/relay-work). */
export function solveRelayWork (challenge: RelayWorkChallenge, startNonce: Uint8Array, hash: RelayWorkHash = nobleRelayWorkHash): RelayWorkProof {
  const input = relayWorkInput(challenge, startNonce)
  for (;;) {
    const nonce = searchRelayWork(input, challenge.effort, 1 << 16, hash)
    if (nonce != null) return { epoch: challenge.epoch, effort: challenge.effort, nonce }
  }
}

/** The proof as the descriptor's `powNonce` carries it. */
export function encodeRelayWorkProof (proof: RelayWorkProof): Uint8Array {
  if (!isEffort(proof.effort)) throw new RangeError('relay work: effort out of range')
  if (!Number.isInteger(proof.epoch) || proof.epoch < 0 || proof.epoch > 0xffff_ffff) throw new RangeError('relay work: epoch out of range')
  if (proof.nonce.length !== RELAY_WORK_NONCE_LENGTH) throw new RangeError('relay work: nonce must be 16 bytes')
  const out = new Uint8Array(RELAY_WORK_PROOF_LENGTH)
  out[0] = RELAY_WORK_SCHEME
  writeU32(out, 1, proof.epoch)
  writeU32(out, 5, proof.effort)
  out.set(proof.nonce, 9)
  return out
}

/** Parse a `powNonce`; throws {@link MalformedDescriptorError} on an unknown scheme or length. */
export function decodeRelayWorkProof (bytes: Uint8Array): RelayWorkProof {
  if (bytes.length !== RELAY_WORK_PROOF_LENGTH || bytes[0] !== RELAY_WORK_SCHEME) throw new MalformedDescriptorError('descriptor: unknown proof-of-work scheme or length')
  const effort = readU32(bytes, 5)
  if (!isEffort(effort)) throw new MalformedDescriptorError('descriptor: proof-of-work effort 0')
  return { epoch: readU32(bytes, 1), effort, nonce: bytes.slice(9) }
}

/**
 * The proven effort of a descriptor received at `now`, or a named error:
 * {@link DescriptorWorkError} when it carries no proof, claims less than
 * `minEffort`, or the hash does not meet the claim; {@link DescriptorStaleWorkError}
 * when the proof's epoch is outside {@link acceptedWorkEpochs}. Costs one
 * 4-byte blake2b: cheap enough to run before the Ed25519 signature check.
 */
export function checkRelayWork (d: Pick<RelayDescriptor, 'signingKey' | 'powNonce'>, now: number, minEffort: number, skewMs: number, hash: RelayWorkHash = nobleRelayWorkHash): number {
  if (d.powNonce == null) throw new DescriptorWorkError('descriptor carries no proof of work')
  const proof = decodeRelayWorkProof(d.powNonce)
  if (proof.effort < minEffort) throw new DescriptorWorkError(`descriptor proof of work is below the effort this tab accepts (${proof.effort} < ${minEffort})`)
  const { first, last } = acceptedWorkEpochs(now, skewMs)
  if (proof.epoch < first || proof.epoch > last) throw new DescriptorStaleWorkError()
  const r = hash(relayWorkInput({ signingKey: d.signingKey, epoch: proof.epoch, effort: proof.effort }, proof.nonce))
  if (!meetsEffort(r, proof.effort)) throw new DescriptorWorkError('descriptor proof of work does not meet its claimed effort')
  return proof.effort
}

/**
 * The onward header: a pipelined circuit build (docs/PROTOCOL.md §7 "Building with an onward header").
 *
 * Telescoping (tor-spec §5.1.2) waits one growing round trip per hop: the
 * client sends EXTEND for hop i+1 only after hop i answered, so a 3-hop build
 * crosses links 12 times where an echo crosses 6. An onward header lets the
 * client hand the whole path over at once while every hop still runs its own
 * ntor handshake with the client, answered back through the hops before it:
 * the CREATE for hop i carries, sealed to hop i, the link specifier and
 * onionskin of hop i+1. Hop i answers CREATED and at once sends that CREATE
 * on; its successor's CREATED comes back as EXTENDED, as in telescoping.
 *
 * The sealing key comes from EXP(X,b) alone (hop i's onion key and the
 * client's ephemeral for hop i), the way ntor-v3 seals its client message
 * (tor-spec §5.1.4.3, proposal 332: ENC_K1/MAC_K1 from Bx | ID | X | B).
 * It therefore lacks forward secrecy in b, which is why only routing
 * information travels in it, never circuit keys or data; the circuit keys
 * still come from the full ntor handshake. Shallot's onion keys live only in
 * a tab's memory and die with it.
 *
 * The header has a fixed size whatever the position, so a hop cannot tell
 * how many hops came before or follow, exactly as Sphinx does it (Danezis &
 * Goldberg, "Sphinx: A Compact and Provably Secure Mix Format", 2009, §3.2):
 * ONWARD_MAX_HOPS slots of ONWARD_SLOT_LEN bytes; each hop checks the MAC,
 * decrypts, reads the first slot, shifts the rest left and appends a slot of
 * keystream. The client computes those appended "filler" bytes ahead, so each
 * hop's MAC covers exactly what that hop will receive.
 */
import { concatBytes, ctEqual } from '../bytes.ts'
import { HandshakeError, MalformedCellError } from '../errors.ts'
import type { RandomSource } from '../random.ts'
import { chacha20Xor, hkdfExpand, hmacSha256 } from './primitives.ts'
import { ntorOnionskinLen, SHALLOT_NTOR, type NtorParams } from './ntor.ts'

/** Most hops one onward header reaches (Shallot's circuits are 3 hops; longer ones telescope the rest). */
export const ONWARD_MAX_HOPS = 3
/** Bytes of a link specifier in a slot: libp2p peer ids are 52 (Ed25519) to 59 base58 characters. */
export const ONWARD_LINK_SPEC_MAX = 64
/** Bytes of each hop's MAC (γ in Sphinx): HMAC-SHA256 truncated, as Sphinx's κ-bit MAC. */
export const ONWARD_MAC_LEN = 16
/** Slot: kind(1) | link spec length(1) | link spec(ONWARD_LINK_SPEC_MAX) | next onionskin | next MAC. */
export const ONWARD_SLOT_LEN = 2 + ONWARD_LINK_SPEC_MAX + ntorOnionskinLen(SHALLOT_NTOR) + ONWARD_MAC_LEN
/** The routing blob (β in Sphinx). */
export const ONWARD_BLOB_LEN = ONWARD_MAX_HOPS * ONWARD_SLOT_LEN
/** hdata of a CREATE with HandshakeType.NTOR_ONWARD: onionskin | blob | MAC. */
export const ONWARD_HDATA_LEN = ntorOnionskinLen(SHALLOT_NTOR) + ONWARD_BLOB_LEN + ONWARD_MAC_LEN

/** Slot kinds. */
export const OnwardSlotKind = { LAST: 0, EXTEND: 1 } as const

const SKIN_LEN = ntorOnionskinLen(SHALLOT_NTOR)
const STREAM_LEN = ONWARD_BLOB_LEN + ONWARD_SLOT_LEN
/** The sealing stream's nonce: each key seals one header, so a fixed nonce never repeats (RFC 8439 §2.4 needs a unique (key, nonce)). */
const ZERO_NONCE = new Uint8Array(12)
const enc = new TextEncoder()

/** One hop's sealing keys: ChaCha20 for the blob, HMAC-SHA256 for its MAC. */
export interface OnwardKeys {
  readonly enc: Uint8Array
  readonly mac: Uint8Array
}

/**
 * (enc, mac) = HKDF-Expand(HMAC(t_onward, EXP(X,b) | ID | B | X | PROTOID), m_onward, 64),
 * shaped like ntor's KEY_SEED (tor-spec §5.1.4) with its own tags, and like
 * ntor-v3's phase-1 keys in what they depend on (tor-spec §5.1.4.3). The
 * client passes EXP(B,x), the relay EXP(X,b): the same value.
 */
export function onwardKeys (xb: Uint8Array, nodeId: Uint8Array, onionKey: Uint8Array, X: Uint8Array, params: NtorParams = SHALLOT_NTOR): OnwardKeys {
  const secretInput = concatBytes(xb, nodeId, onionKey, X, enc.encode(params.protoId))
  const seed = hmacSha256(enc.encode(params.protoId + ':onward_key'), secretInput)
  const out = hkdfExpand(seed, enc.encode(params.protoId + ':onward_expand'), 64)
  secretInput.fill(0); seed.fill(0)
  return { enc: out.slice(0, 32), mac: out.slice(32) }
}

/** What the client seals for each hop after the first: where it is and its onionskin. */
export interface OnwardHop {
  readonly keys: OnwardKeys
  /** The hop's link specifier (its peer id, UTF-8); unused for the first hop. */
  readonly linkSpec: Uint8Array
  /** The hop's ntor onionskin; unused for the first hop. */
  readonly onionskin: Uint8Array
}

function stream (keys: OnwardKeys): Uint8Array {
  return chacha20Xor(keys.enc, ZERO_NONCE, 0, new Uint8Array(STREAM_LEN))
}

function macOf (keys: OnwardKeys, blob: Uint8Array): Uint8Array {
  return hmacSha256(keys.mac, blob).subarray(0, ONWARD_MAC_LEN)
}

function xorInto (a: Uint8Array, b: Uint8Array): Uint8Array {
  for (let i = 0; i < a.length; i++) a[i] = (a[i] as number) ^ (b[i] as number)
  return a
}

/**
 * The client's side: seal the header for the first hop of `hops` (at most
 * {@link ONWARD_MAX_HOPS}). Hop i's slot names hop i+1; the last hop's slot
 * says LAST and the rest of its blob is random, so it reads the same
 * whatever the path length.
 */
export function sealOnwardHeader (hops: readonly OnwardHop[], random: RandomSource): { blob: Uint8Array, mac: Uint8Array } {
  const n = hops.length
  if (n < 1 || n > ONWARD_MAX_HOPS) throw new RangeError(`sealOnwardHeader: 1 to ${ONWARD_MAX_HOPS} hops`)
  const S = ONWARD_SLOT_LEN
  const R = ONWARD_BLOB_LEN
  const streams = hops.map(h => stream(h.keys))
  // Fillers (Sphinx §3.2): what each hop's shift appends, as hop k+1 sees it.
  let filler: Uint8Array = new Uint8Array(0)
  for (let k = 0; k < n - 1; k++) {
    const grown = concatBytes(filler, new Uint8Array(S))
    const from = R + S - grown.length
    filler = xorInto(grown, streams[k]!.subarray(from, R + S))
  }
  // The last hop: LAST, random padding, then the filler.
  const head = random(R - filler.length)
  head.fill(0, 0, S)
  head[0] = OnwardSlotKind.LAST
  let blob = concatBytes(xorInto(head, streams[n - 1]!), filler)
  let mac = macOf(hops[n - 1]!.keys, blob)
  // Then back to the first: each slot names the hop after it.
  for (let i = n - 2; i >= 0; i--) {
    const next = hops[i + 1]!
    if (next.linkSpec.length === 0 || next.linkSpec.length > ONWARD_LINK_SPEC_MAX) throw new RangeError('sealOnwardHeader: link specifier length')
    if (next.onionskin.length !== SKIN_LEN) throw new RangeError('sealOnwardHeader: onionskin length')
    const slot = new Uint8Array(S)
    slot[0] = OnwardSlotKind.EXTEND
    slot[1] = next.linkSpec.length
    slot.set(next.linkSpec, 2)
    slot.set(next.onionskin, 2 + ONWARD_LINK_SPEC_MAX)
    slot.set(mac, 2 + ONWARD_LINK_SPEC_MAX + SKIN_LEN)
    blob = xorInto(concatBytes(slot, blob.subarray(0, R - S)), streams[i]!)
    mac = macOf(hops[i]!.keys, blob)
  }
  for (const s of streams) s.fill(0)
  return { blob, mac: Uint8Array.from(mac) }
}

/** What a hop learns from its slot: nothing further, or the next hop and the CREATE hdata to send it. */
export type OnwardStep =
  | { readonly kind: 'last' }
  | { readonly kind: 'extend', readonly linkSpec: Uint8Array, readonly hdata: Uint8Array }

/**
 * A hop's side: check the MAC (constant time), decrypt, read the first slot.
 * Throws HandshakeError on a MAC that does not match (tampered, or sealed to
 * other keys) and MalformedCellError on a slot that makes no sense; the
 * caller destroys the circuit.
 */
export function openOnwardHeader (keys: OnwardKeys, blob: Uint8Array, mac: Uint8Array): OnwardStep {
  if (blob.length !== ONWARD_BLOB_LEN || mac.length !== ONWARD_MAC_LEN) throw new MalformedCellError('onward header has the wrong length')
  if (!ctEqual(macOf(keys, blob), mac)) throw new HandshakeError('onward header MAC mismatch')
  const plain = stream(keys)
  xorInto(plain.subarray(0, ONWARD_BLOB_LEN), blob) // (blob | 0^S) XOR stream: the appended slot is keystream
  try {
    const kind = plain[0]
    if (kind === OnwardSlotKind.LAST) return { kind: 'last' }
    if (kind !== OnwardSlotKind.EXTEND) throw new MalformedCellError('onward slot of unknown kind')
    const lsLen = plain[1] as number
    if (lsLen === 0 || lsLen > ONWARD_LINK_SPEC_MAX) throw new MalformedCellError('onward slot link specifier length')
    const linkSpec = plain.slice(2, 2 + lsLen)
    const skinAt = 2 + ONWARD_LINK_SPEC_MAX
    const hdata = concatBytes(
      plain.subarray(skinAt, skinAt + SKIN_LEN),
      plain.subarray(ONWARD_SLOT_LEN), // the next blob: the rest, shifted, with the keystream slot at its end
      plain.subarray(skinAt + SKIN_LEN, ONWARD_SLOT_LEN) // the next MAC
    )
    return { kind: 'extend', linkSpec, hdata }
  } finally {
    plain.fill(0)
  }
}

/** Split NTOR_ONWARD hdata into onionskin, blob and MAC. */
export function splitOnwardHdata (hdata: Uint8Array): { onionskin: Uint8Array, blob: Uint8Array, mac: Uint8Array } {
  if (hdata.length !== ONWARD_HDATA_LEN) throw new HandshakeError(`onward CREATE must carry ${ONWARD_HDATA_LEN} bytes`)
  return {
    onionskin: hdata.subarray(0, SKIN_LEN),
    blob: hdata.subarray(SKIN_LEN, SKIN_LEN + ONWARD_BLOB_LEN),
    mac: hdata.subarray(SKIN_LEN + ONWARD_BLOB_LEN)
  }
}

/** NTOR_ONWARD hdata for the first hop. */
export function joinOnwardHdata (onionskin: Uint8Array, header: { blob: Uint8Array, mac: Uint8Array }): Uint8Array {
  return concatBytes(onionskin, header.blob, header.mac)
}

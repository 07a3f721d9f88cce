/**
 * Peer exchange (PX): how a tab finds other tabs without a server-side peer list.
 *
 * A tab opens a stream on {@link PEER_EXCHANGE_PROTOCOL} to a neighbour and reads
 * one length-prefixed reply listing peers the neighbour knows. A bootstrap relay
 * answers from the soft state it keeps anyway (who holds a reservation on it),
 * with bare peer ids; a tab answers with the *signed peer records* (libp2p
 * RecordEnvelope bytes) of peers it has met, which the asker verifies before use.
 * So discovery spans several bootstrap relays: a tab that reached relay R1 learns
 * of tabs on R2 from any neighbour that met them.
 *
 * This module is only the wire format: pure, bounded and strict.
 */

/** Protocol id of the peer-exchange stream. */
export const PEER_EXCHANGE_PROTOCOL = '/shallot/px/1.0.0'

/** Most peers one reply may list; a longer list is refused as malformed. */
export const PX_MAX_PEERS = 32

/** Largest encoded reply accepted, in bytes (32 envelopes of ~600 B fit easily). */
export const PX_MAX_REPLY_BYTES = 64 * 1024

/** Longest peer id string accepted (base58 Ed25519 peer ids are 52 chars). */
const PX_MAX_PEER_ID_LEN = 128

/** Longest signed peer record accepted, in bytes. */
const PX_MAX_ENVELOPE_BYTES = 1536

export interface PeerExchangeEntry {
  /** libp2p peer id, base58 string form. */
  readonly id: string
  /** Signed peer record (RecordEnvelope protobuf) when the sender has one. */
  readonly record?: Uint8Array
}

export class PeerExchangeFormatError extends Error {
  readonly kind = 'malformed-peer-exchange' as const
  constructor (message: string) {
    super(message)
    this.name = 'PeerExchangeFormatError'
  }
}

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Layout: u8 version (1) | u8 count | count × (u8 idLen | id (utf-8) | u16 BE recLen | rec).
 * Big-endian as in every network format we use.
 */
export function encodePeerExchange (entries: readonly PeerExchangeEntry[]): Uint8Array {
  if (entries.length > PX_MAX_PEERS) throw new PeerExchangeFormatError('too many peers')
  const parts: Uint8Array[] = [Uint8Array.of(1, entries.length)]
  for (const entry of entries) {
    const id = textEncoder.encode(entry.id)
    const record = entry.record ?? new Uint8Array(0)
    if (id.length === 0 || id.length > PX_MAX_PEER_ID_LEN) throw new PeerExchangeFormatError('bad peer id length')
    if (record.length > PX_MAX_ENVELOPE_BYTES) throw new PeerExchangeFormatError('record too large')
    parts.push(Uint8Array.of(id.length), id, Uint8Array.of(record.length >> 8, record.length & 0xff), record)
  }
  const total = parts.reduce((n, p) => n + p.length, 0)
  if (total > PX_MAX_REPLY_BYTES) throw new PeerExchangeFormatError('reply too large')
  const out = new Uint8Array(total)
  let offset = 0
  for (const p of parts) { out.set(p, offset); offset += p.length }
  return out
}

export function decodePeerExchange (bytes: Uint8Array): PeerExchangeEntry[] {
  if (bytes.length > PX_MAX_REPLY_BYTES) throw new PeerExchangeFormatError('reply too large')
  if (bytes.length < 2 || bytes[0] !== 1) throw new PeerExchangeFormatError('unknown version')
  const count = bytes[1] ?? 0
  if (count > PX_MAX_PEERS) throw new PeerExchangeFormatError('too many peers')
  const entries: PeerExchangeEntry[] = []
  let offset = 2
  const take = (n: number): Uint8Array => {
    if (offset + n > bytes.length) throw new PeerExchangeFormatError('truncated reply')
    const slice = bytes.subarray(offset, offset + n)
    offset += n
    return slice
  }
  for (let i = 0; i < count; i++) {
    const idLen = take(1)[0] ?? 0
    if (idLen === 0 || idLen > PX_MAX_PEER_ID_LEN) throw new PeerExchangeFormatError('bad peer id length')
    let id: string
    try {
      id = textDecoder.decode(take(idLen))
    } catch {
      throw new PeerExchangeFormatError('peer id is not utf-8')
    }
    const lenBytes = take(2)
    const recLen = ((lenBytes[0] ?? 0) << 8) | (lenBytes[1] ?? 0)
    if (recLen > PX_MAX_ENVELOPE_BYTES) throw new PeerExchangeFormatError('record too large')
    const record = take(recLen)
    entries.push(recLen > 0 ? { id, record: record.slice() } : { id })
  }
  if (offset !== bytes.length) throw new PeerExchangeFormatError('trailing bytes')
  return entries
}

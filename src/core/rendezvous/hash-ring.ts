/**
 * The HSDir hash ring (docs/RENDEZVOUS.md §3, rend-spec-v3 §2.2.3 with our
 * own strings): every relay gets a per-period position relayIndex, every
 * (descriptor id, replica) a position hsIndex, and the HSDIR_SPREAD relays
 * at or after each hsIndex (wrapping round, skipping ones already chosen)
 * hold the descriptor. Services and clients compute the same set from the
 * same directory; positions change every period, so no relay can choose to be
 * responsible for one service for long.
 */
import { concatBytes } from '../bytes.ts'
import { sha256 } from '../crypto/primitives.ts'
import { HSDIR_REPLICAS, HSDIR_SPREAD } from './constants.ts'
import { u64, utf8 } from './wire.ts'

const L_RELAY = utf8('shallot-hsdir-index-v1')
const L_HS = utf8('shallot-hs-index-v1')

/** relayIndex(nodeId, p) = SHA-256("shallot-hsdir-index-v1" | nodeId | u64(p)) (rend-spec-v3 §2.2.3 hsdir_index). */
function relayIndex (nodeId: Uint8Array, period: number): Uint8Array {
  return sha256(concatBytes(L_RELAY, nodeId, u64(period)))
}

/** hsIndex(descId, r, p) = SHA-256("shallot-hs-index-v1" | descId | u64(r) | u64(p)) (rend-spec-v3 §2.2.3 hs_index). */
function hsIndex (descId: Uint8Array, replica: number, period: number): Uint8Array {
  return sha256(concatBytes(L_HS, descId, u64(replica), u64(period)))
}

function compare (a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) {
    const d = (a[i] as number) - (b[i] as number)
    if (d !== 0) return d
  }
  return a.length - b.length
}

/**
 * The HSDirs responsible for `descId` in `period`: for replicas 1..HSDIR_REPLICAS,
 * the first HSDIR_SPREAD relays (sorted by relayIndex) whose index is ≥ hsIndex,
 * wrapping round, not already chosen. Up to HSDIR_REPLICAS × HSDIR_SPREAD
 * distinct relays; all of them when there are fewer.
 */
export function responsibleHsDirs<T extends { readonly nodeId: Uint8Array }> (relays: readonly T[], descId: Uint8Array, period: number): T[] {
  const ring = relays.map((relay, i) => ({ relay, i, index: relayIndex(relay.nodeId, period) }))
    .sort((a, b) => compare(a.index, b.index) || a.i - b.i)
  const chosen = new Set<number>()
  const out: T[] = []
  for (let replica = 1; replica <= HSDIR_REPLICAS; replica++) {
    const target = hsIndex(descId, replica, period)
    let start = ring.findIndex(e => compare(e.index, target) >= 0)
    if (start < 0) start = 0 // wrap round
    let taken = 0
    for (let k = 0; k < ring.length && taken < HSDIR_SPREAD; k++) {
      const e = ring[(start + k) % ring.length]
      if (e === undefined || chosen.has(e.i)) continue
      chosen.add(e.i)
      out.push(e.relay)
      taken++
    }
  }
  return out
}

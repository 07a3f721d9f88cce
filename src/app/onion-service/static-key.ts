/**
 * This tab's static X25519 key for the end-to-end handshake
 * (docs/RENDEZVOUS.md §6, docs/IDENTITY.md "Static DH key"): derived from
 * the identity's deterministic signatures the first time it is needed and
 * kept in memory for as long as the identity object lives; never stored.
 */
import type { X25519Dh } from '../../core/crypto/index.ts'
import { deriveStaticDhKey, type StaticDhKey } from '../../core/rendezvous/index.ts'
import type { Identity } from './types.ts'

const cache = new WeakMap<Identity, Promise<StaticDhKey>>()

/** `identity`'s static DH key and certificate (two identity signatures, once per identity object). */
export async function staticKeyOf (identity: Identity, dh: X25519Dh): Promise<StaticDhKey> {
  let p = cache.get(identity)
  if (p == null) {
    p = deriveStaticDhKey(identity.publicKey, async (m) => await identity.sign(m), dh)
    cache.set(identity, p)
    p.catch(() => { cache.delete(identity) }) // a failed signature (locked profile) is tried again next time
  }
  return await p
}

/**
 * What an HSDir relay holds (docs/RENDEZVOUS.md §4): service descriptors by
 * descriptor id, checked with the HSDir checks of parseHsDescriptorOuter. It
 * cannot read them. Per id it keeps up to HSDIR_KEYS_PER_ID descriptors, one
 * per signing key: a newer revision under the same key replaces the old one
 * (rend-spec-v3 §2.4 revision-counter), a new key evicts the entry stored
 * longest ago, so an invite holder squatting on the id with a few keys cannot
 * push the real service out for long (it republishes every HS_REPUBLISH_MS,
 * which refreshes its entry). The whole store is bounded by maxDescriptors:
 * when it is full, expired entries are dropped, and if none is, a descriptor
 * that would take a new place is refused. Nothing is evicted to make room:
 * with eviction, one flood of cheap descriptors flushed every honest one
 * (every tab is an HSDir; an attacker's descriptors cost it nothing), while a
 * refusal only delays *new* services until the flood expires (its lifetime is
 * capped at HS_DESCRIPTOR_LIFETIME_MS), and a held service's republish
 * (same id and key, a higher revision) always replaces its entry. What a flood
 * costs is bounded further up: one HSDir request per circuit and a per-
 * neighbour store rate (relay-roles.ts).
 */
import { toHex } from '../bytes.ts'
import { HSDIR_KEYS_PER_ID, HSDIR_MAX_DESCRIPTORS } from './constants.ts'
import { parseHsDescriptorOuter } from './descriptor.ts'

interface Entry {
  readonly idHex: string
  readonly keyHex: string
  readonly revision: number
  readonly expires: number
  readonly bytes: Uint8Array
}

export class HsDirStore {
  private readonly now: () => number
  private readonly max: number
  /** descId hex → signing key hex → entry. */
  private readonly byId = new Map<string, Map<string, Entry>>()
  /** Every entry, least recently stored first (Map keeps insertion order). */
  private readonly order = new Map<string, Entry>()

  constructor (opts: { now: () => number, maxDescriptors?: number }) {
    this.now = opts.now
    this.max = opts.maxDescriptors ?? HSDIR_MAX_DESCRIPTORS
    if (!Number.isInteger(this.max) || this.max < 1) throw new RangeError('maxDescriptors must be a positive integer')
  }

  /**
   * Validates with parseHsDescriptorOuter (throws HsDescriptorError); returns
   * true when stored/replaced, false when an older-or-equal revision of the
   * same signing key is held or the store is full.
   */
  store (bytes: Uint8Array): boolean {
    const outer = parseHsDescriptorOuter(bytes, this.now())
    const idHex = toHex(outer.descId)
    const keyHex = toHex(outer.signingKey)
    let keys = this.byId.get(idHex)
    const held = keys?.get(keyHex)
    // A replay or rollback of the same key never replaces (rend-spec-v3 §2.4: a higher revision-counter replaces).
    if (held !== undefined && held.expires > this.now() && outer.revision <= held.revision) return false
    // A new place (not a replacement, not a fifth key of a held id): only if there is room.
    const takesPlace = held === undefined && (keys === undefined || keys.size < HSDIR_KEYS_PER_ID)
    if (takesPlace && this.order.size >= this.max) this.prune()
    if (takesPlace && this.order.size >= this.max) return false
    if (held !== undefined) this.remove(held)
    keys = this.byId.get(idHex)
    if (keys !== undefined && keys.size >= HSDIR_KEYS_PER_ID) {
      // A fifth signing key evicts the entry of this id stored longest ago (spec §4).
      for (const e of this.order.values()) if (e.idHex === idHex) { this.remove(e); break }
    }
    const entry: Entry = { idHex, keyHex, revision: outer.revision, expires: outer.expires, bytes: bytes.slice() }
    keys = this.byId.get(idHex)
    if (keys === undefined) { keys = new Map(); this.byId.set(idHex, keys) }
    keys.set(keyHex, entry)
    this.order.set(idHex + '/' + keyHex, entry)
    return true
  }

  /** Unexpired descriptors for `descId`, newest revision first; at most HSDIR_KEYS_PER_ID. */
  fetch (descId: Uint8Array): Uint8Array[] {
    const keys = this.byId.get(toHex(descId))
    if (keys === undefined) return []
    const now = this.now()
    return [...keys.values()]
      .filter(e => e.expires > now)
      .sort((a, b) => b.revision - a.revision)
      .slice(0, HSDIR_KEYS_PER_ID)
      .map(e => e.bytes.slice())
  }

  /** Drop every expired descriptor (spec §4). */
  prune (): void {
    const now = this.now()
    for (const e of [...this.order.values()]) if (e.expires <= now) this.remove(e)
  }

  get size (): number { return this.order.size }

  private remove (e: Entry): void {
    this.order.delete(e.idHex + '/' + e.keyHex)
    const keys = this.byId.get(e.idHex)
    if (keys === undefined) return
    keys.delete(e.keyHex)
    if (keys.size === 0) this.byId.delete(e.idHex)
  }
}

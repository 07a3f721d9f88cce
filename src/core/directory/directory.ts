/**
 * The tab's relay directory: the verified, unexpired descriptors it has heard
 * of, at most one per peer id (the newest `published` wins, as a Tor
 * directory keeps only a relay's most recent descriptor, dir-spec §2.1).
 *
 * Tor clients get a consensus signed by directory authorities; Shallot has no
 * authorities, so each tab builds its own view from gossip and trusts each
 * descriptor only because it verifies (./descriptor.ts): a forwarding
 * neighbour can withhold descriptors but never forge or alter one. Two
 * consequences we accept and document in docs/notes/path-and-directory.md:
 * views differ between tabs (partitioning), and Sybils are limited only by
 * cost (capped weight now, proof of work later).
 *
 * Memory is bounded by {@link MAX_DIRECTORY_ENTRIES}; when full, the entry
 * that expires soonest (then the lowest capacity) is dropped, and a newcomer
 * that would rank below every stored entry is not stored. Listeners hear of
 * every change (added, replaced, removed) after the state has changed.
 */
import { ctEqual } from '../bytes.ts'
import { DescriptorPeerIdMismatchError } from './errors.ts'
import { checkDescriptorFreshness, checkDescriptorSignature, decodeDescriptor, type RelayDescriptor } from './descriptor.ts'

/** Most descriptors kept. 2048 × ≤ 512 bytes ≈ 1 MiB: fine for a tab, far above any near-term network. */
export const MAX_DIRECTORY_ENTRIES = 2048

/** What {@link Directory.add} did with a valid descriptor. Invalid ones throw instead. */
export type AddOutcome =
  | 'added' // a peer id we did not know
  | 'replaced' // newer than the one we had
  | 'unchanged' // not newer than the one we have (gossip repeats are normal)
  | 'full' // directory full and this one ranks below every stored entry

export type RemoveReason = 'expired' | 'evicted' | 'removed'

export type DirectoryEvent =
  | { readonly type: 'added', readonly descriptor: RelayDescriptor }
  | { readonly type: 'replaced', readonly descriptor: RelayDescriptor, readonly previous: RelayDescriptor }
  | { readonly type: 'removed', readonly descriptor: RelayDescriptor, readonly reason: RemoveReason }

export type DirectoryListener = (event: DirectoryEvent) => void

export interface DirectoryOptions {
  /** Bound on entries (default {@link MAX_DIRECTORY_ENTRIES}). */
  readonly maxEntries?: number
  /**
   * Proves a signing key belongs to a peer id (for libp2p Ed25519 peer ids the
   * key is embedded in the id). Core cannot parse peer ids, so the net layer
   * should pass this; without it a stranger can publish a descriptor naming
   * someone else's peer id (harmless for confidentiality — ntor to the real
   * tab then fails — but a denial of service). Returning false rejects the
   * descriptor with {@link DescriptorPeerIdMismatchError}.
   */
  readonly bindsPeerId?: (peerId: string, signingKey: Uint8Array) => boolean
}

interface Entry { readonly descriptor: RelayDescriptor, readonly bytes: Uint8Array }

/** Eviction order: soonest expiry first, then lowest capacity, then peer id (deterministic). */
function ranksBelow (a: RelayDescriptor, b: RelayDescriptor): boolean {
  if (a.expires !== b.expires) return a.expires < b.expires
  if (a.capacity !== b.capacity) return a.capacity < b.capacity
  return a.peerId < b.peerId
}

export class Directory {
  private readonly entries = new Map<string, Entry>()
  private readonly listeners = new Set<DirectoryListener>()
  private readonly maxEntries: number
  private readonly bindsPeerId: ((peerId: string, signingKey: Uint8Array) => boolean) | undefined

  constructor (opts: DirectoryOptions = {}) {
    this.maxEntries = opts.maxEntries ?? MAX_DIRECTORY_ENTRIES
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new RangeError('Directory: maxEntries must be a positive integer')
    this.bindsPeerId = opts.bindsPeerId
  }

  get size (): number { return this.entries.size }

  /**
   * Verify and store an encoded descriptor received at `now` (ms). Throws a
   * named {@link DescriptorError} (too large, malformed, expired, from the
   * future, lifetime too long, bad signature, peer-id mismatch) when invalid.
   *
   * A descriptor not newer than the stored one is answered 'unchanged' before
   * its signature is checked (gossip repeats cost no Ed25519 verify). A
   * replacement must be signed by the same key as the stored descriptor (key
   * pinning for the lifetime of the entry).
   */
  add (bytes: Uint8Array, now: number): AddOutcome {
    const decoded = decodeDescriptor(bytes)
    const d = decoded.descriptor
    checkDescriptorFreshness(d, now)
    const old = this.entries.get(d.peerId)
    if (old != null && old.descriptor.published >= d.published) return 'unchanged'
    checkDescriptorSignature(decoded)
    if (this.bindsPeerId != null && !this.bindsPeerId(d.peerId, d.signingKey)) throw new DescriptorPeerIdMismatchError()
    if (old != null && old.descriptor.expires > now && !ctEqual(old.descriptor.signingKey, d.signingKey)) {
      throw new DescriptorPeerIdMismatchError('descriptor signing key differs from the one pinned for this peer id')
    }

    const entry: Entry = { descriptor: d, bytes: bytes.slice() }
    if (old != null) {
      this.entries.set(d.peerId, entry)
      this.emit({ type: 'replaced', descriptor: d, previous: old.descriptor })
      return 'replaced'
    }
    if (this.entries.size >= this.maxEntries) {
      const victim = this.lowestRanked()
      if (victim == null || !ranksBelow(victim.descriptor, d)) return 'full'
      this.entries.delete(victim.descriptor.peerId)
      this.emit({ type: 'removed', descriptor: victim.descriptor, reason: 'evicted' })
    }
    this.entries.set(d.peerId, entry)
    this.emit({ type: 'added', descriptor: d })
    return 'added'
  }

  /** Drop every descriptor expired at `now`; returns what was dropped. */
  prune (now: number): RelayDescriptor[] {
    const dropped: RelayDescriptor[] = []
    for (const [id, e] of this.entries) {
      if (e.descriptor.expires <= now) {
        this.entries.delete(id)
        dropped.push(e.descriptor)
      }
    }
    for (const d of dropped) this.emit({ type: 'removed', descriptor: d, reason: 'expired' })
    return dropped
  }

  /** Forget a peer (e.g. it misbehaved); true when it was known. */
  remove (peerId: string): boolean {
    const e = this.entries.get(peerId)
    if (e == null) return false
    this.entries.delete(peerId)
    this.emit({ type: 'removed', descriptor: e.descriptor, reason: 'removed' })
    return true
  }

  has (peerId: string): boolean { return this.entries.has(peerId) }

  get (peerId: string): RelayDescriptor | undefined { return this.entries.get(peerId)?.descriptor }

  /** The exact signed bytes we verified, for passing on (gossip). */
  getEncoded (peerId: string): Uint8Array | undefined { return this.entries.get(peerId)?.bytes.slice() }

  /** All stored descriptors, sorted by peer id (deterministic). Call {@link prune} first to drop expired ones. */
  list (): RelayDescriptor[] {
    return [...this.entries.values()].map(e => e.descriptor).sort((a, b) => (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0))
  }

  /** Encoded descriptors unexpired at `now`, newest first, at most `limit`: what to gossip. */
  encodedForSharing (now: number, limit: number): Uint8Array[] {
    return [...this.entries.values()]
      .filter(e => e.descriptor.expires > now)
      .sort((a, b) => b.descriptor.published - a.descriptor.published)
      .slice(0, Math.max(0, limit))
      .map(e => e.bytes.slice())
  }

  /** Listen to changes; returns the unsubscribe function. Listeners run after the change, synchronously. */
  subscribe (listener: DirectoryListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  private lowestRanked (): Entry | undefined {
    let low: Entry | undefined
    for (const e of this.entries.values()) if (low == null || ranksBelow(e.descriptor, low.descriptor)) low = e
    return low
  }

  private emit (event: DirectoryEvent): void {
    for (const l of [...this.listeners]) l(event)
  }
}

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
 * cost: capped path weight, and proof of work on every descriptor (./work.ts,
 * Tor proposal 327), without which a descriptor is not stored.
 *
 * Directory flood (issue #13 item 3, docs/PROTOCOL.md): memory is bounded by
 * {@link MAX_DIRECTORY_ENTRIES}, and nothing a descriptor *claims* (its
 * `published`, `expires` or capacity) decides who stays or who is gossiped
 * first, since an attacker claims whatever ranks best. When full, the first
 * seen stay; a newcomer gets in only with strictly more proven effort than
 * the least-worked entry, which it displaces (proposal 327's priority by
 * effort); so while full, the effort this tab asks of newcomers rises
 * ({@link Directory.admissionEffort}). Gossip goes by local arrival order,
 * newest first, and a republish moves a relay forward at most once per
 * {@link RELIST_MIN_INTERVAL_MS}. Listeners hear of every change (added,
 * replaced, removed) after the state has changed.
 */
import { ctEqual } from '../bytes.ts'
import { DescriptorPeerIdMismatchError } from './errors.ts'
import { checkDescriptorFreshness, checkDescriptorSignature, decodeDescriptor, MAX_DESCRIPTOR_CLOCK_SKEW_MS, type RelayDescriptor } from './descriptor.ts'
import { DEFAULT_RELAY_WORK_EFFORT, MAX_RELAY_WORK_EFFORT, MIN_RELAY_WORK_EFFORT, RELIST_MIN_INTERVAL_MS } from './limits.ts'
import { checkRelayWork } from './work.ts'

/** Most descriptors kept. 2048 × ≤ 512 bytes ≈ 1 MiB: fine for a tab, far above any near-term network. */
export const MAX_DIRECTORY_ENTRIES = 2048

/** What {@link Directory.add} did with a valid descriptor. Invalid ones throw instead. */
export type AddOutcome =
  | 'added' // a peer id we did not know
  | 'replaced' // newer than the one we had
  | 'unchanged' // not newer than the one we have (gossip repeats are normal)
  | 'full' // directory full and this one has no more proven effort than the least-worked entry

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
  /** Least proof-of-work effort accepted (default {@link DEFAULT_RELAY_WORK_EFFORT}; seeds announce theirs). */
  readonly minEffort?: number
}

interface Entry {
  readonly descriptor: RelayDescriptor
  readonly bytes: Uint8Array
  /** Proven effort of the stored version (./work.ts). */
  readonly effort: number
  /** Arrival order of the peer id (kept across republishes): older entries are evicted last. */
  readonly firstSeen: number
  /** Local time this entry was last put at the front of gossip. */
  readonly listedAt: number
  /** Arrival order of that listing, to break ties without looking at anything claimed. */
  readonly listedSeq: number
}

/**
 * Eviction order, from nothing a descriptor can claim: least proven effort
 * first, then the most recently arrived (first seen wins).
 */
function evictsBefore (a: Entry, b: Entry): boolean {
  if (a.effort !== b.effort) return a.effort < b.effort
  return a.firstSeen > b.firstSeen
}

export class Directory {
  private readonly entries = new Map<string, Entry>()
  private readonly listeners = new Set<DirectoryListener>()
  private readonly maxEntries: number
  private readonly bindsPeerId: ((peerId: string, signingKey: Uint8Array) => boolean) | undefined
  private minEffort: number
  private arrivals = 0

  constructor (opts: DirectoryOptions = {}) {
    this.maxEntries = opts.maxEntries ?? MAX_DIRECTORY_ENTRIES
    if (!Number.isInteger(this.maxEntries) || this.maxEntries < 1) throw new RangeError('Directory: maxEntries must be a positive integer')
    this.bindsPeerId = opts.bindsPeerId
    this.minEffort = checkEffort(opts.minEffort ?? DEFAULT_RELAY_WORK_EFFORT)
  }

  get size (): number { return this.entries.size }

  /** Least effort accepted from now on (a seed announced one). Entries already stored stay. */
  setMinEffort (effort: number): void {
    this.minEffort = checkEffort(effort)
  }

  /**
   * The effort a newcomer needs to be stored: the minimum, or while the
   * directory is full, one more than the least-worked entry (the adaptive
   * part of proposal 327: the price rises under a flood). A tab publishes
   * with at least this much so tabs in the same state take it.
   */
  admissionEffort (): number {
    if (this.entries.size < this.maxEntries) return this.minEffort
    const low = this.leastWorked()
    return low == null ? this.minEffort : Math.max(this.minEffort, Math.min(MAX_RELAY_WORK_EFFORT, low.effort + 1))
  }

  /**
   * Verify and store an encoded descriptor received at `now` (ms). Throws a
   * named {@link DescriptorError} (too large, malformed, expired, from the
   * future, lifetime too long, missing/insufficient/stale proof of work, bad
   * signature, peer-id mismatch) when invalid.
   *
   * A descriptor not newer than the stored one is answered 'unchanged' before
   * its signature is checked (gossip repeats cost no Ed25519 verify); the
   * proof of work (one small blake2b) is checked before the signature too,
   * and a newcomer a full directory would refuse is answered 'full' without
   * verifying its signature. A
   * replacement must be signed by the same key as the stored descriptor (key
   * pinning for the lifetime of the entry).
   */
  add (bytes: Uint8Array, now: number): AddOutcome {
    const decoded = decodeDescriptor(bytes)
    const d = decoded.descriptor
    checkDescriptorFreshness(d, now)
    const old = this.entries.get(d.peerId)
    if (old != null && old.descriptor.published >= d.published) return 'unchanged'
    const effort = checkRelayWork(d, now, this.minEffort, MAX_DESCRIPTOR_CLOCK_SKEW_MS)
    if (old == null && this.entries.size >= this.maxEntries) {
      this.prune(now)
      // Refused before the Ed25519 verify: a flood against a full directory costs one blake2b each.
      if (this.entries.size >= this.maxEntries && (this.leastWorked()?.effort ?? Infinity) >= effort) return 'full'
    }
    checkDescriptorSignature(decoded)
    if (this.bindsPeerId != null && !this.bindsPeerId(d.peerId, d.signingKey)) throw new DescriptorPeerIdMismatchError()
    if (old != null && old.descriptor.expires > now && !ctEqual(old.descriptor.signingKey, d.signingKey)) {
      throw new DescriptorPeerIdMismatchError('descriptor signing key differs from the one pinned for this peer id')
    }

    if (old != null) {
      // A republish keeps its place in arrival order; it moves to the front
      // of gossip only if it has not been there for RELIST_MIN_INTERVAL_MS.
      const relist = now - old.listedAt >= RELIST_MIN_INTERVAL_MS
      this.entries.set(d.peerId, {
        descriptor: d,
        bytes: bytes.slice(),
        effort,
        firstSeen: old.firstSeen,
        listedAt: relist ? now : old.listedAt,
        listedSeq: relist ? ++this.arrivals : old.listedSeq
      })
      this.emit({ type: 'replaced', descriptor: d, previous: old.descriptor })
      return 'replaced'
    }
    if (this.entries.size >= this.maxEntries) {
      const victim = this.leastWorked()
      if (victim == null || victim.effort >= effort) return 'full'
      this.entries.delete(victim.descriptor.peerId)
      this.emit({ type: 'removed', descriptor: victim.descriptor, reason: 'evicted' })
    }
    const seq = ++this.arrivals
    this.entries.set(d.peerId, { descriptor: d, bytes: bytes.slice(), effort, firstSeen: seq, listedAt: now, listedSeq: seq })
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

  /** Proven effort of a stored descriptor, or undefined. */
  effortOf (peerId: string): number | undefined { return this.entries.get(peerId)?.effort }

  /**
   * Encoded descriptors unexpired at `now`, at most `limit`: what to gossip.
   * Most recently listed here first (local arrival, never the claimed
   * `published`), so a new relay spreads and a directory larger than `limit`
   * rotates through its entries as they republish.
   */
  encodedForSharing (now: number, limit: number): Uint8Array[] {
    return [...this.entries.values()]
      .filter(e => e.descriptor.expires > now)
      .sort((a, b) => b.listedAt - a.listedAt || b.listedSeq - a.listedSeq)
      .slice(0, Math.max(0, limit))
      .map(e => e.bytes.slice())
  }

  /** Listen to changes; returns the unsubscribe function. Listeners run after the change, synchronously. */
  subscribe (listener: DirectoryListener): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  private leastWorked (): Entry | undefined {
    let low: Entry | undefined
    for (const e of this.entries.values()) if (low == null || evictsBefore(e, low)) low = e
    return low
  }

  private emit (event: DirectoryEvent): void {
    for (const l of [...this.listeners]) l(event)
  }
}

function checkEffort (effort: number): number {
  if (!Number.isInteger(effort) || effort < MIN_RELAY_WORK_EFFORT || effort > MAX_RELAY_WORK_EFFORT) throw new RangeError('Directory: effort must be an integer in 1..2^32-1')
  return effort
}

/**
 * The tab's view of the relay directory: verified descriptors by peer id, our
 * own signed descriptor first in what we share, and path choice.
 *
 * Path choice (path-spec, simplified): hops are distinct verified relays,
 * never this tab nor an excluded peer, chosen with probability proportional to
 * advertised capacity (capped, so one relay claiming a huge capacity cannot
 * attract every circuit). The first hop is drawn from a small set of entry
 * guards kept for the session (guard-spec: repeated circuits reuse the same few
 * entries instead of eventually touching an adversary's), preferring guards we
 * already have a direct connection to.
 */
import type { RelayInfo } from '../core/circuit/router.ts'
import { descriptorNodeId, signDescriptor, verifyDescriptor, type RelayDescriptor } from '../core/relay-descriptor.ts'
import { isProtocolError } from '../core/errors.ts'
import { peerIdFromString } from '@libp2p/peer-id'

/** How long our descriptor claims to be valid. */
export const DESCRIPTOR_LIFETIME_MS = 60 * 60_000
/** Republish when less than this much validity is left. */
export const DESCRIPTOR_REPUBLISH_MARGIN_MS = 20 * 60_000
/** Most descriptors kept; beyond it the oldest are dropped. */
export const MAX_DIRECTORY_SIZE = 2048
/** Capacity we advertise (relative units; every tab the same for now). */
export const DEFAULT_CAPACITY = 100
/** Cap on the capacity any one relay is weighted by (path-spec: bound a liar's share). */
export const MAX_PATH_WEIGHT = 1000
/** Entry guards per session (guard-spec's "primary guards", simplified). */
export const ENTRY_GUARDS = 3

export class NoPathError extends Error {
  constructor (message: string) {
    super(message)
    this.name = 'NoPathError'
  }
}

interface Entry { descriptor: RelayDescriptor, bytes: Uint8Array, info: RelayInfo }

export interface RelayDirectoryOptions {
  self: RelayInfo
  transportPublicKey: Uint8Array
  sign: (msg: Uint8Array) => Promise<Uint8Array>
  now?: () => number
  random?: () => number
}

export class RelayDirectory {
  private readonly entries = new Map<string, Entry>()
  private own: { bytes: Uint8Array, expires: number } | null = null
  private readonly guards: string[] = []
  private readonly now: () => number
  private readonly random: () => number
  rejected = 0

  constructor (private readonly opts: RelayDirectoryOptions) {
    this.now = opts.now ?? Date.now
    this.random = opts.random ?? Math.random
  }

  get size (): number { return this.entries.size }

  async publishSelf (): Promise<void> {
    const published = this.now()
    const descriptor: RelayDescriptor = {
      peerId: this.opts.self.peerId,
      signingKey: this.opts.transportPublicKey,
      onionKey: this.opts.self.onionKey,
      published,
      expires: published + DESCRIPTOR_LIFETIME_MS,
      capacity: DEFAULT_CAPACITY
    }
    this.own = { bytes: await signDescriptor(descriptor, this.opts.sign), expires: descriptor.expires }
  }

  async republishIfDue (): Promise<void> {
    if (this.own == null || this.own.expires - this.now() < DESCRIPTOR_REPUBLISH_MARGIN_MS) await this.publishSelf()
  }

  /** Verify and keep a descriptor; false when refused (bad, expired, ours, or not newer). */
  addEncoded (bytes: Uint8Array): boolean {
    let d: RelayDescriptor
    try {
      d = verifyDescriptor(bytes, this.now())
      // The signing key must be the key of the peer id it names, so a descriptor
      // can only ever describe the tab that signed it.
      const key = peerIdFromString(d.peerId).publicKey?.raw
      if (key == null || key.length !== 32 || key.some((b, i) => b !== d.signingKey[i])) throw new Error('peer id does not match signing key')
    } catch (err) {
      this.rejected++
      if (!isProtocolError(err) && !(err instanceof Error)) throw err
      return false
    }
    if (d.peerId === this.opts.self.peerId) return false
    const old = this.entries.get(d.peerId)
    if (old != null && old.descriptor.published >= d.published) return false
    this.entries.set(d.peerId, { descriptor: d, bytes: bytes.slice(), info: { peerId: d.peerId, nodeId: descriptorNodeId(d), onionKey: d.onionKey } })
    if (this.entries.size > MAX_DIRECTORY_SIZE) {
      const oldest = [...this.entries.values()].sort((a, b) => a.descriptor.published - b.descriptor.published)[0]
      if (oldest != null) this.entries.delete(oldest.descriptor.peerId)
    }
    return true
  }

  encodedForSharing (limit: number): Uint8Array[] {
    const now = this.now()
    const others = [...this.entries.values()]
      .filter(e => e.descriptor.expires > now)
      .sort((a, b) => b.descriptor.published - a.descriptor.published)
      .map(e => e.bytes)
    return [...(this.own != null ? [this.own.bytes] : []), ...others].slice(0, limit)
  }

  prune (): void {
    const now = this.now()
    for (const [id, e] of this.entries) if (e.descriptor.expires <= now) this.entries.delete(id)
    for (let i = this.guards.length - 1; i >= 0; i--) if (!this.entries.has(this.guards[i]!)) this.guards.splice(i, 1)
  }

  relays (): RelayInfo[] {
    this.prune()
    return [...this.entries.values()].map(e => e.info)
  }

  /** Forget a guard that failed (it may have left); a new one is chosen next time. */
  dropGuard (peerId: string): void {
    const i = this.guards.indexOf(peerId)
    if (i >= 0) this.guards.splice(i, 1)
  }

  choosePath (hops: number, exclude: readonly string[], isConnected: (peerId: string) => boolean): RelayInfo[] {
    this.prune()
    const banned = new Set([this.opts.self.peerId, ...exclude])
    const pool = [...this.entries.values()].filter(e => !banned.has(e.descriptor.peerId))
    if (pool.length < hops) throw new NoPathError(`need ${hops} relays, know ${pool.length}`)
    // Entry guards: top up the set, then use one (connected ones first).
    while (this.guards.length < ENTRY_GUARDS) {
      const candidates = pool.filter(e => !this.guards.includes(e.descriptor.peerId))
      if (candidates.length === 0) break
      this.guards.push(this.weightedPick(candidates).descriptor.peerId)
    }
    const usable = this.guards.filter(g => !banned.has(g) && this.entries.has(g))
    const connected = usable.filter(isConnected)
    const guardId = (connected.length > 0 ? connected : usable)[Math.floor(this.random() * (connected.length > 0 ? connected.length : usable.length))]
    const path: Entry[] = []
    const first = guardId != null ? this.entries.get(guardId) : undefined
    path.push(first ?? this.weightedPick(pool))
    while (path.length < hops) {
      const rest = pool.filter(e => !path.includes(e))
      if (rest.length === 0) throw new NoPathError('not enough distinct relays')
      path.push(this.weightedPick(rest))
    }
    return path.map(e => e.info)
  }

  private weightedPick (from: Entry[]): Entry {
    const weight = (e: Entry): number => Math.max(1, Math.min(MAX_PATH_WEIGHT, e.descriptor.capacity))
    let total = 0
    for (const e of from) total += weight(e)
    let r = this.random() * total
    for (const e of from) {
      r -= weight(e)
      if (r < 0) return e
    }
    return from[from.length - 1]!
  }
}

/**
 * The tab's relay directory: core's verified-descriptor store
 * (core/directory), our own signed descriptor, and path choice with entry
 * guards, layer-2 vanguards and path-bias counts (core/path). The session's
 * guard state lives here, so every circuit of the tab shares one guard set,
 * one L2 set (prop 333) and one account of how each guard's circuits fared
 * (path-spec, path bias). The only thing added here is what core cannot do: bind
 * a descriptor's signing key to the libp2p peer id it names (the key is
 * inside an Ed25519 peer id), so a descriptor can only describe the tab that
 * signed it; and the proof of work our own descriptor needs before anyone
 * lists us (core/directory/work.ts, Tor proposal 327): computed once an epoch
 * in a Web Worker (./relay-work/), at the effort the seeds announce or, when
 * our own directory is full, the effort it now asks of newcomers. Until the
 * proof is ready the tab is a client only: it chats through others' relays
 * and does not share its own descriptor (everyone would refuse it).
 */
import { peerIdHasKey } from '../net/peer-ids.ts'
import type { RelayInfo } from '../core/circuit/router.ts'
import { ADVERTISED_CAPACITY_KIBPS } from '../core/circuit/limits.ts'
import { nodeIdFromIdentityKey } from '../core/crypto/index.ts'
import {
  DEFAULT_RELAY_WORK_EFFORT, Directory, encodeRelayWorkProof, MAX_OWN_RELAY_WORK_EFFORT, RELAY_WORK_PAST_EPOCHS, relayWorkEpoch,
  signDescriptor, type DescriptorFields, type RelayDescriptor, type RelayWorkProof
} from '../core/directory/index.ts'
import { choosePath, GuardSet, PATH_BIAS_MAX_DISABLED, PATH_BIAS_MIN_OBSERVATIONS, PathBias, VanguardSet, type PathBiasOutcome } from '../core/path/index.ts'
import { uniformInt } from '../core/path/sampling.ts'
import { systemRandom, type RandomSource } from '../core/random.ts'
import type { AnnouncedEfforts } from '../net/relay-work-params.ts'
import { inThreadSolver, type RelayWorkSolver } from './relay-work/solver.ts'

/**
 * How long our descriptor claims to be valid (core caps any at 30 min, MAX_DESCRIPTOR_LIFETIME_MS). Short,
 * because a closed tab stays in every directory until its descriptor expires
 * (tabs that could not reach it drop it sooner: OnionService.markUnreachable).
 */
export const DESCRIPTOR_LIFETIME_MS = 20 * 60_000
/**
 * Re-sign when less than a margin drawn uniformly from [MIN, MAX] afresh for
 * each descriptor is left (checked every gossip round), so republishing is
 * not a fixed beat from the tab's start (docs/PROTOCOL.md "Descriptor times").
 */
export const DESCRIPTOR_REPUBLISH_MARGIN_MIN_MS = 4 * 60_000
export const DESCRIPTOR_REPUBLISH_MARGIN_MAX_MS = 10 * 60_000
/**
 * `published` is moved back by a random 0..this and rounded down to
 * DESCRIPTOR_PUBLISHED_GRANULARITY_MS, so it does not say when the tab started
 * or (to the ms) when it signed. Nothing needs it finer: relays only compare
 * it, newer replaces older (core/directory), as Tor clients ignore the
 * published time of consensus entries (proposal 275).
 */
export const DESCRIPTOR_PUBLISHED_BACKDATE_MAX_MS = 5 * 60_000
export const DESCRIPTOR_PUBLISHED_GRANULARITY_MS = 60_000
/**
 * How long a new tab waits for a seed to announce the effort before working
 * at the default: a test network's seeds announce far less, and computing the
 * default first would cost every tab seconds for nothing.
 */
export const RELAY_WORK_ANNOUNCE_WAIT_MS = 10_000
/** The work view changes at most this often while solving (progress). */
const WORK_PROGRESS_INTERVAL_MS = 250

/** Where this tab's own proof of work stands, for the UI. */
export type RelayWorkView =
  | { readonly phase: 'waiting' } // for a seed to say how much
  | { readonly phase: 'working', readonly effort: number, readonly attempts: number }
  | { readonly phase: 'ready', readonly effort: number }
  | { readonly phase: 'too-costly', readonly effort: number } // asked more than MAX_OWN_RELAY_WORK_EFFORT: client only

/**
 * A guard path bias found wanting (path-spec, path bias): named, with its
 * counts, for the debug view and the log; never its peer id.
 */
export interface GuardWarning {
  /** 'path-bias-flagged': too many of its circuits fail beyond it; 'path-bias-disabled': so many that it is no longer used. */
  readonly reason: 'path-bias-flagged' | 'path-bias-disabled'
  readonly built: number
  readonly failedBeyondGuard: number
}

export interface RelayDirectoryOptions {
  self: RelayInfo
  transportPublicKey: Uint8Array
  sign: (msg: Uint8Array) => Promise<Uint8Array>
  maxCircuits: number
  now?: () => number
  /** Draws the backdating of `published` and the republish margin (systemRandom unless a test seeds it). */
  random?: RandomSource
  /** Solves our proof of work (default: on this thread; the app passes the Web Worker solver). */
  solveWork?: RelayWorkSolver
  /** The work view changed (progress, done). */
  onWorkChange?: (view: RelayWorkView) => void
  /** Bound on the directory (default core's MAX_DIRECTORY_ENTRIES). */
  maxDirectoryEntries?: number
}

export class RelayDirectory {
  private readonly directory: Directory
  private readonly guards = new GuardSet({ rng: systemRandom })
  private readonly vanguards: VanguardSet
  private readonly pathBias = new PathBias()
  private readonly flagged = new Map<string, GuardWarning>()
  private pathBiasDisabled = 0
  private own: { bytes: Uint8Array, published: number, republishAt: number, proven: boolean } | null = null
  private readonly now: () => number
  private readonly random: RandomSource
  private readonly createdAt: number
  private announced: AnnouncedEfforts | null = null
  private work: RelayWorkProof | null = null
  private solving: AbortController | null = null
  private view: RelayWorkView = { phase: 'waiting' }
  private lastProgressAt = -Infinity
  rejected = 0

  constructor (private readonly opts: RelayDirectoryOptions) {
    this.now = opts.now ?? Date.now
    this.random = opts.random ?? systemRandom
    this.vanguards = new VanguardSet({ rng: systemRandom, now: this.now })
    this.createdAt = this.now()
    this.directory = new Directory({ bindsPeerId: peerIdHasKey, ...(opts.maxDirectoryEntries != null ? { maxEntries: opts.maxDirectoryEntries } : {}) })
  }

  get workView (): RelayWorkView { return this.view }

  /**
   * What the seeds announced: accept from others what the most lenient one
   * does, publish with what the strictest asks (net/relay-work-params.ts).
   */
  setAnnouncedEfforts (efforts: AnnouncedEfforts): void {
    this.announced = efforts
    this.directory.setMinEffort(efforts.accept)
    void this.prepareWork()
  }

  /** The effort our descriptor needs now: the seeds' (or the default), raised to what our full directory asks of newcomers. */
  targetEffort (): number {
    this.prune() // expired entries neither fill the directory nor set the bar
    return Math.max(this.announced?.publish ?? DEFAULT_RELAY_WORK_EFFORT, this.directory.admissionEffort())
  }

  /**
   * Start solving when our proof is missing, below the target, or from an
   * earlier epoch (the old one stays valid for RELAY_WORK_PAST_EPOCHS more, so
   * the descriptor stays listed while the new one is computed). Publishes as
   * soon as it is done.
   */
  async prepareWork (): Promise<void> {
    if (this.solving != null) return
    const now = this.now()
    const target = this.targetEffort()
    const epoch = relayWorkEpoch(now)
    if (this.work != null && this.work.effort >= target && this.work.epoch >= epoch) return
    if (this.announced == null && now - this.createdAt < RELAY_WORK_ANNOUNCE_WAIT_MS) return
    if (target > MAX_OWN_RELAY_WORK_EFFORT) {
      this.setView({ phase: 'too-costly', effort: target })
      return
    }
    const solving = new AbortController()
    this.solving = solving
    this.setView({ phase: 'working', effort: target, attempts: 0 })
    try {
      const solve = this.opts.solveWork ?? inThreadSolver
      this.work = await solve({ signingKey: this.opts.transportPublicKey, epoch, effort: target }, (attempts) => {
        if (this.now() - this.lastProgressAt < WORK_PROGRESS_INTERVAL_MS) return
        this.lastProgressAt = this.now()
        this.setView({ phase: 'working', effort: target, attempts })
      }, solving.signal)
      this.setView({ phase: 'ready', effort: target })
    } catch {
      this.setView(this.work != null ? { phase: 'ready', effort: this.work.effort } : { phase: 'waiting' })
      return
    } finally {
      this.solving = null
    }
    await this.publishSelf()
  }

  /** Stop solving (the tab is closing). */
  stopWork (): void {
    this.solving?.abort()
  }

  private setView (view: RelayWorkView): void {
    this.view = view
    this.opts.onWorkChange?.(view)
  }

  /** Our proof, if a verifier accepts it now (its epoch or the one after). */
  private usableWork (): RelayWorkProof | null {
    const w = this.work
    return w != null && w.epoch >= relayWorkEpoch(this.now()) - RELAY_WORK_PAST_EPOCHS ? w : null
  }

  /** Relays known besides this tab. */
  get size (): number { return this.directory.size - (this.directory.has(this.opts.self.peerId) ? 1 : 0) }

  async publishSelf (): Promise<void> {
    const proof = this.usableWork()
    // Coarse and backdated (DESCRIPTOR_PUBLISHED_BACKDATE_MAX_MS), yet above our last shared one so it still replaces it.
    const back = uniformInt(this.random, DESCRIPTOR_PUBLISHED_BACKDATE_MAX_MS + 1)
    const coarse = Math.floor((this.now() - back) / DESCRIPTOR_PUBLISHED_GRANULARITY_MS) * DESCRIPTOR_PUBLISHED_GRANULARITY_MS
    // Only a descriptor others were given must be outdone: an unproven one was never shared (encodedForSharing).
    const published = Math.max(coarse, this.own?.proven === true ? this.own.published + DESCRIPTOR_PUBLISHED_GRANULARITY_MS : 0)
    const fields: DescriptorFields = {
      peerId: this.opts.self.peerId,
      onionKey: this.opts.self.onionKey,
      signingKey: this.opts.transportPublicKey,
      published,
      expires: published + DESCRIPTOR_LIFETIME_MS,
      capacity: ADVERTISED_CAPACITY_KIBPS,
      maxCircuits: this.opts.maxCircuits,
      networkHint: null,
      powNonce: proof != null ? encodeRelayWorkProof(proof) : null
    }
    const margin = DESCRIPTOR_REPUBLISH_MARGIN_MIN_MS + uniformInt(this.random, DESCRIPTOR_REPUBLISH_MARGIN_MAX_MS - DESCRIPTOR_REPUBLISH_MARGIN_MIN_MS + 1)
    this.own = { bytes: await signDescriptor(fields, this.opts.sign), published, republishAt: fields.expires - margin, proven: proof != null }
  }

  async republishIfDue (): Promise<void> {
    void this.prepareWork()
    if (this.own == null || this.now() >= this.own.republishAt || (!this.own.proven && this.usableWork() != null)) await this.publishSelf()
  }

  /** Verify and keep a descriptor from gossip; false (never a throw) when refused or not newer. */
  addEncoded (bytes: Uint8Array): boolean {
    try {
      const outcome = this.directory.add(bytes, this.now())
      return outcome === 'added' || outcome === 'replaced'
    } catch {
      this.rejected++ // a named DescriptorError: dropped, nothing else happens
      return false
    }
  }

  /** Our own descriptor first (once it carries its proof of work), then the most recently listed others. */
  encodedForSharing (limit: number): Uint8Array[] {
    const others = this.directory.encodedForSharing(this.now(), limit)
    return [...(this.own?.proven === true ? [this.own.bytes] : []), ...others].slice(0, limit)
  }

  prune (): void {
    this.directory.prune(this.now())
  }

  relays (): RelayInfo[] {
    this.prune()
    return this.directory.list().filter(d => d.peerId !== this.opts.self.peerId).map(toRelayInfo)
  }

  /**
   * The guard itself failed (no channel to it, no CREATED from it): count it
   * against the guard, retired after repeated failures. Only the guard's own
   * failures come here (guard-spec §4.8; app/onion/builder.ts decides).
   */
  reportFailure (peerId: string): void {
    this.guards.markFailure(peerId)
  }

  /** The guard answered (a circuit through it was built): its failure count resets. */
  reportSuccess (peerId: string): void {
    this.guards.markSuccess(peerId)
  }

  /**
   * A circuit through `guard` whose path this tab chose entirely at random
   * was built, or failed beyond the guard: count it for path bias. A guard
   * whose circuits fail beyond it far too often is flagged, then retired
   * (at most PATH_BIAS_MAX_DISABLED a session, core/path/limits.ts says why).
   */
  reportPathBias (guard: string, outcome: PathBiasOutcome): void {
    if (!this.guards.guards.some(g => g.peerId === guard)) return // retired meanwhile
    const verdict = this.pathBias.record(guard, outcome)
    if (verdict === 'ok') return
    const counts = this.pathBias.countsOf(guard)
    // Disabled only when another guard's circuits show the network is fine: path bias
    // flags a guard whose circuits fail far more than others' (issue #13 item 1). When
    // every path fails (a small network full of closed tabs' descriptors, our own link),
    // retiring guard after guard only walks the tab through them.
    const disable = verdict === 'disable' && this.pathBiasDisabled < PATH_BIAS_MAX_DISABLED && this.anotherGuardHealthy(guard)
    const reason = disable ? 'path-bias-disabled' : 'path-bias-flagged'
    const before = this.flagged.get(guard)?.reason
    this.flagged.set(guard, { reason, built: counts.built, failedBeyondGuard: counts.failedBeyondGuard })
    if (before !== reason) {
      // No peer id: the reason and the counts are what the reader needs.
      console.warn(`entry guard ${reason}: ${counts.failedBeyondGuard} of ${counts.built + counts.failedBeyondGuard} circuits failed beyond it`)
    }
    if (disable) {
      this.pathBiasDisabled++
      this.guards.retire(guard)
      this.pathBias.forget(guard)
    }
  }

  /** Some other current guard has enough counted circuits and path bias finds nothing wrong with it. */
  private anotherGuardHealthy (guard: string): boolean {
    return this.guards.guards.some(g => {
      if (g.peerId === guard) return false
      const c = this.pathBias.countsOf(g.peerId)
      return c.built + c.failedBeyondGuard >= PATH_BIAS_MIN_OBSERVATIONS && this.pathBias.verdict(g.peerId) === 'ok'
    })
  }

  /** Guards path bias flagged or disabled this session (reasons and counts, no peer ids). */
  guardWarnings (): GuardWarning[] {
    return [...this.flagged.values()]
  }

  /**
   * Distinct relays, capacity-weighted, never self or `exclude`; the first an
   * entry guard unless `guards` is false (a destination such as an
   * introduction point must not be one of our guards, or publishing it would
   * name them).
   */
  choosePath (hops: number, exclude: readonly string[], guards = true): RelayInfo[] {
    this.prune()
    const path = choosePath(this.directory.list(), { self: this.opts.self.peerId, rng: systemRandom, hops, exclude, ...(guards ? { guards: this.guards } : {}) })
    return path.map(toRelayInfo)
  }

  /**
   * The stem of an onion-service circuit (prop 333): `hops` relays, the
   * first an entry guard, the second one of the layer-2 vanguards, the rest
   * middles; never self, `exclude` (the endpoint goes there) or `gone`. The
   * caller appends the endpoint. An L2 member in `gone` (believed gone, or
   * never to be used) is replaced, as prop 333 replaces an L2 that leaves
   * the consensus: a closed tab stays listed until its descriptor expires,
   * and a set of dead members would leave no onion-service path meanwhile.
   * Guards are not replaced this way (their own failures decide, guard-spec §4.8).
   */
  chooseVanguardPath (hops: number, exclude: readonly string[], gone: readonly string[] = []): RelayInfo[] {
    this.prune()
    const relays = this.directory.list()
    const goneIds = new Set(gone)
    if (goneIds.size > 0) this.vanguards.refresh(relays.filter(r => !goneIds.has(r.peerId)), this.opts.self.peerId)
    const path = choosePath(relays, { self: this.opts.self.peerId, rng: systemRandom, hops, exclude: [...exclude, ...gone], guards: this.guards, vanguards: this.vanguards })
    return path.map(toRelayInfo)
  }

  /** The entry guard {@link choosePath} would start a path with now (guard-spec §4.6), or undefined. */
  currentGuard (exclude: readonly string[]): string | undefined {
    this.prune()
    return this.guards.pick(this.directory.list(), this.opts.self.peerId, new Set(exclude))?.peerId
  }
}

function toRelayInfo (d: RelayDescriptor): RelayInfo {
  return { peerId: d.peerId, nodeId: nodeIdFromIdentityKey(d.signingKey), onionKey: d.onionKey }
}

/**
 * The onion layer of a tab, wired together: the router from core (every tab
 * is a client *and* a relay), channels over direct WebRTC connections from
 * net, and the relay directory filled by descriptor gossip. The UI reads a
 * small snapshot (circuits relayed for others, the test circuit's progress);
 * nothing here logs keys, payloads or peer ids.
 */
import { DEFAULT_ROUTER_LIMITS } from '../core/circuit/limits.ts'
import { DestroyReason } from '../core/cell/index.ts'
import { CircuitClosedError, OnionRouter, PREPARED_ONIONSKIN_TTL_MS, type BuildOptions, type BuildProgress, type ClientCircuit, type HopState, type RelayInfo } from '../core/circuit/router.ts'
import { generateOnionKey, nodeIdFromIdentityKey } from '../core/crypto/index.ts'
import { systemRandom } from '../core/random.ts'
import { ctEqual } from '../core/bytes.ts'
import { isProtocolError } from '../core/errors.ts'
import { CellScheduler } from '../core/channel/scheduler.ts'
import { ChannelManager } from '../net/channels.ts'
import { GOSSIP_INTERVAL_MS, pullDescriptors, serveDescriptors } from '../net/descriptor-gossip.ts'
import { shortPeerId, type Network } from '../net/network.ts'
import { HsDirStore } from '../core/rendezvous/hsdir-store.ts'
import { ExternalStore } from './external-store.ts'
import { RelayDirectory } from './relay-directory.ts'
import { bestDh } from './webcrypto-dh.ts'
import { bestRunningDigest } from './wasm-digest.ts'

export interface TestCircuitState {
  readonly phase: 'building' | 'measuring' | 'done' | 'failed'
  readonly hops: ReadonlyArray<{ readonly shortId: string | null, readonly peerId: string | null, readonly state: HopState }>
  readonly buildMs: number | null
  readonly rttMs: number | null
  readonly error: string | null
}

export interface CircuitViewState {
  readonly relaying: number
  readonly knownRelays: number
  readonly test: TestCircuitState | null
}

/** Hops in a circuit (DESIGN.md §4: default 3, all distinct, never self). */
export const CIRCUIT_HOPS = 3

/** Tries for a circuit on a chosen path before giving up. */
export const BUILD_ATTEMPTS = 3

/**
 * A relay that could not be reached (its tab probably closed: its descriptor
 * outlives it by up to its lifetime) is kept out of paths and of the HSDir
 * ring for this long.
 */
export const UNREACHABLE_MS = 10 * 60_000
/** A relay that timed out is avoided for this long (it may only have been slow). */
export const SUSPECT_MS = 60_000

/** A guard's build failure is counted after this, unless the tab went offline meanwhile (liveness decides within ~9 s). */
export const GUARD_FAILURE_SETTLE_MS = 15_000

/** Bytes echoed by "Test circuit". */
const TEST_ECHO_BYTES = 32

export interface OnionServiceOptions {
  /** Record every cell this tab sends or receives (tests that inspect what a relay forwards). */
  onFrame?: (direction: 'in' | 'out', peer: string, cell: Uint8Array) => void
}

export class OnionService {
  private router: OnionRouter | null = null
  private channels: ChannelManager | null = null
  private directory: RelayDirectory | null = null
  /** The next full-length path, chosen ahead with its onionskins in the making ({@link prepareNextPath}). */
  private nextPath: RelayInfo[] | null = null
  private nextPathAt = 0
  private readonly view = new ExternalStore<CircuitViewState>({ relaying: 0, knownRelays: 0, test: null })
  private timers: Array<ReturnType<typeof setInterval>> = []
  private startPromise: Promise<void> | null = null
  private self: RelayInfo | null = null
  /** Descriptors this tab holds as an HSDir (docs/RENDEZVOUS.md §4). */
  readonly hsdir = new HsDirStore({ now: () => Date.now() })
  /**
   * Peers never used as hops (tests: keep two chat ends from meeting as
   * neighbours, so any connection between them could only come from the chat).
   */
  private readonly avoided = new Set<string>()
  /** Relays that failed to answer, until when (ms, Date.now). */
  private readonly unreachable = new Map<string, number>()
  /** Guard failures waiting to be counted ({@link settleGuardFailures}). */
  private readonly pendingGuardFailures: Array<{ peerId: string, at: number }> = []

  constructor (private readonly network: Network, private readonly options: OnionServiceOptions = {}) {}

  readonly subscribe = this.view.subscribe
  readonly getSnapshot = this.view.getSnapshot

  get relayDirectory (): RelayDirectory | null { return this.directory }
  get onionRouter (): OnionRouter | null { return this.router }
  /** This tab as a relay (for the HSDir hash ring, which every tab computes over the same set). */
  get selfRelay (): RelayInfo | null { return this.self }

  /** Keep `peerId` out of every path this tab chooses, and out of its neighbours. */
  avoidPeer (peerId: string): void {
    this.avoided.add(peerId)
    this.network.avoidPeer(peerId)
  }

  /** Every relay known and not known to be gone, this tab included: the members of the HSDir hash ring. */
  ringMembers (): RelayInfo[] {
    const gone = new Set(this.unreachableIds())
    const others = (this.directory?.relays() ?? []).filter(r => !gone.has(r.peerId))
    return this.self == null ? others : [...others, this.self]
  }

  /** A relay failed to answer: keep it out of paths and the ring for `ms` (default {@link UNREACHABLE_MS}). */
  markUnreachable (peerId: string, ms = UNREACHABLE_MS): void {
    const until = Date.now() + ms
    if ((this.unreachable.get(peerId) ?? 0) < until) this.unreachable.set(peerId, until)
  }

  private unreachableIds (): string[] {
    const now = Date.now()
    for (const [id, until] of this.unreachable) if (until <= now) this.unreachable.delete(id)
    return [...this.unreachable.keys()]
  }

  /** Note the hop a build failed at when the failure says that hop is gone (not merely busy). */
  private noteFailure (peerId: string, err: unknown): void {
    if (isUnreachableError(err)) this.markUnreachable(peerId)
    // A hop that did not answer in time may be gone or only slow: avoid it briefly.
    else if (isProtocolError(err, 'timeout')) this.markUnreachable(peerId, SUSPECT_MS)
  }

  start (): Promise<void> {
    this.startPromise ??= this.doStart()
    return this.startPromise
  }

  private async doStart (): Promise<void> {
    const node = await this.network.started
    const peerId = node.peerId.toString()
    const transportKey = this.network.transportPublicKey
    if (transportKey == null) throw new Error('network has no transport key')
    const { onionKey, onionSecret } = generateOnionKey(systemRandom)
    const nodeId = nodeIdFromIdentityKey(transportKey)
    this.self = { peerId, nodeId, onionKey }
    const directory = new RelayDirectory({
      self: { peerId, nodeId, onionKey },
      transportPublicKey: transportKey,
      sign: async (bytes) => await this.network.signWithTransportKey(bytes),
      maxCircuits: DEFAULT_ROUTER_LIMITS.maxRelayCircuits
    })
    this.directory = directory
    await directory.publishSelf()

    let router: OnionRouter | null = null
    const channels = new ChannelManager({
      node,
      sink: {
        handleCell: (from, cell) => { router?.handleCell(from, cell) },
        handleLinkClosed: (peer) => { router?.handleLinkClosed(peer) }
      },
      isDirect: this.network.isDirect,
      connect: async (peer, signal) => await this.network.connect(peer, 'circuit', signal),
      onFrame: this.options.onFrame,
      // Tor's EWMA circuit scheduler per channel: a bulk circuit cannot starve a chat circuit.
      newQueue: () => new CellScheduler({ clock: { now: () => performance.now() } })
    })
    router = new OnionRouter({
      peerId,
      onionKeys: [{ nodeId, onionKey, onionSecret }],
      links: channels,
      random: systemRandom,
      now: () => performance.now(),
      setTimer: (ms, fn) => { const t = setTimeout(fn, ms); return () => { clearTimeout(t) } },
      dh: await bestDh(),
      runningDigest: await bestRunningDigest(),
      onEvent: () => { this.publish() },
      hsdir: this.hsdir
    })
    this.router = router
    this.channels = channels
    // Links that carry circuits, or are being opened for one, stay open even
    // above the neighbour limit.
    this.network.keepConnectionsWhere((peer) => router.hasCircuitsWith(peer) || channels.isOpening(peer))
    await channels.start()
    await serveDescriptors(async (protocol, handler) => { await node.handle(protocol, handler) }, directory, this.network.isDirect)

    // Fetch the directory from every new direct neighbour, and now and then from one at random.
    const pulled = new WeakSet<object>()
    const pullFrom = (conn: Parameters<typeof pullDescriptors>[0]): void => {
      if (pulled.has(conn) || !this.network.isDirect(conn)) return
      pulled.add(conn)
      void pullDescriptors(conn, directory).then(() => { this.publish() }, () => { pulled.delete(conn) })
    }
    node.addEventListener('connection:open', (evt) => { setTimeout(() => { pullFrom(evt.detail) }, 200) })
    for (const conn of node.getConnections()) pullFrom(conn)
    this.timers.push(setInterval(() => {
      const direct = node.getConnections().filter(c => this.network.isDirect(c))
      const one = direct[Math.floor(Math.random() * direct.length)]
      if (one != null) void pullDescriptors(one, directory).then(() => { this.publish() }, () => {})
      directory.prune()
      this.hsdir.prune()
      void directory.republishIfDue()
    }, GOSSIP_INTERVAL_MS))
    this.timers.push(setInterval(() => { this.publish() }, 2_000))
    this.timers.push(setInterval(() => { this.settleGuardFailures() }, GUARD_FAILURE_SETTLE_MS / 2))
    // Back from an outage: the relays that "failed" meanwhile were fine, we were not.
    this.network.onRejoin(() => {
      this.unreachable.clear()
      this.pendingGuardFailures.length = 0
      this.nextPath = null
      this.publish()
    })
    this.publish()
  }

  /**
   * A build failure at the entry guard counts against it only once it is
   * clear the failure was not ours: the tab was still online
   * {@link GUARD_FAILURE_SETTLE_MS} later. An outage makes every build fail,
   * and counting those would retire good guards and walk the tab to new ones
   * (guard-spec §4.8: failures that are not the guard's own don't count).
   */
  private settleGuardFailures (): void {
    const now = performance.now()
    while (this.pendingGuardFailures.length > 0 && now - this.pendingGuardFailures[0]!.at >= GUARD_FAILURE_SETTLE_MS) {
      const { peerId } = this.pendingGuardFailures.shift()!
      if (this.network.getSnapshot().phase !== 'offline') this.directory?.reportFailure(peerId)
    }
  }

  async stop (): Promise<void> {
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    this.router?.shutdown()
    await this.channels?.stop()
  }

  /**
   * Choose hops for a circuit: distinct verified relays, never this tab. A
   * full-length path comes from the one chosen ahead after the last build
   * ({@link prepareNextPath}) when every hop of it is still fine to use.
   */
  choosePath (hops = CIRCUIT_HOPS, exclude: readonly string[] = []): RelayInfo[] {
    if (this.directory == null) throw new Error('onion layer not started')
    const ahead = this.nextPath
    if (ahead != null && hops === ahead.length) {
      this.nextPath = null
      if (this.stillUsable(ahead, exclude)) return ahead
    }
    return this.withUnreachableExcluded((gone) => this.directory!.choosePath(hops, [...exclude, ...this.avoided, ...gone]))
  }

  /**
   * Choose the next circuit's path now and have its onionskins made, so the
   * next build's CREATE goes out without waiting for X25519 (each onionskin
   * needs EXP(B,x) for its hop; the onward header needs them all,
   * docs/PROTOCOL.md §7). The same choice as at build time, made earlier;
   * like Tor's preemptive circuits, minus the circuit.
   */
  private prepareNextPath (): void {
    try {
      this.nextPath = this.withUnreachableExcluded((gone) => this.directory!.choosePath(CIRCUIT_HOPS, [...this.avoided, ...gone]))
      this.nextPathAt = performance.now()
    } catch {
      this.nextPath = null // too few relays: chosen at build time, as before
      return
    }
    for (const hop of this.nextPath) this.router!.prepareOnionskin(hop)
  }

  /**
   * A path chosen ahead is used only as it would be chosen now: not older
   * than its onionskins may be kept, its first hop the guard path choice
   * would pick now (guard-spec §4.6), every hop still in the directory with
   * the same keys, and none excluded, avoided or believed gone.
   */
  private stillUsable (path: readonly RelayInfo[], exclude: readonly string[]): boolean {
    if (performance.now() - this.nextPathAt > PREPARED_ONIONSKIN_TTL_MS) return false
    const banned = new Set([...exclude, ...this.avoided, ...this.unreachableIds()])
    if (this.directory!.currentGuard([...banned]) !== path[0]?.peerId) return false
    const current = new Map(this.directory!.relays().map(r => [r.peerId, r]))
    return path.every((hop) => {
      const now = current.get(hop.peerId)
      return now != null && !banned.has(hop.peerId) && ctEqual(now.onionKey, hop.onionKey)
    })
  }

  /**
   * Choose without the relays believed gone, or, when that leaves too few
   * (a small network, or a wrong belief), with them: a path that may fail
   * beats no path.
   */
  private withUnreachableExcluded<T> (choose: (gone: readonly string[]) => T): T {
    const gone = this.unreachableIds()
    if (gone.length === 0) return choose(gone)
    try {
      return choose(gone)
    } catch (err) {
      if (isProtocolError(err, 'no-path')) return choose([])
      throw err
    }
  }

  /** One relay to be a destination (introduction point, rendezvous point): capacity-weighted, never a guard choice, never self, avoided or `exclude`. */
  chooseDestination (exclude: readonly string[] = []): RelayInfo {
    if (this.directory == null) throw new Error('onion layer not started')
    return this.withUnreachableExcluded((gone) => this.directory!.choosePath(1, [...exclude, ...this.avoided, ...gone], false)[0]!)
  }

  /**
   * Build a circuit whose last hop is `target` (an HSDir, introduction or
   * rendezvous point), through {@link CIRCUIT_HOPS} − 1 chosen relays, with up
   * to {@link BUILD_ATTEMPTS} tries. `target` may be this tab only when
   * `lastHopMayBeSelf` (a service looping back to a rendezvous point its
   * client happened to choose here, docs/RENDEZVOUS.md §1).
   */
  async buildCircuitTo (target: RelayInfo, opts: { lastHopMayBeSelf?: boolean, onProgress?: (p: BuildProgress) => void } = {}): Promise<ClientCircuit> {
    return await this.buildWithRetries((avoid) => [...this.choosePath(CIRCUIT_HOPS - 1, [target.peerId, ...avoid]), target], opts.onProgress, { fixedLast: true, lastHopMayBeSelf: opts.lastHopMayBeSelf === true })
  }

  /**
   * Build a circuit through `path`, or through a chosen path with up to
   * {@link BUILD_ATTEMPTS} tries, each avoiding the relays that failed before
   * (a tab that closed stays in directories until its descriptor expires).
   */
  async buildCircuit (path?: RelayInfo[], onProgress?: (p: BuildProgress) => void, opts: Pick<BuildOptions, 'telescope'> = {}): Promise<ClientCircuit> {
    await this.start()
    if (path != null) {
      const circuit = await this.router!.buildCircuit(path, onProgress, opts)
      if (path.length === CIRCUIT_HOPS) this.prepareNextPath()
      return circuit
    }
    return await this.buildWithRetries((avoid) => this.choosePath(CIRCUIT_HOPS, avoid), onProgress, { fixedLast: false, lastHopMayBeSelf: false })
  }

  /**
   * Up to {@link BUILD_ATTEMPTS} builds over paths from `choose`, each avoiding
   * the hops that failed before; a failure at a fixed last hop (the
   * destination) is final. Guards and unreachable relays learn from each failure.
   */
  private async buildWithRetries (
    choose: (avoid: readonly string[]) => RelayInfo[], onProgress: ((p: BuildProgress) => void) | undefined,
    { fixedLast, lastHopMayBeSelf }: { fixedLast: boolean, lastHopMayBeSelf: boolean }
  ): Promise<ClientCircuit> {
    await this.start()
    const avoid: string[] = []
    let lastError: unknown = null
    for (let attempt = 0; attempt < BUILD_ATTEMPTS; attempt++) {
      const chosen = choose(avoid)
      // The hop a failure is put down to: the router reports it as 'failed'
      // (all hops report 'extending' at once in a pipelined build).
      let hop = 0
      try {
        const circuit = await this.router!.buildCircuit(chosen, (p) => { if (p.state === 'failed') hop = p.hop; onProgress?.(p) }, { lastHopMayBeSelf })
        this.directory!.reportSuccess(chosen[0]!.peerId)
        if (!fixedLast) this.prepareNextPath()
        return circuit
      } catch (err) {
        lastError = err
        // While offline, nothing is the relays' fault.
        const offline = this.network.getSnapshot().phase === 'offline'
        if (hop === 0 && !offline) this.pendingGuardFailures.push({ peerId: chosen[0]!.peerId, at: performance.now() })
        if (!offline) this.noteFailure(chosen[hop]!.peerId, err)
        if (fixedLast && hop === chosen.length - 1) throw err // the destination itself failed
        avoid.push(chosen[hop]!.peerId)
      }
    }
    throw lastError
  }

  /** "Test circuit": build a fresh 3-hop circuit and time an echo through it. */
  async testCircuit (): Promise<TestCircuitState> {
    const set = (next: TestCircuitState): TestCircuitState => { this.view.set({ ...this.getSnapshot(), test: next }); return next }
    let state: TestCircuitState = { phase: 'building', hops: Array.from({ length: CIRCUIT_HOPS }, () => ({ shortId: null, peerId: null, state: 'waiting' as HopState })), buildMs: null, rttMs: null, error: null }
    set(state)
    try {
      await this.start()
      const path = this.choosePath()
      state = set({ ...state, hops: path.map(h => ({ shortId: shortPeerId(h.peerId), peerId: h.peerId, state: 'waiting' as HopState })) })
      const t0 = performance.now()
      const circuit = await this.router!.buildCircuit(path, (p) => {
        state = set({ ...state, hops: state.hops.map((h, i) => (i === p.hop ? { ...h, state: p.state } : h)) })
      })
      const buildMs = performance.now() - t0
      this.prepareNextPath()
      state = set({ ...state, phase: 'measuring', buildMs })
      const probe = systemRandom(TEST_ECHO_BYTES)
      const t1 = performance.now()
      const echoed = await circuit.echo(probe)
      const rttMs = performance.now() - t1
      circuit.destroy()
      if (echoed.length !== probe.length || echoed.some((b, i) => b !== probe[i])) throw new Error('the echo came back different')
      return set({ ...state, phase: 'done', rttMs })
    } catch (err) {
      return set({ ...state, phase: 'failed', hops: state.hops.map(h => (h.state === 'open' ? h : { ...h, state: 'failed' as HopState })), error: describeError(err) })
    }
  }

  private publish (): void {
    const relaying = this.router?.stats().relayCircuits ?? 0
    const knownRelays = this.directory?.size ?? 0
    const current = this.getSnapshot()
    if (relaying === current.relaying && knownRelays === current.knownRelays) return
    this.view.set({ ...current, relaying, knownRelays })
  }
}

/**
 * Whether a build error says the hop being reached is gone: we could not open
 * a channel to it (first hop), or its predecessor could not (DESTROY
 * CONNECTFAILED, tor-spec §5.4). Timeouts and closed channels are not taken as
 * proof: on a loaded machine they also happen to live relays.
 */
export function isUnreachableError (err: unknown): boolean {
  if (!(err instanceof Error)) return false
  if (err.name === 'ChannelUnavailableError') return true
  return err instanceof CircuitClosedError && err.reason === DestroyReason.CONNECTFAILED
}

/** An error as a person can read it (no stack, no ids). */
function describeError (err: unknown): string {
  if (err instanceof Error) {
    switch (err.name) {
      case 'NoPathError': return 'not enough relays are known yet'
      case 'CircuitTimeoutError': return 'a relay took too long to answer'
      case 'CircuitClosedError': return 'a relay closed the circuit'
      case 'ChannelUnavailableError': return 'a relay could not be reached'
      default: return err.name === 'Error' ? 'unexpected error' : err.name.replace(/Error$/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()
    }
  }
  return 'unexpected error'
}

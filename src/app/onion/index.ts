/**
 * The onion layer of a tab, wired together: the router from core (every tab
 * is a client *and* a relay), channels over direct WebRTC connections from
 * net, and the relay directory filled by descriptor gossip. The UI reads a
 * small snapshot (circuits relayed for others, the test circuit's progress);
 * nothing here logs keys, payloads or peer ids.
 *
 * This file is composition only: which relays a path uses is path-policy.ts,
 * how a build is retried and what counts against a guard is builder.ts, the
 * UI's "Test circuit" is test-circuit.ts, the numbers are constants.ts.
 * {@link OnionService} is the façade the rest of the app uses.
 */
import { DEFAULT_ROUTER_LIMITS } from '../../core/circuit/limits.ts'
import { OnionRouter, type BuildOptions, type BuildProgress, type ClientCircuit, type RelayInfo } from '../../core/circuit/router.ts'
import { generateOnionKey, nodeIdFromIdentityKey } from '../../core/crypto/index.ts'
import { systemRandom } from '../../core/random.ts'
import type { Clock } from '../../core/clock.ts'
import { CellScheduler } from '../../core/channel/scheduler.ts'
import { ChannelManager } from '../../net/channels.ts'
import { GOSSIP_INTERVAL_MS, pullDescriptors, serveDescriptors } from '../../net/descriptor-gossip.ts'
import type { Network } from '../../net/network.ts'
import { ed25519KeyOfPeer } from '../../net/peer-ids.ts'
import { HsDirStore } from '../../core/rendezvous/hsdir-store.ts'
import { ExternalStore } from '../external-store.ts'
import { RelayDirectory, type RelayWorkView } from '../relay-directory.ts'
import { workerSolver } from '../relay-work/solver.ts'
import { bestDh } from '../webcrypto-dh.ts'
import { CircuitBuilder } from './builder.ts'
import { CIRCUIT_HOPS, GUARD_FAILURE_CHECK_MS, PULL_AFTER_OPEN_MS, VIEW_REFRESH_MS } from './constants.ts'
import { PathPolicy } from './path-policy.ts'
import { runTestCircuit, type TestCircuitState } from './test-circuit.ts'

export { BUILD_ATTEMPTS, CIRCUIT_HOPS, GUARD_FAILURE_SETTLE_MS, SUSPECT_MS, UNREACHABLE_MS } from './constants.ts'
export { isUnreachableError } from './path-policy.ts'
export type { TestCircuitState } from './test-circuit.ts'

export interface CircuitViewState {
  readonly relaying: number
  readonly knownRelays: number
  /** This tab's relay-descriptor proof of work: until it is ready, others do not list this tab as a relay. */
  readonly relayWork: RelayWorkView
  readonly test: TestCircuitState | null
}

export interface OnionServiceOptions {
  /** Record every cell this tab sends or receives (tests that inspect what a relay forwards). */
  onFrame?: (direction: 'in' | 'out', peer: string, cell: Uint8Array) => void
}

const WORK_WAITING: RelayWorkView = { phase: 'waiting' }

/** Wall clock: relay avoidance, HSDir expiry. */
const wallClock: Clock = { now: () => Date.now() }
/** Monotonic clock: build times, guard-failure settling, the age of a path chosen ahead. */
const monotonic: Clock = { now: () => performance.now() }

export class OnionService {
  private router: OnionRouter | null = null
  private channels: ChannelManager | null = null
  private directory: RelayDirectory | null = null
  private readonly view = new ExternalStore<CircuitViewState>({ relaying: 0, knownRelays: 0, relayWork: WORK_WAITING, test: null })
  private timers: Array<ReturnType<typeof setInterval>> = []
  private startPromise: Promise<void> | null = null
  private unsubscribeRelayWork: (() => void) | null = null
  private self: RelayInfo | null = null
  /** Descriptors this tab holds as an HSDir (docs/RENDEZVOUS.md §4). */
  readonly hsdir = new HsDirStore({ now: () => Date.now() })
  private readonly paths = new PathPolicy({
    directory: () => this.directory,
    prepareOnionskin: (hop) => { this.router!.prepareOnionskin(hop) },
    wallClock,
    monotonic
  })

  /**
   * Destinations this tab drew at random (chooseDestination): a circuit to
   * one of them has no hop anyone else chose, so it counts for path bias.
   * Whatever another party named (a rendezvous point, an introduction point
   * from a descriptor, an HSDir on the ring) is a different object and never in here.
   */
  private readonly randomDestinations = new WeakSet<RelayInfo>()

  private readonly builder = new CircuitBuilder({
    build: async (path, onProgress, opts) => await this.router!.buildCircuit(path, onProgress, opts),
    guards: () => this.directory,
    policy: this.paths,
    isOffline: () => this.network.getSnapshot().phase === 'offline',
    clock: monotonic
  })

  constructor (private readonly network: Network, private readonly options: OnionServiceOptions = {}) {}

  readonly subscribe = this.view.subscribe
  readonly getSnapshot = this.view.getSnapshot

  get relayDirectory (): RelayDirectory | null { return this.directory }
  get onionRouter (): OnionRouter | null { return this.router }
  /** This tab as a relay (for the HSDir hash ring, which every tab computes over the same set). */
  get selfRelay (): RelayInfo | null { return this.self }

  /** Keep `peerId` out of every path this tab chooses, and out of its neighbours. */
  avoidPeer (peerId: string): void {
    this.paths.avoid(peerId)
    this.network.avoidPeer(peerId)
  }

  /** Every relay known and not known to be gone, this tab included: the members of the HSDir hash ring. */
  ringMembers (): RelayInfo[] {
    return this.paths.ringMembers(this.self)
  }

  /** A relay failed to answer: keep it out of paths and the ring for `ms` (default UNREACHABLE_MS). */
  markUnreachable (peerId: string, ms?: number): void {
    this.paths.markUnreachable(peerId, ms)
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
      maxCircuits: DEFAULT_ROUTER_LIMITS.maxRelayCircuits,
      solveWork: workerSolver,
      onWorkChange: () => { this.publish() }
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
      newQueue: () => new CellScheduler({ clock: monotonic })
    })
    router = new OnionRouter({
      peerId,
      onionKeys: [{ nodeId, onionKey, onionSecret }],
      links: channels,
      nodeIdOfPeer,
      random: systemRandom,
      now: () => performance.now(),
      setTimer: (ms, fn) => { const t = setTimeout(fn, ms); return () => { clearTimeout(t) } },
      dh: await bestDh(),
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
    node.addEventListener('connection:open', (evt) => { setTimeout(() => { pullFrom(evt.detail) }, PULL_AFTER_OPEN_MS) })
    for (const conn of node.getConnections()) pullFrom(conn)
    // The seeds' proof-of-work effort: what we accept and what we publish
    // with. Descriptors refused before a seed lowered the bar are pulled again.
    const announced = this.network.relayWork.efforts()
    if (announced != null) directory.setAnnouncedEfforts(announced)
    else void directory.prepareWork()
    this.unsubscribeRelayWork = this.network.relayWork.subscribe((efforts) => {
      directory.setAnnouncedEfforts(efforts)
      for (const conn of node.getConnections()) if (this.network.isDirect(conn)) void pullDescriptors(conn, directory).then(() => { this.publish() }, () => {})
    })
    this.timers.push(setInterval(() => {
      const direct = node.getConnections().filter(c => this.network.isDirect(c))
      const one = direct[Math.floor(Math.random() * direct.length)]
      if (one != null) void pullDescriptors(one, directory).then(() => { this.publish() }, () => {})
      directory.prune()
      this.hsdir.prune()
      void directory.republishIfDue()
    }, GOSSIP_INTERVAL_MS))
    this.timers.push(setInterval(() => { this.publish() }, VIEW_REFRESH_MS))
    this.timers.push(setInterval(() => { this.builder.settleGuardFailures() }, GUARD_FAILURE_CHECK_MS))
    // Back from an outage: the relays that "failed" meanwhile were fine, we were not.
    this.network.onRejoin(() => {
      this.paths.forgetFailures()
      this.builder.forgetPendingGuardFailures()
      this.publish()
    })
    this.publish()
  }

  async stop (): Promise<void> {
    for (const t of this.timers) clearInterval(t)
    this.timers = []
    this.unsubscribeRelayWork?.()
    this.directory?.stopWork()
    this.router?.shutdown()
    await this.channels?.stop()
  }

  /**
   * Choose hops for a circuit: distinct verified relays, never this tab, a
   * full-length path from the one chosen ahead when still fine to use
   * (PathPolicy.choosePath).
   */
  choosePath (hops = CIRCUIT_HOPS, exclude: readonly string[] = []): RelayInfo[] {
    return this.paths.choosePath(hops, exclude)
  }

  /** One relay to be a destination (introduction point, rendezvous point): capacity-weighted, never a guard choice, never self, avoided or `exclude`. */
  chooseDestination (exclude: readonly string[] = []): RelayInfo {
    const destination = this.paths.chooseDestination(exclude)
    this.randomDestinations.add(destination)
    return destination
  }

  /**
   * Build an onion-service circuit whose last hop is `target` (an HSDir,
   * introduction or rendezvous point): guard → layer-2 vanguard → middle →
   * `target` (prop 333, PathPolicy.chooseOnionServicePath), with up to
   * BUILD_ATTEMPTS tries. `target` may be this tab only when
   * `lastHopMayBeSelf` (a service looping back to a rendezvous point its
   * client happened to choose here, docs/RENDEZVOUS.md §1). Counted for path
   * bias only when `target` came from {@link chooseDestination}.
   */
  async buildCircuitTo (target: RelayInfo, opts: { lastHopMayBeSelf?: boolean, onProgress?: (p: BuildProgress) => void } = {}): Promise<ClientCircuit> {
    await this.start()
    return await this.builder.buildWithRetries((avoid) => [...this.paths.chooseOnionServicePath([target.peerId, ...avoid]), target], opts.onProgress, {
      fixedLast: true, lastHopMayBeSelf: opts.lastHopMayBeSelf === true, countsForPathBias: this.randomDestinations.has(target)
    })
  }

  /**
   * A client's rendezvous circuit (docs/RENDEZVOUS.md §1): to a rendezvous
   * point drawn at random, through guard → layer-2 vanguard → middle like
   * every onion-service circuit (prop 333), with up to BUILD_ATTEMPTS tries,
   * each avoiding the hops (the rendezvous point included) that failed before.
   */
  async buildRendezvousPointCircuit (onProgress?: (p: BuildProgress) => void): Promise<ClientCircuit> {
    await this.start()
    return await this.builder.buildWithRetries((avoid) => {
      // Not our guard: the circuit would then start at another guard, showing it too.
      const guard = this.directory?.currentGuard(avoid)
      const rp = this.paths.chooseDestination(guard != null ? [guard, ...avoid] : avoid)
      return [...this.paths.chooseOnionServicePath([rp.peerId, ...avoid]), rp]
    }, onProgress, { fixedLast: false, lastHopMayBeSelf: false, countsForPathBias: true, prepareNextPath: false })
  }

  /**
   * Build a circuit through `path`, or through a chosen path with up to
   * BUILD_ATTEMPTS tries, each avoiding the relays that failed before
   * (a tab that closed stays in directories until its descriptor expires).
   */
  async buildCircuit (path?: RelayInfo[], onProgress?: (p: BuildProgress) => void, opts: Pick<BuildOptions, 'telescope'> = {}): Promise<ClientCircuit> {
    await this.start()
    if (path != null) {
      const circuit = await this.router!.buildCircuit(path, onProgress, opts)
      if (path.length === CIRCUIT_HOPS) this.paths.prepareNextPath()
      return circuit
    }
    await this.start()
    return await this.builder.buildWithRetries((avoid) => this.paths.choosePath(CIRCUIT_HOPS, avoid), onProgress, { fixedLast: false, lastHopMayBeSelf: false, countsForPathBias: true })
  }

  /** "Test circuit": build a fresh 3-hop circuit and time an echo through it (test-circuit.ts). */
  async testCircuit (): Promise<TestCircuitState> {
    return await runTestCircuit({
      start: async () => { await this.start() },
      choosePath: () => this.paths.choosePath(),
      build: async (path, onProgress) => await this.router!.buildCircuit(path, onProgress),
      prepareNextPath: () => { this.paths.prepareNextPath() },
      show: (next) => { this.view.set({ ...this.getSnapshot(), test: next }) },
      clock: monotonic,
      random: systemRandom
    })
  }

  private publish (): void {
    const relaying = this.router?.stats().relayCircuits ?? 0
    const knownRelays = this.directory?.size ?? 0
    const relayWork = this.directory?.workView ?? WORK_WAITING
    const current = this.getSnapshot()
    if (relaying === current.relaying && knownRelays === current.knownRelays && relayWork === current.relayWork) return
    this.view.set({ ...current, relaying, knownRelays, relayWork })
  }
}

/** The node id a peer id commits to: SHA-256 of the Ed25519 key inside it (as our own and every relay descriptor's). */
function nodeIdOfPeer (peerId: string): Uint8Array | null {
  const key = ed25519KeyOfPeer(peerId)
  return key == null ? null : nodeIdFromIdentityKey(key)
}

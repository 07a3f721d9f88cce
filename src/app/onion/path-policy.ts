/**
 * Which relays a circuit goes through: distinct verified relays, never this
 * tab, the first an entry guard (guard-spec §4.6, chosen by the relay
 * directory), never a peer the tab was told to avoid, and — while the belief
 * lasts — never a relay believed gone. A tab that closed stays in other tabs'
 * directories until its descriptor expires, so without this memory every
 * build would keep walking onto dead tabs; with too long a memory, a few
 * failures would shrink the set of relays a tab uses (and make it easier to
 * steer), hence short avoidance for a mere timeout and a fallback to the
 * whole set when the belief leaves too few relays.
 *
 * Onion-service circuits get a longer stem (chooseOnionServicePath):
 * guard → layer-2 vanguard → middle before their endpoint (prop 333).
 *
 * It also keeps the next full-length path chosen ahead, its onionskins made
 * early, and hands it out only when it is exactly what would be chosen now.
 *
 * Time is injected (`wallClock` for avoidance, `monotonic` for the age of a
 * path chosen ahead) so the rules can be tested with a fake clock.
 */
import { DestroyReason } from '../../core/cell/index.ts'
import { CircuitClosedError, PREPARED_ONIONSKIN_TTL_MS, type RelayInfo } from '../../core/circuit/router.ts'
import { ctEqual } from '../../core/bytes.ts'
import type { Clock } from '../../core/clock.ts'
import { isProtocolError } from '../../core/errors.ts'
import { isChannelUnavailableError } from '../../net/channels.ts'
import { CIRCUIT_HOPS, ONION_SERVICE_STEM_HOPS, SMALL_NETWORK_STEM_HOPS, SUSPECT_MS, UNREACHABLE_MS } from './constants.ts'

/** What path policy needs of the relay directory (app/relay-directory.ts). */
export interface PathDirectory {
  choosePath(hops: number, exclude: readonly string[], guards?: boolean): RelayInfo[]
  /** `hops` relays: an entry guard, a layer-2 vanguard, then middles (prop 333); never `exclude` or `gone`, and an L2 member in `gone` is replaced. */
  chooseVanguardPath(hops: number, exclude: readonly string[], gone?: readonly string[]): RelayInfo[]
  currentGuard(exclude: readonly string[]): string | undefined
  relays(): RelayInfo[]
}

export interface PathPolicyOptions {
  /** The relay directory, or null before the onion layer has started. */
  directory(): PathDirectory | null
  /** Have `hop`'s onionskin made now (OnionRouter.prepareOnionskin). */
  prepareOnionskin(hop: RelayInfo): void
  /** Wall clock: how long a relay is avoided (Date.now in the app). */
  wallClock: Clock
  /** Monotonic clock: the age of a path chosen ahead (performance.now in the app). */
  monotonic: Clock
}

export class PathPolicy {
  /**
   * Peers never used as hops (tests: keep two chat ends from meeting as
   * neighbours, so any connection between them could only come from the chat).
   */
  private readonly avoided = new Set<string>()
  /** Relays that failed to answer, until when (ms, wall clock). */
  private readonly unreachable = new Map<string, number>()
  /** The next full-length path, chosen ahead with its onionskins in the making ({@link prepareNextPath}). */
  private nextPath: RelayInfo[] | null = null
  private nextPathAt = 0

  constructor (private readonly opts: PathPolicyOptions) {}

  /** Keep `peerId` out of every path. */
  avoid (peerId: string): void {
    this.avoided.add(peerId)
  }

  /** Every relay known and not known to be gone, `self` included: the members of the HSDir hash ring. */
  ringMembers (self: RelayInfo | null): RelayInfo[] {
    const gone = new Set(this.unreachableIds())
    const others = (this.opts.directory()?.relays() ?? []).filter(r => !gone.has(r.peerId))
    return self == null ? others : [...others, self]
  }

  /** A relay failed to answer: keep it out of paths and the ring for `ms` (default {@link UNREACHABLE_MS}). */
  markUnreachable (peerId: string, ms = UNREACHABLE_MS): void {
    const until = this.opts.wallClock.now() + ms
    if ((this.unreachable.get(peerId) ?? 0) < until) this.unreachable.set(peerId, until)
  }

  /** The relays believed gone now (expired beliefs are dropped). */
  unreachableIds (): string[] {
    const now = this.opts.wallClock.now()
    for (const [id, until] of this.unreachable) if (until <= now) this.unreachable.delete(id)
    return [...this.unreachable.keys()]
  }

  /** Note the hop a build failed at when the failure says that hop is gone (not merely busy). */
  noteFailure (peerId: string, err: unknown): void {
    if (isUnreachableError(err)) this.markUnreachable(peerId)
    // A hop that did not answer in time may be gone or only slow: avoid it briefly.
    else if (isProtocolError(err, 'timeout')) this.markUnreachable(peerId, SUSPECT_MS)
  }

  /** Back from an outage: the relays that "failed" meanwhile were fine, we were not; the path chosen ahead is stale. */
  forgetFailures (): void {
    this.unreachable.clear()
    this.nextPath = null
  }

  /**
   * Choose hops for a circuit: distinct verified relays, never this tab. A
   * full-length path comes from the one chosen ahead after the last build
   * ({@link prepareNextPath}) when every hop of it is still fine to use.
   */
  choosePath (hops = CIRCUIT_HOPS, exclude: readonly string[] = []): RelayInfo[] {
    const directory = this.opts.directory()
    if (directory == null) throw new Error('onion layer not started')
    const ahead = this.nextPath
    if (ahead != null && hops === ahead.length) {
      this.nextPath = null
      if (this.stillUsable(directory, ahead, exclude)) return ahead
    }
    return this.withUnreachableExcluded((gone) => directory.choosePath(hops, [...exclude, ...this.avoided, ...gone]))
  }

  /**
   * Choose the next circuit's path now and have its onionskins made, so the
   * next build's CREATE goes out without waiting for X25519 (each onionskin
   * needs EXP(B,x) for its hop; the onward header needs them all,
   * docs/PROTOCOL.md §7). The same choice as at build time, made earlier;
   * like Tor's preemptive circuits, minus the circuit.
   */
  prepareNextPath (): void {
    try {
      this.nextPath = this.withUnreachableExcluded((gone) => this.opts.directory()!.choosePath(CIRCUIT_HOPS, [...this.avoided, ...gone]))
      this.nextPathAt = this.opts.monotonic.now()
    } catch {
      this.nextPath = null // too few relays: chosen at build time, as before
      return
    }
    for (const hop of this.nextPath) this.opts.prepareOnionskin(hop)
  }

  /**
   * The relays before an onion-service circuit's endpoint (the caller puts
   * the endpoint in `exclude` and appends it): guard → layer-2 vanguard →
   * middle (ONION_SERVICE_STEM_HOPS, prop 333). Only when the network has
   * too few relays for that, even counting those believed gone, guard → L2
   * (SMALL_NETWORK_STEM_HOPS).
   */
  chooseOnionServicePath (exclude: readonly string[] = []): RelayInfo[] {
    const directory = this.opts.directory()
    if (directory == null) throw new Error('onion layer not started')
    // Relays believed gone, and those never to be used, are also replaced in the L2 set.
    // The shorter stem of live relays before the full one through a relay believed gone:
    // in a small network whose directories still list closed tabs, the full stem
    // otherwise always included one, and every onion-service circuit failed.
    return this.withUnreachableExcluded((gone) => {
      const never = [...this.avoided, ...gone]
      try {
        return directory.chooseVanguardPath(ONION_SERVICE_STEM_HOPS, exclude, never)
      } catch (err) {
        if (isProtocolError(err, 'no-path')) return directory.chooseVanguardPath(SMALL_NETWORK_STEM_HOPS, exclude, never)
        throw err
      }
    })
  }

  /** One relay to be a destination (introduction point, rendezvous point): capacity-weighted, never a guard choice, never self, avoided or `exclude`. */
  chooseDestination (exclude: readonly string[] = []): RelayInfo {
    const directory = this.opts.directory()
    if (directory == null) throw new Error('onion layer not started')
    return this.withUnreachableExcluded((gone) => directory.choosePath(1, [...exclude, ...this.avoided, ...gone], false)[0]!)
  }

  /**
   * A path chosen ahead is used only as it would be chosen now: not older
   * than its onionskins may be kept, its first hop the guard path choice
   * would pick now (guard-spec §4.6), every hop still in the directory with
   * the same keys, and none excluded, avoided or believed gone.
   */
  private stillUsable (directory: PathDirectory, path: readonly RelayInfo[], exclude: readonly string[]): boolean {
    if (this.opts.monotonic.now() - this.nextPathAt > PREPARED_ONIONSKIN_TTL_MS) return false
    const banned = new Set([...exclude, ...this.avoided, ...this.unreachableIds()])
    if (directory.currentGuard([...banned]) !== path[0]?.peerId) return false
    const current = new Map(directory.relays().map(r => [r.peerId, r]))
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
}

/**
 * Whether a build error says the hop being reached is gone: we could not open
 * a channel to it (first hop), or its predecessor could not (DESTROY
 * CONNECTFAILED, tor-spec §5.4). Timeouts and closed channels are not taken as
 * proof: on a loaded machine they also happen to live relays.
 */
export function isUnreachableError (err: unknown): boolean {
  if (!(err instanceof Error)) return false
  if (isChannelUnavailableError(err)) return true
  return err instanceof CircuitClosedError && err.reason === DestroyReason.CONNECTFAILED
}

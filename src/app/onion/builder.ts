/**
 * Building a circuit with retries, and what a failure teaches. Up to
 * {@link BUILD_ATTEMPTS} builds, each over a path that avoids the hops that
 * failed before (a tab that closed stays in directories until its descriptor
 * expires); a failure at a fixed last hop (the destination) is final.
 *
 * A failure is put down to the hop the router reports as 'failed' (the first
 * hop whose reply had not arrived, core/circuit/client-build.ts). Only a
 * failure put down to hop 0 is the guard's own: we could not reach it, or it
 * did not answer its CREATE (guard-spec §4.8 counts failures to connect to
 * and build through the guard; path-spec's "failure connecting to guard" is
 * a failure "before its first hop completely built"). Anything further along
 * (a middle, the destination, a rendezvous point someone else named) never
 * counts against the guard, or whoever names a dead or refusing endpoint
 * could make us retire our guard and pick another, each a fresh chance for
 * guard discovery (issue #13). A failure no hop is reported for (a limit of
 * ours, a bad argument) is nobody's: not noted, not retried.
 *
 * The guard's own failure counts only once it is clear it was not ours: the
 * tab was still online {@link GUARD_FAILURE_SETTLE_MS} later. An outage makes
 * every build fail, and counting those would retire good guards and walk the
 * tab to new ones — exactly what an adversary who can cut a tab's connection
 * briefly would want. While offline nothing is the relays' fault.
 *
 * A guard could exploit that leniency by answering its own CREATE and
 * killing the circuit beyond itself. So a circuit whose path we chose
 * entirely at random (RetryOptions.countsForPathBias) is also counted for
 * path bias (core/path/path-bias.ts): built, or failed beyond the guard
 * (settled like the guard's own failures).
 *
 * Time is injected (a monotonic {@link Clock}) so the settle rule can be
 * tested with a fake clock; the caller runs {@link CircuitBuilder.settleGuardFailures}
 * every GUARD_FAILURE_CHECK_MS (constants.ts).
 */
import type { BuildOptions, BuildProgress, ClientCircuit, RelayInfo } from '../../core/circuit/router.ts'
import type { Clock } from '../../core/clock.ts'
import type { PathBiasOutcome } from '../../core/path/index.ts'
import { BUILD_ATTEMPTS, GUARD_FAILURE_SETTLE_MS } from './constants.ts'

/** What the builder needs of the relay directory's guard set (app/relay-directory.ts). */
export interface GuardReports {
  reportSuccess(peerId: string): void
  reportFailure(peerId: string): void
  reportPathBias(guard: string, outcome: PathBiasOutcome): void
}

/** What the builder needs of path policy (path-policy.ts). */
export interface FailurePolicy {
  noteFailure(peerId: string, err: unknown): void
  prepareNextPath(): void
}

export interface CircuitBuilderOptions {
  /** One build through `path` (OnionRouter.buildCircuit). */
  build(path: readonly RelayInfo[], onProgress: (p: BuildProgress) => void, opts: BuildOptions): Promise<ClientCircuit>
  /** The relay directory's guard reports, or null before the onion layer has started. */
  guards(): GuardReports | null
  policy: FailurePolicy
  /** Whether the tab is offline now (the network's phase). */
  isOffline(): boolean
  /** Monotonic clock (performance.now in the app). */
  clock: Clock
}

export interface RetryOptions {
  /** The last hop is the destination, given by the caller: its failure is final. */
  fixedLast: boolean
  /** The last hop may be this tab (BuildOptions.lastHopMayBeSelf). */
  lastHopMayBeSelf: boolean
  /**
   * This tab chose every hop at random, so the outcome counts for path bias.
   * False when another party chose or can place a hop (a rendezvous point
   * named by a client, an introduction point named by a service, an HSDir on
   * the ring): its failures would be theirs to cause (tor's
   * pathbias_should_count skips such circuits too).
   */
  countsForPathBias: boolean
  /**
   * After a success, choose the next ordinary path ahead (PathPolicy.prepareNextPath);
   * default: when the last hop is not fixed. Onion-service circuits never use it.
   */
  prepareNextPath?: boolean
}

export class CircuitBuilder {
  /**
   * Failures waiting to be counted ({@link settleGuardFailures}): the guard's
   * own, or (for path bias) a failure beyond it.
   */
  private readonly pendingGuardFailures: Array<{ peerId: string, at: number, kind: 'guard' | 'beyond-guard' }> = []

  constructor (private readonly opts: CircuitBuilderOptions) {}

  /**
   * Up to {@link BUILD_ATTEMPTS} builds over paths from `choose`, each avoiding
   * the hops that failed before; a failure at a fixed last hop (the
   * destination) is final. Guards and unreachable relays learn from each failure.
   */
  async buildWithRetries (
    choose: (avoid: readonly string[]) => RelayInfo[], onProgress: ((p: BuildProgress) => void) | undefined,
    { fixedLast, lastHopMayBeSelf, countsForPathBias, prepareNextPath = !fixedLast }: RetryOptions
  ): Promise<ClientCircuit> {
    const avoid: string[] = []
    let lastError: unknown = null
    for (let attempt = 0; attempt < BUILD_ATTEMPTS; attempt++) {
      const chosen = choose(avoid)
      const guard = chosen[0]!.peerId
      // The hop a failure is put down to: the router reports it as 'failed'
      // (all hops report 'extending' at once in a pipelined build); none
      // reported, no hop's fault.
      let hop: number | null = null
      try {
        const circuit = await this.opts.build(chosen, (p) => { if (p.state === 'failed') hop = p.hop; onProgress?.(p) }, { lastHopMayBeSelf })
        this.opts.guards()!.reportSuccess(guard)
        if (countsForPathBias) this.opts.guards()!.reportPathBias(guard, 'built')
        if (prepareNextPath) this.opts.policy.prepareNextPath()
        return circuit
      } catch (err) {
        lastError = err
        if (hop == null) throw err // a limit of ours or a bad argument: another path would not help
        // While offline, nothing is the relays' fault.
        const offline = this.opts.isOffline()
        if (!offline) {
          if (hop === 0) this.pendingGuardFailures.push({ peerId: guard, at: this.opts.clock.now(), kind: 'guard' })
          else if (countsForPathBias) this.pendingGuardFailures.push({ peerId: guard, at: this.opts.clock.now(), kind: 'beyond-guard' })
          this.opts.policy.noteFailure(chosen[hop]!.peerId, err)
        }
        if (fixedLast && hop === chosen.length - 1) throw err // the destination itself failed
        avoid.push(chosen[hop]!.peerId)
      }
    }
    throw lastError
  }

  /**
   * Count the failures that have waited {@link GUARD_FAILURE_SETTLE_MS},
   * unless the tab is offline now (then they were ours, and are dropped).
   */
  settleGuardFailures (): void {
    const now = this.opts.clock.now()
    while (this.pendingGuardFailures.length > 0 && now - this.pendingGuardFailures[0]!.at >= GUARD_FAILURE_SETTLE_MS) {
      const { peerId, kind } = this.pendingGuardFailures.shift()!
      if (this.opts.isOffline()) continue
      if (kind === 'guard') this.opts.guards()?.reportFailure(peerId)
      else this.opts.guards()?.reportPathBias(peerId, 'failed-beyond-guard')
    }
  }

  /** Back from an outage: the failures waiting to be counted were ours. */
  forgetPendingGuardFailures (): void {
    this.pendingGuardFailures.length = 0
  }
}
